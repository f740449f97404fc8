//! Walking one window of a creator's sales: one page per run, written with its checkpoint and the
//! job's next step in one transaction, so a killed worker resumes at the page it was on and a page is
//! never stored twice.

use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;

use super::{Failure, SyncHandler, access_failed};
use crate::domain::{SaleRecord, TenantId, utc_offset_from_daystamp, zone_for_offset};
use crate::gumroad::{Sale, SalesQuery};
use crate::jobs::{Claim, Job, Outcome, Queue};
use crate::store::{
    self,
    sync::{Checkpoint, Purpose, Window},
};

/// The window holding the newest sales, and incremental syncs: what the creator is waiting to see.
pub(super) const NEWEST_PRIORITY: i16 = 2;
pub(super) const OLDER_PRIORITY: i16 = 3;

/// A window that needed this many pages is dense: its older half goes to a new window.
const PAGES_BEFORE_SPLIT: i32 = 3;

pub(super) fn priority(window: &Window) -> i16 {
    match window.purpose {
        Purpose::Incremental => NEWEST_PRIORITY,
        Purpose::Backfill => OLDER_PRIORITY,
        Purpose::Reconcile => OLDER_PRIORITY + 1,
    }
}

pub(super) async fn walk_page(
    sync: &SyncHandler,
    claim: &Claim,
    tenant: TenantId,
    id: i64,
) -> Result<Outcome, sqlx::Error> {
    let pool = &sync.ctx.pool;
    let Some(window) = store::sync::window(pool, tenant, id).await? else {
        return Ok(Outcome::Done);
    };
    if window.state != "pending" {
        return Ok(Outcome::Done);
    }
    let query = SalesQuery {
        after: Some(window.after),
        before: Some(window.before),
        page_key: window.page_key.clone(),
        ..SalesQuery::default()
    };
    let page = match sync
        .gumroad(tenant, async |api, token| api.sales(token, &query).await)
        .await
    {
        Err(error) => return access_failed(&sync.ctx, tenant, error).await,
        Ok(Err(error)) => return failed(sync, claim, tenant, &window, &error).await,
        Ok(Ok(page)) => page,
    };

    let mut tx = pool.begin().await?;
    store::sync::commit_without_waiting_for_disk(&mut tx).await?;
    // Another run of this window (a lease that ran out) may have moved on meanwhile.
    let Some(window) = store::sync::lock_window(&mut tx, tenant, id).await? else {
        return Ok(Outcome::Done);
    };
    if window.state != "pending" || window.page_key != query.page_key {
        return Ok(Outcome::Done);
    }
    let stored = store_page(&mut tx, tenant, &page.sales).await?;
    let done = page.next_page_key.is_none();
    store::sync::checkpoint(
        &mut *tx,
        tenant,
        id,
        Checkpoint {
            next_page_key: page.next_page_key.as_deref(),
            done,
            sales: stored as i32,
            reached_at: page.sales.iter().map(|s| s.created_at).min(),
        },
    )
    .await?;
    let outcome = if done {
        finish_window(&mut tx, tenant, &window).await?;
        Outcome::Done
    } else {
        if let Some(oldest) = page.sales.last() {
            split_if_dense(&mut tx, tenant, &window, oldest.created_at.date_naive()).await?;
        }
        Outcome::Continue(claim.job.clone())
    };
    if !claim
        .finish_in(&mut tx, &outcome, sync.queue.settings())
        .await?
    {
        // Our lease ran out and another worker has this job: leave the page to it.
        return Ok(Outcome::Committed);
    }
    tx.commit().await?;
    Ok(Outcome::Committed)
}

/// Gumroad's sales as the mirror keeps them: dated in the creator's zone (derived from these sales
/// while none is known), written through the one upsert. Every page of every window goes through
/// here, and so does a history seeded in bulk ([`super::bulk`]), which is why the two write the same
/// rows. Returns how many sales it wrote.
pub(super) async fn store_page(
    tx: &mut sqlx::PgConnection,
    tenant: TenantId,
    sales: &[Sale],
) -> Result<usize, sqlx::Error> {
    let zone = creator_zone(&mut *tx, tenant, sales).await?;
    let records: Vec<SaleRecord> = sales
        .iter()
        .map(|sale| SaleRecord::from_gumroad(&sale.id, sale.created_at, sale.json.clone(), zone))
        .collect();
    store::sales::upsert(&mut *tx, tenant, &records).await?;
    Ok(records.len())
}

