use std::time::Duration;

use rand::Rng as _;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use url::Url;

use super::error::GumroadError;
use super::user::User;

/// How often and how patiently to repeat a failed call.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Attempts in all, including the first.
    pub max_attempts: u32,
    /// The first pause; it doubles each attempt, plus up to the same again as jitter so that the
    /// creators sharing one instance (and one IP, which Gumroad rate-limits) do not retry in step.
    pub base_delay: Duration,
}

impl RetryPolicy {
    fn delay_before(&self, attempt: u32) -> Duration {
        let backoff = self.base_delay * 2u32.saturating_pow(attempt.saturating_sub(1));
        let jitter_ms = rand::rng().random_range(0..=backoff.as_millis() as u64);
        backoff + Duration::from_millis(jitter_ms)
    }
}

/// Decides when the next request may leave (background work's shared request budget). Every
/// attempt waits for it, retries included, so a budget counts requests, not calls.
pub trait Pace: Send + Sync {
    fn wait(&self) -> futures_util::future::BoxFuture<'_, ()>;
}

/// Calls the Gumroad API v2 with one creator's token. The base URL is configuration.
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: Url,
    retry: RetryPolicy,
    metrics: Option<crate::metrics::Metrics>,
    pace: Option<std::sync::Arc<dyn Pace>>,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("base", &self.base.as_str())
            .field("retry", &self.retry)
            .field("paced", &self.pace.is_some())
            .finish_non_exhaustive()
    }
}

impl ApiClient {
    pub fn new(http: reqwest::Client, base: Url, retry: RetryPolicy) -> Self {
        Self {
            http,
            base,
            retry,
            metrics: None,
            pace: None,
        }
    }

    /// Every request this client sends, retries included, first waits for `pace`.
    pub fn paced(mut self, pace: std::sync::Arc<dyn Pace>) -> Self {
        self.pace = Some(pace);
        self
    }

