//! Mark a sale as shipped (with an optional http(s) tracking link) and resend its receipt (2026 API).
//! Neither moves money, so neither has a confirmation step; both are CSRF-protected and audited.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;
use serde_json::json;

use super::access::offer_after_403;
use super::actions::{
    Audit, SaleAt, grant_page, outcome_unknown, record_done, record_outcome, refetch,
    refuse_without_scope, render, result_of, store_answer, unknown_outcome_page,
};
use crate::domain::{SaleAction, TrackingUrl};
use crate::gumroad::GumroadError;
use crate::store::audit::{self, Action};
use crate::web::csrf::{CsrfForm, CsrfOnly, CsrfProtected};
use crate::web::current_creator::CurrentCreator;
use crate::web::error::AppError;
use crate::web::forms::{FormErrors, done};
use crate::web::layout::{Layout, Nav};
use crate::web::session::FlashKind;
use crate::web::state::AppState;

#[derive(Deserialize)]
pub struct ShipForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    tracking_url: String,
}

impl CsrfProtected for ShipForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[derive(Template)]
#[template(path = "sales/ship.html")]
struct ShipPage {
    layout: Layout,
    sale_href: String,
    action: String,
    product: String,
    shipped: bool,
    tracking_url: String,
    errors: FormErrors,
}

fn ship_page(
    state: &AppState,
    current: &CurrentCreator,
    sale: &SaleAt,
    tracking_url: String,
    errors: FormErrors,
) -> Result<ShipPage, AppError> {
    Ok(ShipPage {
        layout: Layout::signed_in(&current.session, &current.creator, state, Nav::Sales)?,
        action: format!("{}/ship", sale.href),
        sale_href: sale.href.clone(),
        product: sale.sale.row.product_name.clone(),
        shipped: sale.sale.details.shipped,
        tracking_url,
        errors,
    })
}

#[get("/sales/{id}/ship")]
pub async fn ship_form(
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let sale = SaleAt::load(&state, &current, &id).await?;
    if !sale.sale.details.is_physical {
        return Err(AppError::NotFound);
    }
    let back = format!("{}/ship", sale.href);
    if let Some(page) =
        refuse_without_scope(&state, &current, SaleAction::MarkShipped, &back).await?
    {
        return Ok(page);
    }
    let page = ship_page(
        &state,
        &current,
        &sale,
        String::new(),
        FormErrors::default(),
    )?;
    render(StatusCode::OK, &page)
}

