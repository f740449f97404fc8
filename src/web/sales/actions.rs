//! What every sale action shares: the creator's sale from the mirror, storing Gumroad's answer through
//! the sync's upsert (the rollup trigger adjusts the totals in the same transaction), the audit entry,
//! and the pages for "Grant access" and "may not have been done".
//!
//! The actions themselves: `refund` (form, confirmation, the refund), `shipping` and `receipt`
//! (mark as shipped, resend the receipt), `license` (enable, disable, decrement uses).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use chrono_tz::Tz;
use serde_json::{Value, json};

use super::access::Offer;
use super::view::{money, sale_amount, sale_href};
use crate::domain::{SaleAction, SaleRecord};
use crate::gumroad::{self, GumroadError};
use crate::store::audit::{self, Action, Actor};
use crate::store::{self, action_keys, sales::StoredSale};
use crate::web::client_addr::ClientAddr;
use crate::web::current_creator::CurrentCreator;
use crate::web::error::AppError;
pub use crate::web::forms::render_with as render;
use crate::web::layout::{Layout, Nav};
use crate::web::state::AppState;

/// The signed-in creator's sale named in the path, as the mirror has it.
pub struct SaleAt {
    pub sale: StoredSale,
    pub href: String,
    pub zone: Tz,
}

impl SaleAt {
    /// Another creator's sale, or an unknown id, is a 404 like any missing page.
    pub async fn load(
        state: &AppState,
        current: &CurrentCreator,
        id: &str,
    ) -> Result<SaleAt, AppError> {
        if id.contains('\0') {
            return Err(AppError::NotFound);
        }
        let sale = store::sales::find(&state.pool, current.tenant(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(SaleAt {
            href: sale_href(&sale.row.gumroad_id),
            zone: current.creator.time_zone.parse().unwrap_or(Tz::UTC),
            sale,
        })
    }

    pub fn id(&self) -> &str {
        &self.sale.row.gumroad_id
    }

    /// "€12.00", "Free", …
    pub fn paid(&self) -> String {
        sale_amount(&self.sale.row)
    }

    pub fn currency(&self) -> Option<&str> {
        self.sale.row.currency.as_deref()
    }

    pub fn money(&self, cents: i64) -> String {
        money(cents, self.currency())
    }

    /// The record of Gumroad's answer, dated in the creator's zone like the sync does.
    pub fn record(&self, answer: &gumroad::Sale) -> SaleRecord {
        SaleRecord::from_gumroad(
            &answer.id,
            answer.created_at,
            answer.json.clone(),
            self.zone,
        )
    }
}

/// One audited sale action: who (the session's creator), what, the sale, and the result.
pub struct Audit<'a> {
    pub action: Action,
    pub detail: Value,
    pub req: &'a HttpRequest,
}

impl Audit<'_> {
    fn event(self, current: &CurrentCreator, sale_id: &str) -> audit::Event {
        let mut detail = self.detail;
        if let Some(object) = detail.as_object_mut() {
            object.insert("sale_id".into(), sale_id.into());
        }
        audit::Event {
            actor: Actor::Creator(current.tenant()),
            action: self.action,
            creator: Some(current.tenant()),
            ip: ClientAddr::of(self.req).text(),
            detail,
        }
    }
}

/// Gumroad answered with the sale, so the action is done whatever happens here: the audit entry and
/// the key's outcome are committed first, on their own; then the sale goes into the mirror through the
/// sync's upsert, best effort (a failure is logged and the sale fetched again). Never an error page.
pub async fn store_answer(
    state: &AppState,
    current: &CurrentCreator,
    sale: &SaleAt,
    answer: &gumroad::Sale,
    audited: Audit<'_>,
    key: Option<&str>,
) {
    let tenant = current.tenant();
    record_done(state, current, sale.id(), audited, key).await;
    let stored = async {
        let mut tx = state.pool.begin().await?;
        store::sales::upsert(&mut tx, tenant, &[sale.record(answer)]).await?;
        tx.commit().await
    };
    if let Err(db_error) = stored.await {
        tracing::error!(
            %tenant,
            error = db_error_kind(&db_error),
            "could not store Gumroad's answer to a sale action; fetching the sale again"
        );
        refetch(state, current, sale).await;
    }
}

/// Gumroad has done the action: the audit entry and the key's outcome, in their own transaction. A
/// failure is logged, never an error page: it is done at Gumroad all the same, and a claimed key is
/// never claimed again.
pub async fn record_done(
    state: &AppState,
    current: &CurrentCreator,
    sale_id: &str,
    audited: Audit<'_>,
    key: Option<&str>,
) {
    let key = key.map(|key| (key, action_keys::Outcome::Done));
    if record_outcome(state, current, sale_id, audited, key)
        .await
        .is_err()
    {
        let tenant = current.tenant();
        tracing::error!(%tenant, "could not audit a done sale action");
    }
}

/// A database error's kind for the logs: never its text, which may quote a row's values.
fn db_error_kind(error: &sqlx::Error) -> &'static str {
    match error {
        sqlx::Error::Database(_) => "database",
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => "pool",
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) => "connection",
        _ => "other",
    }
}

