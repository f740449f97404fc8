//! The load benchmark: the whole app's pages under load, with a million sales in the database.
//!
//! `cargo bench --bench load_pages` (needs `wrk` and `pgbench`: `apt-get install wrk postgresql-client`).
//! It starts the simulator and a dashboard as the tests do (real PostgreSQL, real HTTP), signs in as
//! the seeded creator and lets the real sync mirror their sales, then loads synthetic sales through
//! the same path the sync uses (`bench/load.rs`: `SaleRecord::from_gumroad` + `store::sales::upsert`,
//! rollups by trigger): `GUMDASH_BENCH_CREATOR_SALES` (default 400,000) for that creator and the rest
//! of `GUMDASH_BENCH_SALES` (default 1,000,000) over 999 other creators with a long tail.
//!
//! Then it starts `gumdash serve` as a process of its own on that database (web only, so its memory
//! is the server's alone) and, at 32 connections with the creator's real session cookie, measures in
//! one run: `pgbench` on the raw keyset query the sales list runs, then `wrk` on `/healthz`, each
//! sales list variant, the overview, the product list and a sale page, while sampling the server's
//! resident memory. Then a second `gumdash serve` on the same database, and the same pages with half
//! the connections on each instance at once. Then the sales list and the overview again with the web
//! pool at several sizes (`GUMDASH_BENCH_POOL_SIZES`, default `2,5,10,32`), one fresh instance each.
//! Every figure that counts is a ratio to a reference measured in the same run. Results go to
//! BENCHMARKS.md by hand.
//!
//! `GUMDASH_BENCH_EXPLAIN=1` also logs every statement the pages run with its plan
//! (`auto_explain`, `ANALYZE` and `BUFFERS`, first views, so nothing is cached) and copies those log
//! lines from PostgreSQL's log (`GUMDASH_BENCH_PG_LOG`, default Debian's) to
//! `target/load_pages-plans.log`. `GUMDASH_BENCH_HOLD=1` keeps the loaded instance up for profiling
//! by hand; otherwise the bench database is dropped at the end (`GUMDASH_BENCH_DATABASE=name` loads
//! into that database and keeps it, so the next run skips the load).

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;
mod load;
mod serve;
mod wrk_output;

use std::process::Command;

use serve::{Server, memory_kb};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use gumdash::domain::SalesCursor;

const CONNECTIONS: u32 = 32;
const SECONDS: u32 = 8;
/// The last of the sales list's variants measured: the raw query is measured again after it.
const LAST_LIST_VARIANT: &str = "sales list, buyer search \"smith\"";
const DEFAULT_PG_LOG: &str = "/var/log/postgresql/postgresql-15-main.log";

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(run());
}

struct Measured {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// wrk's socket errors (timeouts included) and answers other than 2xx, if any.
    errors: String,
}

/// `wrk` on one URL with `connections` over `threads`, every request with the session cookie.
fn wrk(url: &str, cookie: &str, threads: u32, connections: u32) -> Measured {
    let output = Command::new("wrk")
        .args([
            &format!("-t{threads}"),
            &format!("-c{connections}"),
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
    let field = |label: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(label).map(str::to_owned))
            .unwrap_or_default()
    };
    // Errors are reported beside the figures, not fatal: one 503 (a request that waited more than
    // the pool's second for a connection) must not throw away the run and its minutes of loading.
    let not_2xx = field("Non-2xx or 3xx responses:");
    let not_2xx = match not_2xx.trim() {
        "" => String::new(),
        count => format!("{count} not 2xx"),
    };
    Measured {
        rps: field("Requests/sec:").trim().parse().unwrap_or(f64::NAN),
        p50_ms: wrk_output::parse_duration_ms(&field("50%")),
        p99_ms: wrk_output::parse_duration_ms(&field("99%")),
        errors: joined([field("Socket errors:").as_str(), &not_2xx]),
    }
}

/// The non-empty ones of `parts`, trimmed, separated by "; ".
fn joined<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    parts
        .into_iter()
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
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

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// One page, read to the end, as the signed-in creator; it must answer 2xx.
async fn view(client: &reqwest::Client, server: &Server, name: &str, path: &str, cookie: &str) {
    let response = client
        .get(format!("{}{path}", server.base))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{name} ({path}): {}",
        response.status()
    );
    response.bytes().await.unwrap();
}

