//! The benches' data: synthetic sales loaded through the sync's own write path.

use std::time::Instant;

use chrono::{DateTime, Utc};
use gumdash::domain::{SaleRecord, TenantId};
use gumdash::store;
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers;

const BATCH: usize = 1000;
const DAYS: i64 = 400;
const FIRST: &[&str] = &[
    "Ava", "Liam", "Maya", "Noah", "Priya", "Kwame", "Mei", "Mateo", "Yuki", "Aoife", "Zoë", "José",
];
const LAST: &[&str] = &[
    "Nakamura", "Okafor", "Kowalski", "Nguyen", "Haddad", "Silva", "Smith", "Müller", "Rossi",
    "Patel", "García", "Chen",
];

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A product sold by a creator: (id, name, currency symbol, price in that currency's unit).
pub type Product = (String, String, &'static str, i64);

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
        let gumroad_id = format!("{}", 9_000_000_000_000u64 + rank as u64);
        let tenant = store::creators::insert_unconnected(
            pool,
            &gumroad_id,
            &gumroad_id,
            &format!("Bench creator {rank}"),
        )
        .await
        .unwrap();
        let share = (total as f64 / harmonic / rank as f64).round() as usize;
        out.push((tenant, share.max(10)));
    }
    out
}

/// The signed-in creator's products as the real sync mirrored them.
async fn products_of(pool: &PgPool, tenant: TenantId) -> Vec<Product> {
    sqlx::query_as::<_, (String, String, Option<String>)>(
        "SELECT DISTINCT ON (product_id) product_id, product_name, currency FROM sales
         WHERE creator_id = $1 ORDER BY product_id, created_at DESC",
    )
    .bind(tenant.get())
    .fetch_all(pool)
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
    .collect()
}

/// A loaded instance, its signed-in creator (seeded creator 0) and what the database holds.
pub struct Loaded {
    pub app: helpers::TestApp,
    pub browser: helpers::Browser,
    pub tenant: TenantId,
    pub loaded: i64,
    pub creator_sales: i64,
    /// Loaded into `GUMDASH_BENCH_DATABASE`, to be used again by the next run.
    kept: bool,
}

impl Loaded {
    /// Drops the bench's fresh database (a million sales fill the disk run after run); a kept one
    /// stays until dropped by hand (`DROP DATABASE name WITH (FORCE)`).
    #[allow(dead_code)]
    pub async fn finish(self) {
        let name = self.app.settings.database.get_database().map(str::to_owned);
        self.app.pool.close().await;
        match name {
            Some(name) if !self.kept => helpers::drop_database(&name).await,
            Some(name) => eprintln!("kept the loaded database {name} for the next run"),
            None => {}
        }
    }
}

/// The instance on `GUMDASH_BENCH_DATABASE` when set (loaded by an earlier run, or to be loaded now
/// and kept), else on a fresh database.
async fn instance() -> (helpers::TestApp, bool) {
    match std::env::var("GUMDASH_BENCH_DATABASE") {
        Ok(name) if !name.is_empty() => {
            let database = helpers::kept_database(&name).await;
            (helpers::spawn_app_on(database).await, true)
        }
        _ => (helpers::spawn_app().await, false),
    }
}

/// Whether an earlier run left a load here: its 999 other creators, and the signed-in creator's
/// sales asked for now (the others' share follows from the total, at least ten each).
async fn already_loaded(pool: &PgPool, tenant: TenantId, big: usize) -> bool {
    let others: i64 =
        sqlx::query_scalar("SELECT count(*) FROM creators WHERE name LIKE 'Bench creator %'")
            .fetch_one(pool)
            .await
            .unwrap();
    let creator_sales = store::sales::count(pool, tenant).await.unwrap() as usize;
    others == 999 && creator_sales == big
}

/// Starts the simulator and the dashboard as the tests do, signs in as the seeded creator and lets
/// the real sync mirror their sales, then loads synthetic sales until the database holds
/// `GUMDASH_BENCH_SALES` (default 1,000,000): `GUMDASH_BENCH_CREATOR_SALES` (default `creator_default`)
/// for that creator, the rest over 999 other creators with a 1/rank tail; then `VACUUM ANALYZE`.
/// With `GUMDASH_BENCH_DATABASE=<name>` the data goes into that database and stays there: the next
/// run with the same name and sizes signs in again and skips the load.
pub async fn load(creator_default: usize) -> Loaded {
    let total = setting("GUMDASH_BENCH_SALES", 1_000_000);
    let big = setting("GUMDASH_BENCH_CREATOR_SALES", creator_default).min(total);
    let (app, kept) = instance().await;
    let browser = app.signed_in(0).await;
    app.run_jobs().await;
    let tenant = app.tenant_id_of(&app.creator(0)).await;
    if kept && already_loaded(&app.pool, tenant, big).await {
        eprintln!("reusing the sales already loaded in the kept database");
    } else {
        load_sales(&app.pool, tenant, total, big).await;
    }
    let loaded: i64 = sqlx::query_scalar("SELECT count(*) FROM sales")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let creator_sales = store::sales::count(&app.pool, tenant).await.unwrap();
    Loaded {
        app,
        browser,
        tenant,
        loaded,
        creator_sales,
        kept,
    }
}

/// Loads synthetic sales until `tenant` has `big` and the database about `total` (see [`load`]).
async fn load_sales(pool: &PgPool, tenant: TenantId, total: usize, big: usize) {
    let mirrored = store::sales::count(pool, tenant).await.unwrap() as usize;
    let products = products_of(pool, tenant).await;

    let started = Instant::now();
    eprintln!("loading {total} sales ({big} for the signed-in creator)…");
    let others = other_creators(pool, 999, total.saturating_sub(big + mirrored)).await;
    let first_task = {
        let pool = pool.clone();
        let products = products.clone();
        tokio::spawn(async move {
            load_creator(&pool, tenant, &products, big.saturating_sub(mirrored), 0, 1).await
        })
    };
    let tail_pool = pool.clone();
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
            load_creator(&tail_pool, creator, &products, share, n, index as u64 + 2).await;
            n += share as u64;
        }
    });
    first_task.await.unwrap();
    tail_task.await.unwrap();
    // What autovacuum does in a running instance: the load's rollup updates left dead row versions.
    sqlx::query("VACUUM ANALYZE").execute(pool).await.unwrap();
    eprintln!("loaded in {:.0} s", started.elapsed().as_secs_f64());
}
