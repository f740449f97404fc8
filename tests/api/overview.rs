//! The overview (the signed-in home) against sums computed here from the simulator's own sales: the
//! headline periods, every bar of the charts, all time, in a zone far from UTC, with a refund made after
//! the sale; and the charts as SVG that parses, with a title and a description.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use gumdash::domain::{Currency, Money};
use reqwest::StatusCode;
use scraper::{ElementRef, Html, Selector};
use serde_json::json;

use crate::helpers::{Browser, TestApp, page_text, spawn_app};
use crate::sales::sim_sales;

/// A bucket's first day, or its label, from a day.
type DayMap<T> = fn(NaiveDate) -> T;

/// UTC+14: most sales made in the afternoon, UTC, belong to the next day here.
const ZONE: &str = "Pacific/Kiritimati";

/// What the overview should say about a set of sales: count, Gumroad's USD cents, and how many were
/// refunded in full or in part.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Sums {
    sales: i64,
    gross: i64,
    refunded_sales: i64,
}

struct SimSale {
    day: NaiveDate,
    utc_day: NaiveDate,
    price: i64,
    refunded: bool,
}

async fn sales_in_zone(app: &TestApp, zone: Tz) -> Vec<SimSale> {
    sim_sales(app, 0, &[])
        .await
        .iter()
        .map(|sale| {
            let at: DateTime<Utc> = sale["created_at"].as_str().unwrap().parse().unwrap();
            SimSale {
                day: at.with_timezone(&zone).date_naive(),
                utc_day: at.date_naive(),
                price: sale["price"].as_i64().unwrap(),
                refunded: sale["refunded"] == json!(true)
                    || sale["partially_refunded"] == json!(true),
            }
        })
        .collect()
}

fn sums(sales: &[SimSale], from: NaiveDate, to: NaiveDate) -> Sums {
    sales
        .iter()
        .filter(|s| from <= s.day && s.day <= to)
        .fold(Sums::default(), |sum, s| Sums {
            sales: sum.sales + 1,
            gross: sum.gross + s.price,
            refunded_sales: sum.refunded_sales + i64::from(s.refunded),
        })
}

fn usd(cents: i64) -> String {
    Money::new(cents, Currency::USD).display()
}

