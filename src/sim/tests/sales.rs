//! The sales API: keyset and offset paging, filters, 400s, show, scopes, the sale JSON, the sales controls,
//! the volume knob and faults.

use std::collections::HashSet;

use chrono::{DateTime, Duration as TimeDelta, NaiveDate, Utc};
use reqwest::Method;

use super::*;

const SALES: &[&str] = &["view_sales"];

impl TestSim {
    /// Follows `next_page_url` from `path` to the last page; every sale seen, in order.
    async fn walk(&self, path: &str, token: &str) -> Vec<Value> {
        let mut sales = Vec::new();
        let mut path = path.to_owned();
        let mut keys = HashSet::new();
        loop {
            let (status, page) = self.call(Method::GET, &path, token, &[]).await;
            assert_eq!(status, StatusCode::OK, "{path}: {page}");
            let batch = page["sales"].as_array().expect("sales").clone();
            match page["next_page_url"].as_str() {
                Some(next) => {
                    assert_eq!(batch.len(), 10, "full pages before the last");
                    let key = page["next_page_key"].as_str().expect("both keys");
                    assert!(keys.insert(key.to_owned()), "a key repeated");
                    path = next.to_owned();
                    sales.extend(batch);
                }
                None => {
                    assert!(page.get("next_page_key").is_none(), "both keys vanish");
                    assert!(batch.len() <= 10);
                    sales.extend(batch);
                    return sales;
                }
            }
        }
    }

    async fn sales_summary(&self, index: usize) -> Value {
        let path = format!("/_sim/sales/{}", self.creator(index).id);
        self.get(&path).await.json().await.expect("summary JSON")
    }
}

fn ids(sales: &[Value]) -> Vec<String> {
    sales
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_owned())
        .collect()
}

