//! The sales mirror end to end: the backfill over real HTTP against the simulator, crash safety,
//! Gumroad faults, reconciliation, the pages' filters against the simulator's own, and isolation.

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Browser, TestApp, free_port, page_text, spawn_app};

/// Every sale the simulator lists for the creator (the API's own filters), walked page by page.
pub(crate) async fn sim_sales(
    app: &TestApp,
    creator: usize,
    filters: &[(&str, &str)],
) -> Vec<Value> {
    let token = app.sim.issue_token(
        &app.settings.gumroad.client_id,
        &app.creator(creator).id,
        &["view_sales"],
    );
    let http = reqwest::Client::new();
    let mut out = Vec::new();
    let mut page_key: Option<String> = None;
    loop {
        let mut query: Vec<(&str, String)> =
            filters.iter().map(|(k, v)| (*k, v.to_string())).collect();
        if let Some(key) = &page_key {
            query.push(("page_key", key.clone()));
        }
        let body: Value = http
            .get(format!("{}/v2/sales", app.sim.base_url()))
            .bearer_auth(&token)
            .query(&query)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        out.extend(body["sales"].as_array().unwrap().iter().cloned());
        match body.get("next_page_key").and_then(Value::as_str) {
            Some(key) => page_key = Some(key.to_owned()),
            None => return out,
        }
    }
}

pub(crate) fn ids(sales: &[Value]) -> BTreeSet<String> {
    sales
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

/// What the mirror holds for the creator: ids, count and the sum of Gumroad's USD cents.
async fn mirrored(app: &TestApp, creator: usize) -> (BTreeSet<String>, i64, i64) {
    let tenant = app.tenant_id_of(&app.creator(creator)).await;
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT gumroad_id, price_usd_cents FROM sales WHERE creator_id = $1")
            .bind(tenant.get())
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let sum = rows.iter().map(|(_, cents)| cents).sum();
    let count = rows.len() as i64;
    (rows.into_iter().map(|(id, _)| id).collect(), count, sum)
}

/// The mirror equals the simulator's sales exactly: same ids, count and USD sum, and the rollups
/// agree with the rows.
async fn assert_mirror_matches(app: &TestApp, creator: usize) {
    let expected = sim_sales(app, creator, &[]).await;
    let (ids_here, count, sum) = mirrored(app, creator).await;
    assert_eq!(
        count,
        expected.len() as i64,
        "as many sales as Gumroad lists"
    );
    assert_eq!(ids_here, ids(&expected), "the same sales");
    let expected_sum: i64 = expected.iter().map(|s| s["price"].as_i64().unwrap()).sum();
    assert_eq!(sum, expected_sum, "the same USD cents");
    let tenant = app.tenant_id_of(&app.creator(creator)).await;
    for table in ["sales_daily", "sales_daily_all", "sales_totals"] {
        let (rolled_count, rolled_sum): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT coalesce(sum(sales_count), 0)::int8, coalesce(sum(gross_usd_cents), 0)::int8
             FROM {table} WHERE creator_id = $1"
        )))
        .bind(tenant.get())
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!((rolled_count, rolled_sum), (count, sum), "{table} agrees");
    }
}

pub(crate) async fn signed_in_and_synced(app: &TestApp) -> Browser {
    let browser = app.signed_in(0).await;
    app.run_jobs().await;
    assert_eq!(app.failed_jobs().await, vec![]);
    browser
}

#[tokio::test]
async fn the_backfill_stores_exactly_the_simulators_sales() {
    let app = spawn_app().await;
    let browser = signed_in_and_synced(&app).await;
    assert!(sim_sales(&app, 0, &[]).await.len() > 100, "a real history");
    assert_mirror_matches(&app, 0).await;
    let (status, html) = browser.get_html("/sales/sync").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page_text(&html).contains("Complete"),
        "{}",
        page_text(&html)
    );
    // Fetching everything again changes nothing (no rollup drift).
    browser.submit("/sales/sync", &[]).await;
    app.run_jobs().await;
    assert_mirror_matches(&app, 0).await;
}

