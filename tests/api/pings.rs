//! Gumroad pings end to end (issue 7): the simulator pings the dashboard's receiver over real HTTP
//! (its loopback switch on, delays a thousandth of Gumroad's), the receiver records the delivery and
//! enqueues a fetch-back, and the fetch-back stores what Gumroad confirms, with the creator's token.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Browser, TestApp, captured_logs, page_text, spawn_app, spawn_app_with};

impl TestApp {
    /// Lets the simulator ping loopback URLs (the test dashboard's public URL), fast.
    pub(crate) async fn enable_pings(&self) {
        let response = reqwest::Client::new()
            .post(format!("{}/_sim/pings/settings", self.sim.base_url()))
            .json(&json!({"allow_loopback": true, "time_scale": 0.001}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    /// The creator's subscriptions in the simulator: (resource, post URL), sorted.
    pub(crate) fn sim_subscriptions(&self, creator: usize) -> Vec<(String, String)> {
        let mut list: Vec<(String, String)> = self
            .sim
            .resource_subscriptions(&self.creator(creator).id)
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["resource_name"].as_str().unwrap().to_owned(),
                    s["post_url"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        list.sort();
        list
    }

    /// The creator's ping URL, as the simulator holds it.
    fn ping_url(&self, creator: usize) -> String {
        let subscriptions = self.sim_subscriptions(creator);
        let (_, url) = subscriptions.first().expect("subscribed");
        url.clone()
    }

    async fn deliveries(&self, creator: usize) -> Vec<(String, String, String)> {
        let tenant = self.tenant_id_of(&self.creator(creator)).await;
        sqlx::query_as(
            "SELECT resource_name, coalesce(object_id, ''), outcome FROM webhook_deliveries
             WHERE creator_id = $1 ORDER BY id",
        )
        .bind(tenant.get())
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }

    /// The outcomes of the creator's deliveries, oldest first.
    async fn outcomes(&self, creator: usize) -> Vec<String> {
        self.deliveries(creator)
            .await
            .into_iter()
            .map(|(_, _, outcome)| outcome)
            .collect()
    }

    /// Waits (up to 15 s) until the creator's receiver has recorded `n` deliveries.
    async fn wait_for_deliveries(&self, creator: usize, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.deliveries(creator).await.len() < n {
            assert!(
                Instant::now() < deadline,
                "{n} pings expected, got {:?}",
                self.deliveries(creator).await
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Pending job kinds, sorted.
    async fn pending_kinds(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT kind FROM jobs WHERE state = 'pending' ORDER BY kind")
            .fetch_all(&self.pool)
            .await
            .unwrap()
    }

    /// One sale of the mirror: (refunded, disputed, dispute_won, updated_at as text).
    async fn mirrored_sale(&self, creator: usize, id: &str) -> Option<(bool, bool, bool, String)> {
        let tenant = self.tenant_id_of(&self.creator(creator)).await;
        sqlx::query_as(
            "SELECT refunded, disputed, dispute_won, updated_at::text FROM sales
             WHERE creator_id = $1 AND gumroad_id = $2",
        )
        .bind(tenant.get())
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .unwrap()
    }

    /// The creator's rollup totals, every currency: (count, gross USD, refunded count, refunded USD).
    async fn totals(&self, creator: usize) -> (i64, i64, i64, i64) {
        let tenant = self.tenant_id_of(&self.creator(creator)).await;
        sqlx::query_as(
            "SELECT coalesce(sum(sales_count), 0)::int8, coalesce(sum(gross_usd_cents), 0)::int8,
                    coalesce(sum(refunded_count), 0)::int8, coalesce(sum(refunded_usd_cents), 0)::int8
             FROM sales_totals WHERE creator_id = $1",
        )
        .bind(tenant.get())
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    async fn sale_count(&self, creator: usize) -> i64 {
        let tenant = self.tenant_id_of(&self.creator(creator)).await;
        sqlx::query_scalar("SELECT count(*) FROM sales WHERE creator_id = $1")
            .bind(tenant.get())
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

/// Posts a ping body to `url` as Gumroad does (form-encoded).
async fn post_ping(url: &str, body: &str) -> StatusCode {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
        .status()
}

/// The body of the newest ping the simulator sent for `resource_name` (the simulator logs an attempt
/// once our answer is back, a moment after the receiver recorded it: waits up to 15 s).
async fn last_ping_body(app: &TestApp, resource_name: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let log = app.sim.ping_log();
        let found = log
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|a| a["resource_name"] == resource_name)
            .and_then(|a| a["body"].as_str())
            .map(str::to_owned);
        if let Some(body) = found {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "no {resource_name} ping was sent"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Creator 0 signed in with pings on, history synced, subscriptions made.
async fn subscribed(app: &TestApp) -> Browser {
    app.enable_pings().await;
    crate::sales::signed_in_and_synced(app).await
}

#[tokio::test]
async fn a_sale_made_in_gumroad_reaches_the_sales_page_through_a_ping_and_a_fetch_back() {
    let app = spawn_app().await;
    let browser = subscribed(&app).await;
    let subscriptions = app.sim_subscriptions(0);
    let names: Vec<&str> = subscriptions
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "cancellation",
            "dispute",
            "dispute_won",
            "refund",
            "sale",
            "subscription_ended",
            "subscription_restarted",
            "subscription_updated"
        ]
    );
    let url = app.ping_url(0);
    assert!(
        url.starts_with(&format!("{}/hooks/gumroad/", app.address)),
        "{url}"
    );
    assert!(
        subscriptions.iter().all(|(_, u)| *u == url),
        "one URL for all eight"
    );

    let before = app.sale_count(0).await;
    let sale = app
        .sim
        .create_sale(&app.creator(0).id, json!({"full_name": "Pinged Buyer"}));
    app.wait_for_deliveries(0, 1).await;
    assert_eq!(
        app.pending_kinds().await,
        ["fetch_sale"],
        "no scheduled sync, only the fetch-back"
    );
    app.run_jobs().await;
    assert_eq!(app.sale_count(0).await, before + 1);
    let (_, html) = browser.get_html("/sales").await;
    assert!(
        page_text(&html).contains("Pinged Buyer"),
        "the new sale is listed"
    );
    let deliveries = app.deliveries(0).await;
    assert_eq!(
        deliveries,
        [(
            "sale".to_owned(),
            sale["id"].as_str().unwrap().to_owned(),
            "updated".to_owned()
        )]
    );
    let (status, html) = browser.get_html("/settings/webhooks").await;
    assert_eq!(status, StatusCode::OK);
    let text = page_text(&html);
    assert!(
        text.contains("within seconds") && text.contains("Fetched; the sale was updated"),
        "{text}"
    );
    assert!(
        !text.contains("Pinged Buyer"),
        "no buyer data on the webhooks page"
    );

    let secret = url.rsplit('.').next().unwrap();
    assert!(
        !captured_logs().contains(secret),
        "the ping URL's secret is never logged"
    );
    assert_eq!(app.failed_jobs().await, vec![]);
}

#[tokio::test]
async fn a_refund_ping_updates_the_sale_and_rollups_once_and_replays_change_nothing() {
    let app = spawn_app().await;
    subscribed(&app).await;
    let sale = app.sim.create_sale(&app.creator(0).id, json!({}));
    let id = sale["id"].as_str().unwrap();
    app.wait_for_deliveries(0, 1).await;
    app.run_jobs().await;
    let (count, gross, refunded_count, refunded_usd) = app.totals(0).await;

    app.sim.refund_sale(id, None);
    app.wait_for_deliveries(0, 2).await;
    app.run_jobs().await;
    let after = app.totals(0).await;
    let price = sale["price"].as_i64().unwrap();
    assert_eq!(
        after,
        (count, gross, refunded_count + 1, refunded_usd + price),
        "refunded once"
    );
    let stored = app.mirrored_sale(0, id).await.unwrap();
    assert!(stored.0, "the sale is refunded");

    // The same ping again, twice (a replay, a duplicate): answered, fetched, and nothing changes.
    let body = last_ping_body(&app, "refund").await;
    for _ in 0..2 {
        assert_eq!(post_ping(&app.ping_url(0), &body).await, StatusCode::OK);
    }
    app.run_jobs().await;
    assert_eq!(app.totals(0).await, after);
    assert_eq!(
        app.mirrored_sale(0, id).await.unwrap(),
        stored,
        "not even rewritten"
    );
    let outcomes = app.outcomes(0).await;
    assert_eq!(outcomes, ["updated", "updated", "unchanged", "unchanged"]);

    assert_eq!(app.failed_jobs().await, vec![]);
}

#[tokio::test]
async fn forged_pings_change_nothing_and_an_unknown_secret_is_a_404() {
    let app = spawn_app().await;
    subscribed(&app).await;
    let url = app.ping_url(0);
    let other_sale = app.sim.sales_of(&app.creator(0).id)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (prefix, _) = url.rsplit_once('.').unwrap();
    let forged_secret = format!("{prefix}.{}", "A".repeat(32));
    for path in [
        forged_secret.as_str(),
        &format!("{}/hooks/gumroad/nothing", app.address),
    ] {
        let status = post_ping(path, &format!("resource_name=sale&sale_id={other_sale}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        app.deliveries(0).await,
        vec![],
        "nothing recorded for an unknown secret"
    );

    // Creator 1 has no sales: their real URL with an unknown id, and with creator 0's sale.
    let browser = app.signed_in(1).await;
    app.run_jobs().await;
    let url1 = app.ping_url(1);
    let before = app.totals(0).await;
    for sale_id in ["bm90LWEtc2FsZQ==", other_sale.as_str()] {
        let status = post_ping(
            &url1,
            &format!("resource_name=sale&sale_id={}", urlencode(sale_id)),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    app.run_jobs().await;
    assert_eq!(app.sale_count(1).await, 0, "nothing stored for creator 1");
    assert_eq!(app.totals(0).await, before, "creator 0 untouched");
    let outcomes = app.outcomes(1).await;
    assert_eq!(outcomes, ["not_found", "not_found"]);
    let (_, html) = browser.get_html("/sales").await;
    assert!(!page_text(&html).contains(&other_sale));
    assert_eq!(app.failed_jobs().await, vec![]);
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn a_flood_of_made_up_sale_ids_cannot_fill_the_queue() {
    let app = spawn_app().await;
    subscribed(&app).await;
    let url = app.ping_url(0);
    // Ids that are not Gumroad's shape are recorded and never fetched.
    let status = post_ping(&url, "resource_name=sale&sale_id=not%20an%20id%0Aforged").await;
    assert_eq!(status, StatusCode::OK);
    for n in 0..130 {
        let status = post_ping(&url, &format!("resource_name=sale&sale_id=made-up-{n}")).await;
        assert_eq!(status, StatusCode::OK);
    }
    let tenant = app.tenant_id_of(&app.creator(0)).await;
    let kinds: Vec<(String, i64)> = sqlx::query_as(
        "SELECT kind, count(*) FROM jobs WHERE creator_id = $1 AND state = 'pending'
         AND kind IN ('fetch_sale', 'sync_recent') GROUP BY 1 ORDER BY 1",
    )
    .bind(tenant.get())
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        kinds,
        vec![
            ("fetch_sale".to_owned(), 100),
            ("sync_recent".to_owned(), 1)
        ],
        "at most 100 fetch-backs wait; beyond, one incremental sync catches up"
    );
}

#[tokio::test]
async fn pings_arriving_together_cannot_pass_the_cap_of_pending_fetch_backs() {
    let app = spawn_app().await;
    subscribed(&app).await;
    let url = app.ping_url(0);
    let pings: Vec<_> = (0..150)
        .map(|n| {
            let url = url.clone();
            tokio::spawn(async move {
                post_ping(&url, &format!("resource_name=sale&sale_id=together-{n}")).await
            })
        })
        .collect();
    for ping in pings {
        assert_eq!(ping.await.unwrap(), StatusCode::OK);
    }
    let tenant = app.tenant_id_of(&app.creator(0)).await;
    let pending: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE creator_id = $1 AND state = 'pending' AND kind = 'fetch_sale'",
    )
    .bind(tenant.get())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(pending, 100);
}

#[tokio::test]
async fn the_receiver_answers_200_while_gumroad_fails_and_the_fetch_back_retries_later() {
    // Retries a second later, so the first run of the jobs sees the failure and stops.
    let app = spawn_app_with(|settings| {
        settings.jobs.queue.retry_base = Duration::from_secs(1);
        settings.jobs.queue.retry_max = Duration::from_secs(1);
    })
    .await;
    subscribed(&app).await;
    app.inject_fault(json!({"path": "/v2/sales/*", "kind": "status", "status": 503, "times": 3}))
        .await;
    let sale = app.sim.create_sale(&app.creator(0).id, json!({}));
    app.wait_for_deliveries(0, 1).await;
    let background = app.background();
    gumdash::jobs::run_pending_jobs(&background.queue, background.handler.as_ref()).await;
    let (attempts, error): (i32, Option<String>) = sqlx::query_as(
        "SELECT attempts, last_error FROM jobs WHERE kind = 'fetch_sale' AND state = 'pending'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(attempts, 1);
    assert!(
        error.unwrap_or_default().contains("503"),
        "the error is kept for the retry"
    );
    assert!(
        app.mirrored_sale(0, sale["id"].as_str().unwrap())
            .await
            .is_none()
    );

    // A replay while Gumroad fails is still answered 200 (Gumroad would retry a 5xx for nothing).
    assert_eq!(
        post_ping(&app.ping_url(0), &last_ping_body(&app, "sale").await).await,
        StatusCode::OK
    );
    app.run_jobs().await;
    assert!(
        app.mirrored_sale(0, sale["id"].as_str().unwrap())
            .await
            .is_some(),
        "fetched on retry"
    );
    assert_eq!(app.failed_jobs().await, vec![]);
}

#[tokio::test]
async fn subscribing_again_leaves_exactly_one_subscription_per_resource() {
    let app = spawn_app().await;
    let browser = subscribed(&app).await;
    let first = app.sim_subscriptions(0);
    assert_eq!(first.len(), 8);

    // A stray of ours (an old secret) and signing in again, then "Repair".
    let token = app.sim.issue_token(
        &app.settings.gumroad.client_id,
        &app.creator(0).id,
        &["view_sales"],
    );
    let (prefix, _) = first[0].1.rsplit_once('.').unwrap();
    let stray: Value = reqwest::Client::new()
        .put(format!("{}/v2/resource_subscriptions", app.sim.base_url()))
        .bearer_auth(&token)
        .form(&[
            ("resource_name", "sale"),
            ("post_url", &format!("{prefix}.{}", "B".repeat(32))),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stray["success"], true);
    app.signed_in(0).await;
    app.run_jobs().await;
    assert_eq!(
        app.sim_subscriptions(0),
        first,
        "the same eight, the stray gone"
    );

    let (status, text) = browser
        .submit_and_follow("/settings/webhooks/repair", &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("Repair started"), "{text}");
    app.run_jobs().await;
    assert_eq!(app.sim_subscriptions(0), first);
    let without_token = browser.post_form("/settings/webhooks/repair", &[]).await;
    assert!(
        without_token.status().is_client_error(),
        "Repair needs the CSRF token"
    );
    assert_eq!(app.failed_jobs().await, vec![]);
}

#[tokio::test]
async fn a_refused_ping_url_is_shown_plainly_and_nothing_is_subscribed() {
    let app = spawn_app().await;
    let browser = app.signed_in(0).await;
    app.run_jobs().await;
    assert_eq!(
        app.sim_subscriptions(0),
        vec![],
        "Gumroad refuses 127.0.0.1"
    );
    let (_, html) = browser.get_html("/settings/webhooks").await;
    let text = page_text(&html);
    assert!(text.contains("Gumroad refused gumdash's address"), "{text}");
    assert!(
        text.contains("Invalid post URL"),
        "Gumroad's own words: {text}"
    );
    assert!(
        text.contains("/hooks/gumroad/1.…"),
        "the secret cut out: {text}"
    );
    assert_eq!(app.failed_jobs().await, vec![]);
}

#[tokio::test]
async fn a_revoked_token_stops_the_fetch_backs_and_marks_the_creator_for_reconnect() {
    let app = spawn_app().await;
    subscribed(&app).await;
    let url = app.ping_url(0);
    let sale = app.sim.create_sale(&app.creator(0).id, json!({}));
    app.wait_for_deliveries(0, 1).await;
    app.sim.revoke_tokens_of(&app.creator(0).id);
    assert_eq!(
        app.sim_subscriptions(0),
        vec![],
        "Gumroad drops them with the access"
    );
    // A late ping (sent before the revocation, say) still arrives.
    assert_eq!(
        post_ping(&url, &last_ping_body(&app, "sale").await).await,
        StatusCode::OK
    );
    app.run_jobs().await;
    assert!(
        app.mirrored_sale(0, sale["id"].as_str().unwrap())
            .await
            .is_none()
    );
    let state: String = sqlx::query_scalar("SELECT state FROM creators WHERE gumroad_user_id = $1")
        .bind(&app.creator(0).id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(state, "needs_reconnect");
    assert_eq!(
        app.pending_kinds().await,
        Vec::<String>::new(),
        "no fetch-back left"
    );
    assert_eq!(app.failed_jobs().await, vec![]);
}

#[tokio::test]
async fn the_hourly_sweep_keeps_each_creators_last_1000_deliveries_of_30_days_and_recent_failed_jobs()
 {
    let app = spawn_app().await;
    app.signed_in(0).await;
    app.signed_in(1).await;
    app.run_jobs().await;
    let busy = app.tenant_id_of(&app.creator(0)).await.get();
    let quiet = app.tenant_id_of(&app.creator(1)).await.get();
    // Creator 0: 1,010 pings over the last 17 hours (S1 newest) and 5 from 31 days ago; creator 1:
    // 20 recent, 2 from 29 days ago and 3 from 31 days ago.
    let aged = |creator: i64, count: i32, days: i32, prefix: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query(
                "INSERT INTO webhook_deliveries (creator_id, received_at, resource_name, object_id, outcome)
                 SELECT $1, now() - make_interval(days => $3, mins => n), 'sale', $4 || n, 'updated'
                 FROM generate_series(1, $2) n",
            )
            .bind(creator)
            .bind(count)
            .bind(days)
            .bind(prefix)
            .execute(&pool)
            .await
            .unwrap();
        }
    };
    aged(busy, 1010, 0, "S").await;
    aged(busy, 5, 31, "old").await;
    aged(quiet, 20, 0, "S").await;
    aged(quiet, 2, 29, "month").await;
    aged(quiet, 3, 31, "old").await;
    sqlx::query(
        "INSERT INTO jobs (kind, creator_id, payload, state, attempts, last_error, updated_at)
         VALUES ('fetch_sale', $1, '{}', 'failed', 8, 'long ago', now() - interval '31 days'),
                ('fetch_sale', $1, '{}', 'failed', 8, 'this month', now() - interval '29 days')",
    )
    .bind(busy)
    .execute(&app.pool)
    .await
    .unwrap();

    gumdash::jobs::Queue::enqueue(&app.pool, &gumdash::jobs::Job::SweepSessions)
        .await
        .unwrap();
    app.run_jobs().await;

    let kept = |creator: i64| {
        let pool = app.pool.clone();
        async move {
            let ids: Vec<String> = sqlx::query_scalar(
                "SELECT object_id FROM webhook_deliveries WHERE creator_id = $1
                 ORDER BY received_at DESC, id DESC",
            )
            .bind(creator)
            .fetch_all(&pool)
            .await
            .unwrap();
            ids
        }
    };
    let busy_kept = kept(busy).await;
    assert_eq!(busy_kept.len(), 1000);
    assert_eq!(
        (busy_kept[0].as_str(), busy_kept[999].as_str()),
        ("S1", "S1000"),
        "the newest thousand"
    );
    let quiet_kept = kept(quiet).await;
    assert_eq!(quiet_kept.len(), 22, "{quiet_kept:?}");
    assert!(quiet_kept.iter().all(|id| !id.starts_with("old")));
    assert_eq!(
        app.failed_jobs().await,
        [("fetch_sale".to_owned(), "this month".to_owned())],
        "failed jobs of the last 30 days stay for the operator"
    );

    // Nothing left to prune: a second sweep removes nothing.
    gumdash::jobs::Queue::enqueue(&app.pool, &gumdash::jobs::Job::SweepSessions)
        .await
        .unwrap();
    app.run_jobs().await;
    assert_eq!(kept(busy).await.len(), 1000);
    assert_eq!(kept(quiet).await.len(), 22);
}

#[tokio::test]
async fn send_a_test_sale_is_offered_only_in_demo_mode_and_its_sale_arrives_by_ping() {
    // Not the demo: neither the button nor the route.
    let app = spawn_app().await;
    let browser = subscribed(&app).await;
    let (_, html) = browser.get_html("/settings/webhooks").await;
    assert!(!html.contains("Send a test sale") && !html.contains("test-sale"));
    let refused = browser.submit("/settings/webhooks/test-sale", &[]).await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    let sales = app.sim.sales_of(&app.creator(0).id).len();
    assert_eq!(app.sale_count(0).await as usize, sales, "no sale made");

    // The demo wires the dashboard to its simulator (the simulator's root, beside its API).
    let app = spawn_app_with(|s| {
        let mut sim = s.gumroad.api_url.clone();
        sim.set_path("/");
        s.demo_sim_url = Some(sim);
    })
    .await;
    let browser = subscribed(&app).await;
    let (_, html) = browser.get_html("/settings/webhooks").await;
    assert!(page_text(&html).contains("Send a test sale"), "{html}");
    let without_token = browser.post_form("/settings/webhooks/test-sale", &[]).await;
    assert!(
        without_token.status().is_client_error(),
        "it needs the CSRF token"
    );
    let before = app.sale_count(0).await;
    let (status, text) = browser
        .submit_and_follow("/settings/webhooks/test-sale", &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains("A test sale was made at the simulator; its ping arrives in about 10 s"),
        "{text}"
    );
    app.wait_for_deliveries(0, 1).await;
    app.run_jobs().await;
    assert_eq!(app.sale_count(0).await, before + 1, "arrived by ping");
    let outcomes = app.outcomes(0).await;
    assert_eq!(outcomes, ["updated"]);
    assert_eq!(app.failed_jobs().await, vec![]);
}
