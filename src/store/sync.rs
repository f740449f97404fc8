//! The sync's bookkeeping: per-creator state and the windows (date ranges with a checkpointed cursor)
//! that backfill, incremental sync and reconciliation walk.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};

use crate::domain::TenantId;

#[derive(Clone, Debug, Default, sqlx::FromRow)]
pub struct SyncState {
    pub backfill: String,
    pub backfill_started_at: Option<DateTime<Utc>>,
    pub backfill_finished_at: Option<DateTime<Utc>>,
    pub history_starts_on: Option<NaiveDate>,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_reconcile_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
}

pub async fn ensure_state(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO sync_states (creator_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(tenant.get())
        .execute(executor)
        .await
        .map(|_| ())
}

/// `none`, `planning`, `running` or `done` (call [`ensure_state`] first).
pub async fn backfill_phase(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT backfill FROM sync_states WHERE creator_id = $1")
        .bind(tenant.get())
        .fetch_one(executor)
        .await
}

pub async fn state(pool: &PgPool, tenant: TenantId) -> Result<Option<SyncState>, sqlx::Error> {
    sqlx::query_as(
        "SELECT backfill, backfill_started_at, backfill_finished_at, history_starts_on, last_sync_at,
                last_reconcile_at, last_error, last_error_at
         FROM sync_states WHERE creator_id = $1",
    )
    .bind(tenant.get())
    .fetch_optional(pool)
    .await
}

/// The backfill starts (again): planning, with a fresh start time.
pub async fn begin_backfill(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sync_states SET backfill = 'planning', backfill_started_at = now(),
                backfill_finished_at = NULL
         WHERE creator_id = $1",
    )
    .bind(tenant.get())
    .execute(executor)
    .await
    .map(|_| ())
}

pub async fn backfill_planned(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    history_starts_on: Option<NaiveDate>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sync_states SET backfill = 'running', history_starts_on = $2 WHERE creator_id = $1",
    )
    .bind(tenant.get())
    .bind(history_starts_on)
    .execute(executor)
    .await
    .map(|_| ())
}

/// Marks the backfill done once no backfill window is left open. Returns whether it is done now.
pub async fn finish_backfill_if_complete(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "UPDATE sync_states SET backfill = 'done', backfill_finished_at = now(),
                last_sync_at = coalesce(last_sync_at, now()),
                last_reconcile_at = coalesce(last_reconcile_at, now()),
                last_error = NULL, last_error_at = NULL
         WHERE creator_id = $1 AND backfill = 'running'
           AND NOT EXISTS (SELECT 1 FROM sync_windows
                           WHERE creator_id = $1 AND purpose = 'backfill' AND state <> 'done')",
    )
    .bind(tenant.get())
    .execute(executor)
    .await
    .map(|r| r.rows_affected() == 1)
}

/// The whole history is mirrored already (seeded in bulk): the backfill is done, as its last window
/// would have left it, so signing in only resumes and catches up.
pub async fn mark_backfilled(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    history_starts_on: Option<NaiveDate>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sync_states (creator_id, backfill, backfill_started_at, backfill_finished_at,
                                  history_starts_on, last_sync_at, last_reconcile_at)
         VALUES ($1, 'done', now(), now(), $2, now(), now())
         ON CONFLICT (creator_id) DO UPDATE SET
             backfill = 'done', backfill_finished_at = now(), history_starts_on = $2,
             last_sync_at = now(), last_reconcile_at = now(), last_error = NULL, last_error_at = NULL",
    )
    .bind(tenant.get())
    .bind(history_starts_on)
    .execute(executor)
    .await
    .map(|_| ())
}

/// A sync pass finished: the error (if any) is cleared.
pub async fn record_success(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    reconcile: bool,
) -> Result<(), sqlx::Error> {
    let column = if reconcile {
        "last_reconcile_at"
    } else {
        "last_sync_at"
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE sync_states SET {column} = now(), last_error = NULL, last_error_at = NULL
         WHERE creator_id = $1"
    )))
    .bind(tenant.get())
    .execute(executor)
    .await
    .map(|_| ())
}

