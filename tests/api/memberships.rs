//! Subscribers and memberships (issues 7 and 9): the Memberships page's counts and MRR equal what
//! the simulator's own subscriptions add up to; subscription pings update a subscriber without a
//! scheduled sync; the subscribers CSV is the list row for row; another creator sees nothing.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use scraper::{Html, Selector};
use serde_json::{Value, json};

use gumdash::domain::{Currency, Money};

use crate::helpers::{Browser, TestApp, spawn_app};

/// Months per charge, for MRR.
fn months(recurrence: &str) -> f64 {
    match recurrence {
        "yearly" => 12.0,
        "quarterly" => 3.0,
        "biannually" => 6.0,
        "every_two_years" => 24.0,
        _ => 1.0,
    }
}

fn money(cents: i64, currency: &str) -> String {
    Money::new(cents, Currency::parse(currency).unwrap()).display()
}

/// Per product, (active count, currency → MRR in minor units); and currency → MRR over every
/// product.
type Expected = (
    BTreeMap<String, (i64, BTreeMap<String, i64>)>,
    BTreeMap<String, i64>,
);

/// The simulator's active subscriptions of creator 0 as the page must count them.
fn expected(app: &TestApp) -> Expected {
    let mut per_product: BTreeMap<String, (i64, BTreeMap<String, f64>)> = BTreeMap::new();
    let mut totals: BTreeMap<String, f64> = BTreeMap::new();
    for s in app.sim.subscriptions_of(&app.creator(0).id) {
        if s["active"] != true {
            continue;
        }
        let currency = s["currency"].as_str().unwrap().to_owned();
        let monthly = s["price_cents"].as_i64().unwrap() as f64
            / months(s["recurrence"].as_str().unwrap_or(""));
        let entry = per_product
            .entry(s["product_id"].as_str().unwrap().to_owned())
            .or_default();
        entry.0 += 1;
        *entry.1.entry(currency.clone()).or_default() += monthly;
        *totals.entry(currency).or_default() += monthly;
    }
    let round = |m: BTreeMap<String, f64>| -> BTreeMap<String, i64> {
        m.into_iter().map(|(c, v)| (c, v.round() as i64)).collect()
    };
    (
        per_product
            .into_iter()
            .map(|(p, (n, mrr))| (p, (n, round(mrr))))
            .collect(),
        round(totals),
    )
}

fn text_of(element: scraper::ElementRef<'_>) -> String {
    element.text().collect::<String>().trim().to_owned()
}

/// The simulator's active subscriptions of creator 0 as the Memberships page's totals table must
/// show them: currency code → MRR text.
pub(crate) fn expected_totals(app: &TestApp) -> BTreeMap<String, String> {
    expected(app)
        .1
        .into_iter()
        .map(|(c, v)| {
            let text = money(v, &c);
            (c, text)
        })
        .collect()
}

/// Per product id, (active, currency code → MRR text); and the totals, currency code → MRR text.
type Shown = (
    BTreeMap<String, (i64, BTreeMap<String, String>)>,
    BTreeMap<String, String>,
);

async fn shown(browser: &Browser) -> Shown {
    let (status, html) = browser.get_html("/memberships").await;
    assert_eq!(status, StatusCode::OK);
    shown_in(&html)
}

/// What a Memberships page shows.
pub(crate) fn shown_in(html: &str) -> Shown {
    let document = Html::parse_document(html);
    let section = Selector::parse("section.membership").unwrap();
    let active = Selector::parse("dd[data-figure=active]").unwrap();
    let mrr = Selector::parse("td[data-mrr]").unwrap();
    let mut products = BTreeMap::new();
    for product in document.select(&section) {
        let id = product.value().attr("data-product-id").unwrap().to_owned();
        let count: i64 = text_of(product.select(&active).next().unwrap())
            .parse()
            .unwrap();
        let amounts = product
            .select(&mrr)
            .map(|td| {
                (
                    td.value().attr("data-mrr").unwrap().to_lowercase(),
                    text_of(td),
                )
            })
            .collect();
        products.insert(id, (count, amounts));
    }
    let totals_row = Selector::parse("#mrr-totals tbody tr").unwrap();
    let th = Selector::parse("th").unwrap();
    let td = Selector::parse("td").unwrap();
    let totals = document
        .select(&totals_row)
        .map(|row| {
            let cells: Vec<String> = row.select(&td).map(text_of).collect();
            (
                text_of(row.select(&th).next().unwrap()).to_lowercase(),
                cells[1].clone(),
            )
        })
        .collect();
    (products, totals)
}

