//! `/oauth/authorize`: Doorkeeper's pre-authorization checks, the consent page (shown every time, as for
//! Gumroad's non-confidential apps) and the Authorize / Deny decision (api-facts §3.2).

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use url::Url;

use super::login::redirect_to_login;
use super::signed_in;
use crate::sim::doorkeeper;
use crate::sim::params::Params;
use crate::sim::profile::Era;
use crate::sim::rails;
use crate::sim::redirect_uri;
use crate::sim::scopes;
use crate::sim::seed::SeededCreator;
use crate::sim::store::{Shared, SimState};
use crate::sim::tokens::{CODE_LIFETIME, Grant, Pkce, PkceMethod};

const DENIED: &str = "The resource owner or authorization server denied the request.";

/// The parameters the consent form carries, in the order Doorkeeper's form posts them.
const FORM_FIELDS: &[&str] = &[
    "client_id",
    "redirect_uri",
    "state",
    "response_type",
    "scope",
    "code_challenge",
    "code_challenge_method",
];

/// A request that passed every check.
struct Authorization {
    app_name: String,
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    state: Option<String>,
    pkce: Option<Pkce>,
}

/// Why a request was refused; shown on an error page, never redirected to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthorizeError {
    MissingParameter(&'static str),
    InvalidClient,
    InvalidRedirectUri,
    UnsupportedResponseType,
    InvalidScope,
    InvalidCodeChallengeMethod,
}

