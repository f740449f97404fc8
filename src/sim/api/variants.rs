//! Variant categories and variants (api-facts §6.2, §6.3), and the undocumented SKUs list.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::auth::Needs;
use super::common::{Call, deleted, failure, handle_product, segment, success};
use crate::sim::catalog::json::{self, J};
use crate::sim::catalog::{
    OUT_OF_RANGE, OutOfRange, Product, Variant, VariantCategory, money, ruby_to_i, to_sentence,
};
use crate::sim::rails;
use crate::sim::store::{Shared, SimState};

const CATEGORY_NOT_FOUND: &str = "The variant_category was not found.";

/// The live category named by the URL segment at `at`.
fn category_index(product: &Product, req: &HttpRequest, at: usize) -> Option<usize> {
    let key = segment(req, at);
    product
        .variant_categories
        .iter()
        .position(|c| !c.deleted && c.external_id == key)
}

pub(super) async fn categories(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    handle_product(&req, &body, &shared, Needs::Read, |_, state, p| {
        let list = state.catalog.products[p]
            .live_categories()
            .map(json::variant_category)
            .collect();
        success(state.profile, "variant_categories", J::Arr(list))
    })
}

pub(super) async fn show_category(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    handle_product(&req, &body, &shared, Needs::Read, |_, state, p| {
        let product = &state.catalog.products[p];
        match category_index(product, &req, 5) {
            Some(c) => success(
                state.profile,
                "variant_category",
                json::variant_category(&product.variant_categories[c]),
            ),
            None => failure(CATEGORY_NOT_FOUND),
        }
    })
}

/// No validation: any title, even blank or missing, is accepted.
pub(super) async fn create_category(
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
            let mut rng = rand::rng();
            let category = VariantCategory {
                id: state.catalog.next_id(),
                external_id: state.catalog.new_external_id(&mut rng),
                title: call.params.get("title").map(str::to_owned),
                deleted: false,
                variants: Vec::new(),
            };
            let rendered = json::variant_category(&category);
            state.catalog.products[p].variant_categories.push(category);
            success(state.profile, "variant_category", rendered)
        },
    )
}

pub(super) async fn update_category(
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
            let Some(c) = category_index(&state.catalog.products[p], &req, 5) else {
                return failure(CATEGORY_NOT_FOUND);
            };
            let category = &mut state.catalog.products[p].variant_categories[c];
            if let Some(title) = call.params.get("title") {
                category.title = Some(title.to_owned());
            }
            let rendered = json::variant_category(category);
            success(state.profile, "variant_category", rendered)
        },
    )
}

pub(super) async fn destroy_category(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    handle_product(&req, &body, &shared, Needs::EditProducts, |_, state, p| {
        let Some(c) = category_index(&state.catalog.products[p], &req, 5) else {
            return failure(CATEGORY_NOT_FOUND);
        };
        state.catalog.products[p].variant_categories[c].deleted = true;
        deleted("variant_category")
    })
}

/// Variant routes: Gumroad dereferences the category before checking it, so an unknown one is a Rails 500.
fn with_category(
    req: &HttpRequest,
    body: &[u8],
    shared: &Shared,
    needs: Needs,
    action: impl FnOnce(&Call, &mut SimState, usize, usize) -> HttpResponse,
) -> HttpResponse {
    handle_product(
        req,
        body,
        shared,
        needs,
        |call, state, p| match category_index(&state.catalog.products[p], req, 5) {
            Some(c) => action(call, state, p, c),
            None => rails::error_response(StatusCode::INTERNAL_SERVER_ERROR, call.json),
        },
    )
}

/// The variant named by the URL (deleted ones too: show finds them).
fn variant_index(category: &VariantCategory, req: &HttpRequest) -> Option<usize> {
    let key = segment(req, 7);
    category.variants.iter().position(|v| v.external_id == key)
}

const VARIANT_NOT_FOUND: &str = "The variant was not found.";

pub(super) async fn variants(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    with_category(&req, &body, &shared, Needs::Read, |_, state, p, c| {
        let product = &state.catalog.products[p];
        let list = product.variant_categories[c]
            .live_variants()
            .map(|v| json::variant(product, v))
            .collect();
        success(state.profile, "variants", J::Arr(list))
    })
}

pub(super) async fn show_variant(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    with_category(&req, &body, &shared, Needs::Read, |_, state, p, c| {
        let product = &state.catalog.products[p];
        let category = &product.variant_categories[c];
        match variant_index(category, &req) {
            Some(v) => success(
                state.profile,
                "variant",
                json::variant(product, &category.variants[v]),
            ),
            None => failure(VARIANT_NOT_FOUND),
        }
    })
}

