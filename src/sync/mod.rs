//! What background jobs do with Gumroad data: keep each creator's local mirror of their sales.
//!
//! - **Backfill** ([`backfill`]): right after sign-in, find where the history starts (a binary search with
//!   one request per probe), split it into date windows and walk them concurrently, newest first, each
//!   page checkpointed ([`window`]); windows that turn out dense split themselves.
//! - **Incremental sync** and **reconciliation** ([`recent`]): new sales since the high-water mark (with a
//!   day's overlap, as Gumroad's `after` is a whole day), and the last 30 days again, because refunds,
//!   disputes and chargebacks change old sales.
//! - **Subscribers** ([`subscribers`]): each membership product's active subscribers walked a page a
//!   run (after sign-in and with every incremental sync), then those that stopped fetched on their
//!   own; subscription pings fetch their subscriber back.
//! - Every sale goes through one upsert (`store::sales::upsert`); the rollups follow by trigger.
//!
//! Gumroad failures: a 401 asks the creator to reconnect and stops their jobs (the windows keep their
//! cursors, and signing in again resumes them); 429 waits without using up attempts; 5xx and timeouts
//! retry with back-off; a page that keeps failing parks its window with the error, not the backfill.

mod backfill;
mod bulk;
mod pings;
mod profile;
mod recent;
mod subscribers;
mod window;

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use sqlx::{PgConnection, PgPool};

use crate::context::{AccessError, Context};
use crate::domain::TenantId;
use crate::gumroad::GumroadError;
use crate::jobs::{Claim, Job, JobHandler, Outcome, Queue};
use crate::store;
use crate::store::creators::Creator;
use crate::store::sync::{Progress, SyncState};

pub use bulk::seed_history;
pub use profile::profile_of;

/// How often and how far the sync looks.
#[derive(Clone, Debug)]
pub struct SyncSettings {
    pub incremental_every: Duration,
    pub reconcile_every: Duration,
    /// Days re-walked by reconciliation.
    pub reconcile_days: i64,
    /// "Sync now" at most this often per creator.
    pub sync_now_every: Duration,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            incremental_every: Duration::from_secs(15 * 60),
            reconcile_every: Duration::from_secs(24 * 3600),
            reconcile_days: 30,
            sync_now_every: Duration::from_secs(30),
        }
    }
}

/// Runs the sync's jobs (and the scheduler's) for the worker pool.
pub struct SyncHandler {
    pub ctx: Context,
    pub queue: Queue,
    pub settings: SyncSettings,
    /// Where browsers (and Gumroad's pings) reach this deployment: ping URLs are made under it.
    pub public_url: url::Url,
}

impl JobHandler for SyncHandler {
    fn run<'a>(&'a self, claim: &'a Claim) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let result = match &claim.job {
                // The scheduler must never fail for good: a database hiccup only delays it.
                Job::Schedule => Ok(self
                    .schedule()
                    .await
                    .unwrap_or(Outcome::Repeat(Duration::from_secs(30)))),
                Job::SweepSessions => sweep_sessions(&self.ctx.pool).await,
                Job::PlanBackfill { creator } => backfill::plan(self, claim, *creator).await,
                Job::SyncWindow { creator, window } => {
                    window::walk(self, claim, *creator, *window).await
                }
                Job::SyncRecent { creator, reconcile } => {
                    recent::start(self, *creator, *reconcile).await
                }
                Job::RedateSales { creator, .. } => redate(&self.ctx.pool, *creator).await,
                Job::SubscribePings { creator } => pings::subscribe(self, claim, *creator).await,
                Job::UnsubscribePings { creator } => pings::unsubscribe(self, *creator).await,
                Job::FetchSale {
                    creator, sale_id, ..
                } => pings::fetch_sale(self, claim, *creator, sale_id).await,
                Job::RotateKeys { key_id } => self.rotate_keys(claim, key_id).await,
                Job::SyncSubscribers { creator, walk } => {
                    subscribers::walk(self, claim, *creator, walk.as_ref()).await
                }
                Job::RefreshSubscriber {
                    creator,
                    subscriber_id,
                } => subscribers::refresh(self, claim, *creator, subscriber_id).await,
            };
            match result {
                Ok(outcome) => outcome,
                Err(error) => self.database_failed(claim, &error).await,
            }
        })
    }

    fn finished(&self, claim: &Claim, outcome: &Outcome, elapsed: Duration) {
        let outcome = match outcome {
            Outcome::Done | Outcome::Committed => "done",
            Outcome::Continue(_) => "continued",
            Outcome::Repeat(_) => "repeat",
            Outcome::RetryIn(..) => "retry",
            Outcome::GiveUp(_) => "failed",
        };
        self.ctx.metrics.job(claim.job.kind(), outcome, elapsed);
    }
}

