//! API v2 (api-facts §4–§6). Routes are declared once under `/v2`; `rails::normalize_path` maps the
//! `/api/v2` alias and the `.json` suffix onto them. Anything else under `/v2` is Rails' 404.

pub(crate) mod auth;
mod common;
mod custom_fields;
mod licenses;
mod offer_codes;
mod paging;
pub(crate) mod products;
mod resource_subscriptions;
mod sale_actions;
pub(crate) mod sales;
mod subscribers;
mod user;
mod variants;

use actix_web::{Route, web};

use super::rails;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    let resource = |path: &str, routes: Vec<Route>| {
        let mut resource = web::resource(path.to_owned());
        for route in routes {
            resource = resource.route(route);
        }
        resource.default_service(web::to(rails::not_found))
    };
    let product = "/v2/products/{id}";
    let category = "/v2/products/{id}/variant_categories/{vc}";
    cfg.service(resource("/v2/user", vec![web::get().to(user::show)]))
        .service(resource("/v2/sales", vec![web::get().to(sales::index)]))
        .service(resource("/v2/sales/{id}", vec![web::get().to(sales::show)]))
        .configure(sale_action_routes)
        .service(resource(
            "/v2/resource_subscriptions",
            vec![
                web::put().to(resource_subscriptions::create),
                web::get().to(resource_subscriptions::index),
            ],
        ))
        .service(resource(
            "/v2/resource_subscriptions/{id}",
            vec![web::delete().to(resource_subscriptions::destroy)],
        ))
        .service(resource(
            "/v2/products",
            vec![
                web::get().to(products::index),
                web::post().to(products::create),
            ],
        ))
        .service(resource(
            product,
            vec![
                web::get().to(products::show),
                web::put().to(products::update),
                web::patch().to(products::update),
                web::delete().to(products::destroy),
            ],
        ))
        .service(resource(
            &format!("{product}/enable"),
            vec![web::put().to(products::enable)],
        ))
        .service(resource(
            &format!("{product}/disable"),
            vec![web::put().to(products::disable)],
        ))
        .service(resource(
            &format!("{product}/subscribers"),
            vec![web::get().to(subscribers::index)],
        ))
        .service(resource(
            "/v2/subscribers/{id}",
            vec![web::get().to(subscribers::show)],
        ))
        .service(resource(
            &format!("{product}/skus"),
            vec![web::get().to(variants::skus)],
        ))
        .service(resource(
            &format!("{product}/custom_fields"),
            vec![
                web::get().to(custom_fields::index),
                web::post().to(custom_fields::create),
            ],
        ))
        .service(resource(
            &format!("{product}/custom_fields/{{name}}"),
            vec![
                web::put().to(custom_fields::update),
                web::patch().to(custom_fields::update),
                web::delete().to(custom_fields::destroy),
            ],
        ))
        .service(resource(
            &format!("{product}/offer_codes"),
            vec![
                web::get().to(offer_codes::index),
                web::post().to(offer_codes::create),
            ],
        ))
        .service(resource(
            &format!("{product}/offer_codes/{{code}}"),
            vec![
                web::get().to(offer_codes::show),
                web::put().to(offer_codes::update),
                web::patch().to(offer_codes::update),
                web::delete().to(offer_codes::destroy),
            ],
        ))
        .service(resource(
            &format!("{product}/variant_categories"),
            vec![
                web::get().to(variants::categories),
                web::post().to(variants::create_category),
            ],
        ))
        .service(resource(
            category,
            vec![
                web::get().to(variants::show_category),
                web::put().to(variants::update_category),
                web::patch().to(variants::update_category),
                web::delete().to(variants::destroy_category),
            ],
        ))
        .service(resource(
            &format!("{category}/variants"),
            vec![
                web::get().to(variants::variants),
                web::post().to(variants::create_variant),
            ],
        ))
        .service(resource(
            &format!("{category}/variants/{{variant}}"),
            vec![
                web::get().to(variants::show_variant),
                web::put().to(variants::update_variant),
                web::patch().to(variants::update_variant),
                web::delete().to(variants::destroy_variant),
            ],
        ));
}

/// Refund, shipment, receipt and license routes (`sale_actions`, `licenses`).
fn sale_action_routes(cfg: &mut web::ServiceConfig) {
    let resource = |path: &str, route: Route| {
        web::resource(path.to_owned())
            .route(route)
            .default_service(web::to(rails::not_found))
    };
    cfg.service(resource(
        "/v2/sales/{id}/refund",
        web::put().to(sale_actions::refund),
    ))
    .service(resource(
        "/v2/sales/{id}/mark_as_shipped",
        web::put().to(sale_actions::mark_as_shipped),
    ))
    .service(resource(
        "/v2/sales/{id}/resend_receipt",
        web::post().to(sale_actions::resend_receipt),
    ))
    .service(resource(
        "/v2/licenses/verify",
        web::post().to(licenses::verify),
    ))
    .service(resource(
        "/v2/licenses/enable",
        web::put().to(licenses::enable),
    ))
    .service(resource(
        "/v2/licenses/disable",
        web::put().to(licenses::disable),
    ))
    .service(resource(
        "/v2/licenses/decrement_uses_count",
        web::put().to(licenses::decrement_uses_count),
    ));
}
