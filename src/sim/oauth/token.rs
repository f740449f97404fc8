//! `POST /oauth/token` and `POST /oauth/revoke` (api-facts §3.3, RFC 7009).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use subtle::ConstantTimeEq as _;

use super::client::{self, Credentials};
use crate::sim::doorkeeper;
use crate::sim::params::Params;
use crate::sim::rails;
use crate::sim::rate_limit::{self, OAUTH_TOKEN_TIERS};
use crate::sim::redirect_uri;
use crate::sim::scopes;
use crate::sim::store::{Shared, SimState};
use crate::sim::tokens::{AccessToken, Grant, NewToken, PkceMethod};
use sha2::{Digest as _, Sha256};

/// Doorkeeper's token endpoint errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenError {
    MissingParameter(&'static str),
    InvalidClient,
    InvalidGrant,
    InvalidScope,
    UnsupportedGrantType,
}

impl TokenError {
    fn status(self) -> StatusCode {
        match self {
            TokenError::InvalidClient => StatusCode::UNAUTHORIZED,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn code(self) -> &'static str {
        match self {
            TokenError::MissingParameter(_) => "invalid_request",
            TokenError::InvalidClient => "invalid_client",
            TokenError::InvalidGrant => "invalid_grant",
            TokenError::InvalidScope => "invalid_scope",
            TokenError::UnsupportedGrantType => "unsupported_grant_type",
        }
    }

    fn description(self) -> String {
        match self {
            TokenError::MissingParameter(name) => doorkeeper::missing_parameter(name),
            TokenError::InvalidClient => doorkeeper::INVALID_CLIENT.to_owned(),
            TokenError::InvalidGrant => doorkeeper::INVALID_GRANT.to_owned(),
            TokenError::InvalidScope => doorkeeper::INVALID_SCOPE.to_owned(),
            TokenError::UnsupportedGrantType => doorkeeper::UNSUPPORTED_GRANT_TYPE.to_owned(),
        }
    }
}

/// Doorkeeper's error body: blank members are dropped, so `state` appears only when sent.
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'static str,
    error_description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'a str>,
}

/// Gumroad's token JSON: no `expires_in`, since tokens never expire.
#[derive(Serialize)]
struct TokenBody<'a> {
    access_token: &'a str,
    token_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    scope: String,
    created_at: i64,
}

pub(super) async fn create(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    if !within_rate_limit(&req, &shared) {
        return rate_limit::throttled_response();
    }
    let Ok(params) = Params::from_request(&req, &body) else {
        return rails::error_response(StatusCode::BAD_REQUEST, rails::wants_json(&req));
    };
    let credentials = client::credentials(&req, &params);
    let result = exchange(&mut shared.lock(), &params, credentials.as_ref());
    match result {
        Ok(token) => token_response(&token),
        Err(error) => error_response(error, params.present("state")),
    }
}

/// rack-attack's `POST /oauth/token` throttle, keyed by `CF-Connecting-IP` or else the peer address.
fn within_rate_limit(req: &HttpRequest, shared: &Shared) -> bool {
    let ip = rate_limit::client_ip(req);
    let mut state = shared.lock();
    let now = state.now().timestamp();
    state
        .rate_limiter
        .allow("oauth/token", OAUTH_TOKEN_TIERS, &ip, now)
}

/// `grant_type` defaults to `authorization_code`; `password` is gone in 2026.
fn exchange(
    state: &mut SimState,
    params: &Params,
    credentials: Option<&Credentials>,
) -> Result<AccessToken, TokenError> {
    match params.present("grant_type").unwrap_or("authorization_code") {
        "authorization_code" => authorization_code(state, params, credentials),
        "refresh_token" => refresh_token(state, params, credentials),
        "client_credentials" => client_credentials(state, params, credentials),
        _ => Err(TokenError::UnsupportedGrantType),
    }
}

/// Doorkeeper's order: missing parameters, then the client, then the code and what it is bound to.
/// A refused exchange leaves the code usable; a successful one uses it up.
fn authorization_code(
    state: &mut SimState,
    params: &Params,
    credentials: Option<&Credentials>,
) -> Result<AccessToken, TokenError> {
    let now = state.now();
    let code = params.present("code").unwrap_or("");
    let grant = state.grants.usable(code, now).cloned();
    if grant.as_ref().is_some_and(|g| g.pkce.is_some()) && params.present("code_verifier").is_none()
    {
        return Err(TokenError::MissingParameter("code_verifier"));
    }
    let redirect = params
        .present("redirect_uri")
        .ok_or(TokenError::MissingParameter("redirect_uri"))?;
    let app = credentials
        .and_then(|c| client::authenticate(state, c))
        .ok_or(TokenError::InvalidClient)?;
    let grant = grant.ok_or(TokenError::InvalidGrant)?;
    let bound_ok = grant.client_id == app.client_id
        && redirect_uri::is_allowed(redirect, std::slice::from_ref(&grant.redirect_uri))
        && pkce_ok(&grant, params.get("code_verifier").unwrap_or(""));
    if !bound_ok {
        return Err(TokenError::InvalidGrant);
    }
    state.grants.mark_used(code);
    Ok(state.tokens.issue(NewToken {
        client_id: &app.client_id,
        creator_id: Some(&grant.creator_id),
        scopes: grant.scopes,
        with_refresh_token: true,
        now,
    }))
}

