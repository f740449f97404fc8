//! An operator's "view as creator" sessions (`view_as_sessions`): started with a reason, live until
//! ended or until `expires_at` (at most an hour). Every start and end is written to the audit log in
//! the same transaction, about the viewed creator, so it shows in their Account activity.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};

use super::audit::{self, Action, Actor};
use crate::domain::TenantId;

/// The longest a view-as lasts.
pub const MAX_MINUTES: i32 = 60;

/// How a view-as ended (stored text in `ended_how`, and in the audit entry's detail).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The operator chose "End".
    Operator,
    /// The hour ran out.
    Expired,
    /// The creator was disabled (or must reconnect) meanwhile.
    CreatorUnavailable,
}

impl Ended {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::Expired => "expired",
            Self::CreatorUnavailable => "creator_unavailable",
        }
    }
}

/// One live view-as.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Live {
    pub id: i64,
    pub operator_id: i64,
    pub expires_at: DateTime<Utc>,
}

/// Starts a view-as of `tenant` by the operator, audited (with the reason and the client address).
/// Returns the row's id and when it runs out.
pub async fn start(
    pool: &PgPool,
    tenant: TenantId,
    operator: TenantId,
    operator_gumroad_id: &str,
    reason: &str,
    ip: Option<String>,
) -> Result<(i64, DateTime<Utc>), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let (id, expires_at): (i64, DateTime<Utc>) = sqlx::query_as(
        "INSERT INTO view_as_sessions (creator_id, operator_id, operator_gumroad_id, reason, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5))
         RETURNING id, expires_at",
    )
    .bind(tenant.get())
    .bind(operator.get())
    .bind(operator_gumroad_id)
    .bind(reason)
    .bind(MAX_MINUTES)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        audit::Event {
            actor: Actor::Operator(operator_gumroad_id.to_owned()),
            action: Action::ViewAsStart,
            creator: Some(tenant),
            ip,
            detail: serde_json::json!({
                "reason": reason,
                "view_as": id,
                "until": expires_at.to_rfc3339(),
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((id, expires_at))
}

/// The view-as `id` of `tenant` by `operator`, if it is still live (not ended, not expired).
pub async fn live(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    id: i64,
    operator: TenantId,
) -> Result<Option<Live>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, operator_id, expires_at FROM view_as_sessions
         WHERE creator_id = $1 AND id = $2 AND operator_id = $3
           AND ended_at IS NULL AND expires_at > now()",
    )
    .bind(tenant.get())
    .bind(id)
    .bind(operator.get())
    .fetch_optional(executor)
    .await
}

/// Ends the view-as (if it was not ended already), audited with its reason and how it ended. The
/// actor is the operator for an "End", gumdash itself otherwise. Returns whether this call ended it.
pub async fn end(
    pool: &PgPool,
    tenant: TenantId,
    id: i64,
    operator: TenantId,
    how: Ended,
    ip: Option<String>,
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let ended: Option<(String, String, DateTime<Utc>, String)> = sqlx::query_as(
        "UPDATE view_as_sessions
         SET ended_at = CASE WHEN expires_at < now() THEN expires_at ELSE now() END,
             ended_how = CASE WHEN expires_at < now() THEN 'expired' ELSE $4 END
         WHERE creator_id = $1 AND id = $2 AND operator_id = $3 AND ended_at IS NULL
         RETURNING operator_gumroad_id, reason, ended_at, ended_how",
    )
    .bind(tenant.get())
    .bind(id)
    .bind(operator.get())
    .bind(how.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let Some((operator_gumroad_id, reason, ended_at, ended_how)) = ended else {
        return Ok(false);
    };
    // An "End" after the hour ran out is recorded as the expiry it was.
    let how = if ended_how == Ended::Expired.as_str() {
        Ended::Expired
    } else {
        how
    };
    let actor = if how == Ended::Operator {
        Actor::Operator(operator_gumroad_id)
    } else {
        Actor::System
    };
    record_end(&mut tx, tenant, id, actor, &reason, how, ended_at, ip).await?;
    tx.commit().await?;
    Ok(true)
}

#[allow(clippy::too_many_arguments)]
async fn record_end(
    tx: &mut sqlx::PgConnection,
    tenant: TenantId,
    id: i64,
    actor: Actor,
    reason: &str,
    how: Ended,
    ended_at: DateTime<Utc>,
    ip: Option<String>,
) -> Result<(), sqlx::Error> {
    audit::record(
        &mut *tx,
        audit::Event {
            actor,
            action: Action::ViewAsEnd,
            creator: Some(tenant),
            ip,
            detail: serde_json::json!({
                "reason": reason,
                "view_as": id,
                "ended": how.as_str(),
                "at": ended_at.to_rfc3339(),
            }),
        },
    )
    .await
}

/// Ends every view-as whose hour ran out without an "End" (the session sweep runs this), so each
/// start has its end in the audit log even when the operator just closed the browser.
pub async fn end_expired(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let expired: Vec<(i64, i64, String, DateTime<Utc>)> = sqlx::query_as(
        "UPDATE view_as_sessions SET ended_at = expires_at, ended_how = 'expired'
         WHERE ended_at IS NULL AND expires_at <= now()
         RETURNING creator_id, id, reason, ended_at",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (creator_id, id, reason, ended_at) in &expired {
        record_end(
            &mut tx,
            TenantId::from_db(*creator_id),
            *id,
            Actor::System,
            reason,
            Ended::Expired,
            *ended_at,
            None,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(expired.len() as u64)
}