/// The creator's zone; while none is known, derived from the page's first sale with a daystamp (and
/// every stored sale re-dated to it by a job).
pub(super) async fn creator_zone(
    tx: &mut sqlx::PgConnection,
    tenant: TenantId,
    sales: &[Sale],
) -> Result<Tz, sqlx::Error> {
    // Shares the creator row's lock with a zone change, so a change either waits for this page or
    // is seen by it (and its re-dating job then runs after this page is stored).
    let (name, source) = store::creators::time_zone_for_share(&mut *tx, tenant).await?;
    if source == "default"
        && let Some(zone) = sales.iter().find_map(derived_zone)
        && store::creators::set_derived_time_zone(&mut *tx, tenant, zone.name()).await?
    {
        let redate = Job::RedateSales {
            creator: tenant,
            zone: zone.name().to_owned(),
        };
        Queue::enqueue(&mut *tx, &redate).await?;
        return Ok(zone);
    }
    Ok(name.parse().unwrap_or(Tz::UTC))
}

fn derived_zone(sale: &Sale) -> Option<Tz> {
    let daystamp = sale.json.get("daystamp")?.as_str()?;
    zone_for_offset(utc_offset_from_daystamp(sale.created_at, daystamp)?)
}

/// A window that needs many pages hands its older half (by days) to a new window, walked in parallel.
/// A single dense day cannot be split: Gumroad's date filters are whole days.
async fn split_if_dense(
    tx: &mut sqlx::PgConnection,
    tenant: TenantId,
    window: &Window,
    reached: NaiveDate,
) -> Result<(), sqlx::Error> {
    // A sale dated outside its window (it should not happen) must not move the split outside it.
    let reached = reached.clamp(window.after, window.before - Duration::days(1));
    let remaining_days = (reached - window.after).num_days();
    if window.pages + 1 < PAGES_BEFORE_SPLIT || remaining_days < 2 {
        return Ok(());
    }
    let split_at = window.after + Duration::days(remaining_days / 2);
    let new_id = store::sync::split_window(&mut *tx, tenant, window, split_at).await?;
    let job = Job::SyncWindow {
        creator: tenant,
        window: new_id,
    };
    Queue::enqueue_with(&mut *tx, &job, Some(priority(window)), None).await?;
    Ok(())
}

async fn finish_window(
    tx: &mut sqlx::PgConnection,
    tenant: TenantId,
    window: &Window,
) -> Result<(), sqlx::Error> {
    match window.purpose {
        Purpose::Backfill => {
            if store::sync::finish_backfill_if_complete(&mut *tx, tenant).await? {
                // Sales made while the history was walked are newer than the newest window's
                // first page: catch up at once rather than at the next scheduled sync.
                let catch_up = Job::SyncRecent {
                    creator: tenant,
                    reconcile: false,
                };
                Queue::enqueue(&mut *tx, &catch_up).await?;
            }
        }
        Purpose::Incremental | Purpose::Reconcile => {
            store::sync::delete_window(&mut *tx, tenant, window.id).await?;
            store::sync::record_success(&mut *tx, tenant, window.purpose == Purpose::Reconcile)
                .await?;
        }
    }
    Ok(())
}

async fn failed(
    sync: &SyncHandler,
    claim: &Claim,
    tenant: TenantId,
    window: &Window,
    error: &crate::gumroad::GumroadError,
) -> Result<Outcome, sqlx::Error> {
    match sync.after_failure(claim, tenant, error).await? {
        Failure::Stop => Ok(Outcome::Done),
        Failure::Postpone(pause) => sync.postpone(claim, pause).await,
        Failure::Retry(pause, words) => Ok(Outcome::RetryIn(pause, words)),
        Failure::Park(words) => {
            let mut tx = sync.ctx.pool.begin().await?;
            store::sync::park_window(&mut *tx, tenant, window.id, &words).await?;
            if claim
                .finish_in(&mut tx, &Outcome::Done, sync.queue.settings())
                .await?
            {
                tx.commit().await?;
            }
            Ok(Outcome::Committed)
        }
    }
}
