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
pub fn pool(options: PgConnectOptions) -> PgPool {
    PgPoolOptions::new()
        .max_connections(10)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect_lazy_with(options)
}

pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

pub async fn ping(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(pool).await.map(|_| ())
}
