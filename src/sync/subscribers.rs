//! The subscribers mirror: a walk of each membership product's active subscribers (Gumroad lists
//! only active ones), then a fetch of each subscriber that the walk no longer saw (it stopped) or
//! that the sales mirror knows but this one does not; and the fetch-back of a subscriber a
//! subscription ping named (`cancellation`, `subscription_updated`, `subscription_ended`,
//! `subscription_restarted`). Every write goes through `store::subscribers::upsert`, idempotent.
//!
//! Which products are memberships: Gumroad's product list (tiered memberships and products with a
//! subscription duration) and, beside it, the products the mirrors saw subscriptions of (a deleted
//! product's subscribers still pay).

use chrono::{DateTime, Utc};

use super::{SyncHandler, access_failed};
use crate::domain::TenantId;
use crate::gumroad::{GumroadError, Subscriber};
use crate::jobs::{Claim, Job, Outcome, Queue, SubscriberWalk};
use crate::store::{self, subscribers::SubscriberRecord, webhooks};

/// Subscribers fetched on their own after one walk, at most (the next walk picks up the rest).
const REFRESH_AFTER_WALK: i64 = 200;

/// One step of a walk: at the start, find the membership products; then one page of the first
/// product; at the end, enqueue the fetches of subscribers the walk did not see.
pub(super) async fn walk(
    sync: &SyncHandler,
    claim: &Claim,
    tenant: TenantId,
    walk: Option<&SubscriberWalk>,
) -> Result<Outcome, sqlx::Error> {
    let Some(walk) = walk else {
        return start(sync, claim, tenant).await;
    };
    let Some(product) = walk.products.first() else {
        return finish(sync, tenant, walk).await;
    };
    let page = match sync
        .gumroad(tenant, async |api, token| {
            api.subscribers_page(token, product, walk.page_key.as_deref())
                .await
        })
        .await
    {
        Err(error) => return access_failed(&sync.ctx, tenant, error).await,
        // A product gone from Gumroad (or not this creator's): nothing to list.
        Ok(Err(GumroadError::NotFound { .. })) => None,
        Ok(Err(error)) => return failed(sync, claim, tenant, &error).await,
        Ok(Ok(page)) => Some(page),
    };
    let mut next = walk.clone();
    match page {
        Some(page) => {
            let records: Vec<SubscriberRecord> = page
                .subscribers
                .into_iter()
                .map(|s| record(s, Some(product)))
                .collect();
            let mut tx = sync.ctx.pool.begin().await?;
            store::subscribers::upsert(&mut tx, tenant, &records).await?;
            tx.commit().await?;
            match page.next_page_key {
                Some(key) => next.page_key = Some(key),
                None => {
                    next.products.remove(0);
                    next.page_key = None;
                }
            }
        }
        None => {
            next.products.remove(0);
            next.page_key = None;
        }
    }
    Ok(Outcome::Continue(Job::SyncSubscribers {
        creator: tenant,
        walk: Some(next),
    }))
}

async fn start(
    sync: &SyncHandler,
    claim: &Claim,
    tenant: TenantId,
) -> Result<Outcome, sqlx::Error> {
    let started_at = Utc::now();
    let listed = match sync
        .gumroad(tenant, async |api, token| api.products(token).await)
        .await
    {
        Err(error) => return access_failed(&sync.ctx, tenant, error).await,
        Ok(Err(error)) => return failed(sync, claim, tenant, &error).await,
        Ok(Ok(products)) => products,
    };
    let mut products: Vec<String> = listed
        .into_iter()
        .filter(|p| p.is_tiered_membership || p.subscription_duration.is_some())
        .map(|p| p.id)
        .collect();
    for known in store::subscribers::membership_products(&sync.ctx.pool, tenant).await? {
        if !products.contains(&known) {
            products.push(known);
        }
    }
    Ok(Outcome::Continue(Job::SyncSubscribers {
        creator: tenant,
        walk: Some(SubscriberWalk {
            started_at: started_at.timestamp_micros(),
            products,
            page_key: None,
        }),
    }))
}

