//! Gumroad pings: subscribing each creator's ping URL to the eight resources, and fetching back what a
//! ping names. A ping is only a hint (Gumroad signs nothing): the sale is fetched with the creator's
//! own token and stored through the sync's one upsert, so a forged, replayed or duplicated ping can
//! change nothing that Gumroad does not confirm, and an unchanged sale writes nothing.

use url::Url;

use super::{Failure, SyncHandler, access_failed, window};
use crate::context::AccessError;
use crate::domain::{PING_PATH_PREFIX, PingKey, SaleRecord, TenantId};
use crate::gumroad::{GumroadError, RESOURCE_NAMES, ResourceSubscription};
use crate::jobs::{Claim, Outcome};
use crate::store::audit::{self, Action, Actor};
use crate::store::{self, webhooks};

/// Where a creator's ping URLs start: `<public url>/hooks/gumroad/`.
fn ping_prefix(public_url: &Url) -> String {
    format!(
        "{}{PING_PATH_PREFIX}",
        public_url.as_str().trim_end_matches('/')
    )
}

/// Makes sure each of the eight resources has exactly one subscription of ours, to the creator's
/// current ping URL: lists them, keeps one, deletes strays of ours (other secrets, duplicates),
/// creates what is missing. A refused URL is recorded for the Webhooks page; the scheduled sync
/// keeps the mirror fresh meanwhile.
pub(super) async fn subscribe(
    sync: &SyncHandler,
    claim: &Claim,
    tenant: TenantId,
) -> Result<Outcome, sqlx::Error> {
    let mut listed = Vec::with_capacity(RESOURCE_NAMES.len());
    for name in RESOURCE_NAMES {
        match sync
            .gumroad(tenant, async |api, token| {
                api.resource_subscriptions(token, name).await
            })
            .await
        {
            Err(error) => return access_failed(&sync.ctx, tenant, error).await,
            Ok(Err(error)) => return subscribe_failed(sync, claim, tenant, &error).await,
            Ok(Ok(found)) => listed.push((name, found)),
        }
    }
    let prefix = ping_prefix(&sync.public_url);
    let key = current_key(sync, tenant, &prefix, &listed).await?;
    let url = format!("{prefix}{}", key.segment());
    let mut refusal = None;
    for (name, found) in listed {
        let ours: Vec<&ResourceSubscription> = found
            .iter()
            .filter(|s| s.post_url.starts_with(&prefix))
            .collect();
        let keep = ours
            .iter()
            .find(|s| s.post_url == url)
            .map(|s| s.id.clone());
        for stray in ours.iter().filter(|s| Some(&s.id) != keep.as_ref()) {
            let result = sync
                .gumroad(tenant, async |api, token| {
                    api.unsubscribe(token, &stray.id).await
                })
                .await;
            match result {
                Err(error) => return access_failed(&sync.ctx, tenant, error).await,
                Ok(Err(GumroadError::NotFound { .. }) | Ok(())) => {}
                Ok(Err(error)) => return subscribe_failed(sync, claim, tenant, &error).await,
            }
        }
        let saved = match keep {
            Some(id) => subscribed(name, id),
            None => match sync
                .gumroad(tenant, async |api, token| {
                    api.subscribe(token, name, &url).await
                })
                .await
            {
                Err(error) => return access_failed(&sync.ctx, tenant, error).await,
                Ok(Ok(created)) => subscribed(name, created.id),
                Ok(Err(GumroadError::Rejected { message })) => {
                    let words = key.redact(&message);
                    refusal = Some(words.clone());
                    webhooks::Subscription {
                        resource_name: name.to_owned(),
                        gumroad_id: None,
                        state: "refused".into(),
                        detail: Some(words),
                        updated_at: chrono::Utc::now(),
                    }
                }
                Ok(Err(error)) => return subscribe_failed(sync, claim, tenant, &error).await,
            },
        };
        webhooks::save_subscription(&sync.ctx.pool, tenant, &saved).await?;
    }
    let (state, detail) = match &refusal {
        Some(words) => ("refused", Some(words.as_str())),
        None => ("subscribed", None),
    };
    webhooks::set_endpoint_state(&sync.ctx.pool, tenant, state, detail).await?;
    Ok(Outcome::Done)
}

/// After "Sign out everywhere": our subscriptions at Gumroad are deleted, best effort, and the
/// outcome recorded in the audit log. Without a token there is nothing to do, and a creator who has
/// signed in again meanwhile keeps them (that sign-in subscribed anew); one who signs in while this
/// runs gets them back from a new subscription job.
pub(super) async fn unsubscribe(
    sync: &SyncHandler,
    tenant: TenantId,
) -> Result<Outcome, sqlx::Error> {
    let pool = &sync.ctx.pool;
    if store::sessions::signed_in_anywhere(pool, tenant).await? {
        return Ok(Outcome::Done);
    }
    let token = match sync.ctx.creator_token(tenant).await {
        Ok(token) => token,
        Err(AccessError::Database(error)) => return Err(error),
        Err(AccessError::NotConnected | AccessError::Unreadable(_)) => return Ok(Outcome::Done),
    };
    // Each unsubscribe waits for the shared budget (the background client is paced by it).
    let removed = crate::lifecycle::remove_subscriptions(&sync.ctx, tenant, &token).await?;
    let event = audit::Event {
        actor: Actor::System,
        action: Action::UnsubscribePings,
        creator: Some(tenant),
        ip: None,
        detail: serde_json::json!({ "removed": removed.removed, "failed": removed.failed }),
    };
    audit::record(pool, event).await?;
    if store::sessions::signed_in_anywhere(pool, tenant).await? {
        let subscribe = crate::jobs::Job::SubscribePings { creator: tenant };
        crate::jobs::Queue::enqueue(pool, &subscribe).await?;
    }
    Ok(Outcome::Done)
}

