//! Custom fields (api-facts §6.5): seller-level fields linked to products, addressed by **name** in URLs.

use actix_web::{HttpRequest, HttpResponse, web};

use super::auth::Needs;
use super::common::{deleted, failure, handle_product, segment, success};
use crate::sim::catalog::CustomField;
use crate::sim::catalog::json::{self, J};
use crate::sim::store::{Shared, SimState};

const TYPES: &[&str] = &["text", "checkbox", "terms", "long_text", "file"];
const NOT_FOUND: &str = "The custom_field was not found.";
const NOT_CREATED: &str = "The custom_field was unable to be created.";

pub(super) async fn index(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    handle_product(&req, &body, &shared, Needs::Read, |_, state, p| {
        let product = &state.catalog.products[p];
        let fields = state
            .catalog
            .custom_fields_for(product)
            .into_iter()
            .map(|f| json::custom_field(&state.catalog, f))
            .collect();
        success(state.profile, "custom_fields", J::Arr(fields))
    })
}

/// The name is `name`, else `url`, else `label`; `required` only for the string "true". Any failure gives
/// the same message.
pub(super) async fn create(
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
            let params = &call.params;
            let Some(name) = params
                .present("name")
                .or_else(|| params.present("url"))
                .or_else(|| params.present("label"))
            else {
                return failure(NOT_CREATED);
            };
            let field_type = params.present("type").unwrap_or("text");
            if !TYPES.contains(&field_type) || (field_type == "terms" && !is_http_url(name)) {
                return failure(NOT_CREATED);
            }
            let product = &state.catalog.products[p];
            if state
                .catalog
                .custom_fields_for(product)
                .iter()
                .any(|f| f.name == name)
            {
                return failure(NOT_CREATED);
            }
            let product_id = product.id;
            let mut rng = rand::rng();
            let field = CustomField {
                id: state.catalog.next_id(),
                external_id: state.catalog.new_external_id(&mut rng),
                creator_id: call.creator_id.clone(),
                field_type: field_type.to_owned(),
                name: name.to_owned(),
                required: params.is_string_true("required"),
                global: false,
                collect_per_product: false,
                product_ids: vec![product_id],
                deleted: false,
            };
            let rendered = json::custom_field(&state.catalog, &field);
            state.catalog.custom_fields.push(field);
            success(state.profile, "custom_field", rendered)
        },
    )
}

fn is_http_url(text: &str) -> bool {
    url::Url::parse(text)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// The product's field whose name is the URL segment.
fn field_index(state: &SimState, p: usize, req: &HttpRequest) -> Option<usize> {
    let name = segment(req, 5);
    let product = &state.catalog.products[p];
    state
        .catalog
        .custom_fields
        .iter()
        .position(|f| f.applies_to(product) && f.name == name)
}

/// Only `required` changes; without it the field comes back unchanged.
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
            let Some(f) = field_index(state, p, &req) else {
                return failure(NOT_FOUND);
            };
            if call.params.has("required") {
                state.catalog.custom_fields[f].required = call.params.is_string_true("required");
            }
            let rendered = json::custom_field(&state.catalog, &state.catalog.custom_fields[f]);
            success(state.profile, "custom_field", rendered)
        },
    )
}

/// A field shared with other products is only unlinked from this one.
pub(super) async fn destroy(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    handle_product(&req, &body, &shared, Needs::EditProducts, |_, state, p| {
        let Some(f) = field_index(state, p, &req) else {
            return failure(NOT_FOUND);
        };
        let product_id = state.catalog.products[p].id;
        let field = &mut state.catalog.custom_fields[f];
        if !field.global && field.product_ids.len() > 1 {
            field.product_ids.retain(|id| *id != product_id);
        } else {
            field.deleted = true;
        }
        deleted("custom_field")
    })
}
