//! The sync engine's backfill against a single-cursor walk of the same history, through a Gumroad that
//! answers every call 50 ms late.
//!
//! `cargo bench --bench backfill`. It starts the simulator with one creator holding
//! `GUMDASH_BENCH_BACKFILL_SALES` sales (default 100,000) and puts a small proxy in front of its API
//! that waits `GUMDASH_BENCH_LATENCY_MS` (50) before forwarding each call and notes when each call
//! arrived, so the request rate Gumroad would see is measured, not assumed. Then, in one run:
//! - a single cursor (`page_key` after `page_key`, what a naive client or Gumroad's own CLI does) over
//!   the first `GUMDASH_BENCH_CURSOR_PAGES` pages (300): its rate is steady, so the whole walk's time is
//!   that rate over the whole history;
//! - the real sync (sign-in, then the worker pool exactly as `main` starts it) in several configurations:
//!   each reports sales per second, its ratio to the single cursor, the physical limit (concurrent
//!   windows × 10 sales ÷ latency) and the busiest second of calls against the configured budget;
//! - the same with a launch-day spike: 30% of the sales on one day.
//!
//! `GUMDASH_BENCH_ONLY=<text>` keeps only the runs whose "history / configuration" names contain it.
//! Results go to BENCHMARKS.md by hand.

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::json;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(run());
}

/// A stand-in for the network between gumdash and Gumroad: a fixed delay, and a record of arrivals.
#[derive(Clone)]
struct Latency {
    target: Arc<RwLock<String>>,
    arrivals: Arc<Mutex<Vec<Instant>>>,
    delay: Duration,
    client: reqwest::Client,
}

impl Latency {
    fn start(delay: Duration) -> (Self, String) {
        let proxy = Self {
            target: Arc::default(),
            arrivals: Arc::default(),
            delay,
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(256)
                .build()
                .unwrap(),
        };
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let state = web::Data::new(proxy.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(1 << 20))
                .default_service(web::to(forward))
        })
        .workers(2)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        (proxy, url)
    }

    fn point_at(&self, sim_url: &str) {
        *self.target.write().unwrap() = sim_url.to_owned();
    }

    fn take_arrivals(&self) -> Vec<Instant> {
        std::mem::take(&mut *self.arrivals.lock().unwrap())
    }
}

async fn forward(req: HttpRequest, body: web::Bytes, proxy: web::Data<Latency>) -> HttpResponse {
    proxy.arrivals.lock().unwrap().push(Instant::now());
    tokio::time::sleep(proxy.delay).await;
    let url = format!("{}{}", proxy.target.read().unwrap(), req.uri());
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes()).unwrap();
    let mut outgoing = proxy.client.request(method, url).body(body.to_vec());
    for (name, value) in req.headers() {
        if name.as_str() != "host" {
            outgoing = outgoing.header(name.as_str(), value.as_bytes());
        }
    }
    match outgoing.send().await {
        Ok(answer) => {
            let mut response = HttpResponse::build(
                actix_web::http::StatusCode::from_u16(answer.status().as_u16()).unwrap(),
            );
            if let Some(kind) = answer
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
            {
                response.insert_header(("content-type", kind.to_owned()));
            }
            response.body(answer.bytes().await.unwrap_or_default())
        }
        Err(error) => HttpResponse::BadGateway().body(error.to_string()),
    }
}

/// The most calls that arrived within any one second.
fn busiest_second(arrivals: &[Instant]) -> usize {
    let mut sorted = arrivals.to_vec();
    sorted.sort();
    let mut start = 0;
    let mut most = 0;
    for end in 0..sorted.len() {
        while sorted[end].duration_since(sorted[start]) >= Duration::from_secs(1) {
            start += 1;
        }
        most = most.max(end - start + 1);
    }
    most
}

