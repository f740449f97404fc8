//! The creator's own Account page, `GET /account`: the Gumroad connection and its scopes, the account's
//! activity (the audit entries about it, by anyone, newest first), "Sign out everywhere"
//! (`POST /account/sign-out-everywhere`), and "Disconnect and delete my data" (`GET /account/delete`,
//! a confirmation, then `POST /account/delete`: the operator's revoke-and-forget, for oneself).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::csrf::{CsrfForm, CsrfOnly, CsrfProtected};
use super::current_creator::CurrentCreator;
use super::error::AppError;
use super::forms::{FormErrors, render_with, see_other};
use super::layout::{Layout, Nav};
use super::lifecycle_confirm::{Confirm, ConfirmPage};
use super::session::FlashKind;
use super::state::AppState;
use crate::lifecycle::{self, Forget, Forgotten};
use crate::store::audit::{self, Action, Actor};
use crate::store::connections;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(show)
        .service(sign_out_everywhere)
        .service(confirm_delete)
        .service(delete);
}

/// Activity entries shown; older ones are left out, with a note.
const ACTIVITY_SHOWN: usize = 50;

/// One line of "Account activity".
pub struct ActivityLine {
    pub when: String,
    pub what: String,
    pub who: &'static str,
    pub ip: String,
    /// For an operator's view-as: their reason, and how it ended.
    pub note: String,
}

impl ActivityLine {
    fn new(entry: &audit::Entry, me: &Actor) -> Self {
        let who = match Actor::parse(&entry.actor) {
            Some(actor) if actor == *me => "You",
            Some(Actor::Operator(_)) => "An operator of this gumdash",
            Some(Actor::System) => "gumdash",
            _ => "Someone else",
        };
        Self {
            when: entry.at.format("%Y-%m-%d %H:%M UTC").to_string(),
            what: Action::parse(&entry.action)
                .map(|action| action.label().to_owned())
                .unwrap_or_else(|| entry.action.clone()),
            who,
            ip: entry.ip.clone().unwrap_or_default(),
            note: view_as_note(entry),
        }
    }
}

/// The creator sees why an operator viewed their account, and how the view ended.
fn view_as_note(entry: &audit::Entry) -> String {
    let action = Action::parse(&entry.action);
    if !matches!(action, Some(Action::ViewAsStart | Action::ViewAsEnd)) {
        return String::new();
    }
    let field = |name: &str| entry.detail.get(name).and_then(|v| v.as_str());
    let mut note = format!("Reason: {}", field("reason").unwrap_or("—"));
    match (action, field("ended")) {
        (Some(Action::ViewAsStart), _) => note.push_str(" (read-only, one hour at most)"),
        (_, Some("expired")) => note.push_str(" (ended at its one-hour limit)"),
        (_, Some("creator_unavailable")) => note.push_str(" (ended: the account was disabled)"),
        _ => {}
    }
    note
}

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    connection: Option<connections::Status>,
    activity: Vec<ActivityLine>,
    more_activity: bool,
}

#[get("/account")]
pub async fn show(
    current: CurrentCreator,
    state: web::Data<AppState>,
) -> Result<impl Responder, AppError> {
    let tenant = current.tenant();
    let entries = audit::about_creator(&state.pool, tenant, ACTIVITY_SHOWN as i64 + 1).await?;
    let me = Actor::Creator(tenant);
    Ok(AccountPage {
        layout: Layout::signed_in(&current.session, &current.creator, &state, Nav::Account)?,
        connection: connections::status(&state.pool, tenant).await?,
        more_activity: entries.len() > ACTIVITY_SHOWN,
        activity: entries
            .iter()
            .take(ACTIVITY_SHOWN)
            .map(|entry| ActivityLine::new(entry, &me))
            .collect(),
    })
}

fn by_the_creator(req: &HttpRequest, current: &CurrentCreator) -> lifecycle::Request {
    lifecycle::Request {
        actor: Actor::Creator(current.tenant()),
        ip: crate::web::client_addr::ClientAddr::of(req).text(),
        reason: None,
    }
}

/// Every session ends, this one too: back to the start page, signed out.
#[post("/account/sign-out-everywhere")]
pub async fn sign_out_everywhere(
    req: HttpRequest,
    current: CurrentCreator,
    state: web::Data<AppState>,
    _form: CsrfForm<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    let by = by_the_creator(&req, &current);
    lifecycle::sign_out_everywhere(&state.pool, current.tenant(), &by).await?;
    current.session.sign_out();
    Ok(see_other("/?signed_out=1"))
}

fn delete_confirm(failure: Option<String>) -> Confirm {
    Confirm {
        title: "Disconnect and delete your data?".to_owned(),
        consequence: "gumdash's access to your Gumroad account is revoked, then everything gumdash stored about you is deleted: your sales as mirrored here and your buyers' details, totals, sync progress and webhooks. Your Gumroad account itself is not touched. This cannot be undone; signing in again later starts afresh.",
        button: "Disconnect and delete my data",
        danger: true,
        action: "/account/delete".to_owned(),
        cancel: "/account".to_owned(),
        ask_reason: false,
        reason: String::new(),
        failure,
    }
}

fn delete_page(
    current: &CurrentCreator,
    state: &AppState,
    failure: Option<String>,
) -> Result<ConfirmPage, AppError> {
    Ok(ConfirmPage {
        layout: Layout::signed_in(&current.session, &current.creator, state, Nav::Account)?,
        confirm: delete_confirm(failure),
        errors: FormErrors::default(),
    })
}

#[get("/account/delete")]
pub async fn confirm_delete(
    current: CurrentCreator,
    state: web::Data<AppState>,
) -> Result<impl Responder, AppError> {
    delete_page(&current, &state, None)
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf_token: String,
    /// `yes` after Gumroad failed to revoke: delete here all the same.
    #[serde(default)]
    local_only: String,
}

impl CsrfProtected for DeleteForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/account/delete")]
pub async fn delete(
    req: HttpRequest,
    current: CurrentCreator,
    state: web::Data<AppState>,
    form: CsrfForm<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    let by = by_the_creator(&req, &current);
    let mode = Forget::from_field(&form.0.local_only);
    let tenant = current.tenant();
    match lifecycle::revoke_and_forget(&state.ctx, &state.oauth, tenant, &by, mode).await? {
        Forgotten::Done { .. } | Forgotten::NotFound => {
            current.session.end_with_flash(
                FlashKind::Success,
                "Done: gumdash is disconnected from your Gumroad account and everything it stored about you is deleted.",
            )?;
            Ok(see_other("/"))
        }
        Forgotten::RevokeFailed(words) => {
            let page = delete_page(&current, &state, Some(words))?;
            render_with(StatusCode::BAD_GATEWAY, &page)
        }
    }
}
