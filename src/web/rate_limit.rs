//! Per-client limits on the sign-in routes, so nobody can hammer Gumroad's token endpoint (which
//! rate-limits this instance's IP for every creator) or our session table through us.

use std::net::IpAddr;

use actix_governor::governor::NotUntil;
use actix_governor::governor::clock::{Clock as _, DefaultClock, QuantaInstant};
use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::{
    GovernorConfig, GovernorConfigBuilder, KeyExtractor, SimpleKeyExtractionError,
};
use actix_web::dev::ServiceRequest;
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError as _};

use super::client_addr::TrustedProxies;
use super::error::AppError;

/// Keyed by the client's address ([`TrustedProxies::client`]): behind a trusted reverse proxy each
/// client has its own budget, so one cannot lock the others out of sign-in. A burst of 30, then one
/// a second.
#[derive(Clone)]
pub struct PerClient(pub TrustedProxies);

impl KeyExtractor for PerClient {
    type Key = IpAddr;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, req: &ServiceRequest) -> Result<Self::Key, Self::KeyExtractionError> {
        self.0
            .client(req.peer_addr(), req.headers())
            .ok_or_else(|| SimpleKeyExtractionError::new("the client's address is unknown"))
    }

    /// The clear "too many attempts" page, with `Retry-After` saying when the next try will pass.
    fn exceed_rate_limit_response(
        &self,
        wait: &NotUntil<QuantaInstant>,
        _response: HttpResponseBuilder,
    ) -> HttpResponse {
        let seconds = wait
            .wait_time_from(DefaultClock::default().now())
            .as_secs()
            .max(1);
        let mut response = AppError::TooManyRequests.error_response();
        response.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(seconds),
        );
        response
    }
}

pub type SignInLimit = GovernorConfig<PerClient, NoOpMiddleware<QuantaInstant>>;

pub fn sign_in_limit(trusted: TrustedProxies) -> SignInLimit {
    GovernorConfigBuilder::default()
        .key_extractor(PerClient(trusted))
        .seconds_per_request(1)
        .burst_size(30)
        .finish()
        .expect("a non-zero period and burst make a valid quota")
}