#[tokio::test]
async fn the_memberships_page_counts_the_simulators_active_subscribers_and_their_mrr() {
    let app = spawn_app().await;
    let browser = crate::sales::signed_in_and_synced(&app).await;
    let (per_product, totals) = expected(&app);
    assert!(!per_product.is_empty(), "the seed has memberships");
    assert!(totals.values().any(|mrr| *mrr > 0), "{totals:?}");
    let (products, shown_totals) = shown(&browser).await;
    for (product, (count, mrr)) in &per_product {
        let (shown_count, shown_mrr) = products
            .get(product)
            .unwrap_or_else(|| panic!("product {product} missing from {products:?}"));
        assert_eq!(shown_count, count, "{product}");
        let wanted: BTreeMap<String, String> =
            mrr.iter().map(|(c, v)| (c.clone(), money(*v, c))).collect();
        assert_eq!(shown_mrr, &wanted, "{product}");
    }
    assert_eq!(shown_totals, expected_totals(&app));

    // New and churned this month (the creator's zone), pending cancellations, failed payments.
    let zone: String = sqlx::query_scalar("SELECT time_zone FROM creators WHERE id = $1")
        .bind(app.tenant_id_of(&app.creator(0)).await.get())
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let figures = figures(&app, zone.parse().unwrap());
    let (status, html) = browser.get_html("/memberships").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown_figures(&html), figures);
    assert!(
        figures.values().any(|f| f[2] > 0) && figures.values().any(|f| f[3] > 0),
        "the seed has pending cancellations and failed payments: {figures:?}"
    );

    // The simulator's own index agrees with its model: active only, unpaginated by default.
    let token = app
        .sim
        .issue_token("test", &app.creator(0).id, &["view_sales"]);
    for (product, (count, _)) in &per_product {
        let listed: Value = reqwest::Client::new()
            .get(format!(
                "{}/v2/products/{product}/subscribers",
                app.sim.base_url()
            ))
            .query(&[("access_token", token.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed["success"], true, "{listed}");
        assert_eq!(
            listed["subscribers"].as_array().unwrap().len() as i64,
            *count
        );
        assert!(listed.get("next_page_key").is_none());
    }

    // A yearly subscriber paying in euros: its MRR is a twelfth of its charge, in a row of its own,
    // never added to the dollars.
    let tenant = app.tenant_id_of(&app.creator(0)).await.get();
    sqlx::query(
        "INSERT INTO sales (creator_id, gumroad_id, created_at, day, product_id, product_name,
                            price_usd_cents, currency, amount_cents, subscription_id, raw)
         VALUES ($1, 'EUR-SALE==', now(), current_date, 'EUR-PRODUCT==', 'Euro club', 13000, 'eur',
                 12000, 'EUR-SUB==', '{}')",
    )
    .bind(tenant)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO subscribers (creator_id, gumroad_id, product_id, product_name, email,
                                  created_at, recurrence, status, raw)
         VALUES ($1, 'EUR-SUB==', 'EUR-PRODUCT==', 'Euro club', 'eu@example.com', now(),
                 'yearly', 'alive', '{}')",
    )
    .bind(tenant)
    .execute(&app.pool)
    .await
    .unwrap();
    let (products, shown_totals) = shown(&browser).await;
    let mut wanted = expected_totals(&app);
    wanted.insert("eur".into(), money(1000, "eur"));
    assert_eq!(shown_totals, wanted);
    assert_eq!(
        products["EUR-PRODUCT=="],
        (1, BTreeMap::from([("eur".to_owned(), money(1000, "eur"))]))
    );

    // A creator without memberships sees the empty state.
    let other = app.signed_in(1).await;
    let (status, html) = other.get_html("/memberships").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No memberships yet"));
}

/// Per product: [new this month, churned this month, pending cancellations, failed payments],
/// from the simulator's subscriptions, months in `zone`.
fn figures(app: &TestApp, zone: chrono_tz::Tz) -> BTreeMap<String, [i64; 4]> {
    use chrono::{DateTime, Datelike, TimeZone, Utc};
    let now = Utc::now().with_timezone(&zone);
    let month_start = zone
        .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc);
    let at = |v: &Value| -> Option<DateTime<Utc>> {
        v.as_str()
            .map(|t| DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc))
    };
    let mut figures: BTreeMap<String, [i64; 4]> = BTreeMap::new();
    for s in app.sim.subscriptions_of(&app.creator(0).id) {
        let f = figures
            .entry(s["product_id"].as_str().unwrap().to_owned())
            .or_default();
        let active = s["active"] == true;
        let (cancelled, ended, failed) = (
            at(&s["cancelled_at"]),
            at(&s["ended_at"]),
            at(&s["failed_at"]),
        );
        let stopped = [cancelled, ended, failed].into_iter().flatten().min();
        f[0] += i64::from(at(&s["created_at"]).unwrap() >= month_start);
        f[1] += i64::from(!active && stopped.is_some_and(|t| t >= month_start));
        f[2] += i64::from(active && cancelled.is_some());
        f[3] += i64::from(failed.is_some());
    }
    figures
}

