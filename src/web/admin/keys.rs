//! `GET /admin/keys`: the key ring (ids only), how many tokens each key seals, and the progress of
//! the last rotation. `GET /admin/keys/rotate` asks for confirmation and a reason; `POST` to the
//! same path enqueues the rotation job (audited), which a worker runs (`crate::rotation`).

use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};
use askama::Template;
use askama_web::WebTemplate;

use super::AdminUser;
use crate::jobs::{Job, Queue};
use crate::store::audit::{self, Action, Actor};
use crate::store::{connections, rotation};
use crate::web::client_addr::ClientAddr;
use crate::web::csrf;
use crate::web::error::AppError;
use crate::web::forms::{FormErrors, done, unprocessable};
use crate::web::layout::{AdminNav, Layout, Nav};
use crate::web::lifecycle_confirm::{Confirm, ConfirmPage, parse_reason};
use crate::web::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(page).service(confirm).service(rotate);
}

struct KeyRow {
    id: String,
    active: bool,
    tokens: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/keys.html")]
struct KeysPage {
    layout: Layout,
    active: String,
    ring: Vec<KeyRow>,
    /// Key ids that seal tokens but are not in this instance's ring (another instance's newer key).
    strangers: Vec<KeyRow>,
    old_tokens: i64,
    latest: Option<rotation::Run>,
    running: bool,
    queued: bool,
    /// Why the queued rotation still waits, if a worker said.
    waiting_because: Option<String>,
}

#[get("/admin/keys")]
pub async fn page(
    admin: AdminUser,
    state: web::Data<AppState>,
) -> Result<impl Responder, AppError> {
    let counts = connections::count_by_key(&state.pool).await?;
    let tokens_of = |id: &str| {
        counts
            .iter()
            .find(|(key, _)| key == id)
            .map_or(0, |(_, n)| *n)
    };
    let active = state.keys.active_key_id().to_owned();
    let ring = state
        .keys
        .key_ids()
        .into_iter()
        .map(|id| KeyRow {
            id: id.to_owned(),
            active: id == active,
            tokens: tokens_of(id),
        })
        .collect();
    let strangers = counts
        .iter()
        .filter(|(id, _)| !state.keys.contains(id))
        .map(|(id, n)| KeyRow {
            id: id.clone(),
            active: false,
            tokens: *n,
        })
        .collect();
    let job = rotation::job_queued(&state.pool).await?;
    Ok(KeysPage {
        layout: Layout::signed_in(
            &admin.0.session,
            &admin.0.creator,
            &state,
            Nav::Admin(AdminNav::Keys),
        )?,
        old_tokens: connections::count_not_under(&state.pool, &active).await?,
        latest: rotation::latest(&state.pool).await?,
        running: rotation::lock_held(&state.pool).await?,
        queued: job.is_some(),
        waiting_because: job.flatten(),
        active,
        ring,
        strangers,
    })
}

fn confirmation(reason: String) -> Confirm {
    Confirm {
        title: "Rotate the token encryption key now?".to_owned(),
        consequence: "Every stored Gumroad token is re-encrypted with the first key of GUMDASH_TOKEN_KEYS, in the background, in batches, while gumdash keeps serving. Every instance must already have that key first in its ring. Afterwards the old keys can be removed from the ring.",
        button: "Rotate now",
        danger: false,
        action: "/admin/keys/rotate".to_owned(),
        cancel: "/admin/keys".to_owned(),
        ask_reason: true,
        reason,
        failure: None,
    }
}

fn confirm_page(
    admin: &AdminUser,
    state: &AppState,
    reason: String,
    errors: FormErrors,
) -> Result<ConfirmPage, AppError> {
    Ok(ConfirmPage {
        layout: Layout::signed_in(
            &admin.0.session,
            &admin.0.creator,
            state,
            Nav::Admin(AdminNav::Keys),
        )?,
        confirm: confirmation(reason),
        errors,
    })
}

#[get("/admin/keys/rotate")]
pub async fn confirm(
    admin: AdminUser,
    state: web::Data<AppState>,
) -> Result<impl Responder, AppError> {
    confirm_page(&admin, &state, String::new(), FormErrors::default())
}

#[derive(serde::Deserialize)]
struct RotateForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    reason: String,
}

#[post("/admin/keys/rotate")]
pub async fn rotate(
    req: HttpRequest,
    admin: AdminUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    // The operator check comes first (the extractor): others get a 404 whatever they send.
    let form: RotateForm = serde_urlencoded::from_bytes(&body).map_err(|_| AppError::BadRequest)?;
    csrf::verify(&admin.0.session, &form.csrf_token)?;
    let reason = match parse_reason(&form.reason) {
        Ok(reason) => reason,
        Err(message) => {
            let mut errors = FormErrors::default();
            errors.add("reason", message);
            return unprocessable(&confirm_page(&admin, &state, form.reason.clone(), errors)?);
        }
    };
    let mut tx = state.pool.begin().await?;
    let job = Job::RotateKeys {
        key_id: state.keys.active_key_id().to_owned(),
    };
    let queued = Queue::enqueue(&mut *tx, &job).await?;
    audit::record(
        &mut *tx,
        audit::Event {
            actor: Actor::Operator(admin.0.creator.gumroad_user_id.clone()),
            action: Action::KeyRotation,
            creator: None,
            ip: ClientAddr::of(&req).text(),
            detail: serde_json::json!({
                "requested": true,
                "key_id": state.keys.active_key_id(),
                "queued": queued,
                "reason": reason,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    let message = if queued {
        "The key rotation has started; its progress shows below."
    } else {
        "A key rotation was already waiting or running; its progress shows below."
    };
    done(&admin.0.session, message, "/admin/keys")
}
