//! Client authentication at the token endpoint: HTTP Basic first, then `client_id` / `client_secret`
//! parameters (Doorkeeper's `from_basic`, `from_params`).

use actix_web::HttpRequest;
use actix_web::http::header;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq as _;

use crate::sim::SimApp;
use crate::sim::params::Params;
use crate::sim::store::SimState;

pub(super) struct Credentials {
    pub client_id: String,
    pub secret: Option<String>,
}

/// The credentials the client sent, if any.
pub(super) fn credentials(req: &HttpRequest, params: &Params) -> Option<Credentials> {
    from_basic(req).or_else(|| {
        params.present("client_id").map(|id| Credentials {
            client_id: id.to_owned(),
            secret: params.get("client_secret").map(str::to_owned),
        })
    })
}

/// `Authorization: Basic base64(id:secret)`, each part form-decoded as RFC 6749 §2.3.1 asks.
fn from_basic(req: &HttpRequest) -> Option<Credentials> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .get(..6)
        .filter(|s| s.eq_ignore_ascii_case("basic "))
        .map(|_| value[6..].trim())?;
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':').unwrap_or((decoded.as_str(), ""));
    let id = form_decode(id);
    (!id.trim().is_empty()).then(|| Credentials {
        client_id: id,
        secret: Some(form_decode(secret)),
    })
}

fn form_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Doorkeeper's `Application.by_uid_and_secret` for a non-confidential app: the uid must exist; a blank
/// secret is accepted (Gumroad's user-created apps are not confidential), a wrong non-blank one is not.
pub(super) fn authenticate(state: &SimState, credentials: &Credentials) -> Option<SimApp> {
    let app = state.app(&credentials.client_id)?;
    let secret = credentials.secret.as_deref().unwrap_or("");
    let accepted = secret.trim().is_empty()
        || bool::from(secret.as_bytes().ct_eq(app.client_secret.as_bytes()));
    accepted.then(|| app.clone())
}
