//! The operator's pages, under `/admin`. Every handler takes an [`AdminUser`], checked on the server:
//! anyone else gets the same 404 as an unknown page, so the pages' existence is not revealed.

mod creator;
mod jobs;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::current_creator::CurrentCreator;
use super::error::AppError;
use super::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(jobs::page)
        .service(jobs::retry)
        .configure(creator::routes);
}

/// A signed-in creator who is one of this instance's operators (`GUMDASH_ADMIN_GUMROAD_IDS`).
pub struct AdminUser(pub CurrentCreator);

impl FromRequest for AdminUser {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let current = CurrentCreator::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            // Not signed in, or not an operator: the 404 of an unknown page either way.
            let current = current.await.map_err(|_| AppError::NotFound)?;
            // While viewing as a creator, the admin pages are still the operator's own (read-only:
            // their forms are refused like every other).
            let current = match current.viewed_by {
                Some(operator) => CurrentCreator {
                    creator: operator,
                    session: current.session,
                    viewed_by: None,
                },
                None => current,
            };
            let state = state.ok_or(AppError::NotFound)?;
            if !state.is_admin(&current.creator.gumroad_user_id) {
                return Err(AppError::NotFound.into());
            }
            Ok(Self(current))
        })
    }
}
