use reqwest::StatusCode;

use crate::helpers::{location, page_text, spawn_app};

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    app.browser.sign_in_as(&app.creator(0)).await;
    let token = app.browser.csrf_token().await;

    let response = app
        .browser
        .post_form("/auth/sign-out", &[("csrf_token", &token)])
        .await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.browser.get_html(&location(&response)).await;
    assert!(page_text(&html).contains("You have been signed out."));
    assert_eq!(
        app.browser.get("/dashboard").await.status(),
        StatusCode::SEE_OTHER
    );
    let signed_in_sessions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sessions WHERE creator_id IS NOT NULL")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(signed_in_sessions, 0);
}

#[tokio::test]
async fn sign_out_without_the_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.browser.sign_in_as(&app.creator(0)).await;

    let missing = app.browser.post_form("/auth/sign-out", &[]).await;
    let wrong = app
        .browser
        .post_form("/auth/sign-out", &[("csrf_token", "guess")])
        .await;

    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert!(page_text(&wrong.text().await.unwrap()).contains("This form has expired"));
    assert_eq!(app.browser.get("/dashboard").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn deleting_a_creators_sessions_signs_them_out_everywhere() {
    let app = spawn_app().await;
    let creator = app.creator(0);
    let laptop = app.new_browser();
    let phone = app.new_browser();
    laptop.sign_in_as(&creator).await;
    phone.sign_in_as(&creator).await;
    let tenant: i64 = sqlx::query_scalar("SELECT id FROM creators")
        .fetch_one(&app.pool)
        .await
        .unwrap();

    let removed = gumdash::store::sessions::delete_all_for(
        &app.pool,
        gumdash::domain::TenantId::from_db(tenant),
    )
    .await
    .unwrap();

    assert_eq!(removed, 2);
    assert_eq!(
        laptop.get("/dashboard").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        phone.get("/dashboard").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn expired_sessions_are_swept_and_live_ones_kept() {
    let app = spawn_app().await;
    app.browser.sign_in_as(&app.creator(0)).await;
    sqlx::query(
        "INSERT INTO sessions (session_key, state, expires_at) VALUES ('old', '{}', now() - interval '1 day')",
    )
    .execute(&app.pool)
    .await
    .unwrap();

    let removed = gumdash::store::sessions::delete_expired(&app.pool)
        .await
        .unwrap();

    assert_eq!(removed, 1);
    assert_eq!(app.browser.get("/dashboard").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn browsing_signed_out_pages_stores_no_session() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.new_browser().get("/").await;
    }
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
}
