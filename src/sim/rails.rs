//! What Rails itself does around Gumroad's controllers: route normalisation (`/api/v2` alias, `.json`
//! format suffix, repeated and trailing slashes, `HEAD` as `GET`) and the static error pages (api-facts §4.3).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::ContentType;
use actix_web::http::uri::{PathAndQuery, Uri};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage as _, HttpRequest, HttpResponse};
use askama::Template;

/// Marks a request whose path ended in `.json`: Rails then renders errors as JSON.
#[derive(Clone, Copy, Debug)]
pub(crate) struct JsonFormat;

pub(crate) fn wants_json(req: &HttpRequest) -> bool {
    req.extensions().get::<JsonFormat>().is_some()
}

/// The path as the client sent it, before `normalize_path` rewrote it (for `next_page_url`).
#[derive(Clone, Debug)]
struct OriginalPath(String);

pub(crate) fn original_path(req: &HttpRequest) -> String {
    req.extensions()
        .get::<OriginalPath>()
        .map_or_else(|| req.path().to_owned(), |p| p.0.clone())
}

/// Rewrites `/api/v2/…` to `/v2/…` and strips a `.json` suffix (remembering it), so each route is declared
/// once. Like Journey's `normalize_path`, repeated slashes collapse and trailing ones go first. `HEAD` is
/// routed as `GET` (Rails' router does that); actix-http still sends no body for it, keeping the headers.
/// `/_sim` controls are left alone: they are not Gumroad's.
pub(crate) async fn normalize_path(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    let (path, json) = normalized(req.path());
    let original = OriginalPath(req.path().to_owned());
    req.extensions_mut().insert(original);
    if json {
        req.extensions_mut().insert(JsonFormat);
    }
    if path != req.path() {
        rewrite_path(&mut req, &path);
    }
    next.call(req).await
}

fn normalized(path: &str) -> (String, bool) {
    if path.starts_with("/_sim/") || path == "/_sim" {
        return (path.to_owned(), false);
    }
    let mut squeezed = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && squeezed.ends_with('/')) {
            squeezed.push(c);
        }
    }
    let path = match squeezed.trim_end_matches('/') {
        "" => "/",
        trimmed => trimmed,
    };
    let (path, json) = match path.strip_suffix(".json") {
        Some(stripped) => (stripped, true),
        None => (path, false),
    };
    let path = match path.strip_prefix("/api") {
        Some(rest) if rest == "/v2" || rest.starts_with("/v2/") => rest,
        _ => path,
    };
    (path.to_owned(), json)
}

fn rewrite_path(req: &mut ServiceRequest, path: &str) {
    let path_and_query = match req.query_string() {
        "" => path.to_owned(),
        query => format!("{path}?{query}"),
    };
    let Ok(path_and_query) = PathAndQuery::try_from(path_and_query) else {
        return;
    };
    let mut parts = req.head().uri.clone().into_parts();
    parts.path_and_query = Some(path_and_query);
    if let Ok(uri) = Uri::from_parts(parts) {
        req.match_info_mut().get_mut().update(&uri);
        req.head_mut().uri = uri;
    }
}

#[derive(Template)]
#[template(path = "sim/rails_error.html")]
struct RailsErrorPage {
    status: u16,
    title: &'static str,
    detail: &'static str,
}

/// Rails' exception page for `status`: `public/<status>.html`, or `{"status":…,"error":…}` for JSON.
pub(crate) fn error_response(status: StatusCode, json: bool) -> HttpResponse {
    let reason = status.canonical_reason().unwrap_or("Error");
    if json {
        return self::json(
            status,
            &serde_json::json!({ "status": status.as_u16(), "error": reason }),
        );
    }
    let (title, detail) = match status.as_u16() {
        404 => (
            "The page you were looking for doesn't exist.",
            "You may have mistyped the address or the page may have moved.",
        ),
        400 => (
            "The server cannot process the request due to a client error.",
            "Please check the request and try again.",
        ),
        422 => (
            "The change you wanted was rejected.",
            "Maybe you tried to change something you didn't have access to.",
        ),
        _ => (
            "We're sorry, but something went wrong.",
            "If you are the application owner check the logs for more information.",
        ),
    };
    html(
        status,
        &RailsErrorPage {
            status: status.as_u16(),
            title,
            detail,
        },
    )
}

/// Gumroad's API `error_400`: `{"status": 400, "error": "<message>"}`, no `success` (api-facts §4.3).
pub(crate) fn error_400(message: &str) -> HttpResponse {
    json(
        StatusCode::BAD_REQUEST,
        &serde_json::json!({ "status": 400, "error": message }),
    )
}

/// A JSON answer with Rails' content type (`application/json; charset=utf-8`).
pub(crate) fn json(status: StatusCode, value: &impl serde::Serialize) -> HttpResponse {
    match serde_json::to_string(value) {
        Ok(body) => HttpResponse::build(status)
            .content_type("application/json; charset=utf-8")
            .body(body),
        Err(err) => {
            tracing::error!(error = %err, "simulator response failed to serialise");
            HttpResponse::InternalServerError()
                .content_type(ContentType::plaintext())
                .body("serialisation error")
        }
    }
}

/// Rails' routing error for an unknown path.
pub(crate) async fn not_found(req: HttpRequest) -> HttpResponse {
    error_response(StatusCode::NOT_FOUND, wants_json(&req))
}

/// Renders a simulator page. A template that fails to render is a bug, reported as a plain 500.
pub(crate) fn html(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type(ContentType::html())
            .body(body),
        Err(err) => {
            tracing::error!(error = %err, "simulator template failed to render");
            HttpResponse::InternalServerError()
                .content_type(ContentType::plaintext())
                .body("template error")
        }
    }
}

#[cfg(test)]
mod unit {
    use super::normalized;

    #[test]
    fn api_alias_and_json_suffix() {
        assert_eq!(
            normalized("/api/v2/user.json"),
            ("/v2/user".to_owned(), true)
        );
        assert_eq!(normalized("/api/v2/user"), ("/v2/user".to_owned(), false));
        assert_eq!(normalized("/v2/user"), ("/v2/user".to_owned(), false));
        assert_eq!(
            normalized("/api/v20/user"),
            ("/api/v20/user".to_owned(), false)
        );
        assert_eq!(
            normalized("/_sim/creators.json"),
            ("/_sim/creators.json".to_owned(), false)
        );
    }

    #[test]
    fn repeated_and_trailing_slashes() {
        assert_eq!(normalized("/v2/user/"), ("/v2/user".to_owned(), false));
        assert_eq!(
            normalized("//api//v2/user.json//"),
            ("/v2/user".to_owned(), true)
        );
        assert_eq!(normalized("/"), ("/".to_owned(), false));
        assert_eq!(normalized("//"), ("/".to_owned(), false));
        assert_eq!(
            normalized("/_sim/faults/"),
            ("/_sim/faults/".to_owned(), false)
        );
    }
}