/// How the instance runs its background work in one measurement.
struct Config {
    name: &'static str,
    workers: usize,
    per_creator: i64,
    instance_rps: f64,
    global_rps: f64,
    /// Stop after this long (a budget-bound run would take many minutes; its rate is what counts).
    sample: Option<Duration>,
}

impl Config {
    fn concurrency(&self) -> f64 {
        (self.workers as f64).min(self.per_creator as f64)
    }

    /// Calls a second this one instance may make.
    fn budget_per_sec(&self) -> f64 {
        self.instance_rps.min(self.global_rps)
    }
}

struct History {
    /// Sales seeded over the simulator's 400 days of history.
    spread: usize,
    /// Sales made on one day (today) on top: a launch.
    spike: usize,
}

struct Measured {
    mirrored: i64,
    seconds: f64,
    finished: bool,
    calls: usize,
    busiest: usize,
}

/// One backfill from sign-in to done (or to the end of the sample), on a fresh database and simulator.
async fn backfill(
    proxy: &Latency,
    proxy_url: &str,
    history: &History,
    config: &Config,
) -> Measured {
    let app = helpers::spawn_app_with_sim(
        |sim| {
            sim.creator_count = 1;
            sim.extra_sales = history.spread;
        },
        |s| {
            s.gumroad.api_url =
                gumdash::config::parse_base_url(&format!("{proxy_url}/v2")).unwrap();
            s.gumroad.timeout = Duration::from_secs(10);
            s.jobs.workers = config.workers;
            s.jobs.queue.per_creator = config.per_creator;
            s.jobs.instance_requests_per_sec = config.instance_rps;
            s.jobs.global_requests_per_sec = config.global_rps;
        },
    )
    .await;
    proxy.point_at(app.sim.base_url());
    let creator = app.creator(0);
    for n in 0..history.spike {
        let made = app.sim.create_sale(
            &creator.id,
            json!({ "email": format!("launch{n}@example.org") }),
        );
        assert!(made.get("error").is_none(), "{made}");
    }
    let expected = app.sim.sales_of(&creator.id).len() as i64;

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let workers = tokio::spawn(app.background().run(stopped));
    proxy.take_arrivals();
    let started = Instant::now();
    app.signed_in(0).await;
    let (mirrored, finished) = loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (state, count): (Option<String>, i64) = sqlx::query_as(
            "SELECT (SELECT backfill FROM sync_states LIMIT 1), (SELECT count(*) FROM sales)",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        if state.as_deref() == Some("done") {
            break (count, true);
        }
        if config.sample.is_some_and(|s| started.elapsed() >= s) {
            break (count, false);
        }
    };
    let seconds = if finished {
        let (seconds,): (f64,) = sqlx::query_as(
            "SELECT extract(epoch FROM backfill_finished_at - backfill_started_at)::float8
             FROM sync_states LIMIT 1",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(
            mirrored, expected,
            "{}: the backfill must mirror every sale",
            config.name
        );
        seconds
    } else {
        started.elapsed().as_secs_f64()
    };
    let arrivals = proxy.take_arrivals();
    stop.send(true).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(30), workers).await;
    let failed = app.failed_jobs().await;
    assert!(failed.is_empty(), "{}: failed jobs {failed:?}", config.name);
    Measured {
        mirrored,
        seconds,
        finished,
        calls: arrivals.len(),
        busiest: busiest_second(&arrivals),
    }
}

/// Sales per second of one cursor walked page after page, over the first `pages` pages.
async fn single_cursor(proxy: &Latency, proxy_url: &str, spread: usize, pages: u64) -> f64 {
    let app = helpers::spawn_app_with_sim(
        |sim| {
            sim.creator_count = 1;
            sim.extra_sales = spread;
        },
        |_| {},
    )
    .await;
    proxy.point_at(app.sim.base_url());
    let token = app.sim.issue_token(
        &app.settings.gumroad.client_id,
        &app.creator(0).id,
        &["view_sales"],
    );
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut key: Option<String> = None;
    let mut sales = 0;
    for _ in 0..pages {
        let mut query = vec![("access_token", token.clone())];
        if let Some(key) = &key {
            query.push(("page_key", key.clone()));
        }
        let page: serde_json::Value = client
            .get(format!("{proxy_url}/v2/sales"))
            .query(&query)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        sales += page["sales"].as_array().map_or(0, Vec::len);
        match page["next_page_key"].as_str() {
            Some(next) => key = Some(next.to_owned()),
            None => break,
        }
    }
    sales as f64 / started.elapsed().as_secs_f64()
}