fn created(sale: &Value) -> DateTime<Utc> {
    sale["created_at"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .expect("created_at")
        .with_timezone(&Utc)
}

fn day_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

#[tokio::test]
async fn pages_walk_every_listed_sale_once_newest_first() {
    let sim = spawn().await;
    let creator = sim.creator(0);
    let token = sim.token_for(0, SALES);
    let expected = sim.handle.sales_of(&creator.id);
    assert!(
        (500..800).contains(&expected.len()),
        "{} seeded sales",
        expected.len()
    );
    let walked = sim.walk("/v2/sales", &token).await;
    assert_eq!(ids(&walked), ids(&expected), "same sales, same order");
    let unique: HashSet<String> = ids(&walked).into_iter().collect();
    assert_eq!(unique.len(), walked.len(), "no sale twice");
    assert!(
        walked.windows(2).all(|w| created(&w[0]) >= created(&w[1])),
        "newest first"
    );
    let summary = sim.sales_summary(0).await;
    assert_eq!(summary["count"], walked.len());
    assert_eq!(summary["ids"], json!(ids(&walked)));

    let (_, first) = sim
        .call(
            Method::GET,
            "/api/v2/sales.json?x=1&access_token=nope&page_key=&email=",
            &token,
            &[("after", "2000-01-01")],
        )
        .await;
    let key = first["next_page_key"].as_str().expect("next_page_key");
    let (stamp, id) = key.split_once('-').expect("key shape");
    assert!(stamp.len() == 20 && stamp.bytes().all(|b| b.is_ascii_digit()));
    assert!(id.parse::<u64>().is_ok_and(|n| n < 1 << 30));
    assert_eq!(
        first["next_page_url"],
        format!("/api/v2/sales.json?email=&page_key={key}&x=1"),
        "path and query only, no access_token, no body parameters"
    );
    let last = &first["sales"][9];
    assert_eq!(
        &stamp[..14],
        created(last).format("%Y%m%d%H%M%S").to_string(),
        "the cursor is the last sale's time"
    );
}

#[tokio::test]
async fn filters_return_exactly_the_matching_sales() {
    let sim = spawn().await;
    let token = sim.token_for(0, SALES);
    let all = sim.handle.sales_of(&sim.creator(0).id);
    let middle = created(&all[all.len() / 2]).date_naive();
    let later = middle + TimeDelta::days(40);
    let expect = |keep: &dyn Fn(&Value) -> bool| {
        ids(&all.iter().filter(|s| keep(s)).cloned().collect::<Vec<_>>())
    };

    let after = sim.walk(&format!("/v2/sales?after={middle}"), &token).await;
    assert_eq!(
        ids(&after),
        expect(&|s| created(s) >= day_start(middle)),
        "after is inclusive"
    );
    assert!(
        after.iter().any(|s| created(s).date_naive() == middle)
            || !all.iter().any(|s| created(s).date_naive() == middle)
    );
    let before = sim
        .walk(&format!("/v2/sales?before={middle}"), &token)
        .await;
    assert_eq!(
        ids(&before),
        expect(&|s| created(s) < day_start(middle)),
        "before is exclusive"
    );
    assert_eq!(after.len() + before.len(), all.len());

    let mut per_email: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for sale in &all {
        *per_email
            .entry(sale["email"].as_str().expect("email"))
            .or_default() += 1;
    }
    let (repeat, _) = per_email
        .iter()
        .max_by_key(|(email, n)| (**n, *email))
        .expect("emails");
    let repeat = (*repeat).to_owned();
    assert!(per_email[repeat.as_str()] > 1, "a buyer who came back");
    let by_email = sim
        .walk(&format!("/v2/sales?email=%20{repeat}%20"), &token)
        .await;
    assert_eq!(
        ids(&by_email),
        expect(&|s| s["email"] == repeat.as_str()),
        "trimmed, exact"
    );
    let upper = sim
        .walk(
            &format!("/v2/sales?email={}", repeat.to_uppercase()),
            &token,
        )
        .await;
    assert!(upper.is_empty(), "exact match");

    let product = all[0]["product_id"]
        .as_str()
        .expect("product_id")
        .to_owned();
    let by_product = sim
        .walk(&format!("/v2/sales?product_id={product}"), &token)
        .await;
    assert_eq!(
        ids(&by_product),
        expect(&|s| s["product_id"] == product.as_str())
    );
    assert!(!by_product.is_empty());

    let window = sim
        .walk(
            &format!("/v2/sales?product_id={product}&after={middle}&before={later}"),
            &token,
        )
        .await;
    assert_eq!(
        ids(&window),
        expect(&|s| s["product_id"] == product.as_str()
            && created(s) >= day_start(middle)
            && created(s) < day_start(later))
    );
    let both = sim
        .walk(&format!("/v2/sales?email={repeat}&after={middle}"), &token)
        .await;
    assert_eq!(
        ids(&both),
        expect(&|s| s["email"] == repeat.as_str() && created(s) >= day_start(middle))
    );

    let target = &all[all.len() / 3];
    let order = target["order_id"].as_i64().expect("order_id");
    let by_order = sim
        .walk(&format!("/v2/sales?order_id={order}"), &token)
        .await;
    assert_eq!(
        ids(&by_order),
        vec![target["id"].as_str().expect("id").to_owned()]
    );
    let none = sim
        .walk(
            &format!("/v2/sales?order_id={order}&product_id={product}"),
            &token,
        )
        .await;
    assert_eq!(none.is_empty(), target["product_id"] != product.as_str());
    assert!(
        sim.walk("/v2/sales?order_id=1073741823", &token)
            .await
            .len()
            <= 1
    );
}

#[tokio::test]
async fn bad_parameters_are_400s_without_success() {
    let sim = spawn().await;
    let token = sim.token_for(0, SALES);
    let permalink = sim.catalog(0).await["products"][0]["unique_permalink"]
        .as_str()
        .expect("permalink")
        .to_owned();
    let others = sim.catalog(1).await["products"][0]["id"]
        .as_str()
        .expect("creator 1's product")
        .to_owned();
    let date = |field: &str| {
        format!(
            "Invalid date format provided in field '{field}'. Dates must be in the format YYYY-MM-DD."
        )
    };
    let page = "Invalid page number. Page numbers start at 1.".to_owned();
    let cases = [
        ("after=2024-13-01", date("after")),
        ("after=yesterday", date("after")),
        ("before=2024/01/01", date("before")),
        ("after=nope&before=nope", date("before")),
        ("after=", date("after")),
        ("before=2024-01-01&after=2024-02-30", date("after")),
        ("page=0&after=nope", page.clone()),
        (
            &*format!("product_id={permalink}"),
            "Invalid product ID.".to_owned(),
        ),
        ("product_id=unknown", "Invalid product ID.".to_owned()),
        (
            "product_id=A-m3CDDC5dlrSdKZp0RFhA==",
            "Invalid product ID.".to_owned(),
        ),
        (
            "product_id=nope&order_id=x",
            "Invalid product ID.".to_owned(),
        ),
        ("order_id=12a", "Invalid order ID.".to_owned()),
        ("order_id=007", "Invalid order ID.".to_owned()),
        ("order_id=%205", "Invalid order ID.".to_owned()),
        ("page_key=nope", "Invalid page_key.".to_owned()),
        (
            "page_key=20240302101500000042-x",
            "Invalid page_key.".to_owned(),
        ),
        ("page=0", page.clone()),
        ("page=-1", page.clone()),
        ("page=abc", page.clone()),
        ("page=", page.clone()),
        ("page=0&page_key=nope", page),
    ];
    for (query, message) in cases {
        let (status, body) = sim
            .call(Method::GET, &format!("/v2/sales?{query}"), &token, &[])
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body, json!({"status": 400, "error": message}), "{query}");
    }
    // Ids that decrypt filter instead: another creator's product, a negative order id.
    for query in [format!("product_id={others}"), "order_id=-5".to_owned()] {
        let (status, body) = sim
            .call(Method::GET, &format!("/v2/sales?{query}"), &token, &[])
            .await;
        assert_eq!(
            (status, body),
            (StatusCode::OK, json!({"success": true, "sales": []})),
            "{query}"
        );
    }
}

