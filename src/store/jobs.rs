//! SQL of the job queue (see `jobs/` for what it means). A claimed job holds a lease, not a
//! transaction; every way of finishing a job checks that the caller still holds that lease, so a worker
//! whose lease ran out (and whose job another worker took over) cannot overwrite the newer outcome.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};

use crate::domain::TenantId;

/// What to enqueue.
pub struct NewJob<'a> {
    pub kind: &'a str,
    pub creator: Option<TenantId>,
    pub payload: serde_json::Value,
    pub dedupe_key: Option<String>,
    pub priority: i16,
    pub run_at: Option<DateTime<Utc>>,
}

/// Enqueues a job unless one with the same dedupe key is pending or running. `Some(id)` when added.
pub async fn enqueue(
    executor: impl PgExecutor<'_>,
    job: NewJob<'_>,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO jobs (kind, creator_id, payload, dedupe_key, priority, run_at)
         VALUES ($1, $2, $3, $4, $5, coalesce($6, now()))
         ON CONFLICT (dedupe_key) WHERE state IN ('pending', 'running') DO NOTHING
         RETURNING id",
    )
    .bind(job.kind)
    .bind(job.creator.map(TenantId::get))
    .bind(job.payload)
    .bind(job.dedupe_key)
    .bind(job.priority)
    .bind(job.run_at)
    .fetch_optional(executor)
    .await
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ClaimedRow {
    pub id: i64,
    pub creator_id: Option<i64>,
    pub payload: serde_json::Value,
    pub attempts: i32,
}

/// Takes the most urgent runnable job whose creator is below `per_creator` running jobs, leasing it to
/// `worker` for `lease_ms`. The creator check here is only a first sieve (it is racy under READ
/// COMMITTED); the caller confirms with [`running_for_creator`] and gives the job back if over.
/// A disabled creator's jobs are never claimed: they wait, untouched, until the creator is enabled
/// again (a running one hands its job back at its next checkpoint, see [`extend_lease_unless_disabled`]).
pub async fn claim(
    pool: &PgPool,
    worker: &str,
    lease_ms: i64,
    per_creator: i64,
) -> Result<Option<ClaimedRow>, sqlx::Error> {
    // A claim is not worth a disk flush either: one that PostgreSQL loses in a crash leaves the job
    // pending, to run again, which every job allows for anyway (a worker may die holding one).
    sqlx::query_as(
        "UPDATE jobs SET state = 'running', locked_by = $1,
                locked_until = clock_timestamp() + $2 * interval '1 millisecond',
                attempts = attempts + 1, updated_at = now()
         FROM (SELECT set_config('synchronous_commit', 'off', true)) AS no_flush
         WHERE id = (
             SELECT id FROM jobs
             WHERE state = 'pending' AND run_at <= now()
               AND (creator_id IS NULL OR creator_id NOT IN (
                   SELECT id FROM creators WHERE state = 'disabled'))
               AND (creator_id IS NULL OR creator_id NOT IN (
                   SELECT creator_id FROM jobs WHERE state = 'running' AND creator_id IS NOT NULL
                   GROUP BY creator_id HAVING count(*) >= $3))
             ORDER BY priority, run_at, id
             FOR UPDATE SKIP LOCKED
             LIMIT 1)
         RETURNING id, creator_id, payload, attempts",
    )
    .bind(worker)
    .bind(lease_ms)
    .bind(per_creator)
    .fetch_optional(pool)
    .await
}

pub async fn running_for_creator(pool: &PgPool, creator: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE creator_id = $1 AND state = 'running' AND locked_until > now()",
    )
    .bind(creator)
    .fetch_one(pool)
    .await
}

/// Gives a claimed job back untouched (its creator was over the limit): it runs again shortly.
pub async fn give_back(
    pool: &PgPool,
    id: i64,
    worker: &str,
    delay_ms: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET state = 'pending', locked_by = NULL, locked_until = NULL,
                attempts = attempts - 1, run_at = now() + $3 * interval '1 millisecond'
         WHERE id = $1 AND locked_by = $2 AND state = 'running'",
    )
    .bind(id)
    .bind(worker)
    .bind(delay_ms)
    .execute(pool)
    .await
    .map(|r| r.rows_affected() == 1)
}

/// Extends a lease while its job still runs. `false` when the lease was lost.
pub async fn extend_lease(
    pool: &PgPool,
    id: i64,
    worker: &str,
    lease_ms: i64,
) -> Result<bool, sqlx::Error> {
    // SKIP LOCKED: the row is locked when the job itself is finishing it (or handing over its next
    // page) in a transaction of its own; the worker renews from the same task, which is not polling
    // that transaction meanwhile, so waiting here would wait forever. A finishing job needs no
    // renewal anyway.
    sqlx::query(
        "UPDATE jobs SET locked_until = clock_timestamp() + $3 * interval '1 millisecond'
         WHERE id = (SELECT id FROM jobs WHERE id = $1 AND locked_by = $2 AND state = 'running'
                     FOR UPDATE SKIP LOCKED)",
    )
    .bind(id)
    .bind(worker)
    .bind(lease_ms)
    .execute(pool)
    .await
    .map(|r| r.rows_affected() == 1)
}

