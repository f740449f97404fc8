//! A creator's account as a whole: disable and enable, sign out everywhere, a forced full resync,
//! and revoke-and-forget. The operator's pages and the creator's own Account page both call these;
//! each is audited with who asked, from where, and (operators) why.
//!
//! **Revoke and forget** is crash-safe by being repeatable: the remote steps come first and are
//! idempotent (deleting a subscription Gumroad no longer has is "not found"; revoking a revoked
//! token is Gumroad's 200), and the local deletion is one transaction. A kill -9 anywhere leaves
//! either everything in place (perhaps with a dead token, which the next sync books as "needs
//! reconnect") or nothing; running it again finishes. If Gumroad does not confirm the revocation,
//! nothing is deleted: the caller shows why and offers to try again, or to forget locally only
//! ([`Forget::LocalOnly`]) after an explicit confirmation.

use secrecy::SecretString;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::context::{AccessError, Context};
use crate::domain::TenantId;
use crate::gumroad::{GumroadError, OAuthClient};
use crate::jobs::{Job, Queue};
use crate::store::audit::{self, Action, Actor};
use crate::store::{self, webhooks};

/// Who asks, from where, and why (the operator's reason; `None` for the creator's own actions).
#[derive(Clone, Debug)]
pub struct Request {
    pub actor: Actor,
    pub ip: Option<String>,
    pub reason: Option<String>,
}

impl Request {
    fn event(&self, action: Action, tenant: TenantId, mut detail: Value) -> audit::Event {
        if let (Some(reason), Some(object)) = (&self.reason, detail.as_object_mut()) {
            object.insert("reason".into(), reason.as_str().into());
        }
        audit::Event {
            actor: self.actor.clone(),
            action,
            creator: Some(tenant),
            ip: self.ip.clone(),
            detail,
        }
    }
}

/// Switches the creator off: every session of theirs ends at once (their next click is signed
/// out), their waiting Gumroad work is cancelled and nothing more of theirs is claimed, and their
/// data stays. `false` when they were disabled already (nothing is done or recorded then).
pub async fn disable(pool: &PgPool, tenant: TenantId, by: &Request) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    if !store::creators::disable(&mut *tx, tenant).await? {
        return Ok(false);
    }
    let sessions = store::sessions::delete_all_for(&mut *tx, tenant).await?;
    let jobs = Queue::cancel_pending_fetches_for(&mut *tx, tenant).await?;
    let detail = json!({ "sessions_ended": sessions, "jobs_cancelled": jobs });
    audit::record(&mut *tx, by.event(Action::Disable, tenant, detail)).await?;
    tx.commit().await?;
    tracing::info!(%tenant, sessions, jobs, "creator disabled");
    Ok(true)
}

/// Switches the creator back on, and picks up where the sync left off (as a sign-in would).
/// `false` when they were not disabled.
pub async fn enable(pool: &PgPool, tenant: TenantId, by: &Request) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    if !store::creators::enable(&mut *tx, tenant).await? {
        return Ok(false);
    }
    if let Some(connection) = store::connections::status(&mut *tx, tenant).await? {
        let scopes: Vec<String> = connection
            .scopes
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        crate::sync::after_sign_in(&mut tx, tenant, &scopes).await?;
    }
    audit::record(&mut *tx, by.event(Action::Enable, tenant, json!({}))).await?;
    tx.commit().await?;
    tracing::info!(%tenant, "creator enabled again");
    Ok(true)
}

/// Ends every session of the creator at once, and (as a job, best effort) deletes their webhook
/// subscriptions at Gumroad; the next sign-in subscribes again. Returns how many sessions ended.
pub async fn sign_out_everywhere(
    pool: &PgPool,
    tenant: TenantId,
    by: &Request,
) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let sessions = store::sessions::delete_all_for(&mut *tx, tenant).await?;
    let unsubscribing =
        Queue::enqueue(&mut *tx, &Job::UnsubscribePings { creator: tenant }).await?;
    let detail = json!({ "sessions_ended": sessions, "webhooks_removal_queued": unsubscribing });
    audit::record(
        &mut *tx,
        by.event(Action::SignOutEverywhere, tenant, detail),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(%tenant, sessions, "creator signed out everywhere");
    Ok(sessions)
}

/// Starts the creator's backfill over through the sync's own machinery: the history is walked
/// again from Gumroad's first sale and every sale stored anew (the mirror stays meanwhile).
pub async fn force_resync(
    pool: &PgPool,
    tenant: TenantId,
    by: &Request,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    crate::sync::restart_backfill(&mut tx, tenant).await?;
    audit::record(&mut *tx, by.event(Action::ForceResync, tenant, json!({}))).await?;
    tx.commit().await?;
    tracing::info!(%tenant, "full resync started");
    Ok(())
}

/// How far revoke-and-forget may go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forget {
    /// Revoke at Gumroad first; delete nothing unless Gumroad confirms.
    RevokeFirst,
    /// Confirmed after Gumroad failed to revoke: delete here, leave Gumroad as it is (the creator
    /// can remove the app in Gumroad's settings).
    LocalOnly,
}

