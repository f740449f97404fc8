//! `/v2/products` (api-facts §5, §6.1, §7): index (paginated in 2026), show, create, update, delete, enable,
//! disable.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::auth::Needs;
use super::common::{
    Call, deleted, failure, handle, handle_product, product_response, sales_numbers, success,
    success_with, throttled, username,
};
use super::offer_codes::price_after_discount_error;
use super::paging::{PAGE_SIZE, next_page_url, page_key, parse_page_key};
use crate::sim::catalog::json::{self, J};
use crate::sim::catalog::{
    self, OUT_OF_RANGE, Product, RECURRENCES, Variant, VariantCategory, money, ruby_to_i,
    ruby_to_i_opt, to_sentence,
};
use crate::sim::params::Params;
use crate::sim::rails;
use crate::sim::rate_limit::{PRODUCT_CREATE_TIERS, PRODUCT_UPDATE_TIERS};
use crate::sim::store::{Shared, SimState};

/// Product types the 2026 API creates; `physical` and the legacy ones are refused.
const CREATABLE_TYPES: &[&str] = &["digital", "course", "ebook", "membership"];

pub(crate) const NO_PAYMENT_METHOD: &str = "You must connect connect at least one payment method before you can publish this product for sale.";

/// 2026 `links_controller#update`: tier prices live on the variants.
pub(crate) const TIERED_PRICE: &str = "Price cannot be updated for tiered membership products. Use the variant endpoints to manage tier pricing.";

/// File parameters the API refuses as plain values (uploads go through the 2026 `files` endpoints, which
/// are not simulated), checked in this order before anything else.
const REFUSED_FILE_PARAMS: &[&str] = &["file", "preview", "thumbnail"];

/// "'file' is not an accepted parameter on POST /v2/products." for the first refused parameter sent.
fn refused_file_param(params: &Params, route: &str) -> Option<HttpResponse> {
    REFUSED_FILE_PARAMS
        .iter()
        .find(|name| params.has(name))
        .map(|name| {
            failure(&format!(
                "'{name}' is not an accepted parameter on {route}."
            ))
        })
}

pub(super) async fn index(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    handle(&req, &body, &shared, Needs::Read, |call, state| {
        index_page(&req, call, state)
    })
}

fn index_page(req: &HttpRequest, call: &Call, state: &SimState) -> HttpResponse {
    let username = username(state, &call.creator_id);
    let products = state.catalog.live_products(&call.creator_id);
    let render = |products: &[&Product]| -> J {
        J::Arr(
            products
                .iter()
                .map(|p| {
                    let sales = sales_numbers(call, state, p);
                    json::product(&state.catalog, p, &username, sales)
                })
                .collect(),
        )
    };
    if state.profile.is_2025_04() {
        return success(state.profile, "products", render(&products));
    }
    let cursor = match call.params.present("page_key") {
        None => None,
        Some(key) => match parse_page_key(key) {
            Some(cursor) => Some(cursor),
            None => return rails::error_400("Invalid page_key."),
        },
    };
    let remaining: Vec<&Product> = products
        .into_iter()
        .filter(|p| {
            cursor
                .is_none_or(|(time, id)| p.created_at < time || (p.created_at == time && p.id < id))
        })
        .collect();
    let page = &remaining[..remaining.len().min(PAGE_SIZE)];
    let mut pairs = vec![("products", render(page))];
    if let (true, Some(last)) = (remaining.len() > PAGE_SIZE, page.last()) {
        let key = page_key(last.created_at, last.id);
        pairs.push(("next_page_url", next_page_url(req, &key).into()));
        pairs.insert(1, ("next_page_key", key.into()));
    }
    success_with(state.profile, pairs)
}

pub(super) async fn show(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    handle_product(&req, &body, &shared, Needs::Read, |call, state, index| {
        product_response(call, state, index)
    })
}