/// `error` is plain words for the creator and operator; it never holds a token or a buyer's data.
pub async fn record_error(pool: &PgPool, tenant: TenantId, error: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sync_states SET last_error = $2, last_error_at = now() WHERE creator_id = $1",
    )
    .bind(tenant.get())
    .bind(error)
    .execute(pool)
    .await
    .map(|_| ())
}

/// "Sync now" at most once per `min_secs` per creator, across instances. `true` when allowed.
pub async fn claim_sync_request(
    pool: &PgPool,
    tenant: TenantId,
    min_secs: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "UPDATE sync_states SET last_requested_at = now()
         WHERE creator_id = $1
           AND (last_requested_at IS NULL OR last_requested_at < now() - $2 * interval '1 second')",
    )
    .bind(tenant.get())
    .bind(min_secs)
    .execute(pool)
    .await
    .map(|r| r.rows_affected() == 1)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Backfill,
    Incremental,
    Reconcile,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Backfill => "backfill",
            Self::Incremental => "incremental",
            Self::Reconcile => "reconcile",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "incremental" => Self::Incremental,
            "reconcile" => Self::Reconcile,
            _ => Self::Backfill,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Window {
    pub id: i64,
    pub purpose: Purpose,
    pub after: NaiveDate,
    pub before: NaiveDate,
    pub page_key: Option<String>,
    pub state: String,
    pub pages: i32,
}

#[derive(sqlx::FromRow)]
struct WindowRow {
    id: i64,
    purpose: String,
    after_day: NaiveDate,
    before_day: NaiveDate,
    page_key: Option<String>,
    state: String,
    pages: i32,
}

impl From<WindowRow> for Window {
    fn from(row: WindowRow) -> Self {
        Self {
            id: row.id,
            purpose: Purpose::parse(&row.purpose),
            after: row.after_day,
            before: row.before_day,
            page_key: row.page_key,
            state: row.state,
            pages: row.pages,
        }
    }
}

pub async fn create_window(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    purpose: Purpose,
    after: NaiveDate,
    before: NaiveDate,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO sync_windows (creator_id, purpose, after_day, before_day)
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(tenant.get())
    .bind(purpose.as_str())
    .bind(after)
    .bind(before)
    .fetch_one(executor)
    .await
}

/// The window, locked for this transaction, so two runs of one window cannot both checkpoint.
pub async fn lock_window(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: i64,
) -> Result<Option<Window>, sqlx::Error> {
    sqlx::query_as::<_, WindowRow>(
        "SELECT id, purpose, after_day, before_day, page_key, state, pages FROM sync_windows
         WHERE creator_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(tenant.get())
    .bind(id)
    .fetch_optional(conn)
    .await
    .map(|row| row.map(Window::from))
}

pub async fn window(
    pool: &PgPool,
    tenant: TenantId,
    id: i64,
) -> Result<Option<Window>, sqlx::Error> {
    sqlx::query_as::<_, WindowRow>(
        "SELECT id, purpose, after_day, before_day, page_key, state, pages FROM sync_windows
         WHERE creator_id = $1 AND id = $2",
    )
    .bind(tenant.get())
    .bind(id)
    .fetch_optional(pool)
    .await
    .map(|row| row.map(Window::from))
}

/// After a page: the cursor to resume from (`None` with `done`), and what the page held.
pub struct Checkpoint<'a> {
    pub next_page_key: Option<&'a str>,
    pub done: bool,
    pub sales: i32,
    pub reached_at: Option<DateTime<Utc>>,
}

pub async fn checkpoint(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    id: i64,
    checkpoint: Checkpoint<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sync_windows SET page_key = $3, state = CASE WHEN $4 THEN 'done' ELSE 'pending' END,
                pages = pages + 1, sales_seen = sales_seen + $5,
                reached_at = coalesce(least(reached_at, $6), reached_at, $6),
                last_error = NULL, updated_at = now()
         WHERE creator_id = $1 AND id = $2",
    )
    .bind(tenant.get())
    .bind(id)
    .bind(checkpoint.next_page_key)
    .bind(checkpoint.done)
    .bind(checkpoint.sales)
    .bind(checkpoint.reached_at)
    .execute(executor)
    .await
    .map(|_| ())
}

