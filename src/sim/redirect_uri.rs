//! Doorkeeper's `URIChecker`: is a requested `redirect_uri` valid, and does it match a registered one?
//! (api-facts §3.2)

use std::net::IpAddr;

use url::Url;

/// Valid and equal to one of the registered URIs (each entry may itself hold a whitespace-separated list,
/// as Doorkeeper's `redirect_uri` column does).
pub(crate) fn is_allowed(requested: &str, registered: &[String]) -> bool {
    let Some(url) = parse_valid(requested) else {
        return false;
    };
    registered
        .iter()
        .flat_map(|entry| entry.split_whitespace())
        .filter_map(|entry| Url::parse(entry).ok())
        .any(|allowed| matches(&url, &allowed))
}

/// An absolute URI with a scheme and a host and no fragment. Relative, opaque (`mailto:`) and host-less
/// (`file:///`) URIs are malformed, and `localhost:3000` parses with the scheme "localhost", which
/// Doorkeeper refuses explicitly.
fn parse_valid(text: &str) -> Option<Url> {
    let url = Url::parse(text.trim()).ok()?;
    let has_host = url.host_str().is_some_and(|h| !h.is_empty());
    let valid = has_host
        && !url.cannot_be_a_base()
        && url.fragment().is_none()
        && url.scheme() != "localhost";
    valid.then_some(url)
}

/// Scheme, user info, host, port and path must be equal. The query counts only if the registered URI has
/// one: then both must hold the same `&`-separated pairs in any order. Loopback IP hosts ignore the port
/// (RFC 8252 §7.3), so a native app may pick any free port.
fn matches(requested: &Url, registered: &Url) -> bool {
    if let Some(registered_query) = registered.query()
        && !same_pairs(requested.query().unwrap_or(""), registered_query)
    {
        return false;
    }
    let ignore_port = is_loopback_ip(requested) && is_loopback_ip(registered);
    requested.scheme() == registered.scheme()
        && requested.username() == registered.username()
        && requested.password() == registered.password()
        && requested.host() == registered.host()
        && (ignore_port || requested.port_or_known_default() == registered.port_or_known_default())
        && requested.path() == registered.path()
}

fn same_pairs(a: &str, b: &str) -> bool {
    let mut a: Vec<&str> = a.split('&').collect();
    let mut b: Vec<&str> = b.split('&').collect();
    a.sort_unstable();
    b.sort_unstable();
    a == b
}

/// Ruby's `IPAddr#loopback?`: 127.0.0.0/8 and ::1. Host names such as `localhost` do not count.
fn is_loopback_ip(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        _ => false,
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    fn allowed(requested: &str, registered: &str) -> bool {
        is_allowed(requested, &[registered.to_owned()])
    }

    #[test]
    fn exact_match_and_query_rules() {
        assert!(allowed("https://app.test/cb", "https://app.test/cb"));
        assert!(
            allowed("https://app.test/cb?x=1", "https://app.test/cb"),
            "query ignored when none registered"
        );
        assert!(!allowed("https://app.test/cb2", "https://app.test/cb"));
        assert!(!allowed("http://app.test/cb", "https://app.test/cb"));
        assert!(!allowed("https://app.test:8443/cb", "https://app.test/cb"));
        assert!(
            allowed("https://app.test:443/cb", "https://app.test/cb"),
            "default port is the same port"
        );
        assert!(allowed(
            "https://app.test/cb?b=2&a=1",
            "https://app.test/cb?a=1&b=2"
        ));
        assert!(!allowed(
            "https://app.test/cb?a=1",
            "https://app.test/cb?a=1&b=2"
        ));
        assert!(!allowed("https://app.test/cb", "https://app.test/cb?a=1"));
    }

    #[test]
    fn loopback_ignores_port_but_localhost_does_not() {
        assert!(allowed(
            "http://127.0.0.1:5555/cb",
            "http://127.0.0.1:8080/cb"
        ));
        assert!(allowed("http://[::1]:5555/cb", "http://[::1]/cb"));
        assert!(!allowed(
            "http://localhost:5555/cb",
            "http://localhost:8080/cb"
        ));
        assert!(!allowed(
            "http://127.0.0.1:5555/other",
            "http://127.0.0.1:8080/cb"
        ));
    }

    #[test]
    fn malformed_uris_are_refused() {
        assert!(!allowed("https://app.test/cb#frag", "https://app.test/cb"));
        assert!(!allowed("https://app.test/cb#", "https://app.test/cb"));
        assert!(!allowed("/cb", "https://app.test/cb"));
        assert!(!allowed("not a uri", "https://app.test/cb"));
        assert!(!allowed("", "https://app.test/cb"));
        assert!(is_allowed(
            "https://b.test/cb",
            &["https://a.test/cb https://b.test/cb".to_owned()]
        ));
    }
}
