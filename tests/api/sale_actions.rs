//! Acting on sales over real HTTP against the simulator (issue 8): refunds (full, partial, replayed,
//! refused, unknown outcome), the scope offer, shipping, receipts, license keys, CSRF, isolation and
//! the audit trail. The simulator's own state is the judge of what reached Gumroad.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Browser, TestApp, hidden_fields, location, page_text, spawn_app_with};

/// Sign-in asks for the action scopes too, so the stored token can refund and ship.
async fn app_with_action_scopes() -> TestApp {
    spawn_app_with(|s| {
        s.gumroad
            .scopes
            .extend(["edit_sales".to_owned(), "mark_sales_as_shipped".to_owned()]);
    })
    .await
}

async fn synced(app: &TestApp, creator: usize) -> Browser {
    let browser = app.signed_in(creator).await;
    app.run_jobs().await;
    assert_eq!(app.failed_jobs().await, vec![]);
    // The sync can outlast the server's keep-alive: a pooled connection it closed fails the next
    // request once (hyper's IncompleteMessage). A browser would open a new one; so does this.
    for _ in 0..2 {
        if browser
            .client
            .get(browser.url("/healthz"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
    }
    browser
}

/// Creator 0 signed in with the action scopes, the mirror synced, and a plain USD sale's id.
async fn with_a_usd_sale() -> (TestApp, Browser, String) {
    let app = app_with_action_scopes().await;
    let browser = synced(&app, 0).await;
    let id = plain_usd_sale(&app, |_| true);
    (app, browser, id)
}

/// A sale of creator 0 as the simulator has it now.
fn sim_sale(app: &TestApp, id: &str) -> Value {
    app.sim
        .sales_of(&app.creator(0).id)
        .into_iter()
        .find(|s| s["id"] == id)
        .expect("the sale is listed")
}

/// A paid USD sale of creator 0, untouched by refunds and disputes, matching `also`.
fn plain_usd_sale(app: &TestApp, also: impl Fn(&Value) -> bool) -> String {
    app.sim
        .sales_of(&app.creator(0).id)
        .into_iter()
        .find(|s| {
            s["currency_symbol"] == "$"
                && s["price"].as_i64().unwrap_or(0) >= 1000
                && s["refunded"] == false
                && s["partially_refunded"] == false
                && s["disputed"] == false
                && also(s)
        })
        .and_then(|s| s["id"].as_str().map(str::to_owned))
        .expect("a plain USD sale")
}

/// `"$1,234.50"`, `"12"` → cents.
fn usd_cents(text: &Value) -> i64 {
    let number: f64 = text
        .as_str()
        .unwrap()
        .replace(['$', ','], "")
        .parse()
        .unwrap();
    (number * 100.0).round() as i64
}

/// USD refunded in the mirror's totals (the rollup trigger's figure).
async fn usd_refunded_total(app: &TestApp) -> i64 {
    let tenant = app.tenant_id_of(&app.creator(0)).await;
    sqlx::query_scalar(
        "SELECT coalesce(sum(refunded_cents), 0)::int8 FROM sales_totals
         WHERE creator_id = $1 AND currency = 'usd'",
    )
    .bind(tenant.get())
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn mirrored_refund(app: &TestApp, id: &str) -> (i64, bool) {
    sqlx::query_as("SELECT refunded_cents, refunded FROM sales WHERE gumroad_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Opens the refund form, reviews `amount` and returns the confirmation form's fields.
async fn review(browser: &Browser, id: &str, amount: &str) -> (StatusCode, String) {
    let (status, html) = browser.get_html(&format!("/sales/{id}/refund")).await;
    assert_eq!(status, StatusCode::OK, "{}", page_text(&html));
    let mut fields = hidden_fields(&html, "form[action$='/refund']");
    fields.retain(|(k, _)| k != "amount");
    fields.push(("amount".into(), amount.into()));
    let response = browser
        .post_form(&format!("/sales/{id}/refund"), &pairs(&fields))
        .await;
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// The confirmation page's form, as a browser would send it.
fn confirm_fields(html: &str) -> Vec<(String, String)> {
    hidden_fields(html, "form[action$='/refund/confirm']")
}

async fn confirm(browser: &Browser, id: &str, fields: &[(String, String)]) -> reqwest::Response {
    browser
        .post_form(&format!("/sales/{id}/refund/confirm"), &pairs(fields))
        .await
}

#[tokio::test]
async fn a_partial_then_a_full_refund_reach_gumroad_once_and_show_on_the_sale_and_in_totals() {
    let (app, browser, id) = with_a_usd_sale().await;
    let paid = sim_sale(&app, &id)["formatted_total_price"].clone();
    let before = usd_refunded_total(&app).await;

    let (status, html) = review(&browser, &id, "5").await;
    assert_eq!(status, StatusCode::OK);
    let text = page_text(&html);
    assert!(text.contains("Refund $5.00 of the"), "{text}");
    assert!(text.contains("Gumroad keeps its fees"), "{text}");
    assert_eq!(
        sim_sale(&app, &id)["partially_refunded"],
        false,
        "nothing happens before confirming"
    );
    let fields = confirm_fields(&html);
    let response = confirm(&browser, &id, &fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, sale_page) = browser.get_html(&location(&response)).await;
    let text = page_text(&sale_page);
    assert!(text.contains("Refunded $5.00"), "{text}");
    assert!(text.contains("Refund of $5.00 Done"), "history: {text}");
    assert_eq!(sim_sale(&app, &id)["partially_refunded"], true);
    assert_eq!(mirrored_refund(&app, &id).await, (500, false));
    assert_eq!(usd_refunded_total(&app).await, before + 500);

    // The same confirmation again (a refresh, a replay, a double click): nothing more.
    let left = sim_sale(&app, &id)["amount_refundable_in_currency"].clone();
    let replay = confirm(&browser, &id, &fields).await;
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
    let (_, page) = browser.get_html(&location(&replay)).await;
    assert!(
        page_text(&page).contains("already sent"),
        "{}",
        page_text(&page)
    );
    assert_eq!(sim_sale(&app, &id)["amount_refundable_in_currency"], left);
    assert_eq!(usd_refunded_total(&app).await, before + 500);

    let (_, html) = review(&browser, &id, "").await;
    assert!(page_text(&html).contains("everything still refundable"));
    let response = confirm(&browser, &id, &confirm_fields(&html)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let sale = sim_sale(&app, &id);
    assert_eq!(
        (&sale["refunded"], &sale["amount_refundable_in_currency"]),
        (&json!(true), &json!("0"))
    );
    let (refunded_cents, refunded) = mirrored_refund(&app, &id).await;
    assert!(refunded);
    let paid_cents = usd_cents(&paid);
    assert_eq!(refunded_cents, paid_cents);
    assert_eq!(usd_refunded_total(&app).await, before + paid_cents);
    let (_, page) = browser.get_html(&format!("/sales/{id}")).await;
    let text = page_text(&page);
    assert!(text.contains("Refund of everything left Done"), "{text}");
    assert!(
        !text.contains("Refund…"),
        "no refund offered once refunded in full"
    );
}

#[tokio::test]
async fn a_double_submitted_refund_form_refunds_once() {
    let (app, browser, id) = with_a_usd_sale().await;
    let (_, html) = review(&browser, &id, "3").await;
    let fields = confirm_fields(&html);
    let (a, b) = tokio::join!(
        confirm(&browser, &id, &fields),
        confirm(&browser, &id, &fields)
    );
    assert_eq!(
        (a.status(), b.status()),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    let sale = sim_sale(&app, &id);
    let paid = usd_cents(&sale["formatted_total_price"]);
    let left = usd_cents(&sale["amount_refundable_in_currency"]);
    assert_eq!(paid - left, 300, "refunded $3 once: {paid} → {left}");
    assert_eq!(mirrored_refund(&app, &id).await.0, 300);
}

#[tokio::test]
async fn gumroads_refusals_show_beside_the_form_and_change_nothing() {
    let (app, browser, id) = with_a_usd_sale().await;
    // Someone refunded most of it on Gumroad itself; the mirror has not seen that yet.
    let cents = usd_cents(&sim_sale(&app, &id)["formatted_total_price"]);
    app.sim.refund_sale(&id, Some(cents - 100));
    let before = usd_refunded_total(&app).await;

    let (_, html) = review(&browser, &id, "5").await;
    let response = confirm(&browser, &id, &confirm_fields(&html)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    let field_error = scraper::Html::parse_document(&html)
        .select(&scraper::Selector::parse("#amount-error").unwrap())
        .next()
        .map(|e| e.text().collect::<String>())
        .expect("an error beside the amount");
    assert!(
        field_error.contains("Refund amount cannot be greater than the purchase price."),
        "{field_error}"
    );
    assert_eq!(sim_sale(&app, &id)["amount_refundable_in_currency"], "1");
    assert_eq!(usd_refunded_total(&app).await, before, "nothing changed");

    app.sim.refuse_refunds(&app.creator(0).id, Some("disabled"));
    let other = plain_usd_sale(&app, |s| s["id"] != id.as_str());
    let (_, html) = review(&browser, &other, "").await;
    let response = confirm(&browser, &other, &confirm_fields(&html)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = page_text(&response.text().await.unwrap());
    assert!(
        text.contains("Refunds are switched off on your Gumroad account"),
        "{text}"
    );
    for (refusal, words) in [
        (
            "paypal_funds",
            "does not have enough money in it for this refund",
        ),
        ("temporary", "had a temporary problem; nothing was refunded"),
        ("disconnected", "is disconnected from Gumroad"),
    ] {
        app.sim.refuse_refunds(&app.creator(0).id, Some(refusal));
        let (_, html) = review(&browser, &other, "1").await;
        let response = confirm(&browser, &other, &confirm_fields(&html)).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let text = page_text(&response.text().await.unwrap());
        assert!(text.contains(words), "{refusal}: {text}");
    }
    app.sim.refuse_refunds(&app.creator(0).id, Some("disabled"));
    assert_eq!(sim_sale(&app, &other)["partially_refunded"], false);
    let (_, page) = browser.get_html(&format!("/sales/{other}")).await;
    let text = page_text(&page);
    assert!(
        text.contains(
            "Refund of everything left Refused: Refunds are temporarily disabled in your account."
        ),
        "refusal audited: {text}"
    );
}

#[tokio::test]
async fn a_token_without_the_scope_gets_grant_access_and_then_refunds() {
    let app = spawn_app_with(|_| {}).await;
    let browser = synced(&app, 0).await;
    let id = plain_usd_sale(&app, |_| true);
    let (_, page) = browser.get_html(&format!("/sales/{id}")).await;
    let text = page_text(&page);
    assert!(
        text.contains("Refunding needs Gumroad's “edit_sales” permission"),
        "{text}"
    );
    let authorize = start_grant(&browser, &id).await;
    assert!(authorize.contains("edit_sales"), "{authorize}");
    let callback = browser.consent(&authorize, &app.creator(0), true).await;
    let back = browser.finish_sign_in(&callback).await;
    assert_eq!(location(&back), format!("/sales/{id}/refund"));
    let scopes: Vec<Value> = sqlx::query_scalar(
        "SELECT detail -> 'scopes' FROM audit_events WHERE action = 'grant_access'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(scopes.len(), 1, "a grant is audited as such");
    assert!(scopes[0].as_array().unwrap().contains(&json!("edit_sales")));

    let (status, html) = review(&browser, &id, "2").await;
    assert_eq!(status, StatusCode::OK, "{}", page_text(&html));
    let response = confirm(&browser, &id, &confirm_fields(&html)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(sim_sale(&app, &id)["partially_refunded"], true);
}

#[tokio::test]
async fn a_403_from_gumroad_shows_the_same_offer() {
    let (app, browser, id) = with_a_usd_sale().await;
    let (_, html) = review(&browser, &id, "1").await;
    app.inject_fault(
        json!({"method": "PUT", "path": "/v2/sales/*", "kind": "status", "status": 403}),
    )
    .await;
    let response = confirm(&browser, &id, &confirm_fields(&html)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let html = response.text().await.unwrap();
    let text = page_text(&html);
    assert!(text.contains("“edit_sales” permission"), "{text}");
    assert!(
        html.contains("/auth/gumroad/grant?scope=edit_sales"),
        "{text}"
    );
    assert!(!text.contains("403"), "no raw error: {text}");
    assert_eq!(sim_sale(&app, &id)["partially_refunded"], false);
}

#[tokio::test]
async fn an_answer_lost_after_sending_shows_the_check_first_page() {
    let (app, browser, id) = with_a_usd_sale().await;

    // A timeout: Gumroad never answers.
    let (_, html) = review(&browser, &id, "1").await;
    app.inject_fault(json!({"method": "PUT", "path": "/v2/sales/*", "kind": "hang"}))
        .await;
    let response = confirm(&browser, &id, &confirm_fields(&html)).await;
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    let text = page_text(&response.text().await.unwrap());
    assert!(text.contains("The refund may not have been done"), "{text}");
    assert!(
        text.contains("Check the sale before trying again"),
        "{text}"
    );
    app.clear_faults().await;

    // Done at Gumroad, the answer cut off: the page shows the sale as Gumroad has it now.
    let (_, html) = review(&browser, &id, "4").await;
    app.inject_fault(json!({"method": "PUT", "path": "/v2/sales/*", "kind": "malformed_json"}))
        .await;
    let response = confirm(&browser, &id, &confirm_fields(&html)).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let text = page_text(&response.text().await.unwrap());
    assert!(text.contains("may not have been done"), "{text}");
    assert!(text.contains("Refunded $4.00"), "re-fetched: {text}");
    assert_eq!(mirrored_refund(&app, &id).await.0, 400, "the mirror has it");
    let (_, page) = browser.get_html(&format!("/sales/{id}")).await;
    assert!(page_text(&page).contains("Unknown: Gumroad's answer was lost"));
}

#[tokio::test]
async fn shipping_with_a_tracking_link_shows_on_the_sale_and_leaves_the_to_ship_list() {
    let app = app_with_action_scopes().await;
    let zine = app
        .sim
        .sales_of(&app.creator(0).id)
        .into_iter()
        .find(|s| s["is_product_physical"] == true)
        .expect("a physical product's sale");
    let sale = app.sim.create_sale(
        &app.creator(0).id,
        json!({"product_id": zine["product_id"]}),
    );
    assert_eq!(sale["shipped"], false);
    let browser = synced(&app, 0).await;
    let id = sale["id"].as_str().unwrap().to_owned();
    let to_ship = browser
        .links("/sales?state=to_ship", "a[href^='/sales/']")
        .await;
    assert!(to_ship.contains(&format!("/sales/{id}")), "{to_ship:?}");

    let token = browser.csrf_token().await;
    let path = format!("/sales/{id}/ship");
    let bad = browser
        .post_form(
            &path,
            &[
                ("csrf_token", &token),
                ("tracking_url", "javascript:alert(1)"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = page_text(&bad.text().await.unwrap());
    assert!(text.contains("starting with https://"), "{text}");
    assert_eq!(sim_sale(&app, &id)["shipped"], false);

    let (status, page) = browser
        .submit_and_follow(&path, &[("tracking_url", "https://track.example/1Z999")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Marked as shipped"), "{page}");
    assert!(page.contains("https://track.example/1Z999"), "{page}");
    // Marking it shipped again at once would email the buyer again: refused, nothing sent.
    let (_, page) = browser
        .submit_and_follow(&path, &[("tracking_url", "https://track.example/2")])
        .await;
    assert!(page_text(&page).contains("was not sent again"), "{page}");
    let now = sim_sale(&app, &id);
    assert_eq!(
        (&now["shipped"], &now["tracking_url"]),
        (&json!(true), &json!("https://track.example/1Z999"))
    );
    let to_ship = browser
        .links("/sales?state=to_ship", "a[href^='/sales/']")
        .await;
    assert!(
        !to_ship.contains(&format!("/sales/{id}")),
        "shipped sales leave the list"
    );
}

#[tokio::test]
async fn receipts_are_resent_on_2026_and_not_offered_on_2025_04() {
    let (app, browser, id) = with_a_usd_sale().await;
    let (status, page) = browser
        .submit_and_follow(&format!("/sales/{id}/receipt"), &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("sent the receipt to the buyer again"),
        "{page}"
    );
    assert_eq!(app.sim.sale_actions(&id).unwrap()["receipts_sent"], 1);

    let old = spawn_app_with(|s| {
        s.gumroad.actions =
            gumdash::config::ActionSettings::for_version(gumdash::config::ApiVersion::V2025_04);
    })
    .await;
    old.sim_profile(json!({"profile": "2025-04"})).await;
    let browser = synced(&old, 0).await;
    let id = old
        .sim
        .sales_of(&old.creator(0).id)
        .into_iter()
        .find(|s| s["price"].as_i64().unwrap_or(0) > 0)
        .and_then(|s| s["id"].as_str().map(str::to_owned))
        .unwrap();
    let (_, page) = browser.get_html(&format!("/sales/{id}")).await;
    let text = page_text(&page);
    assert!(
        text.contains(
            "Resending the receipt is not supported by the Gumroad API this gumdash uses (2025-04)"
        ),
        "{text}"
    );
    assert!(text.contains("“refund_sales” permission"), "{text}");
    let response = browser.submit(&format!("/sales/{id}/receipt"), &[]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(old.sim.sale_actions(&id).unwrap()["receipts_sent"], 0);
}

#[tokio::test]
async fn license_lookups_never_count_a_use_and_changes_reach_gumroad() {
    let app = app_with_action_scopes().await;
    let browser = synced(&app, 0).await;
    let sale = licensed_sale(&app);
    let id = sale["id"].as_str().unwrap().to_owned();
    let key = sale["license_key"].as_str().unwrap().to_owned();
    let product = sale["product_id"].as_str().unwrap().to_owned();

    let (_, page) = browser.get_html(&format!("/sales/{id}")).await;
    let text = page_text(&page);
    assert!(text.contains(&key) && text.contains("Enabled"), "{text}");
    let lookup = format!(
        "/licenses?product={}&key={key}",
        url::form_urlencoded::byte_serialize(product.as_bytes()).collect::<String>()
    );
    for _ in 0..2 {
        let (status, html) = browser.get_html(&lookup).await;
        assert_eq!(status, StatusCode::OK, "{}", page_text(&html));
        assert!(page_text(&html).contains("Uses 0"), "{}", page_text(&html));
    }
    assert_eq!(
        app.sim.sale_actions(&id).unwrap()["uses"],
        0,
        "looking is no use"
    );

    let fields = change_license(&browser, &id, "disable").await;
    assert_eq!(app.sim.sale_actions(&id).unwrap()["disabled"], true);
    let replay = browser
        .post_form(&format!("/sales/{id}/license/disable"), &pairs(&fields))
        .await;
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
    let (_, page) = browser.get_html(&format!("/sales/{id}")).await;
    let text = page_text(&page);
    assert!(
        text.contains("Disabled") && text.contains("License key: disable Done"),
        "{text}"
    );
    let (status, html) = browser.get_html(&lookup).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page_text(&html).contains("This license key is disabled."));

    // Another creator's sale or license: a 404, nothing changes.
    let bob = app.signed_in(2).await;
    let (status, _) = bob.get_html(&format!("/sales/{id}/license/enable")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let token = bob.csrf_token().await;
    for path in [
        format!("/sales/{id}/license/enable"),
        format!("/sales/{id}/refund/confirm"),
        format!("/sales/{id}/ship"),
        format!("/sales/{id}/receipt"),
    ] {
        let response = bob
            .post_form(&path, &[("csrf_token", &token), ("key", "x")])
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(app.sim.sale_actions(&id).unwrap()["disabled"], true);

    change_license(&browser, &id, "enable").await;
    assert_eq!(app.sim.sale_actions(&id).unwrap()["disabled"], false);
    // The buyer's copy of the software verifies the key twice, counting uses.
    for _ in 0..2 {
        let verified = reqwest::Client::new()
            .post(format!("{}/v2/licenses/verify", app.sim.base_url()))
            .form(&[
                ("product_id", product.as_str()),
                ("license_key", key.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(verified.status(), StatusCode::OK);
    }
    let fields = change_license(&browser, &id, "decrement").await;
    assert_eq!(app.sim.sale_actions(&id).unwrap()["uses"], 1);
    browser
        .post_form(&format!("/sales/{id}/license/decrement"), &pairs(&fields))
        .await;
    assert_eq!(
        app.sim.sale_actions(&id).unwrap()["uses"],
        1,
        "a replayed decrement takes nothing more"
    );
}

/// Opens the license change's confirmation page and confirms; returns the form for a replay.
async fn change_license(browser: &Browser, id: &str, change: &str) -> Vec<(String, String)> {
    let path = format!("/sales/{id}/license/{change}");
    let (status, page) = browser.get_html(&path).await;
    assert_eq!(status, StatusCode::OK, "{}", page_text(&page));
    let fields = hidden_fields(&page, &format!("form[action$='/license/{change}']"));
    let response = browser.post_form(&path, &pairs(&fields)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    fields
}

#[tokio::test]
async fn every_new_form_refuses_a_post_without_the_csrf_token() {
    let (app, browser, id) = with_a_usd_sale().await;
    let (_, html) = review(&browser, &id, "1").await;
    let mut fields = confirm_fields(&html);
    fields.retain(|(k, _)| k != "csrf_token");
    for path in [
        format!("/sales/{id}/refund"),
        format!("/sales/{id}/refund/confirm"),
        format!("/sales/{id}/ship"),
        format!("/sales/{id}/receipt"),
        format!("/sales/{id}/license/disable"),
        format!("/sales/{id}/license/decrement"),
    ] {
        let response = browser.post_form(&path, &pairs(&fields)).await;
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "POST {path} without a token"
        );
    }
    assert_eq!(sim_sale(&app, &id)["partially_refunded"], false);
    assert_eq!(app.sim.sale_actions(&id).unwrap()["receipts_sent"], 0);
}

#[tokio::test]
async fn a_partial_yen_refund_on_2025_04_refunds_exactly_what_was_confirmed() {
    let app = spawn_app_with(|s| {
        s.gumroad.actions =
            gumdash::config::ActionSettings::for_version(gumdash::config::ApiVersion::V2025_04);
        s.gumroad.scopes.extend(["refund_sales".to_owned()]);
    })
    .await;
    app.sim_profile(json!({"profile": "2025-04"})).await;
    let browser = synced(&app, 0).await;
    let yen = |text: &Value| -> i64 {
        text.as_str()
            .unwrap()
            .replace(['¥', ','], "")
            .parse()
            .unwrap()
    };
    let id = app
        .sim
        .sales_of(&app.creator(0).id)
        .into_iter()
        .find(|s| {
            s["currency_symbol"] == "¥"
                && s["refunded"] == false
                && s["partially_refunded"] == false
                && s["disputed"] == false
                && yen(&s["amount_refundable_in_currency"]) > 100
        })
        .and_then(|s| s["id"].as_str().map(str::to_owned))
        .expect("a plain yen sale");
    let left = yen(&sim_sale(&app, &id)["amount_refundable_in_currency"]);

    let (status, html) = review(&browser, &id, "100").await;
    assert_eq!(status, StatusCode::OK, "{}", page_text(&html));
    assert!(
        page_text(&html).contains("Refund ¥100 of the"),
        "{}",
        page_text(&html)
    );
    let response = confirm(&browser, &id, &confirm_fields(&html)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        yen(&sim_sale(&app, &id)["amount_refundable_in_currency"]),
        left - 100,
        "Gumroad refunded ¥100, not ¥1"
    );
    let (_, page) = browser.get_html(&location(&response)).await;
    assert!(
        page_text(&page).contains("Refunded ¥100."),
        "{}",
        page_text(&page)
    );
}

#[tokio::test]
async fn a_done_refund_is_audited_and_shown_done_even_when_the_mirror_cannot_store_it() {
    let (app, browser, id) = with_a_usd_sale().await;
    let (_, html) = review(&browser, &id, "3").await;
    let fields = confirm_fields(&html);
    // The mirror refuses every write from now on (the re-fetch's too).
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_sales_writes() RETURNS trigger LANGUAGE plpgsql AS
             $$ BEGIN RAISE EXCEPTION 'mirror is down'; END $$;
         CREATE TRIGGER refuse_sales_writes BEFORE INSERT OR UPDATE ON sales
             FOR EACH ROW EXECUTE FUNCTION refuse_sales_writes();",
    )
    .execute(&app.pool)
    .await
    .unwrap();

    let response = confirm(&browser, &id, &fields).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "not an error page"
    );
    assert_eq!(sim_sale(&app, &id)["partially_refunded"], true);
    let (_, page) = browser.get_html(&location(&response)).await;
    assert!(
        page_text(&page).contains("Refunded $3.00"),
        "{}",
        page_text(&page)
    );
    let (result,): (String,) = sqlx::query_as(
        "SELECT detail ->> 'result' FROM audit_events
         WHERE action = 'sale.refund' AND detail ->> 'sale_id' = $1",
    )
    .bind(&id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(result, "done");
    let outcomes: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT outcome FROM action_keys WHERE sale_id = $1 AND used_at IS NOT NULL",
    )
    .bind(&id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(outcomes, vec![Some("done".to_owned())]);
    // The replay still refunds nothing more.
    confirm(&browser, &id, &fields).await;
    assert_eq!(
        usd_cents(&sim_sale(&app, &id)["amount_refundable_in_currency"]) + 300,
        usd_cents(&sim_sale(&app, &id)["formatted_total_price"])
    );
}

/// Presses "Grant access" on the refund form (a POST with the CSRF token); returns Gumroad's
/// authorization URL.
async fn start_grant(browser: &Browser, id: &str) -> String {
    let (_, form) = browser.get_html(&format!("/sales/{id}/refund")).await;
    let action = scraper::Html::parse_document(&form)
        .select(&scraper::Selector::parse("form[action^='/auth/gumroad/grant']").unwrap())
        .next()
        .and_then(|f| f.value().attr("action").map(str::to_owned))
        .expect("a Grant access button");
    let fields = hidden_fields(&form, "form[action^='/auth/gumroad/grant']");
    let to_gumroad = browser.post_form(&action, &pairs(&fields)).await;
    assert_eq!(to_gumroad.status(), StatusCode::SEE_OTHER);
    location(&to_gumroad)
}

#[tokio::test]
async fn grant_access_cannot_be_started_by_a_link_or_without_the_csrf_token() {
    let app = spawn_app_with(|_| {}).await;
    let browser = synced(&app, 0).await;
    let id = plain_usd_sale(&app, |_| true);
    let path = format!("/auth/gumroad/grant?scope=edit_sales&back=/sales/{id}/refund");
    let by_link = browser.get(&path).await;
    assert!(
        !by_link.status().is_redirection(),
        "a GET goes nowhere near Gumroad: {}",
        by_link.status()
    );
    let forged = browser.post_form(&path, &[]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_grant_that_comes_back_for_another_gumroad_account_changes_nothing() {
    let app = spawn_app_with(|_| {}).await;
    let browser = synced(&app, 0).await;
    let id = plain_usd_sale(&app, |_| true);
    let scopes_before = stored_scopes(&app).await;
    let authorize = start_grant(&browser, &id).await;
    // Gumroad's own session in this browser belongs to someone else.
    let callback = app
        .new_browser()
        .consent(&authorize, &app.creator(1), true)
        .await;
    let response = browser.finish_sign_in(&callback).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let text = page_text(&response.text().await.unwrap());
    assert!(text.contains("another Gumroad account"), "{text}");
    assert!(text.contains("Back to your dashboard"), "{text}");

    let scopes_after = stored_scopes(&app).await;
    assert_eq!(scopes_after, scopes_before, "the token is unchanged");
    let others: i64 =
        sqlx::query_scalar("SELECT count(*) FROM creators WHERE gumroad_user_id = $1")
            .bind(&app.creator(1).id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(others, 0, "no tenant for the other account");
    let (status, page) = browser.get_html(&format!("/sales/{id}")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "still signed in as the same creator"
    );
    assert!(page_text(&page).contains("“edit_sales” permission"));
}

/// The scopes of creator 0's stored token.
async fn stored_scopes(app: &TestApp) -> String {
    let tenant = app.tenant_id_of(&app.creator(0)).await;
    sqlx::query_scalar("SELECT scopes FROM gumroad_connections WHERE creator_id = $1")
        .bind(tenant.get())
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_confirmation_whose_amount_was_changed_refunds_nothing() {
    let (app, browser, id) = with_a_usd_sale().await;
    let (status, html) = review(&browser, &id, "2").await;
    assert_eq!(status, StatusCode::OK);
    let mut fields = confirm_fields(&html);
    for (name, value) in &mut fields {
        if name == "amount" {
            *value = "9".into();
        }
    }
    let response = confirm(&browser, &id, &fields).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = page_text(&response.text().await.unwrap());
    assert!(text.contains("not the refund you confirmed"), "{text}");
    assert_eq!(sim_sale(&app, &id)["partially_refunded"], false);

    // The amount that was shown still goes through with the same key.
    for (name, value) in &mut fields {
        if name == "amount" {
            *value = "2.00".into();
        }
    }
    let response = confirm(&browser, &id, &fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(sim_sale(&app, &id)["partially_refunded"], true);
}

#[tokio::test]
async fn a_key_from_one_license_change_does_not_work_for_another() {
    let app = app_with_action_scopes().await;
    let browser = synced(&app, 0).await;
    let sale = licensed_sale(&app);
    let id = sale["id"].as_str().unwrap().to_owned();
    // One use counted, so a decrement would show.
    let verified = reqwest::Client::new()
        .post(format!("{}/v2/licenses/verify", app.sim.base_url()))
        .form(&[
            ("product_id", sale["product_id"].as_str().unwrap()),
            ("license_key", sale["license_key"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), StatusCode::OK);
    assert_eq!(app.sim.sale_actions(&id).unwrap()["uses"], 1);
    let (status, page) = browser
        .get_html(&format!("/sales/{id}/license/enable"))
        .await;
    assert_eq!(status, StatusCode::OK, "{}", page_text(&page));
    let fields = hidden_fields(&page, "form[action$='/license/enable']");
    let before = app.sim.sale_actions(&id).unwrap();
    let response = browser
        .post_form(&format!("/sales/{id}/license/decrement"), &pairs(&fields))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = browser.get_html(&location(&response)).await;
    assert!(
        page_text(&page).contains("another change to this license key"),
        "{}",
        page_text(&page)
    );
    assert_eq!(
        app.sim.sale_actions(&id).unwrap(),
        before,
        "nothing reached Gumroad"
    );
}

/// A sale of creator 0 with a license key, not refunded.
fn licensed_sale(app: &TestApp) -> Value {
    app.sim
        .sales_of(&app.creator(0).id)
        .into_iter()
        .find(|s| s["license_key"].is_string() && s["refunded"] == false)
        .expect("a licensed sale")
}

#[tokio::test]
async fn a_receipt_is_resent_at_most_once_in_ten_minutes() {
    let (app, browser, id) = with_a_usd_sale().await;
    let path = format!("/sales/{id}/receipt");
    let (_, page) = browser.submit_and_follow(&path, &[]).await;
    assert!(
        page.contains("sent the receipt to the buyer again"),
        "{page}"
    );
    let (status, page) = browser.submit_and_follow(&path, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page_text(&page).contains("less than 10 minutes ago, so it was not sent again"),
        "{}",
        page_text(&page)
    );
    assert_eq!(app.sim.sale_actions(&id).unwrap()["receipts_sent"], 1);

    // Ten minutes later it can be sent again.
    sqlx::query("UPDATE audit_events SET at = at - interval '11 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    browser.submit_and_follow(&path, &[]).await;
    assert_eq!(app.sim.sale_actions(&id).unwrap()["receipts_sent"], 2);
}