async fn run() {
    let total = setting("GUMDASH_BENCH_BACKFILL_SALES", 100_000) as usize;
    let latency = Duration::from_millis(setting("GUMDASH_BENCH_LATENCY_MS", 50));
    let cursor_pages = setting("GUMDASH_BENCH_CURSOR_PAGES", 300);
    let (proxy, proxy_url) = Latency::start(latency);

    let cursor_rate = single_cursor(&proxy, &proxy_url, total, cursor_pages).await;
    let defaults = gumdash::config::JobSettings::default();
    let shipped = Config {
        name: "shipped defaults",
        workers: defaults.workers,
        per_creator: defaults.queue.per_creator,
        instance_rps: defaults.instance_requests_per_sec,
        global_rps: defaults.global_requests_per_sec,
        sample: Some(Duration::from_secs(60)),
    };
    let open_budget = Config {
        name: "default concurrency, budget 1000/s",
        instance_rps: 1000.0,
        global_rps: 1000.0,
        sample: None,
        ..shipped
    };
    let wide = Config {
        name: "twice the concurrency (48 workers, 24 per creator), budget 1000/s",
        workers: 48,
        per_creator: 24,
        ..open_budget
    };
    let spread = History {
        spread: total,
        spike: 0,
    };
    let spiky = History {
        spread: total - total * 3 / 10,
        spike: total * 3 / 10,
    };
    let runs = [
        ("spread over 400 days", &spread, &shipped),
        ("spread over 400 days", &spread, &open_budget),
        ("spread over 400 days", &spread, &wide),
        ("30% on one launch day", &spiky, &open_budget),
        ("30% on one launch day", &spiky, &wide),
    ];
    // `GUMDASH_BENCH_ONLY=16` runs only the runs whose names contain "16" (the single cursor always runs).
    let only = std::env::var("GUMDASH_BENCH_ONLY").unwrap_or_default();
    let mut rows = Vec::new();
    for (history_name, history, config) in runs {
        if !format!("{history_name} / {}", config.name).contains(&only) {
            continue;
        }
        let measured = backfill(&proxy, &proxy_url, history, config).await;
        println!(
            "{history_name} / {}: {} sales in {:.1} s{}",
            config.name,
            measured.mirrored,
            measured.seconds,
            if measured.finished { "" } else { " (sampled)" }
        );
        rows.push((history_name, config, measured));
    }

    let per_call = latency.as_secs_f64();
    println!(
        "\n{total} sales, {} ms per call; single cursor: {cursor_rate:.0} sales/s over its first {cursor_pages} pages \
         (the whole history in {:.0} s)\n",
        latency.as_millis(),
        total as f64 / cursor_rate
    );
    println!(
        "| history | configuration | sales/s | ÷ single cursor | physical limit | calls | busiest second ÷ budget |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (history_name, config, m) in rows {
        let rate = m.mirrored as f64 / m.seconds;
        let limit = (config.concurrency() * 10.0 / per_call).min(config.budget_per_sec() * 10.0);
        println!(
            "| {history_name} | {}{} | {rate:.0} | {:.1}× | {limit:.0} | {} | {} ÷ {:.0} |",
            config.name,
            if m.finished { "" } else { " (60 s sample)" },
            rate / cursor_rate,
            m.calls,
            m.busiest,
            config.budget_per_sec(),
        );
    }
}
