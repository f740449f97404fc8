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

/// A fresh key for a form about `sale_id`; unused keys older than a day are dropped on the way.
pub async fn issue(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    sale_id: &str,
    action: SaleAction,
) -> Result<String, sqlx::Error> {
    let key = Alphanumeric.sample_string(&mut rand::rng(), 32);
    sqlx::query(
        "WITH stale AS (
             DELETE FROM action_keys
             WHERE creator_id = $1 AND used_at IS NULL AND created_at < now() - interval '1 day'
         )
         INSERT INTO action_keys (creator_id, key, sale_id, action) VALUES ($1, $2, $3, $4)",
    )
    .bind(tenant.get())
    .bind(&key)
    .bind(sale_id)
    .bind(action.as_str())
    .execute(executor)
    .await?;
    Ok(key)
}

/// Claims the key for this sale and action; `false` when it is unknown or was used already.
pub async fn claim(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    key: &str,
    sale_id: &str,
    action: SaleAction,
) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query(
        "UPDATE action_keys SET used_at = now()
         WHERE creator_id = $1 AND key = $2 AND sale_id = $3 AND action = $4 AND used_at IS NULL",
    )
    .bind(tenant.get())
    .bind(key)
    .bind(sale_id)
    .bind(action.as_str())
    .execute(executor)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Whether an unused key for this sale and action exists (the confirmation page checks before
/// showing a button that would do nothing).
pub async fn is_unused(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    key: &str,
    sale_id: &str,
    action: SaleAction,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM action_keys
         WHERE creator_id = $1 AND key = $2 AND sale_id = $3 AND action = $4 AND used_at IS NULL)",
    )
    .bind(tenant.get())
    .bind(key)
    .bind(sale_id)
    .bind(action.as_str())
    .fetch_one(executor)
    .await
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
