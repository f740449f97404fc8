//! Rails-style request parameters: the query string merged with a form or JSON body, on any method (Gumroad's
//! own docs send `-d access_token=…` with GET).

use actix_web::HttpRequest;
use actix_web::http::header;

/// The request's parameters, in arrival order: query first, then body, so a body value wins (Rails merges
/// `request_parameters` over `query_parameters`).
#[derive(Debug, Default, Clone)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

/// The body could not be parsed (Rails answers 400 Bad Request).
#[derive(Debug)]
pub(crate) struct UnparseableParams;

impl Params {
    pub fn from_request(req: &HttpRequest, body: &[u8]) -> Result<Params, UnparseableParams> {
        let mut pairs = parse_form(req.query_string().as_bytes())?;
        if !body.is_empty() {
            match body_kind(req) {
                BodyKind::Form => pairs.extend(parse_form(body)?),
                BodyKind::Json => pairs.extend(parse_json(body)?),
                BodyKind::Other => {}
            }
        }
        Ok(Params { pairs })
    }

    /// The last value sent for `key`, as Rack keeps the last of repeated keys.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Like Rails' `params[key].presence`: `None` when absent or blank (whitespace only).
    pub fn present(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.trim().is_empty())
    }
}

enum BodyKind {
    Form,
    Json,
    Other,
}

fn body_kind(req: &HttpRequest) -> BodyKind {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if mime == "application/x-www-form-urlencoded" {
        BodyKind::Form
    } else if mime == "application/json" || mime.ends_with("+json") {
        BodyKind::Json
    } else {
        BodyKind::Other
    }
}

fn parse_form(bytes: &[u8]) -> Result<Vec<(String, String)>, UnparseableParams> {
    serde_urlencoded::from_bytes(bytes).map_err(|_| UnparseableParams)
}

/// A JSON object's scalar members as strings, the way Rails would see them in `params`. Nested values are
/// kept as their JSON text; no route of the simulator reads them yet.
fn parse_json(bytes: &[u8]) -> Result<Vec<(String, String)>, UnparseableParams> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| UnparseableParams)?;
    let serde_json::Value::Object(object) = value else {
        return Ok(Vec::new());
    };
    Ok(object
        .into_iter()
        .map(|(key, value)| {
            let text = match value {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            (key, text)
        })
        .collect())
}

#[cfg(test)]
mod unit {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn body_overrides_query_and_json_scalars_become_strings() {
        let req = TestRequest::get()
            .uri("/v2/user?a=query&b=1")
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .to_http_request();
        let params =
            Params::from_request(&req, br#"{"a": "body", "n": 5, "t": true, "z": null}"#).unwrap();
        assert_eq!(params.get("a"), Some("body"));
        assert_eq!(params.get("b"), Some("1"));
        assert_eq!(params.get("n"), Some("5"));
        assert_eq!(params.get("t"), Some("true"));
        assert_eq!(params.present("z"), None);
    }

    #[test]
    fn form_body_on_get_counts_and_bad_json_is_refused() {
        let form = TestRequest::get()
            .uri("/v2/user")
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .to_http_request();
        assert_eq!(
            Params::from_request(&form, b"access_token=abc")
                .unwrap()
                .get("access_token"),
            Some("abc")
        );
        let json = TestRequest::post()
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .to_http_request();
        assert!(Params::from_request(&json, b"{nope").is_err());
    }
}
