//! The audit log the operator reads: who did what, when, from where. Who and what are closed enums
//! ([`Actor`], [`Action`]) stored as text, so the call sites cannot drift apart in spelling.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::domain::{SaleAction, TenantId};

/// Who did it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The creator themself (`creator:<id>`).
    Creator(TenantId),
    /// An operator of this instance, by Gumroad user id (`admin:<gumroad id>`).
    Operator(String),
    /// gumdash's own background work (`system`).
    System,
}

impl Actor {
    /// The stored text.
    pub fn as_text(&self) -> String {
        match self {
            Self::Creator(tenant) => format!("creator:{tenant}"),
            Self::Operator(gumroad_id) => format!("admin:{gumroad_id}"),
            Self::System => "system".to_owned(),
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        if text == "system" {
            return Some(Self::System);
        }
        if let Some(id) = text.strip_prefix("creator:") {
            return id
                .parse()
                .ok()
                .map(|id| Self::Creator(TenantId::from_db(id)));
        }
        text.strip_prefix("admin:")
            .filter(|id| !id.is_empty())
            .map(|id| Self::Operator(id.to_owned()))
    }
}

/// What was done. The stored text of the actions written before these enums is kept as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    SignIn,
    SignOut,
    /// Every session of the creator deleted (by the creator or an operator).
    SignOutEverywhere,
    /// A new authorization with more scopes replaced the stored token.
    GrantAccess,
    Disable,
    Enable,
    ForceResync,
    /// Gumroad's token revoked (or, after confirmation, not) and every datum of the creator deleted.
    RevokeAndForget,
    /// The creator's webhook subscriptions deleted at Gumroad (after signing out everywhere).
    UnsubscribePings,
    /// Reserved for the operator's "view as creator".
    ViewAsStart,
    ViewAsEnd,
    /// Reserved for online key rotation.
    KeyRotation,
    /// An operator named or removed with `gumdash admin grant|revoke`.
    GrantOperator,
    RevokeOperator,
    RetryJob,
    SaleRefund,
    SaleMarkAsShipped,
    SaleResendReceipt,
    LicenseChange,
}

impl Action {
    pub const ALL: [Action; 19] = [
        Self::SignIn,
        Self::SignOut,
        Self::SignOutEverywhere,
        Self::GrantAccess,
        Self::Disable,
        Self::Enable,
        Self::ForceResync,
        Self::RevokeAndForget,
        Self::UnsubscribePings,
        Self::ViewAsStart,
        Self::ViewAsEnd,
        Self::KeyRotation,
        Self::GrantOperator,
        Self::RevokeOperator,
        Self::RetryJob,
        Self::SaleRefund,
        Self::SaleMarkAsShipped,
        Self::SaleResendReceipt,
        Self::LicenseChange,
    ];

    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::SignOut => "sign_out",
            Self::SignOutEverywhere => "sign_out_everywhere",
            Self::GrantAccess => "grant_access",
            Self::Disable => "disable",
            Self::Enable => "enable",
            Self::ForceResync => "force_resync",
            Self::RevokeAndForget => "revoke_and_forget",
            Self::UnsubscribePings => "unsubscribe_pings",
            Self::ViewAsStart => "view_as_start",
            Self::ViewAsEnd => "view_as_end",
            Self::KeyRotation => "key_rotation",
            Self::GrantOperator => "grant_operator",
            Self::RevokeOperator => "revoke_operator",
            Self::RetryJob => "retry_job",
            Self::SaleRefund => "sale.refund",
            Self::SaleMarkAsShipped => "sale.mark_as_shipped",
            Self::SaleResendReceipt => "sale.resend_receipt",
            Self::LicenseChange => "license.change",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }

    /// What a person reads in an activity list.
    pub fn label(self) -> &'static str {
        match self {
            Self::SignIn => "Signed in",
            Self::SignOut => "Signed out",
            Self::SignOutEverywhere => "Signed out everywhere",
            Self::GrantAccess => "Granted more Gumroad access",
            Self::Disable => "Account disabled",
            Self::Enable => "Account enabled again",
            Self::ForceResync => "Full resync of sales started",
            Self::RevokeAndForget => "Disconnected and data deleted",
            Self::UnsubscribePings => "Gumroad webhooks removed",
            Self::ViewAsStart => "Operator started viewing as you",
            Self::ViewAsEnd => "Operator stopped viewing as you",
            Self::KeyRotation => "Encryption key rotated",
            Self::GrantOperator => "Operator added",
            Self::RevokeOperator => "Operator removed",
            Self::RetryJob => "Background job retried",
            Self::SaleRefund => "Sale refunded",
            Self::SaleMarkAsShipped => "Sale marked as shipped",
            Self::SaleResendReceipt => "Receipt sent again",
            Self::LicenseChange => "License key changed",
        }
    }

    /// Actions about one sale: their `detail` names the sale and may quote Gumroad about it.
    pub fn is_about_a_sale(self) -> bool {
        matches!(
            self,
            Self::SaleRefund
                | Self::SaleMarkAsShipped
                | Self::SaleResendReceipt
                | Self::LicenseChange
        )
    }
}

