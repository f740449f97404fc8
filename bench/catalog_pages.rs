//! How long the catalog pages take, and how many Gumroad round trips they cost.
//!
//! `cargo bench --bench catalog_pages`. It starts the simulator and the dashboard exactly as the
//! tests do (real PostgreSQL, real HTTP), signs in as the seeded creator with 23 products, and times
//! the product page and the product list, first as they are, then with every Gumroad product call
//! delayed by 100 ms: the extra time divided by 100 ms is the number of sequential round trips.
//! Results and the date go to BENCHMARKS.md by hand.

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;

use std::time::{Duration, Instant};

use helpers::Browser;

const DELAY_MS: u64 = 100;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(run());
}

async fn median_of(browser: &Browser, path: &str, runs: usize) -> Duration {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let response = browser.get(path).await;
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.bytes().await.expect("a body");
        times.push(started.elapsed());
    }
    times.sort();
    times[runs / 2]
}

/// A product without variant categories and one with, from the first page of the list.
async fn pick_products(browser: &Browser) -> (String, String) {
    let (mut plain, mut with_variants) = (None, None);
    for link in browser.product_links("/products").await {
        let (_, html) = browser.get_html(&link).await;
        let slot = if html.contains(r#"class="variant-category""#) {
            &mut with_variants
        } else {
            &mut plain
        };
        slot.get_or_insert(link);
    }
    (
        plain.expect("a product without variants"),
        with_variants.expect("a product with variants"),
    )
}

struct Row {
    page: &'static str,
    path: String,
    runs: usize,
}

async fn run() {
    let app = helpers::spawn_app().await;
    let browser = app.signed_in(0).await;
    let (plain_product, with_variants) = pick_products(&browser).await;
    let rows = [
        Row {
            page: "product page, no variants (4 calls at once)",
            path: plain_product,
            runs: 15,
        },
        Row {
            page: "product page with variant categories (then their variants)",
            path: with_variants,
            runs: 15,
        },
        Row {
            page: "product list, fetched from Gumroad (23 products)",
            path: "/products?refresh=1".into(),
            runs: 9,
        },
        Row {
            page: "product list, from the per-creator cache",
            path: "/products".into(),
            runs: 15,
        },
    ];
    // Warm up connections and the cache.
    for row in &rows {
        median_of(&browser, &row.path, 2).await;
    }
    let mut plain = Vec::new();
    for row in &rows {
        plain.push(median_of(&browser, &row.path, row.runs).await);
    }
    app.inject_fault(serde_json::json!({
        "path": "/v2/products*", "kind": "latency", "latency_ms": DELAY_MS, "duration_ms": 600_000
    }))
    .await;
    println!(
        "| page | median | median with {DELAY_MS} ms per Gumroad call | sequential round trips |"
    );
    println!("|---|---|---|---|");
    for (row, plain) in rows.iter().zip(plain) {
        let delayed = median_of(&browser, &row.path, row.runs).await;
        let trips = delayed.saturating_sub(plain).as_secs_f64() / (DELAY_MS as f64 / 1000.0);
        println!(
            "| {} | {:.1} ms | {:.1} ms | {:.1} |",
            row.page,
            plain.as_secs_f64() * 1000.0,
            delayed.as_secs_f64() * 1000.0,
            trips
        );
    }
}
