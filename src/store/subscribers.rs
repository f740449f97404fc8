//! The subscribers mirror (migration 000010): one row per Gumroad subscription of the creator's
//! membership products, kept by the subscribers sync and by subscription pings' fetch-backs.
//!
//! Whether a subscriber counts as active is computed from its dates at read time, by Gumroad's own
//! rule for its index (not failed, not ended, cancellation absent or ahead), so a pending
//! cancellation whose date passes stops counting without another fetch. A subscriber's price per
//! charge, currency and tier are those of its latest charge in the sales mirror.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};

use crate::domain::{SalesCursor, TenantId};

/// A subscriber as Gumroad described it, ready to store. `Debug` leaves the buyer out.
#[derive(Clone)]
pub struct SubscriberRecord {
    pub gumroad_id: String,
    pub product_id: String,
    pub product_name: String,
    pub email: Option<String>,
    pub user_id: Option<String>,
    pub user_email: Option<String>,
    pub purchase_ids: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub user_requested_cancellation_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    pub free_trial_ends_at: Option<DateTime<Utc>>,
    pub charge_occurrence_count: i64,
    pub recurrence: Option<String>,
    pub status: String,
    pub license_key: Option<String>,
    pub raw: serde_json::Value,
}

impl std::fmt::Debug for SubscriberRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubscriberRecord")
            .field("gumroad_id", &self.gumroad_id)
            .field("product_id", &self.product_id)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// How many rows an upsert inserted and changed (an identical re-fetch changes nothing).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub inserted: u64,
    pub updated: u64,
}

/// Inserts or updates `records` (a page, or one fetched back), and marks each as checked now.
/// Idempotent: a row whose fields are all unchanged is not rewritten.
pub async fn upsert(
    conn: &mut PgConnection,
    tenant: TenantId,
    records: &[SubscriberRecord],
) -> Result<Written, sqlx::Error> {
    let mut written = Written::default();
    let mut sorted: Vec<&SubscriberRecord> = records.iter().collect();
    sorted.sort_by(|a, b| a.gumroad_id.cmp(&b.gumroad_id));
    for r in sorted {
        let inserted: Option<bool> = sqlx::query_scalar(
            "INSERT INTO subscribers AS s (creator_id, gumroad_id, product_id, product_name, email,
                 user_id, user_email, purchase_ids, created_at, user_requested_cancellation_at,
                 cancelled_at, ended_at, failed_at, free_trial_ends_at, charge_occurrence_count,
                 recurrence, status, license_key, raw)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
             ON CONFLICT (creator_id, gumroad_id) DO UPDATE SET
                 product_id = excluded.product_id, product_name = excluded.product_name,
                 email = excluded.email, user_id = excluded.user_id, user_email = excluded.user_email,
                 purchase_ids = excluded.purchase_ids, created_at = excluded.created_at,
                 user_requested_cancellation_at = excluded.user_requested_cancellation_at,
                 cancelled_at = excluded.cancelled_at, ended_at = excluded.ended_at,
                 failed_at = excluded.failed_at, free_trial_ends_at = excluded.free_trial_ends_at,
                 charge_occurrence_count = excluded.charge_occurrence_count,
                 recurrence = excluded.recurrence, status = excluded.status,
                 license_key = excluded.license_key, raw = excluded.raw,
                 updated_at = now(), checked_at = now()
             WHERE (s.product_id, s.product_name, s.email, s.user_id, s.user_email, s.purchase_ids,
                    s.created_at, s.user_requested_cancellation_at, s.cancelled_at, s.ended_at,
                    s.failed_at, s.free_trial_ends_at, s.charge_occurrence_count, s.recurrence,
                    s.status, s.license_key, s.raw)
                 IS DISTINCT FROM
                   (excluded.product_id, excluded.product_name, excluded.email, excluded.user_id,
                    excluded.user_email, excluded.purchase_ids, excluded.created_at,
                    excluded.user_requested_cancellation_at, excluded.cancelled_at,
                    excluded.ended_at, excluded.failed_at, excluded.free_trial_ends_at,
                    excluded.charge_occurrence_count, excluded.recurrence, excluded.status,
                    excluded.license_key, excluded.raw)
             RETURNING (xmax = 0)",
        )
        .bind(tenant.get())
        .bind(&r.gumroad_id)
        .bind(&r.product_id)
        .bind(&r.product_name)
        .bind(&r.email)
        .bind(&r.user_id)
        .bind(&r.user_email)
        .bind(&r.purchase_ids)
        .bind(r.created_at)
        .bind(r.user_requested_cancellation_at)
        .bind(r.cancelled_at)
        .bind(r.ended_at)
        .bind(r.failed_at)
        .bind(r.free_trial_ends_at)
        .bind(r.charge_occurrence_count)
        .bind(&r.recurrence)
        .bind(&r.status)
        .bind(&r.license_key)
        .bind(&r.raw)
        .fetch_optional(&mut *conn)
        .await?;
        match inserted {
            Some(true) => written.inserted += 1,
            Some(false) => written.updated += 1,
            None => {
                sqlx::query(
                    "UPDATE subscribers SET checked_at = now()
                     WHERE creator_id = $1 AND gumroad_id = $2",
                )
                .bind(tenant.get())
                .bind(&r.gumroad_id)
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    Ok(written)
}

/// Products that are memberships as far as the mirrors know: those with subscription sales or
/// subscribers.
pub async fn membership_products(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT product_id FROM sales WHERE creator_id = $1 AND subscription_id IS NOT NULL
         UNION
         SELECT product_id FROM subscribers WHERE creator_id = $1
         ORDER BY 1",
    )
    .bind(tenant.get())
    .fetch_all(executor)
    .await
}

/// Subscribers that need fetching on their own after a full walk of the active lists that began at
/// `walk_started`: active here but not seen since (they stopped), and subscriptions the sales mirror
/// knows but this mirror does not (started and stopped between walks). At most `limit`.
pub async fn needing_refresh(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    walk_started: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "(SELECT gumroad_id FROM subscribers
          WHERE creator_id = $1 AND checked_at < $2
            AND failed_at IS NULL AND ended_at IS NULL AND (cancelled_at IS NULL OR cancelled_at > now()))
         UNION
         (SELECT DISTINCT s.subscription_id FROM sales s
          WHERE s.creator_id = $1 AND s.subscription_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM subscribers b
                            WHERE b.creator_id = $1 AND b.gumroad_id = s.subscription_id))
         LIMIT $3",
    )
    .bind(tenant.get())
    .bind(walk_started)
    .bind(limit)
    .fetch_all(executor)
    .await
}

