//! `/v2/resource_subscriptions` (api-facts §9.1, §6.10): `PUT` creates, `GET ?resource_name=` lists the
//! creator's live subscriptions to one resource from every app, `DELETE /:id` removes one of the calling
//! app's. All need `view_sales`.

use actix_web::{HttpRequest, HttpResponse, web};

use super::auth::Needs;
use super::common::{Call, deleted, failure, handle, segment, success};
use crate::sim::catalog::json::J;
use crate::sim::params::Params;
use crate::sim::pings::{self, RESOURCE_NAMES, Subscription};
use crate::sim::store::{Shared, SimState};

const NOT_FOUND: &str = "The resource_subscription was not found.";

fn subscription_json(subscription: &Subscription) -> J {
    J::obj(vec![
        ("id", subscription.id.as_str().into()),
        ("resource_name", subscription.resource_name.as_str().into()),
        ("post_url", subscription.post_url.as_str().into()),
    ])
}

fn valid_name(name: Option<&str>) -> Option<&str> {
    name.filter(|n| RESOURCE_NAMES.contains(n))
}

pub(super) async fn create(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let resolved = resolves_publicly(&req, &body, &shared).await;
    handle(&req, &body, &shared, Needs::ViewSales, |call, state| {
        create_for(call, state, resolved)
    })
}

/// 2026's private-address block, when switched on: whether the post URL's host resolves only to
/// public addresses (`None` when the check is off or the URL fails the plain checks anyway).
async fn resolves_publicly(req: &HttpRequest, body: &[u8], shared: &Shared) -> Option<bool> {
    let settings = shared.lock().pings.settings;
    if !settings.block_private {
        return None;
    }
    let params = Params::from_request(req, body).ok()?;
    let host = pings::check_post_url(params.get("post_url")?, &settings).ok()?;
    let addresses: Vec<std::net::IpAddr> = tokio::net::lookup_host((host.as_str(), 80))
        .await
        .map(|found| found.map(|a| a.ip()).collect())
        .unwrap_or_default();
    Some(pings::public_addresses(&addresses, &settings))
}

fn create_for(call: &Call, state: &mut SimState, resolved: Option<bool>) -> HttpResponse {
    // Gumroad interpolates the wrong variable into this message: it always names ''.
    let Some(name) = valid_name(call.params.get("resource_name")) else {
        return failure("Unable to subscribe to ''.");
    };
    let url = call.params.get("post_url").unwrap_or("");
    if let Err(message) = pings::check_post_url(url, &state.pings.settings) {
        return failure(&message);
    }
    if resolved == Some(false) {
        return failure(&pings::invalid_post_url(url));
    }
    let subscription = state
        .pings
        .subscribe(&call.creator_id, &call.client_id, name, url);
    success(
        state.profile,
        "resource_subscription",
        subscription_json(&subscription),
    )
}

pub(super) async fn index(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    handle(&req, &body, &shared, Needs::ViewSales, |call, state| {
        let Some(name) = valid_name(call.params.get("resource_name")) else {
            return failure("Valid resource_name parameter required");
        };
        let listed: Vec<J> = state
            .pings
            .live(&call.creator_id, name)
            .into_iter()
            .map(subscription_json)
            .collect();
        success(state.profile, "resource_subscriptions", J::Arr(listed))
    })
}

pub(super) async fn destroy(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let id = segment(&req, 3);
    handle(&req, &body, &shared, Needs::ViewSales, |call, state| {
        if state
            .pings
            .unsubscribe(&call.creator_id, &call.client_id, &id)
        {
            deleted("resource_subscription")
        } else {
            failure(NOT_FOUND)
        }
    })
}