/// RFC 7636: `plain` compares the verifier itself, `S256` its SHA-256 in unpadded Base64url.
fn pkce_ok(grant: &Grant, verifier: &str) -> bool {
    let Some(pkce) = &grant.pkce else {
        return true;
    };
    let expected = match pkce.method {
        PkceMethod::Plain => verifier.to_owned(),
        PkceMethod::S256 => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
    };
    bool::from(expected.as_bytes().ct_eq(pkce.challenge.as_bytes()))
}

/// Client credentials are optional here, but checked when sent. The old access token and its refresh token
/// die at once: Gumroad keeps no `previous_refresh_token`, so there is no grace period.
fn refresh_token(
    state: &mut SimState,
    params: &Params,
    credentials: Option<&Credentials>,
) -> Result<AccessToken, TokenError> {
    let refresh = params
        .present("refresh_token")
        .ok_or(TokenError::MissingParameter("refresh_token"))?;
    let old = state
        .tokens
        .by_refresh_token(refresh)
        .filter(|t| !t.is_revoked())
        .cloned()
        .ok_or(TokenError::InvalidGrant)?;
    if let Some(credentials) = credentials {
        let app = client::authenticate(state, credentials).ok_or(TokenError::InvalidClient)?;
        if app.client_id != old.client_id {
            return Err(TokenError::InvalidGrant);
        }
    }
    let scopes = match params.present("scope") {
        None => old.scopes.clone(),
        Some(asked) => {
            let well_formed = scopes::well_formed(asked);
            let asked = scopes::parse(asked);
            if !well_formed || asked.is_empty() || !asked.iter().all(|s| old.scopes.contains(s)) {
                return Err(TokenError::InvalidScope);
            }
            asked
        }
    };
    let now = state.now();
    state.tokens.revoke_any(&old.token, now);
    Ok(state.tokens.issue(NewToken {
        client_id: &old.client_id,
        creator_id: old.creator_id.as_deref(),
        scopes,
        with_refresh_token: true,
        now,
    }))
}

/// A token for the app itself, with no resource owner and no refresh token. Without `scope` Doorkeeper asks
/// for `view_public`, which a normal app lacks.
fn client_credentials(
    state: &mut SimState,
    params: &Params,
    credentials: Option<&Credentials>,
) -> Result<AccessToken, TokenError> {
    let app = credentials
        .and_then(|c| client::authenticate(state, c))
        .ok_or(TokenError::InvalidClient)?;
    let text = params.present("scope").unwrap_or(scopes::DEFAULT_SCOPE);
    let asked = scopes::parse(text);
    let era = state.profile.profile;
    let stored = scopes::stored_by_app(&app.scopes, era);
    let allowed = scopes::well_formed(text)
        && asked
            .iter()
            .all(|s| scopes::is_known_in(s, era) && stored.contains(s));
    if asked.is_empty() || !allowed {
        return Err(TokenError::InvalidScope);
    }
    let now = state.now();
    Ok(state.tokens.issue(NewToken {
        client_id: &app.client_id,
        creator_id: None,
        scopes: asked,
        with_refresh_token: false,
        now,
    }))
}

fn token_response(token: &AccessToken) -> HttpResponse {
    let body = TokenBody {
        access_token: &token.token,
        token_type: "Bearer",
        refresh_token: token.refresh_token.as_deref(),
        scope: token.scope_string(),
        created_at: token.created_at.timestamp(),
    };
    let mut response = rails::json(StatusCode::OK, &body);
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    headers.insert(header::PRAGMA, header::HeaderValue::from_static("no-cache"));
    response
}

fn error_response(error: TokenError, state: Option<&str>) -> HttpResponse {
    let description = error.description();
    let challenge = doorkeeper::challenge(error.code(), &description);
    let mut response = rails::json(
        error.status(),
        &ErrorBody {
            error: error.code(),
            error_description: &description,
            state,
        },
    );
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store, no-cache"),
    );
    if let Ok(challenge) = header::HeaderValue::from_str(&challenge) {
        headers.insert(header::WWW_AUTHENTICATE, challenge);
    }
    response
}

/// RFC 7009: revokes the access or refresh token if it exists, and answers 200 `{}` either way, once the
/// client has authenticated (HTTP Basic or `client_id` / `client_secret`; a blank secret passes, as at the
/// token endpoint). Without valid credentials: 403 `invalid_client`, as recent Doorkeeper answers (older
/// releases said `unauthorized_client`; unconfirmed for Gumroad's 5.7.1). Gumroad's apps are not
/// confidential, so a token of another app is revoked too.
pub(super) async fn revoke(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let params = Params::from_request(&req, &body).unwrap_or_default();
    let mut state = shared.lock();
    let authenticated = client::credentials(&req, &params)
        .is_some_and(|c| client::authenticate(&state, &c).is_some());
    if !authenticated {
        return rails::json(
            StatusCode::FORBIDDEN,
            &serde_json::json!({
                "error": "invalid_client",
                "error_description": doorkeeper::INVALID_CLIENT,
            }),
        );
    }
    if let Some(token) = params.present("token") {
        let now = state.now();
        state.tokens.revoke_any(token, now);
    }
    rails::json(StatusCode::OK, &serde_json::json!({}))
}
