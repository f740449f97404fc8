//! What every catalogue endpoint shares: token check, owner lookup, the product in the URL, and Gumroad's
//! response envelopes (api-facts §4).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

use super::auth::{self, Needs};
use crate::sim::catalog::Product;
use crate::sim::catalog::json::{self, J};
use crate::sim::params::Params;
use crate::sim::profile::Profile;
use crate::sim::rails;
use crate::sim::rate_limit::{self, Tier};
use crate::sim::store::{Shared, SimState};

/// An authorised request: its parameters and the token owner.
pub(super) struct Call {
    pub params: Params,
    /// The owner's numeric user id.
    pub creator_id: String,
    /// The app the token was issued to.
    pub client_id: String,
    /// The token holds `view_sales` (products then show their sales numbers).
    pub with_sales: bool,
    pub json: bool,
}

/// Parses parameters (400 if unparseable), checks the token (empty 401/403) and finds its owner: a token
/// without a resource owner, or for an unknown user, makes Gumroad's `User.find` raise: Rails' 404.
fn begin(
    req: &HttpRequest,
    body: &[u8],
    shared: &Shared,
    needs: Needs,
) -> Result<Call, Box<HttpResponse>> {
    let json = rails::wants_json(req);
    let params = Params::from_request(req, body)
        .map_err(|_| Box::new(rails::error_response(StatusCode::BAD_REQUEST, json)))?;
    let token = auth::authorize(shared, req, &params, needs)
        .map_err(|failure| Box::new(auth::failure_response(failure)))?;
    let client_id = token.client_id.clone();
    let creator_id = token
        .creator_id
        .filter(|id| shared.lock().creator(id).is_some())
        .ok_or_else(|| Box::new(rails::error_response(StatusCode::NOT_FOUND, json)))?;
    Ok(Call {
        params,
        creator_id,
        client_id,
        with_sales: token.scopes.iter().any(|s| s == "view_sales"),
        json,
    })
}

/// Runs `action` for an authorised request with the state locked.
pub(super) fn handle(
    req: &HttpRequest,
    body: &[u8],
    shared: &Shared,
    needs: Needs,
    action: impl FnOnce(&Call, &mut SimState) -> HttpResponse,
) -> HttpResponse {
    match begin(req, body, shared, needs) {
        Ok(call) => action(&call, &mut shared.lock()),
        Err(response) => *response,
    }
}

/// Like `handle`, for routes under `/v2/products/:id`: the owner's product (deleted ones too) by external id
/// or unique permalink, else "The product was not found.".
pub(super) fn handle_product(
    req: &HttpRequest,
    body: &[u8],
    shared: &Shared,
    needs: Needs,
    action: impl FnOnce(&Call, &mut SimState, usize) -> HttpResponse,
) -> HttpResponse {
    let key = segment(req, 3);
    handle(req, body, shared, needs, |call, state| {
        match state.catalog.product_index(&call.creator_id, &key) {
            Some(index) => action(call, state, index),
            None => failure("The product was not found."),
        }
    })
}

/// rack-attack runs before routing reaches the controller: a throttled request is refused whatever its token.
pub(super) fn throttled(
    req: &HttpRequest,
    shared: &Shared,
    rule: &'static str,
    tiers: &[Tier],
) -> Option<HttpResponse> {
    let ip = rate_limit::client_ip(req);
    let mut state = shared.lock();
    let now = state.now().timestamp();
    (!state.rate_limiter.allow(rule, tiers, &ip, now)).then(rate_limit::throttled_response)
}

/// The raw path segment at `index` (`/v2/products/:id` has the id at 3), fully percent-decoded the way
/// Rails decodes path parameters (actix leaves `%2F` encoded).
pub(super) fn segment(req: &HttpRequest, index: usize) -> String {
    let raw = req.path().split('/').nth(index).unwrap_or("");
    percent_decode(raw)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `{"success": true, <pairs>}`; the objects become strings under the docs-style profile.
pub(super) fn success_with(profile: Profile, pairs: Vec<(&str, J)>) -> HttpResponse {
    let mut body = vec![("success", J::Bool(true))];
    for (key, value) in pairs {
        let value = if profile.string_values {
            value.stringified()
        } else {
            value
        };
        body.push((key, value));
    }
    rails::json(StatusCode::OK, &J::obj(body))
}

pub(super) fn success(profile: Profile, key: &str, value: J) -> HttpResponse {
    success_with(profile, vec![(key, value)])
}

/// A business error: HTTP 200 with `success: false`.
pub(super) fn failure(message: &str) -> HttpResponse {
    rails::json(
        StatusCode::OK,
        &J::obj(vec![
            ("success", J::Bool(false)),
            ("message", message.into()),
        ]),
    )
}

/// "The <object> was deleted successfully."
pub(super) fn deleted(object: &str) -> HttpResponse {
    rails::json(
        StatusCode::OK,
        &J::obj(vec![
            ("success", J::Bool(true)),
            (
                "message",
                format!("The {object} was deleted successfully.").into(),
            ),
        ]),
    )
}

/// The product at `index` in the envelope `{"success": true, "product": …}`.
pub(super) fn product_response(call: &Call, state: &SimState, index: usize) -> HttpResponse {
    let product = &state.catalog.products[index];
    let username = username(state, &product.creator_id);
    success(
        state.profile,
        "product",
        json::product(
            &state.catalog,
            product,
            &username,
            sales_numbers(call, state, product),
        ),
    )
}

/// `sales_count` and `sales_usd_cents` from the sales store, for tokens holding `view_sales`.
pub(super) fn sales_numbers(
    call: &Call,
    state: &SimState,
    product: &Product,
) -> Option<(i64, i64)> {
    call.with_sales.then(|| {
        let totals = state.sales.totals(product.id);
        (totals.count, totals.usd_cents)
    })
}

pub(super) fn username(state: &SimState, creator_id: &str) -> String {
    state
        .creator(creator_id)
        .map_or_else(String::new, |c| c.username.clone())
}

#[cfg(test)]
mod unit {
    use super::percent_decode;

    #[test]
    fn decodes_everything_rails_would() {
        assert_eq!(percent_decode("abc%3D%3D"), "abc==");
        assert_eq!(
            percent_decode("https:%2F%2Fexample.com%2Fterms"),
            "https://example.com/terms"
        );
        assert_eq!(percent_decode("Caf%C3%A9%20name+x"), "Café name+x");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
