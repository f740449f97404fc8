//! The audit log the operator reads: who did what, when, from where.

use sqlx::PgExecutor;

use crate::domain::TenantId;

pub struct Event<'a> {
    /// `creator:<id>`, `admin:<gumroad id>` or `system`.
    pub actor: String,
    pub action: &'a str,
    pub creator: Option<TenantId>,
    pub ip: Option<String>,
    pub detail: serde_json::Value,
}

pub async fn record(executor: impl PgExecutor<'_>, event: Event<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_events (actor, action, creator_id, ip, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&event.actor)
    .bind(event.action)
    .bind(event.creator.map(TenantId::get))
    .bind(event.ip)
    .bind(event.detail)
    .execute(executor)
    .await
    .map(|_| ())
}

/// One audited action on a sale, for its history.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SaleEvent {
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    pub action: String,
    pub detail: serde_json::Value,
}

/// The creator's audited actions on one sale (`detail.sale_id`), newest first.
pub async fn for_sale(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    sale_id: &str,
) -> Result<Vec<SaleEvent>, sqlx::Error> {
    sqlx::query_as(
        "SELECT at, actor, action, detail FROM audit_events
         WHERE creator_id = $1 AND detail ? 'sale_id' AND detail ->> 'sale_id' = $2
         ORDER BY at DESC, id DESC LIMIT 100",
    )
    .bind(tenant.get())
    .bind(sale_id)
    .fetch_all(executor)
    .await
}
