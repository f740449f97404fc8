//! Sign in with Gumroad (OAuth 2 authorization code), and sign out.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use secrecy::ExposeSecret;
use serde::Deserialize;
use subtle::ConstantTimeEq as _;

use super::client_addr::ClientAddr;
use super::csrf::{CsrfForm, CsrfOnly};
use super::current_creator::CurrentCreator;
use super::error::{AppError, SignInFailure};
use super::forms::see_other;
use super::session::{AppSession, FlashKind, PendingSignIn};
use super::state::AppState;
use crate::domain::{CreatorState, TenantId};
use crate::gumroad::User;
use crate::store::{self, audit, audit::Action, audit::Actor};
use crate::vault::Purpose;

/// Starts the flow: a fresh random `state` (and PKCE verifier) in the server-side session, then off
/// to Gumroad's consent page.
#[get("/gumroad")]
pub async fn start(
    session: AppSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let request = state.oauth.authorize();
    session.begin_sign_in(PendingSignIn {
        state: request.state,
        pkce_verifier: request.pkce_verifier,
        grant_for: None,
    })?;
    Ok(see_other(request.url.as_str()))
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Gumroad sends the browser back here. The `state` must match the one this browser's session
/// holds (checked first, even for errors), then the code is exchanged and the creator stored.
#[get("/gumroad/callback")]
pub async fn callback(
    req: HttpRequest,
    query: web::Query<CallbackQuery>,
    session: AppSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let pending = session
        .take_pending_sign_in()?
        .ok_or(SignInFailure::StateMismatch)?;
    let returned_state = query.state.as_deref().unwrap_or_default();
    let state_matches: bool = pending
        .state
        .expose_secret()
        .as_bytes()
        .ct_eq(returned_state.as_bytes())
        .into();
    if !state_matches {
        return Err(SignInFailure::StateMismatch.into());
    }
    if let Some(code) = query.error {
        return Err(provider_error(code, query.error_description).into());
    }
    let code = query
        .code
        .filter(|c| !c.is_empty())
        .ok_or(SignInFailure::MissingCode)?;

    let granted = state
        .oauth
        .exchange_code(&code, &pending.pkce_verifier)
        .await
        .map_err(SignInFailure::Token)?;
    let user = state
        .api
        .user(&granted.access_token)
        .await
        .map_err(SignInFailure::Profile)?;
    if let Some(tenant) = pending.grant_for {
        return finish_grant(&req, &session, &state, tenant, &user, &granted).await;
    }

    let tenant = match save_sign_in(&state, &user, &granted, client_ip(&req)).await {
        Err(AppError::Disabled) => {
            // Nothing was stored, and the token Gumroad just issued dies too (best effort).
            if let Err(error) = state.oauth.revoke(&granted.access_token).await {
                tracing::warn!(%error, "could not revoke a disabled creator's new token");
            }
            return Err(AppError::Disabled);
        }
        saved => saved?,
    };
    session.sign_in(tenant)?;
    session.flash(
        FlashKind::Success,
        format!("Signed in as {}.", user.shown_name()),
    )?;
    tracing::info!(%tenant, "creator signed in");
    let next = session
        .take_return_to()
        .unwrap_or_else(|| "/dashboard".to_owned());
    Ok(see_other(&next))
}

#[derive(Deserialize)]
pub struct GrantQuery {
    scope: String,
    back: String,
}

/// "Grant access": a new authorization asking for one more scope (one the operator configured, or
/// sign-in's), whose token replaces the stored one; then back to the page that needed it. A POST with
/// the CSRF token, so another site cannot send a creator off to grant refund rights.
#[post("/gumroad/grant")]
pub async fn grant(
    current: CurrentCreator,
    query: web::Query<GrantQuery>,
    _form: CsrfForm<CsrfOnly>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let offered = state
        .actions
        .scopes
        .iter()
        .chain(state.oauth.scopes())
        .any(|s| *s == query.scope);
    if !offered || !is_local_path(&query.back) {
        return Err(AppError::BadRequest);
    }
    let mut extra = granted_scopes(&state, current.tenant()).await?;
    extra.push(query.scope.clone());
    let request = state.oauth.authorize_with(&extra);
    current.session.set_return_to(&query.back)?;
    current.session.begin_sign_in(PendingSignIn {
        state: request.state,
        pkce_verifier: request.pkce_verifier,
        grant_for: Some(current.tenant()),
    })?;
    Ok(see_other(request.url.as_str()))
}

/// The end of "Grant access": only for the creator who started it, signed in as the same Gumroad
/// account. Anything else changes nothing (session, token, tenant) and says so.
async fn finish_grant(
    req: &HttpRequest,
    session: &AppSession,
    state: &AppState,
    tenant: TenantId,
    user: &User,
    granted: &crate::gumroad::GrantedToken,
) -> Result<HttpResponse, AppError> {
    let same_creator = session.creator_id()? == Some(tenant)
        && store::creators::find(&state.pool, tenant)
            .await?
            .is_some_and(|c| c.gumroad_user_id == user.id);
    if !same_creator {
        let _ = session.take_return_to();
        tracing::warn!(%tenant, "a grant came back for another Gumroad account; nothing changed");
        return Err(SignInFailure::GrantWrongAccount.into());
    }
    let sealed = state
        .keys
        .seal(tenant, Purpose::GumroadAccessToken, &granted.access_token);
    let mut tx = state.pool.begin().await?;
    store::connections::save(&mut *tx, tenant, &sealed, &granted.scopes.join(" ")).await?;
    audit::record(
        &mut *tx,
        audit::Event {
            actor: Actor::Creator(tenant),
            action: Action::GrantAccess,
            creator: Some(tenant),
            ip: client_ip(req),
            detail: serde_json::json!({ "scopes": granted.scopes }),
        },
    )
    .await?;
    tx.commit().await?;
    session.flash(FlashKind::Success, "Gumroad access granted.")?;
    tracing::info!(%tenant, "creator granted more access");
    let next = session
        .take_return_to()
        .unwrap_or_else(|| "/dashboard".to_owned());
    Ok(see_other(&next))
}

/// The scopes the creator's stored token holds.
pub(super) async fn granted_scopes(
    state: &AppState,
    tenant: TenantId,
) -> Result<Vec<String>, AppError> {
    Ok(store::connections::load(&state.pool, tenant)
        .await?
        .map(|c| c.scopes.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default())
}

/// A path on this site: `/…`, never `//host` or a backslash trick.
fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
}

/// The `error` and `error_description` of a callback are whatever the visitor's URL says: only
/// RFC 6749's characters for them (printable ASCII but `"` and `\`) are taken, so nobody can forge
/// log lines or send terminal escapes through them.
fn provider_error(code: String, description: Option<String>) -> SignInFailure {
    let code = rfc6749_text(&code, 64).unwrap_or_else(|| "unrecognised_error".to_owned());
    if code == "access_denied" {
        SignInFailure::Denied
    } else {
        SignInFailure::Provider {
            description: description
                .and_then(|d| rfc6749_text(&d, 300))
                .unwrap_or_else(|| code.clone()),
            code,
        }
    }
}

/// `Some(text)` when it is non-empty, at most `max` bytes, and only `%x20-21 / %x23-5B / %x5D-7E`.
fn rfc6749_text(text: &str, max: usize) -> Option<String> {
    let allowed = |b: u8| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E);
    (!text.is_empty() && text.len() <= max && text.bytes().all(allowed)).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_errors_keep_only_rfc6749_characters() {
        let forged = provider_error(
            "server_error\n2026-01-01 INFO admin signed in".into(),
            Some("\u{1b}[31mred".into()),
        );
        match forged {
            SignInFailure::Provider { code, description } => {
                assert_eq!(code, "unrecognised_error");
                assert_eq!(description, "unrecognised_error");
            }
            other => panic!("{other:?}"),
        }
        match provider_error("temporarily_unavailable".into(), Some("Try later.".into())) {
            SignInFailure::Provider { code, description } => {
                assert_eq!(
                    (code.as_str(), description.as_str()),
                    ("temporarily_unavailable", "Try later.")
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            provider_error("access_denied".into(), None),
            SignInFailure::Denied
        ));
    }
}

/// The creator row, the sealed token and the audit entry land together or not at all.
async fn save_sign_in(
    state: &AppState,
    user: &User,
    granted: &crate::gumroad::GrantedToken,
    ip: Option<String>,
) -> Result<TenantId, AppError> {
    let mut tx = state.pool.begin().await?;
    let creator =
        store::creators::upsert_on_sign_in(&mut *tx, &crate::sync::profile_of(user)).await?;
    if creator.state == CreatorState::Disabled {
        // The operator switched this account off: nothing of this sign-in is kept (the transaction
        // is dropped), no token, no session.
        return Err(AppError::Disabled);
    }
    let sealed = state.keys.seal(
        creator.id,
        Purpose::GumroadAccessToken,
        &granted.access_token,
    );
    store::connections::save(&mut *tx, creator.id, &sealed, &granted.scopes.join(" ")).await?;
    // The backfill (or, on a later sign-in, the catch-up) starts only if this sign-in commits.
    crate::sync::after_sign_in(&mut tx, creator.id, &granted.scopes).await?;
    audit::record(
        &mut *tx,
        audit::Event {
            actor: Actor::Creator(creator.id),
            action: Action::SignIn,
            creator: Some(creator.id),
            ip,
            detail: serde_json::json!({ "scopes": granted.scopes }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(creator.id)
}

/// The client's address: the peer's, or what a trusted proxy says it is (never what a client claims).
fn client_ip(req: &HttpRequest) -> Option<String> {
    ClientAddr::of(req).text()
}

/// Sign out: the server-side session row is deleted, so the old cookie is worthless.
/// Outside the sign-in rate limit: nobody should be kept signed in because others hammered sign-in.
#[post("/auth/sign-out")]
pub async fn sign_out(
    req: HttpRequest,
    _form: CsrfForm<CsrfOnly>,
    session: AppSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if let Some(tenant) = session.creator_id()? {
        audit::record(
            &state.pool,
            audit::Event {
                actor: Actor::Creator(tenant),
                action: Action::SignOut,
                creator: Some(tenant),
                ip: client_ip(&req),
                detail: serde_json::json!({}),
            },
        )
        .await?;
    }
    session.sign_out();
    // The purged session cannot carry a flash message, so the start page is told by the URL.
    Ok(see_other("/?signed_out=1"))
}
