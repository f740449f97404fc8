//! Incremental sync (new sales since the high-water mark) and reconciliation (the last days again):
//! each is one window walked like a backfill window.

use chrono::{Duration, Utc};

use super::{SyncHandler, window};
use crate::domain::TenantId;
use crate::jobs::{Job, Outcome, Queue};
use crate::store::{self, sync::Purpose};

pub(super) async fn start(
    sync: &SyncHandler,
    tenant: TenantId,
    reconcile: bool,
) -> Result<Outcome, sqlx::Error> {
    let pool = &sync.ctx.pool;
    if !reconcile {
        super::profile::refresh_if_stale(sync, tenant).await?;
        // Subscribers change without a sale (cancellations, failed charges): walk them too.
        let walk = Job::SyncSubscribers {
            creator: tenant,
            walk: None,
        };
        Queue::enqueue(pool, &walk).await?;
    }
    let purpose = if reconcile {
        Purpose::Reconcile
    } else {
        Purpose::Incremental
    };
    // One at a time: an open window of this kind is walked (its job enqueued again, in case it
    // was lost) instead of starting another.
    let open: Vec<_> = store::sync::open_windows(pool, tenant)
        .await?
        .into_iter()
        .filter(|w| w.purpose == purpose && w.state == "pending")
        .collect();
    if !open.is_empty() {
        for window in open {
            let job = Job::SyncWindow {
                creator: tenant,
                window: window.id,
            };
            Queue::enqueue_with(pool, &job, Some(window::priority(&window)), None).await?;
        }
        return Ok(Outcome::Done);
    }
    let today = Utc::now().date_naive();
    let after = if reconcile {
        today - Duration::days(sync.settings.reconcile_days)
    } else {
        // `after` is a whole UTC day: start the day before the newest stored sale, so nothing made
        // around midnight or stored out of order is missed.
        store::sales::newest_sale_at(pool, tenant)
            .await?
            .map_or(today, |newest| newest.date_naive())
            - Duration::days(1)
    };
    let before = today + Duration::days(2);
    let mut tx = pool.begin().await?;
    // Windows of this kind set aside earlier are covered by the new one (or by reconciliation).
    store::sync::delete_parked(&mut *tx, tenant, purpose).await?;
    let id = store::sync::create_window(&mut *tx, tenant, purpose, after, before).await?;
    let priority = if reconcile {
        window::OLDER_PRIORITY + 1
    } else {
        window::NEWEST_PRIORITY
    };
    let job = Job::SyncWindow {
        creator: tenant,
        window: id,
    };
    Queue::enqueue_with(&mut *tx, &job, Some(priority), None).await?;
    tx.commit().await?;
    Ok(Outcome::Done)
}