/// Like [`extend_lease`], through the transaction of a step: `None` when the lease was lost, else
/// whether the job's creator may still be worked for (`false`: disabled meanwhile, so the job is
/// to be handed back rather than go on).
pub async fn extend_lease_unless_disabled(
    executor: impl PgExecutor<'_>,
    id: i64,
    worker: &str,
    lease_ms: i64,
) -> Result<Option<bool>, sqlx::Error> {
    sqlx::query_scalar(
        // `attempts = 1`: the step succeeded, so the next one's failures count afresh, as when
        // every step was a run of its own (its claim counting 1).
        "UPDATE jobs SET locked_until = clock_timestamp() + $3 * interval '1 millisecond', attempts = 1
         WHERE id = $1 AND locked_by = $2 AND state = 'running'
         RETURNING creator_id IS NULL
                   OR NOT EXISTS (SELECT 1 FROM creators c WHERE c.id = jobs.creator_id AND c.state = 'disabled')",
    )
    .bind(id)
    .bind(worker)
    .bind(lease_ms)
    .fetch_optional(executor)
    .await
}

/// Jobs whose worker stopped renewing its lease (a crashed or killed instance) become runnable again.
pub async fn recover_expired_leases(pool: &PgPool) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET state = 'pending', locked_by = NULL, locked_until = NULL,
                last_error = 'its worker stopped before finishing it; run again', updated_at = now()
         WHERE state = 'running' AND locked_until < now()",
    )
    .execute(pool)
    .await
    .map(|r| r.rows_affected())
}

pub async fn finish_done(
    executor: impl PgExecutor<'_>,
    id: i64,
    worker: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query("DELETE FROM jobs WHERE id = $1 AND locked_by = $2 AND state = 'running'")
        .bind(id)
        .bind(worker)
        .execute(executor)
        .await
        .map(|r| r.rows_affected() == 1)
}

/// The job goes on with a new payload (the next page of a window) after `delay_ms`, as if new.
pub async fn finish_continue(
    executor: impl PgExecutor<'_>,
    id: i64,
    worker: &str,
    payload: serde_json::Value,
    delay_ms: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET state = 'pending', payload = $3, attempts = 0,
                run_at = now() + $4 * interval '1 millisecond',
                locked_by = NULL, locked_until = NULL, last_error = NULL, updated_at = now()
         WHERE id = $1 AND locked_by = $2 AND state = 'running'",
    )
    .bind(id)
    .bind(worker)
    .bind(payload)
    .bind(delay_ms)
    .execute(executor)
    .await
    .map(|r| r.rows_affected() == 1)
}

pub async fn finish_retry(
    executor: impl PgExecutor<'_>,
    id: i64,
    worker: &str,
    delay_ms: i64,
    error: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET state = 'pending', run_at = now() + $3 * interval '1 millisecond',
                locked_by = NULL, locked_until = NULL, last_error = $4, updated_at = now()
         WHERE id = $1 AND locked_by = $2 AND state = 'running'",
    )
    .bind(id)
    .bind(worker)
    .bind(delay_ms)
    .bind(error)
    .execute(executor)
    .await
    .map(|r| r.rows_affected() == 1)
}

/// Like [`finish_retry`], giving back the attempt this run used (rate limiting is not a failure).
pub async fn finish_postponed(
    executor: impl PgExecutor<'_>,
    id: i64,
    worker: &str,
    delay_ms: i64,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET state = 'pending', run_at = now() + $3 * interval '1 millisecond',
                attempts = greatest(attempts - 1, 0), locked_by = NULL, locked_until = NULL,
                last_error = $4, updated_at = now()
         WHERE id = $1 AND locked_by = $2 AND state = 'running'",
    )
    .bind(id)
    .bind(worker)
    .bind(delay_ms)
    .bind(reason)
    .execute(executor)
    .await
    .map(|r| r.rows_affected() == 1)
}

/// Kept for the operator with its error; it no longer blocks its dedupe key.
pub async fn finish_failed(
    executor: impl PgExecutor<'_>,
    id: i64,
    worker: &str,
    error: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET state = 'failed', locked_by = NULL, locked_until = NULL, last_error = $3,
                updated_at = now()
         WHERE id = $1 AND locked_by = $2 AND state = 'running'",
    )
    .bind(id)
    .bind(worker)
    .bind(error)
    .execute(executor)
    .await
    .map(|r| r.rows_affected() == 1)
}

/// Jobs that failed for good stay this long for the operator (`/admin/jobs`), then go.
pub const FAILED_KEPT_DAYS: i32 = 30;