/// Hands the older part of a window, `[after, split_at)`, to a new window; this one keeps
/// `[split_at, before)` and its cursor. Returns the new window's id.
pub async fn split_window(
    conn: &mut PgConnection,
    tenant: TenantId,
    window: &Window,
    split_at: NaiveDate,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "UPDATE sync_windows SET after_day = $3, updated_at = now() WHERE creator_id = $1 AND id = $2",
    )
    .bind(tenant.get())
    .bind(window.id)
    .bind(split_at)
    .execute(&mut *conn)
    .await?;
    create_window(conn, tenant, window.purpose, window.after, split_at).await
}

/// A window that keeps failing is set aside with its error; the rest of the sync goes on.
pub async fn park_window(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    id: i64,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sync_windows SET state = 'parked', last_error = $3, updated_at = now()
         WHERE creator_id = $1 AND id = $2",
    )
    .bind(tenant.get())
    .bind(id)
    .bind(error)
    .execute(executor)
    .await
    .map(|_| ())
}

/// A forced full resync: the backfill's windows go (their pending jobs then find nothing to walk and
/// end), so the new plan's windows are the only ones.
pub async fn delete_backfill_windows(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
) -> Result<u64, sqlx::Error> {
    sqlx::query("DELETE FROM sync_windows WHERE creator_id = $1 AND purpose = 'backfill'")
        .bind(tenant.get())
        .execute(executor)
        .await
        .map(|r| r.rows_affected())
}

/// Finished incremental and reconciliation windows are not kept (they would pile up every 15 minutes).
pub async fn delete_window(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sync_windows WHERE creator_id = $1 AND id = $2")
        .bind(tenant.get())
        .bind(id)
        .execute(executor)
        .await
        .map(|_| ())
}

/// Windows not done: to resume after a reconnect, or to retry parked ones.
pub async fn open_windows(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
) -> Result<Vec<Window>, sqlx::Error> {
    sqlx::query_as::<_, WindowRow>(
        "SELECT id, purpose, after_day, before_day, page_key, state, pages FROM sync_windows
         WHERE creator_id = $1 AND state <> 'done' ORDER BY before_day DESC, id",
    )
    .bind(tenant.get())
    .fetch_all(executor)
    .await
    .map(|rows| rows.into_iter().map(Window::from).collect())
}

/// Windows parked before `parked_before` get another go.
pub async fn unpark_windows(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    parked_before: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "UPDATE sync_windows SET state = 'pending', updated_at = now()
         WHERE creator_id = $1 AND state = 'parked' AND updated_at <= $2",
    )
    .bind(tenant.get())
    .bind(parked_before)
    .execute(executor)
    .await
    .map(|r| r.rows_affected())
}

/// Parked windows of one kind, superseded by a new window of that kind.
pub async fn delete_parked(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    purpose: Purpose,
) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "DELETE FROM sync_windows WHERE creator_id = $1 AND purpose = $2 AND state = 'parked'",
    )
    .bind(tenant.get())
    .bind(purpose.as_str())
    .execute(executor)
    .await
    .map(|r| r.rows_affected())
}

/// Backfills under way for active, connected creators that have no job left to carry them on.
pub async fn stalled_backfills(pool: &PgPool) -> Result<Vec<TenantId>, sqlx::Error> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT s.creator_id FROM sync_states s
         JOIN creators c ON c.id = s.creator_id
         JOIN gumroad_connections g ON g.creator_id = s.creator_id
         WHERE c.state = 'active' AND s.backfill IN ('planning', 'running')
           AND ' ' || g.scopes || ' ' LIKE '% view_sales %'
           AND s.backfill_started_at < now() - interval '1 minute'
           AND NOT EXISTS (SELECT 1 FROM jobs j
                           WHERE j.creator_id = s.creator_id AND j.state IN ('pending', 'running'))
         LIMIT 100",
    )
    .fetch_all(pool)
    .await?;
    Ok(ids.into_iter().map(TenantId::from_db).collect())
}