/// The SQL condition "active now" over a `subscribers` row aliased `b`.
const ACTIVE: &str = "(b.failed_at IS NULL AND b.ended_at IS NULL AND (b.cancelled_at IS NULL OR b.cancelled_at > now()))";

/// The latest charge of subscriber `b` in the sales mirror, as a lateral join: price per charge
/// (`amount_cents`), currency and tier (the first variant chosen).
const LAST_CHARGE: &str = "LEFT JOIN LATERAL (
        SELECT s.amount_cents, s.currency,
               coalesce((SELECT value FROM jsonb_each_text(CASE WHEN jsonb_typeof(s.raw->'variants') = 'object'
                                                          THEN s.raw->'variants' END) LIMIT 1), '') AS tier
        FROM sales s
        WHERE s.creator_id = b.creator_id AND s.subscription_id = b.gumroad_id
        ORDER BY s.created_at DESC, s.id DESC LIMIT 1) c ON true";

/// Months per charge for a recurrence (MRR divides a charge by it); unknown ones count as monthly.
const MONTHS: &str = "CASE b.recurrence WHEN 'yearly' THEN 12 WHEN 'quarterly' THEN 3
        WHEN 'biannually' THEN 6 WHEN 'biannual' THEN 6 WHEN 'every_two_years' THEN 24 ELSE 1 END";

/// One membership product's numbers (counts are of subscribers).
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct ProductSummary {
    pub product_id: String,
    pub product_name: String,
    pub active: i64,
    pub pending_cancellation: i64,
    /// Active ones whose payment is failing, and those whose subscription failed for good.
    pub failed_payments: i64,
    pub new_this_month: i64,
    pub churned_this_month: i64,
}

/// Active subscribers of one tier and recurrence in one currency, and their monthly-normalised
/// revenue (each charge divided by its months, summed, rounded once, in the currency's smallest
/// unit). `currency` is '' where the latest charge is not mirrored yet (no price known).
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct TierLine {
    pub product_id: String,
    pub tier: String,
    pub recurrence: String,
    pub currency: String,
    pub active: i64,
    pub mrr_cents: i64,
}

/// MRR of a product (or of everything when `product_id` is '') in one currency.
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Mrr {
    pub product_id: String,
    pub currency: String,
    pub active: i64,
    pub mrr_cents: i64,
}