/// Every page twice (connections, caches), each answering 200.
async fn warm_up(server: &Server, pages: &[(&str, String)], cookie: &str) {
    let client = reqwest::Client::new();
    for _ in 0..2 {
        for (name, path) in pages {
            view(&client, server, name, path, cookie).await;
        }
    }
}

/// The highest `VmRSS` of each process, read every 10 ms until [`MemoryPeaks::finish`].
struct MemoryPeaks {
    peaks: Vec<Arc<AtomicU64>>,
    done: Arc<AtomicBool>,
    sampler: std::thread::JoinHandle<()>,
}

impl MemoryPeaks {
    fn sample(pids: &[u32]) -> Self {
        let peaks: Vec<Arc<AtomicU64>> = pids.iter().map(|_| Arc::default()).collect();
        let done = Arc::new(AtomicBool::new(false));
        let sampler = {
            let (pids, peaks, done) = (pids.to_vec(), peaks.clone(), done.clone());
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    for (pid, peak) in pids.iter().zip(&peaks) {
                        peak.fetch_max(memory_kb(*pid, "VmRSS"), Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            })
        };
        Self {
            peaks,
            done,
            sampler,
        }
    }

    fn finish(self) -> Vec<u64> {
        self.done.store(true, Ordering::Relaxed);
        self.sampler.join().unwrap();
        self.peaks
            .iter()
            .map(|p| p.load(Ordering::Relaxed))
            .collect()
    }
}

