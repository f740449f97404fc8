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
}
