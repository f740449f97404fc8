//! What a creator sees when Gumroad misbehaves while the dashboard reads their profile.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, page_text, spawn_app};

async fn signed_in_app() -> TestApp {
    let app = spawn_app().await;
    app.browser.sign_in_as(&app.creator(0)).await;
    // Read the flash message away so later pages show only what the test is about.
    app.browser.get("/dashboard").await;
    app
}

async fn dashboard_text(app: &TestApp) -> (StatusCode, String) {
    let (status, html) = app.browser.get_html("/dashboard").await;
    (status, page_text(&html))
}

#[tokio::test]
async fn a_single_429_is_retried_and_the_creator_never_notices() {
    let app = signed_in_app().await;
    app.inject_fault(json!({"path": "/v2/user", "kind": "status", "status": 429, "times": 1}))
        .await;

    let (status, text) = dashboard_text(&app).await;

    assert_eq!(status, StatusCode::OK);
    assert!(!text.contains("saved at your last sign-in"), "{text}");
    assert!(text.contains(&app.creator(0).name));
}

#[tokio::test]
async fn persistent_server_errors_show_the_saved_profile_with_a_retry() {
    let app = signed_in_app().await;
    app.inject_fault(json!({"path": "/v2/user", "kind": "status", "status": 500, "times": 3}))
        .await;

    let (status, text) = dashboard_text(&app).await;

    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains("Gumroad answered with a server error"),
        "{text}"
    );
    assert!(text.contains("Try again"));
    assert!(
        text.contains(&app.creator(0).name),
        "the saved profile is still shown"
    );
    let last_error: Option<String> =
        sqlx::query_scalar("SELECT last_error FROM gumroad_connections")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(last_error.unwrap().contains("500"));

    // Gumroad recovers: the banner goes away on the next visit.
    let (_, text) = dashboard_text(&app).await;
    assert!(!text.contains("server error"), "{text}");
}

#[tokio::test]
async fn a_malformed_body_is_explained_not_dumped() {
    let app = signed_in_app().await;
    app.inject_fault(json!({"path": "/v2/user", "kind": "malformed_json", "times": 1}))
        .await;

    let (status, text) = dashboard_text(&app).await;

    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("Gumroad sent an unexpected answer"), "{text}");
    assert!(
        !text.contains("EOF while parsing"),
        "no raw parser errors on the page"
    );
}

#[tokio::test]
async fn a_hanging_gumroad_times_out_and_the_page_still_answers() {
    let app = signed_in_app().await;
    app.inject_fault(json!({"path": "/v2/user", "kind": "hang", "times": 3}))
        .await;

    let (status, text) = dashboard_text(&app).await;

    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("Gumroad took too long to answer"), "{text}");
}

#[tokio::test]
async fn a_missing_scope_403_keeps_the_page_and_says_why() {
    let app = signed_in_app().await;
    app.inject_fault(json!({"path": "/v2/user", "kind": "status", "status": 403, "times": 1}))
        .await;

    let (status, text) = dashboard_text(&app).await;

    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("lacks the profile permission"), "{text}");
}

#[tokio::test]
async fn gumroad_failing_during_sign_in_shows_a_clear_page_and_stores_nothing() {
    let app = spawn_app().await;
    app.inject_fault(json!({"path": "/v2/user", "kind": "status", "status": 502, "times": 3}))
        .await;
    let authorize = app.browser.start_sign_in().await;
    let callback = app.browser.consent(&authorize, &app.creator(0), true).await;

    let response = app.browser.finish_sign_in(&callback).await;

    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert!(page_text(&response.text().await.unwrap()).contains("Gumroad is having trouble"));
    assert_eq!(app.creator_count().await, 0);
}
