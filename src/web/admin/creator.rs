//! `GET /admin/creators/{id}`: one creator as the operator sees it (profile, connection, sync), with
//! the account-wide actions. Each action is `GET /admin/creators/{id}/{action}` (a confirmation page
//! with a required reason) and `POST` to the same path (done, audited with the reason).
//! Admin code paths are the one place a creator id comes from the URL: only after [`AdminUser`].

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::AdminUser;
use crate::domain::{CreatorState, TenantId};
use crate::lifecycle::{self, Forget, Forgotten};
use crate::store::audit::Actor;
use crate::store::{self, connections, creators::Creator, sync::SyncState};
use crate::web::csrf;
use crate::web::error::AppError;
use crate::web::forms::{FormErrors, done, render_with, unprocessable};
use crate::web::layout::{AdminNav, Layout, Nav};
use crate::web::lifecycle_confirm::{Confirm, ConfirmPage, parse_reason};
use crate::web::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(show).service(confirm_action).service(act);
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/creator.html")]
struct CreatorPage {
    layout: Layout,
    creator: Creator,
    state: &'static str,
    connection: Option<connections::Status>,
    sales_mirrored: i64,
    sync: Option<SyncState>,
    href: String,
}

/// The creator named in the path, or the 404 of an unknown page.
async fn creator_at(state: &AppState, id: i64) -> Result<Creator, AppError> {
    store::creators::find(&state.pool, TenantId::from_db(id))
        .await?
        .ok_or(AppError::NotFound)
}

fn state_words(state: CreatorState) -> &'static str {
    match state {
        CreatorState::Active => "OK",
        CreatorState::NeedsReconnect => "Needs reconnect",
        CreatorState::Disabled => "Disabled",
    }
}

#[get("/admin/creators/{id}")]
pub async fn show(
    admin: AdminUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<impl Responder, AppError> {
    let creator = creator_at(&state, *id).await?;
    let tenant = creator.id;
    Ok(CreatorPage {
        layout: Layout::signed_in(
            &admin.0.session,
            &admin.0.creator,
            &state,
            Nav::Admin(AdminNav::Creators),
        )?,
        state: state_words(creator.state),
        connection: connections::status(&state.pool, tenant).await?,
        sales_mirrored: store::sales::count(&state.pool, tenant).await?,
        sync: store::sync::state(&state.pool, tenant).await?,
        href: format!("/admin/creators/{tenant}"),
        creator,
    })
}

/// The account-wide actions, by their path segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AdminAction {
    Disable,
    Enable,
    Resync,
    SignOut,
    Forget,
    /// Read-only "view as creator" for support, at most an hour (see `web::view_as`).
    ViewAs,
}

impl AdminAction {
    fn parse(segment: &str) -> Option<Self> {
        match segment {
            "disable" => Some(Self::Disable),
            "enable" => Some(Self::Enable),
            "resync" => Some(Self::Resync),
            "sign-out" => Some(Self::SignOut),
            "forget" => Some(Self::Forget),
            "view-as" => Some(Self::ViewAs),
            _ => None,
        }
    }

    fn segment(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Enable => "enable",
            Self::Resync => "resync",
            Self::SignOut => "sign-out",
            Self::Forget => "forget",
            Self::ViewAs => "view-as",
        }
    }

    fn confirm(self, creator: &Creator, reason: String, failure: Option<String>) -> Confirm {
        let name = &creator.name;
        let (title, consequence, button, danger) = match self {
            Self::Disable => (
                format!("Disable {name}?"),
                "They are signed out of every browser at once and cannot sign in again; their background sync stops. Their data is kept, and enabling them again restores everything.",
                "Disable",
                true,
            ),
            Self::Enable => (
                format!("Enable {name} again?"),
                "They can sign in again, and their sync picks up where it stopped.",
                "Enable",
                false,
            ),
            Self::Resync => (
                format!("Resync all of {name}'s sales?"),
                "Their whole sales history is fetched from Gumroad again, in the background. The sales stored now stay visible meanwhile.",
                "Start a full resync",
                false,
            ),
            Self::SignOut => (
                format!("Sign {name} out everywhere?"),
                "Every session of theirs ends at once, in every browser; their webhook subscriptions at Gumroad are removed in the background. They can sign in again.",
                "Sign out everywhere",
                true,
            ),
            Self::Forget => (
                format!("Revoke and forget {name}?"),
                "gumdash's access is revoked at Gumroad, then everything stored about them is deleted: the token, their mirrored sales and every buyer's details, rollups, sync state, jobs, webhooks and sessions. Only the audit trail stays. This cannot be undone.",
                "Revoke and forget",
                true,
            ),
            Self::ViewAs => (
                format!("View gumdash as {name}?"),
                "For support: you see their pages as they see them, read-only, for at most one hour. Nothing can be changed on their behalf meanwhile, and a banner says so on every page. Your reason is kept in the audit log, and they see the view-as and the reason in their Account activity.",
                "Start viewing as them",
                false,
            ),
        };
        let href = format!("/admin/creators/{}", creator.id);
        Confirm {
            title,
            consequence,
            button,
            danger,
            action: format!("{href}/{}", self.segment()),
            cancel: href,
            ask_reason: true,
            reason,
            failure,
        }
    }
}

fn confirm_page(
    admin: &AdminUser,
    state: &AppState,
    confirm: Confirm,
    errors: FormErrors,
) -> Result<ConfirmPage, AppError> {
    Ok(ConfirmPage {
        layout: Layout::signed_in(
            &admin.0.session,
            &admin.0.creator,
            state,
            Nav::Admin(AdminNav::Creators),
        )?,
        confirm,
        errors,
    })
}

