//! Identifier formats (api-facts §10).
//!
//! Secrets (tokens, codes, session ids) come from the OS-seeded thread RNG; seeded data takes an explicit RNG
//! so the same seed always yields the same creators and app credentials.

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use rand::{Rng, RngCore};

/// Doorkeeper's default generator: `SecureRandom.urlsafe_base64(32)`, 43 URL-safe characters.
pub(crate) fn token_from(rng: &mut impl RngCore) -> String {
    let mut bytes = [0u8; 32];
    rng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A fresh, unguessable token, code or session id.
pub(crate) fn random_token() -> String {
    token_from(&mut rand::rng())
}

/// An external id: 16 bytes as URL-safe Base64 **with padding**, so 24 characters ending in `==`,
/// the shape of Gumroad's encrypted ids.
pub(crate) fn external_id_from(rng: &mut impl RngCore) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    URL_SAFE.encode(bytes)
}

/// A user's numeric id: a random integer below 10^13 as a string. Drawn from 10^12 upwards so every id has
/// 13 digits, like the ids seen on gumroad.com.
pub(crate) fn numeric_user_id_from(rng: &mut impl Rng) -> String {
    rng.random_range(1_000_000_000_000u64..10_000_000_000_000u64)
        .to_string()
}

/// Gumroad's `ObfuscateIds` for numeric ids (`order_id`, the id part of `page_key`): the id's low 30 bits XOR a
/// secret, then bit-reversed. Reversible, and always below 2^30.
const OBFUSCATION_SECRET: u32 = 0x1A2B_3C4D & MASK_30;
const MASK_30: u32 = (1 << 30) - 1;

pub(crate) fn obfuscate_id(id: u64) -> u64 {
    let bits = (id as u32 & MASK_30) ^ OBFUSCATION_SECRET;
    u64::from(bits.reverse_bits() >> 2)
}

/// The inverse of `obfuscate_id`; `None` for numbers that no id maps to.
pub(crate) fn deobfuscate_id(obfuscated: u64) -> Option<u64> {
    let bits = u32::try_from(obfuscated).ok().filter(|b| *b <= MASK_30)?;
    Some(u64::from((bits << 2).reverse_bits() ^ OBFUSCATION_SECRET))
}

/// A keyed, reversible external id for objects that are too many to store a random one each (sales,
/// subscriptions, licenses): `n` and 64 zero bits through a four-round Feistel network keyed by `key`, as
/// 24 URL-safe Base64 characters ending in `==`, like `external_id_from`. Ids of different keys (or seeds)
/// look unrelated.
pub(crate) fn keyed_external_id(key: u64, n: u64) -> String {
    let (mut left, mut right) = (n, 0u64);
    for round in 0..4u64 {
        (left, right) = (right, left ^ feistel_round(key, round, right));
    }
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&left.to_be_bytes());
    bytes[8..].copy_from_slice(&right.to_be_bytes());
    URL_SAFE.encode(bytes)
}

/// The inverse of `keyed_external_id`: `None` for text it never produces under `key`.
pub(crate) fn keyed_external_id_number(key: u64, text: &str) -> Option<u64> {
    let bytes: [u8; 16] = URL_SAFE.decode(text).ok()?.try_into().ok()?;
    if text.len() != 24 {
        return None;
    }
    let mut left = u64::from_be_bytes(bytes[..8].try_into().ok()?);
    let mut right = u64::from_be_bytes(bytes[8..].try_into().ok()?);
    for round in (0..4u64).rev() {
        (left, right) = (right ^ feistel_round(key, round, left), left);
    }
    (right == 0).then_some(left)
}

fn feistel_round(key: u64, round: u64, half: u64) -> u64 {
    mix64(half ^ key.rotate_left(17 * round as u32 + 7) ^ round.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// SplitMix64's finaliser: a fast, well-spread bijection on 64 bits, for values derived from a number.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod unit {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn formats_match_gumroad() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let token = token_from(&mut rng);
        assert_eq!(token.len(), 43);
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        let external = external_id_from(&mut rng);
        assert_eq!(external.len(), 24);
        assert!(external.ends_with("=="));
        let numeric = numeric_user_id_from(&mut rng);
        assert_eq!(numeric.len(), 13);
        assert!(numeric.parse::<u64>().is_ok_and(|n| n < 10_000_000_000_000));
    }

    #[test]
    fn obfuscated_ids_round_trip_below_two_to_the_thirty() {
        for id in [0u64, 1, 2, 1000, 123_456, (1 << 30) - 1] {
            let obfuscated = obfuscate_id(id);
            assert!(obfuscated < 1 << 30);
            assert_eq!(deobfuscate_id(obfuscated), Some(id));
        }
        assert_eq!(deobfuscate_id(1 << 30), None);
    }

    #[test]
    fn keyed_external_ids_round_trip_and_refuse_other_keys() {
        for n in [0u64, 1, 77, 1_000_000, u64::from(u32::MAX)] {
            let id = keyed_external_id(42, n);
            assert_eq!(id.len(), 24);
            assert!(id.ends_with("=="));
            assert_eq!(keyed_external_id_number(42, &id), Some(n));
            assert_eq!(keyed_external_id_number(43, &id), None);
        }
        assert_ne!(keyed_external_id(42, 1), keyed_external_id(42, 2));
        assert_eq!(keyed_external_id_number(42, "nope"), None);
        assert_eq!(
            keyed_external_id_number(42, "A-m3CDDC5dlrSdKZp0RFhA=="),
            None
        );
    }
}