impl SyncHandler {
    /// The operator's "Rotate now": another run already going (a `gumdash keys rotate`, say) does
    /// the same work, so this one is done. A worker whose ring starts with another key puts it back
    /// for half a minute without using up an attempt, for an instance that has the new ring (the
    /// reason shows on /admin/jobs meanwhile).
    async fn rotate_keys(&self, claim: &Claim, key_id: &str) -> Result<Outcome, sqlx::Error> {
        let ctx = &self.ctx;
        let active = ctx.keys.active_key_id();
        if active != key_id {
            let reason = format!(
                "this instance seals with key {active:?}, the rotation is to {key_id:?}: put {key_id:?} first in its GUMDASH_TOKEN_KEYS"
            );
            let mut conn = ctx.pool.acquire().await?;
            claim
                .postpone_in(&mut conn, Duration::from_secs(30), &reason)
                .await?;
            return Ok(Outcome::Committed);
        }
        rotate_keys(ctx).await
    }
}

async fn rotate_keys(ctx: &Context) -> Result<Outcome, sqlx::Error> {
    use crate::rotation::{self, RotationError};
    match rotation::rotate(&ctx.pool, &ctx.keys, rotation::BATCH_SIZE, "job", |_| {}).await {
        Ok(report) if report.remaining == 0 => Ok(Outcome::Done),
        Ok(report) => Ok(Outcome::GiveUp(format!(
            "{} token(s) are still sealed under an old key",
            report.remaining
        ))),
        Err(RotationError::AlreadyRunning) => {
            tracing::info!("a key rotation is already running elsewhere; this job ends");
            Ok(Outcome::Done)
        }
        Err(error @ RotationError::MissingKeys(_)) => Ok(Outcome::GiveUp(error.to_string())),
        Err(RotationError::Database(error)) => Err(error),
    }
}

impl SyncHandler {
    /// The database failed us mid-job: nothing was half-written (transactions), so try again later.
    /// The creator sees that syncing is stuck; a window that keeps failing is set aside, so the rest
    /// of the sync goes on and "Sync now" can try it again.
    async fn database_failed(&self, claim: &Claim, error: &sqlx::Error) -> Outcome {
        tracing::warn!(job = claim.id, kind = claim.job.kind(), %error, "a sync job hit a database error");
        let words =
            "gumdash could not store what it fetched (a database problem); it will try again.";
        if let Some(creator) = claim.job.creator() {
            let _ = store::sync::record_error(&self.ctx.pool, creator, words).await;
        }
        let last_attempt = claim.attempts >= self.queue.settings().max_attempts;
        if let (true, Job::SyncWindow { creator, window }) = (last_attempt, &claim.job) {
            let _ = store::sync::park_window(&self.ctx.pool, *creator, *window, words).await;
        }
        Outcome::RetryIn(self.queue.backoff(claim.attempts), error.to_string())
    }

    /// Gumroad is rate limiting: wait without using up an attempt.
    async fn postpone(&self, claim: &Claim, pause: Duration) -> Result<Outcome, sqlx::Error> {
        let mut conn = self.ctx.pool.acquire().await?;
        claim
            .postpone_in(&mut conn, pause, "Gumroad is rate limiting; waiting")
            .await?;
        Ok(Outcome::Committed)
    }