/// The pages measured, by name and path (the first is the reference).
async fn pages_of(data: &load::Loaded) -> (Vec<(&'static str, String)>, i64) {
    let (pool, tenant) = (&data.app.pool, data.tenant.get());
    // A deep page (40,000 sales back, or half way for a small load); the busiest product; a sale.
    let depth = (data.creator_sales / 2).min(40_000);
    let (deep_at, deep_id): (DateTime<Utc>, i64) = sqlx::query_as(
        "SELECT created_at, id FROM sales WHERE creator_id = $1
         ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1",
    )
    .bind(tenant)
    .bind(depth)
    .fetch_one(pool)
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
    .bind(tenant)
    .fetch_one(pool)
    .await
    .unwrap();
    let sale: String = sqlx::query_scalar(
        "SELECT gumroad_id FROM sales WHERE creator_id = $1
         ORDER BY created_at DESC, id DESC OFFSET 1000 LIMIT 1",
    )
    .bind(tenant)
    .fetch_one(pool)
    .await
    .unwrap();
    let encoded: String = url::form_urlencoded::byte_serialize(product.as_bytes()).collect();
    let pages = vec![
        ("`/healthz` (reference)", "/healthz".to_owned()),
        ("sales list, first page", "/sales".to_owned()),
        ("sales list, deep page", format!("/sales?older={deep}")),
        (
            "sales list, one product",
            format!("/sales?product={encoded}"),
        ),
        ("sales list, refunded", "/sales?state=refunded".to_owned()),
        (LAST_LIST_VARIANT, "/sales?q=smith".to_owned()),
        ("overview, last 30 days", "/dashboard".to_owned()),
        ("overview, all time", "/dashboard?range=all".to_owned()),
        ("product list (cached)", "/products".to_owned()),
        ("sale page", format!("/sales/{sale}")),
    ];
    (pages, depth)
}

/// One row of a figures table: requests/s, p50, p99, and ratios.
fn row(name: &str, m: &Measured, healthz: f64, raw: f64) {
    println!(
        "| {name} | {:.0} | {:.1} ms | {:.1} ms | {:.2} | {:.2} | {} |",
        m.rps,
        m.p50_ms,
        m.p99_ms,
        m.rps / healthz,
        m.rps / raw,
        m.errors.trim()
    );
}

async fn run() {
    let data = load::load(400_000).await;
    let app = &data.app;
    let (pages, depth) = pages_of(&data).await;
    let cookie = data.browser.cookie_header().expect("a session cookie");
    let raw_sql = format!(
        "SELECT id, gumroad_id, created_at, product_id, product_name, email, full_name, price_usd_cents, \
         currency, amount_cents, refunded_cents, quantity, refunded, partially_refunded, disputed, \
         dispute_won, chargedback FROM sales WHERE creator_id = {} \
         ORDER BY created_at DESC, id DESC LIMIT 51",
        data.tenant.get()
    );

    let first = Server::start(app, &[]).await;
    warm_up(&first, &pages, &cookie).await;
    if std::env::var_os("GUMDASH_BENCH_HOLD").is_some() {
        // For profiling by hand: the loaded instance stays up until the bench is stopped.
        println!(
            "dashboard at {} (pid {})\nCookie: {cookie}\nraw query: {raw_sql}",
            first.base, first.pid
        );
        std::future::pending::<()>().await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_kb = memory_kb(first.pid, "VmRSS");
    let load_before = load_average();

    // One instance, every page at 32 connections, its memory sampled throughout. The raw query
    // before the sales list's variants and again right after them: on shared cores its rate drifts
    // with the neighbours' load, so the ratios are to the mean of the two, both shown.
    let raw_before = pgbench(&app.settings.database, &raw_sql);
    let sampling = MemoryPeaks::sample(&[first.pid]);
    let mut one = Vec::new();
    let mut raw_after = raw_before;
    for (name, path) in &pages {
        let url = format!("{}{path}", first.base);
        one.push((*name, wrk(&url, &cookie, 2, CONNECTIONS)));
        if *name == LAST_LIST_VARIANT {
            raw_after = pgbench(&app.settings.database, &raw_sql);
        }
    }
    let raw_rps = (raw_before + raw_after) / 2.0;
    let peak_kb = sampling.finish()[0];
    let high_water_kb = memory_kb(first.pid, "VmHWM");

    // Two instances on the same database, half the connections on each at once.
    let second = Server::start(app, &[]).await;
    warm_up(&second, &pages, &cookie).await;
    let second_idle_kb = memory_kb(second.pid, "VmRSS");
    let sampling = MemoryPeaks::sample(&[first.pid, second.pid]);
    let mut two = Vec::new();
    for (name, path) in &pages {
        let halves: Vec<Measured> = [&first.base, &second.base]
            .map(|base| {
                let (url, cookie) = (format!("{base}{path}"), cookie.clone());
                std::thread::spawn(move || wrk(&url, &cookie, 1, CONNECTIONS / 2))
            })
            .into_iter()
            .map(|half| half.join().unwrap())
            .collect();
        two.push((*name, halves));
    }
    let two_peaks = sampling.finish();
    first.stop();
    second.stop();

    // The web pool's size: one fresh instance per size, the sales list and the overview.
    let sizes: Vec<String> = std::env::var("GUMDASH_BENCH_POOL_SIZES")
        .unwrap_or_else(|_| "2,5,10,32".into())
        .split(',')
        .map(|s| s.trim().to_owned())
        .collect();
    let swept = [&pages[1], &pages[6]];
    let mut by_size = Vec::new();
    for size in &sizes {
        let server = Server::start(app, &[("GUMDASH_DB_POOL_SIZE", size)]).await;
        warm_up(&server, &pages, &cookie).await;
        let measured: Vec<Measured> = swept
            .iter()
            .map(|(_, path)| wrk(&format!("{}{path}", server.base), &cookie, 2, CONNECTIONS))
            .collect();
        by_size.push((size.clone(), measured));
        server.stop();
    }
    let load_after = load_average();

    if std::env::var_os("GUMDASH_BENCH_EXPLAIN").is_some() {
        // Two more variants, for their plans: a date range, and a search that matches no one.
        let month_ago = (Utc::now() - chrono::Duration::days(30)).date_naive();
        let mut planned = pages.clone();
        planned.push((
            "sales list, last 30 days",
            format!("/sales?from={month_ago}"),
        ));
        planned.push((
            "sales list, a search matching nobody",
            "/sales?q=nobody-matches-this".to_owned(),
        ));
        record_plans(app, &planned, &cookie).await;
    }

    println!(
        "{} sales in the database, {} for the signed-in creator (deep page: {depth} back); \
         {CONNECTIONS} connections, {SECONDS} s each; load average {load_before} before, {load_after} after\n",
        data.loaded, data.creator_sales
    );
    println!("One instance (`gumdash serve`, web pool of 10):\n");
    println!("| page | requests/s | p50 | p99 | ÷ /healthz | ÷ raw keyset query | errors |");
    println!("|---|---|---|---|---|---|---|");
    let healthz = one[0].1.rps;
    println!(
        "| raw keyset query (pgbench, first page of 50; mean of {raw_before:.0} before and {raw_after:.0} after the sales list) | {raw_rps:.0} | | | {:.2} | 1.00 | |",
        raw_rps / healthz
    );
    for (name, m) in &one {
        row(name, m, healthz, raw_rps);
    }

    println!("\nMemory of the `gumdash serve` process (`VmRSS`, sampled every 10 ms):\n");
    println!("| instance | idle (warmed up) | peak under load | `VmHWM` (peak over its life) |");
    println!("|---|---|---|---|");
    println!(
        "| one instance, the run above | {:.1} MB | {:.1} MB | {:.1} MB |",
        mb(idle_kb),
        mb(peak_kb),
        mb(high_water_kb)
    );
    println!(
        "| two instances, the run below | {:.1} MB (second) | {:.1} MB / {:.1} MB | |",
        mb(second_idle_kb),
        mb(two_peaks[0]),
        mb(two_peaks[1])
    );

    println!(
        "\nTwo instances on the same database, {} connections on each at once:\n",
        CONNECTIONS / 2
    );
    println!(
        "| page | requests/s (both) | p50 (each) | p99 (each) | ÷ one instance | ÷ /healthz (both) | ÷ raw keyset query | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let total = |halves: &[Measured]| halves.iter().map(|m| m.rps).sum::<f64>();
    let two_healthz = total(&two[0].1);
    for ((name, halves), (_, single)) in two.iter().zip(&one) {
        let both = total(halves);
        println!(
            "| {name} | {both:.0} | {:.1} / {:.1} ms | {:.1} / {:.1} ms | {:.2} | {:.2} | {:.2} | {} |",
            halves[0].p50_ms,
            halves[1].p50_ms,
            halves[0].p99_ms,
            halves[1].p99_ms,
            both / single.rps,
            both / two_healthz,
            both / raw_rps,
            joined(halves.iter().map(|m| m.errors.as_str()))
        );
    }

    println!("\nThe web pool's size (`GUMDASH_DB_POOL_SIZE`), one instance each:\n");
    println!(
        "| pool | {} requests/s | p99 | {} requests/s | p99 |",
        swept[0].0, swept[1].0
    );
    println!("|---|---|---|---|---|");
    for (size, measured) in &by_size {
        println!(
            "| {size} | {:.0} | {:.1} ms | {:.0} | {:.1} ms |",
            measured[0].rps, measured[0].p99_ms, measured[1].rps, measured[1].p99_ms
        );
    }

    data.finish().await;
}

/// Every statement of one first view of each page, with its plan (`EXPLAIN (ANALYZE, BUFFERS)` by
/// `auto_explain`), from PostgreSQL's log to `target/load_pages-plans.log`.
async fn record_plans(app: &helpers::TestApp, pages: &[(&str, String)], cookie: &str) {
    let database = app.settings.database.get_database().unwrap().to_owned();
    let set = |statement: String| {
        let pool = app.pool.clone();
        async move {
            sqlx::query(sqlx::AssertSqlSafe(statement))
                .execute(&pool)
                .await
                .unwrap()
        }
    };
    for setting in [
        "session_preload_libraries = 'auto_explain'",
        "auto_explain.log_min_duration = 0",
        "auto_explain.log_analyze = on",
        "auto_explain.log_buffers = on",
        "auto_explain.log_timing = on",
    ] {
        set(format!(r#"ALTER DATABASE "{database}" SET {setting}"#)).await;
    }
    let log_path = std::env::var("GUMDASH_BENCH_PG_LOG").unwrap_or_else(|_| DEFAULT_PG_LOG.into());
    let mut log_offset = std::fs::metadata(&log_path).map_or(0, |m| m.len() as usize);
    // A fresh instance: fresh connections (with auto_explain) and empty caches.
    let server = Server::start(app, &[]).await;
    let client = reqwest::Client::new();
    let mut out = String::new();
    for (name, path) in pages {
        view(&client, &server, name, path, cookie).await;
        // Give the log a moment; other databases' backends write to it too (read the excerpt).
        tokio::time::sleep(Duration::from_millis(300)).await;
        let log = std::fs::read(&log_path).unwrap_or_default();
        let new = log.get(log_offset..).unwrap_or_default();
        out.push_str(&format!("\n===== {name}: GET {path}\n"));
        out.push_str(&String::from_utf8_lossy(new));
        log_offset = log.len();
    }
    server.stop();
    set(format!(r#"ALTER DATABASE "{database}" RESET ALL"#)).await;
    let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    let file = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or(target)
        .join("load_pages-plans.log");
    std::fs::write(&file, out).unwrap();
    eprintln!("plans written to {}", file.display());
}