impl Forget {
    /// The forms' `local_only` field: `yes` only on the page that reported Gumroad's failure.
    pub fn from_field(local_only: &str) -> Self {
        if local_only == "yes" {
            Self::LocalOnly
        } else {
            Self::RevokeFirst
        }
    }
}

/// How revoke-and-forget ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Forgotten {
    /// Deleted; `revoked` says whether Gumroad confirmed the revocation (`false`: local only, or
    /// no token was stored).
    Done { revoked: bool, sales: u64 },
    /// Gumroad did not confirm the revocation: nothing was deleted. The words say why.
    RevokeFailed(String),
    /// No such creator (forgotten already).
    NotFound,
}

/// Revokes the creator's token at Gumroad (deleting our webhook subscriptions there first, while the
/// token still works), then deletes every row of theirs but the audit trail, in one transaction.
pub async fn revoke_and_forget(
    ctx: &Context,
    oauth: &OAuthClient,
    tenant: TenantId,
    by: &Request,
    mode: Forget,
) -> Result<Forgotten, sqlx::Error> {
    let token = match ctx.creator_token(tenant).await {
        Ok(token) => Some(token),
        Err(AccessError::NotConnected) => None,
        Err(AccessError::Database(error)) => return Err(error),
        Err(AccessError::Unreadable(_)) if mode == Forget::RevokeFirst => {
            return Ok(Forgotten::RevokeFailed(
                "the stored Gumroad token could not be opened (a key is missing from \
                 GUMDASH_TOKEN_KEYS), so it cannot be revoked"
                    .into(),
            ));
        }
        Err(AccessError::Unreadable(_)) => None,
    };
    let mut detail = json!({ "creator_id": tenant.get() });
    let mut revoked = false;
    match (&token, mode) {
        (Some(token), Forget::RevokeFirst) => {
            let removed = remove_subscriptions(ctx, tenant, token).await?;
            if let Err(error) = oauth.revoke(token).await {
                tracing::warn!(%tenant, %error, "Gumroad did not confirm a token revocation");
                if removed.removed > 0 {
                    // The creator stays, so their pings must too: subscribe again now rather than
                    // at their next sign-in, which may never come.
                    Queue::enqueue(&ctx.pool, &Job::SubscribePings { creator: tenant }).await?;
                }
                return Ok(Forgotten::RevokeFailed(error.to_string()));
            }
            revoked = true;
            detail["webhooks_removed"] = removed.removed.into();
            detail["token"] = "revoked at Gumroad".into();
        }
        (Some(token), Forget::LocalOnly) => {
            // The refused revoke subscribed the creator to pings again; a forgotten creator's
            // buyers must not keep arriving, so the webhooks go (best effort) even now.
            let removed = remove_subscriptions(ctx, tenant, token).await?;
            detail["webhooks_removed"] = removed.removed.into();
            detail["token"] =
                "not revoked: forgotten locally after Gumroad failed to revoke".into();
        }
        (None, _) => detail["token"] = "none stored".into(),
    }
    let mut tx = ctx.pool.begin().await?;
    audit::record(&mut *tx, by.event(Action::RevokeAndForget, tenant, detail)).await?;
    let Some(forgotten) = store::forget::creator(&mut tx, tenant).await? else {
        return Ok(Forgotten::NotFound);
    };
    tx.commit().await?;
    tracing::info!(%tenant, revoked, sales = forgotten.sales, "creator revoked and forgotten");
    Ok(Forgotten::Done {
        revoked,
        sales: forgotten.sales,
    })
}

/// How deleting the creator's webhook subscriptions at Gumroad went.
#[derive(Clone, Copy, Debug, Default)]
pub struct Removed {
    pub removed: usize,
    pub failed: usize,
}

/// Deletes the subscriptions Gumroad confirmed to us (their ids are stored), best effort: one that
/// Gumroad no longer knows is gone all the same, a revoked token means Gumroad dropped them itself,
/// and other failures are counted and left. What is gone is forgotten here too.
pub async fn remove_subscriptions(
    ctx: &Context,
    tenant: TenantId,
    token: &SecretString,
) -> Result<Removed, sqlx::Error> {
    let mut outcome = Removed::default();
    let mut gone = Vec::new();
    for subscription in webhooks::subscriptions(&ctx.pool, tenant).await? {
        let Some(id) = subscription.gumroad_id else {
            continue;
        };
        match ctx.api.unsubscribe(token, &id).await {
            Ok(()) | Err(GumroadError::NotFound { .. }) | Err(GumroadError::Unauthorized) => {
                outcome.removed += 1;
                gone.push(id);
            }
            Err(error) => {
                tracing::warn!(%tenant, %error, "could not delete a webhook subscription at Gumroad");
                outcome.failed += 1;
            }
        }
    }
    if !gone.is_empty() {
        webhooks::delete_subscriptions(&ctx.pool, tenant, &gone).await?;
        let words = "Removed at Gumroad; gumdash subscribes again at the next sign-in.";
        webhooks::set_endpoint_state(&ctx.pool, tenant, "pending", Some(words)).await?;
    }
    Ok(outcome)
}
