//! Gumroad failing on catalog reads and writes: a clear page, retries only where safe.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{page_text, spawn_app};

#[tokio::test]
async fn a_product_list_that_keeps_failing_gets_a_clear_page_with_a_retry() {
    let app = spawn_app().await;
    let browser = app.signed_in(0).await;
    app.inject_fault(json!({"path": "/v2/products", "kind": "status", "status": 503, "times": 3}))
        .await;

    let (status, html) = browser.get_html("/products").await;

    assert_eq!(status, StatusCode::BAD_GATEWAY);
    let text = page_text(&html);
    assert!(
        text.contains("Gumroad is having trouble") && text.contains("Try again"),
        "{text}"
    );
    let (status, _) = browser.get_html("/products").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "after the outage the list works again"
    );
}

#[tokio::test]
async fn a_rate_limited_write_is_retried_and_happens_once() {
    let app = spawn_app().await;
    let browser = app.signed_in(2).await;
    app.inject_fault(json!({"method": "POST", "path": "/v2/products", "kind": "status", "status": 429, "times": 1}))
        .await;

    let (status, text) = browser
        .submit_and_follow(
            "/products",
            &[("name", "Once"), ("price", "3"), ("currency", "usd")],
        )
        .await;

    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("Created “Once”."), "{text}");
    assert_eq!(browser.product_links("/products").await.len(), 1);
}

#[tokio::test]
async fn a_write_that_fails_with_a_server_error_is_not_retried_blindly() {
    let app = spawn_app().await;
    let browser = app.signed_in(2).await;
    app.inject_fault(json!({"method": "POST", "path": "/v2/products", "kind": "status", "status": 500, "times": 1}))
        .await;

    let response = browser
        .submit(
            "/products",
            &[("name", "Maybe"), ("price", "3"), ("currency", "usd")],
        )
        .await;

    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let text = page_text(&response.text().await.unwrap());
    assert!(
        text.contains("Your change may not have been saved"),
        "{text}"
    );
    assert!(text.contains("Check before trying again") && text.contains("Back to check"));
    // Had the client retried, the second attempt would have gone through.
    assert!(page_text(&browser.get_html("/products").await.1).contains("No products yet"));
}

#[tokio::test]
async fn a_hanging_product_page_times_out_with_a_clear_page() {
    let app = spawn_app().await;
    let browser = app.signed_in(0).await;
    let product = browser.product_links("/products").await.remove(0);
    app.inject_fault(json!({"path": "/v2/products/*", "kind": "hang", "times": 12}))
        .await;

    let (status, html) = browser.get_html(&product).await;

    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
    assert!(page_text(&html).contains("Gumroad did not answer"));
}

#[tokio::test]
async fn a_revoked_token_on_a_catalog_page_asks_to_reconnect() {
    let app = spawn_app().await;
    let browser = app.signed_in(0).await;
    app.sim.revoke_tokens_of(&app.creator(0).id);

    let (status, html) = browser.get_html("/products").await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page_text(&html).contains("Reconnect with Gumroad"));
}

#[tokio::test]
async fn malformed_json_on_a_read_is_explained() {
    let app = spawn_app().await;
    let browser = app.signed_in(0).await;
    app.inject_fault(json!({"path": "/v2/products", "kind": "malformed_json", "times": 1}))
        .await;

    let (status, html) = browser.get_html("/products").await;

    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(page_text(&html).contains("Unexpected answer from Gumroad"));
}

#[tokio::test]
async fn a_token_revoked_before_a_write_asks_to_reconnect_and_changes_nothing() {
    let app = spawn_app().await;
    let browser = app.signed_in(2).await;
    app.sim.revoke_tokens_of(&app.creator(2).id);

    let response = browser
        .submit(
            "/products",
            &[("name", "Lost"), ("price", "3"), ("currency", "usd")],
        )
        .await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(page_text(&response.text().await.unwrap()).contains("Reconnect with Gumroad"));
    browser.sign_in_as(&app.creator(2)).await;
    assert!(page_text(&browser.get_html("/products").await.1).contains("No products yet"));
}
