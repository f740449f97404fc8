//! Refunding a sale, in three steps so money never moves by accident or twice:
//!
//! 1. `GET /sales/{id}/refund`: the form (all that is left, or an amount in the sale's currency),
//!    carrying a fresh single-use key.
//! 2. `POST /sales/{id}/refund`: the amount is checked; the confirmation page says what will be
//!    refunded and that Gumroad keeps its fees.
//! 3. `POST /sales/{id}/refund/confirm`: the key is claimed (one conditional UPDATE: a double click,
//!    a refresh or a replay finds it used and refunds nothing), then Gumroad refunds; its answer goes
//!    into the mirror and the rollups. A refusal is shown beside the form; a lost answer gets the
//!    "may not have been done" page with the sale fetched again.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;
use serde_json::json;

use super::access::{Offer, Scopes, offer_after_403};
use super::actions::{
    Audit, SaleAt, grant_page, outcome_unknown, record_outcome, refetch, render, result_of,
    store_answer, unknown_outcome_page,
};
use super::view::usd;
use crate::domain::{Currency, RefundAmount, SaleAction, SaleRecord};
use crate::gumroad::{GumroadError, RefundRefusal};
use crate::store::action_keys::{self, Binding, Claim, Outcome};
use crate::store::audit::Action;
use crate::web::csrf::{CsrfForm, CsrfProtected};
use crate::web::current_creator::CurrentCreator;
use crate::web::error::AppError;
use crate::web::forms::{FormErrors, done};
use crate::web::layout::{Layout, Nav};
use crate::web::session::FlashKind;
use crate::web::state::AppState;

const ACTION: SaleAction = SaleAction::Refund;

#[derive(Deserialize)]
pub struct RefundForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    key: String,
    /// Blank: all that is left.
    #[serde(default)]
    amount: String,
}

impl CsrfProtected for RefundForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[derive(Template)]
#[template(path = "sales/refund.html")]
struct RefundPage {
    layout: Layout,
    sale_href: String,
    action: String,
    product: String,
    paid: String,
    /// What is still refundable, when known.
    left: Option<String>,
    currency: String,
    /// Nothing can be refunded any more (refunded in full, or free): no form.
    closed: Option<&'static str>,
    offer: Option<Offer>,
    key: String,
    amount: String,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "sales/refund_confirm.html")]
struct ConfirmPage {
    layout: Layout,
    sale_href: String,
    action: String,
    product: String,
    paid: String,
    refund: String,
    fee: Option<String>,
    key: String,
    amount: String,
}

impl RefundPage {
    async fn new(
        state: &AppState,
        current: &CurrentCreator,
        sale: &SaleAt,
        amount: String,
        errors: FormErrors,
    ) -> Result<RefundPage, AppError> {
        let r = &sale.sale.row;
        let closed = if r.refunded {
            Some("This sale has been refunded in full.")
        } else if r.price_usd_cents == 0 {
            Some("This sale was free: there is nothing to refund.")
        } else {
            None
        };
        let offer = Scopes::of(state, current).await?.offer(
            state,
            ACTION,
            &format!("{}/refund", sale.href),
        );
        let key = if closed.is_none() && offer.is_none() {
            action_keys::issue(&state.pool, current.tenant(), sale.id(), ACTION, None).await?
        } else {
            String::new()
        };
        Ok(RefundPage {
            layout: Layout::signed_in(&current.session, &current.creator, state, Nav::Sales)?,
            action: format!("{}/refund", sale.href),
            sale_href: sale.href.clone(),
            product: r.product_name.clone(),
            paid: sale.paid(),
            left: sale.sale.details.refundable_cents.map(|c| sale.money(c)),
            currency: r.currency.clone().unwrap_or_default().to_uppercase(),
            closed,
            offer,
            key,
            amount,
            errors,
        })
    }
}

#[get("/sales/{id}/refund")]
pub async fn refund_form(
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let sale = SaleAt::load(&state, &current, &id).await?;
    let page = RefundPage::new(
        &state,
        &current,
        &sale,
        String::new(),
        FormErrors::default(),
    )
    .await?;
    render(StatusCode::OK, &page)
}

/// A refund as checked: what the creator asked for, and the `amount_cents` that says it to the
/// configured Gumroad API.
#[derive(Clone, Copy)]
struct Checked {
    amount: RefundAmount,
    wire_cents: Option<i64>,
}

