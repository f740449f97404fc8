//! The catalogue API: products (pagination, profiles, validation, rate limits), offer codes, custom fields,
//! variant categories and variants, all scoped to the token's owner.

use reqwest::Method;

use super::*;

const ALL: &[&str] = &["edit_products", "view_sales", "view_profile"];

impl TestSim {
    pub(super) fn token_for(&self, index: usize, scopes: &[&str]) -> String {
        self.handle
            .issue_token(&self.app.client_id, &self.creator(index).id, scopes)
    }

    /// A form-encoded API call; answers status and JSON (Null when the body is not JSON).
    pub(super) async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let response = self
            .http
            .request(method, self.url(path))
            .bearer_auth(token)
            .form(form)
            .send()
            .await
            .expect("API request");
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn call_json(&self, method: Method, path: &str, token: &str, body: Value) -> Value {
        let response = self
            .http
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("API request");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("JSON")
    }

    pub(super) async fn catalog(&self, index: usize) -> Value {
        let path = format!("/_sim/catalog/{}", self.creator(index).id);
        let response = self.get(&path).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("catalog JSON")
    }

    /// Creator `index`'s live product ids, newest first, from the control.
    async fn live_product_ids(&self, index: usize) -> Vec<String> {
        self.catalog(index).await["products"]
            .as_array()
            .expect("products")
            .iter()
            .filter(|p| p["deleted"] == false)
            .map(|p| p["id"].as_str().expect("id").to_owned())
            .collect()
    }

    /// The id of creator 0's live product called `name`.
    async fn product_named(&self, name: &str) -> String {
        let catalog = self.catalog(0).await;
        catalog["products"]
            .as_array()
            .expect("products")
            .iter()
            .find(|p| p["name"] == name)
            .and_then(|p| p["id"].as_str())
            .expect("seeded product")
            .to_owned()
    }
}

fn not_found(object: &str) -> Value {
    json!({"success": false, "message": format!("The {object} was not found.")})
}

fn failure(message: &str) -> Value {
    json!({"success": false, "message": message})
}