#[post("/sales/{id}/ship")]
pub async fn ship(
    req: HttpRequest,
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: CsrfForm<ShipForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let sale = SaleAt::load(&state, &current, &id).await?;
    if !sale.sale.details.is_physical {
        return Err(AppError::NotFound);
    }
    let tracking = match TrackingUrl::parse_optional(&form.tracking_url) {
        Ok(tracking) => tracking,
        Err(error) => {
            let mut errors = FormErrors::default();
            errors.add("tracking_url", error.to_string());
            let page = ship_page(&state, &current, &sale, form.tracking_url, errors)?;
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let back = format!("{}/ship", sale.href);
    if let Some(page) =
        refuse_without_scope(&state, &current, SaleAction::MarkShipped, &back).await?
    {
        return Ok(page);
    }
    if let Some(page) = cooling_down(&state, &current, &sale, Action::SaleMarkAsShipped).await? {
        return Ok(page);
    }
    let tracking = tracking.as_ref().map(TrackingUrl::as_str);
    let api = state.gumroad(current.tenant()).await?;
    let answer = api
        .call(async |api, token| api.mark_sale_shipped(token, sale.id(), tracking).await)
        .await;
    let mut detail = json!({ "tracking_url": tracking });
    match answer {
        Ok(answer) => {
            detail["result"] = "done".into();
            let audited = Audit {
                action: Action::SaleMarkAsShipped,
                detail,
                req: &req,
            };
            store_answer(&state, &current, &sale, &answer, audited, None).await;
            done(&current.session, "Marked as shipped.", &sale.href)
        }
        Err(error) => {
            let what = "shipment";
            written_off(
                &state,
                &current,
                &sale,
                &req,
                detail,
                error,
                SaleAction::MarkShipped,
                what,
            )
            .await
        }
    }
}

/// `POST /sales/{id}/receipt`: Gumroad emails the buyer the receipt again.
#[post("/sales/{id}/receipt")]
pub async fn resend_receipt(
    req: HttpRequest,
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: web::Path<String>,
    _form: CsrfForm<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    let sale = SaleAt::load(&state, &current, &id).await?;
    let action = SaleAction::ResendReceipt;
    if let Some(page) = refuse_without_scope(&state, &current, action, &sale.href).await? {
        return Ok(page);
    }
    if let Some(page) = cooling_down(&state, &current, &sale, Action::SaleResendReceipt).await? {
        return Ok(page);
    }
    let api = state.gumroad(current.tenant()).await?;
    let answer = api
        .call(async |api, token| api.resend_receipt(token, sale.id()).await)
        .await;
    match answer {
        Ok(()) => {
            let audited = Audit {
                action: Action::SaleResendReceipt,
                detail: json!({"result": "done"}),
                req: &req,
            };
            record_done(&state, &current, sale.id(), audited, None).await;
            done(
                &current.session,
                "Gumroad sent the receipt to the buyer again.",
                &sale.href,
            )
        }
        Err(error) => {
            written_off(
                &state,
                &current,
                &sale,
                &req,
                json!({}),
                error,
                action,
                "receipt",
            )
            .await
        }
    }
}

/// Both actions email the buyer: at most one of each per sale in this many minutes.
const COOLDOWN_MINUTES: i32 = 10;

/// `Some(redirect)` with a plain flash when `action` was done on this sale in the cooldown.
async fn cooling_down(
    state: &AppState,
    current: &CurrentCreator,
    sale: &SaleAt,
    action: Action,
) -> Result<Option<HttpResponse>, AppError> {
    let recent = audit::sale_action_within(
        &state.pool,
        current.tenant(),
        sale.id(),
        action,
        COOLDOWN_MINUTES,
    )
    .await?;
    if !recent {
        return Ok(None);
    }
    current.session.flash(
        FlashKind::Info,
        format!(
            "Gumroad emailed the buyer about this less than {COOLDOWN_MINUTES} minutes ago, so it \
             was not sent again. Try again later if it is still needed."
        ),
    )?;
    Ok(Some(crate::web::forms::see_other(&sale.href)))
}

/// A shipment or receipt Gumroad did not confirm: audited, then the offer, "not supported", the
/// refusal, or "may not have been done".
#[allow(clippy::too_many_arguments)]
async fn written_off(
    state: &AppState,
    current: &CurrentCreator,
    sale: &SaleAt,
    req: &HttpRequest,
    mut detail: serde_json::Value,
    error: GumroadError,
    action: SaleAction,
    what: &'static str,
) -> Result<HttpResponse, AppError> {
    if let (Some(detail), serde_json::Value::Object(result)) =
        (detail.as_object_mut(), result_of(&error))
    {
        detail.extend(result);
    }
    let audited = Audit {
        action: Action::from(action),
        detail,
        req,
    };
    record_outcome(state, current, sale.id(), audited, None).await?;
    match error {
        GumroadError::MissingScope => {
            let offer = offer_after_403(state, action, &sale.href);
            grant_page(state, current, offer, sale.href.clone())
        }
        GumroadError::RouteNotFound => {
            current.session.flash(
                FlashKind::Error,
                "This Gumroad does not support that (its API has no such action).",
            )?;
            Ok(crate::web::forms::see_other(&sale.href))
        }
        error if outcome_unknown(&error) => {
            let refetched = refetch(state, current, sale).await;
            unknown_outcome_page(state, current, sale.id(), what, &error, refetched).await
        }
        error => Err(AppError::Gumroad(error)),
    }
}
