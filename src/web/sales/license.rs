//! A sale's license key: enable, disable, or take one use off, each after a confirmation page that
//! carries a single-use key (so a decrement is never done twice). Gumroad's answer gives the uses;
//! the sale is fetched again so the mirror shows the key's state.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;
use serde_json::json;

use super::access::offer_after_403;
use super::actions::{
    Audit, SaleAt, grant_page, outcome_unknown, record_done, record_outcome, refetch,
    refuse_without_scope, render, result_of, unknown_outcome_page,
};
use crate::domain::SaleAction;
use crate::gumroad::{GumroadError, LicenseChange, LicenseRefusal};
use crate::store::action_keys::{self, Binding, Claim, Outcome};
use crate::store::audit::Action;
use crate::web::csrf::{CsrfForm, CsrfProtected};
use crate::web::current_creator::CurrentCreator;
use crate::web::error::AppError;
use crate::web::forms::{done, see_other};
use crate::web::layout::{Layout, Nav};
use crate::web::session::FlashKind;
use crate::web::state::AppState;

const ACTION: SaleAction = SaleAction::ChangeLicense;

/// The change named in the path: `enable`, `disable`, `decrement`.
fn change_of(segment: &str) -> Option<(LicenseChange, &'static str)> {
    match segment {
        "enable" => Some((LicenseChange::Enable, "enable")),
        "disable" => Some((LicenseChange::Disable, "disable")),
        "decrement" => Some((LicenseChange::DecrementUses, "decrement")),
        _ => None,
    }
}

fn wording(change: LicenseChange) -> (&'static str, &'static str) {
    match change {
        LicenseChange::Enable => (
            "Enable this license key?",
            "The key works again wherever the buyer uses it.",
        ),
        LicenseChange::Disable => (
            "Disable this license key?",
            "Verifying the key then fails until it is enabled again.",
        ),
        LicenseChange::DecrementUses => (
            "Take one use off this license key?",
            "Gumroad lowers the key's use count by one (never below zero), for example after the \
             buyer moved to a new computer.",
        ),
    }
}

/// A licensed sale from the mirror: the key and its product.
struct Licensed {
    sale: SaleAt,
    key: String,
}

async fn licensed(
    state: &AppState,
    current: &CurrentCreator,
    id: &str,
) -> Result<Licensed, AppError> {
    let sale = SaleAt::load(state, current, id).await?;
    let key = sale
        .sale
        .details
        .license_key
        .clone()
        .ok_or(AppError::NotFound)?;
    Ok(Licensed { sale, key })
}

#[derive(Template)]
#[template(path = "sales/license_confirm.html")]
struct ConfirmPage {
    layout: Layout,
    question: &'static str,
    consequence: &'static str,
    license_key: String,
    action: String,
    sale_href: String,
    key: String,
}

#[get("/sales/{id}/license/{change}")]
pub async fn license_confirm(
    current: CurrentCreator,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, segment) = path.into_inner();
    let (change, name) = change_of(&segment).ok_or(AppError::NotFound)?;
    let licensed = licensed(&state, &current, &id).await?;
    let href = &licensed.sale.href;
    if let Some(page) = refuse_without_scope(&state, &current, ACTION, href).await? {
        return Ok(page);
    }
    // This page is the confirmation: the key is bound to its change at once.
    let bound = Binding {
        change: name,
        amount_cents: None,
    };
    let tenant = current.tenant();
    let key =
        action_keys::issue(&state.pool, tenant, licensed.sale.id(), ACTION, Some(bound)).await?;
    let (question, consequence) = wording(change);
    let page = ConfirmPage {
        layout: Layout::signed_in(&current.session, &current.creator, &state, Nav::Sales)?,
        question,
        consequence,
        license_key: licensed.key,
        action: format!("{href}/license/{segment}"),
        sale_href: href.clone(),
        key,
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    key: String,
}

impl CsrfProtected for KeyForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/sales/{id}/license/{change}")]
pub async fn change_license(
    req: HttpRequest,
    current: CurrentCreator,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: CsrfForm<KeyForm>,
) -> Result<HttpResponse, AppError> {
    let (id, segment) = path.into_inner();
    let (change, name) = change_of(&segment).ok_or(AppError::NotFound)?;
    let licensed = licensed(&state, &current, &id).await?;
    let sale = &licensed.sale;
    if let Some(page) = refuse_without_scope(&state, &current, ACTION, &sale.href).await? {
        return Ok(page);
    }
    let tenant = current.tenant();
    // The handle first: a reconnect error must not use up the key.
    let api = state.gumroad(tenant).await?;
    let bound = Binding {
        change: name,
        amount_cents: None,
    };
    let refused = match action_keys::claim(
        &state.pool,
        tenant,
        &form.0.key,
        sale.id(),
        ACTION,
        bound,
    )
    .await?
    {
        Claim::Claimed => None,
        Claim::Used => Some((
            FlashKind::Info,
            "This form was already sent, so nothing more was changed.",
        )),
        Claim::Mismatch => Some((
            FlashKind::Error,
            "That confirmation was for another change to this license key (or is more than a day \
             old), so nothing was changed. Choose the change again.",
        )),
    };
    if let Some((kind, message)) = refused {
        current.session.flash(kind, message)?;
        return Ok(see_other(&sale.href));
    }
    let product = sale.sale.row.product_id.clone();
    let answer = api
        .call(async |api, token| {
            api.change_license(token, &product, &licensed.key, change)
                .await
        })
        .await;
    let action = Action::LicenseChange;
    match answer {
        Ok(license) => {
            let audited = Audit {
                action,
                detail: json!({"change": name, "uses": license.uses, "result": "done"}),
                req: &req,
            };
            record_done(&state, &current, sale.id(), audited, Some(&form.0.key)).await;
            refetch(&state, &current, sale).await;
            let message = format!("Done: the key now has {} uses.", license.uses);
            done(&current.session, message, &sale.href)
        }
        Err(error) => {
            let mut detail = json!({"change": name});
            if let (Some(d), serde_json::Value::Object(r)) =
                (detail.as_object_mut(), result_of(&error))
            {
                d.extend(r);
            }
            let outcome = if outcome_unknown(&error) {
                Outcome::Unknown
            } else {
                Outcome::Refused
            };
            let audited = Audit {
                action,
                detail,
                req: &req,
            };
            let key = Some((form.0.key.as_str(), outcome));
            record_outcome(&state, &current, sale.id(), audited, key).await?;
            license_failed(&state, &current, sale, error).await
        }
    }
}

async fn license_failed(
    state: &AppState,
    current: &CurrentCreator,
    sale: &SaleAt,
    error: GumroadError,
) -> Result<HttpResponse, AppError> {
    if error == GumroadError::MissingScope {
        let offer = offer_after_403(state, ACTION, &sale.href);
        return grant_page(state, current, offer, sale.href.clone());
    }
    if outcome_unknown(&error) {
        let refetched = refetch(state, current, sale).await;
        return unknown_outcome_page(
            state,
            current,
            sale.id(),
            "license change",
            &error,
            refetched,
        )
        .await;
    }
    match LicenseRefusal::from_error(&error) {
        Some(refusal) => {
            current.session.flash(FlashKind::Error, refusal.plain())?;
            Ok(see_other(&sale.href))
        }
        None => Err(AppError::Gumroad(error)),
    }
}
