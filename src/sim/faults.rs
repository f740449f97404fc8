//! Fault injection (`/_sim/faults`): make the next N matching requests (or all of them for a while) slow,
//! failing or broken, the way Gumroad, Cloudflare or the network sometimes are.

use std::time::Duration as StdDuration;

use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::api::auth::{self, AuthFailure};
use super::rails;
use super::rate_limit;
use super::store::Shared;

/// How long a `hang` holds the request: past any sensible client timeout.
const HANG: StdDuration = StdDuration::from_secs(60);
const DEFAULT_LATENCY_MS: u64 = 2000;
/// The longest `latency_ms` accepted: ten minutes (a `hang` is one minute).
pub(crate) const MAX_LATENCY_MS: u64 = 600_000;
/// The longest `duration_ms` accepted: one week.
pub(crate) const MAX_DURATION_MS: u64 = 7 * 24 * 3_600_000;

/// Why `/_sim/faults` refused a fault.
#[derive(Debug)]
pub(crate) enum FaultError {
    /// Inconsistent (422).
    Invalid(String),
    /// An absurd number (400).
    OutOfRange(String),
}

/// A fault as posted to `/_sim/faults`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub(crate) struct FaultSpec {
    /// HTTP method to match; any method when absent.
    #[serde(default)]
    pub method: Option<String>,
    /// Path after normalisation (`/api/v2/user.json` matches `/v2/user`); a trailing `*` matches a prefix.
    pub path: String,
    pub kind: FaultKind,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub latency_ms: Option<u64>,
    /// How many matching requests to affect; 1 unless `duration_ms` is given.
    #[serde(default)]
    pub times: Option<u32>,
    /// Affect matching requests for this long instead of (or as well as) a count.
    #[serde(default)]
    pub duration_ms: Option<u64>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FaultKind {
    Status,
    Hang,
    MalformedJson,
    #[serde(rename = "html_404")]
    Html404,
    Latency,
}

/// What to do with one request.
#[derive(Clone, Copy, Debug)]
enum FaultAction {
    Status(StatusCode),
    Hang,
    MalformedJson,
    Html404,
    Latency(StdDuration),
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct Fault {
    pub id: u64,
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// Requests still to affect; `None` means until `until`.
    pub remaining: Option<u32>,
    pub until: Option<DateTime<Utc>>,
    #[serde(skip)]
    action: FaultAction,
}

#[derive(Default)]
pub(crate) struct FaultList {
    faults: Vec<Fault>,
    next_id: u64,
}

impl FaultList {
    /// Validates and stores a fault; the error text is for the control's 422 answer.
    pub fn add(&mut self, spec: FaultSpec, now: DateTime<Utc>) -> Result<Fault, FaultError> {
        if spec.latency_ms.is_some_and(|ms| ms > MAX_LATENCY_MS) {
            return Err(FaultError::OutOfRange(format!(
                "latency_ms must be at most {MAX_LATENCY_MS}"
            )));
        }
        let action = action_for(&spec).map_err(FaultError::Invalid)?;
        let until = match spec.duration_ms {
            Some(ms) => Some(
                i64::try_from(ms)
                    .ok()
                    .filter(|_| ms <= MAX_DURATION_MS)
                    .and_then(|ms| now.checked_add_signed(Duration::milliseconds(ms)))
                    .ok_or_else(|| {
                        FaultError::OutOfRange(format!(
                            "duration_ms must be at most {MAX_DURATION_MS}"
                        ))
                    })?,
            ),
            None => None,
        };
        let remaining = match (spec.times, until) {
            (Some(0), _) => return Err(FaultError::Invalid("times must be at least 1".to_owned())),
            (Some(n), _) => Some(n),
            (None, Some(_)) => None,
            (None, None) => Some(1),
        };
        self.next_id += 1;
        let fault = Fault {
            id: self.next_id,
            spec,
            remaining,
            until,
            action,
        };
        self.faults.push(fault.clone());
        Ok(fault)
    }

