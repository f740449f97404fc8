//! The sales pages under load, with a million sales in the database.
//!
//! `cargo bench --bench sales_pages` (needs `wrk` and `pgbench`: `apt-get install wrk postgresql-client`).
//! It starts the simulator and the dashboard as the tests do (real PostgreSQL, real HTTP), signs in as
//! the seeded creator and lets the real sync mirror their sales, then loads synthetic sales through the
//! same path the sync uses (`SaleRecord::from_gumroad` + `store::sales::upsert`, rollups by trigger):
//! `GUMDASH_BENCH_CREATOR_SALES` (default 400,000) for that creator and the rest of
//! `GUMDASH_BENCH_SALES` (default 1,000,000) over 999 other creators with a long tail. Then, in one run,
//! at 32 connections with the creator's real session cookie: `wrk` against `/healthz`, each sales
//! page and the overview, and `pgbench` against the raw keyset query the list runs. Every figure that counts is a ratio
//! to a reference measured in the same run. Results go to BENCHMARKS.md by hand.

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;
mod load;
mod wrk_output;

use std::process::Command;

use chrono::{DateTime, Utc};
use gumdash::domain::SalesCursor;

const CONNECTIONS: u32 = 32;
const SECONDS: u32 = 8;
fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(run());
}

struct Measured {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// wrk's socket errors (timeouts included), if any.
    errors: String,
}

fn wrk(url: &str, cookie: &str) -> Measured {
    let output = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{CONNECTIONS}"),
            &format!("-d{SECONDS}s"),
            "--latency",
            "--timeout",
            "10s",
            "-H",
            &format!("Cookie: {cookie}"),
            url,
        ])
        .output()
        .expect("wrk runs (apt-get install wrk)");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        !text.contains("Non-2xx"),
        "{url} answered errors under load:\n{text}"
    );
    let field = |label: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(label).map(str::to_owned))
            .unwrap_or_default()
    };
    Measured {
        rps: field("Requests/sec:").trim().parse().unwrap_or(f64::NAN),
        p50_ms: wrk_output::parse_duration_ms(&field("50%")),
        p99_ms: wrk_output::parse_duration_ms(&field("99%")),
        errors: field("Socket errors:"),
    }
}

/// pgbench against one SQL statement; transactions per second.
fn pgbench(options: &sqlx::postgres::PgConnectOptions, sql: &str) -> f64 {
    let script = std::env::temp_dir().join(format!("gumdash-bench-{}.sql", std::process::id()));
    std::fs::write(&script, format!("{sql};\n")).unwrap();
    let output = Command::new("pgbench")
        .args([
            "-n",
            "-c",
            &CONNECTIONS.to_string(),
            "-j",
            "2",
            "-T",
            &SECONDS.to_string(),
            "-f",
            script.to_str().unwrap(),
            "-h",
            options.get_host(),
            "-p",
            &options.get_port().to_string(),
            "-U",
            options.get_username(),
            options.get_database().unwrap(),
        ])
        .output()
        .expect("pgbench runs (apt-get install postgresql-client)");
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no tps in pgbench output:\n{text}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
}

async fn run() {
    let load::Loaded {
        app,
        browser,
        tenant,
        loaded,
        creator_sales,
        ..
    } = load::load(400_000).await;

    // A deep page (40,000 sales back, or half way for a small load); the busiest product.
    let depth = (creator_sales / 2).min(40_000);
    let (deep_at, deep_id): (DateTime<Utc>, i64) = sqlx::query_as(
        "SELECT created_at, id FROM sales WHERE creator_id = $1
         ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1",
    )
    .bind(tenant.get())
    .bind(depth)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let deep = SalesCursor {
        created_at: deep_at,
        id: deep_id,
    }
    .encode();
    let product: String = sqlx::query_scalar(
        "SELECT product_id FROM sales_daily WHERE creator_id = $1
         GROUP BY product_id ORDER BY sum(sales_count) DESC LIMIT 1",
    )
    .bind(tenant.get())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let cookie = browser.cookie_header().expect("a session cookie");
    let base = &app.address;
    let encoded: String = url::form_urlencoded::byte_serialize(product.as_bytes()).collect();
    let pages = [
        ("/healthz (reference)", format!("{base}/healthz")),
        ("sales list, first page", format!("{base}/sales")),
        (
            "sales list, deep page",
            format!("{base}/sales?older={deep}"),
        ),
        (
            "sales list, one product",
            format!("{base}/sales?product={encoded}"),
        ),
        (
            "sales list, refunded",
            format!("{base}/sales?state=refunded"),
        ),
        (
            "sales list, buyer search \"smith\"",
            format!("{base}/sales?q=smith"),
        ),
        ("overview, last 30 days", format!("{base}/dashboard")),
        ("overview, all time", format!("{base}/dashboard?range=all")),
    ];
    let raw_sql = format!(
        "SELECT id, gumroad_id, created_at, product_id, product_name, email, full_name, price_usd_cents, \
         currency, amount_cents, refunded_cents, quantity, refunded, partially_refunded, disputed, \
         dispute_won, chargedback FROM sales WHERE creator_id = {} \
         ORDER BY created_at DESC, id DESC LIMIT 51",
        tenant.get()
    );
    // Warm up caches and connections.
    for (_, url) in &pages {
        let _ = browser.client.get(url).send().await.unwrap().bytes().await;
    }
    if std::env::var_os("GUMDASH_BENCH_HOLD").is_some() {
        // For profiling by hand: the loaded instance stays up until the bench is stopped.
        println!("dashboard at {base}\nCookie: {cookie}\nraw query: {raw_sql}");
        std::future::pending::<()>().await;
    }
    let raw_rps = pgbench(&app.settings.database, &raw_sql);
    let mut results = Vec::new();
    for (name, url) in &pages {
        results.push((*name, wrk(url, &cookie)));
    }
    let healthz_rps = results[0].1.rps;
    println!(
        "{loaded} sales in the database, {creator_sales} for the signed-in creator (deep page: {depth} back); \
         {CONNECTIONS} connections, {SECONDS} s each\n"
    );
    println!("| page | requests/s | p50 | p99 | ÷ /healthz | ÷ raw keyset query | errors |");
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| raw keyset query (pgbench, first page) | {raw_rps:.0} | | | {:.2} | 1.00 | |",
        raw_rps / healthz_rps
    );
    for (name, m) in &results {
        println!(
            "| {name} | {:.0} | {:.1} ms | {:.1} ms | {:.2} | {:.2} | {} |",
            m.rps,
            m.p50_ms,
            m.p99_ms,
            m.rps / healthz_rps,
            m.rps / raw_rps,
            m.errors.trim()
        );
    }
}
