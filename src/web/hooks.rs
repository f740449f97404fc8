//! `POST /hooks/gumroad/{creator id}.{secret}`: Gumroad's pings (api-facts §9).
//!
//! A ping is unsigned, so it is only a hint: the receiver checks the URL's secret (its SHA-256,
//! compared in constant time), records the delivery (what it is about, never who bought), enqueues a
//! fetch-back of the sale (or, for subscription events, of the subscriber) with the creator's own
//! token (one pending job per object and resource), and
//! answers 200 at once. It holds no session and takes no CSRF token: it is a separate route that no
//! form posts to and that changes nothing by itself. An unknown or wrong secret is a 404 and only a
//! counter. Verified pings are rate-limited per creator URL ([`PingLimit`]). Gumroad retries
//! 499/500/502/503/504, so those are answered only when the ping could not be recorded (the
//! database failed), never for one that was.
//!
//! The path holds the secret: the request log records it redacted (`RootSpanWithoutQuery`).

use std::sync::atomic::{AtomicU64, Ordering};

use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::{HttpResponse, web};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::state::AppState;
use crate::domain::{PING_PATH_PREFIX, PingKey, TenantId};
use crate::gumroad::RESOURCE_NAMES;
use crate::jobs::{Job, Queue};
use crate::store::webhooks::{self, NewDelivery};

/// Largest ping body accepted (Gumroad's are a few kilobytes).
const BODY_LIMIT: usize = 64 * 1024;

/// Pings to URLs we never gave out, since this process started.
static UNKNOWN_PINGS: AtomicU64 = AtomicU64::new(0);

pub fn unknown_pings() -> u64 {
    UNKNOWN_PINGS.load(Ordering::Relaxed)
}

pub fn routes(cfg: &mut web::ServiceConfig, limit: &PingLimit) {
    cfg.service(
        web::resource(format!("{PING_PATH_PREFIX}{{key}}"))
            .app_data(web::PayloadConfig::new(BODY_LIMIT))
            .app_data(web::Data::from(Arc::clone(&limit.0)))
            .route(web::post().to(receive)),
    );
}

/// What a ping says that we use: never the buyer's data.
#[derive(Debug, Default, PartialEq, Eq)]
struct Ping {
    resource_name: String,
    sale_id: Option<String>,
    subscription_id: Option<String>,
    retry_count: i32,
}

impl Ping {
    /// Form-encoded, or JSON (Gumroad's choice for zapier.com hosts; anyone may send either).
    fn parse(body: &[u8], json: bool) -> Ping {
        let fields: Vec<(String, String)> = if json {
            serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body)
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| {
                    let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    (k, text)
                })
                .collect()
        } else {
            url::form_urlencoded::parse(body).into_owned().collect()
        };
        let get = |key: &str| {
            fields
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty() && v.len() <= 200)
        };
        Ping {
            resource_name: get("resource_name").unwrap_or_default(),
            sale_id: get("sale_id"),
            subscription_id: get("subscription_id"),
            retry_count: get("retry_count")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
                .clamp(0, 100),
        }
    }

    fn resource(&self) -> &str {
        RESOURCE_NAMES
            .iter()
            .find(|name| **name == self.resource_name)
            .copied()
            .unwrap_or("unknown")
    }

    /// The sale to fetch back, for the four sale resources, when its id looks like one of Gumroad's
    /// (base64 text, short): anything else would be fetched in vain, at the cost of the shared request
    /// budget, and would reach logs and pages.
    fn sale_to_fetch(&self) -> Option<&str> {
        matches!(
            self.resource(),
            "sale" | "refund" | "dispute" | "dispute_won"
        )
        .then_some(self.sale_id.as_deref())
        .flatten()
        .filter(|id| looks_like_a_gumroad_id(id))
    }

    /// The subscriber to fetch back, for the four subscription resources, under the same rule.
    fn subscriber_to_fetch(&self) -> Option<&str> {
        matches!(
            self.resource(),
            "cancellation"
                | "subscription_updated"
                | "subscription_ended"
                | "subscription_restarted"
        )
        .then_some(self.subscription_id.as_deref())
        .flatten()
        .filter(|id| looks_like_a_gumroad_id(id))
    }

    /// The fetch-back this ping asks for, and the kind of job it is.
    fn fetch_back(&self, tenant: TenantId) -> Option<(Job, &str)> {
        if let Some(sale_id) = self.sale_to_fetch() {
            return Some((
                Job::FetchSale {
                    creator: tenant,
                    sale_id: sale_id.to_owned(),
                    resource: self.resource().to_owned(),
                },
                sale_id,
            ));
        }
        let subscriber_id = self.subscriber_to_fetch()?;
        Some((
            Job::RefreshSubscriber {
                creator: tenant,
                subscriber_id: subscriber_id.to_owned(),
            },
            subscriber_id,
        ))
    }
}

