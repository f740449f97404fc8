//! Reading the audit log for the operator's page (`/admin/audit`): every creator's entries and the
//! operators' own, newest first, keyset-paginated on `(at, id)` (index `audit_events_at_id`).
//! Writing stays in [`super::audit`].

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::domain::TenantId;

/// What the operator filters by; `None` is "any".
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// `admin:123`, `creator:5`, `system`; or just the kind (`admin`, `creator`) for all of them.
    pub actor: Option<String>,
    pub action: Option<String>,
    pub creator: Option<TenantId>,
    /// From this moment (inclusive)...
    pub from: Option<DateTime<Utc>>,
    /// ...to this one (exclusive).
    pub until: Option<DateTime<Utc>>,
    /// Entries older than this `(at, id)`: the next page.
    pub before: Option<(DateTime<Utc>, i64)>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub creator_id: Option<i64>,
    pub creator_name: Option<String>,
    pub ip: Option<String>,
    pub detail: serde_json::Value,
}

/// Up to `limit` entries matching `filter`, newest first.
pub async fn page(
    executor: impl PgExecutor<'_>,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let (before_at, before_id) = filter.before.unzip();
    sqlx::query_as(
        "SELECT a.id, a.at, a.actor, a.action, a.creator_id, c.name AS creator_name, a.ip, a.detail
         FROM audit_events a LEFT JOIN creators c ON c.id = a.creator_id
         WHERE ($1::text IS NULL OR a.actor = $1 OR (strpos($1, ':') = 0 AND starts_with(a.actor, $1 || ':')))
           AND ($2::text IS NULL OR a.action = $2)
           AND ($3::int8 IS NULL OR a.creator_id = $3)
           AND ($4::timestamptz IS NULL OR a.at >= $4)
           AND ($5::timestamptz IS NULL OR a.at < $5)
           AND ($6::timestamptz IS NULL OR (a.at, a.id) < ($6, $7))
         ORDER BY a.at DESC, a.id DESC
         LIMIT $8",
    )
    .bind(filter.actor.as_deref())
    .bind(filter.action.as_deref())
    .bind(filter.creator.map(TenantId::get))
    .bind(filter.from)
    .bind(filter.until)
    .bind(before_at)
    .bind(before_id)
    .bind(limit)
    .fetch_all(executor)
    .await
}
