//! Key rotation's bookkeeping: the advisory lock that lets one run at a time, and each run's
//! progress (`key_rotations`). The re-sealing itself is in `connections`; the rules in `crate::rotation`.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

/// The advisory lock key of key rotation ("keys" in ASCII); below 2^31 so `pg_locks` shows it
/// as `classid = 0, objid = LOCK_KEY`.
pub const LOCK_KEY: i64 = 0x6B65_7973;

/// Takes the rotation lock on this connection (session level), or says another holds it.
pub async fn try_lock(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(LOCK_KEY)
        .fetch_one(conn)
        .await
}

pub async fn unlock(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_advisory_unlock($1)")
        .bind(LOCK_KEY)
        .fetch_one(conn)
        .await
}

/// Whether some session (of any instance) holds the rotation lock right now.
pub async fn lock_held(executor: impl PgExecutor<'_>) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_locks
         WHERE locktype = 'advisory' AND classid = 0 AND objid = $1 AND objsubid = 1 AND granted
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
    )
    .bind(LOCK_KEY)
    .fetch_one(executor)
    .await
}

/// A rotation run as the operator sees it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Run {
    pub id: i64,
    pub target_key_id: String,
    pub started_by: String,
    pub state: String,
    pub total: i64,
    pub rotated: i64,
    pub unreadable: i64,
    pub last_error: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Records a new run (the caller holds the lock, so a run still marked running died).
pub async fn start(
    conn: &mut PgConnection,
    target_key_id: &str,
    started_by: &str,
    total: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "UPDATE key_rotations SET state = 'interrupted', finished_at = now() WHERE state = 'running'",
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query_scalar(
        "INSERT INTO key_rotations (target_key_id, started_by, total) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(target_key_id)
    .bind(started_by)
    .bind(total)
    .fetch_one(conn)
    .await
}

/// Adds a batch's counts, in the batch's own transaction.
pub async fn add_progress(
    executor: impl PgExecutor<'_>,
    id: i64,
    rotated: i64,
    unreadable: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE key_rotations SET rotated = rotated + $2, unreadable = unreadable + $3 WHERE id = $1",
    )
    .bind(id)
    .bind(rotated)
    .bind(unreadable)
    .execute(executor)
    .await
    .map(|_| ())
}

pub async fn finish(
    executor: impl PgExecutor<'_>,
    id: i64,
    state: &str,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE key_rotations SET state = $2, last_error = $3, finished_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(state)
    .bind(error)
    .execute(executor)
    .await
    .map(|_| ())
}

pub async fn latest(executor: impl PgExecutor<'_>) -> Result<Option<Run>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, target_key_id, started_by, state, total, rotated, unreadable, last_error,
                started_at, finished_at
         FROM key_rotations ORDER BY started_at DESC, id DESC LIMIT 1",
    )
    .fetch_optional(executor)
    .await
}

/// The rotation job that waits or runs (the button enqueues one), with why it is still waiting
/// (a worker whose ring lacks the new key put it back): `Some(reason)` when there is one.
pub async fn job_queued(
    executor: impl PgExecutor<'_>,
) -> Result<Option<Option<String>>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT last_error FROM jobs WHERE kind = 'rotate_keys' AND state IN ('pending', 'running')
         ORDER BY id LIMIT 1",
    )
    .fetch_optional(executor)
    .await
}
