//! The unguessable part of a creator's ping URL (`/hooks/gumroad/<creator id>.<secret>`).
//!
//! Gumroad signs nothing (api-facts §9.2), so the URL is the only thing that tells our pings from
//! forged ones. The secret is 192 random bits; only its SHA-256 is stored, and the receiver compares
//! hashes in constant time. The creator id in front lets the receiver find the one row to compare
//! with by key (and, sharded, on one node); it is no secret and grants nothing by itself.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use super::TenantId;

/// Random bytes in a secret: 192 bits, 32 URL-safe characters.
const SECRET_BYTES: usize = 24;

#[derive(Clone, PartialEq, Eq)]
pub struct PingKey {
    tenant: TenantId,
    secret: String,
}

impl fmt::Debug for PingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PingKey({}.[REDACTED])", self.tenant)
    }
}

impl PingKey {
    pub fn generate(tenant: TenantId) -> Self {
        let mut bytes = [0u8; SECRET_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        Self {
            tenant,
            secret: URL_SAFE_NO_PAD.encode(bytes),
        }
    }

    /// The URL's last segment, `<creator id>.<secret>`; `None` for anything else.
    pub fn parse(segment: &str) -> Option<Self> {
        let (id, secret) = segment.split_once('.')?;
        let id: i64 = id.parse().ok().filter(|id| *id > 0)?;
        let decoded = URL_SAFE_NO_PAD.decode(secret).ok()?;
        (decoded.len() == SECRET_BYTES).then(|| Self {
            tenant: TenantId::from_db(id),
            secret: secret.to_owned(),
        })
    }

    /// Whose URL this claims to be (proven only by [`PingKey::matches`]).
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    pub fn segment(&self) -> String {
        format!("{}.{}", self.tenant, self.secret)
    }

    pub fn sha256(&self) -> Vec<u8> {
        Sha256::digest(self.secret.as_bytes()).to_vec()
    }

    /// Whether this is the secret whose hash is stored, in constant time.
    pub fn matches(&self, stored_sha256: &[u8]) -> bool {
        bool::from(self.sha256().as_slice().ct_eq(stored_sha256))
    }

    /// Gumroad's refusal texts quote the URL: the secret is cut out before they are kept or shown.
    pub fn redact(&self, text: &str) -> String {
        text.replace(&self.secret, "…")
    }
}

/// A request path with the secret of a ping URL cut out, for logs: `/hooks/gumroad/7.…`.
pub fn redact_ping_path(path: &str) -> std::borrow::Cow<'_, str> {
    match path.strip_prefix(PING_PATH_PREFIX) {
        Some(segment) => {
            let tenant = segment.split('.').next().unwrap_or("");
            format!("{PING_PATH_PREFIX}{tenant}.…").into()
        }
        None => path.into(),
    }
}

/// Where ping URLs live under the public URL.
pub const PING_PATH_PREFIX: &str = "/hooks/gumroad/";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_match_only_their_own_hash() {
        let key = PingKey::generate(TenantId::from_db(42));
        let parsed = PingKey::parse(&key.segment()).unwrap();
        assert_eq!(parsed, key);
        assert_eq!(parsed.tenant(), TenantId::from_db(42));
        assert!(parsed.matches(&key.sha256()));
        let other = PingKey::generate(TenantId::from_db(42));
        assert!(!other.matches(&key.sha256()));
        assert!(!format!("{key:?}").contains(&key.segment()[3..]));
        for bad in [
            "",
            "42",
            "42.",
            "x.abc",
            "0.AAAA",
            "42.short",
            &format!("-1{}", &key.segment()[2..]),
        ] {
            assert_eq!(PingKey::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn paths_lose_their_secret() {
        let key = PingKey::generate(TenantId::from_db(7));
        let path = format!("/hooks/gumroad/{}", key.segment());
        assert_eq!(redact_ping_path(&path), "/hooks/gumroad/7.…");
        assert_eq!(redact_ping_path("/sales"), "/sales");
        assert!(
            !key.redact(&format!("Invalid post URL 'http://x{path}'"))
                .contains(&key.segment()[2..])
        );
    }
}
