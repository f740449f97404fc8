//! How fast this deployment may call Gumroad from background work. Gumroad limits by IP, so every
//! creator on an instance (and every instance behind one address) shares one budget: a per-instance
//! limiter in memory, and a token bucket in PostgreSQL that all instances draw from.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use sqlx::PgPool;

use crate::store::jobs as sql;

const GLOBAL_BUCKET: &str = "gumroad";

/// Background work's Gumroad client waits for this before every request it sends.
impl crate::gumroad::Pace for RequestBudget {
    fn wait(&self) -> futures_util::future::BoxFuture<'_, ()> {
        Box::pin(self.acquire())
    }
}

pub struct RequestBudget {
    local: DefaultDirectRateLimiter,
    pool: PgPool,
    global_per_sec: f64,
}

/// Requests evenly spaced at `per_sec`, with no burst: however many workers ask at once, no second
/// ever holds more than `per_sec` of them (Gumroad counts in fixed windows, and a burst on top of the
/// rate is what would trip them).
fn quota(per_sec: f64) -> Quota {
    let per_sec = per_sec.max(0.01);
    Quota::with_period(Duration::from_secs_f64(1.0 / per_sec))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
}

impl RequestBudget {
    /// At most `instance_per_sec` requests a second from this instance and `global_per_sec` from all
    /// instances on this database together, without bursts.
    pub fn new(pool: PgPool, instance_per_sec: f64, global_per_sec: f64) -> Self {
        Self {
            local: RateLimiter::direct(quota(instance_per_sec)),
            pool,
            global_per_sec: global_per_sec.max(0.01),
        }
    }

    /// Waits until one more request fits both budgets, however long that takes: a request never goes
    /// out without its token, not even while the database is away (the job holding this wait keeps
    /// its lease renewed, and shutting down drops the wait).
    pub async fn acquire(&self) {
        self.local.until_ready().await;
        // The shared bucket holds at most one token, for the same reason as the local quota.
        let pause = Duration::from_secs_f64((1.0 / self.global_per_sec).min(1.0));
        loop {
            match sql::take_budget_token(&self.pool, GLOBAL_BUCKET, self.global_per_sec, 1.0).await
            {
                Ok(true) => return,
                Ok(false) => tokio::time::sleep(pause).await,
                Err(error) => {
                    tracing::warn!(%error, "could not take from the shared Gumroad budget; waiting");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}
