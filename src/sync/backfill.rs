//! Planning a backfill: where does the history start, and how is it cut into windows?

use chrono::{Duration, NaiveDate, Utc};

use super::{Failure, SyncHandler, access_failed, window};
use crate::domain::TenantId;
use crate::gumroad::SalesQuery;
use crate::jobs::{Claim, Job, Outcome, Queue};
use crate::store::{self, sync::Purpose};

/// Gumroad opened in 2011: no sale is older.
fn earliest_possible_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2011, 1, 1).expect("a valid date")
}

/// Windows a history is first cut into (dense ones split further while they are walked).
const INITIAL_WINDOWS: i64 = 8;

pub(super) async fn plan(
    sync: &SyncHandler,
    claim: &Claim,
    tenant: TenantId,
) -> Result<Outcome, sqlx::Error> {
    // `before` is exclusive and in UTC days: two days ahead covers every sale made until now,
    // whatever the clocks' skew.
    let end = Utc::now().date_naive() + Duration::days(2);
    let start = match find_history_start(sync, tenant, end).await {
        Ok(start) => start,
        Err(Stopped::Access(error)) => return access_failed(&sync.ctx, tenant, error).await,
        Err(Stopped::Gumroad(error)) => {
            return match sync.after_failure(claim, tenant, &error).await? {
                Failure::Stop => Ok(Outcome::Done),
                Failure::Postpone(pause) => sync.postpone(claim, pause).await,
                Failure::Retry(pause, words) => Ok(Outcome::RetryIn(pause, words)),
                Failure::Park(words) => Ok(Outcome::GiveUp(words)),
            };
        }
    };
    let mut tx = sync.ctx.pool.begin().await?;
    if let Some(start) = start {
        for (index, (after, before)) in cut(start, end, INITIAL_WINDOWS).into_iter().enumerate() {
            let id = store::sync::create_window(&mut *tx, tenant, Purpose::Backfill, after, before)
                .await?;
            let job = Job::SyncWindow {
                creator: tenant,
                window: id,
            };
            // The newest window first: the sales list fills from the top within seconds.
            let priority = if index == 0 {
                window::NEWEST_PRIORITY
            } else {
                window::OLDER_PRIORITY
            };
            Queue::enqueue_with(&mut *tx, &job, Some(priority), None).await?;
        }
    }
    store::sync::backfill_planned(&mut *tx, tenant, start).await?;
    store::sync::finish_backfill_if_complete(&mut *tx, tenant).await?;
    if !claim
        .finish_in(&mut tx, &Outcome::Done, sync.queue.settings())
        .await?
    {
        return Ok(Outcome::Committed);
    }
    tx.commit().await?;
    tracing::info!(%tenant, ?start, "backfill planned");
    Ok(Outcome::Committed)
}

enum Stopped {
    Access(crate::context::AccessError),
    Gumroad(crate::gumroad::GumroadError),
}

/// The first day with a sale, or `None` when there is none: a binary search over `before=`, one
/// request (one page of at most 10 sales) per probe, about 13 for fifteen years.
async fn find_history_start(
    sync: &SyncHandler,
    tenant: TenantId,
    end: NaiveDate,
) -> Result<Option<NaiveDate>, Stopped> {
    let has_sales_before = async |day: NaiveDate| -> Result<bool, Stopped> {
        let query = SalesQuery {
            before: Some(day),
            ..SalesQuery::default()
        };
        let page = sync
            .gumroad(tenant, async |api, token| api.sales(token, &query).await)
            .await
            .map_err(Stopped::Access)?
            .map_err(Stopped::Gumroad)?;
        Ok(!page.sales.is_empty())
    };
    if !has_sales_before(end).await? {
        return Ok(None);
    }
    // Invariant: no sale before `low`... is not known; sales exist before `high`.
    let (mut low, mut high) = (earliest_possible_day(), end);
    while (high - low).num_days() > 1 {
        let middle = low + Duration::days((high - low).num_days() / 2);
        if has_sales_before(middle).await? {
            high = middle;
        } else {
            low = middle;
        }
    }
    // Sales exist before `high` but not before `low` = high - 1: the first is on `low`.
    Ok(Some(low))
}

/// `[start, end)` cut into at most `count` windows of whole days, newest first.
pub(super) fn cut(start: NaiveDate, end: NaiveDate, count: i64) -> Vec<(NaiveDate, NaiveDate)> {
    let days = (end - start).num_days().max(1);
    let count = count.clamp(1, days);
    let mut windows = Vec::with_capacity(count as usize);
    let mut before = end;
    for index in 0..count {
        let remaining_windows = count - index;
        let remaining_days = (before - start).num_days();
        let after = before - Duration::days(remaining_days / remaining_windows);
        windows.push((after, before));
        before = after;
    }
    windows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn windows_cover_the_range_exactly_newest_first() {
        let windows = cut(day("2025-01-01"), day("2026-02-05"), 8);
        assert_eq!(windows.len(), 8);
        assert_eq!(windows[0].1, day("2026-02-05"));
        assert_eq!(windows[7].0, day("2025-01-01"));
        for pair in windows.windows(2) {
            assert_eq!(pair[0].0, pair[1].1, "no gap, no overlap");
            assert!(pair[0].0 < pair[0].1);
        }
    }

    #[test]
    fn a_short_history_gets_one_window_a_day_at_most() {
        let windows = cut(day("2026-01-01"), day("2026-01-03"), 8);
        assert_eq!(
            windows,
            vec![
                (day("2026-01-02"), day("2026-01-03")),
                (day("2026-01-01"), day("2026-01-02"))
            ]
        );
    }
}
