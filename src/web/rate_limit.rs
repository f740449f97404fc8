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
            .map(budget_key)
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

/// Whose budget an address draws from: an IPv6 client is given a whole /64 and could step through
/// it for fresh budgets, so the /64 counts as one client; an IPv4 address (mapped or not) is itself.
fn budget_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
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

#[cfg(test)]
mod tests {
    use super::budget_key;

    #[test]
    fn an_ipv6_client_counts_as_its_64_and_ipv4_as_itself() {
        let key = |a: &str| budget_key(a.parse().unwrap()).to_string();
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_ne!(key("192.0.2.7"), key("192.0.2.8"));
    }
}
