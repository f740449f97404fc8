//! `GET /v2/products/:id/subscribers` and `GET /v2/subscribers/:id` (api-facts §6.8, §7), `view_sales`.
//!
//! The index lists **active** subscribers only (not failed, not ended, not a test purchase,
//! cancellation absent or in the future), newest first, optionally one `email`; everything at once
//! unless `paginated=true`/`1` or a `page_key` is sent, then 100 a page with the products' keyset
//! scheme (`created_at` before the cursor, or equal and a lower id).

use actix_web::{HttpRequest, HttpResponse, web};

use super::auth::Needs;
use super::common::{failure, handle, handle_product, segment, success, success_with};
use super::paging::{next_page_url, page_key, parse_page_key};
use crate::sim::catalog::json::J;
use crate::sim::rails;
use crate::sim::sales::subscriptions::{self, Subscription};
use crate::sim::sales::{Sale, json};
use crate::sim::store::{Shared, SimState};

pub(crate) const NOT_FOUND: &str = "The subscriber was not found.";

/// Subscribers per page when paging is asked for.
const SUBSCRIBERS_PAGE_SIZE: usize = 100;

pub(super) async fn index(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    handle_product(
        &req,
        &body,
        &shared,
        Needs::ViewSales,
        |call, state, product| {
            let Some(creator) = state.creator_index(&call.creator_id) else {
                return failure("The product was not found.");
            };
            let cursor = match call.params.present("page_key") {
                None => None,
                Some(key) => match parse_page_key(key) {
                    Some(cursor) => Some(cursor),
                    None => return rails::error_400("Invalid page_key."),
                },
            };
            let paginated =
                cursor.is_some() || matches!(call.params.get("paginated"), Some("true" | "1"));
            let email = call.params.present("email").map(|e| e.trim().to_owned());
            let now = state.now().timestamp_micros();
            let active = subscriptions::of_creator(state, creator)
                .into_iter()
                .filter(|s| s.first().product as usize == product)
                .filter(|s| s.listed() && s.times(state).active(now))
                .filter(|s| {
                    email
                        .as_deref()
                        .is_none_or(|wanted| purchase_email(state, s.first()) == wanted)
                })
                .filter(|s| {
                    cursor.is_none_or(|(at, id)| {
                        let at = at.timestamp_micros();
                        s.created_at() < at || (s.created_at() == at && u64::from(s.number) < id)
                    })
                });
            if !paginated {
                let all: Vec<J> = active
                    .map(|s| subscriptions::subscriber(state, &s))
                    .collect();
                return success(state.profile, "subscribers", J::Arr(all));
            }
            let mut page: Vec<Subscription> = active.take(SUBSCRIBERS_PAGE_SIZE + 1).collect();
            let more = page.len() > SUBSCRIBERS_PAGE_SIZE;
            page.truncate(SUBSCRIBERS_PAGE_SIZE);
            let rendered: Vec<J> = page
                .iter()
                .map(|s| subscriptions::subscriber(state, s))
                .collect();
            let mut pairs = vec![("subscribers", J::Arr(rendered))];
            if let (true, Some(last)) = (more, page.last()) {
                let key = page_key(last.first().created_at(), u64::from(last.number));
                pairs.push(("next_page_key", key.clone().into()));
                pairs.push(("next_page_url", next_page_url(&req, &key).into()));
            }
            success_with(state.profile, pairs)
        },
    )
}

pub(super) async fn show(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let key = segment(&req, 3);
    handle(&req, &body, &shared, Needs::ViewSales, |call, state| {
        let found = state.creator_index(&call.creator_id).and_then(|creator| {
            let number = state.sales.find_subscription(&key)?;
            subscriptions::find(state, creator, number)
        });
        match found {
            Some(subscription) => success(
                state.profile,
                "subscriber",
                subscriptions::subscriber(state, &subscription),
            ),
            None => failure(NOT_FOUND),
        }
    })
}

fn purchase_email(state: &SimState, sale: &Sale) -> String {
    serde_json::to_value(json::sale(state, sale))
        .ok()
        .and_then(|v| v.get("email").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_default()
}
