//! The sales pages: the list (keyset pages, filters, totals), one sale, and the sync's status with
//! "Sync now".
//!
//! Rule: these pages read only the local mirror (`store::sales`, `store::sync`), never Gumroad. The
//! background sync keeps the mirror fresh; a page that waited for Gumroad's 10-sales-a-request API
//! would be slow and would spend the instance's shared rate limit.

mod list;
mod show;
mod status;
mod view;

pub use view::{Moment, ProductFigures};

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list::index)
        .service(status::page)
        .service(status::sync_now)
        .service(show::show);
}
