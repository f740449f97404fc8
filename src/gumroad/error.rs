/// Everything a Gumroad call can end in, besides success. None of these carry the token.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum GumroadError {
    /// 401: the token is unknown or was revoked (tokens never expire). The creator must reconnect.
    #[error("Gumroad rejected the access token (revoked or unknown)")]
    Unauthorized,
    /// 403: the token lacks every scope the endpoint accepts.
    #[error("the access token lacks the scope this needs")]
    MissingScope,
    /// `success:false` "… was not found." (HTTP 200), or an HTTP 404 from the API.
    #[error("not found: {message}")]
    NotFound { message: String },
    /// An HTTP 404 from Rails' router: the route does not exist on this Gumroad (for example product
    /// create/update before 2026).
    #[error("this Gumroad does not offer that API endpoint")]
    RouteNotFound,
    /// `success:false` for any other reason: Gumroad's own message, fit to show the creator.
    #[error("Gumroad refused: {message}")]
    Rejected { message: String },
    /// 429, still after the bounded retries.
    #[error("Gumroad is rate limiting requests")]
    RateLimited,
    /// 5xx, still after the bounded retries (reads only).
    #[error("Gumroad answered with a server error ({status})")]
    Server { status: u16 },
    #[error("Gumroad did not answer in time")]
    Timeout,
    #[error("could not reach Gumroad")]
    Unreachable,
    /// A status or body we do not understand.
    #[error("Gumroad sent an unexpected answer: {detail}")]
    Malformed { detail: String },
}

impl GumroadError {
    /// `what` did not deserialize. A fixed text with serde's category only: serde's message can
    /// quote the value (a buyer's email, say), and this text reaches the audit log and the logs.
    pub fn bad_shape(what: &str, error: &serde_json::Error) -> GumroadError {
        let category = match error.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "bad syntax",
            serde_json::error::Category::Data => "wrong types or values",
            serde_json::error::Category::Eof => "cut short",
        };
        GumroadError::Malformed {
            detail: format!("{what} did not have the expected shape ({category})"),
        }
    }

    /// Worth trying again after a pause (the caller decides whether the request is safe to repeat).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::RateLimited | Self::Server { .. } | Self::Timeout | Self::Unreachable
        )
    }

    /// A 429 is answered before Gumroad runs the request, so even a write may be repeated after one.
    pub fn was_not_processed(&self) -> bool {
        matches!(self, Self::RateLimited)
    }

    /// A short text for the operator (stored on the connection); never contains secrets.
    pub fn summary(&self) -> String {
        self.to_string()
    }
}

impl From<reqwest::Error> for GumroadError {
    fn from(error: reqwest::Error) -> Self {
        if error.is_timeout() {
            Self::Timeout
        } else if error.is_decode() || error.is_body() {
            Self::Malformed {
                detail: "the body could not be read".into(),
            }
        } else {
            Self::Unreachable
        }
    }
}
