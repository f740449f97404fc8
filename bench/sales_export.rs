//! The CSV export of a million sales: rows per second, and the server's memory while it streams.
//!
//! `cargo bench --bench sales_export` (needs PostgreSQL like the tests). It loads the database like
//! `load_pages` (see `load.rs`), by default 1,000,000 sales for the signed-in creator
//! (`GUMDASH_BENCH_CREATOR_SALES`) plus ten for each of 999 other creators, then starts `gumdash serve`
//! as a process of its own (so its memory is the server's alone, not the loader's or the simulator's)
//! on the same database, and downloads `/sales/export.csv` with the creator's session cookie, counting
//! rows as they arrive, while sampling the server's `VmRSS` every 10 ms; `VmHWM` at the end is the
//! peak over the server's whole life. It also reads the CPU time the server and the database's
//! backends (those open when the export starts) spent on the export, per row: unlike the rate, that
//! does not depend on what else the machine runs. Results go to BENCHMARKS.md by hand.
//!
//! `GUMDASH_BENCH_DATABASE=<name>` loads into that database and keeps it, so later runs skip the
//! load (drop it by hand when done); without it the bench's fresh database is dropped at the end.

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;
mod load;
mod serve;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serve::{Server, memory_kb};

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(run());
}

/// CPU time a process has used (user and system), in seconds: what the export costs each process,
/// however many other processes share the machine (the wall-clock rate depends on them too).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<u64>().ok())
        .sum();
    // USER_HZ is 100 on Linux.
    ticks as f64 / 100.0
}

/// The PostgreSQL client backends of the bench's database but the one asking: the server's
/// connections, and the bench's own idle ones, which do nothing meanwhile (this machine's
/// PostgreSQL, so their `/proc` entries are readable).
async fn database_backends(pool: &sqlx::PgPool) -> Vec<u32> {
    sqlx::query_scalar::<_, i32>(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
         AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
    )
    .fetch_all(pool)
    .await
    .unwrap_or_default()
    .into_iter()
    .map(|pid| pid as u32)
    .collect()
}

struct Download {
    rows: usize,
    bytes: usize,
    first_byte: Duration,
    total: Duration,
}

/// `GUMDASH_BENCH_EXPORT_FILE=<path>` keeps the measured file there, to compare two builds' output.
async fn download(
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
    mut keep: Option<std::fs::File>,
) -> Download {
    let started = Instant::now();
    let mut response = client
        .get(url)
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK, "{url}");
    let mut first_byte = None;
    let (mut lines, mut bytes) = (0, 0);
    while let Some(chunk) = response.chunk().await.expect("the whole file") {
        first_byte.get_or_insert(started.elapsed());
        lines += chunk.iter().filter(|b| **b == b'\n').count();
        bytes += chunk.len();
        if let Some(file) = keep.as_mut() {
            std::io::Write::write_all(file, &chunk).expect("keep the file");
        }
    }
    Download {
        // The synthetic sales hold no line breaks in their cells: one line per row, plus the header.
        rows: lines.saturating_sub(1),
        bytes,
        first_byte: first_byte.unwrap_or_default(),
        total: started.elapsed(),
    }
}

async fn run() {
    let data = load::load(1_000_000).await;
    let (app, browser) = (&data.app, &data.browser);
    let server = Server::start(app, &[]).await;
    let (pid, base) = (server.pid, server.base.clone());
    let client = reqwest::Client::new();
    let cookie = browser.cookie_header().expect("a session cookie");
    // Warm up the server's pool and code paths with an export that matches nothing.
    download(
        &client,
        &format!("{base}/sales/export.csv?q=nobody-matches-this"),
        &cookie,
        None,
    )
    .await;
    let idle_kb = memory_kb(pid, "VmRSS");

    let peak = Arc::new(AtomicU64::new(idle_kb));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(memory_kb(pid, "VmRSS"), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let backends = database_backends(&app.pool).await;
    let cpu_before = (
        cpu_seconds(pid),
        backends.iter().map(|b| cpu_seconds(*b)).sum::<f64>(),
    );
    let keep = std::env::var_os("GUMDASH_BENCH_EXPORT_FILE")
        .map(|path| std::fs::File::create(path).expect("a file to keep the export in"));
    let measured = download(&client, &format!("{base}/sales/export.csv"), &cookie, keep).await;
    let server_cpu = cpu_seconds(pid) - cpu_before.0;
    let database_cpu = backends.iter().map(|b| cpu_seconds(*b)).sum::<f64>() - cpu_before.1;
    done.store(true, Ordering::Relaxed);
    sampler.await.unwrap();
    let high_water_kb = memory_kb(pid, "VmHWM");
    server.stop();
    let stored = gumdash::store::sales::count(&app.pool, data.tenant)
        .await
        .unwrap();
    assert_eq!(
        measured.rows as i64, stored,
        "every sale of the creator exported"
    );

    let seconds = measured.total.as_secs_f64();
    let mb = |kb: u64| kb as f64 / 1024.0;
    println!(
        "{} sales in the database, {} for the signed-in creator; one export of all of them\n",
        data.loaded, data.creator_sales
    );
    println!("| figure | value |");
    println!("|---|---|");
    println!("| rows | {} |", measured.rows);
    println!("| file size | {:.0} MB |", measured.bytes as f64 / 1e6);
    println!(
        "| first byte after | {} ms |",
        measured.first_byte.as_millis()
    );
    println!("| whole download | {seconds:.2} s |");
    println!(
        "| rows per second | {:.0} |",
        measured.rows as f64 / seconds
    );
    let per_row = |seconds: f64| seconds * 1e6 / measured.rows.max(1) as f64;
    println!(
        "| server CPU per row | {:.2} µs ({server_cpu:.2} s) |",
        per_row(server_cpu)
    );
    println!(
        "| database CPU per row ({} backends open before the export) | {:.2} µs ({database_cpu:.2} s) |",
        backends.len(),
        per_row(database_cpu)
    );
    println!(
        "| server RSS before (idle, warmed up) | {:.1} MB |",
        mb(idle_kb)
    );
    println!(
        "| server RSS peak during the export (10 ms samples) | {:.1} MB |",
        mb(peak.load(Ordering::Relaxed))
    );
    println!(
        "| server VmHWM (peak over its life) | {:.1} MB |",
        mb(high_water_kb)
    );
    data.finish().await;
}
