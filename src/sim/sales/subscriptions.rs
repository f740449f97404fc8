//! Subscribers (api-facts §6.8): a subscription is numbered from 1 (`Sale::subscription`), its state
//! is `Sales::subscriptions`, its dates `Sales::subscription_times`, and its charges are the sales that
//! carry its number. Rendered on demand, like sales.

use chrono::{DateTime, SecondsFormat, Utc};

use super::{Sale, flag, json};
use crate::sim::catalog::json::J;
use crate::sim::store::SimState;

/// What a subscription's state does not say: when it was asked to stop, stopped, failed.
/// Microseconds since the epoch, UTC.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SubscriptionTimes {
    pub user_requested_cancellation_at: Option<i64>,
    /// In the future while the paid period runs out (`pending_cancellation`).
    pub cancelled_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub failed_at: Option<i64>,
    /// Ended because its fixed number of charges was reached.
    pub fixed_period_ended: bool,
}

impl SubscriptionTimes {
    /// Gumroad's `Subscription#status`.
    pub fn status(&self, now: i64) -> &'static str {
        let over = self.ended_at.is_some() || self.cancelled_at.is_some_and(|at| at <= now);
        if over {
            if self.fixed_period_ended {
                "fixed_subscription_period_ended"
            } else if self.failed_at.is_some() {
                "failed_payment"
            } else {
                "cancelled"
            }
        } else if self.cancelled_at.is_some() {
            "pending_cancellation"
        } else if self.failed_at.is_some() {
            "pending_failure"
        } else {
            "alive"
        }
    }

    /// Listed by the index: not failed, not ended, cancellation absent or in the future.
    pub fn active(&self, now: i64) -> bool {
        self.failed_at.is_none()
            && self.ended_at.is_none()
            && self.cancelled_at.is_none_or(|at| at > now)
    }
}

/// A subscription and its charges, oldest first.
#[derive(Clone, Debug)]
pub(crate) struct Subscription {
    pub number: u32,
    pub charges: Vec<Sale>,
}

impl Subscription {
    pub fn first(&self) -> &Sale {
        &self.charges[0]
    }

    pub fn created_at(&self) -> i64 {
        self.first().created_at
    }

    pub fn times(&self, state: &SimState) -> SubscriptionTimes {
        state
            .sales
            .subscription_times
            .get(&self.number)
            .copied()
            .unwrap_or_default()
    }

    /// Not the seller's own test purchase.
    pub fn listed(&self) -> bool {
        !self.first().has(flag::TEST)
    }
}

/// The creator's subscriptions (by creator index), newest first (then the higher number first).
pub(crate) fn of_creator(state: &SimState, creator: usize) -> Vec<Subscription> {
    let mut found: Vec<Subscription> = Vec::new();
    let mut at: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    for id in 1..=state.sales.len() as u64 {
        let Some(sale) = state.sales.get(id) else {
            continue;
        };
        if sale.subscription == 0 || sale.creator as usize != creator {
            continue;
        }
        match at.get(&sale.subscription) {
            Some(index) => found[*index].charges.push(*sale),
            None => {
                at.insert(sale.subscription, found.len());
                found.push(Subscription {
                    number: sale.subscription,
                    charges: vec![*sale],
                });
            }
        }
    }
    found.sort_by_key(|s| std::cmp::Reverse((s.created_at(), s.number)));
    found
}

/// Subscription `number` (from 1) of the creator, if it is theirs.
pub(crate) fn find(state: &SimState, creator: usize, number: u32) -> Option<Subscription> {
    let charges: Vec<Sale> = (1..=state.sales.len() as u64)
        .filter_map(|id| state.sales.get(id).copied())
        .filter(|s| s.subscription == number && s.creator as usize == creator)
        .collect();
    (!charges.is_empty()).then_some(Subscription { number, charges })
}

fn time(micros: Option<i64>) -> J {
    micros
        .and_then(DateTime::<Utc>::from_timestamp_micros)
        .map_or(J::Null, |t| {
            J::Str(t.to_rfc3339_opts(SecondsFormat::Secs, true))
        })
}

/// The §6.8 object, keys in Gumroad's order.
pub(crate) fn subscriber(state: &SimState, subscription: &Subscription) -> J {
    let first = subscription.first();
    let product = state.catalog.products.get(first.product as usize);
    let rendered = serde_json::to_value(json::sale(state, first)).unwrap_or_default();
    let text = |key: &str| {
        rendered
            .get(key)
            .and_then(|v| v.as_str())
            .map_or(J::Null, |s| J::Str(s.to_owned()))
    };
    let user_id = text("purchaser_id");
    // The buyer's account email: the purchase email for the simulator's buyers, none for guests.
    let user_email = if user_id == J::Null {
        J::Null
    } else {
        text("email")
    };
    let times = subscription.times(state);
    let now = state.now().timestamp_micros();
    let mut pairs = vec![
        (
            "id",
            J::Str(state.sales.subscription_id(subscription.number - 1)),
        ),
        ("email", text("email")),
        (
            "product_id",
            J::from(product.map(|p| p.external_id.clone())),
        ),
        ("product_name", J::from(product.map(|p| p.name.clone()))),
        ("user_id", user_id),
        ("user_email", user_email),
        (
            "purchase_ids",
            J::Arr(
                subscription
                    .charges
                    .iter()
                    .map(|c| J::Str(state.sales.external_id(c)))
                    .collect(),
            ),
        ),
        ("created_at", time(Some(first.created_at))),
        (
            "user_requested_cancellation_at",
            time(times.user_requested_cancellation_at),
        ),
        (
            "charge_occurrence_count",
            J::Int(subscription.charges.len() as i64),
        ),
        (
            "recurrence",
            J::from(json::recurrence(first).map(str::to_owned)),
        ),
        ("cancelled_at", time(times.cancelled_at)),
        ("ended_at", time(times.ended_at)),
        ("failed_at", time(times.failed_at)),
        ("free_trial_ends_at", J::Null),
        ("status", J::Str(times.status(now).to_owned())),
    ];
    if product.is_some_and(|p| p.is_licensed) {
        pairs.push(("license_key", J::Str(state.sales.license_key(first))));
    }
    J::obj(pairs)
}

/// Days between charges for a recurrence.
pub(crate) fn period_days(recurrence: Option<&str>) -> i64 {
    match recurrence {
        Some("yearly") => 365,
        Some("quarterly") => 91,
        Some("biannually") => 182,
        Some("every_two_years") => 730,
        _ => 30,
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn status_follows_gumroads_order() {
        let now = 1_000;
        let mut t = SubscriptionTimes::default();
        assert_eq!((t.status(now), t.active(now)), ("alive", true));
        t.cancelled_at = Some(2_000);
        assert_eq!(
            (t.status(now), t.active(now)),
            ("pending_cancellation", true)
        );
        t.cancelled_at = Some(500);
        assert_eq!((t.status(now), t.active(now)), ("cancelled", false));
        t.failed_at = Some(500);
        assert_eq!(t.status(now), "failed_payment");
        t.fixed_period_ended = true;
        assert_eq!(t.status(now), "fixed_subscription_period_ended");
        let failing = SubscriptionTimes {
            failed_at: Some(900),
            ..SubscriptionTimes::default()
        };
        assert_eq!(
            (failing.status(now), failing.active(now)),
            ("pending_failure", false)
        );
    }
}
