//! Resource subscriptions and webhook pings (api-facts §9).
//!
//! - Subscriptions (`PUT`, `GET`, `DELETE /v2/resource_subscriptions`, served by
//!   `api::resource_subscriptions`) live here, per creator and app; the index shows every app's, a
//!   delete finds only the calling app's. Removing every app (`/_sim/tokens/revoke {user_id}`,
//!   `SimHandle::revoke_tokens_of`) soft-deletes the creator's subscriptions, like deauthorising.
//! - Events (`fire_sale`) are queued with their delay (10 s after a sale, 5 s after anything else,
//!   times `PingSettings::time_scale`); the dispatcher task (`delivery`) fans each out to the live
//!   subscriptions of its resource whose app still holds the creator's unrevoked `view_sales` token,
//!   one POST per URL with a 5 s timeout, and retries 499/500/502/503/504 after 60/180/600 s (scaled)
//!   with `retry_count`. Every attempt lands in the ping log (`GET /_sim/pings`).
//! - Post URLs must parse as http(s) and not name `localhost`, `127.0.0.1` or `0.0.0.0`
//!   (`PingSettings::allow_loopback` lifts that for demos and tests); with `block_private` (2026) a
//!   host that resolves to a private or reserved address is refused too.

pub(crate) mod delivery;
pub(crate) mod payload;

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::Notify;

use super::ids;
use super::store::SimState;
use payload::Payload;

/// The eight resources (the same in 2026).
pub(crate) const RESOURCE_NAMES: [&str; 8] = [
    "sale",
    "refund",
    "dispute",
    "dispute_won",
    "cancellation",
    "subscription_updated",
    "subscription_ended",
    "subscription_restarted",
];

/// Retry pauses after a 499/500/502/503/504, before scaling.
pub(crate) const RETRY_DELAYS: [Duration; 3] = [
    Duration::from_secs(60),
    Duration::from_secs(180),
    Duration::from_secs(600),
];
pub(crate) const RETRY_STATUSES: [u16; 5] = [499, 500, 502, 503, 504];
/// How long one POST may take.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(5);
/// How many attempts the ping log keeps (oldest dropped).
const LOG_LIMIT: usize = 1000;

/// The ping switches (`SimConfig::pings`, `POST /_sim/pings/settings`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PingSettings {
    /// Accept `localhost`, `127.0.0.1` and `0.0.0.0` post URLs, which Gumroad refuses: for the demo
    /// and tests, whose receivers listen on loopback.
    pub allow_loopback: bool,
    /// 2026: refuse hosts that resolve to private or reserved addresses. Off by default.
    pub block_private: bool,
    /// Multiplies every ping and retry delay (1.0 is Gumroad's timing; tests use a tiny scale).
    pub time_scale: f64,
}

impl Default for PingSettings {
    fn default() -> Self {
        Self {
            allow_loopback: false,
            block_private: false,
            time_scale: 1.0,
        }
    }
}

impl PingSettings {
    pub(crate) fn scaled(&self, delay: Duration) -> Duration {
        delay.mul_f64(self.time_scale.clamp(0.0, 1000.0))
    }
}

/// A resource subscription (`{id, resource_name, post_url}`).
#[derive(Clone, Debug)]
pub(crate) struct Subscription {
    pub id: String,
    pub creator_id: String,
    pub client_id: String,
    pub resource_name: String,
    pub post_url: String,
    pub deleted: bool,
}

/// Something that happened and must be pinged once its delay has passed.
#[derive(Clone, Debug)]
pub(crate) struct Event {
    pub due: Instant,
    pub creator_id: String,
    pub resource_name: String,
    pub payload: Payload,
}

/// One POST to make (a fanned-out event, or a retry).
#[derive(Clone, Debug)]
pub(crate) struct Delivery {
    pub due: Instant,
    pub creator_id: String,
    pub client_id: String,
    pub resource_name: String,
    pub url: String,
    pub payload: Payload,
    pub retry_count: u8,
}