    /// Every minute: enqueue the due incremental syncs and reconciliations, and the hourly sweep
    /// (sessions, old ping deliveries, old failed jobs). De-duplication makes running this on several instances harmless.
    async fn schedule(&self) -> Result<Outcome, sqlx::Error> {
        let pool = &self.ctx.pool;
        let due = [
            (false, self.settings.incremental_every),
            (true, self.settings.reconcile_every),
        ];
        for (reconcile, every) in due {
            for creator in
                store::sync::due_for_sync(pool, every.as_secs() as i64, reconcile).await?
            {
                Queue::enqueue(pool, &Job::SyncRecent { creator, reconcile }).await?;
            }
        }
        // A backfill whose jobs are gone (failed for good, or cancelled) is picked up again.
        for creator in store::sync::stalled_backfills(pool).await? {
            let mut tx = pool.begin().await?;
            resume(&mut tx, creator, Unpark::LongParked).await?;
            tx.commit().await?;
        }
        let next_hour = Utc::now() + chrono::Duration::hours(1);
        Queue::enqueue_with(pool, &Job::SweepSessions, None, Some(next_hour)).await?;
        Ok(Outcome::Repeat(Duration::from_secs(60)))
    }

    /// Runs one Gumroad call as the creator; each request it sends waits for the shared budget
    /// first (the background client is paced by it).
    async fn gumroad<T>(
        &self,
        tenant: TenantId,
        request: impl AsyncFnOnce(
            &crate::gumroad::ApiClient,
            &secrecy::SecretString,
        ) -> Result<T, GumroadError>,
    ) -> Result<Result<T, GumroadError>, AccessError> {
        let api = self.ctx.creator_api(tenant).await?;
        Ok(api.call(request).await)
    }

    /// What to do after a Gumroad failure in a sync job, and the words to keep for the creator.
    async fn after_failure(
        &self,
        claim: &Claim,
        tenant: TenantId,
        error: &GumroadError,
    ) -> Result<Failure, sqlx::Error> {
        let words = plain_words(error);
        store::sync::record_error(&self.ctx.pool, tenant, &words).await?;
        Ok(match error {
            GumroadError::Unauthorized | GumroadError::MissingScope => {
                // Already booked as "needs reconnect" (401); nothing more to fetch until they sign in.
                Queue::cancel_pending_fetches_for(&self.ctx.pool, tenant).await?;
                Failure::Stop
            }
            GumroadError::RateLimited => Failure::Postpone(self.queue.backoff(3)),
            _ if claim.attempts >= self.queue.settings().max_attempts => Failure::Park(words),
            GumroadError::Rejected { .. }
            | GumroadError::NotFound { .. }
            | GumroadError::RouteNotFound => Failure::Park(words),
            _ => Failure::Retry(self.queue.backoff(claim.attempts), words),
        })
    }
}

/// The sync's reaction to a failed Gumroad call.
enum Failure {
    /// The creator must reconnect: stop (windows keep their cursors).
    Stop,
    /// Rate limited: wait, without using up an attempt.
    Postpone(Duration),
    Retry(Duration, String),
    /// Keeps failing, or can never work: set the window aside with the error.
    Park(String),
}

/// An access problem before any call: no token (signed out for good) or one we cannot open.
async fn access_failed(
    ctx: &Context,
    tenant: TenantId,
    error: AccessError,
) -> Result<Outcome, sqlx::Error> {
    match error {
        AccessError::Database(error) => Err(error),
        AccessError::NotConnected => {
            store::sync::record_error(&ctx.pool, tenant, "gumdash holds no Gumroad connection for this account; sign in again to sync.")
                .await?;
            Ok(Outcome::Done)
        }
        AccessError::Unreadable(_) => Ok(Outcome::GiveUp(
            "the stored Gumroad token could not be opened (a key is missing from GUMDASH_TOKEN_KEYS)"
                .into(),
        )),
    }
}

/// For the sync status page and the operator: what went wrong, without internals.
fn plain_words(error: &GumroadError) -> String {
    match error {
        GumroadError::Unauthorized => {
            "Gumroad no longer accepts gumdash's access (it was revoked). Sign in again to resume."
                .into()
        }
        GumroadError::MissingScope => {
            "Your Gumroad connection does not allow reading sales. Sign in again and allow it."
                .into()
        }
        GumroadError::RateLimited => {
            "Gumroad asked us to slow down; the sync waits and goes on.".into()
        }
        GumroadError::Server { status } => {
            format!("Gumroad had a server error ({status}); the sync will try again.")
        }
        GumroadError::Timeout => "Gumroad took too long to answer; the sync will try again.".into(),
        GumroadError::Unreachable => {
            "Gumroad could not be reached; the sync will try again.".into()
        }
        GumroadError::Malformed { .. } => {
            "Gumroad sent a page gumdash could not read; the sync will try again.".into()
        }
        other => format!("Gumroad refused a request: {other}"),
    }
}

