//! `GET /settings`, `POST /settings/time-zone`: the creator's time zone. Gumroad does not say it; the
//! sync derives one from the sales, and the creator can set their own. Days in sales filters and
//! rollups follow it (a background job re-dates the stored sales).

use actix_web::{HttpResponse, Responder, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use chrono_tz::{TZ_VARIANTS, Tz};
use serde::Deserialize;

use super::csrf::{CsrfForm, CsrfProtected};
use super::current_creator::CurrentCreator;
use super::error::AppError;
use super::forms::{FormErrors, done, unprocessable};
use super::layout::{Layout, Nav};
use super::state::AppState;
use crate::jobs::{Job, Queue};
use crate::store;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(show).service(set_time_zone);
}

#[derive(Template, WebTemplate)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    zone: String,
    source: String,
    zones: Vec<&'static str>,
    errors: FormErrors,
}

fn page(
    current: &CurrentCreator,
    state: &AppState,
    errors: FormErrors,
) -> Result<SettingsPage, AppError> {
    Ok(SettingsPage {
        layout: Layout::signed_in(&current.session, &current.creator, state, Nav::None)?,
        zone: current.creator.time_zone.clone(),
        source: current.creator.time_zone_source.clone(),
        zones: TZ_VARIANTS.iter().map(|z| z.name()).collect(),
        errors,
    })
}

#[get("/settings")]
pub async fn show(
    current: CurrentCreator,
    state: web::Data<AppState>,
) -> Result<impl Responder, AppError> {
    page(&current, &state, FormErrors::default())
}

#[derive(Deserialize)]
pub struct TimeZoneForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    time_zone: String,
}

impl CsrfProtected for TimeZoneForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/settings/time-zone")]
pub async fn set_time_zone(
    current: CurrentCreator,
    state: web::Data<AppState>,
    form: CsrfForm<TimeZoneForm>,
) -> Result<HttpResponse, AppError> {
    let Ok(zone) = form.0.time_zone.trim().parse::<Tz>() else {
        let mut errors = FormErrors::default();
        errors.add("time_zone", "Choose a time zone from the list.");
        return unprocessable(&page(&current, &state, errors)?);
    };
    let tenant = current.tenant();
    let mut tx = state.pool.begin().await?;
    if store::creators::choose_time_zone(&mut *tx, tenant, zone.name()).await? {
        let redate = Job::RedateSales {
            creator: tenant,
            zone: zone.name().to_owned(),
        };
        Queue::enqueue(&mut *tx, &redate).await?;
    }
    tx.commit().await?;
    done(
        &current.session,
        format!(
            "Time zone set to {}. Your sales' days follow it within moments.",
            zone.name()
        ),
        "/settings",
    )
}