impl AuthorizeError {
    fn status(self) -> StatusCode {
        match self {
            AuthorizeError::InvalidClient => StatusCode::UNAUTHORIZED,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn code(self) -> &'static str {
        match self {
            AuthorizeError::MissingParameter(_) | AuthorizeError::InvalidCodeChallengeMethod => {
                "invalid_request"
            }
            AuthorizeError::InvalidClient => "invalid_client",
            AuthorizeError::InvalidRedirectUri => "invalid_redirect_uri",
            AuthorizeError::UnsupportedResponseType => "unsupported_response_type",
            AuthorizeError::InvalidScope => "invalid_scope",
        }
    }

    fn description(self) -> String {
        match self {
            AuthorizeError::MissingParameter(name) => doorkeeper::missing_parameter(name),
            AuthorizeError::InvalidClient => doorkeeper::INVALID_CLIENT.to_owned(),
            AuthorizeError::InvalidRedirectUri => doorkeeper::INVALID_REDIRECT_URI.to_owned(),
            AuthorizeError::UnsupportedResponseType => {
                doorkeeper::UNSUPPORTED_RESPONSE_TYPE.to_owned()
            }
            AuthorizeError::InvalidScope => doorkeeper::INVALID_SCOPE.to_owned(),
            AuthorizeError::InvalidCodeChallengeMethod => {
                doorkeeper::INVALID_CODE_CHALLENGE_METHOD.to_owned()
            }
        }
    }
}

/// Doorkeeper's checks, in the order they run: client id present, client known, redirect URI, response type,
/// scopes, PKCE method.
fn validate(state: &SimState, params: &Params) -> Result<Authorization, AuthorizeError> {
    let client_id = params
        .present("client_id")
        .ok_or(AuthorizeError::MissingParameter("client_id"))?;
    let app = state.app(client_id).ok_or(AuthorizeError::InvalidClient)?;
    let redirect = params.present("redirect_uri").unwrap_or("");
    if !redirect_uri::is_allowed(redirect, &app.redirect_uris) {
        return Err(AuthorizeError::InvalidRedirectUri);
    }
    if params.present("response_type").is_some_and(|t| t != "code") {
        return Err(AuthorizeError::UnsupportedResponseType);
    }
    let era = state.profile.profile;
    let stored = scopes::stored_by_app(&app.scopes, era);
    let scopes = allowed_scopes(params.present("scope"), &stored, era)?;
    Ok(Authorization {
        app_name: app.name.clone(),
        client_id: app.client_id.clone(),
        redirect_uri: redirect.to_owned(),
        scopes,
        state: params.present("state").map(str::to_owned),
        pkce: pkce(params)?,
    })
}

/// Every requested scope must be known to the era's server and stored on the app, and the string must not
/// hold tabs or newlines. Without `scope` Doorkeeper falls back to `view_public`, which a normal app lacks,
/// so that fails too.
fn allowed_scopes(
    requested: Option<&str>,
    app_scopes: &[String],
    era: Era,
) -> Result<Vec<String>, AuthorizeError> {
    let text = requested.unwrap_or(scopes::DEFAULT_SCOPE);
    let requested = scopes::parse(text);
    let valid = scopes::well_formed(text)
        && !requested.is_empty()
        && requested
            .iter()
            .all(|s| scopes::is_known_in(s, era) && app_scopes.iter().any(|a| a == s));
    if valid {
        Ok(requested)
    } else {
        Err(AuthorizeError::InvalidScope)
    }
}

fn pkce(params: &Params) -> Result<Option<Pkce>, AuthorizeError> {
    let Some(challenge) = params.present("code_challenge") else {
        return Ok(None);
    };
    let method = PkceMethod::parse(params.get("code_challenge_method"))
        .ok_or(AuthorizeError::InvalidCodeChallengeMethod)?;
    Ok(Some(Pkce {
        challenge: challenge.to_owned(),
        method,
    }))
}

#[derive(Template)]
#[template(path = "sim/oauth_error.html")]
struct ErrorPage {
    error: &'static str,
    description: String,
}

fn error_page(error: AuthorizeError) -> HttpResponse {
    rails::html(
        error.status(),
        &ErrorPage {
            error: error.code(),
            description: error.description(),
        },
    )
}

#[derive(Template)]
#[template(path = "sim/authorize.html")]
struct ConsentPage<'a> {
    app_name: &'a str,
    creator: &'a SeededCreator,
    permissions: Vec<&'static str>,
    redirect_host: String,
    /// Hidden fields for both forms.
    fields: Vec<(&'static str, String)>,
}

fn consent_page(auth: &Authorization, creator: &SeededCreator) -> HttpResponse {
    let fields = vec![
        ("client_id", auth.client_id.clone()),
        ("redirect_uri", auth.redirect_uri.clone()),
        ("state", auth.state.clone().unwrap_or_default()),
        ("response_type", "code".to_owned()),
        ("scope", auth.scopes.join(" ")),
    ];
    let pkce_fields = auth.pkce.iter().flat_map(|p| {
        [
            ("code_challenge", p.challenge.clone()),
            ("code_challenge_method", p.method.as_str().to_owned()),
        ]
    });
    let page = ConsentPage {
        app_name: &auth.app_name,
        creator,
        permissions: auth.scopes.iter().map(|s| scopes::describe(s)).collect(),
        redirect_host: Url::parse(&auth.redirect_uri)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default(),
        fields: fields.into_iter().chain(pkce_fields).collect(),
    };
    rails::html(StatusCode::OK, &page)
}

/// `GET /oauth/authorize`: sign in first, then the checks, then the consent page.
pub(super) async fn show(req: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    let Some(creator) = signed_in(&req, &shared) else {
        let here = req
            .uri()
            .path_and_query()
            .map_or("/oauth/authorize", |pq| pq.as_str());
        return redirect_to_login(here);
    };
    let params = Params::from_request(&req, &[]).unwrap_or_default();
    let result = validate(&shared.lock(), &params);
    match result {
        Ok(auth) => consent_page(&auth, &creator),
        Err(error) => error_page(error),
    }
}

/// `POST /oauth/authorize` (Authorize) and `DELETE /oauth/authorize` or `_method=delete` (Deny). The checks
/// run again: the form's hidden fields are as untrusted as the query was.
pub(super) async fn decide(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let Ok(params) = Params::from_request(&req, &body) else {
        return rails::error_response(StatusCode::BAD_REQUEST, false);
    };
    let Some(creator) = signed_in(&req, &shared) else {
        return redirect_to_login(&authorize_url(&params));
    };
    let deny = req.method() == Method::DELETE
        || params
            .get("_method")
            .is_some_and(|m| m.eq_ignore_ascii_case("delete"));
    let mut state = shared.lock();
    let auth = match validate(&state, &params) {
        Ok(auth) => auth,
        Err(error) => return error_page(error),
    };
    if deny {
        return redirect_back(
            &auth.redirect_uri,
            &[
                ("error", Some("access_denied")),
                ("error_description", Some(DENIED)),
                ("state", auth.state.as_deref()),
            ],
        );
    }
    let now = state.now();
    let expires_at = now + CODE_LIFETIME;
    let code = state.grants.issue(
        Grant {
            client_id: auth.client_id.clone(),
            creator_id: creator.id,
            redirect_uri: auth.redirect_uri.clone(),
            scopes: auth.scopes.clone(),
            expires_at,
            used: false,
            pkce: auth.pkce.clone(),
        },
        now,
    );
    drop(state);
    redirect_back(
        &auth.redirect_uri,
        &[("code", Some(&code)), ("state", auth.state.as_deref())],
    )
}

/// The GET authorize URL for the posted fields, so a visitor whose session ended can start over after login.
fn authorize_url(params: &Params) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for field in FORM_FIELDS {
        if let Some(value) = params.present(field) {
            query.append_pair(field, value);
        }
    }
    format!("/oauth/authorize?{}", query.finish())
}

/// 302 to the client with the pairs added to its query (after any it already has); blank values are left
/// out, as Doorkeeper drops them.
fn redirect_back(redirect_uri: &str, pairs: &[(&str, Option<&str>)]) -> HttpResponse {
    let Ok(mut url) = Url::parse(redirect_uri) else {
        return error_page(AuthorizeError::InvalidRedirectUri);
    };
    {
        let mut query = url.query_pairs_mut();
        for (key, value) in pairs {
            if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
                query.append_pair(key, value);
            }
        }
    }
    HttpResponse::Found()
        .insert_header((header::LOCATION, url.as_str()))
        .finish()
}
