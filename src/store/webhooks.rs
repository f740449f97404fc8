//! Gumroad pings: each creator's ping URL (only its secret's hash), their subscriptions as Gumroad
//! last confirmed them, and the deliveries received (no buyer data).

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};

use crate::domain::TenantId;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Endpoint {
    pub secret_sha256: Vec<u8>,
    pub state: String,
    pub detail: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
}

pub async fn endpoint(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
) -> Result<Option<Endpoint>, sqlx::Error> {
    sqlx::query_as(
        "SELECT secret_sha256, state, detail, checked_at FROM webhook_endpoints WHERE creator_id = $1",
    )
    .bind(tenant.get())
    .fetch_optional(executor)
    .await
}

/// Holds the creator's ping URL row until the transaction ends: pings for one creator count and
/// enqueue their fetch-backs one at a time, so concurrent pings cannot together pass the cap.
pub async fn lock_endpoint(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1 FROM webhook_endpoints WHERE creator_id = $1 FOR UPDATE")
        .bind(tenant.get())
        .fetch_optional(executor)
        .await
        .map(drop)
}

/// A new secret for the creator's ping URL (the old URL stops being accepted).
pub async fn replace_secret(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    secret_sha256: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO webhook_endpoints (creator_id, secret_sha256) VALUES ($1, $2)
         ON CONFLICT (creator_id) DO UPDATE SET secret_sha256 = EXCLUDED.secret_sha256,
             state = 'pending', detail = NULL",
    )
    .bind(tenant.get())
    .bind(secret_sha256)
    .execute(executor)
    .await
    .map(drop)
}

pub async fn set_endpoint_state(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    state: &str,
    detail: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE webhook_endpoints SET state = $2, detail = $3, checked_at = now() WHERE creator_id = $1",
    )
    .bind(tenant.get())
    .bind(state)
    .bind(detail)
    .execute(executor)
    .await
    .map(drop)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Subscription {
    pub resource_name: String,
    pub gumroad_id: Option<String>,
    pub state: String,
    pub detail: Option<String>,
    pub updated_at: DateTime<Utc>,
}

pub async fn save_subscription(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    subscription: &Subscription,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO webhook_subscriptions (creator_id, resource_name, gumroad_id, state, detail)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (creator_id, resource_name) DO UPDATE SET gumroad_id = EXCLUDED.gumroad_id,
             state = EXCLUDED.state, detail = EXCLUDED.detail, updated_at = now()",
    )
    .bind(tenant.get())
    .bind(&subscription.resource_name)
    .bind(&subscription.gumroad_id)
    .bind(&subscription.state)
    .bind(&subscription.detail)
    .execute(executor)
    .await
    .map(drop)
}

pub async fn subscriptions(
    pool: &PgPool,
    tenant: TenantId,
) -> Result<Vec<Subscription>, sqlx::Error> {
    sqlx::query_as(
        "SELECT resource_name, gumroad_id, state, detail, updated_at FROM webhook_subscriptions
         WHERE creator_id = $1 ORDER BY resource_name",
    )
    .bind(tenant.get())
    .fetch_all(pool)
    .await
}

/// Our subscriptions Gumroad deleted (or no longer knows): forgotten here too.
pub async fn delete_subscriptions(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    gumroad_ids: &[String],
) -> Result<u64, sqlx::Error> {
    sqlx::query("DELETE FROM webhook_subscriptions WHERE creator_id = $1 AND gumroad_id = ANY($2)")
        .bind(tenant.get())
        .bind(gumroad_ids)
        .execute(executor)
        .await
        .map(|r| r.rows_affected())
}

/// A ping as received: what it is about, never who bought.
pub struct NewDelivery<'a> {
    pub resource_name: &'a str,
    pub object_id: Option<&'a str>,
    pub retry_count: i32,
    pub outcome: &'a str,
}

pub async fn record_delivery(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    delivery: &NewDelivery<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO webhook_deliveries (creator_id, resource_name, object_id, retry_count, outcome)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(tenant.get())
    .bind(delivery.resource_name)
    .bind(delivery.object_id)
    .bind(delivery.retry_count)
    .bind(delivery.outcome)
    .execute(executor)
    .await
    .map(drop)
}

/// The fetch-back of `object_id` ended: its queued deliveries say how.
pub async fn settle_deliveries(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    object_id: &str,
    outcome: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE webhook_deliveries SET outcome = $3
         WHERE creator_id = $1 AND object_id = $2 AND outcome = 'queued'",
    )
    .bind(tenant.get())
    .bind(object_id)
    .bind(outcome)
    .execute(executor)
    .await
    .map(drop)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Delivery {
    pub received_at: DateTime<Utc>,
    pub resource_name: String,
    pub object_id: Option<String>,
    pub retry_count: i32,
    pub outcome: String,
}

pub async fn recent_deliveries(
    pool: &PgPool,
    tenant: TenantId,
    limit: i64,
) -> Result<Vec<Delivery>, sqlx::Error> {
    sqlx::query_as(
        "SELECT received_at, resource_name, object_id, retry_count, outcome FROM webhook_deliveries
         WHERE creator_id = $1 ORDER BY received_at DESC, id DESC LIMIT $2",
    )
    .bind(tenant.get())
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Deliveries kept per creator, and for how long (the Webhooks page lists the last 100).
pub const DELIVERIES_KEPT: i64 = 1_000;
pub const DELIVERIES_KEPT_DAYS: i32 = 30;

/// The hourly sweep: each creator keeps their last [`DELIVERIES_KEPT`] deliveries of the last
/// [`DELIVERIES_KEPT_DAYS`] days. Returns how many went.
pub async fn prune_deliveries(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let aged = sqlx::query(
        "DELETE FROM webhook_deliveries WHERE received_at < now() - make_interval(days => $1)",
    )
    .bind(DELIVERIES_KEPT_DAYS)
    .execute(pool)
    .await?
    .rows_affected();
    // Only creators over the cap are ranked (the index on (creator_id, received_at, id) serves both).
    let beyond = sqlx::query(
        "DELETE FROM webhook_deliveries d
         USING (SELECT creator_id, id FROM (
                  SELECT w.creator_id, w.id,
                         row_number() OVER (PARTITION BY w.creator_id
                                            ORDER BY w.received_at DESC, w.id DESC) AS n
                  FROM webhook_deliveries w
                  WHERE w.creator_id IN (SELECT creator_id FROM webhook_deliveries
                                         GROUP BY creator_id HAVING count(*) > $1)) ranked
                WHERE n > $1) old
         WHERE d.creator_id = old.creator_id AND d.id = old.id",
    )
    .bind(DELIVERIES_KEPT)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(aged + beyond)
}
