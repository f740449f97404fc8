//! `GET /sales/sync`: how far the mirror is (a progress bar while the backfill runs, with an estimate
//! of the time left), the last successful sync and the last error in plain words; `POST` is "Sync now",
//! rate-limited per creator so it cannot flood the queue.

use actix_web::{HttpResponse, Responder, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use chrono_tz::Tz;

use super::view::Moment;
use crate::sync::{self, SyncStatus};
use crate::web::csrf::{CsrfForm, CsrfOnly};
use crate::web::current_creator::CurrentCreator;
use crate::web::error::AppError;
use crate::web::forms::see_other;
use crate::web::layout::{Layout, Nav};
use crate::web::session::FlashKind;
use crate::web::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "sales/sync.html")]
struct StatusPage {
    layout: Layout,
    sync: SyncStatus,
    can_read_sales: bool,
    started: Option<Moment>,
    finished: Option<Moment>,
    last_sync: Option<Moment>,
    last_reconcile: Option<Moment>,
    error_at: Option<Moment>,
    zone: String,
}

impl StatusPage {
    fn eta(&self) -> Option<String> {
        let secs = self.sync.eta_secs?;
        Some(match secs {
            0..=59 => "less than a minute".into(),
            60..=3599 => format!("about {} minutes", (secs + 59) / 60),
            _ => format!("about {} hours", (secs + 3599) / 3600),
        })
    }
}

#[get("/sales/sync")]
pub async fn page(
    current: CurrentCreator,
    state: web::Data<AppState>,
) -> Result<impl Responder, AppError> {
    let tenant = current.tenant();
    let status = sync::status(&state.pool, tenant).await?;
    let zone: Tz = current.creator.time_zone.parse().unwrap_or(Tz::UTC);
    let moment = |at: Option<chrono::DateTime<chrono::Utc>>| at.map(|at| Moment::new(at, zone));
    let scopes = crate::store::connections::load(&state.pool, tenant)
        .await?
        .map(|c| c.scopes)
        .unwrap_or_default();
    Ok(StatusPage {
        layout: Layout::signed_in(&current.session, &current.creator, &state, Nav::Sales)?,
        can_read_sales: scopes.split_whitespace().any(|s| s == "view_sales"),
        started: moment(status.state.backfill_started_at),
        finished: moment(status.state.backfill_finished_at),
        last_sync: moment(status.state.last_sync_at),
        last_reconcile: moment(status.state.last_reconcile_at),
        error_at: moment(status.state.last_error_at),
        zone: crate::domain::zone_label(&current.creator.time_zone),
        sync: status,
    })
}

#[post("/sales/sync")]
pub async fn sync_now(
    current: CurrentCreator,
    state: web::Data<AppState>,
    _form: CsrfForm<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    let started = sync::request_sync(&state.pool, current.tenant(), &state.sync).await?;
    if started {
        current.session.flash(
            FlashKind::Success,
            "Sync started: new sales appear within moments.",
        )?;
    } else {
        current.session.flash(
            FlashKind::Info,
            "A sync was started moments ago; it is still on its way.",
        )?;
    }
    Ok(see_other("/sales/sync"))
}
