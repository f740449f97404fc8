//! Doorkeeper's resource-server checks (api-facts §3.5): find the token, refuse unknown or revoked ones
//! with an empty 401, and tokens without a needed scope with an empty 403.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

use crate::sim::doorkeeper;
use crate::sim::params::Params;
use crate::sim::profile::Era;
use crate::sim::scopes;
use crate::sim::store::Shared;
use crate::sim::tokens::{AccessToken, TokenStatus};

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    /// Missing or unknown token.
    Invalid,
    Revoked,
    /// A live token holding none of the scopes the action lists.
    InsufficientScope,
}

/// The scopes an action accepts; holding any one of them is enough.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Needs {
    /// Any public scope of the profile's era or `view_public`: any normal token.
    Read,
    /// Catalogue writes.
    EditProducts,
    /// Sales (and later subscribers and resource subscriptions).
    ViewSales,
    /// `refund_sales`, or in 2026 also `edit_sales`.
    Refund,
    MarkShipped,
    /// 2026: resending receipts.
    EditSales,
}

/// The live token of the request, or why it is refused (see `failure_response`).
pub(crate) fn authorize(
    shared: &Shared,
    req: &HttpRequest,
    params: &Params,
    needs: Needs,
) -> Result<AccessToken, AuthFailure> {
    let token = token_of(req, params).ok_or(AuthFailure::Invalid)?;
    let (status, era) = {
        let state = shared.lock();
        (state.tokens.status(&token), state.profile.profile)
    };
    let token = match status {
        TokenStatus::Unknown => return Err(AuthFailure::Invalid),
        TokenStatus::Revoked => return Err(AuthFailure::Revoked),
        TokenStatus::Active(token) => token,
    };
    let allowed = match needs {
        Needs::Read => scopes::holds_read(&token.scopes, era),
        Needs::EditProducts => scopes::holds_any(&token.scopes, &["edit_products"]),
        Needs::ViewSales => scopes::holds_any(&token.scopes, &["view_sales"]),
        Needs::Refund if era == Era::V2025_04 => {
            scopes::holds_any(&token.scopes, &["refund_sales"])
        }
        Needs::Refund => scopes::holds_any(&token.scopes, &["refund_sales", "edit_sales"]),
        Needs::MarkShipped => scopes::holds_any(&token.scopes, &["mark_sales_as_shipped"]),
        Needs::EditSales => scopes::holds_any(&token.scopes, &["edit_sales"]),
    };
    if allowed {
        Ok(token)
    } else {
        Err(AuthFailure::InsufficientScope)
    }
}

/// Doorkeeper's order: `Authorization: Bearer …` (scheme case-insensitive), then the `access_token`
/// parameter, then `bearer_token`. A blank value counts as absent and the next place is tried.
fn token_of(req: &HttpRequest, params: &Params) -> Option<String> {
    let from_header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.get(..7)
                .filter(|scheme| scheme.eq_ignore_ascii_case("bearer "))
                .map(|_| &v[7..])
        })
        .map(str::trim)
        .filter(|t| !t.is_empty());
    from_header
        .or_else(|| params.present("access_token"))
        .or_else(|| params.present("bearer_token"))
        .map(str::to_owned)
}

/// Doorkeeper's `head :unauthorized` / `head :forbidden`: empty bodies; only the 401 says why, in
/// `WWW-Authenticate`.
pub(crate) fn failure_response(failure: AuthFailure) -> HttpResponse {
    let description = match failure {
        AuthFailure::Invalid => doorkeeper::TOKEN_INVALID,
        AuthFailure::Revoked => doorkeeper::TOKEN_REVOKED,
        AuthFailure::InsufficientScope => return HttpResponse::Forbidden().finish(),
    };
    let challenge = doorkeeper::challenge("invalid_token", description);
    HttpResponse::Unauthorized()
        .insert_header((header::WWW_AUTHENTICATE, challenge))
        .finish()
}
