//! The sales pages under load, with a million sales in the database.
//!
//! `cargo bench --bench sales_pages` (needs `wrk` and `pgbench`: `apt-get install wrk postgresql-client`).
//! It starts the simulator and the dashboard as the tests do (real PostgreSQL, real HTTP), signs in as
//! the seeded creator and lets the real sync mirror their sales, then loads synthetic sales through the
//! same path the sync uses (`SaleRecord::from_gumroad` + `store::sales::upsert`, rollups by trigger):
//! `GUMDASH_BENCH_CREATOR_SALES` (default 400,000) for that creator and the rest of
//! `GUMDASH_BENCH_SALES` (default 1,000,000) over 999 other creators with a long tail. Then, in one run,
//! at 32 connections with the creator's real session cookie: `wrk` against `/healthz` and each sales
//! page, and `pgbench` against the raw keyset query the list runs. Every figure that counts is a ratio
//! to a reference measured in the same run. Results go to BENCHMARKS.md by hand.

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;

use std::process::Command;
use std::time::Instant;

use chrono::{DateTime, Utc};
use gumdash::domain::{SaleRecord, SalesCursor, TenantId};
use gumdash::store;
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use sqlx::PgPool;

const CONNECTIONS: u32 = 32;
const SECONDS: u32 = 8;
const BATCH: usize = 1000;
const DAYS: i64 = 400;
const FIRST: &[&str] = &[
    "Ava", "Liam", "Maya", "Noah", "Priya", "Kwame", "Mei", "Mateo", "Yuki", "Aoife", "Zoë", "José",
];
const LAST: &[&str] = &[
    "Nakamura", "Okafor", "Kowalski", "Nguyen", "Haddad", "Silva", "Smith", "Müller", "Rossi",
    "Patel", "García", "Chen",
];

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(run());
}

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A product sold by a creator: (id, name, currency symbol, price in that currency's unit).
type Product = (String, String, &'static str, i64);

/// One synthetic sale as Gumroad's API would send it.
fn sale_json(
    rng: &mut ChaCha8Rng,
    n: u64,
    product: &Product,
    now: DateTime<Utc>,
) -> serde_json::Value {
    let created = now - chrono::Duration::seconds(rng.random_range(0..DAYS * 86_400));
    let (first, last) = (
        FIRST[rng.random_range(0..FIRST.len())],
        LAST[rng.random_range(0..LAST.len())],
    );
    let (id, name, symbol, price) = product;
    let refunded = rng.random_bool(0.03);
    let disputed = rng.random_bool(0.005);
    let free = rng.random_bool(0.02);
    let amount = if free { 0 } else { *price };
    let decimals = if *symbol == "¥" { 0 } else { 2 };
    let shown = if decimals == 0 {
        format!("{symbol}{amount}")
    } else {
        format!("{symbol}{}.{:02}", amount / 100, amount % 100)
    };
    json!({
        "id": format!("bench{n:019}=="),
        "created_at": created.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "product_id": id,
        "product_name": name,
        "email": format!("{}.{}{}@example.org", first.to_lowercase(), last.to_lowercase(), n % 997),
        "full_name": format!("{first} {last}"),
        "price": if symbol == &"$" { amount } else { amount * 11 / 10 },
        "gumroad_fee": amount / 10,
        "currency_symbol": symbol,
        "formatted_display_price": shown,
        "amount_refundable_in_currency": if refunded { "0".to_owned() } else { shown.trim_start_matches(symbol).to_owned() },
        "refunded": refunded,
        "partially_refunded": false,
        "disputed": disputed,
        "chargedback": false,
        "quantity": 1,
        "order_id": n,
        "country": "Portugal",
        "referrer": "direct",
    })
}

async fn load_creator(
    pool: &PgPool,
    tenant: TenantId,
    products: &[Product],
    count: usize,
    first_n: u64,
    seed: u64,
) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let now = Utc::now();
    let mut n = first_n;
    let mut left = count;
    while left > 0 {
        let size = left.min(BATCH);
        let records: Vec<SaleRecord> = (0..size)
            .map(|_| {
                n += 1;
                let product = &products[rng.random_range(0..products.len())];
                let json = sale_json(&mut rng, n, product, now);
                let created: DateTime<Utc> = json["created_at"].as_str().unwrap().parse().unwrap();
                SaleRecord::from_gumroad(
                    json["id"].as_str().unwrap(),
                    created,
                    json.clone(),
                    chrono_tz::Tz::UTC,
                )
            })
            .collect();
        let mut tx = pool.begin().await.unwrap();
        store::sales::upsert(&mut tx, tenant, &records)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        left -= size;
    }
}

/// `count` other creators, the first with the biggest share (1/rank of `total`).
async fn other_creators(pool: &PgPool, count: usize, total: usize) -> Vec<(TenantId, usize)> {
    let harmonic: f64 = (1..=count).map(|r| 1.0 / r as f64).sum();
    let mut out = Vec::with_capacity(count);
    for rank in 1..=count {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO creators (gumroad_user_id, name) VALUES ($1, $2) RETURNING id",
        )
        .bind(format!("{}", 9_000_000_000_000u64 + rank as u64))
        .bind(format!("Bench creator {rank}"))
        .fetch_one(pool)
        .await
        .unwrap();
        let share = (total as f64 / harmonic / rank as f64).round() as usize;
        out.push((TenantId::from_db(id), share.max(10)));
    }
    out
}

