//! Tolerant deserializers: Gumroad's docs (and older code) send numbers and booleans as strings,
//! and ids are opaque strings that may arrive as numbers.

use serde::{Deserialize, Deserializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrNumber {
    String(String),
    Int(i64),
    Float(f64),
}

/// `"5530311507811"` or `5530311507811` → `"5530311507811"`.
pub fn opaque_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(match StringOrNumber::deserialize(deserializer)? {
        StringOrNumber::String(s) => s,
        StringOrNumber::Int(n) => n.to_string(),
        StringOrNumber::Float(f) => f.to_string(),
    })
}

/// Like [`opaque_id`] for an optional field; `null` and absence are both `None`.
pub fn opt_opaque_id<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    Ok(
        Option::<StringOrNumber>::deserialize(deserializer)?.map(|v| match v {
            StringOrNumber::String(s) => s,
            StringOrNumber::Int(n) => n.to_string(),
            StringOrNumber::Float(f) => f.to_string(),
        }),
    )
}

#[derive(Deserialize)]
#[serde(untagged)]
enum BoolLike {
    Bool(bool),
    String(String),
    Int(i64),
}

/// `true`, `"true"`, `1` → true; `false`, `"false"`, `0`, `""` → false; `null`/absent → `None`.
pub fn opt_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    match Option::<BoolLike>::deserialize(deserializer)? {
        None => Ok(None),
        Some(BoolLike::Bool(b)) => Ok(Some(b)),
        Some(BoolLike::Int(n)) => Ok(Some(n != 0)),
        Some(BoolLike::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" | "" => Ok(Some(false)),
            other => Err(serde::de::Error::custom(format!(
                "expected a boolean, got {other:?}"
            ))),
        },
    }
}

/// `12`, `"12"` → 12; `null`/absent → `None`.
pub fn opt_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    match Option::<StringOrNumber>::deserialize(deserializer)? {
        None => Ok(None),
        Some(StringOrNumber::Int(n)) => Ok(Some(n)),
        Some(StringOrNumber::Float(f)) if f.fract() == 0.0 => Ok(Some(f as i64)),
        Some(StringOrNumber::Float(f)) => Err(serde::de::Error::custom(format!(
            "expected a whole number, got {f}"
        ))),
        Some(StringOrNumber::String(s)) if s.trim().is_empty() => Ok(None),
        Some(StringOrNumber::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("expected a number, got {s:?}"))),
    }
}

/// Like [`opt_bool`], with absent or null meaning false.
pub fn bool_or_false<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    opt_bool(deserializer).map(Option::unwrap_or_default)
}

/// Like [`opt_i64`], with absent or null meaning 0.
pub fn i64_or_zero<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    opt_i64(deserializer).map(Option::unwrap_or_default)
}

/// A string that may be null: null becomes empty.
pub fn string_or_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Sample {
        #[serde(deserialize_with = "opaque_id")]
        id: String,
        #[serde(default, deserialize_with = "opt_bool")]
        flag: Option<bool>,
        #[serde(default, deserialize_with = "opt_i64")]
        count: Option<i64>,
    }

    fn parse(json: &str) -> Sample {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn numbers_and_booleans_arrive_as_strings_or_natively() {
        let native = parse(r#"{"id": 5530311507811, "flag": false, "count": 0}"#);
        let strings = parse(r#"{"id": "5530311507811", "flag": "false", "count": "0"}"#);
        for sample in [native, strings] {
            assert_eq!(sample.id, "5530311507811");
            assert_eq!(sample.flag, Some(false));
            assert_eq!(sample.count, Some(0));
        }
    }

    #[test]
    fn absent_and_null_fields_are_none() {
        let absent = parse(r#"{"id": "a"}"#);
        let null = parse(r#"{"id": "a", "flag": null, "count": null}"#);
        for sample in [absent, null] {
            assert_eq!(sample.flag, None);
            assert_eq!(sample.count, None);
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_guess() {
        assert!(serde_json::from_str::<Sample>(r#"{"id": "a", "flag": "maybe"}"#).is_err());
        assert!(serde_json::from_str::<Sample>(r#"{"id": "a", "count": "ten"}"#).is_err());
    }
}
