//! The database goes away and comes back: every route answers a clear "temporarily unavailable"
//! page quickly (503, `Retry-After`, the usual security headers) and recovers by itself. A query
//! that is wrong is a 500, not "unavailable"; a unique violation on a form is a field's message.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gumdash::store;
use reqwest::StatusCode;
use sqlx::postgres::PgConnectOptions;

use crate::helpers::{captured_logs, page_text, spawn_app, spawn_app_with_pool};

/// A TCP proxy in front of PostgreSQL that a test can cut (every open connection dropped, new ones
/// closed at once, as when the database host goes away) and restore.
#[derive(Clone)]
struct Proxy {
    port: u16,
    cut: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Proxy {
    fn start(target: &PgConnectOptions) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        let proxy = Self {
            port,
            cut: Arc::new(AtomicBool::new(false)),
            links: Arc::new(Mutex::new(Vec::new())),
        };
        let (host, target_port) = (target.get_host().to_owned(), target.get_port());
        let accepting = proxy.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if accepting.cut.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let link = tokio::spawn(relay(client, host.clone(), target_port));
                accepting.links.lock().unwrap().push(link.abort_handle());
            }
        });
        proxy
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

async fn relay(mut client: tokio::net::TcpStream, host: String, port: u16) {
    if host.starts_with('/') {
        let socket = format!("{host}/.s.PGSQL.{port}");
        if let Ok(mut server) = tokio::net::UnixStream::connect(socket).await {
            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        }
    } else if let Ok(mut server) = tokio::net::TcpStream::connect((host.as_str(), port)).await {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
    }
}

#[tokio::test]
async fn with_the_database_gone_every_route_says_temporarily_unavailable_quickly_and_recovers() {
    let slot: Arc<Mutex<Option<Proxy>>> = Arc::default();
    let app = {
        let slot = slot.clone();
        spawn_app_with_pool(
            move |options| {
                let proxy = Proxy::start(options);
                let through = options.clone().host("127.0.0.1").port(proxy.port);
                *slot.lock().unwrap() = Some(proxy);
                store::web_pool(through, gumdash::config::PoolSizes::DEFAULT_WEB)
            },
            |_| {},
        )
        .await
    };
    let proxy = slot.lock().unwrap().clone().unwrap();
    let browser = app.signed_in(0).await;
    assert_eq!(browser.get("/dashboard").await.status(), StatusCode::OK);

    proxy.cut();
    let visitor = app.new_browser();
    let signed_in_pages = ["/dashboard", "/products", "/sales", "/account", "/healthz"];
    let checks = signed_in_pages
        .iter()
        .map(|path| (&browser, *path))
        // A visitor starting a sign-in: the session is written after the handler ran.
        .chain([(&visitor, "/auth/gumroad"), (&visitor, "/healthz")]);
    for (who, path) in checks {
        let started = Instant::now();
        let response = who.get(path).await;
        let took = started.elapsed();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert!(took < Duration::from_millis(2500), "{path} took {took:?}");
        let headers = response.headers().clone();
        assert_eq!(headers["retry-after"], "5", "{path}");
        assert!(headers.contains_key("content-security-policy"), "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert!(headers.contains_key("x-request-id"), "{path}");
        let body = response.text().await.unwrap();
        if path != "/healthz" {
            let text = page_text(&body);
            assert!(text.contains("Temporarily unavailable"), "{path}: {text}");
            assert!(text.contains("Try again"), "{path}: {text}");
        }
    }
    // A form post while away: the same page, nothing half done.
    let response = browser
        .post_form("/settings/time-zone", &[("time_zone", "Europe/Paris")])
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = browser.get("/dashboard").await.status();
        if status == StatusCode::OK {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still {status} after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(browser.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(browser.get("/products").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_query_that_is_wrong_is_a_500_with_its_detail_in_the_log_not_unavailable() {
    let app = spawn_app().await;
    let browser = app.signed_in(0).await;
    // A schema that no longer matches the code: every signed-in page's creator lookup fails.
    sqlx::query("ALTER TABLE creators RENAME COLUMN time_zone TO time_zone_renamed")
        .execute(&app.pool)
        .await
        .unwrap();

    let response = browser.get("/dashboard").await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(response.headers().get("retry-after").is_none());
    assert!(response.headers().contains_key("content-security-policy"));
    let text = page_text(&response.text().await.unwrap());
    assert!(text.contains("Something went wrong"), "{text}");
    assert!(
        !text.contains("time_zone") && !text.contains("unavailable"),
        "{text}"
    );
    let logs = captured_logs();
    assert!(
        logs.lines()
            .any(|line| line.contains("request failed") && line.contains("time_zone")),
        "the detail is logged"
    );
}

#[tokio::test]
async fn a_unique_violation_becomes_a_message_beside_its_field() {
    let app = spawn_app().await;
    let insert = "INSERT INTO creators (gumroad_user_id, name) VALUES ('1234', 'First')";
    sqlx::query(insert).execute(&app.pool).await.unwrap();
    let error = sqlx::query(insert).execute(&app.pool).await.unwrap_err();

    assert_eq!(
        store::unique_violation(&error).as_deref(),
        Some("creators_gumroad_user_id_key")
    );
    assert!(!store::is_unavailable(&error));
    let fields = [(
        "creators_gumroad_user_id_key",
        "gumroad_user_id",
        "This Gumroad account is already connected.",
    )];
    let errors = gumdash::web::FormErrors::from_unique_violation(&error, &fields).unwrap();
    assert_eq!(
        errors.get("gumroad_user_id"),
        Some("This Gumroad account is already connected.")
    );
    let other = sqlx::query("SELECT nonsense FROM creators")
        .execute(&app.pool)
        .await
        .unwrap_err();
    assert!(gumdash::web::FormErrors::from_unique_violation(&other, &fields).is_none());
    assert!(store::unique_violation(&other).is_none() && !store::is_unavailable(&other));
    app.pool.close().await;
    let closed = sqlx::query("SELECT 1")
        .execute(&app.pool)
        .await
        .unwrap_err();
    assert!(store::is_unavailable(&closed));
}
