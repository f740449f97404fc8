//! Offer codes (api-facts §6.4): the product's own codes plus the seller's universal ones.

use actix_web::{HttpRequest, HttpResponse, web};

use super::auth::Needs;
use super::common::{Call, deleted, failure, handle, handle_product, segment, success};
use crate::sim::catalog::json::{self, J};
use crate::sim::catalog::{
    self, OUT_OF_RANGE, OfferCode, OutOfRange, Product, money, ruby_to_i, ruby_to_i_opt,
    to_sentence,
};
use crate::sim::store::{Shared, SimState};

const NOT_FOUND: &str = "The offer_code was not found.";
const MISSING: &str = "You are missing required offer code parameters. Please refer to https://gumroad.com/api#offer-codes for the correct parameters.";

pub(super) async fn index(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    handle_product(&req, &body, &shared, Needs::Read, |_, state, p| {
        let product = &state.catalog.products[p];
        let codes = state
            .catalog
            .offer_codes_for(product)
            .into_iter()
            .map(json::offer_code)
            .collect();
        success(state.profile, "offer_codes", J::Arr(codes))
    })
}

/// A code listed under the product (its own or a matching universal one), by external id.
fn code_index(state: &SimState, p: usize, req: &HttpRequest) -> Option<usize> {
    let key = segment(req, 5);
    let product = &state.catalog.products[p];
    state
        .catalog
        .offer_codes
        .iter()
        .position(|c| c.external_id == key && c.applies_to(product))
}

pub(super) async fn show(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    handle_product(
        &req,
        &body,
        &shared,
        Needs::Read,
        |_, state, p| match code_index(state, p, &req) {
            Some(c) => success(
                state.profile,
                "offer_code",
                json::offer_code(&state.catalog.offer_codes[c]),
            ),
            None => failure(NOT_FOUND),
        },
    )
}

/// The parameters are checked before the product: a request without an amount gets the "missing
/// parameters" message even for an unknown product.
pub(super) async fn create(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let key = segment(&req, 3);
    handle(&req, &body, &shared, Needs::EditProducts, |call, state| {
        let params = &call.params;
        if params.present("amount_off").is_none() && params.present("amount_cents").is_none() {
            return failure(MISSING);
        }
        match state.catalog.product_index(&call.creator_id, &key) {
            Some(p) => create_code(call, state, p),
            None => failure("The product was not found."),
        }
    })
}

fn create_code(call: &Call, state: &mut SimState, p: usize) -> HttpResponse {
    let params = &call.params;
    let amount_off = params.present("amount_off");
    let amount_cents = params.present("amount_cents");
    let percent = params.get("offer_type") == Some("percent");
    let numbers = || -> Result<_, OutOfRange> {
        let amounts = if percent {
            (None, Some(ruby_to_i(amount_off.unwrap_or(""))?))
        } else {
            (ruby_to_i_opt(amount_cents.or(amount_off))?, None)
        };
        Ok((
            amounts,
            ruby_to_i_opt(params.present("max_purchase_count"))?,
            ruby_to_i_opt(params.present("minimum_amount_cents"))?,
        ))
    };
    let Ok(((amount_cents, percent_off), max_purchase_count, minimum_amount_cents)) = numbers()
    else {
        return failure(OUT_OF_RANGE);
    };
    let product = &state.catalog.products[p];
    let universal = params.is_string_true("universal");
    let code = OfferCode {
        id: 0,
        external_id: String::new(),
        creator_id: call.creator_id.clone(),
        product_id: (!universal).then_some(product.id),
        universal,
        name: params.get("name").unwrap_or("").trim().to_owned(),
        amount_cents,
        percent_off,
        currency: amount_cents.map(|_| product.currency.clone()),
        max_purchase_count,
        minimum_amount_cents,
        times_used: 0,
        deleted: false,
        created_at: catalog::stored_time(state.now()),
    };
    let errors = validate(state, p, &code, None);
    if !errors.is_empty() {
        return failure(&to_sentence(&errors));
    }
    let mut rng = rand::rng();
    let mut code = code;
    code.id = state.catalog.next_id();
    code.external_id = state.catalog.new_external_id(&mut rng);
    let rendered = json::offer_code(&code);
    state.catalog.offer_codes.push(code);
    success(state.profile, "offer_code", rendered)
}

