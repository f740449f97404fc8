//! Doorkeeper's error texts and its `WWW-Authenticate` challenge (api-facts §3.2, §3.3, §3.5), shared by the
//! authorize page, the token endpoint and the API's token check.

pub(crate) const INVALID_CLIENT: &str = "Client authentication failed due to unknown client, no client \
                                         authentication included, or unsupported authentication method.";
pub(crate) const INVALID_GRANT: &str = "The provided authorization grant is invalid, expired, revoked, does not \
                                        match the redirection URI used in the authorization request, or was \
                                        issued to another client.";
pub(crate) const INVALID_SCOPE: &str = "The requested scope is invalid, unknown, or malformed.";
pub(crate) const INVALID_REDIRECT_URI: &str =
    "The requested redirect uri is malformed or doesn't match client redirect URI.";
pub(crate) const UNSUPPORTED_RESPONSE_TYPE: &str =
    "The authorization server does not support this response type.";
pub(crate) const UNSUPPORTED_GRANT_TYPE: &str =
    "The authorization grant type is not supported by the authorization server.";
pub(crate) const INVALID_CODE_CHALLENGE_METHOD: &str =
    "The code_challenge_method must be one of plain, S256.";
/// The resource server's 401 descriptions.
pub(crate) const TOKEN_INVALID: &str = "The access token is invalid";
pub(crate) const TOKEN_REVOKED: &str = "The access token was revoked";

/// `invalid_request`'s description.
pub(crate) fn missing_parameter(name: &str) -> String {
    format!("Missing required parameter: {name}.")
}

/// `Bearer realm="Doorkeeper", error="…", error_description="…"`.
pub(crate) fn challenge(error: &str, description: &str) -> String {
    format!(r#"Bearer realm="Doorkeeper", error="{error}", error_description="{description}""#)
}