/// The memberships page's numbers: per product, by tier and recurrence, and MRR per product and
/// currency (with product '' the creator's totals per currency). "This month" is the calendar month
/// in `zone` (an IANA name).
pub async fn summary(
    pool: &PgPool,
    tenant: TenantId,
    zone: &str,
) -> Result<(Vec<ProductSummary>, Vec<TierLine>, Vec<Mrr>), sqlx::Error> {
    let products = sqlx::query_as::<_, ProductSummary>(sqlx::AssertSqlSafe(format!(
        "SELECT b.product_id, max(b.product_name) AS product_name,
                count(*) FILTER (WHERE {ACTIVE}) AS active,
                count(*) FILTER (WHERE {ACTIVE} AND b.cancelled_at IS NOT NULL) AS pending_cancellation,
                count(*) FILTER (WHERE b.failed_at IS NOT NULL) AS failed_payments,
                count(*) FILTER (WHERE b.created_at >= m.start) AS new_this_month,
                count(*) FILTER (WHERE NOT {ACTIVE}
                                   AND LEAST(b.ended_at, b.cancelled_at, b.failed_at) >= m.start)
                    AS churned_this_month
         FROM subscribers b,
              (SELECT date_trunc('month', now() AT TIME ZONE $2) AT TIME ZONE $2 AS start) m
         WHERE b.creator_id = $1
         GROUP BY b.product_id
         ORDER BY max(b.product_name), b.product_id"
    )))
    .bind(tenant.get())
    .bind(zone)
    .fetch_all(pool)
    .await?;
    let tiers = sqlx::query_as::<_, TierLine>(sqlx::AssertSqlSafe(format!(
        "SELECT b.product_id, coalesce(c.tier, '') AS tier, coalesce(b.recurrence, '') AS recurrence,
                coalesce(c.currency, '') AS currency, count(*) AS active,
                coalesce(round(sum(c.amount_cents::numeric / {MONTHS})), 0)::bigint AS mrr_cents
         FROM subscribers b {LAST_CHARGE}
         WHERE b.creator_id = $1 AND {ACTIVE}
         GROUP BY 1, 2, 3, 4
         ORDER BY 1, 2, 3, 4"
    )))
    .bind(tenant.get())
    .fetch_all(pool)
    .await?;
    let mrr = sqlx::query_as::<_, Mrr>(sqlx::AssertSqlSafe(format!(
        "SELECT coalesce(b.product_id, '') AS product_id, coalesce(c.currency, '') AS currency,
                count(*) AS active,
                coalesce(round(sum(c.amount_cents::numeric / {MONTHS})), 0)::bigint AS mrr_cents
         FROM subscribers b {LAST_CHARGE}
         WHERE b.creator_id = $1 AND {ACTIVE}
         GROUP BY GROUPING SETS ((b.product_id, c.currency), (c.currency))
         ORDER BY 1, 2"
    )))
    .bind(tenant.get())
    .fetch_all(pool)
    .await?;
    Ok((products, tiers, mrr))
}

/// The subscriber list's status filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    /// Counted now (alive, pending cancellation).
    Active,
    PendingCancellation,
    /// Payment failed (pending or for good).
    FailedPayment,
    /// No longer counted, for any reason.
    Inactive,
}

impl StatusFilter {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "active" => Self::Active,
            "pending_cancellation" => Self::PendingCancellation,
            "failed_payment" => Self::FailedPayment,
            "inactive" => Self::Inactive,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::PendingCancellation => "pending_cancellation",
            Self::FailedPayment => "failed_payment",
            Self::Inactive => "inactive",
        }
    }

    fn condition(self) -> String {
        match self {
            Self::Active => ACTIVE.to_owned(),
            Self::PendingCancellation => format!("({ACTIVE} AND b.cancelled_at IS NOT NULL)"),
            Self::FailedPayment => "b.failed_at IS NOT NULL".to_owned(),
            Self::Inactive => format!("NOT {ACTIVE}"),
        }
    }
}

/// The subscriber list's filters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubscriberFilter {
    pub status: Option<StatusFilter>,
    /// Any part of the email, case-insensitive.
    pub search: Option<String>,
    pub product_id: Option<String>,
}

/// A row of the subscriber list (and the CSV export).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SubscriberRow {
    pub id: i64,
    pub gumroad_id: String,
    pub product_id: String,
    pub product_name: String,
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub user_requested_cancellation_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    pub charge_occurrence_count: i64,
    pub recurrence: Option<String>,
    pub status: String,
    pub active: bool,
    pub license_key: Option<String>,
    pub tier: Option<String>,
    pub currency: Option<String>,
    pub price_cents: Option<i64>,
    pub purchase_ids: Vec<String>,
}

fn row_columns() -> String {
    format!(
        "b.id, b.gumroad_id, b.product_id, b.product_name, b.email, b.created_at,
         b.user_requested_cancellation_at, b.cancelled_at, b.ended_at, b.failed_at,
         b.charge_occurrence_count, b.recurrence, b.status, {ACTIVE} AS active, b.license_key,
         c.tier, c.currency, c.amount_cents AS price_cents, b.purchase_ids"
    )
}