/// Gumroad's `validate_product_price_against_all_offer_codes?` for one code: the message for the first of
/// `products` that the code would bring below its currency's minimum without making it free. Used by the
/// code's own validation and by product enable.
pub(super) fn price_after_discount_error<'a>(
    code: &OfferCode,
    products: impl IntoIterator<Item = &'a Product>,
) -> Option<String> {
    let too_cheap = products.into_iter().find(|product| {
        product.price > 0
            && money::below_minimum(&product.currency, code.price_after(product.price))
    })?;
    Some(format!(
        "The price after discount for all of your products must be either {} or at least {}.",
        money::format_amount(&too_cheap.currency, 0, true),
        money::format_amount(
            &too_cheap.currency,
            money::min_price(&too_cheap.currency),
            false
        )
    ))
}

/// The offer code model's validations; `existing` is the code's own index on update.
fn validate(state: &SimState, p: usize, code: &OfferCode, existing: Option<usize>) -> Vec<String> {
    let catalog = &state.catalog;
    let product = &catalog.products[p];
    let mut errors = Vec::new();
    if code.name.is_empty() {
        errors.push("Discount code can't be blank".to_owned());
    } else if !code
        .name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        errors.push(
            "Discount code can only contain numbers, letters, dashes, and underscores.".to_owned(),
        );
    } else {
        let clash = catalog.offer_codes.iter().enumerate().any(|(i, other)| {
            Some(i) != existing
                && !other.deleted
                && other.creator_id == code.creator_id
                && other.name.eq_ignore_ascii_case(&code.name)
                && (code.universal || other.universal || other.product_id == code.product_id)
        });
        if clash {
            errors.push("Discount code must be unique.".to_owned());
        }
    }
    let amount = code.percent_off.or(code.amount_cents).unwrap_or(0);
    if amount <= 0 {
        errors.push("Please enter a positive discount amount.".to_owned());
    } else if code.percent_off.is_some_and(|p| p > 100) {
        errors.push("Please enter a discount amount that is 100% or less.".to_owned());
    } else {
        // Every product the code applies to must stay free or above its currency's minimum.
        let applies = catalog.products.iter().filter(|other| {
            if code.universal {
                !other.deleted && code.applies_to(other)
            } else {
                other.id == product.id
            }
        });
        if let Some(message) = price_after_discount_error(code, applies) {
            errors.push(message);
        }
    }
    if let Some(max) = code.max_purchase_count
        && max < code.times_used
    {
        errors.push(format!(
            "You have chosen a discount code quantity that is less that the number already used. Please enter an amount no less than {}.",
            code.times_used
        ));
    }
    errors
}

/// Only `max_purchase_count` (2026: and `minimum_amount_cents`) can change.
pub(super) async fn update(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    handle_product(
        &req,
        &body,
        &shared,
        Needs::EditProducts,
        |call, state, p| {
            let Some(c) = code_index(state, p, &req) else {
                return failure(NOT_FOUND);
            };
            let mut code = state.catalog.offer_codes[c].clone();
            let params = &call.params;
            if params.has("max_purchase_count") {
                let Ok(max) = ruby_to_i_opt(params.present("max_purchase_count")) else {
                    return failure(OUT_OF_RANGE);
                };
                code.max_purchase_count = max;
            }
            if !state.profile.is_2025_04() && params.has("minimum_amount_cents") {
                let Ok(minimum) = ruby_to_i_opt(params.present("minimum_amount_cents")) else {
                    return failure(OUT_OF_RANGE);
                };
                code.minimum_amount_cents = minimum;
            }
            let errors = validate(state, p, &code, Some(c));
            if !errors.is_empty() {
                return failure(&to_sentence(&errors));
            }
            let rendered = json::offer_code(&code);
            state.catalog.offer_codes[c] = code;
            success(state.profile, "offer_code", rendered)
        },
    )
}

pub(super) async fn destroy(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    handle_product(&req, &body, &shared, Needs::EditProducts, |_, state, p| {
        let Some(c) = code_index(state, p, &req) else {
            return failure(NOT_FOUND);
        };
        state.catalog.offer_codes[c].deleted = true;
        deleted("offer_code")
    })
}
