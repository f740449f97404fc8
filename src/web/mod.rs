//! The HTTP side: one module per resource, plus the shared extractors, session, CSRF and error pages.
//! Handlers parse input, call `store`/`vault`/`gumroad` through [`AppState`], and render a template
//! or redirect (POST-redirect-GET). They never build SQL or HTTP requests themselves.

mod account;
mod admin;
mod assets;
mod auth;
mod charts;
mod client_addr;
mod confirm;
mod csrf;
mod current_creator;
mod custom_fields;
mod error;
mod forms;
mod health;
mod home;
mod hooks;
mod layout;
mod licenses;
mod lifecycle_confirm;
mod memberships;
mod middleware;
mod offer_codes;
pub mod overview;
mod product_cache;
mod products;
mod prometheus;
mod rate_limit;
pub(crate) mod rollup_cache;
pub(crate) mod sales;
mod session;
mod settings;
mod state;
mod variants;
pub mod view_as;
mod views;
mod webhooks;
mod write_share;

pub use client_addr::{ClientAddr, TrustedProxies};
pub use current_creator::CurrentCreator;
pub use error::{AppError, SignInFailure};
pub use forms::{FormErrors, form_config, query_config};
pub use hooks::{PingLimit, ping_limit, unknown_pings};
pub use middleware::{
    RootSpanWithoutQuery, content_security_policy, head_as_get, request_id_header,
    security_headers, session_store_failures, track_requests,
};
pub use product_cache::ProductListCache;
pub use rate_limit::{SignInLimit, sign_in_limit};
pub use session::AppSession;
pub use state::AppState;
pub use view_as::read_only_guard;
pub use webhooks::DemoSim;

use actix_web::web;

/// Every route; the limits are shared by all workers so they are per instance.
pub fn routes(cfg: &mut web::ServiceConfig, sign_in_limit: &SignInLimit, ping_limit: &PingLimit) {
    // Sign-out before the `/auth` scope (a scope answers every path under it) and outside its limit.
    cfg.service(auth::sign_out)
        .service(
            web::scope("/auth")
                .wrap(actix_governor::Governor::new(sign_in_limit))
                .service(auth::start)
                .service(auth::callback)
                .service(auth::grant),
        )
        .configure(|cfg| hooks::routes(cfg, ping_limit))
        .service(health::healthz)
        .service(prometheus::metrics)
        .service(assets::stylesheet)
        .service(home::landing)
        .service(overview::overview)
        .configure(products::routes)
        .configure(variants::routes)
        .configure(offer_codes::routes)
        .configure(custom_fields::routes)
        .configure(sales::routes)
        .configure(licenses::routes)
        .configure(memberships::routes)
        .configure(settings::routes)
        .configure(account::routes)
        .configure(webhooks::routes)
        .configure(admin::routes)
        .configure(view_as::routes)
        .default_service(web::to(error::not_found));
}
