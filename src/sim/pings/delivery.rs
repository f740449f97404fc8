//! The dispatcher: one background task per simulator that fans events out when their delay has
//! passed, posts each ping (5 s timeout), records the attempt, and queues the retries Gumroad makes.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use super::payload::{self, Payload};
use super::{Attempt, Delivery, RETRY_DELAYS, RETRY_STATUSES, TIMEOUT};
use crate::sim::store::{Shared, SimState};

/// Starts the dispatcher on the current Tokio runtime (none: no pings are sent). It ends when the
/// simulator is dropped.
pub(crate) fn start(shared: &Arc<Shared>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let wake = shared.lock().pings.wake.clone();
    let weak = Arc::downgrade(shared);
    runtime.spawn(async move {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        loop {
            let Some(wait) = dispatch_due(&weak, &http) else {
                return;
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = wake.notified() => {}
            }
        }
    });
}

/// Sends what is due; returns how long to sleep, or `None` once the simulator is gone.
fn dispatch_due(weak: &Weak<Shared>, http: &reqwest::Client) -> Option<Duration> {
    let shared = weak.upgrade()?;
    let now = Instant::now();
    let (due, next) = {
        let mut state = shared.lock();
        fan_out(&mut state, now);
        let pings = &mut state.pings;
        let (due, later): (Vec<Delivery>, Vec<Delivery>) =
            pings.deliveries.drain(..).partition(|d| d.due <= now);
        pings.deliveries = later;
        let next = pings
            .events
            .iter()
            .map(|e| e.due)
            .chain(pings.deliveries.iter().map(|d| d.due))
            .min();
        (due, next)
    };
    for delivery in due {
        tokio::spawn(send(Arc::downgrade(&shared), http.clone(), delivery));
    }
    Some(next.map_or(Duration::from_secs(3600), |at| {
        at.saturating_duration_since(now)
    }))
}

/// Due events become one delivery per live subscription of their resource.
fn fan_out(state: &mut SimState, now: Instant) {
    let (due, later): (Vec<_>, Vec<_>) = state.pings.events.drain(..).partition(|e| e.due <= now);
    state.pings.events = later;
    for event in due {
        let targets: Vec<(String, String)> = state
            .pings
            .live(&event.creator_id, &event.resource_name)
            .into_iter()
            .map(|s| (s.client_id.clone(), s.post_url.clone()))
            .collect();
        for (client_id, url) in targets {
            state.pings.deliveries.push(Delivery {
                due: now,
                creator_id: event.creator_id.clone(),
                client_id,
                resource_name: event.resource_name.clone(),
                url,
                payload: event.payload.clone(),
                retry_count: 0,
            });
        }
    }
}

/// One POST. Skipped silently once the creator no longer holds the app's `view_sales` token.
async fn send(weak: Weak<Shared>, http: reqwest::Client, delivery: Delivery) {
    let allowed = weak.upgrade().is_some_and(|shared| {
        shared
            .lock()
            .tokens
            .holds(&delivery.creator_id, &delivery.client_id, "view_sales")
    });
    if !allowed {
        return;
    }
    let body_fields: Payload = payload::with_retry_count(&delivery.payload, delivery.retry_count);
    let zapier = url::Url::parse(&delivery.url)
        .ok()
        .and_then(|u| u.host_str().map(|h| h.ends_with("zapier.com")))
        .unwrap_or(false);
    let (content_type, body) = if zapier {
        ("application/json", payload::json_body(&body_fields))
    } else {
        (
            "application/x-www-form-urlencoded",
            payload::form_encode(&body_fields),
        )
    };
    let result = http
        .post(&delivery.url)
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .body(body.clone())
        .send()
        .await;
    let (status, error) = match result {
        Ok(response) => (Some(response.status().as_u16()), None),
        Err(e) if e.is_timeout() => (None, Some("timeout".to_owned())),
        Err(_) => (None, Some("connection failed".to_owned())),
    };
    let Some(shared) = weak.upgrade() else {
        return;
    };
    let mut state = shared.lock();
    let at = state.now();
    state.pings.record(Attempt {
        at,
        url: delivery.url.clone(),
        resource_name: delivery.resource_name.clone(),
        content_type,
        body,
        status,
        error,
        retry_count: delivery.retry_count,
    });
    let retry = status.is_some_and(|s| RETRY_STATUSES.contains(&s));
    if let (true, Some(pause)) = (retry, RETRY_DELAYS.get(usize::from(delivery.retry_count))) {
        let due = Instant::now() + state.pings.settings.scaled(*pause);
        state.pings.deliveries.push(Delivery {
            due,
            retry_count: delivery.retry_count + 1,
            ..delivery
        });
        state.pings.wake.notify_one();
    }
}
