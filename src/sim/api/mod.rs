//! API v2 (api-facts §4–§6). Routes are declared once under `/v2`; `rails::normalize_path` maps the
//! `/api/v2` alias and the `.json` suffix onto them.

pub(crate) mod auth;
mod user;

use actix_web::web;

use super::rails;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/v2/user")
            .route(web::get().to(user::show))
            .default_service(web::to(rails::not_found)),
    );
}