/// The typed amount, checked against what Gumroad last said is refundable and against what the
/// configured API can express.
fn parse_amount(state: &AppState, sale: &SaleAt, typed: &str) -> Result<Checked, FormErrors> {
    let currency = sale.currency().and_then(|c| Currency::parse(c).ok());
    RefundAmount::parse(typed, currency, sale.sale.details.refundable_cents)
        .and_then(|amount| {
            let wire_cents = amount.wire_cents(state.actions.api_version)?;
            Ok(Checked { amount, wire_cents })
        })
        .map_err(|error| {
            let mut errors = FormErrors::default();
            errors.add("amount", error.to_string());
            errors
        })
}

/// The form again with its errors (a fresh key: the old one may be used), 422.
async fn form_again(
    state: &AppState,
    current: &CurrentCreator,
    sale: &SaleAt,
    amount: String,
    errors: FormErrors,
) -> Result<HttpResponse, AppError> {
    let page = RefundPage::new(state, current, sale, amount, errors).await?;
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// The sale and amount of a submitted form, or the form again with the amount's error.
async fn submitted(
    state: &AppState,
    current: &CurrentCreator,
    id: &str,
    form: &RefundForm,
) -> Result<Result<(SaleAt, Checked), HttpResponse>, AppError> {
    let sale = SaleAt::load(state, current, id).await?;
    match parse_amount(state, &sale, &form.amount) {
        Ok(amount) => Ok(Ok((sale, amount))),
        Err(errors) => Ok(Err(form_again(
            state,
            current,
            &sale,
            form.amount.clone(),
            errors,
        )
        .await?)),
    }
}

#[post("/sales/{id}/refund")]
pub async fn refund_review(
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: CsrfForm<RefundForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let (sale, Checked { amount, .. }) = match submitted(&state, &current, &id, &form).await? {
        Ok(submitted) => submitted,
        Err(page) => return Ok(page),
    };
    // The key is bound to what this page shows: the final POST must send the same.
    let bound = binding(amount);
    if !action_keys::review(
        &state.pool,
        current.tenant(),
        &form.key,
        sale.id(),
        ACTION,
        bound,
    )
    .await?
    {
        return already_sent(&current, &sale);
    }
    let refund = match amount {
        RefundAmount::Full => format!(
            "everything still refundable: {}",
            sale.sale
                .details
                .refundable_cents
                .map_or_else(|| sale.paid(), |c| sale.money(c))
        ),
        RefundAmount::Partial(money) => format!("{} of the {} paid", money.display(), sale.paid()),
    };
    let page = ConfirmPage {
        layout: Layout::signed_in(&current.session, &current.creator, &state, Nav::Sales)?,
        action: format!("{}/refund/confirm", sale.href),
        sale_href: sale.href.clone(),
        product: sale.sale.row.product_name.clone(),
        paid: sale.paid(),
        refund,
        fee: sale.sale.details.fee_usd_cents.filter(|f| *f > 0).map(usd),
        key: form.key,
        amount: amount.input_value(),
    };
    render(StatusCode::OK, &page)
}

/// What a refund key is bound to: the whole rest, or the amount the confirmation page showed.
fn binding(amount: RefundAmount) -> Binding<'static> {
    match amount {
        RefundAmount::Full => Binding {
            change: "full",
            amount_cents: None,
        },
        RefundAmount::Partial(money) => Binding {
            change: "partial",
            amount_cents: Some(money.amount),
        },
    }
}

fn already_sent(current: &CurrentCreator, sale: &SaleAt) -> Result<HttpResponse, AppError> {
    current.session.flash(
        FlashKind::Info,
        "This refund form was already sent, so nothing more was refunded. The sale below shows what \
         Gumroad did.",
    )?;
    Ok(crate::web::forms::see_other(&sale.href))
}

