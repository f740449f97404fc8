//! Test and demo controls under `/_sim/` (api-facts §1.2). Real Gumroad has none of these, and the
//! dashboard never calls them; only tests, demo scripts and people do. JSON in, JSON out.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Duration;
use serde::Deserialize;

use super::faults::FaultSpec;
use super::rails;
use super::scopes;
use super::store::Shared;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/_sim/creators", web::get().to(creators))
        .route("/_sim/apps", web::get().to(apps))
        .route("/_sim/tokens", web::post().to(issue_token))
        .route("/_sim/tokens/revoke", web::post().to(revoke_tokens))
        .route("/_sim/faults", web::get().to(list_faults))
        .route("/_sim/faults", web::post().to(add_fault))
        .route("/_sim/faults", web::delete().to(clear_faults))
        .route("/_sim/reset", web::post().to(reset))
        .route("/_sim/clock", web::post().to(advance_clock));
}

/// `GET /_sim/creators`: the seeded creators, as an array.
async fn creators(shared: web::Data<Shared>) -> HttpResponse {
    let creators = shared.lock().creators.clone();
    rails::json(StatusCode::OK, &creators)
}

/// `GET /_sim/apps`: the registered OAuth apps, secrets included (the demo prints them).
async fn apps(shared: web::Data<Shared>) -> HttpResponse {
    let apps: Vec<serde_json::Value> = shared
        .lock()
        .apps
        .iter()
        .map(|a| {
            serde_json::json!({
                "name": a.name, "client_id": a.client_id, "client_secret": a.client_secret,
                "redirect_uris": a.redirect_uris, "scopes": a.scopes,
            })
        })
        .collect();
    rails::json(StatusCode::OK, &apps)
}

/// Scopes as `"a b"` or `["a", "b"]`.
#[derive(Deserialize)]
#[serde(untagged)]
enum ScopeList {
    Text(String),
    List(Vec<String>),
}

#[derive(Deserialize)]
struct IssueToken {
    client_id: String,
    /// Either of the creator's ids.
    user_id: String,
    /// Defaults to every scope the app stores.
    scopes: Option<ScopeList>,
}

/// `POST /_sim/tokens`: a token as if the creator had gone through consent. Any scope the server knows is
/// allowed, even one the app lacks, so tests can make tokens Gumroad would only give other apps.
async fn issue_token(body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let request: IssueToken = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => return bad_json(&err),
    };
    let mut state = shared.lock();
    let Some(app) = state.app(&request.client_id).cloned() else {
        return unprocessable("unknown client_id");
    };
    let Some(creator_id) = state
        .creator_by_either_id(&request.user_id)
        .map(|c| c.id.clone())
    else {
        return unprocessable("unknown user_id");
    };
    let scopes = match request.scopes {
        None => app.scopes.clone(),
        Some(ScopeList::Text(text)) => scopes::parse(&text),
        Some(ScopeList::List(list)) => scopes::parse(&list.join(" ")),
    };
    if let Some(unknown) = scopes.iter().find(|s| !scopes::is_known(s)) {
        return unprocessable(&format!("unknown scope {unknown:?}"));
    }
    let token = state.issue_direct_token(&app.client_id, &creator_id, scopes);
    rails::json(
        StatusCode::OK,
        &serde_json::json!({
            "access_token": token.token, "refresh_token": token.refresh_token, "scope": token.scope_string(),
        }),
    )
}

#[derive(Deserialize)]
struct RevokeTokens {
    user_id: Option<String>,
    token: Option<String>,
}

/// `POST /_sim/tokens/revoke`: one token, or all of a creator's (as if they removed every app).
async fn revoke_tokens(body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let request: RevokeTokens = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => return bad_json(&err),
    };
    let mut state = shared.lock();
    let now = state.now();
    let revoked = match (request.user_id, request.token) {
        (Some(user_id), _) => {
            let Some(creator_id) = state.creator_by_either_id(&user_id).map(|c| c.id.clone())
            else {
                return unprocessable("unknown user_id");
            };
            state.tokens.revoke_creator(&creator_id, now)
        }
        (None, Some(token)) => usize::from(state.tokens.revoke_any(&token, now)),
        (None, None) => return unprocessable("send user_id or token"),
    };
    rails::json(StatusCode::OK, &serde_json::json!({ "revoked": revoked }))
}

async fn list_faults(shared: web::Data<Shared>) -> HttpResponse {
    let faults = shared.lock().faults.list();
    rails::json(StatusCode::OK, &faults)
}

/// `POST /_sim/faults`: see `faults::FaultSpec`.
async fn add_fault(body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let spec: FaultSpec = match serde_json::from_slice(&body) {
        Ok(spec) => spec,
        Err(err) => return bad_json(&err),
    };
    let mut state = shared.lock();
    let now = state.now();
    match state.faults.add(spec, now) {
        Ok(fault) => rails::json(StatusCode::CREATED, &fault),
        Err(message) => unprocessable(&message),
    }
}

async fn clear_faults(shared: web::Data<Shared>) -> HttpResponse {
    shared.lock().faults.clear();
    rails::json(StatusCode::OK, &serde_json::json!({}))
}

/// `POST /_sim/reset`: back to the seeded state.
async fn reset(shared: web::Data<Shared>) -> HttpResponse {
    shared.lock().reset();
    rails::json(StatusCode::OK, &serde_json::json!({}))
}

#[derive(Deserialize)]
struct AdvanceClock {
    seconds: i64,
}

/// `POST /_sim/clock {"seconds": 601}`: moves the simulator's clock forward (codes expire, rate-limit
/// windows roll over) without waiting.
async fn advance_clock(body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let request: AdvanceClock = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => return bad_json(&err),
    };
    let Some(by) = Duration::try_seconds(request.seconds).filter(|d| *d >= Duration::zero()) else {
        return unprocessable("seconds must be a non-negative number of seconds");
    };
    let offset = shared.lock().advance_clock(by);
    rails::json(
        StatusCode::OK,
        &serde_json::json!({ "offset_seconds": offset.num_seconds() }),
    )
}

/// The control's body is not the JSON it expects.
fn bad_json(err: &serde_json::Error) -> HttpResponse {
    rails::json(
        StatusCode::BAD_REQUEST,
        &serde_json::json!({ "error": err.to_string() }),
    )
}

fn unprocessable(message: &str) -> HttpResponse {
    rails::json(
        StatusCode::UNPROCESSABLE_ENTITY,
        &serde_json::json!({ "error": message }),
    )
}
