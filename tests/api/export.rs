//! The CSV export of the sales list: exactly the list's filtered set, row for row and in its order,
//! formula-like cells neutralised, only the signed-in creator's sales, and a cap on exports at once.

use std::collections::{BTreeSet, HashMap};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Browser, TestApp, spawn_app, spawn_app_with};
use crate::sales::{ids, listed_in_order, signed_in_and_synced, sim_sales, urlencode};

/// A downloaded export: the response's headers and the parsed file.
struct Export {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Export {
    fn column(&self, name: &str) -> usize {
        self.columns
            .iter()
            .position(|c| c == name)
            .unwrap_or_else(|| panic!("no column {name:?} in {:?}", self.columns))
    }

    /// Every row's cell in the named column.
    fn cells(&self, name: &str) -> Vec<String> {
        let index = self.column(name);
        self.rows.iter().map(|r| r[index].clone()).collect()
    }

    /// The sale ids, as Gumroad has them: an id that begins with `-` (they are URL-safe base64)
    /// is neutralised like any other cell.
    fn sale_ids(&self) -> Vec<String> {
        self.cells("sale id")
            .into_iter()
            .map(|id| match id.strip_prefix('\'') {
                Some(rest) if rest.starts_with('-') => rest.to_owned(),
                _ => id,
            })
            .collect()
    }

    /// The row of a sale, as column → cell.
    fn sale(&self, id: &str) -> HashMap<String, String> {
        let ids = self.sale_ids();
        let row = self
            .rows
            .iter()
            .zip(ids)
            .find(|(_, sale)| sale == id)
            .map(|(row, _)| row)
            .unwrap_or_else(|| panic!("sale {id} not exported"));
        self.columns
            .iter()
            .cloned()
            .zip(row.iter().cloned())
            .collect()
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", |v| v.to_str().unwrap())
    }
}

async fn export(browser: &Browser, path: &str) -> Export {
    let response = browser.get(path).await;
    let status = response.status();
    let headers = response.headers().clone();
    if status != StatusCode::OK {
        return Export {
            status,
            headers,
            columns: Vec::new(),
            rows: Vec::new(),
        };
    }
    let body = response.bytes().await.unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&body[..]);
    let mut records = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect::<Vec<_>>());
    Export {
        status,
        headers,
        columns: records.next().expect("a header row"),
        rows: records.collect(),
    }
}

/// The export link the list page at `path` offers.
async fn export_link(browser: &Browser, path: &str) -> Option<String> {
    let (_, html) = browser.get_html(path).await;
    let document = scraper::Html::parse_document(&html);
    let link = scraper::Selector::parse("a[href^='/sales/export.csv']").unwrap();
    document
        .select(&link)
        .next()
        .map(|a| a.value().attr("href").unwrap().to_owned())
}

async fn set_zone(app: &TestApp, browser: &Browser, zone: &str) {
    let response = browser
        .submit("/settings/time-zone", &[("time_zone", zone)])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    app.run_jobs().await;
}

#[tokio::test]
async fn csv_rows_equal_the_filtered_list_row_for_row_in_its_order() {
    let app = spawn_app().await;
    let browser = signed_in_and_synced(&app).await;
    // A zone far from UTC, so the local column must follow the creator's zone as the list does.
    set_zone(&app, &browser, "Asia/Tokyo").await;
    let all = sim_sales(&app, 0, &[]).await;
    let product = all[all.len() / 2]["product_id"].as_str().unwrap();
    let middle: chrono::NaiveDate = all[all.len() / 2]["created_at"].as_str().unwrap()[..10]
        .parse()
        .unwrap();
    let from = (middle - chrono::Duration::days(60)).to_string();
    let to = middle.to_string();
    let cases = [
        "/sales".to_owned(),
        format!("/sales?from={from}&to={to}&product={}", urlencode(product)),
        // A search matching sales over several pages.
        "/sales?q=e".to_owned(),
        format!("/sales?to={to}&state=refunded"),
    ];
    let mut longest = 0;
    for page in cases {
        let link = export_link(&browser, &page)
            .await
            .expect("an export button");
        assert_eq!(
            link,
            page.replacen("/sales", "/sales/export.csv", 1),
            "the button keeps the list's parameters"
        );
        let (status, listed) = listed_in_order(&browser, &page).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let file = export(&browser, &link).await;
        assert_eq!(file.status, StatusCode::OK, "{link}");
        // "2026-11-29T23:05:00+09:00" as the list shows it: "2026-11-29 23:05".
        let local: Vec<String> = file
            .cells("created at (your time zone)")
            .iter()
            .map(|t| {
                assert!(t.ends_with("+09:00"), "{t}");
                t[..16].replace('T', " ")
            })
            .collect();
        let exported: Vec<(String, String, String)> = file
            .sale_ids()
            .into_iter()
            .zip(local)
            .zip(file.cells("product"))
            .map(|((id, local), product)| (id, local, product))
            .collect();
        let shown: Vec<(String, String, String)> = listed
            .into_iter()
            .map(|s| (s.id, s.local_time, s.product))
            .collect();
        assert!(!shown.is_empty(), "{page} lists sales");
        assert_eq!(exported, shown, "{link}");
        longest = longest.max(shown.len());
    }
    assert!(longest > 100, "an export spanning several list pages");
}

