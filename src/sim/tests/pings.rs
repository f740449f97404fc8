//! Resource subscriptions and pings (api-facts §9): Gumroad's rules and messages, the payload and its
//! form encoding, retries only on 499/500/502/503/504, and silence once the token is revoked. A small
//! receiver on loopback stands in for the dashboard (the simulator's loopback switch is on for it).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use reqwest::Method;

use super::*;

/// What the receiver got: content type and body of each POST, in order.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(String, String)>>>,
    /// Statuses to answer, in order; 200 once they run out.
    answers: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    async fn start(&self) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!(
            "http://127.0.0.1:{}/hook",
            listener.local_addr().expect("addr").port()
        );
        let me = self.clone();
        let server = HttpServer::new(move || {
            let me = me.clone();
            App::new().route(
                "/hook",
                web::post().to(move |req: HttpRequest, body: web::Bytes| {
                    let me = me.clone();
                    async move {
                        let kind = req
                            .headers()
                            .get("content-type")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_owned();
                        me.got
                            .lock()
                            .expect("lock")
                            .push((kind, String::from_utf8_lossy(&body).into_owned()));
                        let status = me.answers.lock().expect("lock").pop_front().unwrap_or(200);
                        HttpResponse::build(
                            actix_web::http::StatusCode::from_u16(status).expect("status"),
                        )
                        .finish()
                    }
                }),
            )
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        tokio::spawn(server);
        url
    }

    fn bodies(&self) -> Vec<String> {
        self.got
            .lock()
            .expect("lock")
            .iter()
            .map(|(_, b)| b.clone())
            .collect()
    }

    /// Waits (up to 15 s) until `n` pings arrived.
    async fn wait_for(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.bodies().len() < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.bodies()
    }
}