#[post("/sales/{id}/refund/confirm")]
pub async fn refund_confirm(
    req: HttpRequest,
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: CsrfForm<RefundForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let (sale, Checked { amount, wire_cents }) =
        match submitted(&state, &current, &id, &form).await? {
            Ok(submitted) => submitted,
            Err(page) => return Ok(page),
        };
    let back = format!("{}/refund", sale.href);
    if let Some(offer) = Scopes::of(&state, &current)
        .await?
        .offer(&state, ACTION, &back)
    {
        return grant_page(&state, &current, offer, sale.href.clone());
    }
    let tenant = current.tenant();
    // The handle first: a reconnect error must not use up the key.
    let api = state.gumroad(tenant).await?;
    match action_keys::claim(
        &state.pool,
        tenant,
        &form.key,
        sale.id(),
        ACTION,
        binding(amount),
    )
    .await?
    {
        Claim::Claimed => {}
        Claim::Used => return already_sent(&current, &sale),
        Claim::Mismatch => {
            let mut errors = FormErrors::default();
            errors.general = Some(
                "This is not the refund you confirmed (the amount differs, or the confirmation is \
                 more than a day old), so nothing was refunded. Check the amount and confirm again."
                    .into(),
            );
            return form_again(&state, &current, &sale, form.amount.clone(), errors).await;
        }
    }
    let detail = json!({
        "amount_cents": amount.cents(),
        "sent_amount_cents": wire_cents,
        "currency": sale.currency(),
        "full": amount == RefundAmount::Full,
    });
    let answer = api
        .call(async |api, token| api.refund_sale(token, sale.id(), wire_cents).await)
        .await;
    let answer = match answer {
        Ok(answer) => answer,
        Err(error) => {
            let mut detail = detail;
            merge(&mut detail, result_of(&error));
            let audited = Audit {
                action: Action::SaleRefund,
                detail,
                req: &req,
            };
            return refund_failed(&state, &current, &sale, &form, error, audited).await;
        }
    };
    let mut detail = detail;
    merge(&mut detail, json!({"result": "done"}));
    let audited = Audit {
        action: Action::SaleRefund,
        detail,
        req: &req,
    };
    let message = refunded_message(&sale, &sale.record(&answer));
    store_answer(&state, &current, &sale, &answer, audited, Some(&form.key)).await;
    done(&current.session, message, &sale.href)
}

/// What Gumroad says it refunded: the change in the refunded amount between the sale as the
/// confirmation page showed it and Gumroad's answer (not the figure typed).
fn refunded_message(sale: &SaleAt, after: &SaleRecord) -> String {
    let change = (after.refunded_cents - sale.sale.row.refunded_cents).max(0);
    let whole = if after.refunded {
        " The sale is now refunded in full."
    } else {
        ""
    };
    format!(
        "Refunded {}.{whole} Gumroad keeps its fees.",
        sale.money(change)
    )
}

fn merge(into: &mut serde_json::Value, more: serde_json::Value) {
    if let (Some(into), serde_json::Value::Object(more)) = (into.as_object_mut(), more) {
        into.extend(more);
    }
}

/// A refund Gumroad did not confirm: the offer, the refusal beside the form, or "may not have been
/// done".
async fn refund_failed(
    state: &AppState,
    current: &CurrentCreator,
    sale: &SaleAt,
    form: &RefundForm,
    error: GumroadError,
    audited: Audit<'_>,
) -> Result<HttpResponse, AppError> {
    let outcome = if outcome_unknown(&error) {
        Outcome::Unknown
    } else {
        Outcome::Refused
    };
    record_outcome(
        state,
        current,
        sale.id(),
        audited,
        Some((&form.key, outcome)),
    )
    .await?;
    if outcome == Outcome::Unknown {
        let refetched = refetch(state, current, sale).await;
        return unknown_outcome_page(state, current, sale.id(), "refund", &error, refetched).await;
    }
    let mut errors = FormErrors::default();
    match &error {
        GumroadError::MissingScope => {
            let offer = offer_after_403(state, ACTION, &format!("{}/refund", sale.href));
            return grant_page(state, current, offer, sale.href.clone());
        }
        GumroadError::Unauthorized => return Err(AppError::Reconnect),
        GumroadError::RateLimited => {
            errors.general = Some(
                "Gumroad is busy right now, so nothing was refunded. Try again in a minute.".into(),
            );
        }
        GumroadError::NotFound { .. } | GumroadError::RouteNotFound => {
            errors.general =
                Some("Gumroad could not find this sale, so nothing was refunded.".into());
        }
        other => match RefundRefusal::from_error(other) {
            Some(refusal) if refusal.is_about_amount() => errors.add("amount", refusal.plain()),
            Some(refusal) => errors.general = Some(refusal.plain()),
            None => errors.general = Some(format!("Nothing was refunded: {}", other.summary())),
        },
    }
    form_again(state, current, sale, form.amount.clone(), errors).await
}
