//! Sign in with Gumroad: the authorization-code flow, with the `oauth2` crate.
//!
//! Gumroad tokens never expire and a refresh revokes the old pair at once, so we never refresh.
//! The `state` check is the caller's job (the web layer keeps it in the server-side session).

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    TokenResponse as _, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

type ConfiguredClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

#[derive(Clone, Debug)]
pub struct OAuthClient {
    client: ConfiguredClient,
    http: reqwest::Client,
    scopes: Vec<String>,
    /// `POST /oauth/revoke` (RFC 7009), with the client credentials in the form body.
    revoke_url: Url,
    client_id: String,
    client_secret: SecretString,
}

/// Where to send the browser, and what to remember in the session until it comes back.
pub struct AuthorizeRequest {
    pub url: Url,
    pub state: SecretString,
    pub pkce_verifier: SecretString,
}

/// A fresh access token and the scopes Gumroad says it granted.
pub struct GrantedToken {
    pub access_token: SecretString,
    pub scopes: Vec<String>,
}

/// Why exchanging a code failed, in terms the sign-in pages can explain.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    /// `invalid_grant`: the code is wrong, used, expired, or for another redirect URI.
    #[error("Gumroad refused the sign-in code (invalid_grant)")]
    InvalidGrant,
    /// `invalid_client` (401): our client id or secret is wrong. An operator problem.
    #[error("Gumroad rejected gumdash's client id or secret (invalid_client)")]
    InvalidClient,
    /// Any other OAuth error code.
    #[error("Gumroad's token endpoint answered {code}: {description}")]
    Refused { code: String, description: String },
    #[error("Gumroad is rate limiting sign-ins")]
    RateLimited,
    #[error("Gumroad's token endpoint failed with HTTP {0}")]
    Server(u16),
    #[error("Gumroad's token endpoint did not answer in time")]
    Timeout,
    #[error("could not reach Gumroad's token endpoint")]
    Unreachable,
    #[error("Gumroad's token endpoint sent an answer gumdash cannot read")]
    Malformed,
}

/// Why Gumroad did not confirm that it revoked a token. Gumroad answers 200 for a token it does not
/// know or already revoked, so anything else means the token may still be live.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RevokeError {
    #[error("Gumroad refused gumdash's client credentials (HTTP {0})")]
    Refused(u16),
    #[error("Gumroad is rate limiting")]
    RateLimited,
    #[error("Gumroad's revoke endpoint failed with HTTP {0}")]
    Server(u16),
    #[error("Gumroad's revoke endpoint did not answer in time")]
    Timeout,
    #[error("could not reach Gumroad's revoke endpoint")]
    Unreachable,
}

/// Failures of our small HTTP adapter, before the `oauth2` crate sees a response.
#[derive(Debug, thiserror::Error)]
enum TransportError {
    #[error("rate limited")]
    RateLimited,
    #[error("server error {0}")]
    Server(u16),
    #[error("timed out")]
    Timeout,
    #[error("unreachable")]
    Unreachable,
}

impl OAuthClient {
    /// `oauth_base` is e.g. `https://gumroad.com/oauth/`; authorize and token URLs hang off it.
    pub fn new(
        client_id: &str,
        client_secret: &SecretString,
        oauth_base: &Url,
        redirect_uri: Url,
        scopes: Vec<String>,
        http: reqwest::Client,
    ) -> Self {
        let join = |path: &str| {
            oauth_base
                .join(path)
                .expect("a base URL joins a relative path")
                .to_string()
        };
        let client = BasicClient::new(ClientId::new(client_id.to_owned()))
            .set_client_secret(ClientSecret::new(client_secret.expose_secret().to_owned()))
            .set_auth_uri(AuthUrl::new(join("authorize")).expect("joined URL is valid"))
            .set_token_uri(TokenUrl::new(join("token")).expect("joined URL is valid"))
            .set_redirect_uri(RedirectUrl::from_url(redirect_uri))
            // Gumroad documents the client credentials in the form body.
            .set_auth_type(AuthType::RequestBody);
        Self {
            client,
            http,
            scopes,
            revoke_url: oauth_base
                .join("revoke")
                .expect("a base URL joins a relative path"),
            client_id: client_id.to_owned(),
            client_secret: client_secret.clone(),
        }
    }

