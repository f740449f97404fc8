//! The operator's pages, under `/admin`. Every handler takes an [`AdminUser`], checked on the server:
//! anyone else gets the same 404 as an unknown page, so the pages' existence is not revealed.

mod audit;
mod creator;
mod creators;
mod health;
mod jobs;
mod keys;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::current_creator::CurrentCreator;
use super::error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(creators::page)
        .service(audit::page)
        .service(health::page)
        .service(jobs::page)
        .service(jobs::retry)
        .configure(creator::routes)
        .configure(keys::routes);
}

/// A signed-in creator who is one of this instance's operators (`GUMDASH_ADMIN_GUMROAD_IDS` or the
/// `operators` table).
pub struct AdminUser(pub CurrentCreator);

impl FromRequest for AdminUser {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let current = CurrentCreator::from_request(req, payload);
        Box::pin(async move {
            // Not signed in, or not an operator: the 404 of an unknown page either way.
            // `CurrentCreator` asked `AppState::is_admin` (configuration and database) just now.
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
            if !current.creator.is_operator {
                return Err(AppError::NotFound.into());
            }
            Ok(Self(current))
        })
    }
}

/// Keyset paging of the admin lists, newest first: the store is asked for one row more than a page;
/// if it came, it is dropped and the last shown row's position is the next page's opaque cursor (the
/// same `(time, id)` shape as the sales list's).
fn next_page<T>(
    rows: &mut Vec<T>,
    page_size: usize,
    position: impl Fn(&T) -> (chrono::DateTime<chrono::Utc>, i64),
) -> Option<String> {
    if rows.len() <= page_size {
        return None;
    }
    rows.truncate(page_size);
    rows.last().map(|row| {
        let (created_at, id) = position(row);
        crate::domain::SalesCursor { created_at, id }.encode()
    })
}