#[tokio::test]
async fn offset_pages_match_keyset_pages_and_deep_ones_are_throttled() {
    let sim = spawn().await;
    let token = sim.token_for(0, SALES);
    let all = sim.handle.sales_of(&sim.creator(0).id);
    let (_, second) = sim.call(Method::GET, "/v2/sales?page=2", &token, &[]).await;
    assert_eq!(
        ids(second["sales"].as_array().expect("sales")),
        ids(&all[10..20])
    );
    assert!(
        second["next_page_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("/v2/sales?page_key=")),
        "offset pages give keys too, without page"
    );
    let (_, with_key) = sim
        .call(Method::GET, "/v2/sales?page=2&page_key=nope", &token, &[])
        .await;
    assert_eq!(
        with_key["sales"], second["sales"],
        "page wins over page_key"
    );
    let (_, beyond) = sim
        .call(Method::GET, "/v2/sales?page=1000", &token, &[])
        .await;
    assert_eq!(beyond["sales"], json!([]));
    assert!(beyond.get("next_page_key").is_none());

    let requests = (0..30).map(|_| sim.call(Method::GET, "/v2/sales?page=11", &token, &[]));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(requests)
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect();
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert!(statuses.contains(&StatusCode::OK));
    let (status, _) = sim
        .call(Method::GET, "/v2/sales?page=10", &token, &[])
        .await;
    assert_eq!(status, StatusCode::OK, "page 10 is not throttled");
}

#[tokio::test]
async fn show_finds_only_the_owners_listed_sales_and_scopes_are_checked() {
    let sim = spawn().await;
    let token = sim.token_for(0, SALES);
    let first = sim.handle.sales_of(&sim.creator(0).id)[0].clone();
    let id = first["id"].as_str().expect("id");
    let (status, shown) = sim
        .call(
            Method::GET,
            &format!("/api/v2/sales/{id}.json"),
            &token,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown, json!({"success": true, "sale": first}));

    let drafts = sim.catalog(1).await;
    let draft = drafts["products"][0]["id"].as_str().expect("draft");
    let other = sim
        .handle
        .create_sale(&sim.creator(1).id, json!({"product_id": draft}));
    let other_id = other["id"].as_str().expect("created");
    let not_found = json!({"success": false, "message": "The sale was not found."});
    for missing in [other_id, "A-m3CDDC5dlrSdKZp0RFhA==", "nope"] {
        let (status, body) = sim
            .call(Method::GET, &format!("/v2/sales/{missing}"), &token, &[])
            .await;
        assert_eq!(
            (status, body),
            (StatusCode::OK, not_found.clone()),
            "{missing}"
        );
    }
    let (_, own) = sim
        .call(
            Method::GET,
            &format!("/v2/sales/{other_id}"),
            &sim.token_for(1, SALES),
            &[],
        )
        .await;
    assert_eq!(own["sale"]["seller_id"], sim.creator(1).user_id.as_str());

    let no_sales = sim.token_for(0, &["view_profile", "edit_products"]);
    for path in ["/v2/sales".to_owned(), format!("/v2/sales/{id}")] {
        let response = sim.get_as(&path, &no_sales).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(response.text().await.expect("body").is_empty());
    }
    let response = sim.get("/v2/sales").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let head = sim
        .http
        .head(sim.url("/v2/sales/"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("HEAD");
    assert_eq!(head.status(), StatusCode::OK);
}

#[tokio::test]
async fn sale_json_drops_nulls_and_has_gumroads_shapes() {
    let sim = spawn().await;
    let creator = sim.creator(0);
    let all = sim.handle.sales_of(&creator.id);
    for sale in &all {
        let object = sale.as_object().expect("object");
        for (key, value) in object {
            if key != "product_rating" {
                assert!(!value.is_null(), "{key} is null in {sale}");
            }
        }
        for key in [
            "id",
            "email",
            "seller_id",
            "timestamp",
            "daystamp",
            "created_at",
            "product_id",
            "product_permalink",
            "formatted_display_price",
            "amount_refundable_in_currency",
            "custom_fields",
            "card",
            "product_rating",
            "quantity",
            "variants_and_quantity",
            "order_id",
            "price",
            "gumroad_fee",
            "referrer",
        ] {
            assert!(object.contains_key(key), "{key} missing in {sale}");
        }
        assert_eq!(sale["seller_id"], creator.user_id.as_str());
        assert_ne!(
            sale["email"],
            creator.email.as_str(),
            "test purchases never listed"
        );
        assert!(
            sale["timestamp"]
                .as_str()
                .expect("timestamp")
                .ends_with(" ago")
        );
        let daystamp = sale["daystamp"].as_str().expect("daystamp");
        assert!(
            daystamp.ends_with(" AM") || daystamp.ends_with(" PM"),
            "{daystamp}"
        );
        assert_eq!(sale["id"].as_str().expect("id").len(), 24);
        assert!(sale["price"].is_i64() && sale["order_id"].is_i64());
        assert!((4..=6).contains(&sale["product_permalink"].as_str().expect("permalink").len()));
        assert!(sale["card"].as_object().expect("card").contains_key("bin"));
    }
    assert_eq!(creator.time_zone, "America/New_York");
    for sale in all.iter().step_by(7) {
        let local = created(sale).with_timezone(&chrono_tz::America::New_York);
        assert_eq!(
            sale["daystamp"],
            local.format("%e %b %Y %l:%M %p").to_string(),
            "in the seller's zone, daylight saving time included"
        );
    }
    let yen: Vec<&Value> = all.iter().filter(|s| s["currency_symbol"] == "¥").collect();
    assert!(!yen.is_empty());
    for sale in yen {
        let shown = sale["amount_refundable_in_currency"]
            .as_str()
            .expect("amount");
        assert!(!shown.contains('.'), "JPY has no minor unit: {shown}");
        assert!(
            sale["formatted_display_price"]
                .as_str()
                .expect("price")
                .starts_with('¥')
        );
    }
    let has = |key: &str| all.iter().any(|s| s.get(key).is_some_and(|v| v != false));
    for key in [
        "refunded",
        "partially_refunded",
        "chargedback",
        "disputed",
        "dispute_won",
        "offer_code",
        "variants",
        "license_key",
        "subscription_id",
        "recurring_charge",
        "giftee_email",
        "gifter_email",
        "shipped",
        "tracking_url",
        "street_address",
        "purchaser_id",
        "discover_fee_charged",
        "product_rating",
    ] {
        assert!(has(key), "some seeded sale has {key}");
    }
    assert!(all.iter().any(|s| s["quantity"].as_i64() > Some(1)));
    assert!(all.iter().any(|s| s["price"] == 0));
    assert!(
        all.iter()
            .any(|s| !s["full_name"].as_str().unwrap_or("").is_ascii())
    );
    assert!(all.iter().any(|s| {
        s["formatted_display_price"]
            .as_str()
            .unwrap_or("")
            .ends_with(" a month")
    }));
    assert!(all.iter().any(|s| s["has_custom_fields"] == true));
    let countries: HashSet<&str> = all.iter().filter_map(|s| s["country"].as_str()).collect();
    assert!(countries.len() > 3);
    let mut per_day: std::collections::HashMap<NaiveDate, usize> = std::collections::HashMap::new();
    for sale in &all {
        *per_day.entry(created(sale).date_naive()).or_default() += 1;
    }
    assert!(
        per_day.values().any(|n| (60..=110).contains(n)),
        "a launch day"
    );
}

#[tokio::test]
async fn created_sales_come_first_count_and_refund() {
    let sim = spawn().await;
    let creator = sim.creator(0);
    let token = sim.token_for(0, &["view_sales", "edit_products"]);
    let before = sim.sales_summary(0).await;
    let euro = sim.catalog(0).await["products"]
        .as_array()
        .expect("products")
        .iter()
        .find(|p| p["currency"] == "eur" && p["deleted"] == false)
        .expect("a EUR product")
        .clone();
    let euro_id = euro["id"].as_str().expect("id");
    let made = sim.handle.create_sale(
        &creator.id,
        json!({"product_id": euro_id, "email": "fan@example.com", "full_name": "Zoë Fan",
               "price_cents": 1200, "custom_fields": {"Company": "Acme"}}),
    );
    assert_eq!(made["price"], 1304, "USD cents at 0.92 EUR per USD");
    assert_eq!(made["formatted_display_price"], "€12");
    assert_eq!(made["currency_symbol"], "€");
    assert_eq!(made["amount_refundable_in_currency"], "12");
    assert_eq!(made["custom_fields"], json!({"Company": "Acme"}));
    assert_eq!(made["timestamp"], "less than a minute ago");
    let (_, page) = sim.call(Method::GET, "/v2/sales", &token, &[]).await;
    assert_eq!(page["sales"][0], made, "newest first");
    let after = sim.sales_summary(0).await;
    assert_eq!(after["count"], before["count"].as_i64().expect("count") + 1);
    let (_, product) = sim
        .call(Method::GET, &format!("/v2/products/{euro_id}"), &token, &[])
        .await;
    let sold = product["product"]["sales_count"]
        .as_i64()
        .expect("sales_count");
    let usd = product["product"]["sales_usd_cents"].as_i64().expect("usd");

    let id = made["id"].as_str().expect("id");
    let partial = sim.handle.refund_sale(id, Some(450));
    assert_eq!(partial["partially_refunded"], true);
    assert_eq!(partial["refunded"], false);
    assert_eq!(partial["amount_refundable_in_currency"], "7.50");
    let response = sim
        .control(&format!("/_sim/sales/{id}/refund"), json!({}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let full: Value = response.json().await.expect("sale");
    assert_eq!(
        (
            &full["refunded"],
            &full["partially_refunded"],
            &full["amount_refundable_in_currency"]
        ),
        (&json!(true), &json!(false), &json!("0"))
    );
    assert_eq!(
        sim.handle.refund_sale(id, None),
        json!({"error": "Purchase is already refunded."})
    );
    let (_, product) = sim
        .call(Method::GET, &format!("/v2/products/{euro_id}"), &token, &[])
        .await;
    assert_eq!(
        product["product"]["sales_count"], sold,
        "refunded sales still count"
    );
    assert_eq!(product["product"]["sales_usd_cents"], usd - 1304);

    let disputed: Value = sim
        .control(&format!("/_sim/sales/{id}/dispute"), json!({"won": true}))
        .await
        .json()
        .await
        .expect("sale");
    assert_eq!(
        (&disputed["disputed"], &disputed["dispute_won"]),
        (&json!(true), &json!(true))
    );
    assert_eq!(disputed["chargedback"], false);

    let test = sim.handle.create_sale(&creator.id, json!({"test": true}));
    let (_, shown) = sim
        .call(
            Method::GET,
            &format!("/v2/sales/{}", test["id"].as_str().expect("id")),
            &token,
            &[],
        )
        .await;
    assert_eq!(shown["sale"], test, "show finds a test purchase");
    let listed = sim.handle.sales_of(&creator.id);
    assert!(listed.iter().all(|s| s["id"] != test["id"]), "never listed");
    assert_eq!(sim.sales_summary(0).await["count"], after["count"]);

    sim.control("/_sim/reset", json!({})).await;
    assert_eq!(sim.sales_summary(0).await["count"], before["count"]);
}

#[tokio::test]
async fn products_sales_numbers_agree_with_the_sales() {
    let sim = spawn().await;
    let summary = sim.sales_summary(0).await;
    let catalog = sim.catalog(0).await;
    let products = catalog["products"].as_array().expect("products");
    let count: i64 = products
        .iter()
        .map(|p| p["sales_count"].as_i64().expect("n"))
        .sum();
    let usd: i64 = products
        .iter()
        .map(|p| p["sales_usd_cents"].as_i64().expect("usd"))
        .sum();
    assert_eq!(count, summary["count"].as_i64().expect("count"));
    assert_eq!(usd, summary["usd_cents_total"].as_i64().expect("usd"));
    let all = sim.handle.sales_of(&sim.creator(0).id);
    for product in products {
        let listed = all
            .iter()
            .filter(|s| s["product_id"] == product["id"])
            .count();
        assert_eq!(product["sales_count"], listed, "{}", product["name"]);
    }
    let bad = sim
        .control("/_sim/sales", json!({"creator_id": "nope"}))
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_volume_knob_skews_sales_toward_creator_zero() {
    let (config, app, other_app) = config(42);
    let started = Instant::now();
    let handle = spawn_with(SimConfig {
        creator_count: 50,
        extra_sales: 20_000,
        ..config
    })
    .await;
    eprintln!(
        "seeded {} sales in {:?}",
        handle.sale_count(),
        started.elapsed()
    );
    let sim = TestSim {
        handle,
        app,
        other_app,
        http: client(),
    };
    let mut counts = Vec::new();
    for index in 0..50 {
        counts.push(
            sim.sales_summary(index).await["count"]
                .as_u64()
                .expect("count"),
        );
    }
    let total: u64 = counts.iter().sum();
    assert!(total > 20_000, "{total}");
    assert_eq!(counts[1] + counts[2], 0, "drafts and no products: no sales");
    let biggest = *counts.iter().max().expect("counts");
    assert_eq!(
        counts[0], biggest,
        "creator 0 has the big account: {counts:?}"
    );
    assert!(counts[0] > 3_000, "{counts:?}");
    let mut sold: Vec<u64> = counts[3..].iter().copied().filter(|n| *n > 0).collect();
    sold.sort_unstable();
    assert!(sold[0] < 200, "the long tail is small: {counts:?}");
    let token = sim.token_for(0, SALES);
    let started = Instant::now();
    let oldest = crate::sim::ids::obfuscate_id(1);
    let (status, page) = sim
        .call(
            Method::GET,
            &format!("/v2/sales?page_key=20990101000000000000-{oldest}"),
            &token,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        page["sales"].as_array().expect("sales").len(),
        0,
        "id 1's cursor: nothing older"
    );
    let (_, page) = sim.call(Method::GET, "/v2/sales", &token, &[]).await;
    assert_eq!(page["sales"].as_array().expect("sales").len(), 10);
    eprintln!("two pages of the big account in {:?}", started.elapsed());
}

#[tokio::test]
async fn faults_apply_to_sales() {
    let sim = spawn().await;
    let token = sim.token_for(0, SALES);
    let added = sim
        .control(
            "/_sim/faults",
            json!({"method": "GET", "path": "/v2/sales*", "kind": "status", "status": 503}),
        )
        .await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let response = sim.get_as("/api/v2/sales.json?page=2", &token).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let response = sim.get_as("/v2/sales", &token).await;
    assert_eq!(response.status(), StatusCode::OK, "one request only");
    sim.control(
        "/_sim/faults",
        json!({"path": "/v2/sales", "kind": "malformed_json"}),
    )
    .await;
    let response = sim.get_as("/v2/sales", &token).await;
    let text = response.text().await.expect("body");
    assert!(serde_json::from_str::<Value>(&text).is_err(), "cut short");
}

/// A live product of creator 0 in `currency`, and a sale of it made now for `price_cents`.
async fn fresh_sale(sim: &TestSim, currency: &str, price_cents: i64) -> Value {
    let product = sim.catalog(0).await["products"]
        .as_array()
        .expect("products")
        .iter()
        .find(|p| p["currency"] == currency && p["deleted"] == false)
        .expect("a product in the currency")
        .clone();
    sim.handle.create_sale(
        &sim.creator(0).id,
        json!({"product_id": product["id"], "price_cents": price_cents}),
    )
}

/// Creator 0's newest listed sale matching `wanted`.
fn first_sale(sim: &TestSim, wanted: impl Fn(&Value) -> bool) -> Value {
    sim.handle
        .sales_of(&sim.creator(0).id)
        .into_iter()
        .find(|s| wanted(s))
        .expect("a matching seeded sale")
}

fn id_of(sale: &Value) -> String {
    sale["id"].as_str().expect("sale id").to_owned()
}

#[tokio::test]
async fn refunds_partial_then_full_with_gumroads_refusals() {
    let sim = spawn().await;
    let token = sim.token_for(0, &["view_sales", "edit_sales"]);
    let sale = fresh_sale(&sim, "usd", 2000).await;
    let path = format!("/v2/sales/{}/refund", id_of(&sale));

    let (status, body) = sim
        .call(Method::PUT, &path, &token, &[("amount_cents", "2001")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"success": false, "message": "Refund amount cannot be greater than the purchase price."})
    );
    let (_, partial) = sim
        .call(Method::PUT, &path, &token, &[("amount_cents", "750")])
        .await;
    assert_eq!(partial["success"], true);
    assert_eq!(partial["sale"]["partially_refunded"], true);
    assert_eq!(partial["sale"]["amount_refundable_in_currency"], "12.50");

    sim.handle
        .refuse_refunds(&sim.creator(0).id, Some("paypal_funds"));
    let (_, refused) = sim.call(Method::PUT, &path, &token, &[]).await;
    assert_eq!(
        refused["message"],
        "Your PayPal account does not have sufficient funds to make this refund."
    );
    for (refusal, message) in [
        (
            "disabled",
            "Refunds are temporarily disabled in your account.",
        ),
        (
            "temporary",
            "There is a temporary problem. Try to refund later.",
        ),
        (
            "disconnected",
            "We cannot refund this sale because you have disconnected the associated payment account on \
             Stripe. Please connect it and try again.",
        ),
    ] {
        sim.handle.refuse_refunds(&sim.creator(0).id, Some(refusal));
        let (_, refused) = sim.call(Method::PUT, &path, &token, &[]).await;
        assert_eq!(refused["message"], message, "{refusal}");
    }
    sim.handle.refuse_refunds(&sim.creator(0).id, None);
    let (_, full) = sim.call(Method::PUT, &path, &token, &[]).await;
    assert_eq!(full["sale"]["refunded"], true);
    assert_eq!(full["sale"]["amount_refundable_in_currency"], "0");
    let (_, again) = sim.call(Method::PUT, &path, &token, &[]).await;
    assert_eq!(
        again,
        json!({"success": false, "message": "Purchase is already refunded."})
    );

    let free = fresh_sale(&sim, "usd", 0).await;
    let (_, free) = sim
        .call(
            Method::PUT,
            &format!("/v2/sales/{}/refund", id_of(&free)),
            &token,
            &[],
        )
        .await;
    assert_eq!(free["message"], "The sale was unable to be modified.");
    let (_, missing) = sim
        .call(Method::PUT, "/v2/sales/nope/refund", &token, &[])
        .await;
    assert_eq!(missing["message"], "The sale was not found.");
}

#[tokio::test]
async fn refund_scopes_and_amounts_follow_the_era() {
    let sim = spawn().await;
    let yen = fresh_sale(&sim, "jpy", 3000).await;
    let path = format!("/v2/sales/{}/refund", id_of(&yen));
    let view_only = sim.token_for(0, &["view_sales"]);
    let (status, body) = sim.call(Method::PUT, &path, &view_only, &[]).await;
    assert_eq!((status, body), (StatusCode::FORBIDDEN, Value::Null));

    let edit_sales = sim.token_for(0, &["edit_sales"]);
    let (_, sale) = sim
        .call(Method::PUT, &path, &edit_sales, &[("amount_cents", "1000")])
        .await;
    assert_eq!(
        sale["sale"]["amount_refundable_in_currency"], "2,000",
        "2026: ¥1,000"
    );

    sim.control("/_sim/profile", json!({"profile": "2025-04"}))
        .await;
    let (status, _) = sim
        .call(Method::PUT, &path, &edit_sales, &[("amount_cents", "100")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "2025-04 has no edit_sales");
    let refund_sales = sim.token_for(0, &["refund_sales"]);
    let (_, sale) = sim
        .call(
            Method::PUT,
            &path,
            &refund_sales,
            &[("amount_cents", "1000")],
        )
        .await;
    assert_eq!(
        sale["sale"]["amount_refundable_in_currency"], "1,990",
        "2025-04: 1000 / 100 = ¥10"
    );
    let (status, _) = sim
        .call(
            Method::POST,
            &format!("/v2/sales/{}/resend_receipt", id_of(&yen)),
            &refund_sales,
            &[],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "no resend_receipt in 2025-04"
    );
}

#[tokio::test]
async fn shipping_and_receipts() {
    let sim = spawn().await;
    let zine = first_sale(&sim, |s| s["is_product_physical"] == true);
    let physical = sim.handle.create_sale(
        &sim.creator(0).id,
        json!({"product_id": zine["product_id"]}),
    );
    assert_eq!(physical["shipped"], false);
    let id = id_of(&physical);
    let shipper = sim.token_for(0, &["mark_sales_as_shipped"]);
    let path = format!("/v2/sales/{id}/mark_as_shipped");
    let (status, _) = sim
        .call(Method::PUT, &path, &sim.token_for(0, &["view_sales"]), &[])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, shipped) = sim
        .call(
            Method::PUT,
            &path,
            &shipper,
            &[("tracking_url", "https://track.example/1Z")],
        )
        .await;
    assert_eq!(shipped["sale"]["shipped"], true);
    assert_eq!(shipped["sale"]["tracking_url"], "https://track.example/1Z");

    let receipts = format!("/v2/sales/{id}/resend_receipt");
    let (status, _) = sim.call(Method::POST, &receipts, &shipper, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = sim
        .call(
            Method::POST,
            &receipts,
            &sim.token_for(0, &["edit_sales"]),
            &[],
        )
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    assert_eq!(
        sim.handle.sale_actions(&id).expect("sale")["receipts_sent"],
        1
    );
    let other = sim.token_for(2, &["edit_sales"]);
    let (_, body) = sim.call(Method::POST, &receipts, &other, &[]).await;
    assert_eq!(
        body["message"], "The sale was not found.",
        "another seller's sale"
    );
}

#[tokio::test]
async fn licenses_verify_and_change_like_gumroad() {
    let sim = spawn().await;
    let licensed = first_sale(&sim, |s| {
        s["license_key"].is_string() && s["refunded"] == false
    });
    let key = licensed["license_key"].as_str().expect("key").to_owned();
    let product = licensed["product_id"].as_str().expect("product").to_owned();
    let verify = |form: Vec<(&'static str, String)>| {
        let http = sim.http.clone();
        let url = sim.url("/v2/licenses/verify");
        async move {
            let response = http.post(url).form(&form).send().await.expect("verify");
            let status = response.status();
            (status, response.json::<Value>().await.expect("JSON"))
        }
    };
    let by_product = vec![
        ("product_id", product.clone()),
        ("license_key", key.clone()),
    ];

    let (status, body) = verify(by_product.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["uses"], 1);
    let purchase = &body["purchase"];
    assert_eq!(purchase["sale_id"], licensed["id"]);
    assert_eq!(purchase["id"], licensed["id"]);
    assert!(
        purchase["variants"].is_string(),
        "version 1: variants as text"
    );
    assert!(purchase["custom_fields"].is_array());
    assert_eq!(purchase["chargebacked"], false);
    assert!(
        purchase["product_permalink"]
            .as_str()
            .expect("url")
            .starts_with("https://")
    );
    let mut looking = by_product.clone();
    looking.push(("increment_uses_count", "false".to_owned()));
    assert_eq!(
        verify(looking.clone()).await.1["uses"],
        1,
        "looking is no use"
    );

    let (status, body) = verify(vec![("license_key", key.clone())]).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        body["message"],
        format!(
            "The 'product_id' parameter is required to verify the license for this product. Please set \
             'product_id' to '{product}' in the request."
        )
    );
    let (status, body) = verify(vec![
        ("product_id", product.clone()),
        ("license_key", "0000".to_owned()),
    ])
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::NOT_FOUND,
            json!({"success": false, "message": "That license does not exist for the provided product."})
        )
    );

    let editor = sim.token_for(0, &["edit_products"]);
    let form: Vec<(&str, &str)> = vec![("product_id", &product), ("license_key", &key)];
    let (_, disabled) = sim
        .call(Method::PUT, "/v2/licenses/disable", &editor, &form)
        .await;
    assert_eq!(disabled["success"], true);
    assert_eq!(
        verify(looking.clone()).await,
        (
            StatusCode::NOT_FOUND,
            json!({"success": false, "message": "This license key has been disabled."})
        )
    );
    sim.call(Method::PUT, "/v2/licenses/enable", &editor, &form)
        .await;
    let (_, decremented) = sim
        .call(
            Method::PUT,
            "/v2/licenses/decrement_uses_count",
            &editor,
            &form,
        )
        .await;
    assert_eq!(decremented["uses"], 0);
    let (_, floor) = sim
        .call(
            Method::PUT,
            "/v2/licenses/decrement_uses_count",
            &editor,
            &form,
        )
        .await;
    assert_eq!(floor["uses"], 0, "never below zero");
    let state = sim.handle.sale_actions(&id_of(&licensed)).expect("sale");
    assert_eq!(
        (&state["uses"], &state["disabled"]),
        (&json!(0), &json!(false))
    );

    let (status, body) = sim
        .call(
            Method::PUT,
            "/v2/licenses/disable",
            &sim.token_for(1, &["edit_products"]),
            &form,
        )
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::NOT_FOUND,
            json!({"success": false, "error": "Not found"})
        )
    );
    let (status, _) = sim
        .call(
            Method::PUT,
            "/v2/licenses/disable",
            &sim.token_for(0, &["view_sales"]),
            &form,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    sim.handle.revoke_access(&id_of(&licensed));
    assert_eq!(
        verify(by_product).await.1["message"],
        "Access to the purchase associated with this license has expired."
    );
}
