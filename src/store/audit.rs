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

/// Whether `action` on this sale was done (or sent with its answer lost) in the last `minutes`: the
/// cooldown of actions that email the buyer.
pub async fn sale_action_within(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    sale_id: &str,
    action: &str,
    minutes: i32,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM audit_events
         WHERE creator_id = $1 AND detail ? 'sale_id' AND detail ->> 'sale_id' = $2 AND action = $3
           AND detail ->> 'result' IN ('done', 'unknown')
           AND at > now() - make_interval(mins => $4))",
    )
    .bind(tenant.get())
    .bind(sale_id)
    .bind(action)
    .bind(minutes)
    .fetch_one(executor)
    .await
}