/// The backfill's progress: windows done of all, parked ones, sales seen, and how many of the history's
/// days are covered (each window is walked newest first, so a window covers from its end down to the
/// oldest sale stored so far).
#[derive(Clone, Copy, Debug, Default, sqlx::FromRow)]
pub struct Progress {
    pub windows: i64,
    pub windows_done: i64,
    pub windows_parked: i64,
    pub sales_seen: i64,
    pub days_total: i64,
    pub days_covered: i64,
}

pub async fn backfill_progress(pool: &PgPool, tenant: TenantId) -> Result<Progress, sqlx::Error> {
    sqlx::query_as(
        "SELECT count(*) AS windows,
                count(*) FILTER (WHERE state = 'done') AS windows_done,
                count(*) FILTER (WHERE state = 'parked') AS windows_parked,
                coalesce(sum(sales_seen), 0)::int8 AS sales_seen,
                coalesce(sum(before_day - after_day), 0)::int8 AS days_total,
                coalesce(sum(CASE
                    WHEN state = 'done' THEN before_day - after_day
                    WHEN reached_at IS NULL THEN 0
                    ELSE greatest(0, before_day - greatest(after_day, (reached_at AT TIME ZONE 'UTC')::date))
                END), 0)::int8 AS days_covered
         FROM sync_windows WHERE creator_id = $1 AND purpose = 'backfill'",
    )
    .bind(tenant.get())
    .fetch_one(pool)
    .await
}

/// Creators whose incremental sync is due: connected with `view_sales`, active, backfilled, and not
/// synced for `every_secs`.
pub async fn due_for_sync(
    pool: &PgPool,
    every_secs: i64,
    reconcile: bool,
) -> Result<Vec<TenantId>, sqlx::Error> {
    let column = if reconcile {
        "last_reconcile_at"
    } else {
        "last_sync_at"
    };
    let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT s.creator_id FROM sync_states s
         JOIN creators c ON c.id = s.creator_id
         JOIN gumroad_connections g ON g.creator_id = s.creator_id
         WHERE c.state = 'active' AND s.backfill = 'done'
           AND ' ' || g.scopes || ' ' LIKE '% view_sales %'
           AND (s.{column} IS NULL OR s.{column} < now() - $1 * interval '1 second')
         ORDER BY s.{column} NULLS FIRST
         LIMIT 500"
    )))
    .bind(every_secs)
    .fetch_all(pool)
    .await?;
    Ok(ids.into_iter().map(TenantId::from_db).collect())
}

/// The current transaction commits without waiting for its WAL to reach the disk
/// (`synchronous_commit = off`, this transaction only). For a page of a window: its sales, its
/// checkpoint and the job's next step commit together, so if PostgreSQL itself crashes within the
/// next fraction of a second, all of them are lost together and the page is simply fetched again
/// (Gumroad keeps the sales; the upsert makes a repeat a no-op). Nothing else waits on it, and the
/// commit stops holding the creator's hot rollup rows (the all-time totals every page updates) for
/// the length of a disk flush.
pub async fn commit_without_waiting_for_disk(
    tx: &mut sqlx::PgConnection,
) -> Result<(), sqlx::Error> {
    sqlx::query("SET LOCAL synchronous_commit = off")
        .execute(tx)
        .await
        .map(|_| ())
}

/// Seconds since the active creator who synced least recently last synced successfully; `None`
/// when no active creator has synced yet. For the `sync_lag_seconds` metric.
pub async fn lag_seconds(executor: impl sqlx::PgExecutor<'_>) -> Result<Option<f64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT extract(epoch FROM now() - min(s.last_sync_at))::float8
         FROM sync_states s JOIN creators c ON c.id = s.creator_id
         WHERE c.state = 'active' AND s.last_sync_at IS NOT NULL",
    )
    .fetch_one(executor)
    .await
}