/// The hourly sweep: expired sessions, then what is kept only for a while: ping deliveries (per
/// creator, the last 1,000 of the last 30 days) and jobs that failed for good more than 30 days ago.
async fn sweep_sessions(pool: &PgPool) -> Result<Outcome, sqlx::Error> {
    let removed = store::sessions::delete_expired(pool).await?;
    if removed > 0 {
        tracing::info!(removed, "expired sessions removed");
    }
    let ended = store::view_as::end_expired(pool).await?;
    if ended > 0 {
        tracing::info!(ended, "view-as sessions ended at their time limit");
    }
    let deliveries = store::webhooks::prune_deliveries(pool).await?;
    let failed_jobs = store::jobs::prune_failed(pool).await?;
    if deliveries + failed_jobs > 0 {
        tracing::info!(
            deliveries,
            failed_jobs,
            "old ping deliveries and failed jobs removed"
        );
    }
    Ok(Outcome::Done)
}

/// The creator's days follow their (new) time zone.
async fn redate(pool: &PgPool, tenant: TenantId) -> Result<Outcome, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let (zone, _) = store::creators::time_zone(&mut *tx, tenant).await?;
    let moved = store::sales::redate(&mut tx, tenant, &zone).await?;
    tx.commit().await?;
    tracing::info!(%tenant, moved, "sales re-dated to the creator's time zone");
    Ok(Outcome::Done)
}

/// After sign-in with `view_sales`, in the sign-in's transaction: start the backfill the first time,
/// else resume whatever was left open and catch up.
pub async fn after_sign_in(
    conn: &mut PgConnection,
    tenant: TenantId,
    scopes: &[String],
) -> Result<(), sqlx::Error> {
    if !scopes.iter().any(|s| s == "view_sales") {
        return Ok(());
    }
    // Pings keep the mirror fresh within seconds; subscribing runs in the background so sign-in
    // does not wait for Gumroad.
    Queue::enqueue(&mut *conn, &Job::SubscribePings { creator: tenant }).await?;
    Queue::enqueue(
        &mut *conn,
        &Job::SyncSubscribers {
            creator: tenant,
            walk: None,
        },
    )
    .await?;
    start_or_resume(conn, tenant).await
}

/// The first time, the backfill; after that, whatever was left open, and a catch-up.
async fn start_or_resume(conn: &mut PgConnection, tenant: TenantId) -> Result<(), sqlx::Error> {
    store::sync::ensure_state(&mut *conn, tenant).await?;
    if store::sync::backfill_phase(&mut *conn, tenant).await? == "none" {
        start_backfill(conn, tenant).await
    } else {
        resume(conn, tenant, Unpark::All).await
    }
}

