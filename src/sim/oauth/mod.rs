//! The OAuth 2 provider (api-facts §3): Doorkeeper's endpoints at `/oauth`, plus the simulator's stand-in
//! for Gumroad's own sign-in page.

mod authorize;
mod client;
mod login;
mod token;

use actix_web::{HttpRequest, web};

use super::rails;
use super::seed::SeededCreator;
use super::store::Shared;

pub(crate) use login::home;

/// The simulator's login cookie (Gumroad's own is `_gumroad_app_session`).
pub(crate) const SESSION_COOKIE: &str = "_gumroad_sim_session";

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/oauth/login")
            .route(web::get().to(login::show))
            .route(web::post().to(login::sign_in))
            .default_service(web::to(rails::not_found)),
    )
    .service(
        web::resource("/oauth/authorize")
            .route(web::get().to(authorize::show))
            .route(web::post().to(authorize::decide))
            .route(web::delete().to(authorize::decide))
            .default_service(web::to(rails::not_found)),
    )
    .service(
        web::resource("/oauth/token")
            .route(web::post().to(token::create))
            .default_service(web::to(rails::not_found)),
    )
    .service(
        web::resource("/oauth/revoke")
            .route(web::post().to(token::revoke))
            .default_service(web::to(rails::not_found)),
    );
}

/// The creator signed in through `/oauth/login`, if the cookie names a live session.
fn signed_in(req: &HttpRequest, shared: &Shared) -> Option<SeededCreator> {
    let cookie = req.cookie(SESSION_COOKIE)?;
    shared.lock().session_creator(cookie.value()).cloned()
}
