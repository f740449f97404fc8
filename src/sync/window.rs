//! Walking one window of a creator's sales: each page written with its checkpoint and the job's lease
//! or next step in one transaction, so a killed worker resumes at the page it was on and a page is
//! never stored twice.

use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;

use super::{Failure, SyncHandler, access_failed};
use crate::context::CreatorApi;
use crate::domain::{SaleRecord, TenantId, utc_offset_from_daystamp, zone_for_offset};
use crate::gumroad::{GumroadError, Sale, SalesPage, SalesQuery};
use crate::jobs::{Claim, Job, Lease, Outcome, Queue};
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

/// A run walks pages for about this long, then hands the window back to the queue (the next run may
/// be another worker's): work of other kinds and other creators waiting for a worker gets one, and
/// the walk is claimed afresh as the queue's rules say (a disabled creator's is not).
const RUN_SLICE: std::time::Duration = std::time::Duration::from_secs(2);

/// Walks the window page after page for one [`RUN_SLICE`]. Each page is written with its checkpoint
/// and the job's lease in one transaction; meanwhile the next page is already being fetched (its key
/// is in the page being written), so a page costs the longer of Gumroad's answer and the write, not
/// their sum. A page fetched for a walk that then stops (the lease or the window moved on) is dropped.
pub(super) async fn walk(
    sync: &SyncHandler,
    claim: &Claim,
    tenant: TenantId,
    id: i64,
) -> Result<Outcome, sqlx::Error> {
    let Some(mut window) = store::sync::window(&sync.ctx.pool, tenant, id).await? else {
        return Ok(Outcome::Done);
    };
    if window.state != "pending" {
        return Ok(Outcome::Done);
    }
    let started = std::time::Instant::now();
    // The token is opened once for the run's pages (a revoked one fails the next call anyway).
    let api = match sync.ctx.creator_api(tenant).await {
        Ok(api) => api,
        Err(error) => return access_failed(&sync.ctx, tenant, error).await,
    };
    let mut fetched = fetch(&api, &window).await;
    // Each page after a stored one counts its failures afresh (see `Claim::next_step`).
    let mut step = claim.clone();
    loop {
        let page = match fetched {
            Err(error) => {
                let outcome = failed(sync, &step, tenant, &window, &error).await;
                return end_step(sync, claim, &step, outcome).await;
            }
            Ok(page) => page,
        };
        let next = after_page(&window, &page);
        let go_on = next.state == "pending" && started.elapsed() < RUN_SLICE;
        let (stored, prefetched) = tokio::join!(
            write_page(sync, &step, tenant, &window, &page, go_on),
            async {
                match go_on {
                    true => Some(fetch(&api, &next).await),
                    false => None,
                }
            }
        );
        let stored = match stored {
            Ok(stored) => stored,
            Err(error) => {
                let outcome = Ok(sync.database_failed(&step, &error).await);
                return end_step(sync, claim, &step, outcome).await;
            }
        };
        match (stored, prefetched) {
            (Walk::GoesOn, Some(prefetched)) => {
                window = next;
                fetched = prefetched;
                step = claim.next_step();
            }
            (Walk::Ended(outcome), _) => return Ok(outcome),
            // Not reached: a page stored without a next one in flight ends the run.
            (Walk::GoesOn, None) => return Ok(Outcome::Committed),
        }
    }
}

/// A run's outcome, recorded with the step's attempts: after a stored page they are not the
/// claim's (the worker would record it with the claim's, and a failure after twenty good pages would
/// count the first page's failed attempts too).
async fn end_step(
    sync: &SyncHandler,
    claim: &Claim,
    step: &Claim,
    outcome: Result<Outcome, sqlx::Error>,
) -> Result<Outcome, sqlx::Error> {
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(error) => sync.database_failed(step, &error).await,
    };
    if step.attempts == claim.attempts || matches!(outcome, Outcome::Committed) {
        return Ok(outcome);
    }
    sync.queue.finish(step, outcome).await?;
    Ok(Outcome::Committed)
}

/// One page of the window at its cursor, within the shared request budget.
async fn fetch(api: &CreatorApi<'_>, window: &Window) -> Result<SalesPage, GumroadError> {
    let query = SalesQuery {
        after: Some(window.after),
        before: Some(window.before),
        page_key: window.page_key.clone(),
        ..SalesQuery::default()
    };
    // Background work's client waits for the shared budget before each request it sends.
    api.call(async |client, token| client.sales(token, &query).await)
        .await
}

/// The window as it will be once `page` is stored: the next cursor, or done; a dense window's range
/// already narrowed by its split ([`split_point`]), so the next page is asked for the range it keeps.
fn after_page(window: &Window, page: &SalesPage) -> Window {
    let mut next = window.clone();
    next.pages += 1;
    next.page_key = page.next_page_key.clone();
    if page.next_page_key.is_none() {
        next.state = "done".into();
    } else if let Some(split_at) = page
        .sales
        .last()
        .and_then(|oldest| split_point(window, oldest.created_at.date_naive()))
    {
        next.after = split_at;
    }
    next
}

/// What became of the walk after a page was stored.
enum Walk {
    /// The page is stored and this run still holds the window: it may store the next one.
    GoesOn,
    /// The run is over, and this is how the job ends: `Committed` when the page's transaction
    /// already finished it (the window done, or handed back to the queue) or another worker has it.
    Ended(Outcome),
}