/// Gumroad's external ids are base64 (URL-safe, with padding): "FO8TXN-dbxYaBdahG97Y-Q==".
fn looks_like_a_gumroad_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'=' | b'+' | b'/'))
}

/// At most this many fetch-backs wait per creator. Beyond it, whoever holds a creator's ping URL (the
/// creator, or another app of theirs that can list subscriptions) could fill the queue and spend the
/// instance's Gumroad budget with made-up ids; an incremental sync catches up on real changes instead.
const MAX_PENDING_FETCHES: i64 = 100;

impl Ping {}

async fn receive(
    path: web::Path<String>,
    req: actix_web::HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
    limit: web::Data<DefaultKeyedRateLimiter<i64>>,
) -> HttpResponse {
    let metrics = &state.metrics;
    let Some(key) = PingKey::parse(&path) else {
        metrics.ping("unknown");
        return unknown();
    };
    let tenant = key.tenant();
    match webhooks::endpoint(&state.pool, tenant).await {
        Ok(Some(endpoint)) if key.matches(&endpoint.secret_sha256) => {}
        Ok(_) => {
            metrics.ping("unknown");
            return unknown();
        }
        Err(error) => {
            metrics.ping("not_recorded");
            return not_recorded(&error);
        }
    }
    if limit.check_key(&tenant.get()).is_err() {
        metrics.ping("rate_limited");
        return HttpResponse::TooManyRequests()
            .content_type("text/plain")
            .body("Too many pings");
    }
    let json = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let ping = Ping::parse(&body, json);
    match record(&state, tenant, &ping).await {
        Ok(outcome) => {
            metrics.ping(outcome);
            HttpResponse::Ok().content_type("text/plain").body("OK")
        }
        Err(error) => {
            metrics.ping("not_recorded");
            not_recorded(&error)
        }
    }
}

/// The delivery and its fetch-back job, together or not at all. Returns the delivery's outcome
/// (`ignored`, `deferred`, `queued`).
async fn record(
    state: &AppState,
    tenant: TenantId,
    ping: &Ping,
) -> Result<&'static str, sqlx::Error> {
    let mut tx = state.pool.begin().await?;
    let fetch = ping.fetch_back(tenant);
    let backlog = match &fetch {
        Some((job, _)) => {
            // Without it, pings arriving together each see room under the cap and all enqueue.
            webhooks::lock_endpoint(&mut *tx, tenant).await?;
            Queue::pending_of_kind(&mut *tx, tenant, job.kind(), MAX_PENDING_FETCHES).await?
        }
        None => 0,
    };
    let deferred = backlog >= MAX_PENDING_FETCHES;
    let outcome = match fetch {
        None => "ignored",
        Some(_) if deferred => "deferred",
        Some(_) => "queued",
    };
    let delivery = NewDelivery {
        resource_name: ping.resource(),
        object_id: fetch
            .as_ref()
            .map(|(_, id)| *id)
            .or(ping.subscription_id.as_deref()),
        retry_count: ping.retry_count,
        outcome,
    };
    webhooks::record_delivery(&mut *tx, tenant, &delivery).await?;
    // Beyond the backlog, one catch-up instead: the incremental sync for sales, a walk of the
    // subscribers for subscriptions.
    let job = match fetch {
        Some((Job::FetchSale { .. }, _)) if deferred => Some(Job::SyncRecent {
            creator: tenant,
            reconcile: false,
        }),
        Some(_) if deferred => Some(Job::SyncSubscribers {
            creator: tenant,
            walk: None,
        }),
        Some((job, _)) => Some(job),
        None => None,
    };
    if let Some(job) = job {
        Queue::enqueue(&mut *tx, &job).await?;
    }
    tx.commit().await?;
    tracing::info!(%tenant, resource = delivery.resource_name, retry_count = ping.retry_count, "ping received");
    Ok(outcome)
}

