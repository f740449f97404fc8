//! The operator's cross-tenant reads: the creators list and the instance's health. These are the
//! admin code paths the multi-tenancy rule allows ("separate and explicit"): they read every tenant,
//! and only the `/admin` pages (behind `AdminUser`) call them.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::domain::CreatorState;

/// What the operator filters the creators list by.
#[derive(Clone, Debug, Default)]
pub struct CreatorFilter {
    /// Part of the name or email (case-insensitive), or the exact Gumroad user id.
    pub search: Option<String>,
    pub state: Option<CreatorState>,
    /// Creators who signed up before this `(created_at, id)`: the next page.
    pub before: Option<(DateTime<Utc>, i64)>,
}

/// One creator with everything the list shows, read in one query.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CreatorOverview {
    pub id: i64,
    pub gumroad_user_id: String,
    pub name: String,
    pub email: Option<String>,
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// `None` when no token is stored.
    pub scopes: Option<String>,
    pub connection_error: Option<String>,
    pub sales_mirrored: i64,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub sync_error: Option<String>,
    pub sync_error_at: Option<DateTime<Utc>>,
    /// The ping URL's state at Gumroad (`pending`, `subscribed`, `refused`, `failed`), if any.
    pub ping_state: Option<String>,
    pub ping_subscriptions_failing: i64,
    pub last_ping_at: Option<DateTime<Utc>>,
    pub pings_last_day: i64,
}

/// `%`, `_` and `\` match themselves in the search.
fn like_pattern(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    escaped.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    escaped
}

/// Up to `limit` creators matching `filter`, newest sign-ups first. Each joined table is read by
/// its creator key (LATERAL for the per-creator aggregates), so a page costs one query whatever its
/// size.
pub async fn creators_page(
    executor: impl PgExecutor<'_>,
    filter: &CreatorFilter,
    limit: i64,
) -> Result<Vec<CreatorOverview>, sqlx::Error> {
    let (before_at, before_id) = filter.before.unzip();
    let search = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    sqlx::query_as(
        "SELECT c.id, c.gumroad_user_id, c.name, c.email, c.state, c.created_at, c.last_sign_in_at,
                g.scopes, g.last_error AS connection_error,
                coalesce(t.sales, 0)::int8 AS sales_mirrored,
                s.last_sync_at, s.last_error AS sync_error, s.last_error_at AS sync_error_at,
                w.state AS ping_state,
                coalesce(ws.failing, 0)::int8 AS ping_subscriptions_failing,
                d.last_at AS last_ping_at, coalesce(d.last_day, 0)::int8 AS pings_last_day
         FROM creators c
         LEFT JOIN gumroad_connections g ON g.creator_id = c.id
         LEFT JOIN sync_states s ON s.creator_id = c.id
         LEFT JOIN webhook_endpoints w ON w.creator_id = c.id
         LEFT JOIN LATERAL (
             SELECT sum(sales_count) AS sales FROM sales_totals WHERE creator_id = c.id
         ) t ON true
         LEFT JOIN LATERAL (
             SELECT count(*) FILTER (WHERE state <> 'subscribed') AS failing
             FROM webhook_subscriptions WHERE creator_id = c.id
         ) ws ON true
         LEFT JOIN LATERAL (
             SELECT max(received_at) AS last_at,
                    count(*) FILTER (WHERE received_at > now() - interval '1 day') AS last_day
             FROM (SELECT received_at FROM webhook_deliveries WHERE creator_id = c.id
                   ORDER BY received_at DESC LIMIT 1000) recent
         ) d ON true
         WHERE ($1::text IS NULL OR c.gumroad_user_id = $1
                OR c.name ILIKE $2 OR c.email ILIKE $2)
           AND ($3::text IS NULL OR c.state = $3)
           AND ($4::timestamptz IS NULL OR (c.created_at, c.id) < ($4, $5))
         ORDER BY c.created_at DESC, c.id DESC
         LIMIT $6",
    )
    .bind(search)
    .bind(search.map(like_pattern))
    .bind(filter.state.map(CreatorState::as_str))
    .bind(before_at)
    .bind(before_id)
    .bind(limit)
    .fetch_all(executor)
    .await
}

/// The database's own figures for the health page.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DatabaseFacts {
    pub size_bytes: i64,
    pub migrations_applied: i64,
    pub latest_version: Option<i64>,
    pub latest_description: Option<String>,
    pub latest_applied_at: Option<DateTime<Utc>>,
}

pub async fn database_facts(executor: impl PgExecutor<'_>) -> Result<DatabaseFacts, sqlx::Error> {
    sqlx::query_as(
        "SELECT pg_database_size(current_database())::int8 AS size_bytes,
                (SELECT count(*) FROM _sqlx_migrations WHERE success)::int8 AS migrations_applied,
                latest.version AS latest_version, latest.description AS latest_description,
                latest.installed_on AS latest_applied_at
         FROM (SELECT 1) one
         LEFT JOIN LATERAL (
             SELECT version, description, installed_on FROM _sqlx_migrations
             WHERE success ORDER BY version DESC LIMIT 1
         ) latest ON true",
    )
    .fetch_one(executor)
    .await
}

/// How many creators' last sync ended with each error (the creator-facing words name the kind).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ErrorCount {
    pub error: String,
    pub creators: i64,
    pub latest: Option<DateTime<Utc>>,
}

pub async fn sync_errors_by_kind(
    executor: impl PgExecutor<'_>,
) -> Result<Vec<ErrorCount>, sqlx::Error> {
    sqlx::query_as(
        "SELECT last_error AS error, count(*)::int8 AS creators, max(last_error_at) AS latest
         FROM sync_states WHERE last_error IS NOT NULL
         GROUP BY last_error ORDER BY count(*) DESC, last_error LIMIT 20",
    )
    .fetch_all(executor)
    .await
}

/// Jobs that failed for good, per kind.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct KindCount {
    pub kind: String,
    pub count: i64,
}

pub async fn failed_jobs_by_kind(
    executor: impl PgExecutor<'_>,
) -> Result<Vec<KindCount>, sqlx::Error> {
    sqlx::query_as(
        "SELECT kind, count(*)::int8 AS count FROM jobs WHERE state = 'failed'
         GROUP BY kind ORDER BY count(*) DESC, kind",
    )
    .fetch_all(executor)
    .await
}

/// Ping deliveries received in the last hour, by how they were handled.
pub async fn pings_last_hour(executor: impl PgExecutor<'_>) -> Result<Vec<KindCount>, sqlx::Error> {
    sqlx::query_as(
        "SELECT outcome AS kind, count(*)::int8 AS count FROM webhook_deliveries
         WHERE received_at > now() - interval '1 hour'
         GROUP BY outcome ORDER BY count(*) DESC, outcome",
    )
    .fetch_all(executor)
    .await
}

/// The oldest job waiting to run (pending, due), and since when.
pub async fn oldest_pending_job(
    executor: impl PgExecutor<'_>,
) -> Result<Option<(String, DateTime<Utc>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT kind, run_at FROM jobs WHERE state = 'pending' AND run_at <= now()
         ORDER BY run_at, id LIMIT 1",
    )
    .fetch_optional(executor)
    .await
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn search_wildcards_match_themselves() {
        assert_eq!(like_pattern("a%b_c\\"), "%a\\%b\\_c\\\\%");
    }
}
