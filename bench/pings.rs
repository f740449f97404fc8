//! The ping receiver under load: pings accepted per second by `POST /hooks/gumroad/{creator}.{secret}`.
//!
//! `cargo bench --bench pings` (needs `wrk`: `apt-get install wrk`). It starts the simulator and the
//! dashboard as the tests do (real PostgreSQL, real HTTP), with no background workers, so every
//! fetch-back a ping enqueues stays in the queue. It makes `CREATORS` creators, each with a ping URL
//! (a real secret, stored as its hash as the subscribe job does), then, in one run at 32 connections:
//! `wrk` against `/healthz` (the reference) and `wrk` posting form-encoded sale pings shaped like
//! Gumroad's (§9.3 fields, a fresh Gumroad-shaped sale id each, so each one asks for a fetch-back) to a
//! random creator's URL. It reports accepted pings per second (200s; 429s from the per-creator rate
//! limit are counted apart), p50/p99, the fetch-back queue's growth, and checks that no creator has
//! more than 100 pending fetch-backs (beyond, one incremental sync is queued instead). Results go to
//! BENCHMARKS.md by hand.

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;
mod wrk_output;

use std::fmt::Write as _;
use std::process::Command;

use gumdash::domain::{PING_PATH_PREFIX, PingKey};
use gumdash::store::webhooks;

const CONNECTIONS: u32 = 32;
const SECONDS: u32 = 8;
/// Creators pinged at random: enough that the per-creator rate limit (a burst of 200, then 20 a
/// second) stays out of the way below ~2,200 pings a second over 8 s, few enough that the cap of 100
/// pending fetch-backs per creator is reached (at ~1,000 pings a second, ~160 each).
const CREATORS: usize = 50;
/// The receiver's cap of pending fetch-backs per creator (`MAX_PENDING_FETCHES` in src/web/hooks.rs).
const PENDING_CAP: i64 = 100;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(run());
}

struct Measured {
    requests: u64,
    seconds: f64,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// Answers other than 2xx/3xx (for the pings: the rate limit's 429s).
    non_2xx: u64,
    /// wrk's socket errors (timeouts included), if any.
    errors: String,
}

fn wrk(url: &str, script: Option<&std::path::Path>) -> Measured {
    let mut command = Command::new("wrk");
    command.args([
        "-t2",
        &format!("-c{CONNECTIONS}"),
        &format!("-d{SECONDS}s"),
        "--latency",
        "--timeout",
        "10s",
    ]);
    if let Some(script) = script {
        command.arg("-s").arg(script);
    }
    let output = command
        .arg(url)
        .output()
        .expect("wrk runs (apt-get install wrk)");
    let text = String::from_utf8_lossy(&output.stdout);
    println!("{text}");
    let field = |label: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(label).map(str::to_owned))
            .unwrap_or_default()
    };
    // "  12345 requests in 8.00s, 1.23MB read"
    let (requests, seconds) = text
        .lines()
        .find_map(|l| {
            let (count, rest) = l.trim().split_once(" requests in ")?;
            let seconds = rest.split(',').next()?;
            Some((
                count.parse().ok()?,
                wrk_output::parse_duration_ms(seconds) / 1000.0,
            ))
        })
        .unwrap_or((0, f64::NAN));
    Measured {
        requests,
        seconds,
        rps: field("Requests/sec:").trim().parse().unwrap_or(f64::NAN),
        p50_ms: wrk_output::parse_duration_ms(&field("50%")),
        p99_ms: wrk_output::parse_duration_ms(&field("99%")),
        non_2xx: field("Non-2xx or 3xx responses:")
            .trim()
            .parse()
            .unwrap_or(0),
        errors: field("Socket errors:"),
    }
}

/// A wrk script: each request is a sale ping, form-encoded with the fields Gumroad sends (api-facts
/// §9.3; buyer data made up), for a new Gumroad-shaped sale id, to one of `paths` at random.
fn ping_script(paths: &[String]) -> String {
    let mut list = String::new();
    for path in paths {
        let _ = writeln!(list, "  \"{path}\",");
    }
    format!(
        r#"local paths = {{
{list}}}
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local n = 0
local headers = {{ ["Content-Type"] = "application/x-www-form-urlencoded" }}

