//! Controls for what sellers do to sales: make a seller's refunds fail the way Gumroad's can, revoke a
//! buyer's access, and read a sale's license and receipts (tests compare the API against them).
//!
//! - `POST /_sim/refund_refusal {creator_id, refusal: "disconnected" | "disabled" | "paypal_funds" |
//!   "temporary" | null}` → `{creator_id, refusal}`.
//! - `GET /_sim/sales/<sale id>/actions` → `{license_key, uses, disabled, receipts_sent}`.
//! - `POST /_sim/sales/<sale id>/revoke_access` → the same.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{bad_json, unprocessable};
use crate::sim::rails;
use crate::sim::sales::actions::Refusal;
use crate::sim::store::{Shared, SimState};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/_sim/refund_refusal", web::post().to(refund_refusal))
        .route("/_sim/sales/{sale}/actions", web::get().to(show))
        .route("/_sim/sales/{sale}/revoke_access", web::post().to(revoke));
}

#[derive(Deserialize)]
pub(crate) struct RefundRefusal {
    /// Either of the creator's ids.
    pub creator_id: String,
    pub refusal: Option<Refusal>,
}

/// Makes every refund of the creator fail with `refusal` (none: refunds work again).
pub(crate) fn set_refusal(state: &mut SimState, request: &RefundRefusal) -> Result<Value, String> {
    let creator = state
        .creator_by_either_id(&request.creator_id)
        .and_then(|c| state.creator_index(&c.id))
        .ok_or("unknown creator")?;
    state
        .sales
        .set_refusal(u32::try_from(creator).unwrap_or(u32::MAX), request.refusal);
    Ok(json!({"creator_id": request.creator_id, "refusal": request.refusal}))
}

/// The sale's license counters and receipts sent again (any creator's sale).
pub(crate) fn actions_of(state: &SimState, sale_id: &str) -> Option<Value> {
    let sale = state.sales.find_external(sale_id)?;
    let license = state.sales.license(sale.id);
    Some(json!({
        "license_key": state.sales.license_key(sale),
        "uses": license.uses,
        "disabled": license.disabled,
        "receipts_sent": state.sales.receipts_sent(sale.id),
    }))
}

/// Revokes the buyer's access to the sale (its license then "has expired").
pub(crate) fn revoke_access(state: &mut SimState, sale_id: &str) -> Option<Value> {
    let id = state.sales.find_external(sale_id)?.id;
    state.sales.revoke_access(id);
    actions_of(state, sale_id)
}

async fn refund_refusal(body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let request: RefundRefusal = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => return bad_json(&err),
    };
    match set_refusal(&mut shared.lock(), &request) {
        Ok(answer) => rails::json(StatusCode::OK, &answer),
        Err(message) => unprocessable(&message),
    }
}

fn answer(found: Option<Value>) -> HttpResponse {
    match found {
        Some(value) => rails::json(StatusCode::OK, &value),
        None => unprocessable("unknown sale"),
    }
}

async fn show(path: web::Path<String>, shared: web::Data<Shared>) -> HttpResponse {
    answer(actions_of(&shared.lock(), &path))
}

async fn revoke(path: web::Path<String>, shared: web::Data<Shared>) -> HttpResponse {
    answer(revoke_access(&mut shared.lock(), &path))
}