async fn finish(
    sync: &SyncHandler,
    tenant: TenantId,
    walk: &SubscriberWalk,
) -> Result<Outcome, sqlx::Error> {
    let started = DateTime::from_timestamp_micros(walk.started_at).unwrap_or_else(Utc::now);
    let mut tx = sync.ctx.pool.begin().await?;
    let stale =
        store::subscribers::needing_refresh(&mut *tx, tenant, started, REFRESH_AFTER_WALK).await?;
    for subscriber_id in stale {
        Queue::enqueue(
            &mut *tx,
            &Job::RefreshSubscriber {
                creator: tenant,
                subscriber_id,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Outcome::Done)
}

/// Fetches one subscriber with the creator's own token and stores it. Gumroad not knowing it (or it
/// being another seller's) changes nothing; the pings that named it say so.
pub(super) async fn refresh(
    sync: &SyncHandler,
    claim: &Claim,
    tenant: TenantId,
    subscriber_id: &str,
) -> Result<Outcome, sqlx::Error> {
    let pool = &sync.ctx.pool;
    let subscriber = match sync
        .gumroad(tenant, async |api, token| {
            api.subscriber(token, subscriber_id).await
        })
        .await
    {
        Err(error) => return access_failed(&sync.ctx, tenant, error).await,
        Ok(Err(GumroadError::NotFound { .. })) => {
            webhooks::settle_deliveries(pool, tenant, subscriber_id, "not_found").await?;
            return Ok(Outcome::Done);
        }
        Ok(Err(error)) => return failed(sync, claim, tenant, &error).await,
        Ok(Ok(subscriber)) => subscriber,
    };
    if subscriber.id != subscriber_id {
        webhooks::settle_deliveries(pool, tenant, subscriber_id, "not_found").await?;
        return Ok(Outcome::Done);
    }
    let mut tx = pool.begin().await?;
    let written = store::subscribers::upsert(&mut tx, tenant, &[record(subscriber, None)]).await?;
    let changed = written.inserted + written.updated > 0;
    super::pings::settle_fetched(tx, tenant, subscriber_id, changed).await
}

/// A Gumroad failure, handled like the sync's (stop after a 401, wait after a 429, retry 5xx).
async fn failed(
    sync: &SyncHandler,
    claim: &Claim,
    tenant: TenantId,
    error: &GumroadError,
) -> Result<Outcome, sqlx::Error> {
    let failure = sync.after_failure(claim, tenant, error).await?;
    super::pings::job_outcome(sync, claim, failure).await
}

/// What to store; the product id comes from the list it was read from when Gumroad leaves it out.
fn record(subscriber: Subscriber, listed_under: Option<&str>) -> SubscriberRecord {
    let mut raw = subscriber.json;
    // `raw` keeps everything but the buyer's data, which has its own columns.
    if let Some(object) = raw.as_object_mut() {
        object.remove("email");
        object.remove("user_email");
    }
    SubscriberRecord {
        product_id: subscriber
            .product_id
            .or_else(|| listed_under.map(str::to_owned))
            .unwrap_or_default(),
        product_name: subscriber.product_name.unwrap_or_default(),
        gumroad_id: subscriber.id,
        email: subscriber.email,
        user_id: subscriber.user_id,
        user_email: subscriber.user_email,
        purchase_ids: subscriber.purchase_ids,
        created_at: subscriber.created_at.unwrap_or_else(Utc::now),
        user_requested_cancellation_at: subscriber.user_requested_cancellation_at,
        cancelled_at: subscriber.cancelled_at,
        ended_at: subscriber.ended_at,
        failed_at: subscriber.failed_at,
        free_trial_ends_at: subscriber.free_trial_ends_at,
        charge_occurrence_count: subscriber.charge_occurrence_count,
        recurrence: subscriber.recurrence,
        status: subscriber.status,
        license_key: subscriber.license_key,
        raw,
    }
}
