//! `GET /v2/products/:id/subscribers` and `GET /v2/subscribers/:id` (api-facts §6.8, §7): active
//! subscribers only, everything at once unless pages are asked for (100 a page), exact fields.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;

/// §6.8's keys, in order (`license_key` only for licensed products).
const KEYS: &[&str] = &[
    "id",
    "email",
    "product_id",
    "product_name",
    "user_id",
    "user_email",
    "purchase_ids",
    "created_at",
    "user_requested_cancellation_at",
    "charge_occurrence_count",
    "recurrence",
    "cancelled_at",
    "ended_at",
    "failed_at",
    "free_trial_ends_at",
    "status",
];

impl TestSim {
    async fn json_as(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let response = self.get_as(path, token).await;
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Creator 0's product with the most subscriptions: (external id, its subscriptions).
    fn busiest_membership(&self) -> (String, Vec<Value>) {
        let all = self.handle.subscriptions_of(&self.creator(0).id);
        let mut products: Vec<String> = all
            .iter()
            .map(|s| s["product_id"].as_str().unwrap().to_owned())
            .collect();
        products.sort();
        products.dedup();
        products
            .into_iter()
            .map(|p| {
                let of: Vec<Value> = all
                    .iter()
                    .filter(|s| s["product_id"] == p.as_str())
                    .cloned()
                    .collect();
                (p, of)
            })
            .max_by_key(|(_, of)| of.len())
            .expect("creator 0 sells memberships")
    }
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_index_lists_active_subscribers_newest_first_with_gumroads_fields() {
    let sim = spawn().await;
    let token = sim.token_for(0, &["view_sales"]);
    let (product, subscriptions) = sim.busiest_membership();
    let active: Vec<String> = subscriptions
        .iter()
        .filter(|s| s["active"] == true)
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        active.len() < subscriptions.len(),
        "the seed has stopped subscriptions too"
    );

    let (status, body) = sim
        .json_as(&format!("/v2/products/{product}/subscribers"), &token)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["success"], true);
    assert!(body.get("next_page_key").is_none());
    assert_eq!(
        ids(&body["subscribers"]),
        active,
        "active only, newest first"
    );
    let first = &body["subscribers"][0];
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "license_key")
        .collect();
    let mut wanted = KEYS.to_vec();
    wanted.sort_unstable();
    let mut got = keys.clone();
    got.sort_unstable();
    assert_eq!(got, wanted, "{first}");
    assert!(matches!(
        first["status"].as_str(),
        Some("alive" | "pending_cancellation")
    ));
    assert_eq!(
        first["charge_occurrence_count"].as_i64().unwrap() as usize,
        first["purchase_ids"].as_array().unwrap().len()
    );

    // The email filter: exact, after trimming.
    let email = first["email"].as_str().unwrap();
    let (_, filtered) = sim
        .json_as(
            &format!(
                "/v2/products/{product}/subscribers?email=%20{}%20",
                email.replace('@', "%40")
            ),
            &token,
        )
        .await;
    assert!(!ids(&filtered["subscribers"]).is_empty());
    assert!(
        filtered["subscribers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["email"] == email)
    );

    // Show finds any of the creator's subscribers, stopped ones too, under `subscriber`.
    let stopped = subscriptions.iter().find(|s| s["active"] == false).unwrap();
    let id = stopped["id"].as_str().unwrap();
    let (_, shown) = sim.json_as(&format!("/v2/subscribers/{id}"), &token).await;
    assert_eq!(shown["success"], true);
    assert_eq!(shown["subscriber"]["id"], id);
    assert_eq!(shown["subscriber"]["status"], stopped["status"]);
    assert!(shown["subscriber"]["cancelled_at"].is_string());

    // Another creator's subscriber, or none at all, is not found (HTTP 200).
    let other = sim.token_for(1, &["view_sales"]);
    for (token, id) in [(&other, id), (&token, "nope")] {
        let (status, body) = sim.json_as(&format!("/v2/subscribers/{id}"), token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body,
            json!({"success": false, "message": "The subscriber was not found."})
        );
    }
    // Without view_sales: an empty 403.
    let reader = sim.token_for(0, &["view_profile"]);
    let response = sim
        .get_as(&format!("/v2/products/{product}/subscribers"), &reader)
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn pages_of_a_hundred_only_when_asked() {
    let sim = spawn().await;
    let token = sim.token_for(0, &["view_sales"]);
    let (product, _) = sim.busiest_membership();
    for n in 0..110 {
        let sale = sim.handle.create_sale(
            &sim.creator(0).id,
            json!({"product_id": product, "email": format!("m{n}@example.com")}),
        );
        assert!(sale.get("error").is_none(), "{sale}");
    }
    let path = format!("/v2/products/{product}/subscribers");
    let (_, everything) = sim.json_as(&path, &token).await;
    let all = ids(&everything["subscribers"]);
    assert!(all.len() > 110);
    assert!(everything.get("next_page_key").is_none());

    for asked in ["paginated=true", "paginated=1"] {
        let (_, first) = sim.json_as(&format!("{path}?{asked}"), &token).await;
        let mut paged = ids(&first["subscribers"]);
        assert_eq!(paged.len(), 100);
        let key = first["next_page_key"].as_str().unwrap().to_owned();
        let url = first["next_page_url"].as_str().unwrap();
        assert!(url.starts_with(&format!("{path}?")), "{url}");
        assert!(url.contains("page_key="), "{url}");
        let (_, second) = sim.json_as(&format!("{path}?page_key={key}"), &token).await;
        paged.extend(ids(&second["subscribers"]));
        assert!(second.get("next_page_key").is_none());
        assert_eq!(paged, all, "{asked}");
    }
    let response = sim.get_as(&format!("{path}?page_key=bogus"), &token).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"status": 400, "error": "Invalid page_key."}));
}

#[tokio::test]
async fn cancelling_keeps_a_subscriber_active_until_the_paid_period_ends() {
    let sim = spawn().await;
    let token = sim.token_for(0, &["view_sales"]);
    let (product, subscriptions) = sim.busiest_membership();
    let alive = subscriptions
        .iter()
        .find(|s| s["status"] == "alive")
        .unwrap();
    let id = alive["id"].as_str().unwrap();
    let control = |action: &str| format!("/_sim/subscriptions/{id}/{action}");
    let listed = async |sim: &TestSim| {
        let (_, body) = sim
            .json_as(&format!("/v2/products/{product}/subscribers"), &token)
            .await;
        ids(&body["subscribers"]).contains(&id.to_owned())
    };
    let status = async |sim: &TestSim| {
        let (_, body) = sim.json_as(&format!("/v2/subscribers/{id}"), &token).await;
        body["subscriber"]["status"].as_str().unwrap().to_owned()
    };

    assert_eq!(
        sim.control(&control("cancel"), json!({})).await.status(),
        StatusCode::OK
    );
    assert_eq!(status(&sim).await, "pending_cancellation");
    assert!(listed(&sim).await, "still active until the period ends");

    assert_eq!(
        sim.control(&control("end"), json!({})).await.status(),
        StatusCode::OK
    );
    assert_eq!(status(&sim).await, "cancelled");
    assert!(!listed(&sim).await);

    assert_eq!(
        sim.control(&control("restart"), json!({})).await.status(),
        StatusCode::OK
    );
    assert_eq!(status(&sim).await, "alive");
    assert!(listed(&sim).await);

    let failed = json!({"payment_failed": true});
    assert_eq!(
        sim.control(&control("cancel"), failed).await.status(),
        StatusCode::OK
    );
    assert_eq!(status(&sim).await, "failed_payment");
    assert!(!listed(&sim).await);
}
