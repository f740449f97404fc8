//! Ping controls: the ping log, the ping switches, and a creator's resource subscriptions.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{bad_json, unprocessable};
use crate::sim::rails;
use crate::sim::store::{Shared, SimState};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/_sim/pings", web::get().to(log))
        .route("/_sim/pings", web::delete().to(clear_log))
        .route("/_sim/pings/settings", web::get().to(show_settings))
        .route("/_sim/pings/settings", web::post().to(set_settings))
        .route(
            "/_sim/resource_subscriptions/{creator}",
            web::get().to(subscriptions),
        );
}

/// `GET /_sim/pings`: every attempt, oldest first: `{at, url, resource_name, content_type, body,
/// status, error, retry_count}` (`status` null after a timeout or connection error).
async fn log(shared: web::Data<Shared>) -> HttpResponse {
    rails::json(StatusCode::OK, &log_json(&shared.lock()))
}

pub(crate) fn log_json(state: &SimState) -> serde_json::Value {
    serde_json::to_value(&state.pings.log).unwrap_or_default()
}

async fn clear_log(shared: web::Data<Shared>) -> HttpResponse {
    shared.lock().pings.log.clear();
    rails::json(StatusCode::OK, &serde_json::json!({}))
}

async fn show_settings(shared: web::Data<Shared>) -> HttpResponse {
    let settings = shared.lock().pings.settings;
    rails::json(StatusCode::OK, &settings)
}

#[derive(Deserialize)]
struct SetSettings {
    allow_loopback: Option<bool>,
    block_private: Option<bool>,
    time_scale: Option<f64>,
}

/// `POST /_sim/pings/settings {allow_loopback?, block_private?, time_scale?}` → the settings. Omitted
/// members keep their value; `/_sim/reset` restores the configured ones.
async fn set_settings(body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let request: SetSettings = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => return bad_json(&err),
    };
    if request
        .time_scale
        .is_some_and(|scale| !(0.0..=1000.0).contains(&scale))
    {
        return unprocessable("time_scale must be between 0 and 1000");
    }
    let mut state = shared.lock();
    let settings = &mut state.pings.settings;
    settings.allow_loopback = request.allow_loopback.unwrap_or(settings.allow_loopback);
    settings.block_private = request.block_private.unwrap_or(settings.block_private);
    settings.time_scale = request.time_scale.unwrap_or(settings.time_scale);
    let settings = *settings;
    rails::json(StatusCode::OK, &settings)
}

/// `GET /_sim/resource_subscriptions/<either creator id>`: the creator's live subscriptions, every
/// app's: `[{id, client_id, resource_name, post_url}]`.
async fn subscriptions(path: web::Path<String>, shared: web::Data<Shared>) -> HttpResponse {
    match subscriptions_json(&shared.lock(), &path) {
        Some(list) => rails::json(StatusCode::OK, &list),
        None => unprocessable("unknown creator"),
    }
}

pub(crate) fn subscriptions_json(state: &SimState, creator: &str) -> Option<serde_json::Value> {
    let creator_id = state.creator_by_either_id(creator)?.id.clone();
    let list: Vec<serde_json::Value> = state
        .pings
        .subscriptions
        .iter()
        .filter(|s| !s.deleted && s.creator_id == creator_id)
        .map(|s| {
            serde_json::json!({
                "id": s.id, "client_id": s.client_id, "resource_name": s.resource_name,
                "post_url": s.post_url,
            })
        })
        .collect();
    Some(list.into())
}