    pub fn clear(&mut self) {
        self.faults.clear();
    }

    pub fn list(&self) -> Vec<Fault> {
        self.faults.clone()
    }

    /// The first live fault matching the request, used up by one.
    fn take(&mut self, method: &str, path: &str, now: DateTime<Utc>) -> Option<FaultAction> {
        self.faults
            .retain(|f| f.remaining != Some(0) && f.until.is_none_or(|until| until > now));
        let fault = self.faults.iter_mut().find(|f| f.matches(method, path))?;
        if let Some(remaining) = fault.remaining.as_mut() {
            *remaining -= 1;
        }
        Some(fault.action)
    }
}

impl Fault {
    fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = self
            .spec
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method));
        let path_ok = match self.spec.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => path == self.spec.path,
        };
        method_ok && path_ok
    }
}

fn action_for(spec: &FaultSpec) -> Result<FaultAction, String> {
    Ok(match spec.kind {
        FaultKind::Status => {
            let code = spec.status.ok_or("a status fault needs \"status\"")?;
            let status =
                StatusCode::from_u16(code).map_err(|_| format!("{code} is not an HTTP status"))?;
            FaultAction::Status(status)
        }
        FaultKind::Hang => FaultAction::Hang,
        FaultKind::MalformedJson => FaultAction::MalformedJson,
        FaultKind::Html404 => FaultAction::Html404,
        FaultKind::Latency => FaultAction::Latency(StdDuration::from_millis(
            spec.latency_ms.unwrap_or(DEFAULT_LATENCY_MS),
        )),
    })
}

/// Middleware: applies a matching fault to any request outside `/_sim`. Runs after path normalisation.
pub(crate) async fn inject(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let action = match req.app_data::<web::Data<Shared>>() {
        Some(shared) if !req.path().starts_with("/_sim") => {
            let mut state = shared.lock();
            let now = state.now();
            state.faults.take(req.method().as_str(), req.path(), now)
        }
        _ => None,
    };
    let Some(action) = action else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    match action {
        FaultAction::Status(status) => {
            let json = rails::wants_json(req.request());
            Ok(req.into_response(status_response(status, json)))
        }
        FaultAction::Html404 => {
            Ok(req.into_response(rails::error_response(StatusCode::NOT_FOUND, false)))
        }
        FaultAction::Hang => {
            actix_web::rt::time::sleep(HANG).await;
            Ok(next.call(req).await?.map_into_boxed_body())
        }
        FaultAction::Latency(delay) => {
            actix_web::rt::time::sleep(delay).await;
            Ok(next.call(req).await?.map_into_boxed_body())
        }
        FaultAction::MalformedJson => malformed(next.call(req).await?).await,
    }
}

/// A status the way Gumroad would send it: 429 from the rate limiter, 401 as for a revoked token, anything
/// else as a Rails exception page.
fn status_response(status: StatusCode, json: bool) -> HttpResponse {
    match status {
        StatusCode::TOO_MANY_REQUESTS => rate_limit::throttled_response(),
        StatusCode::UNAUTHORIZED => auth::failure_response(AuthFailure::Revoked),
        _ => rails::error_response(status, json),
    }
}

/// Runs the real handler, then answers 200 with the first half of its body: JSON cut off mid-stream.
async fn malformed(
    res: ServiceResponse<impl MessageBody>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let (req, res) = res.into_parts();
    let body = to_bytes(res.into_body()).await.unwrap_or_default();
    let truncated = if body.len() >= 4 {
        body.slice(..body.len() / 2)
    } else {
        web::Bytes::from_static(b"{\"success\":true,\"user\":{\"name\":\"")
    };
    let response = HttpResponse::Ok()
        .content_type("application/json; charset=utf-8")
        .body(truncated);
    Ok(ServiceResponse::new(req, response))
}
