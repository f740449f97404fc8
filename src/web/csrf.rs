//! CSRF protection for every state-changing form: a per-session token (synchronizer pattern) in a
//! hidden field, compared in constant time. `SameSite=Lax` cookies are the second wall.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq as _;

use super::error::AppError;
use super::session::AppSession;

/// A form that carries the CSRF token in a `csrf_token` field.
pub trait CsrfProtected {
    fn csrf_token(&self) -> &str;
}

/// A form body whose CSRF token was checked against the session. Every POST handler takes one
/// (a `CsrfOnly` when the form has no other field); the test suite posts every form without a token.
pub struct CsrfForm<T>(pub T);

impl<T> FromRequest for CsrfForm<T>
where
    T: CsrfProtected + DeserializeOwned + 'static,
{
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let form = web::Form::<T>::from_request(req, payload);
        let session = AppSession::from_request(req, payload);
        Box::pin(async move {
            let session = session.await?;
            // An unreadable body is answered by `form_config`'s handler (400 or 413).
            let form = form.await?.into_inner();
            verify(&session, form.csrf_token())?;
            Ok(CsrfForm(form))
        })
    }
}

/// For handlers that must decide something else first (an admin route answers 404 to anyone not
/// an operator, whatever the token): check a submitted token against the session.
/// A session that views as a creator is refused here too (the second wall behind
/// `view_as::read_only_guard`): every state-changing form passes through this check.
pub(super) fn verify(session: &AppSession, submitted: &str) -> Result<(), AppError> {
    verify_token(session, submitted)?;
    if session.viewing_as().is_some() {
        return Err(AppError::ViewAsReadOnly);
    }
    Ok(())
}

/// The token check alone: only for `POST /view-as/end`, the one form a view-as session may send.
pub(super) fn verify_token(session: &AppSession, submitted: &str) -> Result<(), AppError> {
    let expected = session.stored_csrf_token()?.ok_or(AppError::CsrfRejected)?;
    if submitted.is_empty() || !bool::from(expected.as_bytes().ct_eq(submitted.as_bytes())) {
        return Err(AppError::CsrfRejected);
    }
    Ok(())
}

/// The body of a form whose only field is the CSRF token (sign out, and later confirmations).
#[derive(serde::Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

impl CsrfProtected for CsrfOnly {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}
