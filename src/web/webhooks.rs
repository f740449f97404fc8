//! `GET /settings/webhooks`: the creator's Gumroad pings: the eight subscriptions and their state, the
//! last 100 deliveries, and "Repair" (`POST /settings/webhooks/repair`), which subscribes again in
//! the background (idempotent: exactly one subscription per resource afterwards). In demo mode only
//! (`gumdash demo`, which wires the dashboard to the bundled simulator), "Send a test sale"
//! (`POST /settings/webhooks/test-sale`) asks the simulator to make a sale for the signed-in creator;
//! it arrives like any other, by ping and fetch-back.

use actix_web::{HttpResponse, Responder, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use chrono_tz::Tz;

use super::csrf::{CsrfForm, CsrfOnly};
use super::current_creator::CurrentCreator;
use super::error::AppError;
use super::forms::{done, see_other};
use super::layout::{Layout, Nav};
use super::sales::Moment;
use super::session::FlashKind;
use super::state::AppState;
use crate::gumroad::RESOURCE_NAMES;
use crate::jobs::{Job, Queue};
use crate::store::webhooks;

/// How many deliveries the page lists.
const DELIVERIES_SHOWN: i64 = 100;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(show).service(repair).service(test_sale);
}

/// The bundled simulator the demo runs beside the dashboard (`Settings::demo_sim_url`): its control
/// endpoints make sales on demand. Absent outside the demo.
pub struct DemoSim {
    pub url: url::Url,
    pub http: reqwest::Client,
}

impl DemoSim {
    /// Asks the simulator for a sale of the creator's newest published product, now.
    async fn make_sale(&self, gumroad_user_id: &str) -> anyhow::Result<()> {
        use anyhow::Context as _;
        let response = self
            .http
            .post(self.url.join("_sim/sales")?)
            .json(&serde_json::json!({ "creator_id": gumroad_user_id }))
            .send()
            .await
            .context("the simulator did not answer")?;
        let status = response.status();
        if !status.is_success() {
            let reason = response.text().await.unwrap_or_default();
            anyhow::bail!("the simulator refused the sale ({status}): {reason}");
        }
        Ok(())
    }
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
    /// Demo mode: the "Send a test sale" button.
    demo: bool,
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
        demo: state.demo_sim.is_some(),
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

/// Demo mode only; a 404 anywhere else, as if the route did not exist.
#[post("/settings/webhooks/test-sale")]
pub async fn test_sale(
    current: CurrentCreator,
    state: web::Data<AppState>,
    _form: CsrfForm<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    let Some(sim) = &state.demo_sim else {
        return Err(AppError::NotFound);
    };
    if let Err(error) = sim.make_sale(&current.creator.gumroad_user_id).await {
        tracing::warn!(
            error = format!("{error:#}"),
            "the demo's test sale was not made"
        );
        current.session.flash(
            FlashKind::Error,
            "The simulator did not make a test sale (is a product of yours published?).",
        )?;
        return Ok(see_other("/settings/webhooks"));
    }
    done(
        &current.session,
        "A test sale was made at the simulator; its ping arrives in about 10 s.",
        "/settings/webhooks",
    )
}