/// Writes one page with the window's checkpoint and the job's state in one transaction: the lease
/// kept (`go_on`) or the job finished (the window done) or handed back to the queue.
async fn write_page(
    sync: &SyncHandler,
    claim: &Claim,
    tenant: TenantId,
    walked: &Window,
    page: &SalesPage,
    go_on: bool,
) -> Result<Walk, sqlx::Error> {
    let id = walked.id;
    let mut tx = sync.ctx.pool.begin().await?;
    store::sync::commit_without_waiting_for_disk(&mut tx).await?;
    // Another run of this window (a lease that ran out) may have moved on meanwhile.
    let Some(window) = store::sync::lock_window(&mut tx, tenant, id).await? else {
        return Ok(Walk::Ended(Outcome::Done));
    };
    if window.state != "pending" || window.page_key != walked.page_key {
        return Ok(Walk::Ended(Outcome::Done));
    }
    let done = page.next_page_key.is_none();
    store::sync::checkpoint(
        &mut *tx,
        tenant,
        id,
        Checkpoint {
            next_page_key: page.next_page_key.as_deref(),
            done,
            sales: page.sales.len() as i32,
            reached_at: page.sales.iter().map(|s| s.created_at).min(),
        },
    )
    .await?;
    if !done && let Some(oldest) = page.sales.last() {
        split_if_dense(&mut tx, tenant, &window, oldest.created_at.date_naive()).await?;
    }
    // The sales last: their rollup triggers lock the creator's all-time totals row, which every
    // other window's page also writes, so it is held only from here to the commit.
    store_page(&mut tx, tenant, &page.sales).await?;
    let mut walk = Walk::Ended(Outcome::Committed);
    let outcome = if done {
        finish_window(&mut tx, tenant, &window).await?;
        Outcome::Done
    } else if go_on {
        match claim.keep_in(&mut tx, sync.queue.settings()).await? {
            Lease::Kept => {
                walk = Walk::GoesOn;
                Outcome::Committed
            }
            Lease::HandBack => Outcome::Continue(claim.job.clone()),
            // Our lease ran out and another worker has this job: leave the page to it.
            Lease::Lost => return Ok(Walk::Ended(Outcome::Committed)),
        }
    } else {
        Outcome::Continue(claim.job.clone())
    };
    if !claim
        .finish_in(&mut tx, &outcome, sync.queue.settings())
        .await?
    {
        return Ok(Walk::Ended(Outcome::Committed));
    }
    tx.commit().await?;
    Ok(walk)
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
    // is seen by it (and its re-dating job then runs after this page is stored). While no zone is
    // known (the backfill's first pages, several at once), a page that can derive one locks the row
    // for that update from the start instead: two pages holding it shared and then both updating it
    // would deadlock. Once a zone is derived, pages share the lock again and run side by side.
    let derivable = sales.iter().find_map(derived_zone);
    let unknown =
        derivable.is_some() && store::creators::time_zone(&mut *tx, tenant).await?.1 == "default";
    let (name, source) = if unknown {
        store::creators::time_zone_for_update(&mut *tx, tenant).await?
    } else {
        store::creators::time_zone_for_share(&mut *tx, tenant).await?
    };
    if source == "default"
        && let Some(zone) = derivable
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

/// Where a dense window (one that needed [`PAGES_BEFORE_SPLIT`] pages and still has a whole day or
/// more to go after the day that `reached` is in) hands its older half (by days) to a new window, walked
/// in parallel. A single dense day cannot be split: Gumroad's date filters are whole days.
fn split_point(window: &Window, reached: NaiveDate) -> Option<NaiveDate> {
    // A sale dated outside its window (it should not happen) must not move the split outside it.
    let reached = reached.clamp(window.after, window.before - Duration::days(1));
    let remaining_days = (reached - window.after).num_days();
    if window.pages + 1 < PAGES_BEFORE_SPLIT || remaining_days < 1 {
        return None;
    }
    // Down to the last whole day before the one being walked: the shorter the windows at the end,
    // the sooner the last of them is done.
    Some(window.after + Duration::days((remaining_days / 2).max(1)))
}

async fn split_if_dense(
    tx: &mut sqlx::PgConnection,
    tenant: TenantId,
    window: &Window,
    reached: NaiveDate,
) -> Result<(), sqlx::Error> {
    let Some(split_at) = split_point(window, reached) else {
        return Ok(());
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn window(after: &str, before: &str, pages: i32) -> Window {
        Window {
            id: 1,
            purpose: Purpose::Backfill,
            after: day(after),
            before: day(before),
            page_key: Some("key".into()),
            state: "pending".into(),
            pages,
        }
    }

    #[test]
    fn a_dense_window_hands_its_older_half_away_down_to_a_single_day() {
        let wide = window("2026-01-01", "2026-02-01", 2);
        assert_eq!(
            split_point(&wide, day("2026-01-21")),
            Some(day("2026-01-11"))
        );
        // One whole day before the one being walked still goes to a window of its own.
        let short = window("2026-01-01", "2026-01-03", 2);
        assert_eq!(
            split_point(&short, day("2026-01-02")),
            Some(day("2026-01-02"))
        );
        // The walk is in the window's oldest day: nothing left to hand away.
        assert_eq!(split_point(&short, day("2026-01-01")), None);
        // Not dense yet.
        assert_eq!(
            split_point(&window("2026-01-01", "2026-02-01", 1), day("2026-01-21")),
            None
        );
    }

    #[test]
    fn a_sale_outside_the_window_never_moves_the_split_outside_it() {
        let walked = window("2026-01-01", "2026-01-05", 2);
        let split = split_point(&walked, day("2027-01-01")).unwrap();
        assert!(walked.after < split && split < walked.before);
        assert_eq!(split_point(&walked, day("2020-01-01")), None);
    }
}
