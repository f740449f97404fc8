//! "View as creator" for support (issue 10, item 4). An operator starts it from
//! `/admin/creators/{id}/view-as` with a written reason (see `admin::creator`); it lasts at most an
//! hour, and is strictly read-only.
//!
//! - The operator's session keeps the operator signed in (`creator_id` is untouched); it only
//!   remembers which `view_as_sessions` row is live ([`ViewingAs`]). [`CurrentCreator`] checks that
//!   row on every request and then answers with the viewed creator; once the row is ended, expired,
//!   or the creator disabled, the session forgets it and the operator is themself again.
//! - Read-only is enforced once, for every route, by [`read_only_guard`], a middleware every request
//!   passes through: while the session views as someone, any request that can change state (any
//!   method but GET and HEAD, and the sign-in flow under `/auth/`, whose GETs replace the session's
//!   sign-in) is answered 403 with an "End view-as" form, before any handler or extractor runs. A
//!   route added later is covered without doing anything. The CSRF check refuses it too
//!   (`csrf::verify`), as a second wall. Gumroad's write endpoints are only ever called by POST
//!   handlers, so they are never reached.
//! - `POST /view-as/end` (CSRF-checked) ends it, audited, and sends the operator back to the
//!   creator's admin page.
//!
//! [`CurrentCreator`]: super::current_creator::CurrentCreator

use actix_session::SessionExt as _;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, HttpResponse, post, web};
use askama::Template;

use super::client_addr::ClientAddr;
use super::csrf::{self, CsrfOnly, CsrfProtected as _};
use super::error::AppError;
use super::forms::{done, render_with, see_other};
use super::layout::{Layout, Nav};
use super::session::{AppSession, FlashKind, ViewingAs};
use super::state::AppState;
use crate::domain::{CreatorState, TenantId};
use crate::store::creators::Creator;
use crate::store::{self, view_as::Ended};

/// The one state-changing route a view-as session may use.
pub const END_PATH: &str = "/view-as/end";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(end);
}

/// Whether a request may change state, so a view-as session must not make it: every method but
/// GET and HEAD, and the sign-in flow (`/auth/…`: its GETs start a sign-in or sign in anew).
pub fn is_state_changing(method: &Method, path: &str) -> bool {
    !matches!(*method, Method::GET | Method::HEAD) || path.starts_with("/auth/")
}

#[derive(Template)]
#[template(path = "view_as/read_only.html")]
struct ReadOnlyPage {
    layout: Layout,
    name: String,
}

/// Refuses every state-changing request of a session that views as a creator (but the end itself).
/// Must run inside the session middleware.
pub async fn read_only_guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    // The path as the router decodes it (`/%61uth/…` routes to `/auth/…`), not as it was sent.
    let path = req.match_info().as_str().to_owned();
    if is_state_changing(req.method(), &path) && path != END_PATH {
        let session = AppSession::of(req.get_session());
        if let Some(viewing) = session.viewing_as() {
            tracing::info!(
                view_as = viewing.id,
                "a state-changing request refused: the session views as a creator (read-only)"
            );
            let page = ReadOnlyPage {
                layout: Layout::signed_out(&session)?,
                name: viewing.name,
            };
            let response = render_with(StatusCode::FORBIDDEN, &page)?;
            return Ok(req.into_response(response).map_into_right_body());
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// Called by `CurrentCreator` for a session that names a view-as, with the operator loaded: the
/// viewed creator while the row is live (and the viewer still an operator, the creator still
/// active); otherwise the view-as is ended (audited), forgotten by the session, and `None`.
pub(super) async fn resolve(
    state: &AppState,
    session: &AppSession,
    operator: &Creator,
    viewing: &ViewingAs,
) -> Result<Option<Creator>, AppError> {
    let tenant = TenantId::from_db(viewing.creator_id);
    let live = store::view_as::live(&state.pool, tenant, viewing.id, operator.id).await?;
    let creator = match live {
        // `is_operator` was read (configuration and database) by `CurrentCreator` just now.
        Some(_) if operator.is_operator => store::creators::find(&state.pool, tenant).await?,
        _ => None,
    };
    let ended = match creator {
        Some(creator) if creator.state == CreatorState::Active => return Ok(Some(creator)),
        // Still live, but the creator was disabled (or lost their token) meanwhile.
        Some(_) => Ended::CreatorUnavailable,
        // Expired, ended elsewhere, the creator forgotten, or the viewer no longer an operator.
        None => Ended::Expired,
    };
    // Ended by gumdash, not by a request of anyone's: no client address.
    store::view_as::end(&state.pool, tenant, viewing.id, operator.id, ended, None).await?;
    session.stop_viewing_as();
    session.flash(
        FlashKind::Info,
        format!(
            "Your view as {} has ended; you are yourself again.",
            viewing.name
        ),
    )?;
    Ok(None)
}

/// Starts a view-as (the operator's reason parsed, the creator checked active by the caller).
pub(super) async fn start(
    req: &HttpRequest,
    state: &AppState,
    session: &AppSession,
    operator: &Creator,
    creator: &Creator,
    reason: &str,
) -> Result<HttpResponse, AppError> {
    let ip = ClientAddr::of(req).text();
    let (id, expires_at) = store::view_as::start(
        &state.pool,
        creator.id,
        operator.id,
        &operator.gumroad_user_id,
        reason,
        ip,
    )
    .await?;
    session.start_viewing_as(&ViewingAs {
        id,
        creator_id: creator.id.get(),
        name: creator.name.clone(),
        expires_at,
    })?;
    Ok(see_other("/dashboard"))
}

/// "End": back to being oneself, on the creator's admin page.
#[post("/view-as/end")]
pub async fn end(
    req: HttpRequest,
    session: AppSession,
    state: web::Data<AppState>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    csrf::verify_token(&session, form.csrf_token())?;
    let Some(viewing) = session.viewing_as() else {
        return Ok(see_other("/dashboard"));
    };
    let operator = session.creator_id()?.ok_or(AppError::SignInRequired)?;
    let ip = ClientAddr::of(&req).text();
    let tenant = TenantId::from_db(viewing.creator_id);
    store::view_as::end(
        &state.pool,
        tenant,
        viewing.id,
        operator,
        Ended::Operator,
        ip,
    )
    .await?;
    session.stop_viewing_as();
    done(
        &session,
        format!(
            "You stopped viewing as {}; you are yourself again.",
            viewing.name
        ),
        &format!("/admin/creators/{tenant}"),
    )
}

/// What the banner on every page shows while viewing as a creator.
pub struct Banner {
    pub name: String,
    pub until: String,
}

impl Banner {
    pub fn of(session: &AppSession) -> Option<Self> {
        session.viewing_as().map(|viewing| Self {
            name: viewing.name,
            until: viewing.expires_at.format("%H:%M UTC").to_string(),
        })
    }
}
