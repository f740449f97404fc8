//! SQL, one module per aggregate. Every function on tenant-owned data takes a `TenantId` first.

pub mod action_keys;
pub mod admin;
pub mod audit;
pub mod audit_log;
pub mod connections;
pub mod creators;
pub mod forget;
pub mod jobs;
pub mod operators;
pub mod overview;
pub mod rotation;
pub mod sales;
pub mod sessions;
pub mod subscribers;
pub mod sync;
pub mod view_as;
pub mod webhooks;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A lazily connecting pool: the app starts even if the database is briefly away, and `/healthz` says so.
/// For commands, which can wait a few seconds for a connection and need few.
pub fn pool(options: PgConnectOptions) -> PgPool {
    pool_waiting(options, 10, std::time::Duration::from_secs(5))
}

/// The background workers' pool (`GUMDASH_WORKER_DB_POOL_SIZE`): a job can wait a few seconds for
/// a connection.
pub fn worker_pool(options: PgConnectOptions, size: u32) -> PgPool {
    pool_waiting(options, size, std::time::Duration::from_secs(5))
}

/// The web side's pool (`GUMDASH_DB_POOL_SIZE`): a request waits at most a second for a
/// connection, so with the database away every page says "temporarily unavailable" at once instead
/// of hanging.
pub fn web_pool(options: PgConnectOptions, size: u32) -> PgPool {
    pool_waiting(options, size, std::time::Duration::from_secs(1))
}

fn pool_waiting(
    options: PgConnectOptions,
    size: u32,
    acquire_timeout: std::time::Duration,
) -> PgPool {
    PgPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(acquire_timeout)
        .connect_lazy_with(options)
}

/// Whether `error` means the database cannot be reached right now (a lost or refused connection,
/// no connection free in time, the server shutting down or full), as opposed to a query that is
/// wrong, which trying again will not fix.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // Class 08: connection exceptions; 57P01-03: shutting down, crashed, starting up;
            // 53300: too many connections.
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")
        }),
        _ => false,
    }
}

/// The name of the unique constraint `error` violated, if that is what it is: a form turns it into
/// a message beside the field (`web::FormErrors::from_unique_violation`).
pub fn unique_violation(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(db) if db.is_unique_violation() => db.constraint().map(str::to_owned),
        _ => None,
    }
}

/// In the text of a session-store error whose cause is [`is_unavailable`]: the web side answers
/// such a failure (which happens before any handler runs) with its "temporarily unavailable" page.
pub const UNAVAILABLE: &str = "the database is unavailable";

#[derive(Debug, thiserror::Error)]
#[error("{UNAVAILABLE}: {0}")]
pub struct Unavailable(pub sqlx::Error);

/// A database error as the session store reports it: marked when the database is away.
pub fn marked(error: sqlx::Error) -> anyhow::Error {
    if is_unavailable(&error) {
        Unavailable(error).into()
    } else {
        error.into()
    }
}

pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

pub async fn ping(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(pool).await.map(|_| ())
}