#[tokio::test]
async fn products_index_walks_three_pages_newest_first() {
    let sim = spawn().await;
    let token = sim.token_for(0, ALL);
    let expected = sim.live_product_ids(0).await;
    assert_eq!(expected.len(), 23);

    let (status, first) = sim
        .call(
            Method::GET,
            "/api/v2/products.json?x=1&access_token=nope",
            &token,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["success"], true);
    assert_eq!(first["products"].as_array().expect("array").len(), 10);
    let key = first["next_page_key"].as_str().expect("next_page_key");
    let url = first["next_page_url"].as_str().expect("next_page_url");
    assert_eq!(
        url,
        format!("/api/v2/products.json?page_key={key}&x=1"),
        "path and sorted query, no host, no access_token"
    );
    let (stamp, id) = key.split_once('-').expect("key shape");
    assert!(stamp.len() == 20 && stamp.bytes().all(|b| b.is_ascii_digit()));
    assert!(id.parse::<u64>().is_ok_and(|n| n < 1 << 30));

    let mut seen: Vec<String> = Vec::new();
    let mut path = "/v2/products".to_owned();
    let mut sizes = Vec::new();
    loop {
        let (status, page) = sim.call(Method::GET, &path, &token, &[]).await;
        assert_eq!(status, StatusCode::OK);
        let products = page["products"].as_array().expect("products");
        sizes.push(products.len());
        for product in products {
            seen.push(product["id"].as_str().expect("id").to_owned());
            assert!(product["sales_count"].is_i64(), "view_sales shows sales");
            assert_eq!(product["url"], Value::Null);
        }
        match page["next_page_url"].as_str() {
            Some(next) => {
                assert!(next.starts_with("/v2/products?page_key="), "{next}");
                path = next.to_owned();
            }
            None => {
                assert!(page.get("next_page_key").is_none(), "both keys vanish");
                break;
            }
        }
    }
    assert_eq!(sizes, vec![10, 10, 3]);
    assert_eq!(seen, expected, "every live product once, newest first");

    let (status, empty) = sim
        .call(Method::GET, "/v2/products", &sim.token_for(2, ALL), &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(empty, json!({"success": true, "products": []}));

    for bad in ["nope", "20240101000000000000-", "20241301000000000000-5"] {
        let (status, body) = sim
            .call(
                Method::GET,
                &format!("/v2/products?page_key={bad}"),
                &token,
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body, json!({"status": 400, "error": "Invalid page_key."}));
    }
}

#[tokio::test]
async fn profile_2025_04_is_unpaginated_and_cannot_create() {
    let sim = spawn().await;
    let token = sim.token_for(0, ALL);
    let profile = sim
        .control("/_sim/profile", json!({"profile": "2025-04"}))
        .await;
    assert_eq!(profile.status(), StatusCode::OK);
    assert_eq!(
        profile.json::<Value>().await.expect("JSON"),
        json!({"profile": "2025-04", "string_values": false})
    );
    let (_, all) = sim.call(Method::GET, "/v2/products", &token, &[]).await;
    assert_eq!(all["products"].as_array().expect("array").len(), 23);
    assert!(all.get("next_page_key").is_none() && all.get("next_page_url").is_none());

    let html = sim
        .http
        .post(sim.url("/v2/products"))
        .bearer_auth(&token)
        .form(&[("name", "X")])
        .send()
        .await
        .expect("create");
    assert_eq!(html.status(), StatusCode::NOT_FOUND);
    assert!(
        html.headers()[CONTENT_TYPE]
            .to_str()
            .expect("type")
            .starts_with("text/html")
    );
    let (status, body) = sim
        .call(
            Method::POST,
            "/api/v2/products.json",
            &token,
            &[("name", "X")],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"status": 404, "error": "Not Found"}));
    let id = &sim.live_product_ids(0).await[0];
    let (status, _) = sim
        .call(
            Method::PUT,
            &format!("/v2/products/{id}"),
            &token,
            &[("name", "Y")],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // 2025-04 offer-code update takes max_purchase_count only.
    let product = sim.product_named("Rust for Busy People").await;
    let (_, codes) = sim
        .call(
            Method::GET,
            &format!("/v2/products/{product}/offer_codes"),
            &token,
            &[],
        )
        .await;
    let save5 = codes["offer_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .find(|c| c["name"] == "SAVE5")
        .expect("SAVE5")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (_, updated) = sim
        .call(
            Method::PUT,
            &format!("/v2/products/{product}/offer_codes/{save5}"),
            &token,
            &[
                ("max_purchase_count", "90"),
                ("minimum_amount_cents", "2000"),
            ],
        )
        .await;
    assert_eq!(updated["offer_code"]["max_purchase_count"], 90);
    let stored = |catalog: &Value| {
        catalog["offer_codes"]
            .as_array()
            .expect("codes")
            .iter()
            .find(|c| c["name"] == "SAVE5")
            .expect("SAVE5")["minimum_amount_cents"]
            .clone()
    };
    assert_eq!(stored(&sim.catalog(0).await), Value::Null);

    sim.control("/_sim/reset", json!({})).await;
    let token = sim.token_for(0, ALL);
    let (_, created) = sim
        .call(
            Method::POST,
            "/v2/products",
            &token,
            &[("name", "Back in 2026")],
        )
        .await;
    assert_eq!(created["success"], true, "reset restores the 2026 profile");
}

#[tokio::test]
async fn another_creators_ids_answer_like_unknown_ones() {
    let sim = spawn().await;
    let mallory = sim.token_for(1, ALL);
    let own = sim.live_product_ids(1).await[0].clone();
    let victim = sim.catalog(0).await;
    let products = victim["products"].as_array().expect("products");
    let theirs = products
        .iter()
        .find(|p| {
            p["variant_categories"]
                .as_array()
                .is_some_and(|c| !c.is_empty())
        })
        .expect("a product with variants");
    let id = theirs["id"].as_str().expect("id");
    let permalink = theirs["unique_permalink"].as_str().expect("permalink");
    let category = theirs["variant_categories"][0]["id"].as_str().expect("vc");
    let code = victim["offer_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .find(|c| c["deleted"] == false && c["universal"] == false)
        .expect("a code")["id"]
        .as_str()
        .expect("id")
        .to_owned();

    for (method, path) in [
        (Method::GET, format!("/v2/products/{id}")),
        (Method::GET, format!("/v2/products/{permalink}")),
        (Method::PUT, format!("/v2/products/{id}")),
        (Method::DELETE, format!("/v2/products/{id}")),
        (Method::PUT, format!("/v2/products/{id}/enable")),
        (Method::PUT, format!("/v2/products/{id}/disable")),
        (Method::GET, format!("/v2/products/{id}/offer_codes")),
        (Method::GET, format!("/v2/products/{id}/custom_fields")),
        (
            Method::GET,
            format!("/v2/products/{id}/variant_categories/{category}/variants"),
        ),
        (Method::GET, format!("/v2/products/{id}/skus")),
    ] {
        let (status, body) = sim.call(method.clone(), &path, &mallory, &[]).await;
        assert_eq!(status, StatusCode::OK, "{method} {path}");
        assert_eq!(body, not_found("product"), "{method} {path}");
    }
    let (_, body) = sim
        .call(
            Method::GET,
            &format!("/v2/products/{own}/offer_codes/{code}"),
            &mallory,
            &[],
        )
        .await;
    assert_eq!(body, not_found("offer_code"));
    let (_, body) = sim
        .call(
            Method::DELETE,
            &format!("/v2/products/{own}/offer_codes/{code}"),
            &mallory,
            &[],
        )
        .await;
    assert_eq!(body, not_found("offer_code"));
    let (_, body) = sim
        .call(
            Method::GET,
            &format!("/v2/products/{own}/variant_categories/{category}"),
            &mallory,
            &[],
        )
        .await;
    assert_eq!(body, not_found("variant_category"));
    let after = sim.catalog(0).await;
    assert_eq!(after, victim, "nothing of creator 0 changed");
}

#[tokio::test]
async fn product_create_update_enable_and_their_messages() {
    let sim = spawn().await;
    let token = sim.token_for(0, ALL);
    let post = |form: Vec<(&'static str, &'static str)>| {
        let sim = &sim;
        let token = token.clone();
        async move {
            sim.call(Method::POST, "/v2/products", &token, &form)
                .await
                .1
        }
    };
    assert_eq!(
        post(vec![("name", "A"), ("price_currency_type", "zzz")]).await,
        failure("'zzz' is not a supported currency.")
    );
    assert_eq!(
        post(vec![("name", "A"), ("tags", "one")]).await,
        failure("tags must be an array of strings.")
    );
    assert_eq!(
        post(vec![("name", "A"), ("native_type", "physical")]).await,
        failure("The product type 'physical' is not supported for creation.")
    );
    assert_eq!(
        post(vec![("name", " "), ("price", "500")]).await,
        failure("Name can't be blank")
    );
    assert_eq!(
        post(vec![("name", "A"), ("price", "50")]).await,
        failure("Sorry, a product must be at least $0.99.")
    );
    assert_eq!(
        post(vec![("price", "50"), ("price_currency_type", "eur")]).await,
        failure("Name can't be blank and Sorry, a product must be at least €0.79.")
    );
    assert_eq!(
        post(vec![
            ("name", "A"),
            ("price", "50"),
            ("price_currency_type", "JPY")
        ])
        .await,
        failure("Sorry, a product must be at least ¥99.")
    );
    assert_eq!(
        post(vec![("name", "A"), ("subscription_duration", "weekly")]).await,
        failure("Subscription duration is not included in the list")
    );
    let membership = post(vec![
        ("name", "Club"),
        ("price", "500"),
        ("native_type", "membership"),
        ("subscription_duration", "yearly"),
    ])
    .await;
    assert_eq!(membership["product"]["is_tiered_membership"], true);
    assert_eq!(membership["product"]["recurrences"], json!(["yearly"]));
    assert_eq!(membership["product"]["formatted_price"], "$5 a year");
    assert_eq!(
        membership["product"]["variants"][0]["options"][0]["recurrence_prices"]["yearly"]["price_cents"],
        500
    );
    // Ten creates a minute, failed ones included: move to the next window.
    sim.control("/_sim/clock", json!({"seconds": 61})).await;
    let created = post(vec![("name", "Free thing"), ("price", "0")]).await;
    assert_eq!(created["success"], true);
    assert_eq!(
        created["product"]["published"], false,
        "new products are drafts"
    );
    assert_eq!(created["product"]["price"], 0);

    let created = sim
        .call_json(
            Method::POST,
            "/v2/products",
            &token,
            json!({"name": "Zine", "price": 1500, "price_currency_type": "jpy",
                   "tags": ["zine", "tokyo"], "description": "<p>Hi</p>"}),
        )
        .await;
    let product = &created["product"];
    assert_eq!(product["formatted_price"], "¥1,500");
    assert_eq!(product["tags"], json!(["zine", "tokyo"]));
    assert_eq!(product["sales_count"], 0);
    let id = product["id"].as_str().expect("id").to_owned();
    assert_eq!(id.len(), 24);
    let permalink = product["short_url"]
        .as_str()
        .expect("short_url")
        .rsplit('/')
        .next()
        .expect("permalink")
        .to_owned();
    assert!(
        product["short_url"]
            .as_str()
            .expect("short_url")
            .starts_with(&format!(
                "https://{}.gumroad.com/l/",
                sim.creator(0).username
            ))
    );
    let keys: Vec<&str> = product
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "id",
        "name",
        "description",
        "price",
        "currency",
        "formatted_price",
        "short_url",
        "url",
        "preview_url",
        "thumbnail_url",
        "custom_permalink",
        "custom_receipt",
        "custom_summary",
        "customizable_price",
        "require_shipping",
        "published",
        "deleted",
        "is_tiered_membership",
        "max_purchase_count",
        "subscription_duration",
        "recurrences",
        "tags",
        "file_info",
        "custom_fields",
        "variants",
    ] {
        assert!(keys.contains(&key), "{key} always present");
    }
    let (_, newest) = sim.call(Method::GET, "/v2/products", &token, &[]).await;
    assert_eq!(newest["products"][0]["id"], id.as_str(), "newest first");

    let (_, updated) = sim
        .call(
            Method::PATCH,
            &format!("/v2/products/{permalink}"),
            &token,
            &[("name", "Zine, 2nd ed."), ("price", "2000")],
        )
        .await;
    assert_eq!(updated["product"]["name"], "Zine, 2nd ed.");
    assert_eq!(
        updated["product"]["tags"],
        json!(["zine", "tokyo"]),
        "unsent fields stay"
    );
    let (_, refused) = sim
        .call(
            Method::PUT,
            &format!("/v2/products/{id}"),
            &token,
            &[("price", "10")],
        )
        .await;
    assert_eq!(refused, failure("Sorry, a product must be at least ¥99."));

    let (_, enabled) = sim
        .call(
            Method::PUT,
            &format!("/v2/products/{id}/enable"),
            &token,
            &[],
        )
        .await;
    assert_eq!(enabled["product"]["published"], true);
    let (_, disabled) = sim
        .call(
            Method::PUT,
            &format!("/v2/products/{id}/disable"),
            &token,
            &[],
        )
        .await;
    assert_eq!(disabled["product"]["published"], false);

    let broke = sim.token_for(1, ALL);
    let draft = &sim.live_product_ids(1).await[0];
    let (_, refused) = sim
        .call(
            Method::PUT,
            &format!("/v2/products/{draft}/enable"),
            &broke,
            &[],
        )
        .await;
    assert_eq!(
        refused,
        failure(
            "You must connect connect at least one payment method before you can publish this product for sale."
        )
    );
}

#[tokio::test]
async fn soft_deleted_products_are_shown_but_not_listed() {
    let sim = spawn().await;
    let token = sim.token_for(0, &["edit_products"]);
    let id = sim.live_product_ids(0).await[4].clone();
    let (_, body) = sim
        .call(Method::DELETE, &format!("/v2/products/{id}"), &token, &[])
        .await;
    assert_eq!(
        body,
        json!({"success": true, "message": "The product was deleted successfully."})
    );
    let (_, shown) = sim
        .call(Method::GET, &format!("/v2/products/{id}"), &token, &[])
        .await;
    assert_eq!(shown["product"]["deleted"], true);
    assert!(
        shown["product"].get("sales_count").is_none(),
        "no view_sales"
    );
    let mut listed = 0;
    let mut path = "/v2/products".to_owned();
    loop {
        let (_, page) = sim.call(Method::GET, &path, &token, &[]).await;
        for product in page["products"].as_array().expect("products") {
            assert_ne!(product["id"], id.as_str());
            listed += 1;
        }
        match page["next_page_url"].as_str() {
            Some(next) => path = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(listed, 22);
}

#[tokio::test]
async fn writes_need_edit_products() {
    let sim = spawn().await;
    let read_only = sim.token_for(0, &["view_profile", "view_sales"]);
    let id = sim.live_product_ids(0).await[0].clone();
    for (method, path) in [
        (Method::POST, "/v2/products".to_owned()),
        (Method::PUT, format!("/v2/products/{id}")),
        (Method::DELETE, format!("/v2/products/{id}")),
        (Method::PUT, format!("/v2/products/{id}/enable")),
        (Method::POST, format!("/v2/products/{id}/offer_codes")),
        (Method::POST, format!("/v2/products/{id}/custom_fields")),
        (
            Method::POST,
            format!("/v2/products/{id}/variant_categories"),
        ),
    ] {
        let response = sim
            .http
            .request(method.clone(), sim.url(&path))
            .bearer_auth(&read_only)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method} {path}");
        assert!(response.text().await.expect("body").is_empty());
    }
    let (status, _) = sim
        .call(Method::GET, &format!("/v2/products/{id}"), &read_only, &[])
        .await;
    assert_eq!(status, StatusCode::OK, "reads need any scope");
    let (status, _) = sim
        .call(Method::GET, "/v2/products", "not-a-token", &[])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn product_create_is_rate_limited_per_ip() {
    let sim = spawn().await;
    let token = sim.token_for(0, ALL);
    // The windows are aligned to the minute: start early enough in one that the burst fits.
    let second = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        % 60;
    if second > 50 {
        tokio::time::sleep(Duration::from_secs(61 - second)).await;
    }
    for i in 0..10 {
        let (status, body) = sim
            .call(
                Method::POST,
                "/v2/products",
                &token,
                &[("name", "Burst"), ("price", "100")],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "request {i}");
        assert_eq!(body["success"], true);
    }
    let limited = sim
        .http
        .post(sim.url("/api/v2/products.json"))
        .bearer_auth(&token)
        .form(&[("name", "One too many")])
        .send()
        .await
        .expect("create");
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()[CONTENT_TYPE], "text/plain");
    assert_eq!(limited.text().await.expect("body"), "Retry later\n");
    let id = sim.live_product_ids(0).await[0].clone();
    let (status, _) = sim
        .call(
            Method::PUT,
            &format!("/v2/products/{id}"),
            &token,
            &[("name", "Still fine")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "updates are counted apart");
    sim.control("/_sim/clock", json!({"seconds": 61})).await;
    let (status, _) = sim
        .call(Method::POST, "/v2/products", &token, &[("name", "Later")])
        .await;
    assert_eq!(status, StatusCode::OK, "a new window");
}

#[tokio::test]
async fn variant_categories_and_variants() {
    let sim = spawn().await;
    let token = sim.token_for(0, ALL);
    let product = sim.product_named("The Freelancer's Pricing Handbook").await;
    let base = format!("/v2/products/{product}/variant_categories");
    let (_, list) = sim.call(Method::GET, &base, &token, &[]).await;
    let categories = list["variant_categories"].as_array().expect("categories");
    assert_eq!(categories.len(), 1);
    assert_eq!(categories[0]["title"], "Format");
    let format_id = categories[0]["id"].as_str().expect("id").to_owned();
    let (_, variants) = sim
        .call(
            Method::GET,
            &format!("{base}/{format_id}/variants"),
            &token,
            &[],
        )
        .await;
    let names: Vec<&str> = variants["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .map(|v| v["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, vec!["PDF", "EPUB", "PDF + EPUB"]);
    assert_eq!(variants["variants"][2]["price_difference_cents"], 500);
    let (_, shown) = sim
        .call(Method::GET, &format!("/v2/products/{product}"), &token, &[])
        .await;
    let option = &shown["product"]["variants"][0]["options"][2];
    assert_eq!(option["price_difference"], 500);
    assert!(option.get("price_difference_cents").is_none());

    let (_, blank) = sim
        .call(Method::POST, &base, &token, &[("title", "")])
        .await;
    assert_eq!(blank["success"], true, "no validation on create");
    assert_eq!(blank["variant_category"]["title"], "");
    let new_id = blank["variant_category"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (_, renamed) = sim
        .call(
            Method::PUT,
            &format!("{base}/{new_id}"),
            &token,
            &[("title", "Size")],
        )
        .await;
    assert_eq!(
        renamed["variant_category"],
        json!({"id": new_id, "title": "Size"})
    );

    let variants_path = format!("{base}/{new_id}/variants");
    let (_, invalid) = sim
        .call(
            Method::POST,
            &variants_path,
            &token,
            &[("price_difference_cents", "-1")],
        )
        .await;
    assert_eq!(
        invalid,
        failure(
            "Name can't be blank and Please enter a price that is equal to or greater than the price of the product."
        )
    );
    let (_, created) = sim
        .call(
            Method::POST,
            &variants_path,
            &token,
            &[
                ("name", "Large"),
                ("price_difference_cents", "250"),
                ("max_purchase_count", "5"),
            ],
        )
        .await;
    assert_eq!(created["variant"]["name"], "Large");
    assert_eq!(created["variant"]["price_difference_cents"], 250);
    assert_eq!(created["variant"]["max_purchase_count"], 5);
    let variant_id = created["variant"]["id"].as_str().expect("id").to_owned();
    let (_, gone) = sim
        .call(
            Method::DELETE,
            &format!("{variants_path}/{variant_id}"),
            &token,
            &[],
        )
        .await;
    assert_eq!(
        gone,
        json!({"success": true, "message": "The variant was deleted successfully."})
    );
    let (_, still) = sim
        .call(
            Method::GET,
            &format!("{variants_path}/{variant_id}"),
            &token,
            &[],
        )
        .await;
    assert_eq!(
        still["variant"]["name"], "Large",
        "show finds deleted variants"
    );
    let (_, live) = sim.call(Method::GET, &variants_path, &token, &[]).await;
    assert_eq!(live["variants"], json!([]));

    let unknown = format!("{base}/AAAAAAAAAAAAAAAAAAAAAA==/variants");
    let html = sim
        .http
        .post(sim.url(&unknown))
        .bearer_auth(&token)
        .form(&[("name", "X")])
        .send()
        .await
        .expect("variant");
    assert_eq!(html.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let (status, body) = sim
        .call(Method::GET, &format!("/api{unknown}.json"), &token, &[])
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        body,
        json!({"status": 500, "error": "Internal Server Error"})
    );
    let (_, body) = sim
        .call(
            Method::GET,
            &format!("{base}/AAAAAAAAAAAAAAAAAAAAAA=="),
            &token,
            &[],
        )
        .await;
    assert_eq!(body, not_found("variant_category"));
    let (_, body) = sim
        .call(Method::DELETE, &format!("{base}/{new_id}"), &token, &[])
        .await;
    assert_eq!(
        body,
        json!({"success": true, "message": "The variant_category was deleted successfully."})
    );
    let (_, skus) = sim
        .call(
            Method::GET,
            &format!("/v2/products/{product}/skus"),
            &token,
            &[],
        )
        .await;
    assert_eq!(skus, json!({"success": true, "skus": []}));
}

#[tokio::test]
async fn offer_code_rules() {
    let sim = spawn().await;
    let token = sim.token_for(0, ALL);
    let rust = sim.product_named("Rust for Busy People").await;
    let codes_path = format!("/v2/products/{rust}/offer_codes");
    let (_, listed) = sim.call(Method::GET, &codes_path, &token, &[]).await;
    let codes = listed["offer_codes"].as_array().expect("codes");
    let names: Vec<&str> = codes
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert!(names.contains(&"SAVE5") && names.contains(&"EARLYBIRD") && names.contains(&"FRIENDS"));
    let friends = codes
        .iter()
        .find(|c| c["name"] == "FRIENDS")
        .expect("universal");
    assert_eq!(friends["universal"], true);
    assert_eq!(friends["percent_off"], 15);
    assert!(friends.get("amount_cents").is_none());
    let save5 = codes.iter().find(|c| c["name"] == "SAVE5").expect("SAVE5");
    assert_eq!(save5["amount_cents"], 500);
    assert!(save5.get("percent_off").is_none() && save5.get("offer_type").is_none());

    let post = |form: Vec<(&'static str, &'static str)>| {
        let sim = &sim;
        let token = token.clone();
        let path = codes_path.clone();
        async move { sim.call(Method::POST, &path, &token, &form).await.1 }
    };
    assert_eq!(
        post(vec![("name", "NOAMOUNT")]).await,
        failure(
            "You are missing required offer code parameters. Please refer to https://gumroad.com/api#offer-codes for the correct parameters."
        )
    );
    assert_eq!(
        post(vec![
            ("name", "TOOMUCH"),
            ("amount_off", "150"),
            ("offer_type", "percent")
        ])
        .await,
        failure("Please enter a discount amount that is 100% or less.")
    );
    assert_eq!(
        post(vec![("name", "save5"), ("amount_cents", "100")]).await,
        failure("Discount code must be unique.")
    );
    assert_eq!(
        post(vec![("name", "bad code!"), ("amount_cents", "0")]).await,
        failure(
            "Discount code can only contain numbers, letters, dashes, and underscores. and Please enter a positive discount amount."
        )
    );
    assert_eq!(
        post(vec![("name", "CHEAP"), ("amount_cents", "14850")]).await,
        failure(
            "The price after discount for all of your products must be either $0 or at least $0.99."
        )
    );
    let fixed = post(vec![
        ("name", "TENOFF"),
        ("amount_off", "1000"),
        ("offer_type", "cents"),
    ])
    .await;
    assert_eq!(fixed["offer_code"]["amount_cents"], 1000);
    assert_eq!(fixed["offer_code"]["universal"], false);
    assert_eq!(fixed["offer_code"]["times_used"], 0);

    let json_true = sim
        .call_json(
            Method::POST,
            &codes_path,
            &token,
            json!({"name": "JSONTRUE", "amount_off": 10, "offer_type": "percent", "universal": true}),
        )
        .await;
    assert_eq!(
        json_true["offer_code"]["universal"], false,
        "JSON true is not \"true\""
    );
    assert_eq!(json_true["offer_code"]["percent_off"], 10);
    let string_true = post(vec![
        ("name", "EVERYWHERE"),
        ("amount_off", "5"),
        ("offer_type", "percent"),
        ("universal", "true"),
    ])
    .await;
    assert_eq!(string_true["offer_code"]["universal"], true);
    let other = sim.product_named("Golden Hour Lightroom Presets").await;
    let (_, elsewhere) = sim
        .call(
            Method::GET,
            &format!("/v2/products/{other}/offer_codes"),
            &token,
            &[],
        )
        .await;
    let names: Vec<&str> = elsewhere["offer_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        vec!["FRIENDS", "EVERYWHERE"],
        "universal codes, created_at ascending"
    );

    let earlybird = codes
        .iter()
        .find(|c| c["name"] == "EARLYBIRD")
        .expect("EARLYBIRD");
    assert_eq!(earlybird["times_used"], 50);
    let earlybird_path = format!("{codes_path}/{}", earlybird["id"].as_str().expect("id"));
    let (_, capped) = sim
        .call(
            Method::PUT,
            &earlybird_path,
            &token,
            &[("max_purchase_count", "10"), ("name", "RENAMED")],
        )
        .await;
    assert_eq!(
        capped,
        failure(
            "You have chosen a discount code quantity that is less that the number already used. Please enter an amount no less than 50."
        )
    );
    let (_, raised) = sim
        .call(
            Method::PATCH,
            &earlybird_path,
            &token,
            &[
                ("max_purchase_count", "80"),
                ("name", "RENAMED"),
                ("minimum_amount_cents", "5000"),
            ],
        )
        .await;
    assert_eq!(raised["offer_code"]["max_purchase_count"], 80);
    assert_eq!(
        raised["offer_code"]["name"], "EARLYBIRD",
        "only the cap changes"
    );
    let catalog = sim.catalog(0).await;
    let stored = catalog["offer_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .find(|c| c["name"] == "EARLYBIRD")
        .expect("EARLYBIRD")
        .clone();
    assert_eq!(stored["minimum_amount_cents"], 5000);
    let (_, gone) = sim.call(Method::DELETE, &earlybird_path, &token, &[]).await;
    assert_eq!(
        gone,
        json!({"success": true, "message": "The offer_code was deleted successfully."})
    );
    let (_, after) = sim.call(Method::GET, &earlybird_path, &token, &[]).await;
    assert_eq!(after, not_found("offer_code"));
}

#[tokio::test]
async fn custom_fields_by_name() {
    let sim = spawn().await;
    let token = sim.token_for(0, ALL);
    let rust = sim.product_named("Rust for Busy People").await;
    let workshop = sim
        .product_named("Systems Programming Workshop Recording")
        .await;
    let path = format!("/v2/products/{rust}/custom_fields");
    let (_, listed) = sim.call(Method::GET, &path, &token, &[]).await;
    let fields = listed["custom_fields"].as_array().expect("fields");
    let company = fields
        .iter()
        .find(|f| f["name"] == "Company")
        .expect("Company");
    assert_eq!(company["products"].as_array().expect("products").len(), 2);
    let keys: Vec<&str> = company
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "id",
        "type",
        "name",
        "required",
        "global",
        "collect_per_product",
        "products",
    ] {
        assert!(keys.contains(&key), "{key}");
    }
    assert!(
        fields.iter().any(|f| f["global"] == true),
        "the seller's global field"
    );

    let (_, quiet) = sim
        .call(
            Method::POST,
            &path,
            &token,
            &[("name", "Team size"), ("required", "1")],
        )
        .await;
    assert_eq!(
        quiet["custom_field"]["required"], false,
        "only \"true\" counts"
    );
    assert_eq!(quiet["custom_field"]["type"], "text");
    let json_true = sim
        .call_json(
            Method::POST,
            &path,
            &token,
            json!({"label": "Role", "required": true}),
        )
        .await;
    assert_eq!(json_true["custom_field"]["required"], false);
    assert_eq!(json_true["custom_field"]["name"], "Role");
    let (_, terms) = sim
        .call(
            Method::POST,
            &path,
            &token,
            &[
                ("type", "terms"),
                ("url", "https://example.com/rules"),
                ("required", "true"),
            ],
        )
        .await;
    assert_eq!(terms["custom_field"]["required"], true);
    for form in [
        vec![("type", "terms"), ("name", "Just agree")],
        vec![("type", "dropdown"), ("name", "Colour")],
        vec![("name", "")],
    ] {
        let (_, body) = sim.call(Method::POST, &path, &token, &form).await;
        assert_eq!(
            body,
            failure("The custom_field was unable to be created."),
            "{form:?}"
        );
    }

    let (_, updated) = sim
        .call(
            Method::PUT,
            &format!("{path}/Team%20size"),
            &token,
            &[("required", "true")],
        )
        .await;
    assert_eq!(updated["custom_field"]["required"], true);
    let (_, unchanged) = sim
        .call(Method::PATCH, &format!("{path}/Team%20size"), &token, &[])
        .await;
    assert_eq!(unchanged["custom_field"]["required"], true);
    let (_, by_url) = sim
        .call(
            Method::PUT,
            &format!("{path}/https:%2F%2Fexample.com%2Frules"),
            &token,
            &[("required", "false")],
        )
        .await;
    assert_eq!(by_url["custom_field"]["required"], false);
    let (_, missing) = sim
        .call(Method::DELETE, &format!("{path}/Nope"), &token, &[])
        .await;
    assert_eq!(missing, not_found("custom_field"));

    let (_, unlinked) = sim
        .call(Method::DELETE, &format!("{path}/Company"), &token, &[])
        .await;
    assert_eq!(
        unlinked,
        json!({"success": true, "message": "The custom_field was deleted successfully."})
    );
    let (_, here) = sim.call(Method::GET, &path, &token, &[]).await;
    assert!(
        !here["custom_fields"]
            .as_array()
            .expect("fields")
            .iter()
            .any(|f| f["name"] == "Company")
    );
    let (_, there) = sim
        .call(
            Method::GET,
            &format!("/v2/products/{workshop}/custom_fields"),
            &token,
            &[],
        )
        .await;
    let company = there["custom_fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["name"] == "Company")
        .expect("still linked to the other product")
        .clone();
    assert_eq!(company["products"], json!([workshop]));
    let (_, shown) = sim
        .call(Method::GET, &format!("/v2/products/{rust}"), &token, &[])
        .await;
    let inside = shown["product"]["custom_fields"]
        .as_array()
        .expect("fields");
    assert!(
        inside
            .iter()
            .all(|f| f.get("global").is_none() && f.get("products").is_none())
    );
}

#[tokio::test]
async fn string_values_profile_and_scope_dependent_sales() {
    let sim = spawn().await;
    let product = sim.product_named("Rust for Busy People").await;
    let (_, plain) = sim
        .call(
            Method::GET,
            &format!("/v2/products/{product}"),
            &sim.token_for(0, &["edit_products"]),
            &[],
        )
        .await;
    assert!(plain["product"].get("sales_count").is_none());
    assert!(plain["product"]["price"].is_i64());

    sim.control("/_sim/profile", json!({"string_values": true}))
        .await;
    let token = sim.token_for(0, ALL);
    let (_, shown) = sim
        .call(Method::GET, &format!("/v2/products/{product}"), &token, &[])
        .await;
    assert_eq!(shown["success"], true, "the envelope stays boolean");
    assert_eq!(shown["product"]["price"], "14900");
    assert!(shown["product"]["sales_count"].is_string());
    assert!(shown["product"]["sales_usd_cents"].is_string());
    assert_eq!(
        shown["product"]["published"]
            .as_str()
            .map(|s| s == "true" || s == "false"),
        Some(true)
    );
    let (_, fields) = sim
        .call(
            Method::GET,
            &format!("/v2/products/{product}/custom_fields"),
            &token,
            &[],
        )
        .await;
    assert_eq!(fields["custom_fields"][0]["required"], "false");
    let (_, page) = sim.call(Method::GET, "/v2/products", &token, &[]).await;
    assert!(page["next_page_key"].is_string());
}

#[tokio::test]
async fn tiered_membership_price_is_refused_on_update() {
    let sim = spawn().await;
    let token = sim.token_for(0, ALL);
    let club = sim.product_named("Sketchbook Club").await;
    let path = format!("/v2/products/{club}");
    for method in [Method::PUT, Method::PATCH] {
        let (status, body) = sim
            .call(method, &path, &token, &[("price", "700"), ("name", "Club")])
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body,
            failure(
                "Price cannot be updated for tiered membership products. Use the variant endpoints to manage tier pricing."
            )
        );
    }
    let (_, renamed) = sim
        .call(Method::PUT, &path, &token, &[("name", "Sketchbook Club+")])
        .await;
    assert_eq!(renamed["product"]["name"], "Sketchbook Club+");
    assert_eq!(renamed["product"]["price"], 500, "price untouched");
    // Not a tiered membership: the price changes.
    let zine = sim.product_named("Pixel Art Sprite Kit").await;
    let (_, repriced) = sim
        .call(
            Method::PUT,
            &format!("/v2/products/{zine}"),
            &token,
            &[("price", "1100")],
        )
        .await;
    assert_eq!(repriced["product"]["price"], 1100);
}

#[tokio::test]
async fn enable_checks_offer_codes_before_the_payment_method() {
    let sim = spawn().await;
    let broke = sim.token_for(1, ALL);
    let mut draft = None;
    for id in sim.live_product_ids(1).await {
        let (_, shown) = sim
            .call(Method::GET, &format!("/v2/products/{id}"), &broke, &[])
            .await;
        if shown["product"]["is_tiered_membership"] == false {
            draft = Some(id);
            break;
        }
    }
    let draft = draft.expect("a draft that is not a tiered membership");
    let path = format!("/v2/products/{draft}");
    let put = |form: Vec<(&'static str, &'static str)>| {
        let (sim, broke, path) = (&sim, &broke, &path);
        async move { sim.call(Method::PUT, path, broke, &form).await.1 }
    };
    let repriced = put(vec![("price", "1000"), ("price_currency_type", "usd")]).await;
    assert_eq!(repriced["product"]["price"], 1000);
    let (_, code) = sim
        .call(
            Method::POST,
            &format!("{path}/offer_codes"),
            &broke,
            &[("name", "HALF"), ("amount_cents", "500")],
        )
        .await;
    assert_eq!(code["success"], true);
    // The update does not look at codes; now HALF would leave $0.50.
    assert_eq!(put(vec![("price", "550")]).await["success"], true);
    let enable = format!("{path}/enable");
    let (_, refused) = sim.call(Method::PUT, &enable, &broke, &[]).await;
    assert_eq!(
        refused,
        failure(
            "The price after discount for all of your products must be either $0 or at least $0.99."
        ),
        "the offer-code check runs before the payment-method check"
    );
    assert_eq!(put(vec![("price", "1000")]).await["success"], true);
    let (_, refused) = sim.call(Method::PUT, &enable, &broke, &[]).await;
    assert_eq!(
        refused,
        failure(
            "You must connect connect at least one payment method before you can publish this product for sale."
        )
    );
    // With a payment method, a code below the minimum still stops publishing (currency-specific text).
    let token = sim.token_for(0, ALL);
    let wiki = sim.product_named("Notion Team Wiki Template").await;
    let (_, set) = sim
        .call(
            Method::PUT,
            &format!("/v2/products/{wiki}"),
            &token,
            &[("price", "250")],
        )
        .await;
    assert_eq!(set["success"], true, "BIENVENUE (2 €) now leaves 0.50 €");
    let (_, refused) = sim
        .call(
            Method::PUT,
            &format!("/v2/products/{wiki}/enable"),
            &token,
            &[],
        )
        .await;
    assert_eq!(
        refused,
        failure(
            "The price after discount for all of your products must be either €0 or at least €0.79."
        )
    );
}

#[tokio::test]
async fn file_parameters_are_refused_before_anything_else() {
    let sim = spawn().await;
    let token = sim.token_for(0, ALL);
    let (_, created) = sim
        .call(
            Method::POST,
            "/v2/products",
            &token,
            &[
                ("name", ""),
                ("price_currency_type", "zzz"),
                ("preview", "cover.png"),
                ("file", "book.pdf"),
            ],
        )
        .await;
    assert_eq!(
        created,
        failure("'file' is not an accepted parameter on POST /v2/products.")
    );
    let club = sim.product_named("Sketchbook Club").await;
    for (method, name) in [(Method::PUT, "thumbnail"), (Method::PATCH, "preview")] {
        let (_, updated) = sim
            .call(
                method,
                &format!("/v2/products/{club}"),
                &token,
                &[(name, "x.png"), ("price", "100")],
            )
            .await;
        assert_eq!(
            updated,
            failure(&format!(
                "'{name}' is not an accepted parameter on PUT /v2/products/:id."
            ))
        );
    }
}

#[tokio::test]
async fn query_values_win_over_body_values() {
    let sim = spawn().await;
    let token = sim.token_for(0, ALL);
    let kit = sim.product_named("Pixel Art Sprite Kit").await;
    let (_, updated) = sim
        .call(
            Method::PUT,
            &format!("/v2/products/{kit}?name=From%20query"),
            &token,
            &[("name", "From body")],
        )
        .await;
    assert_eq!(updated["product"]["name"], "From query");
    // JSON `true` is not the string "true", but the query's "true" wins over it.
    let (_, code) = sim
        .call(
            Method::POST,
            &format!("/v2/products/{kit}/offer_codes?universal=true"),
            &token,
            &[],
        )
        .await;
    assert_eq!(
        code,
        failure(
            "You are missing required offer code parameters. Please refer to https://gumroad.com/api#offer-codes for the correct parameters."
        )
    );
    let response = sim
        .http
        .post(sim.url(&format!(
            "/v2/products/{kit}/offer_codes?universal=true&name=QUERYWINS"
        )))
        .bearer_auth(&token)
        .json(&json!({"name": "BODY", "amount_off": "10", "offer_type": "percent", "universal": true}))
        .send()
        .await
        .expect("request");
    let code: Value = response.json().await.expect("JSON");
    assert_eq!(code["offer_code"]["name"], "QUERYWINS");
    assert_eq!(code["offer_code"]["universal"], true);
    // The token: a valid one in the query beats a bad one in the body.
    let response = sim
        .http
        .get(sim.url(&format!("/v2/user?access_token={token}")))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("access_token=bogus")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn numbers_out_of_range_are_refused_not_zeroed() {
    const OUT: &str = "One or more numeric values are out of range.";
    const HUGE: &str = "99999999999999999999";
    let sim = spawn().await;
    let token = sim.token_for(0, ALL);
    let (_, created) = sim
        .call(
            Method::POST,
            "/v2/products",
            &token,
            &[("name", "Huge"), ("price", HUGE)],
        )
        .await;
    assert_eq!(created, failure(OUT));
    let handbook = sim.product_named("The Freelancer's Pricing Handbook").await;
    let product = format!("/v2/products/{handbook}");
    let (_, updated) = sim
        .call(
            Method::PUT,
            &product,
            &token,
            &[("max_purchase_count", HUGE)],
        )
        .await;
    assert_eq!(updated, failure(OUT));
    let (_, code) = sim
        .call(
            Method::POST,
            &format!("{product}/offer_codes"),
            &token,
            &[("name", "BIG"), ("amount_cents", HUGE)],
        )
        .await;
    assert_eq!(code, failure(OUT));
    let rust = sim.product_named("Rust for Busy People").await;
    let (_, listed) = sim
        .call(
            Method::GET,
            &format!("/v2/products/{rust}/offer_codes"),
            &token,
            &[],
        )
        .await;
    let save5 = listed["offer_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .find(|c| c["name"] == "SAVE5")
        .and_then(|c| c["id"].as_str())
        .expect("SAVE5")
        .to_owned();
    let (_, code) = sim
        .call(
            Method::PUT,
            &format!("/v2/products/{rust}/offer_codes/{save5}"),
            &token,
            &[("max_purchase_count", HUGE)],
        )
        .await;
    assert_eq!(code, failure(OUT));

    let (_, list) = sim
        .call(
            Method::GET,
            &format!("{product}/variant_categories"),
            &token,
            &[],
        )
        .await;
    let category = list["variant_categories"][0]["id"].as_str().expect("id");
    let variants = format!("{product}/variant_categories/{category}/variants");
    let (_, variant) = sim
        .call(
            Method::POST,
            &variants,
            &token,
            &[("name", "Big"), ("price_difference_cents", HUGE)],
        )
        .await;
    assert_eq!(variant, failure(OUT));
    // Fits in an i64, but price + difference overflows: above the maximum, not a crash.
    let (status, variant) = sim
        .call(
            Method::POST,
            &variants,
            &token,
            &[
                ("name", "Max"),
                ("price_difference_cents", "9223372036854775807"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        variant,
        failure("Sorry, we don't support pricing products above $5,000.")
    );
    let (status, _) = sim.call(Method::GET, &product, &token, &[]).await;
    assert_eq!(status, StatusCode::OK, "the simulator is still up");
}

#[tokio::test]
async fn offer_code_create_checks_parameters_before_the_product() {
    let sim = spawn().await;
    let token = sim.token_for(0, ALL);
    let (_, missing) = sim
        .call(
            Method::POST,
            "/v2/products/nope/offer_codes",
            &token,
            &[("name", "X")],
        )
        .await;
    assert_eq!(
        missing,
        failure(
            "You are missing required offer code parameters. Please refer to https://gumroad.com/api#offer-codes for the correct parameters."
        )
    );
    let (_, unknown) = sim
        .call(
            Method::POST,
            "/v2/products/nope/offer_codes",
            &token,
            &[("name", "X"), ("amount_cents", "100")],
        )
        .await;
    assert_eq!(unknown, not_found("product"));
}

#[tokio::test]
async fn user_links_are_the_live_products_short_urls() {
    let sim = spawn().await;
    let catalog = sim.catalog(0).await;
    let mut expected: Vec<(String, String)> = catalog["products"]
        .as_array()
        .expect("products")
        .iter()
        .filter(|p| p["deleted"] == false)
        .map(|p| {
            (
                p["created_at"].as_str().expect("created_at").to_owned(),
                p["short_url"].as_str().expect("short_url").to_owned(),
            )
        })
        .collect();
    expected.sort();
    let expected: Vec<String> = expected.into_iter().map(|(_, url)| url).collect();
    assert_eq!(expected.len(), 23);
    let username = &sim.creator(0).username;
    assert!(
        expected
            .iter()
            .all(|u| u.starts_with(&format!("https://{username}.gumroad.com/l/")))
    );
    for scopes in [&["view_profile"][..], &["edit_emails"][..]] {
        let token = sim.token_for(0, scopes);
        let user: Value = sim.user(&token).await.json().await.expect("JSON");
        assert_eq!(user["user"]["links"], json!(expected), "{scopes:?}");
        let nobody = sim.token_for(2, scopes);
        let user: Value = sim.user(&nobody).await.json().await.expect("JSON");
        assert_eq!(user["user"]["links"], Value::Null, "no products: null");
    }
}