impl From<SaleAction> for Action {
    fn from(action: SaleAction) -> Self {
        match action {
            SaleAction::Refund => Self::SaleRefund,
            SaleAction::MarkShipped => Self::SaleMarkAsShipped,
            SaleAction::ResendReceipt => Self::SaleResendReceipt,
            SaleAction::ChangeLicense => Self::LicenseChange,
        }
    }
}

pub struct Event {
    pub actor: Actor,
    pub action: Action,
    pub creator: Option<TenantId>,
    pub ip: Option<String>,
    pub detail: serde_json::Value,
}

pub async fn record(executor: impl PgExecutor<'_>, event: Event) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_events (actor, action, creator_id, ip, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(event.actor.as_text())
    .bind(event.action.as_str())
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
    pub at: DateTime<Utc>,
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
    action: Action,
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
    .bind(action.as_str())
    .bind(minutes)
    .fetch_one(executor)
    .await
}

/// One entry of a creator's account activity.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub ip: Option<String>,
    pub detail: serde_json::Value,
}

/// What happened to the creator's account, by anyone, newest first: at most `limit` entries.
pub async fn about_creator(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    limit: i64,
) -> Result<Vec<Entry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT at, actor, action, ip, detail FROM audit_events
         WHERE creator_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(tenant.get())
    .bind(limit)
    .fetch_all(executor)
    .await
}

/// Keys of a sale action's `detail` kept when the creator is forgotten: what was done and how it
/// ended, never which sale, its tracking URL or Gumroad's words about it (which may quote the buyer).
const KEPT_AFTER_FORGET: [&str; 6] = [
    "result",
    "change",
    "full",
    "amount_cents",
    "sent_amount_cents",
    "currency",
];

/// Before a creator is forgotten: their sale actions' entries keep only [`KEPT_AFTER_FORGET`], so
/// the audit trail that remains holds no buyer's data. Returns how many entries were changed.
pub async fn strip_sale_details(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
) -> Result<u64, sqlx::Error> {
    let sale_actions: Vec<&str> = Action::ALL
        .into_iter()
        .filter(|a| a.is_about_a_sale())
        .map(Action::as_str)
        .collect();
    sqlx::query(
        "UPDATE audit_events SET detail = coalesce(
             (SELECT jsonb_object_agg(key, value) FROM jsonb_each(detail) WHERE key = ANY($3)),
             '{}'::jsonb)
         WHERE creator_id = $1 AND action = ANY($2)",
    )
    .bind(tenant.get())
    .bind(&sale_actions)
    .bind(&KEPT_AFTER_FORGET[..])
    .execute(executor)
    .await
    .map(|r| r.rows_affected())
}

/// The addresses the creator's audited actions came from: personal data, forgotten with them (the
/// rows keep who did what and when).
pub async fn forget_addresses(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
) -> Result<u64, sqlx::Error> {
    sqlx::query("UPDATE audit_events SET ip = NULL WHERE creator_id = $1 AND ip IS NOT NULL")
        .bind(tenant.get())
        .execute(executor)
        .await
        .map(|r| r.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_through_their_stored_text_and_keep_the_old_spellings() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        let texts: std::collections::HashSet<&str> =
            Action::ALL.into_iter().map(Action::as_str).collect();
        assert_eq!(texts.len(), Action::ALL.len(), "two actions share a text");
        for old in [
            "sign_in",
            "sign_out",
            "grant_access",
            "retry_job",
            "sale.refund",
            "license.change",
        ] {
            assert!(Action::parse(old).is_some(), "{old}");
        }
        assert_eq!(
            Action::from(SaleAction::MarkShipped).as_str(),
            "sale.mark_as_shipped"
        );
    }

    #[test]
    fn actors_round_trip_through_their_stored_text() {
        for actor in [
            Actor::Creator(TenantId::from_raw_for_tests(42)),
            Actor::Operator("5530311507811".into()),
            Actor::System,
        ] {
            assert_eq!(Actor::parse(&actor.as_text()), Some(actor));
        }
        assert_eq!(Actor::parse("creator:x"), None);
        assert_eq!(Actor::parse("admin:"), None);
    }
}
