//! The token vault: Gumroad access tokens are encrypted at rest with XChaCha20-Poly1305.
//!
//! Each ciphertext carries the id of the key that sealed it, so keys can rotate while old ones stay
//! readable, and is bound (as associated data) to the creator and the purpose it was sealed for:
//! a ciphertext copied to another creator's row, or used for another purpose, fails to open.
//! Plaintext only ever leaves this module as a [`SecretString`].

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};

use crate::domain::TenantId;

/// Bumped when the layout of [`Sealed::ciphertext`] or of the associated data changes.
pub const FORMAT_VERSION: i16 = 1;
const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;

/// What a sealed secret is for; part of the associated data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    GumroadAccessToken,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Self::GumroadAccessToken => "gumroad_access_token",
        }
    }
}

/// An encrypted secret as stored: nonce ‖ ciphertext ‖ tag, plus the key id and format version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub format_version: i16,
    pub ciphertext: Vec<u8>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VaultError {
    #[error("the token was sealed with key {0:?}, which is not in the key ring")]
    UnknownKey(String),
    #[error("the token was sealed in format version {0}, which this build cannot read")]
    UnsupportedFormat(i16),
    // Deliberately no detail: a wrong key, a swapped row and tampering all look the same.
    #[error("the stored token could not be decrypted")]
    Undecryptable,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyRingError {
    #[error("is empty; expected entries like `k1:<base64 of 32 random bytes>`")]
    Empty,
    #[error("entry {0} is not of the form `<key id>:<base64 key>`")]
    Malformed(usize),
    #[error("key id {0:?} must be 1 to 32 characters of letters, digits, '-' or '_'")]
    BadKeyId(String),
    #[error("key {0:?} is not valid base64")]
    NotBase64(String),
    #[error(
        "key {id:?} is {len} bytes long; it must be exactly 32 bytes (base64 of 32 random bytes)"
    )]
    WrongLength { id: String, len: usize },
    #[error("key id {0:?} appears twice")]
    Duplicate(String),
}

/// The configured keys. The first key listed seals new secrets; every key listed can open.
#[derive(Clone)]
pub struct KeyRing {
    active: String,
    ciphers: BTreeMap<String, XChaCha20Poly1305>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("active", &self.active)
            .field("key_ids", &self.ciphers.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl KeyRing {
    /// Parses `id:base64key[,id:base64key…]`; the first entry is the active key.
    pub fn parse(spec: &str) -> Result<Self, KeyRingError> {
        let mut active = None;
        let mut ciphers = BTreeMap::new();
        let entries = spec.split(',').map(str::trim).filter(|e| !e.is_empty());
        for (index, entry) in entries.enumerate() {
            let (id, key) = entry
                .split_once(':')
                .ok_or(KeyRingError::Malformed(index + 1))?;
            let id = parse_key_id(id.trim())?;
            let cipher = parse_key(&id, key.trim())?;
            if ciphers.insert(id.clone(), cipher).is_some() {
                return Err(KeyRingError::Duplicate(id));
            }
            active.get_or_insert(id);
        }
        let active = active.ok_or(KeyRingError::Empty)?;
        Ok(Self { active, ciphers })
    }

    /// A ring with one fresh random key, for the demo and for `gumdash keygen`.
    pub fn generate(key_id: &str) -> (Self, String) {
        let key = chacha20poly1305::Key::generate();
        let spec = format!("{key_id}:{}", BASE64.encode(key.as_slice()));
        let ring = Self::parse(&spec).expect("a freshly generated key parses");
        (ring, spec)
    }

    pub fn active_key_id(&self) -> &str {
        &self.active
    }

    /// Every key id of the ring, the active one first.
    pub fn key_ids(&self) -> Vec<&str> {
        std::iter::once(self.active.as_str())
            .chain(
                self.ciphers
                    .keys()
                    .map(String::as_str)
                    .filter(|id| *id != self.active),
            )
            .collect()
    }

    pub fn contains(&self, key_id: &str) -> bool {
        self.ciphers.contains_key(key_id)
    }

    pub fn seal(&self, tenant: TenantId, purpose: Purpose, secret: &SecretString) -> Sealed {
        let cipher = &self.ciphers[&self.active];
        let nonce = XNonce::generate();
        let aad = associated_data(tenant, purpose, &self.active);
        let payload = Payload {
            msg: secret.expose_secret().as_bytes(),
            aad: &aad,
        };
        let encrypted = cipher
            .encrypt(&nonce, payload)
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
        let mut ciphertext = Vec::with_capacity(NONCE_LEN + encrypted.len());
        ciphertext.extend_from_slice(nonce.as_slice());
        ciphertext.extend_from_slice(&encrypted);
        Sealed {
            key_id: self.active.clone(),
            format_version: FORMAT_VERSION,
            ciphertext,
        }
    }

    pub fn open(
        &self,
        tenant: TenantId,
        purpose: Purpose,
        sealed: &Sealed,
    ) -> Result<SecretString, VaultError> {
        if sealed.format_version != FORMAT_VERSION {
            return Err(VaultError::UnsupportedFormat(sealed.format_version));
        }
        let cipher = self
            .ciphers
            .get(&sealed.key_id)
            .ok_or_else(|| VaultError::UnknownKey(sealed.key_id.clone()))?;
        if sealed.ciphertext.len() < NONCE_LEN {
            return Err(VaultError::Undecryptable);
        }
        let (nonce, encrypted) = sealed.ciphertext.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| VaultError::Undecryptable)?;
        let aad = associated_data(tenant, purpose, &sealed.key_id);
        let plaintext = cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: encrypted,
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Undecryptable)?;
        let text = String::from_utf8(plaintext).map_err(|_| VaultError::Undecryptable)?;
        Ok(SecretString::from(text))
    }
}