#[tokio::test]
async fn formula_like_fields_are_neutralised_and_numbers_stay_numbers() {
    let app = spawn_app().await;
    let browser = signed_in_and_synced(&app).await;
    let response = reqwest::Client::new()
        .post(format!("{}/_sim/sales", app.sim.base_url()))
        .json(&json!({
            "creator_id": app.creator(0).id,
            "email": "+1@example.net",
            "full_name": "=HYPERLINK(\"http://evil.example\",\"click\")",
            "referrer": "-2+3",
            "custom_fields": {"Company": "@SUM(A1:A9)", "Size": "M"},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let sale: Value = response.json().await.unwrap();
    let id = sale["id"].as_str().unwrap();
    browser.submit("/sales/sync", &[]).await;
    app.run_jobs().await;

    let file = export(&browser, "/sales/export.csv").await;
    let row = file.sale(id);
    assert_eq!(
        row["buyer name"],
        "'=HYPERLINK(\"http://evil.example\",\"click\")"
    );
    assert_eq!(row["buyer email"], "'+1@example.net");
    assert_eq!(row["referrer"], "'-2+3");
    assert_eq!(row["custom: Company"], "'@SUM(A1:A9)");
    assert_eq!(row["custom: Size"], "M");
    // Amounts are plain decimal numbers in the sale's currency.
    for column in ["amount", "price (USD)", "refunded amount"] {
        let cell = &row[column];
        assert!(cell.parse::<f64>().is_ok(), "{column}: {cell:?}");
    }
    // No cell of the whole file starts like a formula.
    for cell in file.rows.iter().flatten().chain(&file.columns) {
        assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "{cell:?}"
        );
    }
}

/// A seeded creator gets a published product (through the simulator's API) and `count` sales of it.
async fn give_sales(app: &TestApp, index: usize, count: usize) {
    let creator = app.creator(index).id;
    let sim = app.sim.base_url();
    let http = reqwest::Client::new();
    let response = http
        .post(format!("{sim}/_sim/catalog/{}", urlencode(&creator)))
        .json(&json!({"has_payment_method": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let token = app.sim.issue_token(
        &app.settings.gumroad.client_id,
        &creator,
        &["edit_products"],
    );
    let created: Value = http
        .post(format!("{sim}/v2/products"))
        .bearer_auth(&token)
        .form(&[("name", "Second Shop Zine"), ("price", "500")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let product = created["product"]["id"]
        .as_str()
        .expect("a product")
        .to_owned();
    let enabled = http
        .put(format!("{sim}/v2/products/{}/enable", urlencode(&product)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(enabled.status(), StatusCode::OK);
    for _ in 0..count {
        let sale = app
            .sim
            .create_sale(&creator, json!({"product_id": product}));
        assert!(sale.get("id").is_some(), "{sale}");
    }
}

#[tokio::test]
async fn an_export_has_only_the_signed_in_creators_sales() {
    let app = spawn_app().await;
    let first = signed_in_and_synced(&app).await;
    // Only the first seeded creator has a history: the second gets a product and sales of it.
    let other = 1;
    give_sales(&app, other, 3).await;
    let second = app.signed_in(other).await;
    app.run_jobs().await;
    let first_ids: BTreeSet<String> = export(&first, "/sales/export.csv")
        .await
        .sale_ids()
        .into_iter()
        .collect();
    let second_ids: BTreeSet<String> = export(&second, "/sales/export.csv")
        .await
        .sale_ids()
        .into_iter()
        .collect();
    assert_eq!(first_ids, ids(&sim_sales(&app, 0, &[]).await));
    assert_eq!(second_ids, ids(&sim_sales(&app, other, &[]).await));
    assert!(!second_ids.is_empty());
    assert!(first_ids.is_disjoint(&second_ids));
}

#[tokio::test]
async fn an_export_matching_nothing_is_just_the_header_with_the_right_headers() {
    let app = spawn_app().await;
    let browser = signed_in_and_synced(&app).await;
    let file = export(&browser, "/sales/export.csv?q=no-such-buyer-anywhere").await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(file.rows.is_empty(), "{:?}", file.rows);
    assert_eq!(file.columns[0], "sale id");
    assert_eq!(file.header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(file.header("cache-control"), "no-store");
    let disposition = file.header("content-disposition");
    assert!(
        disposition.starts_with("attachment; filename=\"gumdash-sales-")
            && disposition.ends_with("-all-search.csv\""),
        "{disposition}"
    );
}

#[tokio::test]
async fn exports_need_a_session_and_valid_filters() {
    let app = spawn_app().await;
    let anonymous = app.new_browser();
    assert_eq!(
        anonymous.get("/sales/export.csv").await.status(),
        StatusCode::SEE_OTHER
    );
    let browser = app.signed_in(0).await;
    let file = export(&browser, "/sales/export.csv?from=2026-02-31").await;
    assert_eq!(file.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        export_link(&browser, "/sales?from=2026-02-31").await,
        None,
        "no export of a filter the list refused"
    );
}

#[tokio::test]
async fn exports_beyond_the_instances_cap_are_asked_to_retry_and_slots_come_back() {
    let app = spawn_app_with(|settings| settings.exports_at_once = 0).await;
    let browser = app.signed_in(0).await;
    let response = browser.get("/sales/export.csv").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    let html = response.text().await.unwrap();
    assert!(html.contains("Exports are busy"), "{html}");

    let app = spawn_app_with(|settings| settings.exports_at_once = 1).await;
    let browser = signed_in_and_synced(&app).await;
    for _ in 0..3 {
        let file = export(&browser, "/sales/export.csv").await;
        assert_eq!(
            file.status,
            StatusCode::OK,
            "a finished export frees its slot"
        );
        assert!(!file.rows.is_empty());
    }
}