#[tokio::test]
async fn kill_9_mid_backfill_then_another_instance_loses_and_duplicates_nothing() {
    let app = spawn_app().await;
    let browser = app.signed_in(0).await;
    // Slow Gumroad down so the backfill is still going when the process dies.
    app.inject_fault(
        json!({"path": "/v2/sales", "kind": "latency", "latency_ms": 40, "duration_ms": 60_000}),
    )
    .await;
    let port = free_port();
    let mut process = app.serve_process(port, 4);
    let expected = app.sim.sales_of(&app.creator(0).id).len() as i64;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (_, stored, _) = mirrored(&app, 0).await;
        if stored >= 40 {
            assert!(stored < expected, "the backfill finished before the kill");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the worker process stored nothing"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The other instance accepts this browser's session: sessions live in the shared database.
    let cookie = browser.cookie_header().expect("a session cookie");
    let sent = cookie.clone();

    let page = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/sales"))
        .header(reqwest::header::COOKIE, sent)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("<h1>Sales</h1>"), "{}", page_text(&html));
    process.start_kill().unwrap(); // SIGKILL: no shutdown, no cleanup, leases left held
    process.wait().await.unwrap();
    app.clear_faults().await;
    // Its leases run out, and any retry pause it had set passes (a minute or so; here the clock is
    // moved for them); then another instance (this test's own workers) carries on from the
    // checkpoints.
    sqlx::query(
        "UPDATE jobs SET locked_until = now() - interval '1 second' WHERE state = 'running'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE jobs SET run_at = now() WHERE state = 'pending' AND kind <> 'schedule'")
        .execute(&app.pool)
        .await
        .unwrap();
    app.background()
        .queue
        .recover_expired_leases()
        .await
        .unwrap();
    app.run_jobs().await;
    assert_eq!(app.failed_jobs().await, vec![]);
    assert_mirror_matches(&app, 0).await;
}

#[tokio::test]
async fn gumroad_faults_during_the_backfill_lose_nothing() {
    let app = spawn_app().await;
    for fault in [
        json!({"path": "/v2/sales", "kind": "status", "status": 429, "times": 3}),
        json!({"path": "/v2/sales", "kind": "status", "status": 502, "times": 3}),
        json!({"path": "/v2/sales", "kind": "malformed_json", "times": 2}),
        json!({"path": "/v2/sales", "kind": "hang", "times": 1}),
    ] {
        app.inject_fault(fault).await;
    }
    signed_in_and_synced(&app).await;
    assert_mirror_matches(&app, 0).await;
}

#[tokio::test]
async fn a_revoked_token_stops_the_sync_and_signing_in_again_resumes_it() {
    let app = spawn_app().await;
    let browser = app.signed_in(0).await;
    app.sim.revoke_tokens_of(&app.creator(0).id);
    app.run_jobs().await;
    assert_eq!(
        app.failed_jobs().await,
        vec![],
        "a revoked token is not a job failure"
    );
    let (status, _) = browser.get_html("/sales").await;
    assert_ne!(status, StatusCode::OK, "the creator is asked to reconnect");
    browser.sign_in_as(&app.creator(0)).await;
    app.run_jobs().await;
    assert_eq!(app.failed_jobs().await, vec![]);
    assert_mirror_matches(&app, 0).await;
}

#[tokio::test]
async fn a_refund_made_after_the_backfill_shows_after_reconciliation() {
    let app = spawn_app().await;
    let browser = signed_in_and_synced(&app).await;
    let sale = sim_sales(&app, 0, &[])
        .await
        .into_iter()
        .find(|s| s["price"].as_i64() > Some(0) && s.get("refunded") != Some(&json!(true)))
        .unwrap();
    let id = sale["id"].as_str().unwrap().to_owned();
    app.sim.refund_sale(&id, None);
    let tenant = app.tenant_id_of(&app.creator(0)).await;
    app.enqueue_sync(tenant, true).await;
    app.run_jobs().await;
    let (status, html) = browser
        .get_html(&format!("/sales/{}", urlencode(&id)))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page_text(&html).contains("Refunded"),
        "{}",
        page_text(&html)
    );
    assert_mirror_matches(&app, 0).await;
}

pub(crate) fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A row of the sales list as shown: the sale's id (from its link), its time in the creator's zone
/// and its product.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ListedSale {
    pub id: String,
    pub local_time: String,
    pub product: String,
}

/// The sale ids a sales list shows, following its "Older" links to the end.
async fn listed(browser: &Browser, first: &str) -> (StatusCode, BTreeSet<String>) {
    let (status, rows) = listed_in_order(browser, first).await;
    let mut out = BTreeSet::new();
    for row in rows {
        assert!(out.insert(row.id), "a sale listed twice");
    }
    (status, out)
}

