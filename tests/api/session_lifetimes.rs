//! Session lifetimes (issue 10, item 10): an idle timeout and an absolute lifetime, configurable and
//! enforced by the server on every request; a visitor who only started a sign-in holds a row for
//! minutes. Rows are aged with SQL rather than by sleeping.

use std::collections::HashMap;
use std::time::Duration;

use gumdash::config::{SessionLifetimes, Settings};
use reqwest::StatusCode;

use crate::config::valid_env;
use crate::helpers::{Browser, TestApp, location, spawn_app, spawn_app_with};

async fn signed_in_tenant(app: &TestApp, index: usize) -> (Browser, i64) {
    let browser = app.signed_in(index).await;
    let tenant = app.tenant_id_of(&app.creator(index)).await.get();
    (browser, tenant)
}

async fn age(app: &TestApp, tenant: i64, column: &str, by: &str) {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE sessions SET {column} = {column} - interval '{by}' WHERE creator_id = $1"
    )))
    .bind(tenant)
    .execute(&app.pool)
    .await
    .unwrap();
}

/// Whether the browser is still signed in: a signed-in page, or the way to the start page.
async fn signed_in(browser: &Browser) -> bool {
    let response = browser.get("/settings").await;
    match response.status() {
        StatusCode::OK => true,
        StatusCode::SEE_OTHER => {
            assert_eq!(location(&response), "/");
            false
        }
        other => panic!("unexpected {other}"),
    }
}

#[tokio::test]
async fn an_idle_session_ends_on_the_server_after_the_idle_timeout_and_a_busy_one_does_not() {
    let app = spawn_app().await;
    let (busy, busy_tenant) = signed_in_tenant(&app, 0).await;
    let (idle, idle_tenant) = signed_in_tenant(&app, 1).await;

    // Just under two hours (the default) without a request: still signed in, and the clock restarts.
    age(&app, busy_tenant, "last_seen_at", "119 minutes").await;
    assert!(signed_in(&busy).await);
    let idle_for: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM now() - last_seen_at)::float8 FROM sessions WHERE creator_id = $1",
    )
    .bind(busy_tenant)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(idle_for < 60.0, "last_seen_at moved on: {idle_for}");
    // The row's own end follows: at most the idle timeout from now.
    let left: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM expires_at - now())::float8 FROM sessions WHERE creator_id = $1",
    )
    .bind(busy_tenant)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(left <= 2.0 * 3600.0 + 5.0 && left > 3600.0, "{left}");

    // Past it: refused, though the row's expires_at (and the cookie) say otherwise.
    age(&app, idle_tenant, "last_seen_at", "121 minutes").await;
    assert!(!signed_in(&idle).await);
    assert!(signed_in(&busy).await);
}

#[tokio::test]
async fn a_busy_session_still_ends_at_its_absolute_lifetime() {
    let app = spawn_app().await;
    let (browser, tenant) = signed_in_tenant(&app, 0).await;
    age(&app, tenant, "created_at", "23 hours 50 minutes").await;
    assert!(signed_in(&browser).await);
    // Used a minute ago, but signed in more than 24 hours (the default) ago.
    age(&app, tenant, "created_at", "11 minutes").await;
    assert!(!signed_in(&browser).await);
    // Signing in again starts a new lifetime.
    browser.sign_in_as(&app.creator(0)).await;
    assert!(signed_in(&browser).await);
}

#[tokio::test]
async fn the_limits_come_from_the_configuration() {
    let app = spawn_app_with(|s| {
        s.sessions = SessionLifetimes {
            idle: Duration::from_secs(10 * 60),
            max: Duration::from_secs(3600),
        }
    })
    .await;
    let (idle, idle_tenant) = signed_in_tenant(&app, 0).await;
    let (old, old_tenant) = signed_in_tenant(&app, 1).await;
    age(&app, idle_tenant, "last_seen_at", "11 minutes").await;
    age(&app, old_tenant, "created_at", "61 minutes").await;
    assert!(!signed_in(&idle).await);
    assert!(!signed_in(&old).await);
}

#[tokio::test]
async fn a_visitor_who_only_started_a_sign_in_holds_a_row_for_minutes() {
    let app = spawn_app().await;
    let visitor = app.new_browser();
    visitor.start_sign_in().await;
    let rows: Vec<(Option<i64>, f64)> = sqlx::query_as(
        "SELECT creator_id, extract(epoch FROM expires_at - now())::float8 FROM sessions",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, None);
    assert!(rows[0].1 <= 15.0 * 60.0 + 5.0, "{}", rows[0].1);
    // The signed-in session that follows gets the idle timeout, not the sign-in's minutes.
    let (_, tenant) = signed_in_tenant(&app, 0).await;
    let left: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM expires_at - now())::float8 FROM sessions WHERE creator_id = $1",
    )
    .bind(tenant)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(left > 3600.0, "{left}");

    // A pending sign-in older than its minutes is gone: the callback finds no state.
    let late = app.new_browser();
    let authorize = late.start_sign_in().await;
    sqlx::query(
        "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE creator_id IS NULL",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let callback = late.consent(&authorize, &app.creator(1), true).await;
    let finished = late.finish_sign_in(&callback).await;
    assert_eq!(finished.status(), StatusCode::BAD_REQUEST);
}

#[test]
fn session_lifetimes_have_defaults_and_every_bad_value_is_named() {
    let load =
        |env: &HashMap<&'static str, String>| Settings::from_lookup(&|name| env.get(name).cloned());
    let settings = load(&valid_env()).unwrap();
    assert_eq!(settings.sessions, SessionLifetimes::default());
    assert_eq!(settings.sessions.idle, Duration::from_secs(2 * 3600));
    assert_eq!(settings.sessions.max, Duration::from_secs(24 * 3600));

    let mut env = valid_env();
    env.insert("GUMDASH_SESSION_IDLE_MINUTES", "30".into());
    env.insert("GUMDASH_SESSION_MAX_HOURS", "8".into());
    let settings = load(&env).unwrap();
    assert_eq!(settings.sessions.idle, Duration::from_secs(30 * 60));
    assert_eq!(settings.sessions.max, Duration::from_secs(8 * 3600));

    // Both bad, with another bad variable: all named at once.
    env.insert("GUMDASH_SESSION_IDLE_MINUTES", "soon".into());
    env.insert("GUMDASH_SESSION_MAX_HOURS", "0".into());
    env.insert("GUMDASH_WORKERS", "-1".into());
    let error = load(&env).unwrap_err();
    for variable in [
        "GUMDASH_SESSION_IDLE_MINUTES",
        "GUMDASH_SESSION_MAX_HOURS",
        "GUMDASH_WORKERS",
    ] {
        assert!(error.mentions(variable), "{variable}: {error}");
    }

    // An idle timeout longer than the absolute lifetime makes no sense.
    let mut env = valid_env();
    env.insert("GUMDASH_SESSION_IDLE_MINUTES", "600".into());
    env.insert("GUMDASH_SESSION_MAX_HOURS", "2".into());
    let error = load(&env).unwrap_err();
    assert!(error.mentions("GUMDASH_SESSION_IDLE_MINUTES"), "{error}");
    assert!(error.to_string().contains("GUMDASH_SESSION_MAX_HOURS"));
}
