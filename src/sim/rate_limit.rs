//! rack-attack throttles (api-facts §8): fixed windows aligned to the Unix epoch, counted per IP, with
//! escalating levels. Unlike Gumroad, loopback is not exempt, so tests and demos can see a 429.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

/// `POST /oauth/token` in 2026: 3000 per 60 s, then level n = 2…5 allows 3000·n per 8ⁿ seconds.
pub(crate) const OAUTH_TOKEN_TIERS: &[Tier] = &[
    Tier {
        limit: 3000,
        period_secs: 60,
    },
    Tier {
        limit: 6000,
        period_secs: 64,
    },
    Tier {
        limit: 9000,
        period_secs: 512,
    },
    Tier {
        limit: 12_000,
        period_secs: 4096,
    },
    Tier {
        limit: 15_000,
        period_secs: 32_768,
    },
];

/// `POST /v2/products` (2026): 10 per 60 s, then level n = 2…5 allows 10·n per 8ⁿ seconds.
pub(crate) const PRODUCT_CREATE_TIERS: &[Tier] = &escalating(10);

/// `PUT` and `PATCH /v2/products/:id` (2026), each counted apart: 30 per 60 s, escalating.
pub(crate) const PRODUCT_UPDATE_TIERS: &[Tier] = &escalating(30);

/// `/v2/sales` (any prefix) with `page` > 10: 10 per second per IP, no escalation.
pub(crate) const SALES_DEEP_PAGE_TIERS: &[Tier] = &[Tier {
    limit: 10,
    period_secs: 1,
}];

/// rack-attack's escalating levels for a per-minute base limit: L per 60 s, then L·n per 8ⁿ s for n = 2…5.
const fn escalating(per_minute: u32) -> [Tier; 5] {
    [
        Tier {
            limit: per_minute,
            period_secs: 60,
        },
        Tier {
            limit: per_minute * 2,
            period_secs: 64,
        },
        Tier {
            limit: per_minute * 3,
            period_secs: 512,
        },
        Tier {
            limit: per_minute * 4,
            period_secs: 4096,
        },
        Tier {
            limit: per_minute * 5,
            period_secs: 32_768,
        },
    ]
}

/// The IP rack-attack counts: `CF-Connecting-IP`, else the peer address.
pub(crate) fn client_ip(req: &HttpRequest) -> String {
    req.headers()
        .get("cf-connecting-ip")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .or_else(|| req.peer_addr().map(|addr| addr.ip().to_string()))
        .unwrap_or_default()
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Tier {
    pub limit: u32,
    pub period_secs: i64,
}

/// Counters kept per rule. Beyond it, windows that have ended are dropped; if that is not enough (very many
/// IPs at once), the other IPs' counters for the rule are forgotten, so memory stays bounded.
pub(crate) const MAX_ENTRIES_PER_RULE: usize = 10_000;

#[derive(Default)]
pub(crate) struct RateLimiter {
    /// rule → (IP, tier index, window number) → requests seen.
    counts: HashMap<&'static str, HashMap<(String, usize, i64), u32>>,
}

impl RateLimiter {
    /// Counts one request and says whether it may proceed. rack-attack checks throttles in order and stops at
    /// the first that trips, so later tiers are not counted for a throttled request.
    pub fn allow(&mut self, rule: &'static str, tiers: &[Tier], ip: &str, now_secs: i64) -> bool {
        let counts = self.counts.entry(rule).or_default();
        prune(counts, tiers, ip, now_secs);
        for (level, tier) in tiers.iter().enumerate() {
            let window = now_secs.div_euclid(tier.period_secs.max(1));
            let count = counts.entry((ip.to_owned(), level, window)).or_insert(0);
            *count = count.saturating_add(1);
            if *count > tier.limit {
                return false;
            }
        }
        true
    }

    /// Counters held for `rule`.
    #[cfg(test)]
    pub fn entries(&self, rule: &str) -> usize {
        self.counts.get(rule).map_or(0, HashMap::len)
    }
}

/// Makes room for `ip`'s counters (one per tier) within `MAX_ENTRIES_PER_RULE`.
fn prune(counts: &mut HashMap<(String, usize, i64), u32>, tiers: &[Tier], ip: &str, now_secs: i64) {
    if counts.len() + tiers.len() <= MAX_ENTRIES_PER_RULE {
        return;
    }
    counts.retain(|(_, level, window), _| {
        tiers
            .get(*level)
            .is_some_and(|t| *window >= now_secs.div_euclid(t.period_secs.max(1)))
    });
    if counts.len() + tiers.len() > MAX_ENTRIES_PER_RULE {
        counts.retain(|(other, _, _), _| other == ip);
    }
}

/// rack-attack's throttled response: `text/plain`, `Retry later` and a newline, no `Retry-After`.
pub(crate) fn throttled_response() -> HttpResponse {
    HttpResponse::TooManyRequests()
        .insert_header((header::CONTENT_TYPE, "text/plain"))
        .body("Retry later\n")
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn base_tier_trips_after_its_limit_and_resets_next_window() {
        let tiers = [
            Tier {
                limit: 2,
                period_secs: 60,
            },
            Tier {
                limit: 100,
                period_secs: 64,
            },
        ];
        let mut limiter = RateLimiter::default();
        assert!(limiter.allow("t", &tiers, "1.2.3.4", 120));
        assert!(limiter.allow("t", &tiers, "1.2.3.4", 130));
        assert!(!limiter.allow("t", &tiers, "1.2.3.4", 179));
        assert!(
            limiter.allow("t", &tiers, "5.6.7.8", 179),
            "other IPs are counted apart"
        );
        assert!(
            limiter.allow("t", &tiers, "1.2.3.4", 180),
            "a new 60 s window starts at 180"
        );
    }

    #[test]
    fn escalating_tier_trips_across_base_windows() {
        let tiers = [
            Tier {
                limit: 2,
                period_secs: 1,
            },
            Tier {
                limit: 3,
                period_secs: 64,
            },
        ];
        let mut limiter = RateLimiter::default();
        assert!(limiter.allow("t", &tiers, "ip", 0));
        assert!(limiter.allow("t", &tiers, "ip", 1));
        assert!(limiter.allow("t", &tiers, "ip", 2));
        assert!(
            !limiter.allow("t", &tiers, "ip", 3),
            "fourth request in the 64 s window"
        );
    }
}