/// Every row a sales list shows, in its order, following its "Older" links to the end.
pub(crate) async fn listed_in_order(
    browser: &Browser,
    first: &str,
) -> (StatusCode, Vec<ListedSale>) {
    let mut out = Vec::new();
    let mut next = Some(first.to_owned());
    let mut status = StatusCode::OK;
    let select = |css: &str| scraper::Selector::parse(css).unwrap();
    let text = |element: scraper::ElementRef| element.text().collect::<String>().trim().to_owned();
    while let Some(path) = next.take() {
        let (page_status, html) = browser.get_html(&path).await;
        status = page_status;
        let document = scraper::Html::parse_document(&html);
        for row in document.select(&select("table.sales tbody tr")) {
            let link = row.select(&select("a[href^='/sales/']")).next().unwrap();
            let href = link.value().attr("href").unwrap();
            let id = percent_encoding::percent_decode_str(&href["/sales/".len()..])
                .decode_utf8()
                .unwrap()
                .into_owned();
            out.push(ListedSale {
                id,
                local_time: text(row.select(&select("time")).next().unwrap()),
                product: text(
                    row.select(&select("td[data-label='Product']"))
                        .next()
                        .unwrap(),
                ),
            });
        }
        let older = scraper::Selector::parse("a[rel='next']").unwrap();
        next = document
            .select(&older)
            .next()
            .map(|a| a.value().attr("href").unwrap().replace("&amp;", "&"));
    }
    (status, out)
}

#[tokio::test]
async fn every_filter_returns_what_the_simulators_own_filters_return() {
    let app = spawn_app().await;
    let browser = signed_in_and_synced(&app).await;
    // Gumroad's date filters are UTC days: compare in UTC.
    let response = browser
        .submit("/settings/time-zone", &[("time_zone", "UTC")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    app.run_jobs().await;

    let all = sim_sales(&app, 0, &[]).await;
    let (_, everything) = listed(&browser, "/sales").await;
    assert_eq!(everything, ids(&all), "paging through every sale");

    let product = all[all.len() / 2]["product_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let email = all[3]["email"].as_str().unwrap().to_owned();
    let middle = all[all.len() / 2]["created_at"].as_str().unwrap()[..10].to_owned();
    let day: chrono::NaiveDate = middle.parse().unwrap();
    let from = (day - chrono::Duration::days(20)).to_string();
    let to = day.to_string();
    let before = (day + chrono::Duration::days(1)).to_string();

    let cases: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("/sales?product={}", urlencode(&product)),
            vec![("product_id", &product)],
        ),
        (
            format!("/sales?from={from}&to={to}"),
            vec![("after", &from), ("before", &before)],
        ),
        (
            format!("/sales?product={}&from={from}&to={to}", urlencode(&product)),
            vec![
                ("product_id", &product),
                ("after", &from),
                ("before", &before),
            ],
        ),
        (format!("/sales?from={from}"), vec![("after", &from)]),
        (format!("/sales?to={to}"), vec![("before", &before)]),
    ];
    for (page, filters) in cases {
        let (status, shown) = listed(&browser, &page).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(shown, ids(&sim_sales(&app, 0, &filters).await), "{page}");
    }
    // Search matches any part of an email or name: every exact-email sale is found.
    let (_, found) = listed(&browser, &format!("/sales?q={}", urlencode(&email))).await;
    let exact = ids(&sim_sales(&app, 0, &[("email", &email)]).await);
    assert!(!exact.is_empty() && exact.is_subset(&found));
    let (_, html) = browser
        .get_html(&format!("/sales?q={}", urlencode(&email)))
        .await;
    let counted = format!(
        "{} sale{} match",
        found.len(),
        if found.len() == 1 { "" } else { "s" }
    );
    assert!(page_text(&html).contains(&counted), "{}", page_text(&html));
    // A search matching more than a page says so rather than counting every match.
    let (_, html) = browser.get_html("/sales?q=e").await;
    assert!(
        page_text(&html).contains("More than 50 sales match"),
        "{}",
        page_text(&html)
    );
    let local_part = email.split('@').next().unwrap().to_uppercase();
    let (_, by_part) = listed(&browser, &format!("/sales?q={}", urlencode(&local_part))).await;
    assert!(
        exact.is_subset(&by_part),
        "case-insensitive, part of the email"
    );
    // States: what Gumroad flags.
    let refunded: BTreeSet<String> = all
        .iter()
        .filter(|s| s["refunded"] == json!(true) || s["partially_refunded"] == json!(true))
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!refunded.is_empty());
    assert_eq!(listed(&browser, "/sales?state=refunded").await.1, refunded);
    let free: BTreeSet<String> = all
        .iter()
        .filter(|s| s["price"] == json!(0))
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed(&browser, "/sales?state=free").await.1, free);
    // A bad date is a message beside the field, with the right status.
    let (status, html) = browser.get_html("/sales?from=2026-02-31").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page_text(&html).contains("Enter a date like"));
}