struct Measured {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// wrk's socket errors (timeouts included), if any.
    errors: String,
}

fn parse_duration_ms(text: &str) -> f64 {
    let text = text.trim();
    let (number, factor) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (text, 1.0)
    };
    number.parse::<f64>().unwrap_or(f64::NAN) * factor
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
        p50_ms: parse_duration_ms(&field("50%")),
        p99_ms: parse_duration_ms(&field("99%")),
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
    let total = setting("GUMDASH_BENCH_SALES", 1_000_000);
    let big = setting("GUMDASH_BENCH_CREATOR_SALES", 400_000).min(total);
    let app = helpers::spawn_app().await;
    let browser = app.signed_in(0).await;
    app.run_jobs().await;
    let tenant = app.tenant_id_of(&app.creator(0)).await;
    let mirrored = store::sales::count(&app.pool, tenant).await.unwrap() as usize;
    let products: Vec<Product> = sqlx::query_as::<_, (String, String, Option<String>)>(
        "SELECT DISTINCT ON (product_id) product_id, product_name, currency FROM sales
         WHERE creator_id = $1 ORDER BY product_id, created_at DESC",
    )
    .bind(tenant.get())
    .fetch_all(&app.pool)
    .await
    .unwrap()
    .into_iter()
    .map(|(id, name, currency)| {
        let symbol = match currency.as_deref() {
            Some("eur") => "€",
            Some("gbp") => "£",
            Some("jpy") => "¥",
            _ => "$",
        };
        let price = if symbol == "¥" { 1500 } else { 1200 };
        (id, name, symbol, price)
    })
    .collect();

    let started = Instant::now();
    eprintln!("loading {total} sales ({big} for the signed-in creator)…");
    let others = other_creators(&app.pool, 999, total.saturating_sub(big + mirrored)).await;
    let first_task = {
        let pool = app.pool.clone();
        let products = products.clone();
        tokio::spawn(async move {
            load_creator(&pool, tenant, &products, big.saturating_sub(mirrored), 0, 1).await
        })
    };
    let pool = app.pool.clone();
    let tail_task = tokio::spawn(async move {
        let mut n = 10_000_000u64;
        for (index, (creator, share)) in others.into_iter().enumerate() {
            let products: Vec<Product> = (0..5)
                .map(|p| {
                    (
                        format!("prod-{index}-{p}"),
                        format!("Product {p}"),
                        "$",
                        900,
                    )
                })
                .collect();
            load_creator(&pool, creator, &products, share, n, index as u64 + 2).await;
            n += share as u64;
        }
    });
    first_task.await.unwrap();
    tail_task.await.unwrap();
    // What autovacuum does in a running instance: the load's rollup updates left dead row versions.
    sqlx::query("VACUUM ANALYZE")
        .execute(&app.pool)
        .await
        .unwrap();
    let loaded: i64 = sqlx::query_scalar("SELECT count(*) FROM sales")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let creator_sales = store::sales::count(&app.pool, tenant).await.unwrap();
    eprintln!(
        "loaded in {:.0} s: {loaded} sales, {creator_sales} for the signed-in creator",
        started.elapsed().as_secs_f64()
    );

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