#[get("/admin/creators/{id}/{action}")]
pub async fn confirm_action(
    admin: AdminUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
) -> Result<impl Responder, AppError> {
    let (id, segment) = path.into_inner();
    let action = AdminAction::parse(&segment).ok_or(AppError::NotFound)?;
    let creator = creator_at(&state, id).await?;
    let confirm = action.confirm(&creator, String::new(), None);
    confirm_page(&admin, &state, confirm, FormErrors::default())
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    reason: String,
    /// `yes` after Gumroad failed to revoke: forget locally all the same.
    #[serde(default)]
    local_only: String,
}

#[post("/admin/creators/{id}/{action}")]
pub async fn act(
    req: HttpRequest,
    admin: AdminUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    // The operator check comes first (the extractor), so others get a 404 whatever they send: the
    // body is read only after it, as a form.
    let form: ActionForm = serde_urlencoded::from_bytes(&body).map_err(|_| AppError::BadRequest)?;
    csrf::verify(&admin.0.session, &form.csrf_token)?;
    let (id, segment) = path.into_inner();
    let action = AdminAction::parse(&segment).ok_or(AppError::NotFound)?;
    let creator = creator_at(&state, id).await?;
    let reason = match parse_reason(&form.reason) {
        Ok(reason) => reason,
        Err(message) => {
            let mut errors = FormErrors::default();
            errors.add("reason", message);
            let confirm = action.confirm(&creator, form.reason.clone(), None);
            return unprocessable(&confirm_page(&admin, &state, confirm, errors)?);
        }
    };
    if action == AdminAction::ViewAs {
        return view_as(&req, &admin, &state, action, &creator, reason).await;
    }
    let tenant = creator.id;
    let by = lifecycle::Request {
        actor: Actor::Operator(admin.0.creator.gumroad_user_id.clone()),
        ip: crate::web::client_addr::ClientAddr::of(&req).text(),
        reason: Some(reason.clone()),
    };
    let back = format!("/admin/creators/{tenant}");
    let name = &creator.name;
    let message = match action {
        AdminAction::Disable => {
            if lifecycle::disable(&state.pool, tenant, &by).await? {
                format!(
                    "{name} is disabled: signed out everywhere, background work stopped, data kept."
                )
            } else {
                format!("{name} was already disabled.")
            }
        }
        AdminAction::Enable => {
            if lifecycle::enable(&state.pool, tenant, &by).await? {
                format!("{name} is enabled again.")
            } else {
                format!("{name} was not disabled.")
            }
        }
        AdminAction::Resync => {
            lifecycle::force_resync(&state.pool, tenant, &by).await?;
            format!("A full resync of {name}'s sales has started.")
        }
        AdminAction::SignOut => {
            let sessions = lifecycle::sign_out_everywhere(&state.pool, tenant, &by).await?;
            format!("{name} is signed out everywhere ({sessions} sessions ended).")
        }
        AdminAction::ViewAs => unreachable!("answered above"),
        AdminAction::Forget => {
            let mode = Forget::from_field(&form.local_only);
            match lifecycle::revoke_and_forget(&state.ctx, &state.oauth, tenant, &by, mode).await? {
                Forgotten::Done { revoked, sales } => {
                    let how = if revoked {
                        "their Gumroad access is revoked"
                    } else {
                        "their Gumroad access was not revoked at Gumroad"
                    };
                    // Not their name: the message waits in the operator's session, and nothing
                    // personal of theirs may outlive the forgetting.
                    let message = format!(
                        "Creator {tenant} is forgotten: {how}, and their data ({sales} sales) is deleted."
                    );
                    // The list of creators (`/admin/creators`) is the page to go back to.
                    return done(&admin.0.session, message, "/admin/creators");
                }
                Forgotten::NotFound => return Err(AppError::NotFound),
                Forgotten::RevokeFailed(words) => {
                    let confirm = action.confirm(&creator, reason, Some(words));
                    let page = confirm_page(&admin, &state, confirm, FormErrors::default())?;
                    return render_with(StatusCode::BAD_GATEWAY, &page);
                }
            }
        }
    };
    done(&admin.0.session, message, &back)
}

/// Starts viewing as the creator, unless they cannot be viewed (then the confirmation again, 409,
/// saying why).
async fn view_as(
    req: &HttpRequest,
    admin: &AdminUser,
    state: &AppState,
    action: AdminAction,
    creator: &Creator,
    reason: String,
) -> Result<HttpResponse, AppError> {
    let name = &creator.name;
    let refusal = if creator.id == admin.0.creator.id {
        Some("That is you: view-as is for seeing another creator's pages.".to_owned())
    } else {
        match creator.state {
            CreatorState::Active => None,
            CreatorState::Disabled => Some(format!(
                "{name} is disabled, so their pages cannot be viewed: enable them first if you need to."
            )),
            CreatorState::NeedsReconnect => Some(format!(
                "{name} must reconnect with Gumroad first: their pages cannot be shown until they do."
            )),
        }
    };
    if let Some(refusal) = refusal {
        let mut errors = FormErrors::default();
        errors.general = Some(refusal);
        let confirm = action.confirm(creator, reason, None);
        let page = confirm_page(admin, state, confirm, errors)?;
        return render_with(StatusCode::CONFLICT, &page);
    }
    crate::web::view_as::start(
        req,
        state,
        &admin.0.session,
        &admin.0.creator,
        creator,
        &reason,
    )
    .await
}