fn unknown() -> HttpResponse {
    UNKNOWN_PINGS.fetch_add(1, Ordering::Relaxed);
    HttpResponse::NotFound()
        .content_type("text/plain")
        .body("Not found")
}

/// The ping could not be recorded: a status Gumroad retries.
fn not_recorded(error: &sqlx::Error) -> HttpResponse {
    tracing::error!(%error, "a ping could not be recorded");
    HttpResponse::ServiceUnavailable()
        .content_type("text/plain")
        .body("Try again later")
}

/// Pings per creator URL, counted only once the URL's secret matched: forged pings (which cost a
/// key lookup and a 404) cannot use up a creator's budget, and the limiter holds a key per real
/// creator only. Gumroad does not retry a 429; reconciliation covers what it drops.
#[derive(Clone)]
pub struct PingLimit(Arc<DefaultKeyedRateLimiter<i64>>);

/// A burst of 200 pings per creator URL, then 20 a second; one limiter per instance.
pub fn ping_limit() -> PingLimit {
    let quota = Quota::per_second(NonZeroU32::new(20).expect("20 is not zero"))
        .allow_burst(NonZeroU32::new(200).expect("200 is not zero"));
    PingLimit(Arc::new(RateLimiter::keyed(quota)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ids_shaped_like_gumroads_are_fetched() {
        for id in ["FO8TXN-dbxYaBdahG97Y-Q==", "bm90LWEtc2FsZQ==", "abc_123"] {
            assert!(looks_like_a_gumroad_id(id), "{id}");
        }
        for id in ["", "a b", "line\nbreak", "../x", &"A".repeat(65), "é"] {
            assert!(!looks_like_a_gumroad_id(id), "{id:?}");
        }
    }

    #[test]
    fn pings_parse_from_forms_and_json_without_buyer_data() {
        let form =
            b"email=a%40b.c&sale_id=S1%3D%3D&resource_name=refund&retry_count=2&full_name=Ann";
        assert_eq!(
            Ping::parse(form, false),
            Ping {
                resource_name: "refund".into(),
                sale_id: Some("S1==".into()),
                subscription_id: None,
                retry_count: 2,
            }
        );
        let json = br#"{"sale_id":"S2","resource_name":"sale","price":100}"#;
        assert_eq!(Ping::parse(json, true).sale_to_fetch(), Some("S2"));
        let other = Ping::parse(b"resource_name=cancellation&subscription_id=X", false);
        assert_eq!(
            (
                other.resource(),
                other.sale_to_fetch(),
                other.subscriber_to_fetch()
            ),
            ("cancellation", None, Some("X"))
        );
        let sale_with_subscription =
            Ping::parse(b"resource_name=sale&sale_id=S&subscription_id=X", false);
        assert_eq!(sale_with_subscription.subscriber_to_fetch(), None);
        assert_eq!(
            Ping::parse(b"resource_name=evil&sale_id=S", false).sale_to_fetch(),
            None
        );
        assert_eq!(Ping::parse(b"garbage", true), Ping::default());
    }
}