/// One attempt, as `GET /_sim/pings` lists it. `status` is absent after a timeout or connection error.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Attempt {
    pub at: DateTime<Utc>,
    pub url: String,
    pub resource_name: String,
    pub content_type: &'static str,
    pub body: String,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub retry_count: u8,
}

pub(crate) struct Pings {
    pub settings: PingSettings,
    pub subscriptions: Vec<Subscription>,
    pub events: Vec<Event>,
    pub deliveries: Vec<Delivery>,
    pub log: VecDeque<Attempt>,
    /// Wakes the dispatcher when something new is queued.
    pub wake: Arc<Notify>,
}

impl Pings {
    pub fn new(settings: PingSettings) -> Pings {
        Pings {
            settings,
            subscriptions: Vec::new(),
            events: Vec::new(),
            deliveries: Vec::new(),
            log: VecDeque::new(),
            wake: Arc::new(Notify::new()),
        }
    }

    /// Back to no subscriptions and nothing queued (`/_sim/reset`); the dispatcher stays.
    pub fn reset(&mut self, settings: PingSettings) {
        self.settings = settings;
        self.subscriptions.clear();
        self.events.clear();
        self.deliveries.clear();
        self.log.clear();
    }

    pub fn record(&mut self, attempt: Attempt) {
        self.log.push_back(attempt);
        while self.log.len() > LOG_LIMIT {
            self.log.pop_front();
        }
    }

    /// The creator's live subscriptions to `resource_name`, every app's.
    pub fn live(&self, creator_id: &str, resource_name: &str) -> Vec<&Subscription> {
        self.subscriptions
            .iter()
            .filter(|s| {
                !s.deleted && s.creator_id == creator_id && s.resource_name == resource_name
            })
            .collect()
    }

    pub fn subscribe(
        &mut self,
        creator_id: &str,
        client_id: &str,
        name: &str,
        url: &str,
    ) -> Subscription {
        let subscription = Subscription {
            id: ids::external_id_from(&mut rand::rng()),
            creator_id: creator_id.to_owned(),
            client_id: client_id.to_owned(),
            resource_name: name.to_owned(),
            post_url: url.to_owned(),
            deleted: false,
        };
        self.subscriptions.push(subscription.clone());
        subscription
    }

    /// Soft-deletes the app's subscription `id` of the creator; `false` when there is none.
    pub fn unsubscribe(&mut self, creator_id: &str, client_id: &str, id: &str) -> bool {
        self.subscriptions
            .iter_mut()
            .find(|s| {
                !s.deleted && s.id == id && s.creator_id == creator_id && s.client_id == client_id
            })
            .map(|s| s.deleted = true)
            .is_some()
    }

    /// The creator removed every app: their subscriptions go with the access.
    pub fn creator_revoked(&mut self, creator_id: &str) {
        for subscription in &mut self.subscriptions {
            if subscription.creator_id == creator_id {
                subscription.deleted = true;
            }
        }
    }

    fn queue(&mut self, event: Event) {
        self.events.push(event);
        self.wake.notify_one();
    }
}

/// Gumroad's delay before the fan-out: 10 s after a sale, 5 s after anything else.
fn delay_of(resource_name: &str) -> Duration {
    if resource_name == "sale" {
        Duration::from_secs(10)
    } else {
        Duration::from_secs(5)
    }
}

/// Queues the ping `resource_name` (`sale`, `refund`, `dispute` or `dispute_won`) for the sale with
/// internal id `id`, with the sale as it is now.
pub(crate) fn fire_sale(state: &mut SimState, id: u64, resource_name: &str) {
    let Some(sale) = state.sales.get(id).copied() else {
        return;
    };
    let Some(creator_id) = state
        .creators
        .get(sale.creator as usize)
        .map(|c| c.id.clone())
    else {
        return;
    };
    let payload = payload::sale(state, &sale, resource_name);
    queue_event(state, creator_id, resource_name, payload);
}