/// The same figures as the Memberships page shows them.
fn shown_figures(html: &str) -> BTreeMap<String, [i64; 4]> {
    let document = Html::parse_document(html);
    let section = Selector::parse("section.membership").unwrap();
    let figure = |name: &str| Selector::parse(&format!("dd[data-figure={name}]")).unwrap();
    let names = ["new", "churned", "pending", "failed"].map(figure);
    document
        .select(&section)
        .map(|product| {
            let values = names.each_ref().map(|selector| {
                text_of(product.select(selector).next().unwrap())
                    .parse()
                    .unwrap()
            });
            (
                product.value().attr("data-product-id").unwrap().to_owned(),
                values,
            )
        })
        .collect()
}

impl TestApp {
    /// Creator 0's mirrored subscriber: (our id, status, cancelled_at set, ended_at set).
    async fn mirrored_subscriber(&self, gumroad_id: &str) -> (i64, String, bool, bool) {
        let tenant = self.tenant_id_of(&self.creator(0)).await;
        sqlx::query_as(
            "SELECT id, status, cancelled_at IS NOT NULL, ended_at IS NOT NULL FROM subscribers
             WHERE creator_id = $1 AND gumroad_id = $2",
        )
        .bind(tenant.get())
        .bind(gumroad_id)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    async fn sim_control(&self, path: &str, body: Value) {
        let response = reqwest::Client::new()
            .post(format!("{}{path}", self.sim.base_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }

    /// Waits (up to 15 s) for the fetch-back job of a subscription ping, and checks that it is
    /// the only work waiting: no scheduled sync runs behind it.
    async fn wait_for_refresh_job(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let kinds: Vec<String> = sqlx::query_scalar(
                "SELECT kind FROM jobs WHERE state = 'pending' AND kind <> 'schedule'
                 AND run_at < now() + interval '5 seconds' ORDER BY kind",
            )
            .fetch_all(&self.pool)
            .await
            .unwrap();
            if !kinds.is_empty() {
                assert_eq!(kinds, ["refresh_subscriber"]);
                return;
            }
            assert!(Instant::now() < deadline, "no fetch-back was enqueued");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn cancellation_and_end_pings_update_the_subscriber_without_a_scheduled_sync() {
    let app = spawn_app().await;
    app.enable_pings().await;
    let browser = crate::sales::signed_in_and_synced(&app).await;
    let alive = app
        .sim
        .subscriptions_of(&app.creator(0).id)
        .into_iter()
        .find(|s| s["status"] == "alive")
        .expect("an alive subscription");
    let id = alive["id"].as_str().unwrap().to_owned();
    let (row, status, cancelled, _) = app.mirrored_subscriber(&id).await;
    assert_eq!((status.as_str(), cancelled), ("alive", false));
    let page = format!("/memberships/subscribers/{row}");
    assert!(browser.get_html(&page).await.1.contains(">Active<"));

    app.sim_control(&format!("/_sim/subscriptions/{id}/cancel"), json!({}))
        .await;
    app.wait_for_refresh_job().await;
    app.run_jobs().await;
    let (_, status, cancelled, ended) = app.mirrored_subscriber(&id).await;
    assert_eq!(
        (status.as_str(), cancelled, ended),
        ("pending_cancellation", true, false)
    );
    let html = browser.get_html(&page).await.1;
    assert!(html.contains("Cancels at period end"), "{html}");
    assert!(html.contains("cancellation (updated)"), "{html}");

    app.sim_control(
        &format!("/_sim/subscriptions/{id}/end"),
        json!({"reason": "cancelled"}),
    )
    .await;
    app.wait_for_refresh_job().await;
    app.run_jobs().await;
    let (_, status, _, ended) = app.mirrored_subscriber(&id).await;
    assert_eq!((status.as_str(), ended), ("cancelled", true));
    let email = alive["email"].as_str().unwrap();
    assert!(
        !crate::helpers::captured_logs().contains(email),
        "a subscriber's email is never logged"
    );
    let active = browser
        .links(
            "/memberships/subscribers?status=active",
            "table.subscribers a",
        )
        .await;
    assert!(!active.contains(&page));
    assert!(
        browser
            .links(
                "/memberships/subscribers?status=inactive",
                "table.subscribers a"
            )
            .await
            .contains(&page)
    );
    assert_eq!(app.failed_jobs().await, vec![]);
}

/// Every page of the list at `path`: the emails shown, in order.
async fn listed_emails(browser: &Browser, path: &str) -> Vec<String> {
    let mut emails = Vec::new();
    let mut next = Some(path.to_owned());
    let cell = Selector::parse("table.subscribers td[data-label=Email]").unwrap();
    let older = Selector::parse("a[rel=next]").unwrap();
    while let Some(path) = next {
        let (status, html) = browser.get_html(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let document = Html::parse_document(&html);
        emails.extend(document.select(&cell).map(text_of));
        next = document
            .select(&older)
            .next()
            .and_then(|a| a.value().attr("href"))
            .map(str::to_owned);
    }
    emails
}

async fn csv_rows(browser: &Browser, path: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let response = browser.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("gumdash-subscribers-")
    );
    let body = response.bytes().await.unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&body[..]);
    let mut records = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect::<Vec<_>>());
    let header = records.next().expect("a header row");
    (header, records.collect())
}

#[tokio::test]
async fn the_subscribers_csv_is_the_list_row_for_row_with_formulas_neutralised() {
    let app = spawn_app().await;
    let browser = crate::sales::signed_in_and_synced(&app).await;
    // A subscriber whose email a spreadsheet would take for a formula.
    let membership = app
        .sim
        .subscriptions_of(&app.creator(0).id)
        .first()
        .map(|s| s["product_id"].as_str().unwrap().to_owned())
        .unwrap();
    let sale = app.sim.create_sale(
        &app.creator(0).id,
        json!({"product_id": membership, "email": "=HYPERLINK(1)@example.com"}),
    );
    assert!(sale.get("error").is_none(), "{sale}");
    // And enough new subscribers that the list has several pages, and the walk of that
    // product's active subscribers more than one of Gumroad's (100).
    for n in 0..105 {
        let email = format!("member{n}@example.com");
        let sale = app.sim.create_sale(
            &app.creator(0).id,
            json!({"product_id": membership, "email": email}),
        );
        assert!(sale.get("error").is_none(), "{sale}");
    }
    gumdash::jobs::Queue::enqueue(
        &app.pool,
        &gumdash::jobs::Job::SyncSubscribers {
            creator: app.tenant_id_of(&app.creator(0)).await,
            walk: None,
        },
    )
    .await
    .unwrap();
    app.run_jobs().await;
    let active_in_sim = app
        .sim
        .subscriptions_of(&app.creator(0).id)
        .iter()
        .filter(|s| s["active"] == true)
        .count() as i64;
    let active_mirrored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM subscribers WHERE creator_id = $1 AND ended_at IS NULL
           AND failed_at IS NULL AND (cancelled_at IS NULL OR cancelled_at > now())",
    )
    .bind(app.tenant_id_of(&app.creator(0)).await.get())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(active_mirrored, active_in_sim);

    for filters in ["", "status=active", "status=inactive", "q=example"] {
        let list = listed_emails(&browser, &format!("/memberships/subscribers?{filters}")).await;
        let (header, rows) =
            csv_rows(&browser, &format!("/memberships/subscribers.csv?{filters}")).await;
        let email = header.iter().position(|h| h == "email").unwrap();
        let exported: Vec<String> = rows
            .iter()
            .map(|r| r[email].trim_start_matches('\'').to_owned())
            .collect();
        assert_eq!(exported, list, "{filters}");
        if filters.is_empty() {
            assert!(list.len() > 100, "several pages: {}", list.len());
        }
    }
    let (header, rows) = csv_rows(&browser, "/memberships/subscribers.csv").await;
    let email = header.iter().position(|h| h == "email").unwrap();
    assert!(
        rows.iter()
            .any(|r| r[email] == "'=HYPERLINK(1)@example.com"),
        "the formula-like email is neutralised"
    );
    let (status, _) = browser
        .get_html("/memberships/subscribers.csv?status=bogus")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn another_creator_cannot_see_a_subscriber() {
    let app = spawn_app().await;
    let owner = crate::sales::signed_in_and_synced(&app).await;
    let tenant = app.tenant_id_of(&app.creator(0)).await;
    let (id, email): (i64, String) = sqlx::query_as(
        "SELECT id, email FROM subscribers WHERE creator_id = $1 ORDER BY id LIMIT 1",
    )
    .bind(tenant.get())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let page = format!("/memberships/subscribers/{id}");
    assert_eq!(owner.get_html(&page).await.0, StatusCode::OK);

    let other = app.signed_in(1).await;
    let (status, html) = other.get_html(&page).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!html.contains(&email));
    let (_, list) = other.get_html("/memberships/subscribers").await;
    assert!(!list.contains(&email));
    let (_, rows) = csv_rows(&other, "/memberships/subscribers.csv").await;
    assert!(rows.is_empty());
    assert_eq!(
        other.get_html("/memberships/subscribers/x").await.0,
        StatusCode::NOT_FOUND
    );
}