fn subscribed(name: &str, id: String) -> webhooks::Subscription {
    webhooks::Subscription {
        resource_name: name.to_owned(),
        gumroad_id: Some(id),
        state: "subscribed".into(),
        detail: None,
        updated_at: chrono::Utc::now(),
    }
}

/// The secret in use: the one of a listed subscription of ours whose hash we hold, else a new one
/// (its hash stored now; the old URL is then no longer accepted).
async fn current_key(
    sync: &SyncHandler,
    tenant: TenantId,
    prefix: &str,
    listed: &[(&str, Vec<ResourceSubscription>)],
) -> Result<PingKey, sqlx::Error> {
    let stored = webhooks::endpoint(&sync.ctx.pool, tenant).await?;
    let known = stored.and_then(|endpoint| {
        listed
            .iter()
            .flat_map(|(_, found)| found)
            .filter_map(|s| s.post_url.strip_prefix(prefix))
            .filter_map(PingKey::parse)
            .find(|key| key.tenant() == tenant && key.matches(&endpoint.secret_sha256))
    });
    if let Some(key) = known {
        return Ok(key);
    }
    let key = PingKey::generate(tenant);
    webhooks::replace_secret(&sync.ctx.pool, tenant, &key.sha256()).await?;
    Ok(key)
}

async fn subscribe_failed(
    sync: &SyncHandler,
    claim: &Claim,
    tenant: TenantId,
    error: &GumroadError,
) -> Result<Outcome, sqlx::Error> {
    let failure = sync.after_failure(claim, tenant, error).await?;
    let words = match &failure {
        Failure::Retry(_, words) | Failure::Park(words) => words.clone(),
        Failure::Stop | Failure::Postpone(_) => error.summary(),
    };
    webhooks::set_endpoint_state(&sync.ctx.pool, tenant, "failed", Some(&words)).await?;
    job_outcome(sync, claim, failure).await
}

/// A Gumroad failure in a ping job, handled like the sync's: stop after a 401, wait after a 429,
/// retry 5xx and timeouts, and give up (kept for the operator) on what cannot work.
pub(super) async fn job_outcome(
    sync: &SyncHandler,
    claim: &Claim,
    failure: Failure,
) -> Result<Outcome, sqlx::Error> {
    match failure {
        Failure::Stop => Ok(Outcome::Done),
        Failure::Postpone(pause) => sync.postpone(claim, pause).await,
        Failure::Retry(pause, words) => Ok(Outcome::RetryIn(pause, words)),
        Failure::Park(words) => Ok(Outcome::GiveUp(words)),
    }
}

/// Fetches the sale a ping named with the creator's own token and stores it through the sync's
/// upsert. Gumroad not knowing it (or it being another seller's) changes nothing.
pub(super) async fn fetch_sale(
    sync: &SyncHandler,
    claim: &Claim,
    tenant: TenantId,
    sale_id: &str,
) -> Result<Outcome, sqlx::Error> {
    let pool = &sync.ctx.pool;
    let sale = match sync
        .gumroad(tenant, async |api, token| api.sale(token, sale_id).await)
        .await
    {
        Err(error) => return access_failed(&sync.ctx, tenant, error).await,
        Ok(Err(GumroadError::NotFound { .. })) => {
            webhooks::settle_deliveries(pool, tenant, sale_id, "not_found").await?;
            return Ok(Outcome::Done);
        }
        Ok(Err(error)) => {
            let failure = sync.after_failure(claim, tenant, &error).await?;
            return job_outcome(sync, claim, failure).await;
        }
        Ok(Ok(sale)) => sale,
    };
    let seller = sale.json.get("seller_id").and_then(|s| s.as_str());
    let ours = store::creators::gumroad_external_id(pool, tenant).await?;
    if sale.id != sale_id || (seller.is_some() && ours.is_some() && seller != ours.as_deref()) {
        webhooks::settle_deliveries(pool, tenant, sale_id, "not_found").await?;
        return Ok(Outcome::Done);
    }
    let mut tx = pool.begin().await?;
    let zone = window::creator_zone(&mut tx, tenant, std::slice::from_ref(&sale)).await?;
    let record = SaleRecord::from_gumroad(&sale.id, sale.created_at, sale.json.clone(), zone);
    let written = store::sales::upsert(&mut tx, tenant, &[record]).await?;
    let changed = written.inserted + written.updated > 0;
    settle_fetched(tx, tenant, sale_id, changed).await
}

/// Settles the pings that named `object_id` as `updated` or `unchanged` and commits the
/// transaction that stored what was fetched.
pub(super) async fn settle_fetched(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    tenant: TenantId,
    object_id: &str,
    changed: bool,
) -> Result<Outcome, sqlx::Error> {
    let outcome = if changed { "updated" } else { "unchanged" };
    webhooks::settle_deliveries(&mut *tx, tenant, object_id, outcome).await?;
    tx.commit().await?;
    Ok(Outcome::Done)
}
