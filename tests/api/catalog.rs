//! Variant categories and variants, offer codes and custom fields, driven through the pages.

use reqwest::StatusCode;

use crate::helpers::{Browser, TestApp, page_text, spawn_app};

const NO_PRODUCTS: usize = 2;

/// A creator with one fresh product (USD 10.00); returns its page's path.
async fn with_product(app: &TestApp) -> (Browser, String) {
    let browser = app.signed_in(NO_PRODUCTS).await;
    browser
        .submit_and_follow(
            "/products",
            &[("name", "Sketchbook"), ("price", "10"), ("currency", "usd")],
        )
        .await;
    let product = browser.product_links("/products").await.remove(0);
    (browser, product)
}

/// The first link matching `selector` whose text is `text`.
async fn first_link(browser: &Browser, page: &str, selector: &str, text: &str) -> String {
    let (_, html) = browser.get_html(page).await;
    let document = scraper::Html::parse_document(&html);
    let selector = scraper::Selector::parse(selector).unwrap();
    document
        .select(&selector)
        .find(|a| a.text().collect::<String>().trim() == text)
        .and_then(|a| a.value().attr("href"))
        .unwrap_or_else(|| panic!("no link “{text}” on {page}"))
        .to_owned()
}

#[tokio::test]
async fn variant_categories_and_variants_can_be_added_renamed_edited_and_deleted() {
    let app = spawn_app().await;
    let (browser, product) = with_product(&app).await;

    let blank = browser
        .submit(&format!("{product}/variant-categories"), &[("title", " ")])
        .await;
    assert_eq!(blank.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page_text(&blank.text().await.unwrap()).contains("Enter a name."));

    let (_, text) = browser
        .submit_and_follow(
            &format!("{product}/variant-categories"),
            &[("title", "Format")],
        )
        .await;
    assert!(
        text.contains("Saved the variant category “Format”."),
        "{text}"
    );

    let new_variant = first_link(&browser, &product, ".variant-category a", "Add variant").await;
    assert_eq!(browser.get(&new_variant).await.status(), StatusCode::OK);
    let action = new_variant.trim_end_matches("/new").to_owned();
    let negative = browser
        .submit(
            &action,
            &[("name", "Hardcover"), ("price_difference", "-1")],
        )
        .await;
    assert_eq!(negative.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let negative_text = page_text(&negative.text().await.unwrap());
    assert!(negative_text.contains("0 or more"), "{negative_text}");

    let (_, text) = browser
        .submit_and_follow(
            &action,
            &[
                ("name", "Hardcover"),
                ("description", "Cloth bound"),
                ("price_difference", "5"),
                ("max_purchase_count", "100"),
            ],
        )
        .await;
    assert!(text.contains("Saved the variant “Hardcover”."), "{text}");
    assert!(text.contains("+$5.00") && text.contains("Cloth bound") && text.contains("100"));

    let edit = first_link(&browser, &product, "td.row-actions a", "Edit").await;
    let (status, _) = browser.get_html(&edit).await;
    assert_eq!(status, StatusCode::OK);
    let (_, text) = browser
        .submit_and_follow(
            edit.trim_end_matches("/edit"),
            &[("name", "Hardcover, signed"), ("price_difference", "7.5")],
        )
        .await;
    assert!(
        text.contains("Hardcover, signed") && text.contains("+$7.50"),
        "{text}"
    );

    let rename = first_link(&browser, &product, ".variant-category a", "Rename").await;
    let (_, text) = browser
        .submit_and_follow(rename.trim_end_matches("/edit"), &[("title", "Edition")])
        .await;
    assert!(
        text.contains("Edition") && !text.contains("Format"),
        "{text}"
    );

    let delete_category =
        first_link(&browser, &product, ".variant-category .actions a", "Delete").await;
    let (_, confirm) = browser.get_html(&delete_category).await;
    assert!(page_text(&confirm).contains("Delete the variant category “Edition”?"));
    let (_, text) = browser.submit_and_follow(&delete_category, &[]).await;
    assert!(text.contains("Variant category deleted."), "{text}");
    assert!(text.contains("No variants."));
}

#[tokio::test]
async fn a_variant_can_be_deleted_after_confirming() {
    let app = spawn_app().await;
    let (browser, product) = with_product(&app).await;
    browser
        .submit_and_follow(
            &format!("{product}/variant-categories"),
            &[("title", "Size")],
        )
        .await;
    let action = first_link(&browser, &product, ".variant-category a", "Add variant")
        .await
        .trim_end_matches("/new")
        .to_owned();
    browser
        .submit_and_follow(&action, &[("name", "Large")])
        .await;
    let (_, html) = browser.get_html(&product).await;
    let document = scraper::Html::parse_document(&html);
    let selector = scraper::Selector::parse("td.row-actions a.danger-link").unwrap();
    let delete = document
        .select(&selector)
        .next()
        .unwrap()
        .value()
        .attr("href")
        .unwrap()
        .to_owned();

    let (_, confirm) = browser.get_html(&delete).await;
    assert!(page_text(&confirm).contains("Delete the variant “Large”?"));
    let (_, text) = browser.submit_and_follow(&delete, &[]).await;

    assert!(text.contains("Variant deleted."));
    assert!(text.contains("No variants in this category yet."));
}

#[tokio::test]
async fn offer_codes_are_created_limited_and_deleted_with_gumroads_refusals_beside_the_field() {
    let app = spawn_app().await;
    let (browser, product) = with_product(&app).await;
    let codes = format!("{product}/offer-codes");

    let (_, text) = browser
        .submit_and_follow(
            &codes,
            &[
                ("name", "SPRING25"),
                ("kind", "percent"),
                ("amount", "25"),
                ("max_purchase_count", "10"),
            ],
        )
        .await;
    assert!(text.contains("Created the offer code SPRING25."), "{text}");
    assert!(text.contains("25% off") && text.contains("0 of 10"));

    let (_, text) = browser
        .submit_and_follow(
            &codes,
            &[
                ("name", "FIVEOFF"),
                ("kind", "fixed"),
                ("amount", "5"),
                ("universal", "true"),
            ],
        )
        .await;
    assert!(
        text.contains("$5.00 off") && text.contains("All products"),
        "{text}"
    );
    let (_, html) = browser.get_html(&product).await;
    let universal_delete = scraper::Html::parse_document(&html)
        .select(&scraper::Selector::parse("#offer-codes tbody tr").unwrap())
        .find(|row| row.text().collect::<String>().contains("FIVEOFF"))
        .and_then(|row| {
            row.select(&scraper::Selector::parse("a.danger-link").unwrap())
                .next()
                .and_then(|a| a.value().attr("href").map(str::to_owned))
        })
        .unwrap();
    let (_, confirm) = browser.get_html(&universal_delete).await;
    assert!(
        page_text(&confirm).contains("stops working on all your products"),
        "deleting a universal code warns that it goes everywhere"
    );

    // Passes our checks, refused by Gumroad: its message goes beside the code, the input stays.
    let duplicate = browser
        .submit(
            &codes,
            &[("name", "SPRING25"), ("kind", "percent"), ("amount", "10")],
        )
        .await;
    assert_eq!(duplicate.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = duplicate.text().await.unwrap();
    assert!(
        html.contains(r#"id="name-error">Discount code must be unique."#),
        "{}",
        page_text(&html)
    );
    assert!(html.contains(r#"value="SPRING25""#));

    let too_much = browser
        .submit(
            &codes,
            &[("name", "HALF"), ("kind", "percent"), ("amount", "150")],
        )
        .await;
    assert_eq!(too_much.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page_text(&too_much.text().await.unwrap()).contains("from 1 to 100"));
    let bad_name = browser
        .submit(
            &codes,
            &[
                ("name", "no spaces!"),
                ("kind", "percent"),
                ("amount", "10"),
            ],
        )
        .await;
    assert_eq!(bad_name.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let change = first_link(&browser, &product, "#offer-codes a", "Change limit").await;
    let (_, text) = browser
        .submit_and_follow(
            change.trim_end_matches("/edit"),
            &[("max_purchase_count", "5")],
        )
        .await;
    assert!(
        text.contains("Updated the limit of SPRING25.") && text.contains("0 of 5"),
        "{text}"
    );
    let bad_limit = browser
        .submit(
            change.trim_end_matches("/edit"),
            &[("max_purchase_count", "0")],
        )
        .await;
    assert_eq!(bad_limit.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let delete = change.replace("/edit", "/delete");
    let (_, confirm) = browser.get_html(&delete).await;
    assert!(page_text(&confirm).contains("Delete the offer code “SPRING25”?"));
    let (_, text) = browser.submit_and_follow(&delete, &[]).await;
    assert!(
        text.contains("Offer code deleted.") && !text.contains("SPRING25"),
        "{text}"
    );
}

#[tokio::test]
async fn custom_fields_are_added_toggled_and_deleted_even_with_awkward_names() {
    let app = spawn_app().await;
    let (browser, product) = with_product(&app).await;
    let fields = format!("{product}/custom-fields");

    let terms = browser
        .submit(&fields, &[("kind", "terms"), ("name", "our terms")])
        .await;
    assert_eq!(terms.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page_text(&terms.text().await.unwrap()).contains("URL of your terms"));

    let (_, text) = browser
        .submit_and_follow(
            &fields,
            &[
                ("kind", "text"),
                ("name", "Company / Team?"),
                ("required", "true"),
            ],
        )
        .await;
    assert!(
        text.contains("Added the field “Company / Team?”."),
        "{text}"
    );
    assert!(text.contains("Required"));

    let (_, html) = browser.get_html(&product).await;
    let document = scraper::Html::parse_document(&html);
    let form = scraper::Selector::parse("#custom-fields form").unwrap();
    let toggle = document
        .select(&form)
        .next()
        .unwrap()
        .value()
        .attr("action")
        .unwrap()
        .to_owned();
    let (_, text) = browser
        .submit_and_follow(&toggle, &[("required", "false")])
        .await;
    assert!(
        text.contains("“Company / Team?” is now optional."),
        "{text}"
    );

    let delete = toggle.replace("/required", "/delete");
    let (_, confirm) = browser.get_html(&delete).await;
    assert!(page_text(&confirm).contains("Delete the custom field “Company / Team?”?"));
    let (_, text) = browser.submit_and_follow(&delete, &[]).await;
    assert!(text.contains("Custom field deleted."));
    assert!(text.contains("Buyers are not asked anything extra"));
}

#[tokio::test]
async fn a_custom_field_named_like_a_dot_segment_is_refused_here_and_gets_no_links_if_made_elsewhere()
 {
    let app = spawn_app().await;
    let (browser, product) = with_product(&app).await;
    let refused = browser
        .submit(
            &format!("{product}/custom-fields"),
            &[("kind", "text"), ("name", "..")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page_text(&refused.text().await.unwrap()).contains("cannot be named"));

    // Made through Gumroad itself (here: the simulator's API with the creator's token).
    let id = product.rsplit('/').next().unwrap();
    let id = percent_encoding::percent_decode_str(id)
        .decode_utf8()
        .unwrap();
    let token = app.sim.issue_token(
        &app.settings.gumroad.client_id,
        &app.creator(NO_PRODUCTS).id,
        &["edit_products"],
    );
    for name in [".", ".."] {
        let created = reqwest::Client::new()
            .post(format!(
                "{}/v2/products/{id}/custom_fields",
                app.sim.base_url()
            ))
            .bearer_auth(&token)
            .form(&[("name", name)])
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = created.json().await.unwrap();
        assert_eq!(body["success"], true, "{body}");
    }
    let (status, html) = browser.get_html(&product).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("custom-fields/./") && !html.contains("custom-fields/../"));
    assert!(page_text(&html).contains("Change it on Gumroad"));
}