/// The hourly sweep: failed jobs older than [`FAILED_KEPT_DAYS`]. Returns how many went.
pub async fn prune_failed(pool: &PgPool) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "DELETE FROM jobs WHERE state = 'failed' AND updated_at < now() - make_interval(days => $1)",
    )
    .bind(FAILED_KEPT_DAYS)
    .execute(pool)
    .await
    .map(|done| done.rows_affected())
}

/// A job that failed for good, for the operator.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct FailedJob {
    pub id: i64,
    pub kind: String,
    pub creator_id: Option<i64>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub updated_at: DateTime<Utc>,
}

pub async fn failed(pool: &PgPool, limit: i64) -> Result<Vec<FailedJob>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, kind, creator_id, attempts, last_error, updated_at FROM jobs
         WHERE state = 'failed' ORDER BY updated_at DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Pending (runnable now), pending (later), running and failed jobs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Depth {
    pub runnable: i64,
    pub delayed: i64,
    pub running: i64,
    pub failed: i64,
}

pub async fn depth(pool: &PgPool) -> Result<Depth, sqlx::Error> {
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE state = 'pending' AND run_at <= now()) AS runnable,
                count(*) FILTER (WHERE state = 'pending' AND run_at > now()) AS delayed,
                count(*) FILTER (WHERE state = 'running') AS running,
                count(*) FILTER (WHERE state = 'failed') AS failed
         FROM jobs",
    )
    .fetch_one(pool)
    .await
}

/// Stops a creator's pending Gumroad fetches (their token was revoked): running ones end on their
/// own, and re-dating stored sales goes on.
pub async fn cancel_pending_fetches_for_creator(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "DELETE FROM jobs WHERE creator_id = $1 AND state = 'pending' AND kind <> 'redate_sales'",
    )
    .bind(tenant.get())
    .execute(executor)
    .await
    .map(|r| r.rows_affected())
}

/// Takes one token from the shared bucket `name` (refilled at `rate` per second up to `burst`).
/// `false` when the bucket is empty: wait and ask again.
/// The creator's waiting jobs of one kind, counted up to `up_to` (`jobs_creator` index).
pub async fn pending_of_kind(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    kind: &str,
    up_to: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT 1 FROM jobs
                               WHERE creator_id = $1 AND state = 'pending' AND kind = $2 LIMIT $3) waiting",
    )
    .bind(tenant.get())
    .bind(kind)
    .bind(up_to)
    .fetch_one(executor)
    .await
}

pub async fn take_budget_token(
    pool: &PgPool,
    name: &str,
    rate: f64,
    burst: f64,
) -> Result<bool, sqlx::Error> {
    // A token taken is not worth a disk flush: if PostgreSQL crashes before this reaches the disk, the
    // bucket merely refills a little early. `set_config(…, true)` lasts until this statement's own
    // transaction ends, its commit included.
    let taken: Option<f64> = sqlx::query_scalar(
        "INSERT INTO request_budgets AS b (name, tokens, refilled_at)
         SELECT $1, $3 - 1, clock_timestamp() FROM (SELECT set_config('synchronous_commit', 'off', true)) AS no_flush
         ON CONFLICT (name) DO UPDATE SET
             tokens = least($3, b.tokens + extract(epoch FROM clock_timestamp() - b.refilled_at) * $2) - 1,
             refilled_at = clock_timestamp()
         WHERE least($3, b.tokens + extract(epoch FROM clock_timestamp() - b.refilled_at) * $2) >= 1
         RETURNING tokens",
    )
    .bind(name)
    .bind(rate)
    .bind(burst)
    .fetch_optional(pool)
    .await?;
    Ok(taken.is_some())
}

/// How long the oldest runnable job has waited, in seconds.
pub async fn oldest_runnable_wait_secs(pool: &PgPool) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT extract(epoch FROM now() - min(run_at))::int8 FROM jobs
         WHERE state = 'pending' AND run_at <= now()",
    )
    .fetch_one(pool)
    .await
}

/// A failed job runs again, as if new, unless an equal job is already pending or running (then
/// the failed one is simply removed). Returns its kind, or `None` if no failed job has this id.
pub async fn retry_failed(
    conn: &mut sqlx::PgConnection,
    id: i64,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String, Option<String>)> = sqlx::query_as(
        "SELECT kind, dedupe_key FROM jobs WHERE id = $1 AND state = 'failed' FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((kind, dedupe_key)) = row else {
        return Ok(None);
    };
    let duplicate: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM jobs WHERE dedupe_key = $1 AND state IN ('pending', 'running'))",
    )
    .bind(dedupe_key)
    .fetch_one(&mut *conn)
    .await?;
    let statement = if duplicate {
        "DELETE FROM jobs WHERE id = $1"
    } else {
        "UPDATE jobs SET state = 'pending', attempts = 0, run_at = now(), updated_at = now() WHERE id = $1"
    };
    sqlx::query(statement).bind(id).execute(&mut *conn).await?;
    Ok(Some(kind))
}
