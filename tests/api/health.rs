use reqwest::StatusCode;

use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_reports_a_reachable_database() {
    let app = spawn_app().await;
    let response = app.browser.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["database"], "ok");
}

#[tokio::test]
async fn healthz_says_503_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.pool.close().await;
    let response = app.browser.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn every_response_has_a_request_id_and_strict_security_headers() {
    let app = spawn_app().await;
    let response = app.browser.get("/").await;
    let headers = response.headers();
    assert!(headers.get("x-request-id").is_some_and(|v| !v.is_empty()));
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'"));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    assert_eq!(
        headers["cache-control"], "no-store",
        "pages are never cached"
    );
    assert!(
        headers.get("strict-transport-security").is_none(),
        "no HSTS on plain http"
    );
    let css = app.browser.get("/static/app.css").await;
    assert!(
        css.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("public")
    );
}

#[tokio::test]
async fn unknown_pages_get_a_friendly_404() {
    let app = spawn_app().await;
    let (status, html) = app.browser.get_html("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Page not found"));
}

#[tokio::test]
async fn log_lines_are_json_and_carry_the_request_id_the_response_shows() {
    let app = spawn_app().await;
    let response = app.browser.get("/healthz").await;
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();

    let logs = crate::helpers::captured_logs();
    let line = logs
        .lines()
        .find(|line| line.contains(&request_id))
        .expect("a log line with the request id");
    let json: serde_json::Value = serde_json::from_str(line).expect("JSON log line");
    assert_eq!(json["message"], "request finished");
    assert_eq!(json["status"], 200);
}

#[tokio::test]
async fn head_is_answered_like_get_without_a_body() {
    let app = crate::helpers::spawn_app().await;
    let browser = app.signed_in(0).await;
    for path in ["/healthz", "/sales", "/"] {
        let get = browser.get(path).await;
        let get_status = get.status();
        let head = browser.client.head(browser.url(path)).send().await.unwrap();
        assert_eq!(head.status(), get_status, "{path}");
        assert!(
            head.headers().contains_key("content-security-policy"),
            "{path}"
        );
        assert!(head.bytes().await.unwrap().is_empty(), "{path}");
    }
}
