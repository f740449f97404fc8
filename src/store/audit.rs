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