#[tokio::test]
async fn another_creators_sale_is_a_404_like_an_unknown_one() {
    let app = spawn_app().await;
    signed_in_and_synced(&app).await;
    let theirs = sim_sales(&app, 0, &[]).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = app.signed_in(2).await;
    let (status, html) = other
        .get_html(&format!("/sales/{}", urlencode(&theirs)))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!html.contains(&theirs));
    let (unknown, _) = other.get_html("/sales/no-such-sale").await;
    assert_eq!(unknown, StatusCode::NOT_FOUND);
    let (status, html) = other.get_html("/sales").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page_text(&html).contains("No sales"),
        "{}",
        page_text(&html)
    );
}

#[tokio::test]
async fn sales_pages_need_a_session_and_their_forms_a_csrf_token() {
    let app = spawn_app().await;
    let anonymous = app.new_browser();
    for path in ["/sales", "/sales/sync", "/sales/abc", "/settings"] {
        let response = anonymous.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
    }
    let creator = app.signed_in(0).await;
    for path in ["/sales/sync", "/settings/time-zone"] {
        let response = creator
            .post_form(path, &[("time_zone", "Europe/Paris")])
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE kind = 'redate_sales'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(jobs, 0, "nothing was changed without the token");
}

#[tokio::test]
async fn sync_now_cannot_flood_the_queue_and_a_bad_zone_is_refused_beside_the_field() {
    let app = spawn_app().await;
    let browser = signed_in_and_synced(&app).await;
    let first = browser.submit("/sales/sync", &[]).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let (_, html) = browser.get_html("/sales/sync").await;
    assert!(page_text(&html).contains("Sync started"));
    for _ in 0..5 {
        browser.submit("/sales/sync", &[]).await;
    }
    let (_, html) = browser.get_html("/sales/sync").await;
    assert!(page_text(&html).contains("started moments ago"));
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE kind = 'sync_recent'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        queued, 1,
        "one incremental sync, however often the button is pressed"
    );

    let refused = browser
        .submit("/settings/time-zone", &[("time_zone", "Mars/Olympus_Mons")])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(page_text(&html).contains("Choose a time zone from the list."));
    let (zone,): (String,) =
        sqlx::query_as("SELECT time_zone FROM creators WHERE gumroad_user_id = $1")
            .bind(&app.creator(0).id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_ne!(zone, "Mars/Olympus_Mons");
}

#[tokio::test]
async fn a_sale_made_after_the_backfill_shows_after_sync_now() {
    let app = spawn_app().await;
    let browser = signed_in_and_synced(&app).await;
    let sale = app.sim.create_sale(
        &app.creator(0).id,
        json!({"email": "new.buyer@example.net", "full_name": "Nova Buyer"}),
    );
    let id = sale["id"].as_str().expect("a sale was made").to_owned();
    // The list's count comes from the rollups, cached per instance: both must show the new sale.
    let other_instance = app.start_another_dashboard(|_| {}).await.unwrap();
    let count_on = |base: String| {
        let browser = &browser;
        async move {
            let text = page_text(&browser.get_html(&format!("{base}/sales")).await.1);
            let before = text.split(" sales.").next().unwrap_or_default();
            let count = before
                .rsplit(' ')
                .next()
                .and_then(|n| n.parse::<i64>().ok());
            (count.unwrap_or_else(|| panic!("no count: {text}")), text)
        }
    };
    let (count, text) = count_on(app.address.clone()).await;
    assert!(!text.contains("Nova Buyer"), "not before a sync");
    assert_eq!(count_on(other_instance.clone()).await.0, count);
    browser.submit("/sales/sync", &[]).await;
    app.run_jobs().await;
    let (after, text) = count_on(app.address.clone()).await;
    assert!(text.contains("Nova Buyer"), "{text}");
    assert_eq!(after, count + 1, "{text}");
    assert_eq!(count_on(other_instance).await.0, count + 1);
    let (status, _) = browser
        .get_html(&format!("/sales/{}", urlencode(&id)))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_mirror_matches(&app, 0).await;
}

#[tokio::test]
async fn hostile_data_and_input_neither_stall_the_sync_nor_break_the_pages() {
    let app = spawn_app().await;
    // Long rate limiting while the history is being searched: the backfill waits, then finishes.
    app.inject_fault(json!({"path": "/v2/sales", "kind": "status", "status": 429, "times": 30}))
        .await;
    let browser = signed_in_and_synced(&app).await;
    assert_mirror_matches(&app, 0).await;
    // A buyer whose name holds a NUL (PostgreSQL text cannot): stored without it.
    let sale = app.sim.create_sale(
        &app.creator(0).id,
        json!({"email": "nul@example.net", "full_name": "Ann\u{0}Lee"}),
    );
    assert!(sale.get("id").is_some(), "{sale}");
    browser.submit("/sales/sync", &[]).await;
    app.run_jobs().await;
    assert_eq!(app.failed_jobs().await, vec![]);
    let (_, html) = browser.get_html("/sales?q=nul%40example").await;
    assert!(page_text(&html).contains("AnnLee"), "{}", page_text(&html));
    // Input PostgreSQL cannot take is refused or ignored, never a database error page.
    use base64::Engine as _;
    let ancient = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("-250000000000000000:1");
    for path in [
        format!("/sales?older={ancient}"),
        "/sales?q=%00".to_owned(),
        "/sales?product=%00".to_owned(),
    ] {
        let (status, _) = browser.get_html(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    let (status, html) = browser.get_html("/sales?from=-5000-01-01").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page_text(&html).contains("Enter a date"));
    let (status, _) = browser.get_html("/sales/%00").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn reading_pages_does_not_rewrite_the_session() {
    let app = spawn_app().await;
    let browser = signed_in_and_synced(&app).await;
    browser.get("/sales").await;
    for path in ["/sales", "/sales/sync", "/settings"] {
        let response = browser.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            response
                .headers()
                .get(reqwest::header::SET_COOKIE)
                .is_none(),
            "{path} sent a new session cookie"
        );
    }
}

#[tokio::test]
async fn totals_from_the_rollups_equal_totals_over_the_sales_for_every_state_and_product() {
    use gumdash::store::sales::{SaleState, SalesFilter, totals};
    let app = spawn_app().await;
    signed_in_and_synced(&app).await;
    let tenant = app.tenant_id_of(&app.creator(0)).await;
    let product: String = sqlx::query_scalar(
        "SELECT product_id FROM sales WHERE creator_id = $1 GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
    )
    .bind(tenant.get())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let states = [
        (None, "true"),
        (
            Some(SaleState::Refunded),
            "(refunded OR partially_refunded)",
        ),
        (Some(SaleState::Disputed), "(disputed OR chargedback)"),
        (Some(SaleState::Free), "price_usd_cents = 0"),
    ];
    for (state, condition) in states {
        for product in [None, Some(product.clone())] {
            let filter = SalesFilter {
                state,
                product_id: product.clone(),
                ..SalesFilter::default()
            };
            let from_rollups = totals(&app.pool, tenant, &filter)
                .await
                .unwrap()
                .expect("totals from the rollups");
            let direct: Vec<(String, i64, i64, i64, i64, i64)> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT coalesce(currency, ''), count(*)::int8, coalesce(sum(amount_cents), 0)::int8,
                            sum(refunded_cents)::int8, sum(price_usd_cents)::int8,
                            sum(refunded_usd_cents)::int8
                     FROM sales WHERE creator_id = $1 AND {condition}
                       AND ($2::text IS NULL OR product_id = $2)
                     GROUP BY 1 ORDER BY 2 DESC, 1"
                )))
                .bind(tenant.get())
                .bind(product.clone())
                .fetch_all(&app.pool)
                .await
                .unwrap();
            let from_rollups: Vec<_> = from_rollups
                .into_iter()
                .map(|t| {
                    (
                        t.currency,
                        t.sales,
                        t.gross_cents,
                        t.refunded_cents,
                        t.gross_usd_cents,
                        t.refunded_usd_cents,
                    )
                })
                .collect();
            assert_eq!(from_rollups, direct, "{state:?} {product:?}");
        }
    }
}
