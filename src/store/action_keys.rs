//! Single-use keys for the forms that change a sale at Gumroad (a refund, a license's uses): one is
//! issued per rendered form and claimed by one conditional UPDATE when the form is confirmed, so a
//! double click, a refresh or a replayed form reaches Gumroad at most once.

use rand::distr::{Alphanumeric, SampleString as _};
use sqlx::PgExecutor;

use crate::domain::{SaleAction, TenantId};

/// How a claimed key ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Gumroad refused (or was never reached): nothing changed.
    Refused,
    /// Sent, but no answer came back: it may have been done.
    Unknown,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Refused => "refused",
            Self::Unknown => "unknown",
        }
    }
}

/// What a key is bound to once its confirmation page is shown: the change ("full" or "partial" for
/// a refund, "enable", "disable" or "decrement" for a license) and, for a partial refund, the amount
/// shown (in the currency's smallest unit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding<'a> {
    pub change: &'a str,
    pub amount_cents: Option<i64>,
}

/// Why a key could not be claimed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    Claimed,
    /// Used already: a double click, a refresh or a replay.
    Used,
    /// Unknown, older than a day, never reviewed, or reviewed for another change or amount.
    Mismatch,
}

/// A fresh key for a form about `sale_id`; unused keys older than a day are dropped on the way.
/// `reviewed` binds it at once, for a form that is its own confirmation page.
pub async fn issue(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    sale_id: &str,
    action: SaleAction,
    reviewed: Option<Binding<'_>>,
) -> Result<String, sqlx::Error> {
    let key = Alphanumeric.sample_string(&mut rand::rng(), 32);
    sqlx::query(
        "WITH stale AS (
             DELETE FROM action_keys
             WHERE creator_id = $1 AND used_at IS NULL AND created_at < now() - interval '1 day'
         )
         INSERT INTO action_keys (creator_id, key, sale_id, action, change, amount_cents, reviewed_at)
         VALUES ($1, $2, $3, $4, coalesce($5, ''), $6, CASE WHEN $7 THEN now() END)",
    )
    .bind(tenant.get())
    .bind(&key)
    .bind(sale_id)
    .bind(action.as_str())
    .bind(reviewed.map(|b| b.change))
    .bind(reviewed.and_then(|b| b.amount_cents))
    .bind(reviewed.is_some())
    .execute(executor)
    .await?;
    Ok(key)
}

/// Binds an unused key to what its confirmation page shows, as that page is rendered; `false` when
/// the key is unknown or used.
pub async fn review(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    key: &str,
    sale_id: &str,
    action: SaleAction,
    binding: Binding<'_>,
) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE action_keys SET change = $5, amount_cents = $6, reviewed_at = now()
         WHERE creator_id = $1 AND key = $2 AND sale_id = $3 AND action = $4 AND used_at IS NULL
           AND created_at > now() - interval '1 day'";
    update_bound(executor, sql, tenant, key, sale_id, action, binding).await
}

/// Claims the key only if it was reviewed for this sale, action, change and amount, is younger than
/// a day, and is unused (one conditional UPDATE); else says why not.
pub async fn claim(
    executor: impl PgExecutor<'_> + Copy,
    tenant: TenantId,
    key: &str,
    sale_id: &str,
    action: SaleAction,
    binding: Binding<'_>,
) -> Result<Claim, sqlx::Error> {
    let sql = "UPDATE action_keys SET used_at = now()
         WHERE creator_id = $1 AND key = $2 AND sale_id = $3 AND action = $4 AND used_at IS NULL
           AND change = $5 AND amount_cents IS NOT DISTINCT FROM $6 AND reviewed_at IS NOT NULL
           AND created_at > now() - interval '1 day'";
    if update_bound(executor, sql, tenant, key, sale_id, action, binding).await? {
        return Ok(Claim::Claimed);
    }
    let used: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM action_keys
         WHERE creator_id = $1 AND key = $2 AND sale_id = $3 AND action = $4 AND used_at IS NOT NULL)",
    )
    .bind(tenant.get())
    .bind(key)
    .bind(sale_id)
    .bind(action.as_str())
    .fetch_one(executor)
    .await?;
    Ok(if used { Claim::Used } else { Claim::Mismatch })
}

/// One UPDATE of a key by creator ($1), key ($2), sale ($3), action ($4), change ($5) and amount
/// ($6); whether it touched the key.
async fn update_bound(
    executor: impl PgExecutor<'_>,
    sql: &'static str,
    tenant: TenantId,
    key: &str,
    sale_id: &str,
    action: SaleAction,
    binding: Binding<'_>,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(sql)
        .bind(tenant.get())
        .bind(key)
        .bind(sale_id)
        .bind(action.as_str())
        .bind(binding.change)
        .bind(binding.amount_cents)
        .execute(executor)
        .await?;
    Ok(updated.rows_affected() == 1)
}

/// Records how a claimed key ended.
pub async fn settle(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    key: &str,
    outcome: Outcome,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE action_keys SET outcome = $3 WHERE creator_id = $1 AND key = $2")
        .bind(tenant.get())
        .bind(key)
        .bind(outcome.as_str())
        .execute(executor)
        .await
        .map(drop)
}
