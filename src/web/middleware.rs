use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{Error, HttpMessage as _};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};
use url::Url;

/// Scripts, styles and forms only from us; avatars may come from Gumroad (or the configured stand-in).
pub fn content_security_policy(gumroad_origins: &[&Url]) -> String {
    let image_origins: Vec<String> = gumroad_origins
        .iter()
        .map(|url| url.origin().ascii_serialization())
        .collect();
    format!(
        "default-src 'self'; img-src 'self' https: {}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        image_origins.join(" ")
    )
}

/// Strict browser policies on every response. Pages are per-creator and never cached (so the back
/// button after signing out shows nothing); the stylesheet sets its own caching.
pub fn security_headers(csp: &str, https: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add(("Cache-Control", "no-store"))
        .add(("Content-Security-Policy", csp.to_owned()))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        // Never leak URLs (OAuth codes, state) to other sites through Referer.
        .add(("Referrer-Policy", "same-origin"));
    if https {
        headers.add(("Strict-Transport-Security", "max-age=31536000"))
    } else {
        headers
    }
}

/// Echoes the request id `tracing-actix-web` put on every log line, so a user's report can be
/// matched, and logs one line per request (inside the request's span, so with its id): at ERROR
/// only when we failed (5xx); a visitor sent to sign in, a 404 or a refused form is not an error of
/// ours, so it is an INFO line with the reason.
pub async fn request_id_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = std::time::Instant::now();
    let mut response = next.call(req).await?;
    let status = response.status();
    let elapsed_ms = started.elapsed().as_millis() as u64;
    match response.response().error() {
        Some(error) if status.is_server_error() => tracing::error!(
            status = status.as_u16(),
            elapsed_ms,
            error = ?error,
            "request failed"
        ),
        Some(error) => tracing::info!(
            status = status.as_u16(),
            elapsed_ms,
            reason = %error,
            "request finished"
        ),
        None => tracing::info!(status = status.as_u16(), elapsed_ms, "request finished"),
    }
    let id = response.request().extensions().get::<RequestId>().copied();
    if let Some(id) = id
        && let Ok(value) = HeaderValue::from_str(&id.to_string())
    {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(response)
}

/// The root span of every request, like `tracing-actix-web`'s default but with the path only:
/// query strings carry OAuth codes and `state`, which must never reach the logs, and a ping URL's
/// secret is cut out of its path.
pub struct RootSpanWithoutQuery;

impl RootSpanBuilder for RootSpanWithoutQuery {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "default".to_owned());
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.target = %crate::domain::redact_ping_path(request.path()),
            request_id = %request_id,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// Counts every answered request in the instance's metrics, by route pattern (never the raw
/// path: ids would make every sale its own series), method and status, with its latency. Errors
/// that never became a response below (a failed session store) count with their status.
pub async fn track_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = std::time::Instant::now();
    let metrics = req
        .app_data::<actix_web::web::Data<super::AppState>>()
        .map(|state| state.metrics.clone());
    let route = req
        .match_pattern()
        .unwrap_or_else(|| crate::metrics::UNMATCHED.to_owned());
    let method = req.method().clone();
    let result = next.call(req).await;
    if let Some(metrics) = metrics {
        let status = match &result {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        metrics.request(method.as_str(), &route, status.as_u16(), started.elapsed());
    }
    result
}

/// The session middleware fails before any handler runs when its store cannot reach the database,
/// and actix would answer an empty 500 without our headers. Placed just outside it, this turns such
/// a failure into the "temporarily unavailable" page (503, `Retry-After`), or the usual 500 page for
/// anything else, so the security headers (outside) are added as on every page.
pub async fn session_store_failures(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, Error> {
    // The request itself cannot be kept (routing needs it unshared), so the page is answered on a
    // stand-in that carries its request id.
    let request_id = req.extensions().get::<RequestId>().copied();
    match next.call(req).await {
        Ok(response) => Ok(response.map_into_boxed_body()),
        Err(error) => {
            let stand_in = actix_web::test::TestRequest::default().to_http_request();
            if let Some(id) = request_id {
                stand_in.extensions_mut().insert(id);
            }
            let status = error.as_response_error().status_code();
            let response = if format!("{error:?}").contains(crate::store::UNAVAILABLE) {
                ServiceResponse::from_err(super::AppError::DatabaseUnavailable, stand_in)
            } else if status.is_server_error() {
                let cause = anyhow::anyhow!("a middleware failed: {error:?}");
                ServiceResponse::from_err(super::AppError::Internal(cause), stand_in)
            } else {
                // Not ours to reword (a refusal some middleware made): answered as it was.
                ServiceResponse::from_err(error, stand_in)
            };
            Ok(response)
        }
    }
}

/// `HEAD` is answered like `GET` (monitors use it): the request is routed as a `GET`, and the
/// server sends the headers without the body (actix-http drops it for a request that came as `HEAD`).
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if req.method() == actix_web::http::Method::HEAD {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    next.call(req).await
}
