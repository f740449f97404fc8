//! `GET /admin/health`: the instance at a glance: the database (reachable, how fast, its size, the
//! migrations applied), the job queue (depth, oldest waiting job, failed jobs), sync errors by kind,
//! ping deliveries in the last hour, this server's version and uptime. Gumroad call counts and error
//! rates are not counted yet (they come with the metrics); the page says so.

use std::time::{Duration, Instant};

use actix_web::{Responder, get, web};
use askama::Template;
use askama_web::WebTemplate;
use chrono::{DateTime, Utc};

use super::AdminUser;
use crate::store::{self, admin as admin_store, jobs as job_store};
use crate::web::error::AppError;
use crate::web::layout::{AdminNav, Layout, Nav};
use crate::web::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "admin/health.html")]
struct HealthPage {
    layout: Layout,
    database_ms: u128,
    database: admin_store::DatabaseFacts,
    database_size: String,
    migrations_known: usize,
    depth: job_store::Depth,
    oldest_pending: Option<(String, DateTime<Utc>)>,
    oldest_wait: String,
    failed_by_kind: Vec<admin_store::KindCount>,
    sync_errors: Vec<admin_store::ErrorCount>,
    pings: Vec<admin_store::KindCount>,
    pings_total: i64,
    version: &'static str,
    uptime: String,
}

/// `1.5 GB`, `320 MB`, `12 kB` (powers of 1000, as disks are sold).
fn bytes(size: i64) -> String {
    let size = size.max(0) as f64;
    for (unit, scale) in [("GB", 1e9), ("MB", 1e6), ("kB", 1e3)] {
        if size >= scale {
            return format!("{:.1} {unit}", size / scale);
        }
    }
    format!("{size} bytes")
}

/// `3 d 4 h`, `2 h 5 min`, `40 s`.
fn span(duration: Duration) -> String {
    let secs = duration.as_secs();
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    if d > 0 {
        format!("{d} d {h} h")
    } else if h > 0 {
        format!("{h} h {m} min")
    } else if m > 0 {
        format!("{m} min {s} s")
    } else {
        format!("{s} s")
    }
}

#[get("/admin/health")]
pub async fn page(
    admin: AdminUser,
    state: web::Data<AppState>,
) -> Result<impl Responder, AppError> {
    let current = &admin.0;
    let pool = &state.pool;
    let started = Instant::now();
    store::ping(pool).await?;
    let database_ms = started.elapsed().as_millis();
    let database = admin_store::database_facts(pool).await?;
    let oldest_pending = admin_store::oldest_pending_job(pool).await?;
    let oldest_wait = oldest_pending
        .as_ref()
        .map(|(_, since)| span((Utc::now() - *since).to_std().unwrap_or_default()))
        .unwrap_or_else(|| "—".to_owned());
    let pings = admin_store::pings_last_hour(pool).await?;
    Ok(HealthPage {
        layout: Layout::signed_in(
            &current.session,
            &current.creator,
            &state,
            Nav::Admin(AdminNav::Health),
        )?,
        database_ms,
        database_size: bytes(database.size_bytes),
        database,
        migrations_known: store::MIGRATOR.iter().count(),
        depth: job_store::depth(pool).await?,
        oldest_pending,
        oldest_wait,
        failed_by_kind: admin_store::failed_jobs_by_kind(pool).await?,
        sync_errors: admin_store::sync_errors_by_kind(pool).await?,
        pings_total: pings.iter().map(|p| p.count).sum(),
        pings,
        version: env!("CARGO_PKG_VERSION"),
        uptime: span(state.started_at.elapsed()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_spans_read_plainly() {
        assert_eq!(bytes(999), "999 bytes");
        assert_eq!(bytes(12_345_678), "12.3 MB");
        assert_eq!(span(Duration::from_secs(40)), "40 s");
        assert_eq!(span(Duration::from_secs(7500)), "2 h 5 min");
        assert_eq!(span(Duration::from_secs(3 * 86_400 + 4 * 3600)), "3 d 4 h");
    }
}