local function sale_id()
  local id = {{}}
  for i = 1, 22 do
    local k = math.random(1, #alphabet)
    id[i] = alphabet:sub(k, k)
  end
  return table.concat(id) .. "%3D%3D"
end

function init(args)
  math.randomseed(os.time() + tonumber(tostring({{}}):sub(8), 16) % 100000)
end

request = function()
  n = n + 1
  local body = "seller_id=" .. "Q3JlYXRvcg%3D%3D"
    .. "&product_id=" .. "cHJvZHVjdA%3D%3D"
    .. "&product_name=Watercolour+Brushes"
    .. "&permalink=brushes&product_permalink=https%3A%2F%2Fcreator.gumroad.com%2Fl%2Fbrushes"
    .. "&short_product_id=brushes"
    .. "&email=buyer" .. n .. "%40example.org"
    .. "&price=1250&gumroad_fee=125&currency=usd&quantity=1&discover_fee_charged=false"
    .. "&can_contact=true&referrer=direct&card%5Bvisual%5D=&card%5Btype%5D="
    .. "&card%5Bbin%5D=&card%5Bexpiry_month%5D=&card%5Bexpiry_year%5D="
    .. "&order_number=" .. (100000000 + n)
    .. "&sale_id=" .. sale_id()
    .. "&sale_timestamp=2026-11-29T22%3A00%3A00Z"
    .. "&purchaser_id=" .. n
    .. "&full_name=Ana+Silva&ip_country=Portugal&is_gift_receiver_purchase=false"
    .. "&refunded=false&disputed=false&dispute_won=false"
    .. "&resource_name=sale&retry_count=0"
  return wrk.format("POST", paths[math.random(1, #paths)], headers, body)
end
"#
    )
}

/// Pending jobs of these kinds, all creators.
async fn pending(pool: &sqlx::PgPool, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM jobs WHERE state = 'pending' AND kind = $1")
        .bind(kind)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn run() {
    // No workers on this instance: the fetch-backs wait in the queue behind the receiver.
    let app = helpers::spawn_app_with(|s| s.jobs.workers = 0).await;
    let pool = &app.pool;
    let mut paths = Vec::with_capacity(CREATORS);
    for n in 0..CREATORS {
        let gumroad_id = format!("{}", 8_000_000_000_000u64 + n as u64);
        let tenant = gumdash::store::creators::insert_unconnected(
            pool,
            &gumroad_id,
            &gumroad_id,
            &format!("Pinged creator {n}"),
        )
        .await
        .unwrap();
        let key = PingKey::generate(tenant);
        webhooks::replace_secret(pool, tenant, &key.sha256())
            .await
            .unwrap();
        webhooks::set_endpoint_state(pool, tenant, "subscribed", None)
            .await
            .unwrap();
        paths.push(format!("{PING_PATH_PREFIX}{}", key.segment()));
    }
    let script = std::env::temp_dir().join(format!("gumdash-pings-{}.lua", std::process::id()));
    std::fs::write(&script, ping_script(&paths)).unwrap();

    let fetches_before = pending(pool, "fetch_sale").await;
    let healthz = wrk(&format!("{}/healthz", app.address), None);
    let pings = wrk(&app.address, Some(&script));
    let _ = std::fs::remove_file(&script);

    let fetches_after = pending(pool, "fetch_sale").await;
    let syncs_after = pending(pool, "sync_recent").await;
    let outcomes: Vec<(String, i64)> =
        sqlx::query_as("SELECT outcome, count(*) FROM webhook_deliveries GROUP BY 1 ORDER BY 1")
            .fetch_all(pool)
            .await
            .unwrap();
    let recorded: i64 = outcomes.iter().map(|(_, n)| n).sum();
    let (most_pending, creators_at_cap): (i64, i64) = sqlx::query_as(
        "SELECT coalesce(max(n), 0)::int8, count(*) FILTER (WHERE n >= $1)
         FROM (SELECT creator_id, count(*) AS n FROM jobs
               WHERE state = 'pending' AND kind = 'fetch_sale' GROUP BY 1) per_creator",
    )
    .bind(PENDING_CAP)
    .fetch_one(pool)
    .await
    .unwrap();

    let accepted = pings.requests.saturating_sub(pings.non_2xx);
    let accepted_rps = accepted as f64 / pings.seconds;
    println!("| measure | requests/s | p50 ms | p99 ms | notes |\n|---|---|---|---|---|");
    println!(
        "| GET /healthz (reference) | {:.0} | {:.2} | {:.2} | {} |",
        healthz.rps,
        healthz.p50_ms,
        healthz.p99_ms,
        if healthz.errors.is_empty() {
            "no errors".to_owned()
        } else {
            healthz.errors.clone()
        }
    );
    println!(
        "| POST /hooks/gumroad/… (sale pings, {CREATORS} creators) | {accepted_rps:.0} accepted ({:.2}× /healthz) | {:.2} | {:.2} | {} sent, {} answered 429 (rate limit){} |",
        accepted_rps / healthz.rps,
        pings.p50_ms,
        pings.p99_ms,
        pings.requests,
        pings.non_2xx,
        if pings.errors.is_empty() {
            String::new()
        } else {
            format!(", socket errors: {}", pings.errors)
        }
    );
    println!();
    println!("deliveries recorded: {recorded} ({outcomes:?})");
    println!(
        "pending fetch-backs: {fetches_before} before, {fetches_after} after (+{:.0}/s over the run); \
         pending incremental syncs (the catch-up beyond the cap): {syncs_after}",
        (fetches_after - fetches_before) as f64 / pings.seconds
    );
    println!(
        "most pending fetch-backs of one creator: {most_pending} (cap {PENDING_CAP}); creators at the cap: {creators_at_cap} of {CREATORS}"
    );
    // wrk counts the answers back within its duration; up to one request per connection was still
    // in flight, recorded by the receiver but not counted.
    assert!(
        (accepted..=accepted + u64::from(CONNECTIONS)).contains(&(recorded as u64)),
        "every accepted ping is recorded, and nothing else: {recorded} recorded, {accepted} accepted"
    );
    assert!(
        most_pending <= PENDING_CAP,
        "the per-creator cap of pending fetch-backs holds"
    );
}
