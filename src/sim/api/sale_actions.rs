//! What a seller does to one sale (api-facts §5, §6.7): `PUT /v2/sales/:id/refund`,
//! `PUT /v2/sales/:id/mark_as_shipped` and (2026) `POST /v2/sales/:id/resend_receipt`. Only the token
//! owner's sales are found (test purchases too, like show); else HTTP 200 "The sale was not found.".

use actix_web::{HttpRequest, HttpResponse, web};

use super::auth::Needs;
use super::common::{Call, failure, handle, segment, success};
use super::sales::{NOT_FOUND, owned_sale};
use crate::sim::catalog::{money, ruby_to_i};
use crate::sim::rails;
use crate::sim::sales::json;
use crate::sim::store::{Shared, SimState};

/// Runs `action` on the token owner's sale named in the path, or answers "The sale was not found.".
fn on_owned_sale(
    req: &HttpRequest,
    body: &[u8],
    shared: &Shared,
    needs: Needs,
    action: impl FnOnce(&Call, &mut SimState, u32) -> HttpResponse,
) -> HttpResponse {
    let key = segment(req, 3);
    handle(req, body, shared, needs, |call, state| {
        match owned_sale(state, &call.creator_id, &key) {
            Some(sale) => action(call, state, sale.id),
            None => failure(NOT_FOUND),
        }
    })
}

fn sale_response(state: &SimState, id: u32) -> HttpResponse {
    match state.sales.get(u64::from(id)) {
        Some(sale) => success(state.profile, "sale", json::sale(state, sale)),
        None => failure(NOT_FOUND),
    }
}

/// `PUT /v2/sales/:id/refund` with optional `amount_cents` (the sale's currency): the whole rest when
/// absent. `params[:amount_cents].to_i / 100.0` in 2025-04 whatever the currency (so ¥1,500 sent as
/// 1500 refunds ¥15); 2026 scales by the currency's unit (1500 is ¥1,500, and still $15.00).
pub(super) async fn refund(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    on_owned_sale(&req, &body, &shared, Needs::Refund, |call, state, id| {
        let amount = refund_amount(call, state, id);
        let catalog = &state.catalog;
        match state.sales.refund_as_seller(id, amount, catalog) {
            Ok(()) => {
                crate::sim::pings::fire_sale(state, u64::from(id), "refund");
                sale_response(state, id)
            }
            Err(error) => failure(error.message()),
        }
    })
}

/// `amount_cents` in the smallest unit of the sale's currency, as the profile's Gumroad reads it. Text
/// that is no number is Ruby's `to_i` (0); a number past 64 bits is more than any sale.
fn refund_amount(call: &Call, state: &SimState, id: u32) -> Option<i64> {
    let sent = ruby_to_i(call.params.present("amount_cents")?).unwrap_or(i64::MAX);
    if !state.profile.is_2025_04() {
        return Some(sent);
    }
    let unit = state
        .sales
        .get(u64::from(id))
        .and_then(|sale| state.catalog.products.get(sale.product as usize))
        .map_or(100, |product| money::unit_of(&product.currency));
    // Major units = sent / 100.0, rounded to the currency's smallest unit.
    let scaled = (i128::from(sent) * i128::from(unit) + 50).div_euclid(100);
    Some(i64::try_from(scaled).unwrap_or(i64::MAX))
}

/// `PUT /v2/sales/:id/mark_as_shipped` with optional `tracking_url` (kept as sent, even blank).
pub(super) async fn mark_as_shipped(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    on_owned_sale(
        &req,
        &body,
        &shared,
        Needs::MarkShipped,
        |call, state, id| {
            let tracking_url = call.params.get("tracking_url");
            state.sales.mark_shipped(id, tracking_url);
            sale_response(state, id)
        },
    )
}

/// `POST /v2/sales/:id/resend_receipt` (2026, `edit_sales`): a bare `{"success":true}`. The 2025-04
/// server has no such route: Rails' 404.
pub(super) async fn resend_receipt(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    if shared.lock().profile.is_2025_04() {
        return rails::not_found(req).await;
    }
    on_owned_sale(&req, &body, &shared, Needs::EditSales, |_, state, id| {
        state.sales.resend_receipt(id);
        rails::json(
            actix_web::http::StatusCode::OK,
            &serde_json::json!({"success": true}),
        )
    })
}