pub(super) async fn create_variant(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    with_category(
        &req,
        &body,
        &shared,
        Needs::EditProducts,
        |call, state, p, c| {
            let mut rng = rand::rng();
            let mut variant = Variant {
                id: 0,
                external_id: String::new(),
                name: String::new(),
                description: None,
                price_difference_cents: 0,
                max_purchase_count: None,
                customizable_price: false,
                recurrence_prices: Vec::new(),
                sold: 0,
                deleted: false,
            };
            if apply(call, &mut variant).is_err() {
                return failure(OUT_OF_RANGE);
            }
            let errors = validate(&state.catalog.products[p], &variant);
            if !errors.is_empty() {
                return failure(&to_sentence(&errors));
            }
            variant.id = state.catalog.next_id();
            variant.external_id = state.catalog.new_external_id(&mut rng);
            let product = &mut state.catalog.products[p];
            let rendered = json::variant(product, &variant);
            product.variant_categories[c].variants.push(variant);
            success(state.profile, "variant", rendered)
        },
    )
}

pub(super) async fn update_variant(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    with_category(
        &req,
        &body,
        &shared,
        Needs::EditProducts,
        |call, state, p, c| {
            let product = &state.catalog.products[p];
            let Some(v) = variant_index(&product.variant_categories[c], &req) else {
                return failure(VARIANT_NOT_FOUND);
            };
            let mut variant = product.variant_categories[c].variants[v].clone();
            if apply(call, &mut variant).is_err() {
                return failure(OUT_OF_RANGE);
            }
            let errors = validate(product, &variant);
            if !errors.is_empty() {
                return failure(&to_sentence(&errors));
            }
            let rendered = json::variant(product, &variant);
            state.catalog.products[p].variant_categories[c].variants[v] = variant;
            success(state.profile, "variant", rendered)
        },
    )
}

pub(super) async fn destroy_variant(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    with_category(
        &req,
        &body,
        &shared,
        Needs::EditProducts,
        |_, state, p, c| {
            let category = &mut state.catalog.products[p].variant_categories[c];
            let Some(v) = variant_index(category, &req) else {
                return failure(VARIANT_NOT_FOUND);
            };
            category.variants[v].deleted = true;
            deleted("variant")
        },
    )
}

/// `name`, `description`, `price_difference_cents`, `max_purchase_count`: whichever were sent. A number
/// too large for its column leaves the variant half-changed; the caller then discards it.
fn apply(call: &Call, variant: &mut Variant) -> Result<(), OutOfRange> {
    let params = &call.params;
    if let Some(name) = params.get("name") {
        variant.name = name.to_owned();
    }
    if let Some(description) = params.get("description") {
        variant.description = Some(description.to_owned());
    }
    if let Some(difference) = params.get("price_difference_cents") {
        variant.price_difference_cents = ruby_to_i(difference)?;
    }
    if let Some(max) = params.get("max_purchase_count") {
        variant.max_purchase_count = Some(max)
            .filter(|m| !m.trim().is_empty())
            .map(ruby_to_i)
            .transpose()?;
    }
    Ok(())
}

/// The variant model's validations, joined by the caller.
fn validate(product: &Product, variant: &Variant) -> Vec<String> {
    let mut errors = Vec::new();
    if variant.name.trim().is_empty() {
        errors.push("Name can't be blank".to_owned());
    }
    if variant.price_difference_cents < 0 {
        errors.push(
            "Please enter a price that is equal to or greater than the price of the product."
                .to_owned(),
        );
    } else if !product.is_tiered_membership {
        // A sum that overflows is certainly above the maximum price.
        match product.price.checked_add(variant.price_difference_cents) {
            Some(total) if money::below_minimum(&product.currency, total) => {
                errors.push(money::minimum_message(&product.currency));
            }
            Some(total) if !money::above_maximum(&product.currency, total) => {}
            _ => errors.push(money::MAXIMUM_MESSAGE.to_owned()),
        }
    }
    if let Some(max) = variant.max_purchase_count
        && max < variant.sold
    {
        errors.push(format!(
            "You have chosen an amount lower than what you have already sold. Please enter an amount greater than {}.",
            variant.sold
        ));
    }
    errors
}

/// `GET …/skus`: no simulated product has SKUs or is physical, so always empty.
pub(super) async fn skus(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    handle_product(&req, &body, &shared, Needs::Read, |_, state, _| {
        success(state.profile, "skus", J::Arr(Vec::new()))
    })
}
