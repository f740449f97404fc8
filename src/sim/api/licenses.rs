//! License keys (api-facts §5, §6.9; Gumroad's `licenses_controller`): `POST /v2/licenses/verify` (no
//! token), and `PUT /v2/licenses/enable`, `/disable`, `/decrement_uses_count` (`edit_products`).
//!
//! The license is found by `product_id` (any seller's product, by external id) and `license_key`; without
//! `product_id` by the key alone, and then a product made after the 2023-01-09 cut-off answers the 500
//! naming its id, and `product_permalink` (verify: also `id` or `link_id`) must name the product. A sale
//! whose access was revoked answers "…has expired."; verify refuses a disabled key; the others answer
//! 404 `{"success":false,"error":"Not found"}` for another seller's license. Success:
//! `{success, uses, purchase}` with the sale's ping payload and the "version 1" fields over it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, TimeZone as _, Utc};
use serde_json::{Map, Value, json};

use super::auth::Needs;
use super::common::{Call, handle};
use crate::sim::params::Params;
use crate::sim::rails;
use crate::sim::sales::{flag, json as sale_json};
use crate::sim::store::{Shared, SimState};

const NO_LICENSE: &str = "That license does not exist for the provided product.";
const DISABLED: &str = "This license key has been disabled.";
const EXPIRED: &str = "Access to the purchase associated with this license has expired.";

/// Products created after this must be verified with `product_id` (help centre: 2023-01-09).
fn product_id_cutoff() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2023, 1, 9, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// A refusal: the status and Gumroad's message.
type Refused = (StatusCode, String);

fn refused(status: StatusCode, message: &str) -> Refused {
    (status, message.to_owned())
}

fn refusal_response((status, message): Refused) -> HttpResponse {
    rails::json(status, &json!({"success": false, "message": message}))
}

/// `fetch_valid_license`: the license's sale id, or the refusal. `permalink` is what the request names
/// the product by when `product_id` is absent.
fn find_license(
    state: &SimState,
    params: &Params,
    permalink: Option<&str>,
) -> Result<u32, Refused> {
    let key = params.get("license_key").unwrap_or_default();
    let by_product = params.present("product_id");
    let (sale, product) = match by_product {
        Some(external_id) => {
            let product = state
                .catalog
                .products
                .iter()
                .position(|p| p.external_id == external_id);
            let sale = product
                .filter(|p| state.catalog.products[*p].is_licensed)
                .and_then(|p| state.sales.by_license_key(p as u32, key));
            (sale, product)
        }
        None => {
            let sale = state.sales.any_by_license_key(&state.catalog, key);
            let product = sale
                .and_then(|id| state.sales.get(u64::from(id)))
                .map(|s| s.product as usize);
            (sale, product)
        }
    };
    let product = product.and_then(|p| state.catalog.products.get(p));
    if by_product.is_none()
        && let Some(product) = product
        && product.created_at > product_id_cutoff()
    {
        let message = format!(
            "The 'product_id' parameter is required to verify the license for this product. Please set \
             'product_id' to '{}' in the request.",
            product.external_id
        );
        return Err(refused(StatusCode::INTERNAL_SERVER_ERROR, &message));
    }
    let names_product = |p: &crate::sim::catalog::Product| {
        permalink
            .is_some_and(|l| l == p.unique_permalink || p.custom_permalink.as_deref() == Some(l))
    };
    let sale = match sale {
        Some(sale) if by_product.is_some() || product.is_some_and(names_product) => sale,
        _ => return Err(refused(StatusCode::NOT_FOUND, NO_LICENSE)),
    };
    if state
        .sales
        .get(u64::from(sale))
        .is_some_and(|s| s.has(flag::ACCESS_REVOKED))
    {
        return Err(refused(StatusCode::NOT_FOUND, EXPIRED));
    }
    Ok(sale)
}

/// `POST /v2/licenses/verify`: counts a use unless `increment_uses_count` is exactly `false`.
pub(super) async fn verify(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let Ok(params) = Params::from_request(&req, &body) else {
        return rails::error_response(StatusCode::BAD_REQUEST, rails::wants_json(&req));
    };
    // `clean_params`: the legacy `id` and `link_id` carry the permalink, in that order.
    let permalink = ["id", "link_id", "product_permalink"]
        .into_iter()
        .find_map(|k| params.present(k));
    let mut state = shared.lock();
    let id = match find_license(&state, &params, permalink) {
        Ok(id) => id,
        Err(refusal) => return refusal_response(refusal),
    };
    if state.sales.license(id).disabled {
        return refusal_response(refused(StatusCode::NOT_FOUND, DISABLED));
    }
    if params.get("increment_uses_count") != Some("false") {
        state.sales.license_mut(id).uses += 1;
    }
    license_response(&state, id)
}

