//! Rails-style request parameters: the query string merged with a form or JSON body, on any method (Gumroad's
//! own docs send `-d access_token=…` with GET).

use actix_web::HttpRequest;
use actix_web::http::header;

/// The request's parameters. A key sent in both places takes the query string's value: Rails builds
/// `params` as `request_parameters.merge(query_parameters)`, so the query wins over the body.
#[derive(Debug, Default, Clone)]
pub(crate) struct Params {
    /// The query string's pairs, in order.
    query: Vec<(String, String)>,
    /// A form body's pairs, or a JSON body's scalar members, in order.
    body: Vec<(String, String)>,
    /// Body keys whose value was a JSON number or boolean rather than a string: Rails keeps those typed, so
    /// `params[:universal] == "true"` is false for JSON `true`.
    typed: Vec<String>,
    /// JSON body arrays, element by element (`None` for an element that is not a string).
    arrays: Vec<(String, Vec<Option<String>>)>,
}

/// The body could not be parsed (Rails answers 400 Bad Request).
#[derive(Debug)]
pub(crate) struct UnparseableParams;

impl Params {
    pub fn from_request(req: &HttpRequest, body: &[u8]) -> Result<Params, UnparseableParams> {
        let mut params = Params {
            query: parse_form(req.query_string().as_bytes())?,
            ..Params::default()
        };
        if !body.is_empty() {
            match body_kind(req) {
                BodyKind::Form => params.body = parse_form(body)?,
                BodyKind::Json => params.add_json(body)?,
                BodyKind::Other => {}
            }
        }
        Ok(params)
    }

    /// Only the query string's pairs, in order (what Rails' `request.query_parameters` holds).
    pub fn query_only(req: &HttpRequest) -> Vec<(String, String)> {
        parse_form(req.query_string().as_bytes()).unwrap_or_default()
    }

    /// Whether the value is exactly the string `"true"` (not JSON `true`): Gumroad's `params[:x] == "true"`.
    pub fn is_string_true(&self, key: &str) -> bool {
        let typed = last(&self.query, key).is_none() && self.typed.iter().any(|k| k == key);
        self.get(key) == Some("true") && !typed
    }

    /// `params[key]` as an array: `Some(Ok(items))` for a JSON array of strings or form `key[]=…` pairs,
    /// `Some(Err(()))` for anything else that was sent (a scalar, an object, non-string items), `None` when
    /// absent.
    /// The query string wins here too.
    pub fn array(&self, key: &str) -> Option<Result<Vec<String>, ()>> {
        if let Some(found) = form_array(&self.query, key) {
            return Some(found);
        }
        if let Some((_, items)) = self.arrays.iter().rev().find(|(k, _)| k == key) {
            return Some(items.iter().cloned().collect::<Option<Vec<_>>>().ok_or(()));
        }
        form_array(&self.body, key)
    }

    /// Whether `key` was sent at all (even blank).
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some() || self.arrays.iter().any(|(k, _)| k == key)
    }

    fn add_json(&mut self, bytes: &[u8]) -> Result<(), UnparseableParams> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|_| UnparseableParams)?;
        let serde_json::Value::Object(object) = value else {
            return Ok(());
        };
        for (key, value) in object {
            let text = match value {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => String::new(),
                serde_json::Value::Array(items) => {
                    let items = items
                        .into_iter()
                        .map(|item| match item {
                            serde_json::Value::String(s) => Some(s),
                            _ => None,
                        })
                        .collect();
                    self.arrays.push((key, items));
                    continue;
                }
                other @ (serde_json::Value::Bool(_) | serde_json::Value::Number(_)) => {
                    self.typed.push(key.clone());
                    other.to_string()
                }
                other => other.to_string(),
            };
            self.body.push((key, text));
        }
        Ok(())
    }

    /// The value sent for `key`: the query string's if it has one, else the body's; within each, the last,
    /// as Rack keeps the last of repeated keys.
    pub fn get(&self, key: &str) -> Option<&str> {
        last(&self.query, key).or_else(|| last(&self.body, key))
    }

    /// Like Rails' `params[key].presence`: `None` when absent or blank (whitespace only).
    pub fn present(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.trim().is_empty())
    }
}

fn last<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// `key[]=…` pairs as an array, a plain `key=…` as not an array, `None` when neither was sent.
fn form_array(pairs: &[(String, String)], key: &str) -> Option<Result<Vec<String>, ()>> {
    let bracketed = format!("{key}[]");
    let items: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| *k == bracketed)
        .map(|(_, v)| v.clone())
        .collect();
    if !items.is_empty() {
        return Some(Ok(items));
    }
    last(pairs, key).map(|_| Err(()))
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

#[cfg(test)]
mod unit {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn query_overrides_body_and_json_scalars_become_strings() {
        let req = TestRequest::get()
            .uri("/v2/user?a=query&b=1&u=true&tags=x")
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .to_http_request();
        let params = Params::from_request(
            &req,
            br#"{"a": "body", "n": 5, "t": true, "z": null, "u": true, "tags": ["a"]}"#,
        )
        .unwrap();
        assert_eq!(params.get("a"), Some("query"));
        assert!(
            params.is_string_true("u"),
            "the query's string wins over JSON true"
        );
        assert_eq!(params.array("tags"), Some(Err(())));
        assert_eq!(params.get("b"), Some("1"));
        assert_eq!(params.get("n"), Some("5"));
        assert_eq!(params.get("t"), Some("true"));
        assert_eq!(params.present("z"), None);
        assert!(
            !params.is_string_true("t"),
            "JSON true is not the string \"true\""
        );
    }

    #[test]
    fn arrays_from_json_and_form() {
        let json = TestRequest::post()
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .to_http_request();
        let params =
            Params::from_request(&json, br#"{"tags": ["a", "b"], "bad": ["a", 1], "s": "x"}"#)
                .unwrap();
        assert_eq!(params.array("tags"), Some(Ok(vec!["a".into(), "b".into()])));
        assert_eq!(params.array("bad"), Some(Err(())));
        assert_eq!(params.array("s"), Some(Err(())));
        assert_eq!(params.array("none"), None);
        let form = TestRequest::post()
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .to_http_request();
        let params = Params::from_request(&form, b"tags[]=a&tags[]=b&universal=true").unwrap();
        assert_eq!(params.array("tags"), Some(Ok(vec!["a".into(), "b".into()])));
        assert!(params.is_string_true("universal"));
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