pub(super) async fn create(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    // 2025-04 has no such route: Rails' routing error, before rack-attack has a rule for it.
    if shared.lock().profile.is_2025_04() {
        return rails::error_response(StatusCode::NOT_FOUND, rails::wants_json(&req));
    }
    if let Some(response) = throttled(&req, &shared, "v2/products#create", PRODUCT_CREATE_TIERS) {
        return response;
    }
    handle(&req, &body, &shared, Needs::EditProducts, |call, state| {
        if let Some(refused) = refused_file_param(&call.params, "POST /v2/products") {
            return refused;
        }
        let input = match ProductInput::read(&call.params, true) {
            Ok(input) => input,
            Err(message) => return failure(&message),
        };
        let mut rng = rand::rng();
        let now = catalog::stored_time(state.now());
        let currency = input.currency.unwrap_or("usd").to_owned();
        let id = state.catalog.next_id();
        let mut product = Product {
            id,
            external_id: state.catalog.new_external_id(&mut rng),
            creator_id: call.creator_id.clone(),
            name: String::new(),
            description: String::new(),
            price: 0,
            currency,
            native_type: input.native_type.clone(),
            customizable_price: None,
            unique_permalink: state.catalog.new_permalink(&mut rng),
            custom_permalink: None,
            custom_summary: None,
            custom_receipt: None,
            preview_url: None,
            thumbnail_url: None,
            require_shipping: false,
            published: false,
            deleted: false,
            max_purchase_count: None,
            subscription_duration: None,
            is_tiered_membership: false,
            tags: Vec::new(),
            created_at: now,
            is_licensed: false,
            variant_categories: Vec::new(),
        };
        input.apply(&mut product);
        if product.native_type == "membership" {
            make_tiered_membership(state, &mut product);
        }
        let errors = validate(&product);
        if !errors.is_empty() {
            return failure(&to_sentence(&errors));
        }
        state.catalog.products.push(product);
        let index = state.catalog.products.len() - 1;
        product_response(call, state, index)
    })
}

/// A new membership gets one tier, "Untitled", at the product's price for its recurrence.
fn make_tiered_membership(state: &mut SimState, product: &mut Product) {
    let mut rng = rand::rng();
    let duration = product
        .subscription_duration
        .get_or_insert_with(|| "monthly".to_owned())
        .clone();
    product.is_tiered_membership = true;
    let category_id = state.catalog.next_id();
    let variant_id = state.catalog.next_id();
    product.variant_categories.push(VariantCategory {
        id: category_id,
        external_id: state.catalog.new_external_id(&mut rng),
        title: Some("Tier".to_owned()),
        deleted: false,
        variants: vec![Variant {
            id: variant_id,
            external_id: state.catalog.new_external_id(&mut rng),
            name: "Untitled".to_owned(),
            description: None,
            price_difference_cents: 0,
            max_purchase_count: None,
            customizable_price: false,
            recurrence_prices: vec![(duration, product.price)],
            sold: 0,
            deleted: false,
        }],
    });
}

pub(super) async fn update(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    if shared.lock().profile.is_2025_04() {
        return rails::error_response(StatusCode::NOT_FOUND, rails::wants_json(&req));
    }
    let rule = if req.method() == actix_web::http::Method::PATCH {
        "v2/products#update PATCH"
    } else {
        "v2/products#update PUT"
    };
    if let Some(response) = throttled(&req, &shared, rule, PRODUCT_UPDATE_TIERS) {
        return response;
    }
    handle_product(
        &req,
        &body,
        &shared,
        Needs::EditProducts,
        |call, state, index| {
            if let Some(refused) = refused_file_param(&call.params, "PUT /v2/products/:id") {
                return refused;
            }
            if call.params.has("price") && state.catalog.products[index].is_tiered_membership {
                return failure(TIERED_PRICE);
            }
            let input = match ProductInput::read(&call.params, false) {
                Ok(input) => input,
                Err(message) => return failure(&message),
            };
            let mut product = state.catalog.products[index].clone();
            input.apply(&mut product);
            let errors = validate(&product);
            if !errors.is_empty() {
                return failure(&to_sentence(&errors));
            }
            state.catalog.products[index] = product;
            product_response(call, state, index)
        },
    )
}

pub(super) async fn destroy(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    handle_product(
        &req,
        &body,
        &shared,
        Needs::EditProducts,
        |_, state, index| {
            state.catalog.products[index].deleted = true;
            deleted("product")
        },
    )
}

pub(super) async fn enable(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    handle_product(
        &req,
        &body,
        &shared,
        Needs::EditProducts,
        |call, state, index| {
            // Gumroad runs `validate_product_price_against_all_offer_codes?` before `publish!`.
            let product = &state.catalog.products[index];
            let discount_error = state
                .catalog
                .offer_codes_for(product)
                .into_iter()
                .find_map(|code| price_after_discount_error(code, [product]));
            if let Some(message) = discount_error {
                return failure(&message);
            }
            if !state.catalog.has_payment_method(&call.creator_id) {
                return failure(NO_PAYMENT_METHOD);
            }
            let errors = validate(&state.catalog.products[index]);
            if !errors.is_empty() {
                return failure(&to_sentence(&errors));
            }
            state.catalog.products[index].published = true;
            product_response(call, state, index)
        },
    )
}