/// Records an action without a sale to store: a receipt sent, or a write refused, unknown or not sent.
pub async fn record_outcome(
    state: &AppState,
    current: &CurrentCreator,
    sale_id: &str,
    audited: Audit<'_>,
    key: Option<(&str, action_keys::Outcome)>,
) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    audit::record(&mut *tx, audited.event(current, sale_id)).await?;
    if let Some((key, outcome)) = key {
        action_keys::settle(&mut *tx, current.tenant(), key, outcome).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// How a Gumroad write ended, for the audit log and the page.
pub fn result_of(error: &GumroadError) -> Value {
    let result = match error {
        GumroadError::MissingScope => "missing_scope",
        GumroadError::Rejected { .. } | GumroadError::NotFound { .. } => "refused",
        GumroadError::RateLimited | GumroadError::RouteNotFound | GumroadError::Unauthorized => {
            "not_sent"
        }
        _ => "unknown",
    };
    let message = match error {
        GumroadError::Rejected { message } | GumroadError::NotFound { message } => message.clone(),
        other => other.summary(),
    };
    json!({ "result": result, "message": message })
}

/// Whether Gumroad may have done the write although no answer says so.
pub fn outcome_unknown(error: &GumroadError) -> bool {
    matches!(
        error,
        GumroadError::Timeout
            | GumroadError::Server { .. }
            | GumroadError::Unreachable
            | GumroadError::Malformed { .. }
    )
}

/// Asks Gumroad for the sale again after a write whose outcome is unknown, and stores what it says.
/// Returns whether the mirror now has Gumroad's view.
pub async fn refetch(state: &AppState, current: &CurrentCreator, sale: &SaleAt) -> bool {
    let tenant = current.tenant();
    let fetched = match state.gumroad(tenant).await {
        Ok(api) => {
            api.call(async |api, token| api.sale(token, sale.id()).await)
                .await
        }
        Err(_) => return false,
    };
    let Ok(answer) = fetched else {
        return false;
    };
    let stored = async {
        let mut tx = state.pool.begin().await?;
        store::sales::upsert(&mut tx, tenant, &[sale.record(&answer)]).await?;
        tx.commit().await
    };
    match stored.await {
        Ok(()) => true,
        Err(db_error) => {
            let error = db_error_kind(&db_error);
            tracing::error!(%tenant, error, "could not store a re-fetched sale");
            false
        }
    }
}

#[derive(Template)]
#[template(path = "sales/unknown.html")]
struct UnknownPage {
    layout: Layout,
    what: &'static str,
    reason: &'static str,
    sale_href: String,
    refetched: bool,
    state_now: Vec<(&'static str, String)>,
}

/// "may not have been done, check before trying again", with the sale as Gumroad now has it.
pub async fn unknown_outcome_page(
    state: &AppState,
    current: &CurrentCreator,
    id: &str,
    what: &'static str,
    error: &GumroadError,
    refetched: bool,
) -> Result<HttpResponse, AppError> {
    let sale = SaleAt::load(state, current, id).await?;
    let r = &sale.sale.row;
    let mut state_now = vec![("Paid", sale.paid())];
    if r.refunded || r.partially_refunded {
        state_now.push(("Refunded", sale.money(r.refunded_cents)));
    }
    if let Some(left) = sale.sale.details.refundable_cents {
        state_now.push(("Still refundable", sale.money(left)));
    }
    if sale.sale.details.is_physical {
        let shipped = if sale.sale.details.shipped {
            "Yes"
        } else {
            "Not yet"
        };
        state_now.push(("Shipped", shipped.into()));
    }
    let (status, reason) = match error {
        GumroadError::Timeout => (
            StatusCode::GATEWAY_TIMEOUT,
            "Gumroad did not answer in time after the request was sent",
        ),
        _ => (
            StatusCode::BAD_GATEWAY,
            "Gumroad's answer was lost or unreadable after the request was sent",
        ),
    };
    let page = UnknownPage {
        layout: Layout::signed_in(&current.session, &current.creator, state, Nav::Sales)?,
        what,
        reason,
        sale_href: sale.href.clone(),
        refetched,
        state_now,
    };
    render(status, &page)
}

#[derive(Template)]
#[template(path = "sales/grant.html")]
struct GrantPage {
    layout: Layout,
    offer: Offer,
    sale_href: String,
}

/// A 403 from Gumroad (or a token lacking the scope): the "Grant access" offer, never a raw error.
pub fn grant_page(
    state: &AppState,
    current: &CurrentCreator,
    offer: Offer,
    sale_href: String,
) -> Result<HttpResponse, AppError> {
    let page = GrantPage {
        layout: Layout::signed_in(&current.session, &current.creator, state, Nav::Sales)?,
        offer,
        sale_href,
    };
    render(StatusCode::FORBIDDEN, &page)
}

/// The action's scope check before calling Gumroad: `Some(page)` when the token cannot do it.
pub async fn refuse_without_scope(
    state: &AppState,
    current: &CurrentCreator,
    action: SaleAction,
    back: &str,
) -> Result<Option<HttpResponse>, AppError> {
    let scopes = super::access::Scopes::of(state, current).await?;
    match scopes.offer(state, action, back) {
        Some(offer) => Ok(Some(grant_page(state, current, offer, back.to_owned())?)),
        None => Ok(None),
    }
}
