//! Each creator's share of the product writes Gumroad allows this instance.
//!
//! Gumroad throttles product creates (10 a minute) and saves (30 a minute) per IP address (api-facts
//! §8), so every creator on an instance draws from the same two limits, and one creator's burst of
//! edits would make Gumroad refuse everyone else's. Each creator may use half of each limit, so
//! whatever one creator does, half is left for the others. Gumroad's own throttle still answers when
//! several creators write at full speed at once; this only keeps one creator from taking it all.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::domain::TenantId;

/// Gumroad's 2026 limits per minute and IP address.
const GUMROAD_CREATES_PER_MINUTE: u32 = 10;
const GUMROAD_SAVES_PER_MINUTE: u32 = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProductWrite {
    Create,
    Save,
}

pub struct ProductWriteShare {
    creates: DefaultKeyedRateLimiter<TenantId>,
    saves: DefaultKeyedRateLimiter<TenantId>,
}

/// Half of a per-minute limit, as a quota that refills evenly and allows it all at once.
fn half_of(per_minute: u32) -> Quota {
    let half = NonZeroU32::new((per_minute / 2).max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(half)
}

impl Default for ProductWriteShare {
    fn default() -> Self {
        Self {
            creates: RateLimiter::keyed(half_of(GUMROAD_CREATES_PER_MINUTE)),
            saves: RateLimiter::keyed(half_of(GUMROAD_SAVES_PER_MINUTE)),
        }
    }
}

impl ProductWriteShare {
    /// Takes one write of the creator's share, or says how long until the next one.
    pub fn take(&self, tenant: TenantId, write: ProductWrite) -> Result<(), Duration> {
        let limiter = match write {
            ProductWrite::Create => &self.creates,
            ProductWrite::Save => &self.saves,
        };
        limiter
            .check_key(&tenant)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Half of Gumroad's per-minute limit for this kind of write.
    pub fn per_minute(write: ProductWrite) -> u32 {
        match write {
            ProductWrite::Create => GUMROAD_CREATES_PER_MINUTE / 2,
            ProductWrite::Save => GUMROAD_SAVES_PER_MINUTE / 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_creator_gets_half_of_each_limit_and_others_keep_theirs() {
        let share = ProductWriteShare::default();
        let (a, b) = (TenantId::from_db(1), TenantId::from_db(2));
        for _ in 0..5 {
            share.take(a, ProductWrite::Create).unwrap();
        }
        let wait = share.take(a, ProductWrite::Create).unwrap_err();
        assert!(
            wait > Duration::from_secs(1) && wait <= Duration::from_secs(12),
            "{wait:?}"
        );
        share.take(b, ProductWrite::Create).unwrap();
        for _ in 0..15 {
            share.take(a, ProductWrite::Save).unwrap();
        }
        assert!(share.take(a, ProductWrite::Save).is_err());
    }
}
