//! The background job queue, in PostgreSQL so that every instance on one database shares the work.
//!
//! Our own lease-based table (design.md compares it with graphile_worker): jobs are enqueued in the same
//! transaction as the write that causes them, de-duplicated by key while pending or running, claimed with
//! `FOR UPDATE SKIP LOCKED` for a lease (no transaction is held through slow Gumroad calls), retried with
//! exponential back-off, and kept with their error when they fail for good. A crashed instance's jobs come
//! back when their lease runs out. Only this design can hold one Gumroad request budget across all
//! instances ([`budget`]) and cap each creator's running jobs so creators share it fairly.
//!
//! This module knows nothing of Gumroad: `sync` says what each [`Job`] does.

pub mod budget;
mod queue;
mod worker;

pub use budget::RequestBudget;
pub use queue::{Claim, Lease, Queue, QueueSettings};
pub use worker::{JobHandler, WorkerPool, run_pending_jobs};

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::domain::TenantId;

/// Every kind of background work. Stored as JSON tagged by `kind`; dispatch is an exhaustive `match`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Runs every minute on one instance: enqueues the syncs that are due and the hourly sweep.
    Schedule,
    /// The hourly sweep: expired sessions, ping deliveries beyond what is kept, and jobs failed for
    /// good long ago (the name predates the last two; it is the job's kind in the queue).
    SweepSessions,
    /// Finds where a creator's sales history starts and splits it into windows.
    PlanBackfill { creator: TenantId },
    /// Walks one window of a creator's sales, checkpointing the cursor after every page (a run walks
    /// a couple of seconds' worth of pages, then hands the window back to the queue).
    SyncWindow { creator: TenantId, window: i64 },
    /// New sales since the high-water mark (`reconcile: false`) or the last 30 days again (`true`).
    SyncRecent { creator: TenantId, reconcile: bool },
    /// The creator's time zone changed (to `zone`): every sale's day (and so the rollups) follows
    /// it. The zone is part of the key, so a change made while a re-dating runs gets its own run.
    RedateSales { creator: TenantId, zone: String },
    /// Subscribes the creator's ping URL to Gumroad's eight resources (after sign-in, "Repair").
    SubscribePings { creator: TenantId },
    /// Deletes the creator's webhook subscriptions at Gumroad, best effort (after "Sign out
    /// everywhere": nothing more arrives until they sign in again, which subscribes anew).
    UnsubscribePings { creator: TenantId },
    /// A ping named this sale (`resource`: `sale`, `refund`, `dispute`, `dispute_won`): fetch it back
    /// with the creator's token and store it. One pending job per sale and resource, so duplicated
    /// and retried pings add nothing.
    FetchSale {
        creator: TenantId,
        sale_id: String,
        resource: String,
    },
    /// Re-seals every stored token under `key_id` (the operator's "Rotate now": the first key of the
    /// ring of the instance where it was pressed). Only a worker whose ring starts with that key runs
    /// it: one still sealing with the old key would otherwise rotate back to it.
    RotateKeys { key_id: String },
    /// Walks the active subscribers of each of the creator's membership products, a page per run;
    /// the walk's position is this payload (`walk`, absent at the start), so a crashed run repeats
    /// one page, whose upsert is idempotent.
    SyncSubscribers {
        creator: TenantId,
        #[serde(default)]
        walk: Option<SubscriberWalk>,
    },
    /// Fetches one subscriber on its own (a subscription ping named it, or a walk found it gone from
    /// the active list) and stores it. One pending job per subscriber.
    RefreshSubscriber {
        creator: TenantId,
        subscriber_id: String,
    },
}

/// Where a subscribers walk is: the products still to walk (the first is being walked), the next
/// page of the first, and when the walk began (subscribers not seen since then have stopped).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriberWalk {
    /// Microseconds since the epoch, UTC.
    pub started_at: i64,
    pub products: Vec<String>,
    pub page_key: Option<String>,
}

impl Job {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::SweepSessions => "sweep_sessions",
            Self::PlanBackfill { .. } => "plan_backfill",
            Self::SyncWindow { .. } => "sync_window",
            Self::SyncRecent { .. } => "sync_recent",
            Self::RedateSales { .. } => "redate_sales",
            Self::SubscribePings { .. } => "subscribe_pings",
            Self::UnsubscribePings { .. } => "unsubscribe_pings",
            Self::FetchSale { .. } => "fetch_sale",
            Self::RotateKeys { .. } => "rotate_keys",
            Self::SyncSubscribers { .. } => "sync_subscribers",
            Self::RefreshSubscriber { .. } => "refresh_subscriber",
        }
    }

    pub fn creator(&self) -> Option<TenantId> {
        match self {
            Self::Schedule | Self::SweepSessions | Self::RotateKeys { .. } => None,
            Self::PlanBackfill { creator }
            | Self::SyncWindow { creator, .. }
            | Self::SyncRecent { creator, .. }
            | Self::RedateSales { creator, .. }
            | Self::SubscribePings { creator }
            | Self::UnsubscribePings { creator }
            | Self::FetchSale { creator, .. }
            | Self::SyncSubscribers { creator, .. }
            | Self::RefreshSubscriber { creator, .. } => Some(*creator),
        }
    }

    /// At most one pending or running job per key.
    pub fn dedupe_key(&self) -> String {
        match self {
            Self::Schedule | Self::SweepSessions | Self::RotateKeys { .. } => {
                self.kind().to_owned()
            }
            Self::PlanBackfill { creator }
            | Self::SubscribePings { creator }
            | Self::UnsubscribePings { creator }
            | Self::SyncSubscribers { creator, .. } => {
                format!("{}:{creator}", self.kind())
            }
            Self::RefreshSubscriber {
                creator,
                subscriber_id,
            } => format!("refresh_subscriber:{creator}:{subscriber_id}"),
            Self::FetchSale {
                creator,
                sale_id,
                resource,
            } => format!("fetch_sale:{creator}:{resource}:{sale_id}"),
            Self::RedateSales { creator, zone } => format!("{}:{creator}:{zone}", self.kind()),
            Self::SyncWindow { creator, window } => format!("sync_window:{creator}:{window}"),
            Self::SyncRecent { creator, reconcile } => {
                format!("sync_recent:{creator}:{reconcile}")
            }
        }
    }

    /// Lower runs first. What a creator is waiting to see (the newest sales) goes before history.
    pub fn default_priority(&self) -> i16 {
        match self {
            Self::Schedule | Self::SweepSessions => 0,
            Self::PlanBackfill { .. }
            | Self::RotateKeys { .. }
            | Self::FetchSale { .. }
            | Self::RefreshSubscriber { .. }
            | Self::SyncRecent {
                reconcile: false, ..
            } => 1,
            Self::SubscribePings { .. } | Self::UnsubscribePings { .. } => 2,
            Self::SyncSubscribers { .. } => 3,
            Self::SyncWindow { .. } => 3,
            Self::SyncRecent {
                reconcile: true, ..
            }
            | Self::RedateSales { .. } => 4,
        }
    }
}

/// How a job run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Finished: the job is deleted.
    Done,
    /// More to do (the next page): the job runs again at once with this payload.
    Continue(Job),
    /// Periodic work: runs again after this pause, as if new.
    Repeat(Duration),
    /// Failed in a way worth retrying after a pause; the error is kept for the operator meanwhile.
    RetryIn(Duration, String),
    /// Failed for good: kept as failed, with its error, for the operator.
    GiveUp(String),
    /// The handler already recorded its outcome in the transaction that wrote its results
    /// ([`Claim::finish_in`]).
    Committed,
}
