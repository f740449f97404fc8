//! `GET /admin/jobs`: the background queue at a glance (runnable, delayed, running and failed jobs,
//! the oldest waiting one) and every job that failed for good with its error; `POST
//! /admin/jobs/{id}/retry` runs a failed one again (recorded in the audit log).

use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};
use askama::Template;
use askama_web::WebTemplate;

use super::AdminUser;
use crate::store::audit::{self, Action, Actor};
use crate::store::jobs as job_store;
use crate::web::client_addr::ClientAddr;
use crate::web::csrf::{self, CsrfOnly, CsrfProtected as _};
use crate::web::error::AppError;
use crate::web::forms::done;
use crate::web::layout::{AdminNav, Layout, Nav};
use crate::web::state::AppState;

const FAILED_SHOWN: i64 = 100;

#[derive(Template, WebTemplate)]
#[template(path = "admin/jobs.html")]
struct JobsPage {
    layout: Layout,
    depth: job_store::Depth,
    oldest_wait_secs: Option<i64>,
    failed: Vec<job_store::FailedJob>,
}

#[get("/admin/jobs")]
pub async fn page(
    admin: AdminUser,
    state: web::Data<AppState>,
) -> Result<impl Responder, AppError> {
    let current = &admin.0;
    Ok(JobsPage {
        layout: Layout::signed_in(
            &current.session,
            &current.creator,
            &state,
            Nav::Admin(AdminNav::Jobs),
        )?,
        depth: job_store::depth(&state.pool).await?,
        oldest_wait_secs: job_store::oldest_runnable_wait_secs(&state.pool).await?,
        failed: job_store::failed(&state.pool, FAILED_SHOWN).await?,
    })
}

#[post("/admin/jobs/{id}/retry")]
pub async fn retry(
    req: HttpRequest,
    admin: AdminUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    let current = &admin.0;
    // The operator check comes first (the extractor), so others get a 404 whatever they send.
    csrf::verify(&current.session, form.csrf_token())?;
    let mut tx = state.pool.begin().await?;
    let Some(kind) = job_store::retry_failed(&mut tx, *id).await? else {
        return Err(AppError::NotFound);
    };
    audit::record(
        &mut *tx,
        audit::Event {
            actor: Actor::Operator(current.creator.gumroad_user_id.clone()),
            action: Action::RetryJob,
            creator: None,
            ip: ClientAddr::of(&req).text(),
            detail: serde_json::json!({ "job": *id, "kind": kind }),
        },
    )
    .await?;
    tx.commit().await?;
    done(
        &current.session,
        format!("Job {id} ({kind}) will run again shortly."),
        "/admin/jobs",
    )
}