/// Runs `change` on the token owner's license (`edit_products`); another seller's is 404 "Not found".
fn change_license(
    req: &HttpRequest,
    body: &[u8],
    shared: &Shared,
    change: impl FnOnce(&mut crate::sim::sales::actions::License),
) -> HttpResponse {
    handle(
        req,
        body,
        shared,
        Needs::EditProducts,
        |call: &Call, state| {
            let id = match find_license(
                state,
                &call.params,
                call.params.present("product_permalink"),
            ) {
                Ok(id) => id,
                Err(refusal) => return refusal_response(refusal),
            };
            let owner = state
                .sales
                .get(u64::from(id))
                .and_then(|s| state.catalog.products.get(s.product as usize))
                .map(|p| p.creator_id.as_str());
            if owner != Some(call.creator_id.as_str()) {
                return rails::json(
                    StatusCode::NOT_FOUND,
                    &json!({"success": false, "error": "Not found"}),
                );
            }
            change(state.sales.license_mut(id));
            license_response(state, id)
        },
    )
}

pub(super) async fn enable(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    change_license(&req, &body, &shared, |license| license.disabled = false)
}

pub(super) async fn disable(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    change_license(&req, &body, &shared, |license| license.disabled = true)
}

/// Never below zero.
pub(super) async fn decrement_uses_count(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    change_license(&req, &body, &shared, |license| {
        license.uses = (license.uses - 1).max(0);
    })
}

/// `{success: true, uses, purchase}`.
fn license_response(state: &SimState, id: u32) -> HttpResponse {
    let uses = state.sales.license(id).uses;
    rails::json(
        StatusCode::OK,
        &json!({"success": true, "uses": uses, "purchase": purchase(state, id)}),
    )
}

/// The sale's ping payload (api-facts §9.3) with the "version 1" fields (§6.9) over it.
fn purchase(state: &SimState, id: u32) -> Value {
    let Some(sale) = state.sales.get(u64::from(id)) else {
        return Value::Null;
    };
    let Some(product) = state.catalog.products.get(sale.product as usize) else {
        return Value::Null;
    };
    let rendered = serde_json::to_value(sale_json::sale(state, sale)).unwrap_or_default();
    let field = |key: &str| rendered.get(key).cloned().unwrap_or(Value::Null);
    let username = state
        .creator(&product.creator_id)
        .map_or_else(String::new, |c| c.username.clone());
    let mut out = Map::new();
    let mut put = |key: &str, value: Value| {
        out.insert(key.to_owned(), value);
    };
    for key in [
        "seller_id",
        "product_id",
        "product_name",
        "email",
        "price",
        "gumroad_fee",
    ] {
        put(key, field(key));
    }
    put(
        "permalink",
        json!(
            product
                .custom_permalink
                .as_deref()
                .unwrap_or(&product.unique_permalink)
        ),
    );
    put("product_permalink", json!(product.short_url(&username)));
    put("short_product_id", json!(product.unique_permalink));
    put("currency", json!(product.currency));
    for key in [
        "quantity",
        "discover_fee_charged",
        "can_contact",
        "referrer",
        "card",
        "is_gift_receiver_purchase",
        "disputed",
        "dispute_won",
        "license_key",
        "is_multiseat_license",
    ] {
        put(key, field(key));
    }
    put("order_number", field("order_id"));
    put("sale_id", field("id"));
    put("sale_timestamp", field("created_at"));
    put("ip_country", field("country"));
    for key in [
        "full_name",
        "purchaser_id",
        "subscription_id",
        "street_address",
        "city",
        "state",
        "zip_code",
    ] {
        if let Some(value) = rendered.get(key) {
            put(key, value.clone());
        }
    }
    if let Some(recurrence) = sale_json::recurrence(sale) {
        put("recurrence", json!(recurrence));
    }
    if sale.has(flag::TEST) {
        put("test", json!(true));
    }
    // Each custom field as its own key too, then the version-1 fields.
    let fields = rendered
        .get("custom_fields")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (name, value) in &fields {
        put(name, value.clone());
    }
    put("id", field("id"));
    put("created_at", field("created_at"));
    put("variants", json!(variants_text(&rendered)));
    put(
        "custom_fields",
        json!(
            fields
                .iter()
                .map(|(name, value)| format!("{name}: {}", plain(value)))
                .collect::<Vec<_>>()
        ),
    );
    put("offer_code", field("offer_code"));
    put("refunded", field("refunded"));
    put("chargebacked", field("chargedback"));
    for key in [
        "subscription_ended_at",
        "subscription_cancelled_at",
        "subscription_failed_at",
    ] {
        put(key, Value::Null);
    }
    Value::Object(out)
}

/// Version 1's `variants`: `"(Premium)"`, `"(Premium, Blue)"` or `""`.
fn variants_text(rendered: &Value) -> String {
    let names: Vec<String> = rendered
        .get("variants")
        .and_then(Value::as_object)
        .map(|v| v.values().map(plain).collect())
        .unwrap_or_default();
    if names.is_empty() {
        String::new()
    } else {
        format!("({})", names.join(", "))
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}
