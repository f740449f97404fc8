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

/// Signs creator `index` in and makes them an operator through the database.
async fn operator(app: &TestApp, index: usize) -> Browser {
    let browser = app.signed_in(index).await;
    grant(app, &app.creator(index).id).await;
    browser
}

async fn tenant_id(app: &TestApp, index: usize) -> i64 {
    sqlx::query_scalar("SELECT id FROM creators WHERE gumroad_user_id = $1")
        .bind(app.creator(index).id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
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

const ADMIN_PAGES: [&str; 4] = [
    "/admin/creators",
    "/admin/audit",
    "/admin/health",
    "/admin/jobs",
];

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
    assert!(!home.contains("href=\"/admin/creators\""));

    let said = grant(&app, &id).await;
    assert!(said.contains("is now an operator"), "{said}");
    let said = grant(&app, &id).await;
    assert!(said.contains("already an operator"), "{said}");
    // The same session: the role is read on every request.
    for path in ADMIN_PAGES {
        let (status, html) = browser.get_html(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        // The admin sub-navigation on every admin page.
        for link in ADMIN_PAGES {
            assert!(html.contains(&format!("href=\"{link}\"")), "{path}: {link}");
        }
    }
    let (_, home) = browser.get_html("/dashboard").await;
    assert!(
        home.contains("href=\"/admin/creators\""),
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

#[tokio::test]
async fn the_creators_page_lists_every_tenant_with_its_health_and_finds_and_pages_them() {
    let app = spawn_app().await;
    let _creator = app.signed_in(0).await;
    let _other = app.signed_in(2).await;
    let admin = operator(&app, 1).await;
    app.run_jobs().await;
    let first = tenant_id(&app, 0).await;
    let sales: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(sales_count), 0)::int8 FROM sales_totals WHERE creator_id = $1",
    )
    .bind(first)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(sales > 0, "the backfill mirrored some sales");

    let (status, html) = admin.get_html("/admin/creators").await;
    assert_eq!(status, StatusCode::OK);
    let text = page_text(&html);
    for index in 0..3 {
        let seeded = app.creator(index);
        assert!(
            text.contains(&seeded.name) && text.contains(&seeded.id),
            "{text}"
        );
        let href = format!("href=\"/admin/creators/{}\"", tenant_id(&app, index).await);
        assert!(html.contains(&href), "{href}");
    }
    assert!(text.contains("ok") && text.contains("view_sales"), "{text}");
    assert!(
        text.contains(&sales.to_string()),
        "{sales} sales mirrored: {text}"
    );

    // Search by name, email or Gumroad id.
    let seeded = app.creator(0);
    for q in [
        seeded.name.clone(),
        seeded.email.to_uppercase(),
        seeded.id.clone(),
    ] {
        let (_, html) = admin
            .get_html(&format!("/admin/creators?q={}", urlencode(&q)))
            .await;
        let text = page_text(&html);
        assert!(text.contains(&seeded.name), "{q}: {text}");
        assert!(!text.contains(&app.creator(2).name), "{q}: {text}");
    }
    // Filter by state.
    sqlx::query("UPDATE creators SET state = 'disabled' WHERE id = $1")
        .bind(tenant_id(&app, 2).await)
        .execute(&app.pool)
        .await
        .unwrap();
    let (_, html) = admin.get_html("/admin/creators?state=disabled").await;
    let text = page_text(&html);
    assert!(
        text.contains(&app.creator(2).name) && text.contains("disabled"),
        "{text}"
    );
    assert!(!text.contains(&app.creator(0).name), "{text}");

    // Keyset pages: 60 more creators, 50 a page, every one exactly once.
    sqlx::query(
        "INSERT INTO creators (gumroad_user_id, name, created_at)
         SELECT (900000 + n)::text, 'Bulk creator ' || n, now() - make_interval(mins => n)
         FROM generate_series(1, 60) n",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let mut seen = Vec::new();
    let mut path = "/admin/creators".to_owned();
    for _ in 0..5 {
        let (status, html) = admin.get_html(&path).await;
        assert_eq!(status, StatusCode::OK);
        let document = scraper::Html::parse_document(&html);
        let rows = scraper::Selector::parse("table.list tbody tr td:first-child a").unwrap();
        seen.extend(
            document
                .select(&rows)
                .map(|a| a.value().attr("href").unwrap().to_owned()),
        );
        let next = scraper::Selector::parse("a[rel=next]").unwrap();
        match document.select(&next).next() {
            Some(a) => path = a.value().attr("href").unwrap().to_owned(),
            None => break,
        }
    }
    let total = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!((total, seen.len()), (63, 63));
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn the_audit_log_shows_who_what_and_from_where_filtered_and_paged_without_buyer_data() {
    let app = spawn_app().await;
    let _creator = app.signed_in(0).await;
    let admin = operator(&app, 1).await;
    let creator = tenant_id(&app, 0).await;
    sqlx::query(
        "INSERT INTO audit_events (actor, action, creator_id, ip, detail)
         VALUES ($1, 'mark_shipped', $2, '198.51.100.9',
                 '{\"sale_id\": \"sale-1\", \"tracking_url\": \"https://t.example/buyer@example.com\"}')",
    )
    .bind(format!("creator:{creator}"))
    .bind(creator)
    .execute(&app.pool)
    .await
    .unwrap();

    let (status, html) = admin.get_html("/admin/audit").await;
    assert_eq!(status, StatusCode::OK);
    let text = page_text(&html);
    assert!(
        text.contains("sign_in") && text.contains("127.0.0.1"),
        "{text}"
    );
    assert!(
        text.contains("grant_operator") && text.contains("system"),
        "{text}"
    );
    assert!(
        text.contains("sale_id: sale-1") && text.contains("tracking_url: (not shown)"),
        "{text}"
    );
    assert!(!html.contains("buyer@example.com"));
    // Newest first: the shipping entry was written last.
    assert!(text.find("mark_shipped").unwrap() < text.find("sign_in").unwrap());

    let (_, html) = admin
        .get_html(&format!(
            "/admin/audit?actor=creator:{creator}&action=sign_in"
        ))
        .await;
    let text = page_text(&html);
    assert!(
        text.contains("sign_in") && !text.contains("mark_shipped"),
        "{text}"
    );
    assert!(!text.contains("grant_operator"), "{text}");
    let (_, html) = admin.get_html("/admin/audit?actor=system").await;
    let text = page_text(&html);
    assert!(
        text.contains("grant_operator") && !text.contains("sign_in"),
        "{text}"
    );
    let (_, html) = admin
        .get_html(&format!("/admin/audit?creator={creator}"))
        .await;
    let text = page_text(&html);
    assert!(
        text.contains("mark_shipped") && !text.contains("grant_operator"),
        "{text}"
    );
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%d");
    let (status, html) = admin
        .get_html(&format!("/admin/audit?from={tomorrow}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page_text(&html).contains("No entry matches."));
    let (status, html) = admin.get_html("/admin/audit?from=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page_text(&html).contains("Enter a date like"));

    // Keyset pages, newest first, every entry once.
    sqlx::query(
        "INSERT INTO audit_events (at, actor, action, detail)
         SELECT now() - make_interval(secs => n), 'system', 'bulk_' || n, '{}'
         FROM generate_series(1, 70) n",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let expected: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let mut seen = 0;
    let mut path = "/admin/audit".to_owned();
    let mut pages = 0;
    loop {
        pages += 1;
        let (_, html) = admin.get_html(&path).await;
        let document = scraper::Html::parse_document(&html);
        seen += document
            .select(&scraper::Selector::parse("table.list tbody tr").unwrap())
            .count() as i64;
        match document
            .select(&scraper::Selector::parse("a[rel=next]").unwrap())
            .next()
        {
            Some(a) => path = a.value().attr("href").unwrap().to_owned(),
            None => break,
        }
        assert!(pages < 5);
    }
    assert_eq!((pages, seen), (2, expected));
}

#[tokio::test]
async fn the_health_page_reports_the_database_queue_syncs_pings_and_server() {
    let app = spawn_app().await;
    let admin = operator(&app, 0).await;
    sqlx::query("UPDATE sync_states SET last_error = 'Gumroad is busy', last_error_at = now()")
        .execute(&app.pool)
        .await
        .unwrap();
    let (status, html) = admin.get_html("/admin/health").await;
    assert_eq!(status, StatusCode::OK);
    let text = page_text(&html);
    let files: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let migrations = files.len();
    assert!(
        text.contains(&format!("{migrations} of {migrations} known")),
        "{migrations}: {text}"
    );
    let latest = files.iter().max().unwrap();
    let (version, name) = latest.trim_end_matches(".sql").split_once('_').unwrap();
    // The sign-in's profile call, counted by this instance's metrics.
    assert!(
        text.contains("Gumroad calls 1 since this server started, 0 failed (0%)"),
        "{text}"
    );
    // sqlx describes a migration by its file name with spaces for underscores.
    let name = name.replace('_', " ");
    assert!(
        text.contains(&format!("{version} ({})", name.replace('_', " "))),
        "the latest migration, {latest}: {text}"
    );
    for words in [
        "Reachable yes",
        "Ready to run",
        "failed job(s)",
        "Gumroad is busy",
        "deliveries received",
        env!("CARGO_PKG_VERSION"),
        "Up for",
    ] {
        assert!(text.contains(words), "{words}: {text}");
    }
    assert!(html.contains("href=\"/admin/jobs\""));
}

#[tokio::test]
async fn admin_pages_answer_head_like_get_and_strangers_are_not_logged_as_errors() {
    let app = spawn_app().await;
    let admin = operator(&app, 0).await;
    for path in ADMIN_PAGES {
        let head = admin.client.head(admin.url(path)).send().await.unwrap();
        assert_eq!(head.status(), StatusCode::OK, "{path}");
        assert!(head.bytes().await.unwrap().is_empty(), "{path}");
    }
    let response = app.new_browser().get("/admin/creators").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    crate::helpers::assert_logged_without_error(&response);
}
