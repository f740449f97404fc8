//! Gumroad's keyset paging (api-facts §7), shared by the product and sales indexes: `page_key` cursors and
//! `next_page_url`.

use actix_web::HttpRequest;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};

use crate::sim::ids;
use crate::sim::params::Params;
use crate::sim::rails;

/// Objects per page on the product and sales indexes.
pub(super) const PAGE_SIZE: usize = 10;

/// `created_at` as `YYYYMMDDHHMMSS` + 6 microsecond digits, `-`, the obfuscated numeric id.
pub(super) fn page_key(created_at: DateTime<Utc>, id: u64) -> String {
    format!(
        "{}{:06}-{}",
        created_at.format("%Y%m%d%H%M%S"),
        created_at.timestamp_subsec_micros(),
        ids::obfuscate_id(id)
    )
}

/// The cursor's time and internal id, or `None` for anything `page_key` never produces.
pub(super) fn parse_page_key(key: &str) -> Option<(DateTime<Utc>, u64)> {
    let (stamp, id) = key.split_once('-')?;
    if stamp.len() != 20 || !stamp.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let time = NaiveDateTime::parse_from_str(&stamp[..14], "%Y%m%d%H%M%S").ok()?;
    let micros: i64 = stamp[14..].parse().ok()?;
    let time = time.and_utc() + TimeDelta::microseconds(micros);
    let id = ids::deobfuscate_id(id.parse().ok()?)?;
    Some((time, id))
}

/// Path and query only: the request's query minus `access_token`, `page` and `page_key`, plus the new
/// `page_key`, sorted, each part encoded as Addressable's `query_values=` does (a space is `%20`). Body
/// parameters never carry over.
pub(super) fn next_page_url(req: &HttpRequest, key: &str) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (k, v) in Params::query_only(req) {
        if matches!(k.as_str(), "access_token" | "page" | "page_key") {
            continue;
        }
        if !k.ends_with("[]") {
            pairs.retain(|(existing, _)| *existing != k);
        }
        pairs.push((k, v));
    }
    pairs.push(("page_key".to_owned(), key.to_owned()));
    let mut encoded: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect();
    encoded.sort();
    format!("{}?{}", rails::original_path(req), encoded.join("&"))
}

/// Addressable's `encode_component` with its unreserved class: everything but ASCII letters, digits and
/// `-._~` is percent-encoded (upper-case hex), so a space becomes `%20`, never `+`.
fn encode_component(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod unit {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn page_keys_round_trip() {
        let time =
            Utc.with_ymd_and_hms(2024, 3, 2, 10, 15, 0).unwrap() + TimeDelta::microseconds(42);
        let key = page_key(time, 77);
        assert!(key.starts_with("20240302101500000042-"));
        assert_eq!(parse_page_key(&key), Some((time, 77)));
        for bad in [
            "",
            "abc",
            "20240302101500000042",
            "2024030210150000004-1",
            "20241302101500000042-1",
            "20240302101500000042-x",
        ] {
            assert_eq!(parse_page_key(bad), None, "{bad}");
        }
    }
}
