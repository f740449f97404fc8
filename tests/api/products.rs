use reqwest::StatusCode;
use scraper::{Html, Selector};

use crate::helpers::{page_text, spawn_app};

/// The seeded creator with three pages of products at Gumroad (23), one with none, one who has
/// not connected a payment method.
const MANY_PRODUCTS: usize = 0;
const NO_PAYMENT_METHOD: usize = 1;
const NO_PRODUCTS: usize = 2;

fn names_on(html: &str) -> Vec<String> {
    let document = Html::parse_document(html);
    let selector = Selector::parse("table.list td[data-label='Name'] a").unwrap();
    document
        .select(&selector)
        .map(|a| a.text().collect())
        .collect()
}

fn input_value(html: &str, name: &str) -> String {
    let document = Html::parse_document(html);
    let selector = Selector::parse(&format!("[name='{name}']")).unwrap();
    let element = document.select(&selector).next().expect("the field");
    match element.value().attr("value") {
        Some(value) => value.to_owned(),
        None => element.text().collect(),
    }
}

#[tokio::test]
async fn the_product_list_follows_gumroads_pages_and_paginates_twenty_at_a_time() {
    let app = spawn_app().await;
    let browser = app.signed_in(MANY_PRODUCTS).await;

    let (status, first) = browser.get_html("/products").await;
    let (_, second) = browser.get_html("/products?page=2").await;

    assert_eq!(status, StatusCode::OK);
    let text = page_text(&first);
    assert!(text.contains("23 products"), "{text}");
    assert!(text.contains("Page 1 of 2"));
    assert_eq!(names_on(&first).len(), 20);
    assert_eq!(names_on(&second).len(), 3);
    let mut all = names_on(&first);
    all.extend(names_on(&second));
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 23, "no product twice, none missing");
    assert!(
        text.contains("Sales") && text.contains("Revenue"),
        "view_sales shows sales"
    );
}

#[tokio::test]
async fn searching_by_name_keeps_only_matching_products() {
    let app = spawn_app().await;
    let browser = app.signed_in(MANY_PRODUCTS).await;
    let (_, html) = browser.get_html("/products").await;
    let target = names_on(&html)[3].clone();
    let word = target
        .split_whitespace()
        .max_by_key(|w| w.len())
        .unwrap()
        .to_lowercase();

    let (status, html) = browser.get_html(&format!("/products?q={word}")).await;

    assert_eq!(status, StatusCode::OK);
    let found = names_on(&html);
    assert!(found.contains(&target), "{word} should find {target}");
    assert!(found.iter().all(|n| n.to_lowercase().contains(&word)));
    let (_, none) = browser.get_html("/products?q=zzzz-no-such-product").await;
    assert!(page_text(&none).contains("No products match “zzzz-no-such-product”"));
}

#[tokio::test]
async fn a_creator_without_products_sees_an_empty_state_with_a_way_forward() {
    let app = spawn_app().await;
    let browser = app.signed_in(NO_PRODUCTS).await;
    let (status, html) = browser.get_html("/products").await;
    assert_eq!(status, StatusCode::OK);
    let text = page_text(&html);
    assert!(text.contains("No products yet"), "{text}");
    assert!(text.contains("New product"));
}