fn text_of(element: ElementRef<'_>) -> String {
    element
        .text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The headline card with this heading, as its definition list: "Sales" → "12 5% (up 5%)".
fn card(html: &Html, heading: &str) -> BTreeMap<String, String> {
    let cards = Selector::parse("article.stat").unwrap();
    let h3 = Selector::parse("h3").unwrap();
    let dt = Selector::parse("dt").unwrap();
    let dd = Selector::parse("dd").unwrap();
    let card = html
        .select(&cards)
        .find(|c| c.select(&h3).next().map(text_of).as_deref() == Some(heading))
        .unwrap_or_else(|| panic!("no card {heading}"));
    card.select(&dt)
        .map(text_of)
        .zip(card.select(&dd).map(text_of))
        .collect()
}

/// The figure of a card's line: "12 5% (up 5%)" → "12".
fn leading(line: &str) -> &str {
    line.split_whitespace().next().unwrap()
}

/// A chart's table, by the chart's caption: (row label, value) in order.
fn chart_rows(html: &Html, caption: &str) -> Vec<(String, String)> {
    try_chart_rows(html, caption).unwrap_or_else(|| panic!("no chart {caption}"))
}

fn try_chart_rows(html: &Html, caption: &str) -> Option<Vec<(String, String)>> {
    let figures = Selector::parse("figure.chart").unwrap();
    let figcaption = Selector::parse("figcaption").unwrap();
    let rows = Selector::parse("tbody tr").unwrap();
    let th = Selector::parse("th").unwrap();
    let td = Selector::parse("td").unwrap();
    let figure = html
        .select(&figures)
        .find(|f| f.select(&figcaption).next().map(text_of).as_deref() == Some(caption))?;
    let rows = figure
        .select(&rows)
        .map(|row| {
            (
                text_of(row.select(&th).next().unwrap()),
                text_of(row.select(&td).next().unwrap()),
            )
        })
        .collect();
    Some(rows)
}

async fn overview(browser: &Browser, query: &str) -> Html {
    let (status, html) = browser.get_html(&format!("/dashboard{query}")).await;
    assert_eq!(status, StatusCode::OK, "{}", page_text(&html));
    Html::parse_document(&html)
}

/// Signed in, mirrored, two sales made today, days in [`ZONE`].
async fn creator_in_a_far_zone(app: &TestApp) -> Browser {
    for _ in 0..2 {
        let sale = app.sim.create_sale(&app.creator(0).id, json!({}));
        assert!(sale.get("error").is_none(), "{sale}");
    }
    let browser = app.signed_in(0).await;
    app.run_jobs().await;
    let response = browser
        .submit("/settings/time-zone", &[("time_zone", ZONE)])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    app.run_jobs().await;
    assert_eq!(app.failed_jobs().await, vec![]);
    browser
}

#[tokio::test]
async fn headline_numbers_and_every_bar_equal_sums_over_the_simulators_sales() {
    let app = spawn_app().await;
    let browser = creator_in_a_far_zone(&app).await;
    let zone: Tz = ZONE.parse().unwrap();
    let sales = sales_in_zone(&app, zone).await;
    assert!(
        sales.iter().any(|s| s.day != s.utc_day),
        "the zone moves some sales to another day, so the test means something"
    );
    let today = Utc::now().with_timezone(&zone).date_naive();
    let html = overview(&browser, "").await;
    assert!(
        page_text(&html.html()).contains("Gumroad's US dollar figures"),
        "the seeded creator sells in several currencies, so amounts are in USD"
    );

    let headline = [
        ("Today", today, today),
        ("Last 7 days", today - Duration::days(6), today),
        ("Last 30 days", today - Duration::days(29), today),
        ("This month", today.with_day(1).unwrap(), today),
        ("All time", NaiveDate::MIN, NaiveDate::MAX),
    ];
    for (heading, from, to) in headline {
        let expected = sums(&sales, from, to);
        let shown = card(&html, heading);
        assert_eq!(
            leading(&shown["Sales"]),
            expected.sales.to_string(),
            "{heading}"
        );
        assert_eq!(leading(&shown["Gross"]), usd(expected.gross), "{heading}");
    }
    assert!(sums(&sales, today, today).sales >= 2, "today's sales count");

    // The last 30 days' change against the 30 days before, as the card says it.
    let now = sums(&sales, today - Duration::days(29), today).sales;
    let before = sums(
        &sales,
        today - Duration::days(59),
        today - Duration::days(30),
    )
    .sales;
    let words = &card(&html, "Last 30 days")["Sales"];
    if before > 0 && now != before {
        let percent = ((now - before) as f64 * 100.0 / before as f64).round() as i64;
        let expected = if percent > 0 {
            format!("up {percent}%")
        } else {
            format!("down {}%", -percent)
        };
        assert!(words.contains(&expected), "{words} vs {expected}");
    }

    // Every day of a custom range around the newest sales.
    let newest = sales.iter().map(|s| s.day).max().unwrap();
    let from = newest - Duration::days(40);
    let html = overview(&browser, &format!("?range=custom&from={from}&to={newest}")).await;
    let days = chart_rows(&html, "Sales per day");
    assert_eq!(days.len(), 41, "one bar a day, empty days included");
    let gross_days = chart_rows(&html, "Revenue per day");
    for (offset, ((label, count), (_, gross))) in days.iter().zip(&gross_days).enumerate() {
        let day = from + Duration::days(offset as i64);
        assert_eq!(label, &day.format("%a %b %-d, %Y").to_string());
        let expected = sums(&sales, day, day);
        assert_eq!(count, &expected.sales.to_string(), "{day}");
        assert_eq!(gross, &usd(expected.gross), "{day}");
    }

    // All time, by week or by month as the history's length calls for.
    let html = overview(&browser, "?range=all").await;
    let (bucket_of, label_of, rows): (DayMap<NaiveDate>, DayMap<String>, _) =
        if let Some(rows) = try_chart_rows(&html, "Sales per month") {
            (
                |d| d.with_day(1).unwrap(),
                |d| d.format("%b %Y").to_string(),
                rows,
            )
        } else {
            let rows = chart_rows(&html, "Sales per week");
            (
                |d| d - Duration::days(d.weekday().num_days_from_monday() as i64),
                |d| format!("Week of {}", d.format("%b %-d, %Y")),
                rows,
            )
        };
    let mut expected: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for sale in &sales {
        *expected.entry(bucket_of(sale.day)).or_default() += 1;
    }
    let first = *expected.keys().next().unwrap();
    assert_eq!(
        rows[0].0,
        label_of(first),
        "all time starts at the first sale"
    );
    let shown: BTreeMap<String, String> = rows.into_iter().collect();
    for (start, count) in expected {
        assert_eq!(shown[&label_of(start)], count.to_string(), "{start}");
    }
}

#[tokio::test]
async fn a_refund_made_after_the_sale_counts_once_on_the_sales_day() {
    let app = spawn_app().await;
    let browser = creator_in_a_far_zone(&app).await;
    let zone: Tz = ZONE.parse().unwrap();
    let sale = sim_sales(&app, 0, &[])
        .await
        .into_iter()
        .filter(|s| s["price"].as_i64() > Some(0) && s["refunded"] != json!(true))
        .find(|s| s["partially_refunded"] != json!(true))
        .expect("one of today's new sales");
    let at: DateTime<Utc> = sale["created_at"].as_str().unwrap().parse().unwrap();
    let day = at.with_timezone(&zone).date_naive();
    let range = format!("?range=custom&from={day}&to={day}");
    let before = overview(&browser, &range).await;
    let net_before = range_total(&before, "Net");
    let rate_before = range_total(&before, "Refund rate");

    app.sim.refund_sale(sale["id"].as_str().unwrap(), None);
    let tenant = app.tenant_id_of(&app.creator(0)).await;
    for _ in 0..2 {
        // Reconciling twice must not count the refund twice.
        app.enqueue_sync(tenant, true).await;
        app.run_jobs().await;
    }
    let zone_sales = sales_in_zone(&app, zone).await;
    let after = overview(&browser, &range).await;
    let price = sale["price"].as_i64().unwrap();
    assert_eq!(
        parse_usd(&range_total(&after, "Net")),
        parse_usd(&net_before) - price,
        "the net of the sale's day drops by exactly the refund"
    );
    let expected = sums(&zone_sales, day, day);
    assert_eq!(
        range_total(&after, "Refund rate"),
        format!(
            "{:.1}%",
            expected.refunded_sales as f64 * 100.0 / expected.sales as f64
        )
    );
    assert_ne!(range_total(&after, "Refund rate"), rate_before);
}

/// A figure of the range's totals ("Net" → "$12.00").
fn range_total(html: &Html, name: &str) -> String {
    let pairs = Selector::parse(".range-totals > div").unwrap();
    let dt = Selector::parse("dt").unwrap();
    let dd = Selector::parse("dd").unwrap();
    html.select(&pairs)
        .find(|p| p.select(&dt).next().map(text_of).as_deref() == Some(name))
        .map(|p| text_of(p.select(&dd).next().unwrap()))
        .unwrap_or_else(|| panic!("no range total {name}"))
}

fn parse_usd(text: &str) -> i64 {
    let negative = text.starts_with('-');
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let cents: i64 = digits.parse().unwrap();
    if negative { -cents } else { cents }
}

#[tokio::test]
async fn charts_are_svg_with_a_title_and_a_description_and_no_inline_style() {
    let app = spawn_app().await;
    let browser = creator_in_a_far_zone(&app).await;
    let (_, html) = browser.get_html("/dashboard?range=30d").await;
    let document = Html::parse_document(&html);
    let svgs = Selector::parse("svg").unwrap();
    let charts: Vec<_> = document.select(&svgs).collect();
    assert_eq!(charts.len(), 2, "revenue and sales");
    for chart in charts {
        let svg = chart.html();
        let parsed = roxmltree::Document::parse(&svg).expect("the chart is well-formed XML");
        let root = parsed.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.attribute("role"), Some("img"));
        let child = |name: &str| {
            root.children()
                .find(|n| n.tag_name().name() == name)
                .and_then(|n| n.text())
                .unwrap_or_default()
                .to_owned()
        };
        assert!(
            !child("title").is_empty() && !child("desc").is_empty(),
            "{svg}"
        );
        assert!(
            parsed.descendants().all(|n| n.attribute("style").is_none()),
            "no style attribute (the CSP would block it)"
        );
        assert!(
            parsed
                .descendants()
                .filter(|n| n.tag_name().name() == "rect")
                .count()
                == 30,
            "a bar per day"
        );
    }
    assert!(!html.contains("<script"), "no script at all");
    assert!(!html.contains("<style"), "no style element");

    let (status, html) = browser
        .get_html("/dashboard?range=custom&from=2026-02-01&to=2026-01-01")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page_text(&html).contains("The start must not be after the end."));
    // Dates at the edge of the calendar are refused, not computed with.
    let (status, html) = browser
        .get_html("/dashboard?range=custom&from=%2B262141-01-01&to=%2B262142-12-31")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page_text(&html).contains("between 1970 and next year"));
}

