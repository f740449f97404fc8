//! Membership events (api-facts §9.4): cancel, end, restart and change a subscription's plan now,
//! each firing its ping. `<id>` is the subscription's external id (a sale's `subscription_id`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::SecondsFormat;
use serde::Deserialize;

use super::{optional_json, unprocessable};
use crate::sim::catalog::json::J;
use crate::sim::pings::{self, payload::Payload};
use crate::sim::rails;
use crate::sim::sales::subscriptions::{self, SubscriptionTimes};
use crate::sim::sales::{Sale, SubscriptionState, json};

const MICROS_PER_DAY: i64 = 86_400_000_000;
use crate::sim::store::{Shared, SimState};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/_sim/subscriptions/{id}/cancel", web::post().to(cancel))
        .route("/_sim/subscriptions/{id}/end", web::post().to(end))
        .route("/_sim/subscriptions/{id}/restart", web::post().to(restart))
        .route("/_sim/subscriptions/{id}/update", web::post().to(update));
}

/// The subscription's number (from 1) and its charges, oldest first.
fn find(state: &SimState, external_id: &str) -> Option<(u32, Vec<Sale>)> {
    let number = (1..=state.sales.subscriptions.len() as u32)
        .find(|n| state.sales.subscription_id(n - 1) == external_id)?;
    let charges = (1..=state.sales.len() as u64)
        .filter_map(|id| state.sales.get(id).copied())
        .filter(|s| s.subscription == number)
        .collect();
    Some((number, charges))
}

/// Reads the optional JSON body, finds the subscription, checks and changes its state, fires the
/// ping; answers `{subscription_id, state}` or 422.
fn event<T: Default + serde::de::DeserializeOwned>(
    id: &str,
    body: &[u8],
    shared: &Shared,
    resource_name: &str,
    change: impl FnOnce(&mut SimState, u32, &[Sale], T) -> Result<Payload, String>,
) -> HttpResponse {
    let request = match optional_json::<T>(body) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    let mut state = shared.lock();
    let Some((number, charges)) = find(&state, id) else {
        return unprocessable("unknown subscription");
    };
    match change(&mut state, number, &charges, request) {
        Ok(extra) => {
            pings::fire_subscription(&mut state, number, resource_name, extra);
            let now = state.sales.subscriptions[number as usize - 1];
            rails::json(
                StatusCode::OK,
                &serde_json::json!({"subscription_id": id, "state": format!("{now:?}").to_lowercase()}),
            )
        }
        Err(message) => unprocessable(&message),
    }
}

fn set(state: &mut SimState, number: u32, to: SubscriptionState) {
    state.sales.subscriptions[number as usize - 1] = to;
}

fn is(state: &SimState, number: u32, wanted: SubscriptionState) -> bool {
    state.sales.subscriptions[number as usize - 1] == wanted
}

fn require_alive(state: &SimState, number: u32) -> Result<(), String> {
    if is(state, number, SubscriptionState::Alive) {
        Ok(())
    } else {
        Err("the subscription is not alive".into())
    }
}

fn micros_text(micros: Option<i64>) -> J {
    micros
        .and_then(chrono::DateTime::<chrono::Utc>::from_timestamp_micros)
        .map_or(J::Null, |t| {
            J::Str(t.to_rfc3339_opts(SecondsFormat::Secs, true))
        })
}

fn now_text(state: &SimState) -> J {
    J::Str(state.now().to_rfc3339_opts(SecondsFormat::Secs, true))
}

#[derive(Default, Deserialize)]
struct Cancel {
    /// `buyer` (default), `seller` or `admin`.
    by: Option<String>,
    /// Cancelled after failed charges instead.
    #[serde(default)]
    payment_failed: bool,
}

/// `POST /_sim/subscriptions/<id>/cancel {by?, payment_failed?}`: a live subscription is cancelled
/// (access until the period ends); pings `cancellation`.
async fn cancel(
    path: web::Path<String>,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    event(
        &path,
        &body,
        &shared,
        "cancellation",
        |state, number, charges, request: Cancel| {
            require_alive(state, number)?;
            set(state, number, SubscriptionState::Cancelled);
            let now = state.now().timestamp_micros();
            // A buyer's or seller's cancellation takes effect when the paid period runs out; one
            // after failed charges at once.
            let times = if request.payment_failed {
                SubscriptionTimes {
                    cancelled_at: Some(now),
                    failed_at: Some(now),
                    ..SubscriptionTimes::default()
                }
            } else {
                let paid_until = charges.last().map_or(now, |last| {
                    last.created_at
                        + subscriptions::period_days(json::recurrence(last)) * MICROS_PER_DAY
                });
                SubscriptionTimes {
                    user_requested_cancellation_at: Some(now),
                    cancelled_at: Some(paid_until.max(now)),
                    ..SubscriptionTimes::default()
                }
            };
            state.sales.subscription_times.insert(number, times);
            let mut extra: Payload = vec![
                ("cancelled".into(), J::Bool(true)),
                ("cancelled_at".into(), micros_text(times.cancelled_at)),
            ];
            if request.payment_failed {
                extra.push(("cancelled_due_to_payment_failures".into(), J::Bool(true)));
            } else {
                let by = match request.by.as_deref().unwrap_or("buyer") {
                    who @ ("buyer" | "seller" | "admin") => who,
                    _ => return Err("by must be buyer, seller or admin".into()),
                };
                extra.push((format!("cancelled_by_{by}"), J::Bool(true)));
            }
            Ok(extra)
        },
    )
}

