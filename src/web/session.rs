//! Everything we keep in a session, behind typed methods: the signed-in creator, the pending OAuth
//! `state`, the CSRF token and one flash message. Sessions live in PostgreSQL (`store::sessions`).

use actix_session::{Session, SessionExt as _};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use rand::distr::{Alphanumeric, SampleString as _};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::future::{Ready, ready};

use crate::domain::TenantId;
use crate::store::sessions::CREATOR_ID_KEY;

use super::error::AppError;

const OAUTH_PENDING_KEY: &str = "oauth_pending";
const CSRF_KEY: &str = "csrf_token";
const FLASH_KEY: &str = "flash";
const RETURN_TO_KEY: &str = "return_to";
/// An operator's live "view as creator" (see `super::view_as`); the operator stays `creator_id`.
pub(super) const VIEW_AS_KEY: &str = "view_as";

pub struct AppSession(Session);

/// What the sign-in start leaves for the callback to check.
#[derive(Serialize, Deserialize)]
struct PendingOAuth {
    state: String,
    pkce_verifier: String,
    /// Set when the flow grants more access to this signed-in creator rather than signing in.
    #[serde(default)]
    grant_for: Option<i64>,
}

pub struct PendingSignIn {
    pub state: SecretString,
    pub pkce_verifier: SecretString,
    /// "Grant access" for this creator: the callback must come back with the same Gumroad account.
    pub grant_for: Option<TenantId>,
}

/// What an operator's session holds while viewing as a creator: the `view_as_sessions` row (the
/// truth, checked on every request) and what the banner shows.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ViewingAs {
    pub id: i64,
    pub creator_id: i64,
    pub name: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum FlashKind {
    Success,
    Info,
    /// Something the creator asked for did not happen (e.g. Gumroad refused to publish).
    Error,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Flash {
    pub kind: FlashKind,
    pub message: String,
}

impl AppSession {
    pub fn creator_id(&self) -> Result<Option<TenantId>, AppError> {
        Ok(self.0.get::<i64>(CREATOR_ID_KEY)?.map(TenantId::from_db))
    }

    pub(super) fn of(session: Session) -> Self {
        Self(session)
    }

    /// A new session id at sign-in (no fixation), and a new CSRF token with it.
    pub fn sign_in(&self, tenant: TenantId) -> Result<(), AppError> {
        self.0.renew();
        self.0.remove(CSRF_KEY);
        self.0.remove(VIEW_AS_KEY);
        self.0.insert(CREATOR_ID_KEY, tenant.get())?;
        Ok(())
    }

    /// The operator's view-as, as the session remembers it (`None` when not viewing as anyone, or
    /// when the entry cannot be read).
    pub fn viewing_as(&self) -> Option<ViewingAs> {
        self.0.get::<ViewingAs>(VIEW_AS_KEY).ok().flatten()
    }

    pub(super) fn start_viewing_as(&self, viewing: &ViewingAs) -> Result<(), AppError> {
        self.0.insert(VIEW_AS_KEY, viewing)?;
        Ok(())
    }

    /// Back to being oneself; the session (sign-in, CSRF token) is otherwise untouched.
    pub(super) fn stop_viewing_as(&self) {
        if self.0.contains_key(VIEW_AS_KEY) {
            self.0.remove(VIEW_AS_KEY);
        }
    }

    pub fn sign_out(&self) {
        self.0.purge();
    }

    /// After the creator's data was deleted (their session rows with it): a fresh, signed-out
    /// session that carries only this message to the landing page.
    pub fn end_with_flash(
        &self,
        kind: FlashKind,
        message: impl Into<String>,
    ) -> Result<(), AppError> {
        self.0.clear();
        self.0.renew();
        self.flash(kind, message)
    }

    pub fn begin_sign_in(&self, pending: PendingSignIn) -> Result<(), AppError> {
        self.0.insert(
            OAUTH_PENDING_KEY,
            PendingOAuth {
                state: pending.state.expose_secret().to_owned(),
                pkce_verifier: pending.pkce_verifier.expose_secret().to_owned(),
                grant_for: pending.grant_for.map(TenantId::get),
            },
        )?;
        Ok(())
    }

    /// The pending sign-in, removed so that a `state` works once.
    pub fn take_pending_sign_in(&self) -> Result<Option<PendingSignIn>, AppError> {
        let pending = self.0.remove_as::<PendingOAuth>(OAUTH_PENDING_KEY);
        Ok(match pending {
            Some(Ok(p)) => Some(PendingSignIn {
                state: SecretString::from(p.state),
                pkce_verifier: SecretString::from(p.pkce_verifier),
                grant_for: p.grant_for.map(TenantId::from_db),
            }),
            _ => None,
        })
    }

    /// Where to send the browser after the next sign-in (a local path), e.g. back to the sale whose
    /// action needed more access.
    pub fn set_return_to(&self, path: &str) -> Result<(), AppError> {
        self.0.insert(RETURN_TO_KEY, path)?;
        Ok(())
    }

    /// The path set by [`set_return_to`](Self::set_return_to), removed.
    pub fn take_return_to(&self) -> Option<String> {
        let path = self.0.get::<String>(RETURN_TO_KEY).ok().flatten();
        if path.is_some() {
            self.0.remove(RETURN_TO_KEY);
        }
        path
    }

    /// The session's CSRF token, made on first use.
    pub fn csrf_token(&self) -> Result<String, AppError> {
        if let Some(token) = self.0.get::<String>(CSRF_KEY)? {
            return Ok(token);
        }
        let token = Alphanumeric.sample_string(&mut rand::rng(), 43);
        self.0.insert(CSRF_KEY, &token)?;
        Ok(token)
    }

    pub(super) fn stored_csrf_token(&self) -> Result<Option<String>, AppError> {
        Ok(self.0.get::<String>(CSRF_KEY)?)
    }

    pub fn flash(&self, kind: FlashKind, message: impl Into<String>) -> Result<(), AppError> {
        self.0.insert(
            FLASH_KEY,
            Flash {
                kind,
                message: message.into(),
            },
        )?;
        Ok(())
    }

    /// The flash message, shown once. `Session::remove` marks the session changed even when the
    /// key is absent, which would write the session row back (and send a new cookie) on every page
    /// view: look first.
    pub fn take_flash(&self) -> Option<Flash> {
        let flash = self.0.get::<Flash>(FLASH_KEY).ok().flatten();
        if flash.is_some() {
            self.0.remove(FLASH_KEY);
        }
        flash
    }
}

impl FromRequest for AppSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self(req.get_session())))
    }
}
