//! Every catalog route, walked by one creator with another creator's ids: the same 404 as for an
//! id that does not exist, and nothing of the other creator's changes.

use reqwest::StatusCode;

use crate::helpers::{Browser, page_text, spawn_app};

/// Bob's product, with one of everything hanging off it; returns every page path of it.
pub(crate) async fn bobs_catalog(bob: &Browser) -> (String, Vec<String>) {
    bob.submit_and_follow(
        "/products",
        &[
            ("name", "Bob's Secret Course"),
            ("price", "20"),
            ("currency", "usd"),
        ],
    )
    .await;
    let product = bob.product_links("/products").await.remove(0);
    bob.submit_and_follow(
        &format!("{product}/variant-categories"),
        &[("title", "Tier")],
    )
    .await;
    let (_, html) = bob.get_html(&product).await;
    let category = hrefs(&html, ".variant-category .actions a")
        .into_iter()
        .find(|h| h.ends_with("/edit"))
        .unwrap()
        .trim_end_matches("/edit")
        .to_owned();
    bob.submit_and_follow(&format!("{category}/variants"), &[("name", "Gold")])
        .await;
    bob.submit_and_follow(
        &format!("{product}/offer-codes"),
        &[("name", "BOBONLY"), ("kind", "percent"), ("amount", "50")],
    )
    .await;
    bob.submit_and_follow(
        &format!("{product}/custom-fields"),
        &[("kind", "text"), ("name", "Nickname")],
    )
    .await;
    let (_, html) = bob.get_html(&product).await;
    let mut pages = vec![
        product.clone(),
        format!("{product}/edit"),
        format!("{product}/delete"),
    ];
    pages.extend(
        hrefs(&html, "main a")
            .into_iter()
            .filter(|h| h.starts_with(&product) && !h.contains('#')),
    );
    pages.sort();
    pages.dedup();
    (product, pages)
}

fn hrefs(html: &str, selector: &str) -> Vec<String> {
    let document = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(selector).unwrap();
    document
        .select(&selector)
        .filter_map(|a| a.value().attr("href").map(str::to_owned))
        .collect()
}

/// The POST targets behind Bob's pages: forms' actions plus the delete confirmations.
async fn bobs_forms(bob: &Browser, pages: &[String]) -> Vec<String> {
    let mut actions = Vec::new();
    for page in pages {
        let (_, html) = bob.get_html(page).await;
        let document = scraper::Html::parse_document(&html);
        let selector = scraper::Selector::parse("main form[method='post']").unwrap();
        actions.extend(
            document
                .select(&selector)
                .filter_map(|f| f.value().attr("action").map(str::to_owned)),
        );
    }
    actions.sort();
    actions.dedup();
    actions
}

#[tokio::test]
async fn another_creators_ids_get_the_same_404_as_ids_that_do_not_exist_on_every_route() {
    let app = spawn_app().await;
    let bob = app.signed_in(2).await;
    let alice = app.signed_in(0).await;
    let (bobs_product, pages) = bobs_catalog(&bob).await;
    assert!(
        pages.len() >= 9,
        "walks the product, variant, offer code and field pages: {pages:?}"
    );
    let forms = bobs_forms(&bob, &pages).await;
    assert!(forms.len() >= 8, "{forms:?}");

    let (_, nowhere) = alice.get_html("/products/AAAAAAAAAAAAAAAAAAAAAA==").await;
    let not_found_text = page_text(&nowhere);
    assert!(not_found_text.contains("Not found"), "{not_found_text}");

    for page in &pages {
        let (status, html) = alice.get_html(page).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {page}");
        assert_eq!(
            page_text(&html),
            not_found_text,
            "GET {page} must look like any unknown id"
        );
        assert!(!html.contains("Bob's Secret Course"));
    }
    for action in &forms {
        let response = alice
            .submit(
                action,
                &[
                    ("name", "hijacked"),
                    ("title", "hijacked"),
                    ("price", "1"),
                    ("currency", "usd"),
                    ("required", "true"),
                    ("max_purchase_count", "1"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "POST {action}");
    }

    let (_, bobs_page) = bob.get_html(&bobs_product).await;
    let text = page_text(&bobs_page);
    assert!(
        text.contains("Bob's Secret Course")
            && text.contains("Gold")
            && text.contains("BOBONLY")
            && text.contains("Nickname")
    );
    assert!(!text.contains("hijacked"), "{text}");
}

#[tokio::test]
async fn every_form_refuses_a_post_without_the_csrf_token() {
    let app = spawn_app().await;
    let bob = app.signed_in(2).await;
    let (bobs_product, pages) = bobs_catalog(&bob).await;
    let mut forms = bobs_forms(&bob, &pages).await;
    forms.extend(["/products".to_owned(), "/auth/sign-out".to_owned()]);
    assert!(forms.len() >= 10, "{forms:?}");

    for action in &forms {
        let response = bob
            .post_form(
                action,
                &[
                    ("name", "forged"),
                    ("title", "forged"),
                    ("price", "1"),
                    ("currency", "usd"),
                    ("required", "true"),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "POST {action} without a token"
        );
    }

    let (status, html) = bob.get_html(&bobs_product).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "still signed in: sign-out was refused too"
    );
    let text = page_text(&html);
    assert!(
        text.contains("Bob's Secret Course")
            && text.contains("BOBONLY")
            && !text.contains("forged")
    );
}