#[derive(Default, Deserialize)]
struct End {
    /// `cancelled` (default), `failed_payment` or `fixed_subscription_period_ended`.
    reason: Option<String>,
}

/// `POST /_sim/subscriptions/<id>/end {reason?}`: the subscription is deactivated; pings
/// `subscription_ended` (only for one not ended already, as Gumroad).
async fn end(path: web::Path<String>, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    event(
        &path,
        &body,
        &shared,
        "subscription_ended",
        |state, number, _, request: End| {
            if is(state, number, SubscriptionState::Ended) {
                return Err("the subscription has ended already".into());
            }
            let reason = match request.reason.as_deref().unwrap_or("cancelled") {
                r @ ("cancelled" | "failed_payment" | "fixed_subscription_period_ended") => {
                    r.to_owned()
                }
                _ => return Err("unknown reason".into()),
            };
            set(state, number, SubscriptionState::Ended);
            let now = state.now().timestamp_micros();
            let times = state.sales.subscription_times.entry(number).or_default();
            times.ended_at = Some(now);
            times.cancelled_at = Some(times.cancelled_at.map_or(now, |at| at.min(now)));
            match reason.as_str() {
                "failed_payment" => times.failed_at = Some(times.failed_at.unwrap_or(now)),
                "fixed_subscription_period_ended" => times.fixed_period_ended = true,
                _ => {}
            }
            Ok(vec![
                ("ended_at".into(), now_text(state)),
                ("ended_reason".into(), J::Str(reason)),
            ])
        },
    )
}

/// A control without parameters (any JSON object is accepted).
#[derive(Default, Deserialize)]
struct NoParameters {}

/// `POST /_sim/subscriptions/<id>/restart`: a cancelled or ended subscription is alive again; pings
/// `subscription_restarted`.
async fn restart(
    path: web::Path<String>,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    event(
        &path,
        &body,
        &shared,
        "subscription_restarted",
        |state, number, _, _: NoParameters| {
            if is(state, number, SubscriptionState::Alive) {
                return Err("the subscription is alive".into());
            }
            set(state, number, SubscriptionState::Alive);
            state.sales.subscription_times.remove(&number);
            Ok(vec![("restarted_at".into(), now_text(state))])
        },
    )
}

#[derive(Default, Deserialize)]
struct Update {
    /// `upgrade` (default) or `downgrade`.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// The new tier's name (a live option of the product's first category); default: the same.
    new_tier: Option<String>,
    new_recurrence: Option<String>,
    /// Default: twice the last charge for an upgrade, half for a downgrade.
    new_price_cents: Option<i64>,
}

/// `POST /_sim/subscriptions/<id>/update {type?, new_tier?, new_recurrence?, new_price_cents?}`:
/// pings `subscription_updated` with the old and new plans (the charges already made stay).
async fn update(
    path: web::Path<String>,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    event(
        &path,
        &body,
        &shared,
        "subscription_updated",
        |state, number, charges, request: Update| {
            require_alive(state, number)?;
            let kind = match request.kind.as_deref().unwrap_or("upgrade") {
                k @ ("upgrade" | "downgrade") => k.to_owned(),
                _ => return Err("type must be upgrade or downgrade".into()),
            };
            let last = charges.last().ok_or("the subscription has no charge")?;
            let old_tier = tier_of(state, last);
            let new_tier = match &request.new_tier {
                None => old_tier.clone(),
                Some(name) => named_tier(state, last, name).ok_or("no such tier")?,
            };
            let old_price = i64::from(last.price);
            let new_price = request.new_price_cents.unwrap_or(if kind == "upgrade" {
                old_price * 2
            } else {
                old_price / 2
            });
            let recurrence = json::recurrence(last).map(str::to_owned);
            let plan = |tier: J, recurrence: Option<String>, price: i64| {
                J::obj(vec![
                    ("tier", tier),
                    ("recurrence", J::from(recurrence)),
                    ("price_cents", J::Int(price)),
                    ("quantity", J::Int(i64::from(last.quantity))),
                ])
            };
            Ok(vec![
                ("type".into(), J::Str(kind)),
                ("effective_as_of".into(), now_text(state)),
                (
                    "old_plan".into(),
                    plan(old_tier, recurrence.clone(), old_price),
                ),
                (
                    "new_plan".into(),
                    plan(new_tier, request.new_recurrence.or(recurrence), new_price),
                ),
            ])
        },
    )
}

/// `{id, name}` of the tier (the first category's option) a charge bought, or null.
fn tier_of(state: &SimState, sale: &Sale) -> J {
    let product = state.catalog.products.get(sale.product as usize);
    product
        .and_then(|p| p.variant_categories.first())
        .and_then(|c| c.variants.get(sale.variant_option(0)?))
        .map_or(J::Null, |v| {
            J::obj(vec![
                ("id", v.external_id.as_str().into()),
                ("name", v.name.as_str().into()),
            ])
        })
}

fn named_tier(state: &SimState, sale: &Sale, name: &str) -> Option<J> {
    let product = state.catalog.products.get(sale.product as usize)?;
    let variant = product
        .variant_categories
        .first()?
        .live_variants()
        .find(|v| v.name == name)?;
    Some(J::obj(vec![
        ("id", variant.external_id.as_str().into()),
        ("name", variant.name.as_str().into()),
    ]))
}