fn associated_data(tenant: TenantId, purpose: Purpose, key_id: &str) -> Vec<u8> {
    format!(
        "gumdash:v{FORMAT_VERSION}:{}:{tenant}:{key_id}",
        purpose.label()
    )
    .into_bytes()
}

fn parse_key_id(id: &str) -> Result<String, KeyRingError> {
    let valid = (1..=32).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(id.to_owned())
    } else {
        Err(KeyRingError::BadKeyId(id.to_owned()))
    }
}

fn parse_key(id: &str, key: &str) -> Result<XChaCha20Poly1305, KeyRingError> {
    let bytes = BASE64
        .decode(key)
        .map_err(|_| KeyRingError::NotBase64(id.to_owned()))?;
    if bytes.len() != KEY_LEN {
        return Err(KeyRingError::WrongLength {
            id: id.to_owned(),
            len: bytes.len(),
        });
    }
    XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| KeyRingError::WrongLength {
        id: id.to_owned(),
        len: bytes.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> SecretString {
        SecretString::from("kYw6VvFQh0m9pN2bJ1cT8xLr3sD5uA7eG4iO0zWq_yE".to_owned())
    }

    const ALICE: TenantId = TenantId::from_raw_for_tests(1);
    const BOB: TenantId = TenantId::from_raw_for_tests(2);

    #[test]
    fn a_sealed_token_opens_for_the_same_creator_and_purpose() {
        let (ring, _) = KeyRing::generate("k1");
        let sealed = ring.seal(ALICE, Purpose::GumroadAccessToken, &token());
        let opened = ring
            .open(ALICE, Purpose::GumroadAccessToken, &sealed)
            .unwrap();
        assert_eq!(opened.expose_secret(), token().expose_secret());
        assert_eq!(sealed.key_id, "k1");
    }

    #[test]
    fn the_ciphertext_does_not_contain_the_token_and_nonces_differ() {
        let (ring, _) = KeyRing::generate("k1");
        let first = ring.seal(ALICE, Purpose::GumroadAccessToken, &token());
        let second = ring.seal(ALICE, Purpose::GumroadAccessToken, &token());
        let needle = token().expose_secret().as_bytes().to_vec();
        assert!(!first.ciphertext.windows(needle.len()).any(|w| w == needle));
        assert_ne!(first.ciphertext, second.ciphertext);
    }

    #[test]
    fn a_ciphertext_moved_to_another_creator_fails_to_open() {
        let (ring, _) = KeyRing::generate("k1");
        let sealed = ring.seal(ALICE, Purpose::GumroadAccessToken, &token());
        let err = ring
            .open(BOB, Purpose::GumroadAccessToken, &sealed)
            .unwrap_err();
        assert_eq!(err, VaultError::Undecryptable);
    }

    #[test]
    fn a_ring_without_the_sealing_key_says_which_key_is_missing() {
        let (old, _) = KeyRing::generate("old");
        let (new, _) = KeyRing::generate("new");
        let sealed = old.seal(ALICE, Purpose::GumroadAccessToken, &token());
        let err = new
            .open(ALICE, Purpose::GumroadAccessToken, &sealed)
            .unwrap_err();
        assert_eq!(err, VaultError::UnknownKey("old".into()));
    }

    #[test]
    fn a_wrong_key_under_the_same_id_fails_to_open() {
        let (first, _) = KeyRing::generate("k1");
        let (second, _) = KeyRing::generate("k1");
        let sealed = first.seal(ALICE, Purpose::GumroadAccessToken, &token());
        assert_eq!(
            second
                .open(ALICE, Purpose::GumroadAccessToken, &sealed)
                .unwrap_err(),
            VaultError::Undecryptable
        );
    }

    #[test]
    fn a_tampered_ciphertext_fails_to_open() {
        let (ring, _) = KeyRing::generate("k1");
        let mut sealed = ring.seal(ALICE, Purpose::GumroadAccessToken, &token());
        let last = sealed.ciphertext.len() - 1;
        sealed.ciphertext[last] ^= 1;
        assert_eq!(
            ring.open(ALICE, Purpose::GumroadAccessToken, &sealed)
                .unwrap_err(),
            VaultError::Undecryptable
        );
    }

    #[test]
    fn old_keys_stay_readable_after_rotation_and_new_secrets_use_the_first_key() {
        let (old_ring, old_spec) = KeyRing::generate("old");
        let (_, new_spec) = KeyRing::generate("new");
        let sealed_before = old_ring.seal(ALICE, Purpose::GumroadAccessToken, &token());
        let rotated = KeyRing::parse(&format!("{new_spec},{old_spec}")).unwrap();
        assert!(
            rotated
                .open(ALICE, Purpose::GumroadAccessToken, &sealed_before)
                .is_ok()
        );
        let sealed_after = rotated.seal(ALICE, Purpose::GumroadAccessToken, &token());
        assert_eq!(sealed_after.key_id, "new");
    }

    #[test]
    fn key_ring_specs_are_checked() {
        assert_eq!(KeyRing::parse(" ").unwrap_err(), KeyRingError::Empty);
        assert_eq!(
            KeyRing::parse("k1").unwrap_err(),
            KeyRingError::Malformed(1)
        );
        assert_eq!(
            KeyRing::parse("k1:c2hvcnQ=").unwrap_err(),
            KeyRingError::WrongLength {
                id: "k1".into(),
                len: 5
            }
        );
        assert_eq!(
            KeyRing::parse("k1:***").unwrap_err(),
            KeyRingError::NotBase64("k1".into())
        );
        let (_, spec) = KeyRing::generate("k1");
        assert_eq!(
            KeyRing::parse(&format!("{spec},{spec}")).unwrap_err(),
            KeyRingError::Duplicate("k1".into())
        );
        let bad_id = spec.replacen("k1", "k 1", 1);
        assert_eq!(
            KeyRing::parse(&bad_id).unwrap_err(),
            KeyRingError::BadKeyId("k 1".into())
        );
    }

    #[test]
    fn debug_output_shows_key_ids_only() {
        let (ring, spec) = KeyRing::generate("k1");
        let key_b64 = spec.split_once(':').unwrap().1;
        let debug = format!("{ring:?}");
        assert!(debug.contains("k1"));
        assert!(!debug.contains(key_b64));
    }
}
