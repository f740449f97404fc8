//! Forgetting a creator: every row of theirs, in the caller's transaction, so a crash leaves either
//! everything or nothing (the remote steps before it are safe to repeat; see `lifecycle`).
//!
//! What stays is the audit trail: its rows keep who did what and when, their link to the creator
//! becomes NULL with the creator row (`ON DELETE SET NULL`), and the details of sale actions lose
//! everything that named a sale or quoted Gumroad about it ([`audit::strip_sale_details`]) and the
//! addresses they came from ([`audit::forget_addresses`]).

use sqlx::PgConnection;

use super::audit;
use crate::domain::TenantId;

/// Every tenant-owned table, children first. The rollups go before the sales, so the sales'
/// delete triggers find no rollup rows left to adjust (they only ever UPDATE).
const TENANT_TABLES: [&str; 17] = [
    "sales_daily_dims",
    "sales_daily",
    "sales_daily_all",
    "sales_totals",
    "sales",
    "subscribers",
    "sync_windows",
    "sync_states",
    "jobs",
    "webhook_deliveries",
    "webhook_subscriptions",
    "webhook_endpoints",
    "action_keys",
    // Who viewed as them and why stays in the audit log; the rows go.
    "view_as_sessions",
    "sessions",
    "gumroad_connections",
    // Last: the audit rows are only touched (their creator_id set NULL) by the creator row's
    // delete below; listed here so a test can check every table with a creator_id is known.
    "audit_events",
];

/// Every table with a `creator_id` column, as forgetting knows them (a test compares this with the
/// schema, so a new tenant table cannot be forgotten by forgetting).
pub fn tenant_tables() -> &'static [&'static str] {
    &TENANT_TABLES
}

/// Tables whose rows are deleted outright ([`TENANT_TABLES`] but the audit log).
pub fn deleted_tables() -> impl Iterator<Item = &'static str> {
    TENANT_TABLES
        .into_iter()
        .filter(|table| *table != "audit_events")
}

/// What was deleted.
#[derive(Clone, Copy, Debug, Default)]
pub struct Forgotten {
    pub sales: u64,
    pub rows: u64,
}

/// Deletes the creator and everything of theirs but the (stripped) audit trail. `None` when there
/// is no such creator (already forgotten: a retry after a crash finds nothing left to do).
pub async fn creator(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> Result<Option<Forgotten>, sqlx::Error> {
    // The creator row's lock first: a sign-in or a sync write of this creator waits for us (and
    // then finds no creator) rather than adding rows behind the deletes.
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM creators WHERE id = $1 FOR UPDATE")
        .bind(tenant.get())
        .fetch_optional(&mut *conn)
        .await?;
    if found.is_none() {
        return Ok(None);
    }
    let mut forgotten = Forgotten::default();
    for table in deleted_tables() {
        let deleted = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE creator_id = $1"
        )))
        .bind(tenant.get())
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if table == "sales" {
            forgotten.sales = deleted;
        }
        forgotten.rows += deleted;
    }
    audit::strip_sale_details(&mut *conn, tenant).await?;
    audit::forget_addresses(&mut *conn, tenant).await?;
    sqlx::query("DELETE FROM creators WHERE id = $1")
        .bind(tenant.get())
        .execute(&mut *conn)
        .await?;
    Ok(Some(forgotten))
}
