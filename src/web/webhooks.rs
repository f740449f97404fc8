//! `GET /settings/webhooks`: the creator's Gumroad pings: the eight subscriptions and their state, the
//! last 100 deliveries, and "Repair" (`POST /settings/webhooks/repair`), which subscribes again in
//! the background (idempotent: exactly one subscription per resource afterwards).

use actix_web::{HttpResponse, Responder, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use chrono_tz::Tz;

use super::csrf::{CsrfForm, CsrfOnly};
use super::current_creator::CurrentCreator;
use super::error::AppError;
use super::forms::done;
use super::layout::{Layout, Nav};
use super::sales::Moment;
use super::state::AppState;
use crate::gumroad::RESOURCE_NAMES;
use crate::jobs::{Job, Queue};
use crate::store::webhooks;

/// How many deliveries the page lists.
const DELIVERIES_SHOWN: i64 = 100;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(show).service(repair);
}

struct SubscriptionLine {
    resource_name: &'static str,
    state: String,
    detail: Option<String>,
}

struct DeliveryLine {
    when: Moment,
    resource_name: String,
    object_id: String,
    retry_count: i32,
    outcome: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    layout: Layout,
    /// `none` (never subscribed), `pending`, `subscribed`, `refused`, `failed`.
    state: String,
    detail: Option<String>,
    subscriptions: Vec<SubscriptionLine>,
    deliveries: Vec<DeliveryLine>,
}

fn outcome_words(outcome: &str) -> &'static str {
    match outcome {
        "queued" => "Waiting to be fetched from Gumroad",
        "updated" => "Fetched; the sale was updated",
        "unchanged" => "Fetched; nothing had changed",
        "not_found" => "Gumroad does not know this sale for you; nothing changed",
        "ignored" => "Recorded (not mirrored yet)",
        "deferred" => "Too many waiting: the next sync catches up instead",
        _ => "Recorded",
    }
}

#[get("/settings/webhooks")]
pub async fn show(
    current: CurrentCreator,
    state: web::Data<AppState>,
) -> Result<impl Responder, AppError> {
    let tenant = current.tenant();
    let endpoint = webhooks::endpoint(&state.pool, tenant).await?;
    let saved = webhooks::subscriptions(&state.pool, tenant).await?;
    let subscriptions = RESOURCE_NAMES
        .iter()
        .map(|name| {
            let found = saved.iter().find(|s| s.resource_name == *name);
            SubscriptionLine {
                resource_name: name,
                state: found.map_or_else(|| "not subscribed".to_owned(), |s| s.state.clone()),
                detail: found.and_then(|s| s.detail.clone()),
            }
        })
        .collect();
    let zone: Tz = current.creator.time_zone.parse().unwrap_or(Tz::UTC);
    let deliveries = webhooks::recent_deliveries(&state.pool, tenant, DELIVERIES_SHOWN)
        .await?
        .into_iter()
        .map(|d| DeliveryLine {
            when: Moment::new(d.received_at, zone),
            resource_name: d.resource_name,
            object_id: d.object_id.unwrap_or_default(),
            retry_count: d.retry_count,
            outcome: outcome_words(&d.outcome),
        })
        .collect();
    Ok(WebhooksPage {
        layout: Layout::signed_in(&current.session, &current.creator, &state, Nav::None)?,
        state: endpoint
            .as_ref()
            .map_or_else(|| "none".to_owned(), |e| e.state.clone()),
        detail: endpoint.and_then(|e| e.detail),
        subscriptions,
        deliveries,
    })
}

#[post("/settings/webhooks/repair")]
pub async fn repair(
    current: CurrentCreator,
    state: web::Data<AppState>,
    _form: CsrfForm<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    let job = Job::SubscribePings {
        creator: current.tenant(),
    };
    Queue::enqueue(&state.pool, &job).await?;
    done(
        &current.session,
        "Repair started: gumdash is checking your Gumroad subscriptions.",
        "/settings/webhooks",
    )
}