pub(super) async fn disable(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    handle_product(
        &req,
        &body,
        &shared,
        Needs::EditProducts,
        |call, state, index| {
            state.catalog.products[index].published = false;
            product_response(call, state, index)
        },
    )
}

/// The create/update parameters that were sent (2026 names).
struct ProductInput {
    native_type: String,
    name: Option<String>,
    price: Option<i64>,
    currency: Option<&'static str>,
    description: Option<String>,
    tags: Option<Vec<String>>,
    custom_permalink: Option<Option<String>>,
    custom_summary: Option<Option<String>>,
    subscription_duration: Option<Option<String>>,
    max_purchase_count: Option<Option<i64>>,
}

impl ProductInput {
    /// The checks Gumroad makes before touching the model, each answered on its own.
    fn read(params: &Params, creating: bool) -> Result<ProductInput, String> {
        let native_type = params
            .present("native_type")
            .unwrap_or("digital")
            .to_owned();
        if creating && !CREATABLE_TYPES.contains(&native_type.as_str()) {
            return Err(format!(
                "The product type '{native_type}' is not supported for creation."
            ));
        }
        let currency = match params.present("price_currency_type") {
            None => None,
            Some(code) => Some(
                money::supported(code)
                    .ok_or_else(|| format!("'{code}' is not a supported currency."))?,
            ),
        };
        let tags = match params.array("tags") {
            None => None,
            Some(Err(())) => return Err("tags must be an array of strings.".to_owned()),
            Some(Ok(tags)) => {
                let mut clean: Vec<String> = Vec::new();
                for tag in tags {
                    let tag = tag.trim().to_owned();
                    if !tag.is_empty() && !clean.contains(&tag) {
                        clean.push(tag);
                    }
                }
                Some(clean)
            }
        };
        let optional = |key: &str| {
            params
                .get(key)
                .map(|v| Some(v.trim().to_owned()).filter(|v| !v.is_empty()))
        };
        let max_purchase_count = match params.get("max_purchase_count") {
            None => None,
            Some(v) if v.trim().is_empty() => Some(None),
            Some(v) => Some(Some(ruby_to_i(v).map_err(|_| OUT_OF_RANGE.to_owned())?)),
        };
        Ok(ProductInput {
            native_type,
            name: params
                .get("name")
                .map(|n| n.trim().to_owned())
                .or_else(|| creating.then(String::new)),
            price: ruby_to_i_opt(params.get("price")).map_err(|_| OUT_OF_RANGE.to_owned())?,
            currency,
            description: params.get("description").map(str::to_owned),
            tags,
            custom_permalink: optional("custom_permalink"),
            custom_summary: optional("custom_summary"),
            subscription_duration: optional("subscription_duration"),
            max_purchase_count,
        })
    }

    fn apply(&self, product: &mut Product) {
        if let Some(name) = &self.name {
            product.name.clone_from(name);
        }
        if let Some(price) = self.price {
            product.price = price;
        }
        if let Some(currency) = self.currency {
            product.currency = currency.to_owned();
        }
        if let Some(description) = &self.description {
            product.description.clone_from(description);
        }
        if let Some(tags) = &self.tags {
            product.tags.clone_from(tags);
        }
        if let Some(permalink) = &self.custom_permalink {
            product.custom_permalink.clone_from(permalink);
        }
        if let Some(summary) = &self.custom_summary {
            product.custom_summary.clone_from(summary);
        }
        if let Some(duration) = &self.subscription_duration {
            product.subscription_duration.clone_from(duration);
        }
        if let Some(max) = self.max_purchase_count {
            product.max_purchase_count = max;
        }
    }
}

/// The product model's validations, in Gumroad's order.
fn validate(product: &Product) -> Vec<String> {
    let mut errors = Vec::new();
    if product.name.trim().is_empty() {
        errors.push("Name can't be blank".to_owned());
    }
    if money::below_minimum(&product.currency, product.price) || product.price < 0 {
        errors.push(money::minimum_message(&product.currency));
    } else if money::above_maximum(&product.currency, product.price) {
        errors.push(money::MAXIMUM_MESSAGE.to_owned());
    }
    if let Some(duration) = &product.subscription_duration
        && !RECURRENCES.contains(&duration.as_str())
    {
        errors.push("Subscription duration is not included in the list".to_owned());
    }
    errors
}