    /// Counts every call (by endpoint pattern and outcome) in `metrics`.
    pub fn with_metrics(mut self, metrics: crate::metrics::Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// `GET /user`: the creator's profile.
    pub async fn user(&self, token: &SecretString) -> Result<User, GumroadError> {
        self.fetch(token, Call::get(&["user"]), "user").await
    }

    /// Runs `call` and deserializes the value under `key` of the success envelope.
    pub(super) async fn fetch<T: DeserializeOwned>(
        &self,
        token: &SecretString,
        call: Call<'_>,
        key: &str,
    ) -> Result<T, GumroadError> {
        let mut envelope = self.call(token, &call).await?;
        take(&mut envelope, key)
    }

    /// Runs `call` and returns the whole success envelope (for pagination keys, delete messages).
    /// Reads are repeated on 429, 5xx, timeouts and connection failures; writes only on 429, which
    /// Gumroad answers before running the request. Bounded, with jittered exponential back-off.
    #[tracing::instrument(name = "gumroad.call", skip_all, fields(method = %call.method, path = %call.segments.join("/")))]
    pub(super) async fn call(
        &self,
        token: &SecretString,
        call: &Call<'_>,
    ) -> Result<serde_json::Value, GumroadError> {
        let started = std::time::Instant::now();
        let mut paced = Duration::ZERO;
        let result = self.call_with_retries(token, call, &mut paced).await;
        if let Some(metrics) = &self.metrics {
            // Time spent waiting for the request budget is ours, not Gumroad's.
            metrics.gumroad_call(
                call.method.as_str(),
                endpoint_pattern(&call.segments),
                outcome_label(&result),
                started.elapsed().saturating_sub(paced),
            );
        }
        result
    }

    /// Adds the time spent waiting for the pace to `paced`.
    async fn call_with_retries(
        &self,
        token: &SecretString,
        call: &Call<'_>,
        paced: &mut Duration,
    ) -> Result<serde_json::Value, GumroadError> {
        let safe_to_repeat = call.method == Method::GET;
        let mut attempt = 1;
        loop {
            if let Some(pace) = &self.pace {
                let waiting = std::time::Instant::now();
                pace.wait().await;
                *paced += waiting.elapsed();
            }
            match self.send_once(token, call).await {
                Ok(body) => return check_success(body),
                Err(error)
                    if attempt < self.retry.max_attempts
                        && (error.was_not_processed()
                            || (safe_to_repeat && error.is_transient())) =>
                {
                    let pause = self.retry.delay_before(attempt);
                    tracing::warn!(%error, attempt, ?pause, "Gumroad call failed; retrying");
                    tokio::time::sleep(pause).await;
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }

    fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        {
            // Base URLs end with '/': drop that empty segment, then push ours percent-encoded.
            let mut path = url
                .path_segments_mut()
                .expect("an http(s) base URL has path segments");
            path.pop_if_empty();
            path.extend(segments);
        }
        url
    }

    async fn send_once(
        &self,
        token: &SecretString,
        call: &Call<'_>,
    ) -> Result<serde_json::Value, GumroadError> {
        let mut request = self
            .http
            .request(call.method.clone(), self.endpoint(&call.segments))
            .bearer_auth(token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json");
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        if !call.form.is_empty() {
            request = request.form(&call.form);
        }
        let response = request.send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        classify(status, &body)
    }
}

/// One API request: method, path segments (escaped one by one), query and form-encoded body
/// (Gumroad documents form bodies; every value is a string).
pub(super) struct Call<'a> {
    method: Method,
    segments: Vec<&'a str>,
    query: Vec<(&'static str, String)>,
    form: Vec<(String, String)>,
}

impl<'a> Call<'a> {
    fn new(method: Method, segments: &[&'a str]) -> Self {
        Self {
            method,
            segments: segments.to_vec(),
            query: Vec::new(),
            form: Vec::new(),
        }
    }

    pub(super) fn get(segments: &[&'a str]) -> Self {
        Self::new(Method::GET, segments)
    }

    pub(super) fn post(segments: &[&'a str]) -> Self {
        Self::new(Method::POST, segments)
    }

    pub(super) fn put(segments: &[&'a str]) -> Self {
        Self::new(Method::PUT, segments)
    }

    pub(super) fn delete(segments: &[&'a str]) -> Self {
        Self::new(Method::DELETE, segments)
    }

    pub(super) fn query(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.query.push((name, value.into()));
        self
    }

    pub(super) fn field(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.form.push((name.into(), value.into()));
        self
    }

    pub(super) fn optional_field(self, name: &str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(value) => self.field(name, value),
            None => self,
        }
    }
}

/// The endpoint as a pattern for metrics: ids (every second segment, as in `products/{id}/offer_codes/{id}`)
/// become `{id}`, so no product, sale or offer code name reaches a label. `licenses/…` has none.
fn endpoint_pattern(segments: &[&str]) -> String {
    if segments.first() == Some(&"licenses") {
        return segments.join("/");
    }
    segments
        .iter()
        .enumerate()
        .map(|(i, segment)| if i % 2 == 1 { "{id}" } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

fn outcome_label<T>(result: &Result<T, GumroadError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(GumroadError::Unauthorized) => "unauthorized",
        Err(GumroadError::MissingScope) => "missing_scope",
        Err(GumroadError::NotFound { .. } | GumroadError::RouteNotFound) => "not_found",
        Err(GumroadError::Rejected { .. }) => "rejected",
        Err(GumroadError::RateLimited) => "rate_limited",
        Err(GumroadError::Server { .. }) => "server_error",
        Err(GumroadError::Timeout) => "timeout",
        Err(GumroadError::Unreachable) => "unreachable",
        Err(GumroadError::Malformed { .. }) => "malformed",
    }
}

/// Turns a status and body into JSON or the error a creator or operator can act on.
fn classify(status: StatusCode, body: &[u8]) -> Result<serde_json::Value, GumroadError> {
    let json = serde_json::from_slice::<serde_json::Value>(body).ok();
    match status.as_u16() {
        200..=299 => json.ok_or_else(|| GumroadError::Malformed {
            detail: format!("HTTP {status} with a body that is not JSON"),
        }),
        401 => Err(GumroadError::Unauthorized),
        403 => Err(GumroadError::MissingScope),
        // License errors are 404 with a `success:false` message; a Rails 404 (unknown route, or
        // product create/update on older Gumroad) is HTML or `{"status":404,"error":"Not Found"}`.
        404 => Err(match json.as_ref().filter(|j| j.get("success").is_some()) {
            Some(json) => GumroadError::NotFound {
                message: message_of(json).unwrap_or_else(|| "Not found".into()),
            },
            None => GumroadError::RouteNotFound,
        }),
        429 => Err(GumroadError::RateLimited),
        400..=499 => Err(GumroadError::Rejected {
            message: json
                .as_ref()
                .and_then(message_of)
                .unwrap_or_else(|| format!("Gumroad refused the request (HTTP {status})")),
        }),
        500..=599 => Err(GumroadError::Server {
            status: status.as_u16(),
        }),
        _ => Err(GumroadError::Malformed {
            detail: format!("unexpected HTTP status {status}"),
        }),
    }
}

/// Gumroad's error texts live under `message`, `error` or `error_message` depending on the route.
fn message_of(json: &serde_json::Value) -> Option<String> {
    ["message", "error", "error_message"]
        .iter()
        .find_map(|key| json.get(key)?.as_str().map(str::to_owned))
}

/// `{"success": false, "message": …}` (with HTTP 200) → an error carrying Gumroad's message.
fn check_success(body: serde_json::Value) -> Result<serde_json::Value, GumroadError> {
    let success = match body.get("success") {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => s == "true",
        _ => false,
    };
    if success {
        return Ok(body);
    }
    let message =
        message_of(&body).unwrap_or_else(|| "Gumroad did not say what went wrong.".into());
    Err(if message.to_ascii_lowercase().contains("not found") {
        GumroadError::NotFound { message }
    } else {
        GumroadError::Rejected { message }
    })
}

/// The envelope's `next_page_key` (absent or empty on the last page). A key equal to the one just
/// used is an error: Gumroad once repeated a products key forever, and a worker must not loop.
pub(super) fn next_page_key(
    envelope: &serde_json::Value,
    current: Option<&str>,
) -> Result<Option<String>, GumroadError> {
    let next = envelope
        .get("next_page_key")
        .and_then(|k| k.as_str())
        .filter(|k| !k.is_empty())
        .map(str::to_owned);
    if next.is_some() && next.as_deref() == current {
        return Err(GumroadError::Malformed {
            detail: "the next page key repeats the current one".into(),
        });
    }
    Ok(next)
}

/// The value under `key` of a success envelope, deserialized tolerantly.
pub(super) fn take<T: DeserializeOwned>(
    body: &mut serde_json::Value,
    key: &str,
) -> Result<T, GumroadError> {
    let value = body
        .get_mut(key)
        .map(serde_json::Value::take)
        .ok_or_else(|| GumroadError::Malformed {
            detail: format!("the answer has no `{key}`"),
        })?;
    serde_json::from_value(value).map_err(|e| GumroadError::bad_shape(&format!("`{key}`"), &e))
}

/// `{"success": true, "<key>": …}` → the value under key; `{"success": false, "message": …}` → an error.
#[cfg(test)]
fn unwrap_envelope<T: DeserializeOwned>(
    body: serde_json::Value,
    key: &str,
) -> Result<T, GumroadError> {
    take(&mut check_success(body)?, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_false_with_http_200_is_an_error_carrying_gumroads_message() {
        let body = br#"{"success": false, "message": "The product was not found."}"#;
        let json = classify(StatusCode::OK, body).unwrap();
        let err = unwrap_envelope::<serde_json::Value>(json, "product").unwrap_err();
        assert_eq!(
            err,
            GumroadError::NotFound {
                message: "The product was not found.".into()
            }
        );
        let body = br#"{"success": false, "message": "Discount code must be unique."}"#;
        let json = classify(StatusCode::OK, body).unwrap();
        assert!(matches!(
            unwrap_envelope::<serde_json::Value>(json, "offer_code"),
            Err(GumroadError::Rejected { message }) if message == "Discount code must be unique."
        ));
    }

    #[test]
    fn statuses_map_to_errors_whatever_the_body() {
        assert_eq!(
            classify(StatusCode::UNAUTHORIZED, b""),
            Err(GumroadError::Unauthorized)
        );
        assert_eq!(
            classify(StatusCode::FORBIDDEN, b""),
            Err(GumroadError::MissingScope)
        );
        assert_eq!(
            classify(StatusCode::TOO_MANY_REQUESTS, b"Retry later\n"),
            Err(GumroadError::RateLimited)
        );
        assert_eq!(
            classify(
                StatusCode::INTERNAL_SERVER_ERROR,
                b"<html>We're sorry</html>"
            ),
            Err(GumroadError::Server { status: 500 })
        );
        assert_eq!(
            classify(
                StatusCode::NOT_FOUND,
                b"<html>The page you were looking for doesn't exist</html>"
            ),
            Err(GumroadError::RouteNotFound)
        );
        assert_eq!(
            classify(
                StatusCode::NOT_FOUND,
                br#"{"status":404,"error":"Not Found"}"#
            ),
            Err(GumroadError::RouteNotFound)
        );
        assert!(matches!(
            classify(
                StatusCode::NOT_FOUND,
                br#"{"success":false,"message":"That license does not exist for the provided product."}"#
            ),
            Err(GumroadError::NotFound { .. })
        ));
        assert!(matches!(
            classify(StatusCode::BAD_REQUEST, br#"{"status":400,"error":"Invalid page_key."}"#),
            Err(GumroadError::Rejected { message }) if message == "Invalid page_key."
        ));
    }

    #[test]
    fn a_truncated_body_is_malformed_not_a_panic() {
        assert!(matches!(
            classify(StatusCode::OK, br#"{"success": true, "user": {"na"#),
            Err(GumroadError::Malformed { .. })
        ));
        let json = classify(StatusCode::OK, br#"{"success": true}"#).unwrap();
        assert!(matches!(
            unwrap_envelope::<serde_json::Value>(json, "user"),
            Err(GumroadError::Malformed { .. })
        ));
    }

    #[test]
    fn a_badly_shaped_answer_is_described_without_its_values() {
        let answer = serde_json::json!({"success": true, "sale": "buyer@example.com"});
        let error = unwrap_envelope::<i64>(answer, "sale").unwrap_err();
        let shown = format!("{error} {error:?} {}", error.summary());
        assert!(!shown.contains("buyer@example.com"), "{shown}");
        assert_eq!(
            error,
            GumroadError::Malformed {
                detail: "`sale` did not have the expected shape (wrong types or values)".into()
            }
        );
    }

    #[test]
    fn back_off_doubles_and_stays_within_twice_the_step() {
        let policy = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(100),
        };
        for (attempt, step) in [(1, 100), (2, 200), (3, 400)] {
            let delay = policy.delay_before(attempt).as_millis() as u64;
            assert!(
                (step..=2 * step).contains(&delay),
                "attempt {attempt}: {delay}"
            );
        }
    }

    #[test]
    fn endpoints_are_labelled_by_pattern_without_ids() {
        assert_eq!(
            endpoint_pattern(&["products", "abc", "offer_codes", "SPRING"]),
            "products/{id}/offer_codes/{id}"
        );
        assert_eq!(
            endpoint_pattern(&["sales", "s1", "refund"]),
            "sales/{id}/refund"
        );
        assert_eq!(endpoint_pattern(&["licenses", "verify"]), "licenses/verify");
        assert_eq!(endpoint_pattern(&["user"]), "user");
    }

    #[test]
    fn path_segments_are_escaped_and_appended_to_the_base() {
        let client = ApiClient::new(
            reqwest::Client::new(),
            Url::parse("https://api.gumroad.com/v2/").unwrap(),
            RetryPolicy {
                max_attempts: 1,
                base_delay: Duration::ZERO,
            },
        );
        let url = client.endpoint(&["products", "A-m3CDDC5dlrSdKZp0RFhA==", "offer_codes"]);
        assert_eq!(
            url.as_str(),
            "https://api.gumroad.com/v2/products/A-m3CDDC5dlrSdKZp0RFhA==/offer_codes"
        );
        assert_eq!(client.endpoint(&["a/b"]).path(), "/v2/a%2Fb");
    }
}
