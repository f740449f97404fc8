//! The operator's side (issue 10): operators granted in the database, the client address behind
//! proxies, and the admin Creators, Audit log and Health pages.

use gumdash::cli::AdminCommand;
use reqwest::StatusCode;

use crate::helpers::{Browser, TestApp, page_text, spawn_app, spawn_app_with};

async fn admin_cli(app: &TestApp, command: AdminCommand) -> String {
    let mut out = Vec::new();
    gumdash::operators::run(&app.pool, &command, &[], "tester", &mut out)
        .await
        .unwrap();
    String::from_utf8(out).unwrap()
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE action = $1")
        .bind(action)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn grant(app: &TestApp, id: &str) -> String {
    let gumroad_user_id = id.to_owned();
    admin_cli(app, AdminCommand::Grant { gumroad_user_id }).await
}

async fn revoke(app: &TestApp, id: &str) -> String {
    let gumroad_user_id = id.to_owned();
    admin_cli(app, AdminCommand::Revoke { gumroad_user_id }).await
}

const ADMIN_PAGES: [&str; 1] = ["/admin/jobs"];

#[tokio::test]
async fn an_operator_granted_in_the_database_gets_the_admin_pages_until_revoked() {
    let app = spawn_app().await;
    let browser = app.signed_in(1).await;
    let id = app.creator(1).id;
    for path in ADMIN_PAGES {
        assert_eq!(
            browser.get_html(path).await.0,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let (_, home) = browser.get_html("/dashboard").await;
    assert!(!home.contains("href=\"/admin/jobs\""));

    let said = grant(&app, &id).await;
    assert!(said.contains("is now an operator"), "{said}");
    let said = grant(&app, &id).await;
    assert!(said.contains("already an operator"), "{said}");
    // The same session: the role is read on every request.
    for path in ADMIN_PAGES {
        assert_eq!(browser.get_html(path).await.0, StatusCode::OK, "{path}");
    }
    let (_, home) = browser.get_html("/dashboard").await;
    assert!(
        home.contains("href=\"/admin/jobs\""),
        "the header's Admin link"
    );
    let listed = admin_cli(&app, AdminCommand::List).await;
    assert!(
        listed.contains(&id)
            && listed.contains(&app.creator(1).name)
            && listed.contains("cli:tester"),
        "{listed}"
    );

    let said = revoke(&app, &id).await;
    assert!(said.contains("no longer an operator"), "{said}");
    for path in ADMIN_PAGES {
        assert_eq!(
            browser.get_html(path).await.0,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(audit_count(&app, "grant_operator").await, 1);
    assert_eq!(audit_count(&app, "revoke_operator").await, 1);
    // A revoke while the configuration still names them says so.
    let mut out = Vec::new();
    gumdash::operators::run(
        &app.pool,
        &AdminCommand::Revoke {
            gumroad_user_id: id.clone(),
        },
        std::slice::from_ref(&id),
        "tester",
        &mut out,
    )
    .await
    .unwrap();
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("GUMDASH_ADMIN_GUMROAD_IDS")
    );
}

#[tokio::test]
async fn the_admin_command_names_what_is_wrong() {
    let run = |args: &[&str], database: Option<&str>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_gumdash"));
        command.args(args).env_clear();
        if let Some(url) = database {
            command.env("DATABASE_URL", url);
        }
        let output = command.output().expect("run gumdash");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (ok, error) = run(&["admin", "list"], None);
    assert!(!ok && error.contains("DATABASE_URL is missing"), "{error}");
    let (ok, error) = run(
        &["admin", "grant", "bob"],
        Some("postgres://127.0.0.1:1/nothing"),
    );
    assert!(
        !ok && error.contains("\"bob\" is not a Gumroad numeric user id"),
        "{error}"
    );
}

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
