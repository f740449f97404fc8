//! The operator's side (issue 10): operators granted in the database, the client address behind
//! proxies, and the admin Creators, Audit log and Health pages.

use reqwest::StatusCode;

use crate::helpers::{Browser, TestApp, page_text, spawn_app, spawn_app_with};

/// Signs the browser out with `X-Forwarded-For: forwarded`, as a proxy would pass it on; returns the
/// status and the address the audit log recorded for the sign-out.
async fn sign_out_forwarded(
    app: &TestApp,
    browser: &Browser,
    forwarded: &str,
) -> (StatusCode, Option<String>) {
    let token = browser.csrf_token().await;
    let response = browser
        .client
        .post(browser.url("/auth/sign-out"))
        .header("x-forwarded-for", forwarded)
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    let ip = sqlx::query_scalar(
        "SELECT ip FROM audit_events WHERE action = 'sign_out' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    (response.status(), ip)
}

/// A fresh browser clicks "Sign in with Gumroad", claiming to be `forwarded`.
async fn start_sign_in_forwarded(app: &TestApp, forwarded: &str) -> reqwest::Response {
    let browser = app.new_browser();
    browser
        .client
        .get(browser.url("/auth/gumroad"))
        .header("x-forwarded-for", forwarded)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = spawn_app().await;
    let browser = app.signed_in(0).await;
    let (status, ip) = sign_out_forwarded(&app, &browser, "203.0.113.77").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(ip.as_deref(), Some("127.0.0.1"));

    // A different claimed address on every try does not buy a fresh budget.
    let mut statuses = Vec::new();
    for n in 0..31 {
        let response = start_sign_in_forwarded(&app, &format!("198.51.100.{n}")).await;
        statuses.push(response.status());
    }
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_address_and_sign_in_budget() {
    let app = spawn_app_with(|s| s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    let browser = app.signed_in(0).await;
    let (_, ip) = sign_out_forwarded(&app, &browser, "6.6.6.6, 203.0.113.77").await;
    assert_eq!(
        ip.as_deref(),
        Some("203.0.113.77"),
        "the right-most untrusted hop"
    );

    let mut last = None;
    for _ in 0..31 {
        last = Some(start_sign_in_forwarded(&app, "198.51.100.1").await);
    }
    let limited = last.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(page_text(&limited.text().await.unwrap()).contains("Too many attempts"));
    // Another client behind the same proxy is not locked out...
    assert_eq!(
        start_sign_in_forwarded(&app, "198.51.100.2").await.status(),
        StatusCode::SEE_OTHER
    );
    // ...and sign-out is outside the limit even for the one that is.
    let signed_in = app.signed_in(1).await;
    let (status, ip) = sign_out_forwarded(&app, &signed_in, "198.51.100.1").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(ip.as_deref(), Some("198.51.100.1"));
}