    /// Revokes an access token at Gumroad (RFC 7009). `Ok` once Gumroad answers 200: the token is
    /// dead then, whether it was live, unknown or already revoked, so this is safe to repeat.
    #[tracing::instrument(name = "gumroad.revoke", skip_all)]
    pub async fn revoke(&self, token: &SecretString) -> Result<(), RevokeError> {
        let form = [
            ("token", token.expose_secret()),
            ("token_type_hint", "access_token"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose_secret()),
        ];
        let response = self
            .http
            .post(self.revoke_url.clone())
            .form(&form)
            .send()
            .await
            .map_err(|error| match transport_error(error) {
                TransportError::Timeout => RevokeError::Timeout,
                _ => RevokeError::Unreachable,
            })?;
        let status = response.status();
        match status.as_u16() {
            200..=299 => Ok(()),
            429 => Err(RevokeError::RateLimited),
            code if status.is_server_error() => Err(RevokeError::Server(code)),
            code => Err(RevokeError::Refused(code)),
        }
    }

    /// The authorize URL with a fresh random `state` and a PKCE challenge (Gumroad 2026 checks S256
    /// when sent; older Gumroad ignores it).
    /// The scopes every sign-in asks for.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    pub fn authorize(&self) -> AuthorizeRequest {
        self.authorize_with(&[])
    }

    /// Like [`authorize`](Self::authorize), asking for `extra` scopes besides the configured ones
    /// (each once): a new authorization whose token replaces the stored one ("Grant access").
    pub fn authorize_with(&self, extra: &[String]) -> AuthorizeRequest {
        let mut scopes = self.scopes.clone();
        for scope in extra {
            if !scopes.contains(scope) {
                scopes.push(scope.clone());
            }
        }
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(scopes.into_iter().map(Scope::new))
            .set_pkce_challenge(challenge)
            .url();
        AuthorizeRequest {
            url,
            state: SecretString::from(state.secret().clone()),
            pkce_verifier: SecretString::from(verifier.secret().clone()),
        }
    }

    #[tracing::instrument(name = "gumroad.exchange_code", skip_all)]
    pub async fn exchange_code(
        &self,
        code: &str,
        pkce_verifier: &SecretString,
    ) -> Result<GrantedToken, TokenError> {
        let http = &self.http;
        let send = |request: oauth2::HttpRequest| send(http, request);
        let response = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(
                pkce_verifier.expose_secret().to_owned(),
            ))
            .request_async(&send)
            .await
            .map_err(token_error)?;
        let scopes = match response.scopes() {
            Some(granted) => granted.iter().map(|s| s.to_string()).collect(),
            None => self.scopes.clone(),
        };
        Ok(GrantedToken {
            access_token: SecretString::from(response.access_token().secret().clone()),
            scopes,
        })
    }
}

fn token_error(
    error: RequestTokenError<TransportError, oauth2::StandardErrorResponse<BasicErrorResponseType>>,
) -> TokenError {
    match error {
        RequestTokenError::ServerResponse(response) => match response.error() {
            BasicErrorResponseType::InvalidGrant => TokenError::InvalidGrant,
            BasicErrorResponseType::InvalidClient => TokenError::InvalidClient,
            other => TokenError::Refused {
                code: other.to_string(),
                description: response.error_description().cloned().unwrap_or_default(),
            },
        },
        RequestTokenError::Request(TransportError::RateLimited) => TokenError::RateLimited,
        RequestTokenError::Request(TransportError::Server(status)) => TokenError::Server(status),
        RequestTokenError::Request(TransportError::Timeout) => TokenError::Timeout,
        RequestTokenError::Request(TransportError::Unreachable) => TokenError::Unreachable,
        RequestTokenError::Parse(..) | RequestTokenError::Other(_) => TokenError::Malformed,
    }
}

/// The `oauth2` crate's HTTP hook over our reqwest client. 429 and 5xx are caught here because
/// their bodies (text/plain, HTML) are not OAuth error JSON.
async fn send(
    http: &reqwest::Client,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, TransportError> {
    let (parts, body) = request.into_parts();
    let response = http
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .map_err(transport_error)?;
    let status = response.status();
    if status.as_u16() == 429 {
        return Err(TransportError::RateLimited);
    }
    if status.is_server_error() {
        return Err(TransportError::Server(status.as_u16()));
    }
    let mut builder = http::Response::builder().status(status);
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    let bytes = response.bytes().await.map_err(transport_error)?;
    builder
        .body(bytes.to_vec())
        .map_err(|_| TransportError::Unreachable)
}

fn transport_error(error: reqwest::Error) -> TransportError {
    if error.is_timeout() {
        TransportError::Timeout
    } else {
        TransportError::Unreachable
    }
}
