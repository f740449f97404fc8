//! The CSV export of a million sales: rows per second, and the server's memory while it streams.
//!
//! `cargo bench --bench sales_export` (needs PostgreSQL like the tests). It loads the database like
//! `sales_pages` (see `load.rs`), by default 1,000,000 sales for the signed-in creator
//! (`GUMDASH_BENCH_CREATOR_SALES`) plus ten for each of 999 other creators, then starts `gumdash serve`
//! as a process of its own (so its memory is the server's alone, not the loader's or the simulator's)
//! on the same database, and downloads `/sales/export.csv` with the creator's session cookie, counting
//! rows as they arrive, while sampling the server's `VmRSS` every 10 ms; `VmHWM` at the end is the
//! peak over the server's whole life. Results go to BENCHMARKS.md by hand.

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;
mod load;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(run());
}

/// A `kB` field of `/proc/<pid>/status` (`VmRSS`, `VmHWM`).
fn memory_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

struct Download {
    rows: usize,
    bytes: usize,
    first_byte: Duration,
    total: Duration,
}

async fn download(client: &reqwest::Client, url: &str, cookie: &str) -> Download {
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
    let port = helpers::free_port();
    let mut server = app.serve_process(port, 0);
    let pid = server.id().expect("the server's pid");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let up = Instant::now();
    while !client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(
            up.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cookie = browser.cookie_header().expect("a session cookie");
    // Warm up the server's pool and code paths with an export that matches nothing.
    download(
        &client,
        &format!("{base}/sales/export.csv?q=nobody-matches-this"),
        &cookie,
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
    let measured = download(&client, &format!("{base}/sales/export.csv"), &cookie).await;
    done.store(true, Ordering::Relaxed);
    sampler.await.unwrap();
    let high_water_kb = memory_kb(pid, "VmHWM");
    server.start_kill().ok();
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
}
