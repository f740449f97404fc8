//! `GET /metrics`: the Prometheus exposition, only for `Authorization: Bearer <GUMDASH_METRICS_TOKEN>`
//! (compared in constant time). Anyone else, and everyone when no token is configured, gets the
//! 404 of an unknown page: the endpoint is not advertised.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use secrecy::ExposeSecret as _;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use super::error::AppError;
use super::state::AppState;
use crate::store;

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[get("/metrics")]
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let expected = state.metrics_token.as_ref().ok_or(AppError::NotFound)?;
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Digests first, so the comparison takes the same time whatever the lengths.
    let matches = Sha256::digest(presented.as_bytes())
        .ct_eq(&Sha256::digest(expected.expose_secret().as_bytes()));
    if !bool::from(matches) {
        return Err(AppError::NotFound);
    }
    // Read at scrape time; with the database away the last value stays (and requests say 503).
    match store::sync::lag_seconds(&state.pool).await {
        Ok(lag) => state.metrics.set_sync_lag(lag.unwrap_or(0.0)),
        Err(error) => tracing::warn!(%error, "metrics: could not read the sync lag"),
    }
    Ok(HttpResponse::Ok()
        .content_type(OPENMETRICS)
        .body(state.metrics.encode()))
}
