//! One error type for every handler, mapped to a status and a clear page. Details go to the log
//! (once, by the tracing middleware), never to the page: no raw error dumps, no secrets.

use std::borrow::Cow;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::gumroad::{GumroadError, TokenError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("sign-in required")]
    SignInRequired,
    #[error("not found")]
    NotFound,
    #[error("the CSRF token was missing or wrong")]
    CsrfRejected,
    #[error("the request could not be read")]
    BadRequest,
    /// A state-changing request from a session that views as a creator.
    #[error("read-only while viewing as a creator")]
    ViewAsReadOnly,
    /// An export asked for by an operator viewing as the creator.
    #[error("no export while viewing as a creator")]
    ExportWhileViewing,
    #[error("the form was too large")]
    TooLarge,
    #[error("too many requests from this client")]
    TooManyRequests,
    /// Every CSV export slot of this instance is in use.
    #[error("too many CSV exports at once")]
    ExportsBusy,
    #[error("the creator's account is disabled")]
    Disabled,
    #[error("the creator must reconnect Gumroad")]
    Reconnect,
    #[error("sign-in failed: {0}")]
    SignIn(#[from] SignInFailure),
    #[error("Gumroad call failed: {0}")]
    Gumroad(#[from] GumroadError),
    /// A change sent to Gumroad that did not come back confirmed; `back` is where to check it.
    #[error("a change sent to Gumroad was not confirmed: {error}")]
    WriteUnconfirmed { error: GumroadError, back: String },
    /// A query failed: "temporarily unavailable" (503) when the database cannot be reached, else
    /// an error of ours (500).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The session store could not reach the database (before any handler ran).
    #[error("the database is unavailable")]
    DatabaseUnavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum SignInFailure {
    #[error("the OAuth state was missing or did not match")]
    StateMismatch,
    #[error("the creator denied access")]
    Denied,
    #[error("Gumroad answered the authorization with error {code}")]
    Provider { code: String, description: String },
    #[error("the callback carried no code")]
    MissingCode,
    #[error("the code exchange failed: {0}")]
    Token(#[from] TokenError),
    #[error("fetching the profile failed: {0}")]
    Profile(GumroadError),
    #[error("a grant of more access came back for another Gumroad account")]
    GrantWrongAccount,
}

impl From<actix_session::SessionGetError> for AppError {
    fn from(error: actix_session::SessionGetError) -> Self {
        Self::Internal(anyhow::anyhow!("reading the session: {error}"))
    }
}

impl From<actix_session::SessionInsertError> for AppError {
    fn from(error: actix_session::SessionInsertError) -> Self {
        Self::Internal(anyhow::anyhow!("writing the session: {error}"))
    }
}

/// A link the error page offers: try again, sign in again, go home, check the product.
struct Action {
    label: &'static str,
    href: Cow<'static, str>,
}

// An empty href is the current URL: "try again" repeats the same GET.
const RETRY: Action = Action {
    label: "Try again",
    href: Cow::Borrowed(""),
};
const SIGN_IN_AGAIN: Action = Action {
    label: "Sign in with Gumroad again",
    href: Cow::Borrowed("/auth/gumroad"),
};
const RECONNECT: Action = Action {
    label: "Reconnect with Gumroad",
    href: Cow::Borrowed("/auth/gumroad"),
};
const DASHBOARD: Action = Action {
    label: "Back to your dashboard",
    href: Cow::Borrowed("/dashboard"),
};
const HOME: Action = Action {
    label: "Go to the start page",
    href: Cow::Borrowed("/"),
};

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    title: &'static str,
    message: String,
    action: Action,
}

struct Explained {
    status: StatusCode,
    title: &'static str,
    message: String,
    action: Action,
}

fn explain(
    status: StatusCode,
    title: &'static str,
    message: impl Into<String>,
    action: Action,
) -> Explained {
    Explained {
        status,
        title,
        message: message.into(),
        action,
    }
}

impl AppError {
    /// After a write: a failure that may have happened after Gumroad made the change is not one
    /// to retry blindly; the page says to check first. Other failures read as usual.
    pub fn write_failed(error: GumroadError, back: &str) -> Self {
        if error.is_transient() || matches!(error, GumroadError::Malformed { .. }) {
            Self::WriteUnconfirmed {
                error,
                back: back.to_owned(),
            }
        } else {
            Self::Gumroad(error)
        }
    }

    fn explained(&self) -> Explained {
        use StatusCode as S;
        match self {
            Self::SignInRequired => explain(
                S::UNAUTHORIZED,
                "Please sign in",
                "Sign in with Gumroad to see this page.",
                SIGN_IN_AGAIN,
            ),
            Self::NotFound => explain(
                S::NOT_FOUND,
                "Page not found",
                "There is nothing here, or it belongs to another account.",
                HOME,
            ),
            Self::CsrfRejected => explain(
                S::FORBIDDEN,
                "This form has expired",
                "For your safety the form was not sent. Go back, reload the page and try again.",
                HOME,
            ),
            Self::ExportWhileViewing => explain(
                S::FORBIDDEN,
                "Exports are the creator's own",
                "While you view gumdash as a creator for support, their buyers' data cannot be downloaded: the pages show what support needs. End the view-as from the banner to be yourself again.",
                DASHBOARD,
            ),
            Self::ViewAsReadOnly => explain(
                S::FORBIDDEN,
                "Read-only while viewing as a creator",
                "Nothing was changed: while you view gumdash as a creator for support, nothing can be changed. End the view-as from the banner to be yourself again.",
                DASHBOARD,
            ),
            Self::BadRequest => explain(
                S::BAD_REQUEST,
                "That request could not be read",
                "Something in the address or the form was not in the expected shape. Go back and try again.",
                HOME,
            ),
            Self::TooLarge => explain(
                S::PAYLOAD_TOO_LARGE,
                "That form is too large",
                "gumdash accepts forms up to 256 KB. Shorten the text (a long description, perhaps) and send it again.",
                HOME,
            ),
            Self::TooManyRequests => explain(
                S::TOO_MANY_REQUESTS,
                "Too many attempts",
                "There have been too many sign-in attempts from your network. Wait a minute, then try again.",
                HOME,
            ),
            Self::ExportsBusy => explain(
                S::TOO_MANY_REQUESTS,
                "Exports are busy",
                "Other CSV exports are running on this server right now. Wait a moment, then try again.",
                RETRY,
            ),
            Self::Disabled => explain(
                S::FORBIDDEN,
                "Account disabled",
                "This gumdash account has been disabled by the operator of this instance. Contact them to turn it back on.",
                HOME,
            ),
            Self::Reconnect => explain(
                S::UNAUTHORIZED,
                "Reconnect with Gumroad",
                "Gumroad no longer accepts gumdash's access to your account (the app may have been removed in your Gumroad settings). Reconnect to carry on; nothing you stored here is lost.",
                RECONNECT,
            ),
            Self::SignIn(failure) => explain_sign_in(failure),
            Self::Gumroad(error) => explain_gumroad(error, RETRY),
            Self::WriteUnconfirmed { error, back } => explain_unconfirmed_write(error, back),
            Self::Database(error) if crate::store::is_unavailable(error) => unavailable(),
            // A query that is wrong: ours to fix, logged with its detail (never shown).
            Self::Database(_) => explain(
                S::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "gumdash hit an unexpected error. It has been logged; please try again.",
                RETRY,
            ),
            Self::DatabaseUnavailable => unavailable(),
            Self::Internal(_) => explain(
                S::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "gumdash hit an unexpected error. It has been logged; please try again.",
                RETRY,
            ),
        }
    }
}

fn unavailable() -> Explained {
    explain(
        StatusCode::SERVICE_UNAVAILABLE,
        "Temporarily unavailable",
        "gumdash cannot reach its database right now. Nothing you did caused this; please try again in a moment.",
        RETRY,
    )
}

fn explain_sign_in(failure: &SignInFailure) -> Explained {
    use StatusCode as S;
    match failure {
        SignInFailure::StateMismatch => explain(
            S::BAD_REQUEST,
            "Sign-in link expired",
            "This sign-in could not be verified: it expired, was already used, or was started in another browser. Please start again.",
            SIGN_IN_AGAIN,
        ),
        SignInFailure::Denied => explain(
            S::FORBIDDEN,
            "Sign-in cancelled",
            "You chose not to give gumdash access to your Gumroad account, so you are not signed in. You can try again at any time.",
            SIGN_IN_AGAIN,
        ),
        SignInFailure::Provider { description, .. } => explain(
            S::BAD_REQUEST,
            "Gumroad could not sign you in",
            format!("Gumroad said: {description}"),
            SIGN_IN_AGAIN,
        ),
        SignInFailure::MissingCode => explain(
            S::BAD_REQUEST,
            "Sign-in incomplete",
            "Gumroad sent you back without a sign-in code. Please start again.",
            SIGN_IN_AGAIN,
        ),
        SignInFailure::Token(error) => explain_token(error),
        SignInFailure::Profile(error) => explain_gumroad(error, SIGN_IN_AGAIN),
        SignInFailure::GrantWrongAccount => explain(
            S::FORBIDDEN,
            "That was another Gumroad account",
            "Gumroad gave access for a different account from the one you are signed in to gumdash with, so nothing was changed. Sign in to Gumroad as yourself (or sign out of Gumroad first), then choose Grant access again.",
            DASHBOARD,
        ),
    }
}

fn explain_unconfirmed_write(error: &GumroadError, back: &str) -> Explained {
    let back = Action {
        label: "Back to check",
        href: Cow::Owned(back.to_owned()),
    };
    if *error == GumroadError::RateLimited {
        // A 429 comes before Gumroad does anything.
        return explain(
            StatusCode::SERVICE_UNAVAILABLE,
            "Gumroad is busy",
            "Gumroad is limiting requests right now, so nothing was changed. Wait a minute and try again.",
            back,
        );
    }
    let (status, reason) = match error {
        GumroadError::Timeout => (
            StatusCode::GATEWAY_TIMEOUT,
            "Gumroad took too long to answer",
        ),
        GumroadError::Unreachable => (StatusCode::BAD_GATEWAY, "the connection to Gumroad failed"),
        GumroadError::Malformed { .. } => (
            StatusCode::BAD_GATEWAY,
            "Gumroad's answer could not be read",
        ),
        _ => (
            StatusCode::BAD_GATEWAY,
            "Gumroad answered with a server error",
        ),
    };
    explain(
        status,
        "Your change may not have been saved",
        format!(
            "{reason}, so gumdash cannot tell whether the change was made. Check before trying again, so that nothing is done twice."
        ),
        back,
    )
}

fn explain_token(error: &TokenError) -> Explained {
    use StatusCode as S;
    match error {
        TokenError::InvalidGrant => explain(
            S::BAD_REQUEST,
            "Sign-in code rejected",
            "Gumroad did not accept the sign-in code: it expired, was already used, or belongs to another sign-in. Please start again.",
            SIGN_IN_AGAIN,
        ),
        TokenError::InvalidClient => explain(
            S::BAD_GATEWAY,
            "gumdash is not set up correctly",
            "Gumroad rejected this gumdash instance's app credentials, so nobody can sign in right now. Please tell the operator of this instance (GUMROAD_CLIENT_ID / GUMROAD_CLIENT_SECRET).",
            HOME,
        ),
        TokenError::Refused { description, .. } => explain(
            S::BAD_GATEWAY,
            "Gumroad could not sign you in",
            format!("Gumroad said: {description}"),
            SIGN_IN_AGAIN,
        ),
        TokenError::RateLimited => explain(
            S::SERVICE_UNAVAILABLE,
            "Gumroad is busy",
            "Gumroad is limiting sign-ins right now. Please wait a minute and sign in again.",
            SIGN_IN_AGAIN,
        ),
        TokenError::Server(_) | TokenError::Unreachable | TokenError::Malformed => explain(
            S::BAD_GATEWAY,
            "Gumroad is having trouble",
            "gumdash could not complete the sign-in with Gumroad. Please try again in a moment.",
            SIGN_IN_AGAIN,
        ),
        TokenError::Timeout => explain(
            S::GATEWAY_TIMEOUT,
            "Gumroad did not answer",
            "Gumroad took too long to complete the sign-in. Please try again.",
            SIGN_IN_AGAIN,
        ),
    }
}

fn explain_gumroad(error: &GumroadError, retry: Action) -> Explained {
    use StatusCode as S;
    match error {
        GumroadError::Unauthorized => AppError::Reconnect.explained(),
        GumroadError::MissingScope => explain(
            S::FORBIDDEN,
            "More access needed",
            "Your Gumroad connection does not include the permission this page needs. Reconnect and approve all requested permissions.",
            RECONNECT,
        ),
        GumroadError::NotFound { .. } | GumroadError::RouteNotFound => explain(
            S::NOT_FOUND,
            "Not found on Gumroad",
            "Gumroad could not find this. It may have been deleted.",
            HOME,
        ),
        GumroadError::Rejected { message } => explain(
            S::UNPROCESSABLE_ENTITY,
            "Gumroad refused",
            format!("Gumroad said: {message}"),
            retry,
        ),
        GumroadError::RateLimited => explain(
            S::SERVICE_UNAVAILABLE,
            "Gumroad is busy",
            "Gumroad is limiting requests right now. Please wait a minute and try again.",
            retry,
        ),
        GumroadError::Server { .. } => explain(
            S::BAD_GATEWAY,
            "Gumroad is having trouble",
            "Gumroad answered with a server error. Please try again in a moment.",
            retry,
        ),
        GumroadError::Timeout => explain(
            S::GATEWAY_TIMEOUT,
            "Gumroad did not answer",
            "Gumroad took too long to answer. Please try again.",
            retry,
        ),
        GumroadError::Unreachable => explain(
            S::BAD_GATEWAY,
            "Gumroad is unreachable",
            "gumdash could not connect to Gumroad. Please try again in a moment.",
            retry,
        ),
        GumroadError::Malformed { .. } => explain(
            S::BAD_GATEWAY,
            "Unexpected answer from Gumroad",
            "Gumroad sent an answer gumdash could not read. Please try again; if it keeps happening, tell the operator.",
            retry,
        ),
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        if matches!(self, Self::SignInRequired) {
            return StatusCode::SEE_OTHER;
        }
        self.explained().status
    }

    fn error_response(&self) -> HttpResponse {
        if matches!(self, Self::SignInRequired) {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/"))
                .finish();
        }
        let mut response = render_error(self.explained());
        if let Some(seconds) = self.retry_after() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        response
    }
}

impl AppError {
    /// Seconds to wait before trying again, for errors that pass by themselves.
    fn retry_after(&self) -> Option<u32> {
        match self {
            // A busy export slot frees when an export ends; most take seconds.
            Self::ExportsBusy => Some(10),
            Self::DatabaseUnavailable => Some(RETRY_AFTER_UNAVAILABLE),
            Self::Database(error) if crate::store::is_unavailable(error) => {
                Some(RETRY_AFTER_UNAVAILABLE)
            }
            _ => None,
        }
    }
}

fn render_error(explained: Explained) -> HttpResponse {
    let page = ErrorPage {
        title: explained.title,
        message: explained.message,
        action: explained.action,
    };
    match page.render() {
        Ok(html) => HttpResponse::build(explained.status)
            .content_type(ContentType::html())
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(html),
        Err(error) => {
            tracing::error!(%error, "the error page itself failed to render");
            HttpResponse::build(explained.status)
                .content_type(ContentType::plaintext())
                .body(explained.title)
        }
    }
}

/// Seconds a client is asked to wait while the database is away.
pub const RETRY_AFTER_UNAVAILABLE: u32 = 5;

/// The fallback for unknown routes.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}
