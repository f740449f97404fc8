//! Gumroad misbehaving around the creator's profile: at sign-in (a clear page, nothing stored) and when
//! the sync refreshes the stored profile (the stored one stays, the sync goes on).

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{page_text, spawn_app};

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

/// Makes the stored profile look old and wrong, then runs an incremental sync.
async fn stale_profile_then_sync(app: &crate::helpers::TestApp) -> (String, bool) {
    let tenant = app.tenant_id_of(&app.creator(2)).await;
    sqlx::query(
        "UPDATE creators SET name = 'Old name', profile_refreshed_at = now() - interval '2 hours'
         WHERE id = $1",
    )
    .bind(tenant.get())
    .execute(&app.pool)
    .await
    .unwrap();
    app.enqueue_sync(tenant, false).await;
    app.run_jobs().await;
    sqlx::query_as("SELECT name, profile_refreshed_at > now() - interval '1 minute' FROM creators WHERE id = $1")
        .bind(tenant.get())
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_sync_refreshes_an_old_profile_and_keeps_it_when_gumroad_fails() {
    let app = spawn_app().await;
    let browser = app.signed_in(2).await;
    app.run_jobs().await;

    app.inject_fault(json!({"path": "/v2/user", "kind": "status", "status": 500, "times": 100}))
        .await;
    let (name, refreshed) = stale_profile_then_sync(&app).await;
    assert_eq!((name.as_str(), refreshed), ("Old name", false));
    assert_eq!(app.failed_jobs().await, vec![], "the sync itself went on");
    let (status, html) = browser.get_html("/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page_text(&html).contains("Welcome, Old name"));

    app.clear_faults().await;
    let (name, refreshed) = stale_profile_then_sync(&app).await;
    assert_eq!((name, refreshed), (app.creator(2).name.clone(), true));
}