fn field(body: &str, key: &str) -> Option<String> {
    url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

impl TestSim {
    /// Loopback post URLs allowed, delays a thousandth of Gumroad's (10 ms after a sale).
    async fn fast_pings(&self) {
        let response = self
            .control(
                "/_sim/pings/settings",
                json!({"allow_loopback": true, "time_scale": 0.001}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    async fn subscribe(&self, token: &str, name: &str, url: &str) -> Value {
        self.call(
            Method::PUT,
            "/v2/resource_subscriptions",
            token,
            &[("resource_name", name), ("post_url", url)],
        )
        .await
        .1
    }
}

#[tokio::test]
async fn subscriptions_follow_gumroads_rules_and_messages() {
    let sim = spawn().await;
    let token = sim.token_for(0, &["view_sales"]);
    let other = sim.handle.issue_token(
        &sim.other_app.client_id,
        &sim.creator(0).id,
        &["view_sales"],
    );

    assert_eq!(
        sim.subscribe(&token, "purchase", "https://hooks.example/x")
            .await,
        json!({"success": false, "message": "Unable to subscribe to ''."})
    );
    for refused in [
        "http://localhost:3000/x",
        "http://127.0.0.1/x",
        "http://0.0.0.0/x",
        "ftp://hooks.example/x",
        "nope",
    ] {
        assert_eq!(
            sim.subscribe(&token, "sale", refused).await,
            json!({"success": false, "message": format!("Invalid post URL '{refused}'")}),
            "{refused}"
        );
    }
    let ours = sim
        .subscribe(&token, "sale", "http://127.0.0.2:9/ours")
        .await;
    assert_eq!(ours["success"], true);
    assert_eq!(ours["resource_subscription"]["resource_name"], "sale");
    assert_eq!(
        ours["resource_subscription"]["post_url"],
        "http://127.0.0.2:9/ours"
    );
    let ours_id = ours["resource_subscription"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let theirs = sim
        .subscribe(&other, "sale", "https://other.example/x")
        .await;
    let theirs_id = theirs["resource_subscription"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let (_, index) = sim
        .call(
            Method::GET,
            "/v2/resource_subscriptions",
            &token,
            &[("resource_name", "sale")],
        )
        .await;
    let ids: Vec<&str> = index["resource_subscriptions"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(ids, [ours_id.as_str(), theirs_id.as_str()], "every app's");
    for name in [None, Some("purchase")] {
        let query: Vec<(&str, &str)> = name.map(|n| ("resource_name", n)).into_iter().collect();
        let (_, refused) = sim
            .call(Method::GET, "/v2/resource_subscriptions", &token, &query)
            .await;
        assert_eq!(refused["message"], "Valid resource_name parameter required");
    }
    let (_, not_ours) = sim
        .call(
            Method::DELETE,
            &format!("/v2/resource_subscriptions/{theirs_id}"),
            &token,
            &[],
        )
        .await;
    assert_eq!(
        not_ours,
        json!({"success": false, "message": "The resource_subscription was not found."})
    );
    let (_, gone) = sim
        .call(
            Method::DELETE,
            &format!("/v2/resource_subscriptions/{ours_id}"),
            &token,
            &[],
        )
        .await;
    assert_eq!(
        gone,
        json!({"success": true, "message": "The resource_subscription was deleted successfully."})
    );
    assert_eq!(
        sim.handle
            .resource_subscriptions(&sim.creator(0).id)
            .as_array()
            .expect("list")
            .len(),
        1
    );

    let without_scope = sim.token_for(0, &["view_profile"]);
    let (status, _) = sim
        .call(
            Method::GET,
            "/v2/resource_subscriptions",
            &without_scope,
            &[("resource_name", "sale")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    sim.control("/_sim/pings/settings", json!({"block_private": true}))
        .await;
    let private = sim.subscribe(&token, "sale", "http://10.1.2.3/x").await;
    assert_eq!(private["message"], "Invalid post URL 'http://10.1.2.3/x'");
    sim.fast_pings().await;
    assert_eq!(
        sim.subscribe(&token, "sale", "http://127.0.0.1:9/x").await["success"],
        true
    );
}

#[tokio::test]
async fn sales_refunds_and_disputes_ping_their_subscribers_form_encoded() {
    let sim = spawn().await;
    sim.fast_pings().await;
    let receiver = Receiver::default();
    let url = receiver.start().await;
    let token = sim.token_for(0, &["view_sales"]);
    for name in ["sale", "refund", "dispute", "dispute_won"] {
        assert_eq!(sim.subscribe(&token, name, &url).await["success"], true);
    }
    let creator = sim.creator(0);
    let made = sim.handle.create_sale(
        &creator.id,
        json!({"email": "fan@example.com", "full_name": "Zoë Fan", "custom_fields": {"Company name": "A&B"}}),
    );
    let id = made["id"].as_str().expect("id");
    let bodies = receiver.wait_for(1).await;
    assert_eq!(bodies.len(), 1);
    let sale = &bodies[0];
    assert_eq!(
        receiver.got.lock().expect("lock")[0].0,
        "application/x-www-form-urlencoded"
    );
    assert_eq!(field(sale, "sale_id").as_deref(), Some(id));
    assert_eq!(field(sale, "resource_name").as_deref(), Some("sale"));
    assert_eq!(
        field(sale, "seller_id").as_deref(),
        Some(creator.user_id.as_str())
    );
    assert_eq!(field(sale, "email").as_deref(), Some("fan@example.com"));
    assert_eq!(
        field(sale, "price"),
        made["price"].as_i64().map(|p| p.to_string())
    );
    assert_eq!(
        field(sale, "order_number"),
        made["order_id"].as_i64().map(|p| p.to_string())
    );
    assert_eq!(
        field(sale, "sale_timestamp"),
        made["created_at"].as_str().map(str::to_owned)
    );
    assert_eq!(field(sale, "refunded").as_deref(), Some("false"));
    assert_eq!(field(sale, "card[bin]").as_deref(), Some(""));
    assert_eq!(
        field(sale, "custom_fields[Company name]").as_deref(),
        Some("A&B")
    );
    assert_eq!(
        field(sale, "Company name").as_deref(),
        Some("A&B"),
        "also top-level"
    );
    assert!(
        field(sale, "product_permalink").is_some_and(|p| p.starts_with("https://")),
        "{sale}"
    );
    assert!(
        sale.contains("Company%20name") && !sale.contains('+'),
        "spaces as %20: {sale}"
    );
    assert_eq!(field(sale, "retry_count"), None);

    sim.handle.refund_sale(id, None);
    let bodies = receiver.wait_for(2).await;
    assert_eq!(
        field(&bodies[1], "resource_name").as_deref(),
        Some("refund")
    );
    assert_eq!(field(&bodies[1], "refunded").as_deref(), Some("true"));
    sim.control(&format!("/_sim/sales/{id}/dispute"), json!({}))
        .await;
    sim.control(&format!("/_sim/sales/{id}/dispute_won"), json!({}))
        .await;
    let bodies = receiver.wait_for(4).await;
    let names: Vec<Option<String>> = bodies[2..]
        .iter()
        .map(|b| field(b, "resource_name"))
        .collect();
    assert!(
        names.contains(&Some("dispute".into())) && names.contains(&Some("dispute_won".into())),
        "{names:?}"
    );
}

#[tokio::test]
async fn only_gumroads_retry_statuses_are_retried_with_a_retry_count() {
    let sim = spawn().await;
    sim.fast_pings().await;
    let receiver = Receiver::default();
    receiver
        .answers
        .lock()
        .expect("lock")
        .extend([503, 500, 200, 404]);
    let url = receiver.start().await;
    let token = sim.token_for(0, &["view_sales"]);
    sim.subscribe(&token, "sale", &url).await;
    sim.handle.create_sale(&sim.creator(0).id, json!({}));
    let bodies = receiver.wait_for(3).await;
    let counts: Vec<Option<String>> = bodies.iter().map(|b| field(b, "retry_count")).collect();
    assert_eq!(counts, [None, Some("1".into()), Some("2".into())]);
    let log = sim.handle.ping_log();
    let statuses: Vec<&Value> = log
        .as_array()
        .expect("log")
        .iter()
        .map(|a| &a["status"])
        .collect();
    assert_eq!(statuses, [&json!(503), &json!(500), &json!(200)]);

    // A 404 is never retried.
    sim.handle.create_sale(&sim.creator(0).id, json!({}));
    receiver.wait_for(4).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.bodies().len(), 4, "no retry after a 404");
}

#[tokio::test]
async fn nothing_is_sent_once_the_token_is_revoked_or_the_subscription_deleted() {
    let sim = spawn().await;
    sim.fast_pings().await;
    let receiver = Receiver::default();
    let url = receiver.start().await;
    let token = sim.token_for(0, &["view_sales"]);
    sim.subscribe(&token, "sale", &url).await;
    let creator = sim.creator(0);
    sim.handle.create_sale(&creator.id, json!({}));
    assert_eq!(receiver.wait_for(1).await.len(), 1);

    sim.control("/_sim/tokens/revoke", json!({"token": token}))
        .await;
    sim.handle.create_sale(&creator.id, json!({}));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        receiver.bodies().len(),
        1,
        "no ping without a live view_sales token"
    );

    sim.handle.revoke_tokens_of(&creator.id);
    assert_eq!(
        sim.handle.resource_subscriptions(&creator.id),
        json!([]),
        "removing the app deletes them"
    );
}

#[tokio::test]
async fn membership_events_ping_with_the_subscription_payload() {
    let sim = spawn().await;
    sim.fast_pings().await;
    let receiver = Receiver::default();
    let url = receiver.start().await;
    let token = sim.token_for(0, &["view_sales"]);
    for name in [
        "cancellation",
        "subscription_ended",
        "subscription_restarted",
        "subscription_updated",
    ] {
        sim.subscribe(&token, name, &url).await;
    }
    let sales = sim.handle.sales_of(&sim.creator(0).id);
    let charge = sales
        .iter()
        .find(|s| s.get("subscription_id").is_some())
        .expect("a membership sale");
    let id = charge["subscription_id"].as_str().expect("id");
    let mut expected = 0;
    for (action, body) in [
        ("cancel", json!({"by": "seller"})),
        ("restart", json!({})),
        (
            "update",
            json!({"type": "downgrade", "new_price_cents": 100}),
        ),
        ("end", json!({"reason": "failed_payment"})),
    ] {
        let response = sim
            .control(&format!("/_sim/subscriptions/{id}/{action}"), body)
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{action}");
        expected += 1;
    }
    let refused = sim
        .control(&format!("/_sim/subscriptions/{id}/end"), json!({}))
        .await;
    assert_eq!(
        refused.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "ended already"
    );

    let bodies = receiver.wait_for(expected).await;
    let by_name = |name: &str| {
        bodies
            .iter()
            .find(|b| field(b, "resource_name").as_deref() == Some(name))
            .unwrap_or_else(|| panic!("a {name} ping in {bodies:?}"))
            .clone()
    };
    let cancelled = by_name("cancellation");
    assert_eq!(field(&cancelled, "subscription_id").as_deref(), Some(id));
    assert_eq!(field(&cancelled, "cancelled").as_deref(), Some("true"));
    assert_eq!(
        field(&cancelled, "cancelled_by_seller").as_deref(),
        Some("true")
    );
    assert!(field(&cancelled, "purchase_ids[]").is_some(), "{cancelled}");
    assert_eq!(field(&cancelled, "free_trial_ends_at").as_deref(), Some(""));
    assert!(field(&by_name("subscription_restarted"), "restarted_at").is_some());
    let updated = by_name("subscription_updated");
    assert_eq!(field(&updated, "type").as_deref(), Some("downgrade"));
    assert_eq!(
        field(&updated, "new_plan[price_cents]").as_deref(),
        Some("100")
    );
    assert_eq!(
        field(&by_name("subscription_ended"), "ended_reason").as_deref(),
        Some("failed_payment")
    );
}
