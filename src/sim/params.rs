//! Rails-style request parameters: the query string merged with a form, multipart or JSON body, on any
//! method (Gumroad's own docs send `-d access_token=…` with GET, and `-F` at times).

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
    /// Names of multipart file parts: sent (Rack makes them upload objects), but never a string value.
    files: Vec<String>,
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
                BodyKind::Multipart(boundary) => {
                    (params.body, params.files) = parse_multipart(body, &boundary)?;
                }
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
        self.get(key).is_some()
            || self.arrays.iter().any(|(k, _)| k == key)
            || self.files.iter().any(|k| k == key)
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
    /// `multipart/form-data` with its boundary (Rack reads nothing without one).
    Multipart(String),
    Json,
    Other,
}

fn body_kind(req: &HttpRequest) -> BodyKind {
    let raw = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let content_type = raw.to_ascii_lowercase();
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if mime == "application/x-www-form-urlencoded" {
        BodyKind::Form
    } else if mime == "multipart/form-data" {
        // The boundary is case-sensitive: take it from the header as sent.
        header_param(raw, "boundary").map_or(BodyKind::Other, BodyKind::Multipart)
    } else if mime == "application/json" || mime.ends_with("+json") {
        BodyKind::Json
    } else {
        BodyKind::Other
    }
}

fn parse_form(bytes: &[u8]) -> Result<Vec<(String, String)>, UnparseableParams> {
    serde_urlencoded::from_bytes(bytes).map_err(|_| UnparseableParams)
}

/// A `; name=value` or `; name="value"` parameter of a header value (name case-insensitive; `\` escapes in
/// a quoted value are undone).
fn header_param(value: &str, name: &str) -> Option<String> {
    let mut rest = value.split_once(';')?.1;
    loop {
        let (key, after) = rest.split_once('=')?;
        let key = key.trim();
        let after = after.trim_start();
        let (found, tail) = if let Some(quoted) = after.strip_prefix('"') {
            let mut text = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => text.extend(chars.next().map(|(_, c)| c)),
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => text.push(c),
                }
            }
            (text, &quoted[end?..])
        } else {
            let end = after.find(';').unwrap_or(after.len());
            (after[..end].trim().to_owned(), &after[end..])
        };
        if key.eq_ignore_ascii_case(name) {
            return Some(found);
        }
        rest = tail.split_once(';')?.1;
    }
}

type Pairs = Vec<(String, String)>;

/// A `multipart/form-data` body: text parts as pairs, in order, and the names of file parts (those with a
/// `filename`; one with an empty `filename`, no file chosen, is dropped as Rack drops it). A body that is not
/// framed by the boundary, or a text part that is not UTF-8, cannot be parsed (Rails: 400).
fn parse_multipart(body: &[u8], boundary: &str) -> Result<(Pairs, Vec<String>), UnparseableParams> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut pairs = Vec::new();
    let mut files = Vec::new();
    // Anything before the first delimiter is preamble.
    let start = find(body, delimiter).ok_or(UnparseableParams)?;
    let mut rest = &body[start + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            return Ok((pairs, files));
        }
        rest = rest.strip_prefix(b"\r\n").ok_or(UnparseableParams)?;
        let headers_end = find(rest, b"\r\n\r\n").ok_or(UnparseableParams)?;
        let headers = std::str::from_utf8(&rest[..headers_end]).map_err(|_| UnparseableParams)?;
        let after_headers = &rest[headers_end + 4..];
        let mut closing = b"\r\n".to_vec();
        closing.extend_from_slice(delimiter);
        let content_end = find(after_headers, &closing).ok_or(UnparseableParams)?;
        let content = &after_headers[..content_end];
        rest = &after_headers[content_end + closing.len()..];

        let disposition = headers.split("\r\n").find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-disposition")
                .then_some(value.trim())
        });
        let Some(disposition) = disposition else {
            continue;
        };
        let Some(name) = header_param(disposition, "name") else {
            continue;
        };
        match header_param(disposition, "filename") {
            Some(filename) if filename.is_empty() => {}
            Some(_) => files.push(name),
            None => {
                let value = String::from_utf8(content.to_vec()).map_err(|_| UnparseableParams)?;
                pairs.push((name, value));
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
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
    fn multipart_text_fields_count_and_file_parts_are_only_sent() {
        let req = TestRequest::post()
            .insert_header((
                header::CONTENT_TYPE,
                "multipart/form-data; boundary=\"AbC\"",
            ))
            .to_http_request();
        let body = b"preamble\r\n--AbC\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nA \xc3\xa9\r\n\
line two\r\n--AbC\r\nContent-Disposition: form-data; name=\"tags[]\"\r\n\r\nx\r\n\
--AbC\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\
Content-Type: application/pdf\r\n\r\n%PDF\xff\r\n--AbC\r\nContent-Disposition: form-data; name=\"empty\"; \
filename=\"\"\r\n\r\n\r\n--AbC--\r\n";
        let params = Params::from_request(&req, body).unwrap();
        assert_eq!(params.get("name"), Some("A \u{e9}\r\nline two"));
        assert_eq!(params.array("tags"), Some(Ok(vec!["x".into()])));
        assert!(params.has("file") && params.get("file").is_none());
        assert!(!params.has("empty"));
        assert!(Params::from_request(&req, b"--AbC\r\nno end").is_err());
        let no_boundary = TestRequest::post()
            .insert_header((header::CONTENT_TYPE, "multipart/form-data"))
            .to_http_request();
        assert!(
            !Params::from_request(&no_boundary, body)
                .unwrap()
                .has("name")
        );
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