/// "Force full resync": the backfill starts over, planned afresh; the old plan's windows go (their
/// pending jobs then end at once), the stored sales stay and are written again as the walk passes.
pub async fn restart_backfill(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> Result<(), sqlx::Error> {
    store::sync::ensure_state(&mut *conn, tenant).await?;
    store::sync::delete_backfill_windows(&mut *conn, tenant).await?;
    start_backfill(conn, tenant).await
}

async fn start_backfill(conn: &mut PgConnection, tenant: TenantId) -> Result<(), sqlx::Error> {
    store::sync::begin_backfill(&mut *conn, tenant).await?;
    Queue::enqueue(&mut *conn, &Job::PlanBackfill { creator: tenant }).await?;
    Ok(())
}

/// Which parked windows get another go.
#[derive(Clone, Copy)]
enum Unpark {
    /// The creator asked (sign-in, "Sync now").
    All,
    /// The scheduler: only those set aside more than an hour ago, so a window that keeps failing
    /// does not hammer Gumroad.
    LongParked,
}

/// Enqueues every open window again and an incremental sync.
async fn resume(
    conn: &mut PgConnection,
    tenant: TenantId,
    unpark: Unpark,
) -> Result<(), sqlx::Error> {
    let state = store::sync::backfill_phase(&mut *conn, tenant).await?;
    if state == "planning" {
        Queue::enqueue(&mut *conn, &Job::PlanBackfill { creator: tenant }).await?;
    }
    let parked_before = match unpark {
        Unpark::All => Utc::now(),
        Unpark::LongParked => Utc::now() - chrono::Duration::hours(1),
    };
    store::sync::unpark_windows(&mut *conn, tenant, parked_before).await?;
    for open in store::sync::open_windows(&mut *conn, tenant).await? {
        if open.state != "pending" {
            continue;
        }
        let job = Job::SyncWindow {
            creator: tenant,
            window: open.id,
        };
        Queue::enqueue_with(&mut *conn, &job, Some(window::priority(&open)), None).await?;
    }
    if state == "done" {
        Queue::enqueue(
            &mut *conn,
            &Job::SyncRecent {
                creator: tenant,
                reconcile: false,
            },
        )
        .await?;
    }
    Ok(())
}

/// "Sync now": rate-limited per creator across instances. `false` when asked too soon.
pub async fn request_sync(
    pool: &PgPool,
    tenant: TenantId,
    settings: &SyncSettings,
) -> Result<bool, sqlx::Error> {
    store::sync::ensure_state(pool, tenant).await?;
    if !store::sync::claim_sync_request(pool, tenant, settings.sync_now_every.as_secs() as i64)
        .await?
    {
        return Ok(false);
    }
    let mut tx = pool.begin().await?;
    start_or_resume(&mut tx, tenant).await?;
    tx.commit().await?;
    Ok(true)
}

/// What the sync status page and the sales banner show.
#[derive(Clone, Debug, Default)]
pub struct SyncStatus {
    pub state: SyncState,
    pub progress: Progress,
    pub sales_stored: i64,
    /// Seconds left in the backfill, estimated from the history covered so far.
    pub eta_secs: Option<i64>,
}

impl SyncStatus {
    pub fn backfilling(&self) -> bool {
        matches!(self.state.backfill.as_str(), "planning" | "running")
    }

    pub fn never_started(&self) -> bool {
        self.state.backfill == "none"
    }

    /// Per mille of the history covered, for the progress bar.
    pub fn covered_permille(&self) -> i64 {
        if self.state.backfill == "done" {
            return 1000;
        }
        let p = &self.progress;
        (p.days_covered * 1000)
            .checked_div(p.days_total)
            .unwrap_or(0)
            .clamp(0, 1000)
    }
}

pub async fn status(pool: &PgPool, tenant: TenantId) -> Result<SyncStatus, sqlx::Error> {
    let state = store::sync::state(pool, tenant)
        .await?
        .unwrap_or_else(|| SyncState {
            backfill: "none".into(),
            ..SyncState::default()
        });
    let progress = store::sync::backfill_progress(pool, tenant).await?;
    let sales_stored = store::sales::count(pool, tenant).await?;
    let mut status = SyncStatus {
        state,
        progress,
        sales_stored,
        eta_secs: None,
    };
    status.eta_secs = estimate_eta(&status, Utc::now());
    Ok(status)
}

async fn load_state(pool: &PgPool, tenant: TenantId) -> Result<SyncState, sqlx::Error> {
    Ok(store::sync::state(pool, tenant)
        .await?
        .unwrap_or_else(|| SyncState {
            backfill: "none".into(),
            ..SyncState::default()
        }))
}

/// What the sales pages' banner needs: the counts only while the backfill runs. The phase comes
/// with the creator row when `store::creators::find` read it, so a page of a finished mirror
/// costs no statement here.
pub async fn banner_status(pool: &PgPool, creator: &Creator) -> Result<SyncStatus, sqlx::Error> {
    let state = match &creator.sync_phase {
        Some(phase) => SyncState {
            backfill: phase.clone(),
            ..SyncState::default()
        },
        None => load_state(pool, creator.id).await?,
    };
    if matches!(state.backfill.as_str(), "planning" | "running") {
        return status(pool, creator.id).await;
    }
    Ok(SyncStatus {
        state,
        ..SyncStatus::default()
    })
}

fn estimate_eta(status: &SyncStatus, now: DateTime<Utc>) -> Option<i64> {
    if !status.backfilling() {
        return None;
    }
    let started = status.state.backfill_started_at?;
    let elapsed = (now - started).num_seconds().max(1);
    let done = status.covered_permille();
    if done < 20 {
        return None;
    }
    Some(elapsed * (1000 - done) / done)
}