/// Queues the event for its fan-out after Gumroad's delay (scaled).
fn queue_event(state: &mut SimState, creator_id: String, resource_name: &str, payload: Payload) {
    let due = Instant::now() + state.pings.settings.scaled(delay_of(resource_name));
    state.pings.queue(Event {
        due,
        creator_id,
        resource_name: resource_name.to_owned(),
        payload,
    });
}

/// Queues a subscription ping (§9.4) for subscription `number` with the event's own fields.
pub(crate) fn fire_subscription(
    state: &mut SimState,
    number: u32,
    resource_name: &str,
    extra: Payload,
) {
    let charges: Vec<_> = (1..=state.sales.len() as u64)
        .filter_map(|id| state.sales.get(id).copied())
        .filter(|s| s.subscription == number)
        .collect();
    let Some(creator_id) = charges
        .first()
        .and_then(|s| state.creators.get(s.creator as usize))
        .map(|c| c.id.clone())
    else {
        return;
    };
    let payload = payload::subscription(state, number, &charges, resource_name, extra);
    queue_event(state, creator_id, resource_name, payload);
}

/// Why a post URL is refused: Gumroad's "Invalid post URL '<url>'".
pub(crate) fn invalid_post_url(url: &str) -> String {
    format!("Invalid post URL '{url}'")
}

/// The 2025-04 check: parses as http(s), and the host is not `localhost`, `127.0.0.1` or `0.0.0.0`
/// (unless loopback is allowed). Returns the host to resolve for the 2026 check.
pub(crate) fn check_post_url(url: &str, settings: &PingSettings) -> Result<String, String> {
    let parsed = url::Url::parse(url).map_err(|_| invalid_post_url(url))?;
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty() && matches!(parsed.scheme(), "http" | "https"))
        .ok_or_else(|| invalid_post_url(url))?;
    if !settings.allow_loopback && ["localhost", "127.0.0.1", "0.0.0.0"].contains(&host) {
        return Err(invalid_post_url(url));
    }
    Ok(host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned())
}

/// 2026: the addresses a host resolves to must all be public (loopback passes when allowed).
pub(crate) fn public_addresses(addresses: &[IpAddr], settings: &PingSettings) -> bool {
    !addresses.is_empty()
        && addresses
            .iter()
            .all(|ip| (settings.allow_loopback && ip.is_loopback()) || is_public(ip))
}

fn is_public(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (18..20).contains(&b)))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| !is_public(&IpAddr::V4(v4))))
        }
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn post_urls_follow_gumroads_rules() {
        let strict = PingSettings::default();
        for bad in [
            "http://localhost/x",
            "http://127.0.0.1:8080/x",
            "https://0.0.0.0/x",
            "ftp://example.com/x",
            "not a url",
            "example.com/hook",
        ] {
            assert_eq!(
                check_post_url(bad, &strict),
                Err(invalid_post_url(bad)),
                "{bad}"
            );
        }
        assert_eq!(
            check_post_url("http://127.0.0.2:9/x", &strict).as_deref(),
            Ok("127.0.0.2")
        );
        let loose = PingSettings {
            allow_loopback: true,
            ..strict
        };
        assert!(check_post_url("http://127.0.0.1:8080/x", &loose).is_ok());
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(public_addresses(&[ip("93.184.216.34")], &strict));
        for private in [
            "10.1.2.3",
            "192.168.0.1",
            "172.16.0.1",
            "169.254.1.1",
            "127.0.0.2",
            "::1",
            "fd00::1",
        ] {
            assert!(!public_addresses(&[ip(private)], &strict), "{private}");
        }
        assert!(public_addresses(&[ip("127.0.0.1")], &loose));
        assert!(!public_addresses(&[], &strict));
    }
}