#[tokio::test]
async fn the_home_page_asks_gumroad_nothing_and_explains_an_empty_mirror() {
    let app = spawn_app().await;
    // Creator 2 has no sales. Gumroad failing on every profile call does not touch the home page.
    let browser = app.signed_in(2).await;
    app.run_jobs().await;
    app.inject_fault(json!({"path": "/v2/user", "kind": "status", "status": 500, "times": 100}))
        .await;
    let (status, html) = browser.get_html("/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    let text = page_text(&html);
    assert!(
        text.contains(&format!("Welcome, {}", app.creator(2).name)),
        "{text}"
    );
    assert!(text.contains("No sales yet"), "{text}");
    assert!(!text.contains("server error"), "{text}");
}

#[tokio::test]
async fn a_new_sale_shows_at_once_on_every_instance_though_each_keeps_its_figures() {
    // Each instance keeps the figures it computed; the key holds the rollups' version, which the
    // database changes with any of the creator's sales, so no instance can show stale figures.
    let app = spawn_app().await;
    let browser = app.signed_in(0).await;
    app.run_jobs().await;
    let other_instance = app.start_another_dashboard(|_| {}).await.unwrap();
    let all_time_sales = |base: String| {
        let browser = &browser;
        async move {
            let (status, html) = browser.get_html(&format!("{base}/dashboard")).await;
            assert_eq!(status, StatusCode::OK, "{}", page_text(&html));
            let html = Html::parse_document(&html);
            leading(&card(&html, "All time")["Sales"])
                .parse::<i64>()
                .unwrap()
        }
    };
    let before = all_time_sales(app.address.clone()).await;
    assert_eq!(all_time_sales(other_instance.clone()).await, before);
    assert_eq!(all_time_sales(app.address.clone()).await, before);

    let sale = app.sim.create_sale(&app.creator(0).id, json!({}));
    assert!(sale.get("error").is_none(), "{sale}");
    let tenant = app.tenant_id_of(&app.creator(0)).await;
    app.enqueue_sync(tenant, false).await;
    app.run_jobs().await;

    assert_eq!(all_time_sales(app.address.clone()).await, before + 1);
    assert_eq!(all_time_sales(other_instance).await, before + 1);
}
