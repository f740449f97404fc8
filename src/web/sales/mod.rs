//! The sales pages: the list (keyset pages, filters, totals), one sale, and the sync's status with
//! "Sync now"; and acting on a sale at Gumroad (refund, shipping, receipt, license key).
//!
//! Rule: the pages read only the local mirror (`store::sales`, `store::sync`), never Gumroad. The
//! background sync keeps the mirror fresh; a page that waited for Gumroad's 10-sales-a-request API
//! would be slow and would spend the instance's shared rate limit. Actions call Gumroad when the
//! creator asks for them, and store its answer in the mirror through the sync's upsert.

mod access;
mod actions;
pub(super) mod export;
mod license;
mod list;
mod refund;
mod shipping;
mod show;
mod status;
pub(super) mod view;

pub use list::ListFigures;
pub use view::{Moment, ProductFigures, ProductFiguresCache, sale_href};

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list::index)
        .service(status::page)
        .service(status::sync_now)
        // Before `/sales/{id}`, which would take `export.csv` for a sale id.
        .service(export::export)
        .service(refund::refund_form)
        .service(refund::refund_review)
        .service(refund::refund_confirm)
        .service(shipping::ship_form)
        .service(shipping::ship)
        .service(shipping::resend_receipt)
        .service(license::license_confirm)
        .service(license::change_license)
        .service(show::show);
}