#[tokio::test]
async fn creating_then_editing_a_product_shows_the_new_state_at_once() {
    let app = spawn_app().await;
    let browser = app.signed_in(NO_PRODUCTS).await;

    let (status, text) = browser
        .submit_and_follow(
            "/products",
            &[
                ("name", "Field Notes Vol. 1"),
                ("price", "12.50"),
                ("currency", "usd"),
                ("description", "Notes"),
                ("tags", "notes, field"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("Created “Field Notes Vol. 1”."), "{text}");
    assert!(text.contains("$12.50"));
    assert!(text.contains("Unpublished"), "new products are drafts");
    assert!(text.contains("notes, field"));

    let links = browser.product_links("/products").await;
    assert_eq!(links.len(), 1);
    let (_, edit_html) = browser.get_html(&format!("{}/edit", links[0])).await;
    assert_eq!(input_value(&edit_html, "name"), "Field Notes Vol. 1");
    assert_eq!(input_value(&edit_html, "price"), "12.50");
    let (_, text) = browser
        .submit_and_follow(
            &links[0],
            &[
                ("name", "Field Notes Vol. 2"),
                ("price", "15"),
                ("currency", "usd"),
            ],
        )
        .await;
    assert!(text.contains("Saved “Field Notes Vol. 2”."), "{text}");
    assert!(text.contains("$15.00"));
}

#[tokio::test]
async fn a_product_in_yen_is_priced_without_decimals() {
    let app = spawn_app().await;
    let browser = app.signed_in(NO_PRODUCTS).await;
    let (_, text) = browser
        .submit_and_follow(
            "/products",
            &[
                ("name", "Tokyo Presets"),
                ("price", "1500"),
                ("currency", "jpy"),
            ],
        )
        .await;
    assert!(text.contains("¥1,500"), "{text}");

    let response = browser
        .submit(
            "/products",
            &[
                ("name", "Tokyo Presets"),
                ("price", "15.50"),
                ("currency", "jpy"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page_text(&response.text().await.unwrap()).contains("Yen amounts have no decimals."));
}

#[tokio::test]
async fn bad_input_is_explained_beside_each_field_and_kept_and_nothing_is_created() {
    let app = spawn_app().await;
    let browser = app.signed_in(NO_PRODUCTS).await;

    let response = browser
        .submit(
            "/products",
            &[
                ("name", "  "),
                ("price", "abc"),
                ("currency", "usd"),
                ("description", "keep me"),
            ],
        )
        .await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    let document = Html::parse_document(&html);
    let error_of = |field: &str| {
        let selector = Selector::parse(&format!("#{field}-error")).unwrap();
        document
            .select(&selector)
            .next()
            .map(|e| e.text().collect::<String>())
    };
    assert_eq!(error_of("name").as_deref(), Some("Enter a name."));
    assert!(error_of("price").unwrap().starts_with("Enter a number"));
    assert_eq!(input_value(&html, "price"), "abc", "input kept");
    assert_eq!(input_value(&html, "description"), "keep me");
    assert!(html.contains(r#"aria-describedby="name-error""#));
    let (_, list) = browser.get_html("/products").await;
    assert!(page_text(&list).contains("No products yet"));
}

#[tokio::test]
async fn a_price_below_the_currency_minimum_is_refused_before_calling_gumroad() {
    let app = spawn_app().await;
    let browser = app.signed_in(NO_PRODUCTS).await;
    let response = browser
        .submit(
            "/products",
            &[("name", "Cheap"), ("price", "0.50"), ("currency", "usd")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page_text(&response.text().await.unwrap()).contains("$0.99"));
}

#[tokio::test]
async fn publishing_and_unpublishing_flip_the_status() {
    let app = spawn_app().await;
    let browser = app.signed_in(NO_PRODUCTS).await;
    browser
        .submit_and_follow(
            "/products",
            &[("name", "Draft"), ("price", "5"), ("currency", "usd")],
        )
        .await;
    let product = browser.product_links("/products").await.remove(0);

    let (_, text) = browser
        .submit_and_follow(&format!("{product}/publish"), &[])
        .await;
    assert!(text.contains("Published “Draft”."), "{text}");
    assert!(text.contains("Unpublish"));

    let (_, text) = browser
        .submit_and_follow(&format!("{product}/unpublish"), &[])
        .await;
    assert!(text.contains("Unpublished “Draft”."), "{text}");
}

#[tokio::test]
async fn gumroads_refusal_to_publish_is_shown_to_the_creator() {
    let app = spawn_app().await;
    let browser = app.signed_in(NO_PAYMENT_METHOD).await;
    let (_, html) = browser.get_html("/products").await;
    let unpublished = Html::parse_document(&html);
    let row = Selector::parse("table.list tbody tr").unwrap();
    let link = Selector::parse("td[data-label='Name'] a").unwrap();
    let product = unpublished
        .select(&row)
        .find(|r| r.text().collect::<String>().contains("Unpublished"))
        .and_then(|r| r.select(&link).next())
        .and_then(|a| a.value().attr("href"))
        .expect("creator 1 has an unpublished product")
        .to_owned();

    let (_, text) = browser
        .submit_and_follow(&format!("{product}/publish"), &[])
        .await;

    assert!(text.contains("Gumroad did not publish it"), "{text}");
    assert!(text.contains("payment method"));
}

#[tokio::test]
async fn deleting_asks_for_confirmation_first_and_needs_the_csrf_token() {
    let app = spawn_app().await;
    let browser = app.signed_in(NO_PRODUCTS).await;
    browser
        .submit_and_follow(
            "/products",
            &[("name", "Short-lived"), ("price", "0"), ("currency", "usd")],
        )
        .await;
    let product = browser.product_links("/products").await.remove(0);

    let (status, confirm) = browser.get_html(&format!("{product}/delete")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page_text(&confirm).contains("Delete the product “Short-lived”?"));
    let forged = browser.post_form(&format!("{product}/delete"), &[]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        browser.product_links("/products").await.len(),
        1,
        "still there"
    );

    let (_, text) = browser
        .submit_and_follow(&format!("{product}/delete"), &[])
        .await;

    assert!(text.contains("Product deleted."), "{text}");
    assert!(text.contains("No products yet"));
    let (status, _) = browser.get_html(&product).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a deleted product's page is gone"
    );
}

#[tokio::test]
async fn the_2025_api_lists_every_product_at_once_and_cannot_create() {
    let app = spawn_app().await;
    app.sim_profile(serde_json::json!({"profile": "2025-04"}))
        .await;
    let browser = app.signed_in(MANY_PRODUCTS).await;

    let (_, html) = browser.get_html("/products").await;
    assert!(page_text(&html).contains("23 products"));

    let response = browser
        .submit(
            "/products",
            &[("name", "New"), ("price", "5"), ("currency", "usd")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = page_text(&response.text().await.unwrap());
    assert!(
        text.contains("not supported by your Gumroad account's API"),
        "{text}"
    );
    assert!(text.contains("New"), "input kept");
}

#[tokio::test]
async fn docs_style_string_values_render_the_same() {
    let app = spawn_app().await;
    app.sim_profile(serde_json::json!({"profile": "2026", "string_values": true}))
        .await;
    let browser = app.signed_in(MANY_PRODUCTS).await;
    let (status, html) = browser.get_html("/products").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page_text(&html).contains("23 products"));
    let product = browser.product_links("/products").await.remove(0);
    assert_eq!(browser.get(&product).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn emptying_the_description_clears_it_at_gumroad() {
    let app = spawn_app().await;
    let browser = app.signed_in(NO_PRODUCTS).await;
    browser
        .submit_and_follow(
            "/products",
            &[
                ("name", "Notes"),
                ("price", "1"),
                ("currency", "usd"),
                ("description", "Old text"),
            ],
        )
        .await;
    let product = browser.product_links("/products").await.remove(0);

    browser
        .submit_and_follow(
            &product,
            &[
                ("name", "Notes"),
                ("price", "1"),
                ("currency", "usd"),
                ("description", ""),
            ],
        )
        .await;

    let (_, edit) = browser.get_html(&format!("{product}/edit")).await;
    assert_eq!(input_value(&edit, "description"), "");
}

#[tokio::test]
async fn a_nonsense_page_number_shows_the_first_page() {
    let app = spawn_app().await;
    let browser = app.signed_in(MANY_PRODUCTS).await;
    for query in ["?page=abc", "?page=", "?page=-1", "?page=999"] {
        let (status, html) = browser.get_html(&format!("/products{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert!(page_text(&html).contains("Page "), "{query}");
    }
}

#[tokio::test]
async fn a_form_over_the_size_limit_gets_a_clear_413_and_creates_nothing() {
    let app = spawn_app().await;
    let browser = app.signed_in(NO_PRODUCTS).await;
    let huge = "x".repeat(300 * 1024);

    let response = browser
        .submit(
            "/products",
            &[
                ("name", "Huge"),
                ("price", "1"),
                ("currency", "usd"),
                ("description", &huge),
            ],
        )
        .await;

    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page_text(&response.text().await.unwrap()).contains("That form is too large"));
    assert!(page_text(&browser.get_html("/products").await.1).contains("No products yet"));
}

#[tokio::test]
async fn a_tiered_membership_is_edited_without_touching_its_tier_prices() {
    let app = spawn_app().await;
    let browser = app.signed_in(MANY_PRODUCTS).await;
    let mut membership = None;
    for page in ["/products", "/products?page=2"] {
        let (_, html) = browser.get_html(page).await;
        let document = Html::parse_document(&html);
        let link = Selector::parse("table.list td[data-label='Name'] a").unwrap();
        membership = membership.or_else(|| {
            document
                .select(&link)
                .find(|a| a.text().collect::<String>() == "Sketchbook Club")
                .and_then(|a| a.value().attr("href").map(str::to_owned))
        });
    }
    let membership = membership.expect("the seeded tiered membership");

    let (_, form) = browser.get_html(&format!("{membership}/edit")).await;
    assert!(page_text(&form).contains("its prices are set on its tiers"));
    assert!(!form.contains(r#"name="price""#), "no price field to send");

    let (status, text) = browser
        .submit_and_follow(
            &membership,
            &[("name", "Sketchbook Club+"), ("tiered_membership", "true")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("Saved “Sketchbook Club+”."), "{text}");
}

#[tokio::test]
async fn the_list_is_kept_briefly_and_refresh_asks_gumroad_again() {
    let app = spawn_app().await;
    let browser = app.signed_in(MANY_PRODUCTS).await;
    assert_eq!(browser.get("/products").await.status(), StatusCode::OK);
    app.inject_fault(
        serde_json::json!({"path": "/v2/products", "kind": "status", "status": 503, "times": 3}),
    )
    .await;

    let (status, html) = browser.get_html("/products").await;
    assert_eq!(status, StatusCode::OK, "served from the short-lived cache");
    assert!(page_text(&html).contains("23 products"));

    let (status, _) = browser.get_html("/products?refresh=1").await;
    assert_eq!(
        status,
        StatusCode::BAD_GATEWAY,
        "refresh really asks Gumroad"
    );
}

#[tokio::test]
async fn a_creators_own_change_shows_at_once_on_every_instance() {
    let app = spawn_app().await;
    let browser = app.signed_in(NO_PRODUCTS).await;
    let other_instance = app.start_another_dashboard(|_| {}).await.unwrap();
    let list_on = |base: String| {
        let browser = &browser;
        async move { page_text(&browser.get_html(&format!("{base}/products")).await.1) }
    };
    assert!(
        list_on(other_instance.clone())
            .await
            .contains("No products yet")
    );
    assert!(
        list_on(app.address.clone())
            .await
            .contains("No products yet")
    );

    browser
        .submit_and_follow(
            "/products",
            &[("name", "Fresh"), ("price", "2"), ("currency", "usd")],
        )
        .await;

    assert!(list_on(app.address.clone()).await.contains("1 product"));
    assert!(
        list_on(other_instance).await.contains("1 product"),
        "the other instance's cached list was invalidated through the database"
    );
}

#[tokio::test]
async fn one_creator_cannot_use_up_the_product_writes_gumroad_allows_the_instance() {
    // Gumroad allows 10 product creates a minute per IP address, shared by every creator here.
    let app = spawn_app().await;
    let busy = app.signed_in(NO_PRODUCTS).await;
    let other = app.signed_in(MANY_PRODUCTS).await;
    for n in 0..5 {
        let response = busy
            .submit(
                "/products",
                &[
                    ("name", &format!("Batch {n}")),
                    ("price", "3"),
                    ("currency", "usd"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "product {n}");
    }
    let refused = busy
        .submit(
            "/products",
            &[("name", "Batch 5"), ("price", "3"), ("currency", "usd")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    let html = refused.text().await.unwrap();
    assert!(page_text(&html).contains("Nothing was sent"), "{html}");
    assert!(
        html.contains("value=\"Batch 5\""),
        "the form is kept: {html}"
    );
    let sent: Vec<String> = app.sim.catalog(&app.creator(NO_PRODUCTS).id).unwrap()["products"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(sent.len(), 5, "Gumroad saw five creates: {sent:?}");

    // Half of Gumroad's limit is left for everyone else.
    let response = other
        .submit(
            "/products",
            &[
                ("name", "Someone else's"),
                ("price", "3"),
                ("currency", "usd"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

/// The Sales column of the product list, summed over its pages ("—" until the mirror is complete).
async fn listed_sales(browser: &crate::helpers::Browser, base: &str) -> i64 {
    let selector = Selector::parse("table.list td[data-label='Sales']").unwrap();
    let mut total = 0;
    for page in ["1", "2"] {
        let (status, html) = browser
            .get_html(&format!("{base}/products?page={page}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{}", page_text(&html));
        for cell in Html::parse_document(&html).select(&selector) {
            let text: String = cell.text().collect();
            total += text
                .trim()
                .parse::<i64>()
                .unwrap_or_else(|_| panic!("a count once the backfill is done, not {text:?}"));
        }
    }
    total
}

#[tokio::test]
async fn a_new_sale_shows_in_the_product_lists_figures_at_once_on_every_instance() {
    // Each instance keeps the figures it summed from the rollups, keyed by their version, which the
    // database changes with any of the creator's sales: no instance can show stale counts.
    let app = spawn_app().await;
    let browser = app.signed_in(MANY_PRODUCTS).await;
    app.run_jobs().await;
    let other_instance = app.start_another_dashboard(|_| {}).await.unwrap();
    let before = listed_sales(&browser, &app.address).await;
    assert!(before > 0, "the seeded creator has sales");
    assert_eq!(listed_sales(&browser, &other_instance).await, before);

    let sale = app
        .sim
        .create_sale(&app.creator(MANY_PRODUCTS).id, serde_json::json!({}));
    assert!(sale.get("error").is_none(), "{sale}");
    let tenant = app.tenant_id_of(&app.creator(MANY_PRODUCTS)).await;
    app.enqueue_sync(tenant, false).await;
    app.run_jobs().await;

    assert_eq!(listed_sales(&browser, &app.address).await, before + 1);
    assert_eq!(listed_sales(&browser, &other_instance).await, before + 1);
}
