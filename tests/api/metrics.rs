//! `/metrics`: hidden (404) without the configured bearer token; labels are route patterns, never
//! ids or anything personal; counters move with traffic.

use reqwest::StatusCode;
use secrecy::SecretString;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

const TOKEN: &str = "m3trics-token-for-the-tests-0123456789abcdef";

async fn scrape(app: &TestApp, authorization: Option<&str>) -> (StatusCode, String) {
    let mut request = reqwest::Client::new().get(format!("{}/metrics", app.address));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// The value of the sample whose name and labels are exactly `series`.
fn sample(exposition: &str, series: &str) -> f64 {
    exposition
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

#[tokio::test]
async fn metrics_do_not_exist_when_no_token_is_configured() {
    let app = spawn_app().await;
    for authorization in [None, Some("Bearer "), Some("Bearer anything-at-all")] {
        let (status, body) = scrape(&app, authorization).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{authorization:?}");
        assert!(body.contains("Page not found"));
    }
}

#[tokio::test]
async fn metrics_need_the_token_and_count_requests_by_route_pattern_not_by_path() {
    let app = spawn_app_with(|s| s.metrics_token = Some(SecretString::from(TOKEN))).await;
    let bearer = format!("Bearer {TOKEN}");
    for wrong in [
        None,
        Some("Bearer wrong".to_owned()),
        Some(format!("Bearer {TOKEN}x")),
        Some(format!("Bearer {}", &TOKEN[1..])),
        Some(TOKEN.to_owned()),
        Some(format!("Basic {TOKEN}")),
    ] {
        let (status, body) = scrape(&app, wrong.as_deref()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{wrong:?}");
        assert!(!body.contains("gumdash_"), "{wrong:?}");
    }

    let creator = app.creator(0);
    let browser = app.signed_in(0).await;
    app.run_jobs().await;
    let sale_id: String = sqlx::query_scalar("SELECT gumroad_id FROM sales ORDER BY id LIMIT 1")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let sale_page = format!("/sales/{sale_id}");
    assert_eq!(browser.get(&sale_page).await.status(), StatusCode::OK);
    assert_eq!(
        browser.get("/no/such/page").await.status(),
        StatusCode::NOT_FOUND
    );
    let series = r#"gumdash_http_requests_total{method="GET",route="/sales/{id}",status="200"}"#;

    let (status, before) = scrape(&app, Some(&bearer)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sample(&before, series), 1.0, "{before}");
    assert!(
        before.contains(r#"route="unmatched",status="404""#),
        "{before}"
    );
    assert!(
        before.contains("gumdash_http_request_duration_seconds_bucket"),
        "{before}"
    );
    assert!(
        before
            .contains(r#"gumdash_gumroad_calls_total{method="GET",endpoint="sales",outcome="ok"}"#),
        "{before}"
    );
    assert!(
        before.contains(r#"gumdash_jobs_total{kind="plan_backfill",outcome="#),
        "{before}"
    );
    assert!(before.contains("gumdash_sync_lag_seconds"), "{before}");
    for personal in [&sale_id, &creator.id, &creator.name, &creator.email] {
        assert!(
            !before.contains(personal.as_str()),
            "{personal} in the exposition"
        );
    }

    browser.get(&sale_page).await;
    let unknown_ping = reqwest::Client::new()
        .post(format!("{}/hooks/gumroad/not-a-real-key", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_ping.status(), StatusCode::NOT_FOUND);
    let (_, after) = scrape(&app, Some(&bearer)).await;
    assert_eq!(sample(&after, series), 2.0);
    assert_eq!(
        sample(
            &after,
            r#"gumdash_ping_deliveries_total{outcome="unknown"}"#
        ),
        1.0,
        "{after}"
    );
    assert!(!after.contains("not-a-real-key"));
}
