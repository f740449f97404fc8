use actix_web::http::header;
use actix_web::{HttpResponse, Responder, get, web};
use askama::Template;
use askama_web::WebTemplate;

use super::current_creator::CurrentCreator;
use super::error::AppError;
use super::layout::{Layout, Nav};
use super::session::AppSession;
use super::state::AppState;
use crate::gumroad::{GumroadError, User};
use crate::store;

#[derive(Template, WebTemplate)]
#[template(path = "landing.html")]
struct LandingPage {
    layout: Layout,
    signed_out: bool,
}

#[derive(serde::Deserialize)]
pub struct LandingQuery {
    #[serde(default)]
    signed_out: Option<String>,
}

/// The start page: a sign-in button, or straight to the dashboard when signed in.
#[get("/")]
pub async fn landing(
    session: AppSession,
    query: web::Query<LandingQuery>,
) -> Result<HttpResponse, AppError> {
    if session.creator_id()?.is_some() {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/dashboard"))
            .finish());
    }
    let page = LandingPage {
        layout: Layout::signed_out(&session)?,
        signed_out: query.signed_out.is_some(),
    };
    let html = page.render().map_err(anyhow::Error::from)?;
    Ok(HttpResponse::Ok()
        .content_type(header::ContentType::html())
        .body(html))
}

/// The creator's profile as the home page shows it.
struct ProfileView {
    name: String,
    email: Option<String>,
    avatar_url: Option<String>,
    profile_page: Option<String>,
    bio: Option<String>,
    gumroad_user_id: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    profile: ProfileView,
    /// Set when Gumroad could not be asked and the saved profile is shown instead.
    stale_because: Option<String>,
}

/// The dashboard home: the creator's profile, fresh from `GET /v2/user`.
#[get("/dashboard")]
pub async fn dashboard(
    current: CurrentCreator,
    state: web::Data<AppState>,
) -> Result<impl Responder, AppError> {
    let tenant = current.tenant();
    let token = state.creator_token(tenant).await?;
    let (creator, profile, stale_because) = match state.api.user(&token).await {
        Ok(user) => {
            store::creators::refresh_profile(&state.pool, tenant, &super::auth::profile_of(&user))
                .await?;
            state.gumroad_succeeded(tenant).await;
            let creator = store::creators::find(&state.pool, tenant)
                .await?
                .ok_or(AppError::SignInRequired)?;
            (creator, fresh_profile(&user), None)
        }
        // A revoked token is not something a stale page can paper over: ask to reconnect.
        Err(GumroadError::Unauthorized) => {
            return Err(state
                .gumroad_failed(tenant, GumroadError::Unauthorized)
                .await);
        }
        Err(error) => {
            let message = stale_message(&error);
            let _ = state.gumroad_failed(tenant, error).await;
            let profile = saved_profile(&current.creator);
            (current.creator.clone(), profile, Some(message))
        }
    };
    Ok(HomePage {
        layout: Layout::signed_in(&current.session, &creator, &state, Nav::Home)?,
        profile,
        stale_because,
    })
}

fn fresh_profile(user: &User) -> ProfileView {
    ProfileView {
        name: user.shown_name().to_owned(),
        email: user.email.clone(),
        avatar_url: user.profile_url.clone(),
        profile_page: user.url.clone(),
        bio: user.bio.clone().filter(|b| !b.trim().is_empty()),
        gumroad_user_id: user.id.clone(),
    }
}

fn saved_profile(creator: &store::creators::Creator) -> ProfileView {
    ProfileView {
        name: creator.name.clone(),
        email: creator.email.clone(),
        avatar_url: creator.avatar_url.clone(),
        profile_page: creator.profile_url.clone(),
        bio: None,
        gumroad_user_id: creator.gumroad_user_id.clone(),
    }
}

fn stale_message(error: &GumroadError) -> String {
    let reason = match error {
        GumroadError::RateLimited => "Gumroad is limiting requests right now",
        GumroadError::Timeout => "Gumroad took too long to answer",
        GumroadError::Server { .. } => "Gumroad answered with a server error",
        GumroadError::Unreachable => "Gumroad could not be reached",
        GumroadError::MissingScope => "your Gumroad connection lacks the profile permission",
        _ => "Gumroad sent an unexpected answer",
    };
    format!("{reason}, so this is your profile as saved at your last sign-in.")
}
