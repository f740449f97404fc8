use actix_web::{HttpResponse, get, web};

use super::state::AppState;
use crate::store;

/// For load balancers and `docker compose`: 200 when the database answers, 503 when not.
#[get("/healthz")]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match store::ping(&state.pool).await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ok", "database": "ok"})),
        Err(error) => {
            tracing::warn!(%error, "health check: database unreachable");
            HttpResponse::ServiceUnavailable()
                .insert_header((
                    actix_web::http::header::RETRY_AFTER,
                    super::error::RETRY_AFTER_UNAVAILABLE,
                ))
                .json(serde_json::json!({"status": "unavailable", "database": "unreachable"}))
        }
    }
}