/// Rows of the filtered list after `after` (older first... newest first), at most `limit`; the list
/// pages with it and the export reads its batches with it. `newer` pages the other way (oldest
/// first).
pub async fn page(
    pool: &PgPool,
    tenant: TenantId,
    filter: &SubscriberFilter,
    after: Option<SalesCursor>,
    newer: bool,
    limit: i64,
) -> Result<Vec<SubscriberRow>, sqlx::Error> {
    let mut sql = format!(
        "SELECT {} FROM subscribers b {LAST_CHARGE} WHERE b.creator_id = $1
           AND ($2::text IS NULL OR b.product_id = $2)
           AND ($3::text IS NULL OR lower(coalesce(b.email, '')) LIKE $3)",
        row_columns()
    );
    if let Some(status) = filter.status {
        sql.push_str(" AND ");
        sql.push_str(&status.condition());
    }
    let (comparison, order) = if newer { (">", "ASC") } else { ("<", "DESC") };
    sql.push_str(&format!(
        " AND ($4::timestamptz IS NULL OR (b.created_at, b.id) {comparison} ($4, $5))
         ORDER BY b.created_at {order}, b.id {order} LIMIT $6"
    ));
    let pattern = filter.search.as_deref().map(super::sales::like_pattern);
    sqlx::query_as::<_, SubscriberRow>(sqlx::AssertSqlSafe(sql))
        .bind(tenant.get())
        .bind(&filter.product_id)
        .bind(pattern)
        .bind(after.map(|c| c.created_at))
        .bind(after.map_or(0, |c| c.id))
        .bind(limit)
        .fetch_all(pool)
        .await
}

/// How many subscribers the filter matches.
pub async fn count(
    pool: &PgPool,
    tenant: TenantId,
    filter: &SubscriberFilter,
) -> Result<i64, sqlx::Error> {
    let mut sql = "SELECT count(*) FROM subscribers b WHERE b.creator_id = $1
           AND ($2::text IS NULL OR b.product_id = $2)
           AND ($3::text IS NULL OR lower(coalesce(b.email, '')) LIKE $3)"
        .to_owned();
    if let Some(status) = filter.status {
        sql.push_str(" AND ");
        sql.push_str(&status.condition());
    }
    let pattern = filter.search.as_deref().map(super::sales::like_pattern);
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(tenant.get())
        .bind(&filter.product_id)
        .bind(pattern)
        .fetch_one(pool)
        .await
}

/// One of the creator's subscribers by our id (another creator's is none).
pub async fn get(
    pool: &PgPool,
    tenant: TenantId,
    id: i64,
) -> Result<Option<SubscriberRow>, sqlx::Error> {
    sqlx::query_as::<_, SubscriberRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM subscribers b {LAST_CHARGE} WHERE b.creator_id = $1 AND b.id = $2",
        row_columns()
    )))
    .bind(tenant.get())
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The subscriber's id of ours for Gumroad's id, if mirrored.
pub async fn id_of(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    gumroad_id: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM subscribers WHERE creator_id = $1 AND gumroad_id = $2")
        .bind(tenant.get())
        .bind(gumroad_id)
        .fetch_optional(executor)
        .await
}

/// A subscriber's charges from the sales mirror, newest first: (our sale id, Gumroad's id, time,
/// amount, currency, refunded).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Charge {
    pub id: i64,
    pub gumroad_id: String,
    pub created_at: DateTime<Utc>,
    pub amount_cents: Option<i64>,
    pub currency: Option<String>,
    pub refunded: bool,
    pub partially_refunded: bool,
}

pub async fn charges(
    pool: &PgPool,
    tenant: TenantId,
    gumroad_id: &str,
) -> Result<Vec<Charge>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, gumroad_id, created_at, amount_cents, currency, refunded, partially_refunded
         FROM sales WHERE creator_id = $1 AND subscription_id = $2
         ORDER BY created_at DESC, id DESC LIMIT 500",
    )
    .bind(tenant.get())
    .bind(gumroad_id)
    .fetch_all(pool)
    .await
}

/// The pings received about this subscription, newest first: (time, resource, outcome).
pub async fn history(
    pool: &PgPool,
    tenant: TenantId,
    gumroad_id: &str,
) -> Result<Vec<(DateTime<Utc>, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT received_at, resource_name, outcome FROM webhook_deliveries
         WHERE creator_id = $1 AND object_id = $2
         ORDER BY received_at DESC, id DESC LIMIT 100",
    )
    .bind(tenant.get())
    .bind(gumroad_id)
    .fetch_all(pool)
    .await
}
