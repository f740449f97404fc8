//! The client's address, for the sign-in rate limit and every audit entry. Behind a reverse proxy the
//! peer is the proxy; its `X-Forwarded-For` is believed only when the peer is one of
//! `GUMDASH_TRUSTED_PROXIES`. The header is read from the right (each proxy appends the address it
//! saw), skipping trusted hops: the first untrusted address is the client. What lies left of it is
//! whatever the client claimed, and is never used.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header::HeaderMap;
use actix_web::{FromRequest, HttpRequest, web};
use ipnet::IpNet;

use super::state::AppState;

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The proxies whose `X-Forwarded-For` is believed; shared by the app state and the rate limiter.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Arc<Vec<IpNet>>);

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self(Arc::new(networks))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address from the peer's and the `X-Forwarded-For` headers (all of them, in order).
    pub fn client(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer?.ip().to_canonical();
        if !self.trusts(peer) {
            return Some(peer);
        }
        let hops: Vec<&str> = headers
            .get_all(X_FORWARDED_FOR)
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut nearest = peer;
        for hop in hops.iter().rev() {
            // Something that is not an address (`unknown`, garbage) ends the walk: the last trusted
            // hop is then the best we know.
            let Some(ip) = parse_hop(hop) else {
                return Some(nearest);
            };
            if !self.trusts(ip) {
                return Some(ip);
            }
            nearest = ip;
        }
        Some(nearest)
    }
}

/// `1.2.3.4`, `::1`, and the forms some proxies write: `1.2.3.4:5678`, `[::1]:5678`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    hop.parse::<SocketAddr>()
        .ok()
        .map(|addr| addr.ip().to_canonical())
}

/// The client's address as the audit log records it (`None` only without a peer, as in unit tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    pub fn of(req: &HttpRequest) -> Self {
        let trusted = req
            .app_data::<web::Data<AppState>>()
            .map(|state| state.trusted_proxies.clone())
            .unwrap_or_default();
        Self(trusted.client(req.peer_addr(), req.headers()))
    }

    /// For the audit log's `ip` column.
    pub fn text(self) -> Option<String> {
        self.0.map(|ip| ip.to_string())
    }
}

impl FromRequest for ClientAddr {
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Self::of(req)))
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|n| n.parse().unwrap()).collect())
    }

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(
                HeaderName::from_static(X_FORWARDED_FOR),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn peer(ip: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(ip.parse().unwrap(), 4000))
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let claimed = headers(&["1.2.3.4"]);
        assert_eq!(
            trusted.client(peer("203.0.113.9"), &claimed),
            ip("203.0.113.9")
        );
        assert_eq!(
            TrustedProxies::default().client(peer("127.0.0.1"), &claimed),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8", "192.168.0.1/32"]);
        // The client forged a first entry; the edge proxy appended the real address, then an inner
        // proxy appended the edge's.
        let forwarded = headers(&["6.6.6.6, 198.51.100.4", "192.168.0.1"]);
        assert_eq!(
            trusted.client(peer("10.1.2.3"), &forwarded),
            ip("198.51.100.4")
        );
        // Port-carrying and IPv6 forms.
        let forwarded = headers(&["[2001:db8::5]:443, 198.51.100.4:1234"]);
        assert_eq!(
            trusted.client(peer("10.1.2.3"), &forwarded),
            ip("198.51.100.4")
        );
        let forwarded = headers(&["2001:db8::5"]);
        assert_eq!(
            trusted.client(peer("10.1.2.3"), &forwarded),
            ip("2001:db8::5")
        );
    }

    #[test]
    fn without_a_usable_header_the_nearest_trusted_hop_is_the_answer() {
        let trusted = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            trusted.client(peer("10.0.0.2"), &headers(&[])),
            ip("10.0.0.2")
        );
        let forwarded = headers(&["unknown, 10.0.0.3"]);
        assert_eq!(trusted.client(peer("10.0.0.2"), &forwarded), ip("10.0.0.3"));
        let forwarded = headers(&["10.0.0.4"]);
        assert_eq!(trusted.client(peer("10.0.0.2"), &forwarded), ip("10.0.0.4"));
    }

    #[test]
    fn an_ipv4_mapped_peer_matches_ipv4_networks() {
        let trusted = proxies(&["127.0.0.1/32"]);
        let forwarded = headers(&["198.51.100.4"]);
        assert_eq!(
            trusted.client(peer("::ffff:127.0.0.1"), &forwarded),
            ip("198.51.100.4")
        );
    }
}
