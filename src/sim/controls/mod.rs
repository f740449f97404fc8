//! Test and demo controls under `/_sim/` (api-facts §1.2). Real Gumroad has none of these, and the
//! dashboard never calls them; only tests, demo scripts and people do. JSON in, JSON out.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Duration;
use serde::Deserialize;

pub(crate) mod pings;
pub(crate) mod sale_actions;
pub(crate) mod sales;
mod subscriptions;

use super::faults::{FaultError, FaultSpec};
use super::profile::Era;
use super::rails;
use super::scopes;
use super::store::{MAX_CLOCK_OFFSET, Shared, SimState};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/_sim/creators", web::get().to(creators))
        .route("/_sim/apps", web::get().to(apps))
        .route("/_sim/tokens", web::get().to(list_tokens))
        .route("/_sim/tokens", web::post().to(issue_token))
        .route("/_sim/tokens/revoke", web::post().to(revoke_tokens))
        .route("/_sim/faults", web::get().to(list_faults))
        .route("/_sim/faults", web::post().to(add_fault))
        .route("/_sim/faults", web::delete().to(clear_faults))
        .route("/_sim/profile", web::get().to(show_profile))
        .route("/_sim/profile", web::post().to(set_profile))
        .route("/_sim/catalog/{creator}", web::get().to(show_catalog))
        .route("/_sim/catalog/{creator}", web::post().to(update_catalog))
        .configure(sales::routes)
        .configure(pings::routes)
        .configure(subscriptions::routes)
        .configure(sale_actions::routes)
        .route("/_sim/reset", web::post().to(reset))
        .route("/_sim/clock", web::post().to(advance_clock));
}

/// `GET /_sim/creators`: the seeded creators, as an array.
async fn creators(shared: web::Data<Shared>) -> HttpResponse {
    let creators = shared.lock().creators.clone();
    rails::json(StatusCode::OK, &creators)
}

/// `GET /_sim/apps`: the registered OAuth apps, secrets included (the demo prints them).
async fn apps(shared: web::Data<Shared>) -> HttpResponse {
    let apps: Vec<serde_json::Value> = shared
        .lock()
        .apps
        .iter()
        .map(|a| {
            serde_json::json!({
                "name": a.name, "client_id": a.client_id, "client_secret": a.client_secret,
                "redirect_uris": a.redirect_uris, "scopes": a.scopes,
            })
        })
        .collect();
    rails::json(StatusCode::OK, &apps)
}

/// Scopes as `"a b"` or `["a", "b"]`.
#[derive(Deserialize)]
#[serde(untagged)]
enum ScopeList {
    Text(String),
    List(Vec<String>),
}

#[derive(Deserialize)]
struct IssueToken {
    client_id: String,
    /// Either of the creator's ids.
    user_id: String,
    /// Defaults to every scope the app stores.
    scopes: Option<ScopeList>,
}

/// `POST /_sim/tokens`: a token as if the creator had gone through consent. Any scope the server knows is
/// allowed, even one the app lacks, so tests can make tokens Gumroad would only give other apps.
async fn issue_token(body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let request: IssueToken = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => return bad_json(&err),
    };
    let mut state = shared.lock();
    let Some(app) = state.app(&request.client_id).cloned() else {
        return unprocessable("unknown client_id");
    };
    let Some(creator_id) = state
        .creator_by_either_id(&request.user_id)
        .map(|c| c.id.clone())
    else {
        return unprocessable("unknown user_id");
    };
    let scopes = match request.scopes {
        None => app.scopes.clone(),
        Some(ScopeList::Text(text)) => scopes::parse(&text),
        Some(ScopeList::List(list)) => scopes::parse(&list.join(" ")),
    };
    if let Some(unknown) = scopes.iter().find(|s| !scopes::is_known(s)) {
        return unprocessable(&format!("unknown scope {unknown:?}"));
    }
    let token = state.issue_direct_token(&app.client_id, &creator_id, scopes);
    rails::json(
        StatusCode::OK,
        &serde_json::json!({
            "access_token": token.token, "refresh_token": token.refresh_token, "scope": token.scope_string(),
        }),
    )
}

#[derive(Deserialize)]
struct TokensOf {
    /// Either of the creator's ids.
    user_id: String,
}

/// `GET /_sim/tokens?user_id=…`: the creator's tokens, oldest first, without their secrets: which
/// app, which scopes, when issued and when revoked (`null` while live). Shows that a client revoked
/// what it was given.
async fn list_tokens(query: web::Query<TokensOf>, shared: web::Data<Shared>) -> HttpResponse {
    let state = shared.lock();
    let Some(creator_id) = state
        .creator_by_either_id(&query.user_id)
        .map(|c| c.id.clone())
    else {
        return unprocessable("unknown user_id");
    };
    let tokens: Vec<serde_json::Value> = state
        .tokens
        .of_creator(&creator_id)
        .into_iter()
        .map(|t| {
            serde_json::json!({
                "client_id": t.client_id, "scope": t.scope_string(),
                "created_at": t.created_at, "revoked_at": t.revoked_at,
            })
        })
        .collect();
    rails::json(StatusCode::OK, &tokens)
}

#[derive(Deserialize)]
struct RevokeTokens {
    user_id: Option<String>,
    token: Option<String>,
}

/// `POST /_sim/tokens/revoke`: one token, or all of a creator's (as if they removed every app).
async fn revoke_tokens(body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let request: RevokeTokens = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => return bad_json(&err),
    };
    let mut state = shared.lock();
    let now = state.now();
    let revoked = match (request.user_id, request.token) {
        (Some(user_id), _) => {
            let Some(creator_id) = state.creator_by_either_id(&user_id).map(|c| c.id.clone())
            else {
                return unprocessable("unknown user_id");
            };
            state.pings.creator_revoked(&creator_id);
            state.tokens.revoke_creator(&creator_id, now)
        }
        (None, Some(token)) => usize::from(state.tokens.revoke_any(&token, now)),
        (None, None) => return unprocessable("send user_id or token"),
    };
    rails::json(StatusCode::OK, &serde_json::json!({ "revoked": revoked }))
}

async fn list_faults(shared: web::Data<Shared>) -> HttpResponse {
    let faults = shared.lock().faults.list();
    rails::json(StatusCode::OK, &faults)
}

/// `POST /_sim/faults`: see `faults::FaultSpec`.
async fn add_fault(body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let spec: FaultSpec = match serde_json::from_slice(&body) {
        Ok(spec) => spec,
        Err(err) => return bad_json(&err),
    };
    let mut state = shared.lock();
    let now = state.now();
    match state.faults.add(spec, now) {
        Ok(fault) => rails::json(StatusCode::CREATED, &fault),
        Err(FaultError::Invalid(message)) => unprocessable(&message),
        Err(FaultError::OutOfRange(message)) => bad_request(&message),
    }
}

async fn clear_faults(shared: web::Data<Shared>) -> HttpResponse {
    shared.lock().faults.clear();
    rails::json(StatusCode::OK, &serde_json::json!({}))
}

/// `POST /_sim/reset`: back to the seeded state.
async fn reset(shared: web::Data<Shared>) -> HttpResponse {
    shared.lock().reset();
    rails::json(StatusCode::OK, &serde_json::json!({}))
}

#[derive(Deserialize)]
struct AdvanceClock {
    seconds: i64,
}

/// `POST /_sim/clock {"seconds": 601}`: moves the simulator's clock forward (codes expire, rate-limit
/// windows roll over) without waiting.
async fn advance_clock(body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let request: AdvanceClock = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => return bad_json(&err),
    };
    if request.seconds < 0 {
        return unprocessable("seconds must be a non-negative number of seconds");
    }
    let offset =
        Duration::try_seconds(request.seconds).and_then(|by| shared.lock().advance_clock(by));
    let Some(offset) = offset else {
        return bad_request(&format!(
            "the clock can move at most {} seconds in total",
            MAX_CLOCK_OFFSET.num_seconds()
        ));
    };
    rails::json(
        StatusCode::OK,
        &serde_json::json!({ "offset_seconds": offset.num_seconds() }),
    )
}

#[derive(Deserialize)]
struct SetProfile {
    profile: Option<Era>,
    string_values: Option<bool>,
}

async fn show_profile(shared: web::Data<Shared>) -> HttpResponse {
    let profile = shared.lock().profile;
    rails::json(StatusCode::OK, &profile)
}

/// `POST /_sim/profile {"profile"?: "2025-04" | "2026", "string_values"?: bool}` → the whole profile. Omitted
/// members keep their value; `/_sim/reset` restores `{"profile": "2026", "string_values": false}`.
async fn set_profile(body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let request: SetProfile = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => return bad_json(&err),
    };
    let mut state = shared.lock();
    if let Some(era) = request.profile {
        state.profile.profile = era;
    }
    if let Some(string_values) = request.string_values {
        state.profile.string_values = string_values;
    }
    rails::json(StatusCode::OK, &state.profile)
}

/// `GET /_sim/catalog/<either creator id>`: everything the creator owns, deleted objects included, with
/// their ids (see `catalog_json`).
async fn show_catalog(path: web::Path<String>, shared: web::Data<Shared>) -> HttpResponse {
    let state = shared.lock();
    match catalog_json(&state, &path) {
        Some(catalog) => rails::json(StatusCode::OK, &catalog),
        None => unprocessable("unknown creator"),
    }
}

#[derive(Deserialize)]
struct UpdateCatalog {
    has_payment_method: Option<bool>,
}

/// `POST /_sim/catalog/<either creator id> {"has_payment_method": bool}` → the catalogue, as `GET`.
async fn update_catalog(
    path: web::Path<String>,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let request: UpdateCatalog = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => return bad_json(&err),
    };
    let mut state = shared.lock();
    let Some(creator_id) = state.creator_by_either_id(&path).map(|c| c.id.clone()) else {
        return unprocessable("unknown creator");
    };
    if let Some(has) = request.has_payment_method {
        state
            .catalog
            .payment_methods
            .insert(creator_id.clone(), has);
    }
    match catalog_json(&state, &creator_id) {
        Some(catalog) => rails::json(StatusCode::OK, &catalog),
        None => unprocessable("unknown creator"),
    }
}

/// A creator's catalogue for tests: `{creator_id, user_id, username, has_payment_method, products: [{id,
/// numeric_id, unique_permalink, custom_permalink, short_url, name, currency, price, published, deleted,
/// created_at, sales_count, sales_usd_cents, variant_categories: [{id, numeric_id, title, deleted, variants:
/// [{id, name, deleted}]}]}], offer_codes: [{id, name, product_id, universal, amount_cents, percent_off,
/// currency, max_purchase_count, minimum_amount_cents, times_used, deleted}], custom_fields: [{id, numeric_id,
/// type, name, required, global, products, deleted}]}`. Products newest first, deleted ones included; `created_at` keeps
/// microseconds.
pub(crate) fn catalog_json(state: &SimState, creator: &str) -> Option<serde_json::Value> {
    let creator = state.creator_by_either_id(creator)?;
    let catalog = &state.catalog;
    let mut products: Vec<_> = catalog
        .products
        .iter()
        .filter(|p| p.creator_id == creator.id)
        .collect();
    products.sort_by_key(|p| std::cmp::Reverse((p.created_at, p.id)));
    let products: Vec<serde_json::Value> = products
        .into_iter()
        .map(|p| {
            let categories: Vec<serde_json::Value> = p
                .variant_categories
                .iter()
                .map(|c| {
                    let variants: Vec<serde_json::Value> = c
                        .variants
                        .iter()
                        .map(|v| serde_json::json!({"id": v.external_id, "name": v.name, "deleted": v.deleted}))
                        .collect();
                    serde_json::json!({"id": c.external_id, "numeric_id": c.id, "title": c.title, "deleted": c.deleted, "variants": variants})
                })
                .collect();
            serde_json::json!({
                "id": p.external_id, "numeric_id": p.id, "unique_permalink": p.unique_permalink,
                "custom_permalink": p.custom_permalink,
                "short_url": p.short_url(&creator.username),
                "name": p.name, "currency": p.currency, "price": p.price, "published": p.published,
                "deleted": p.deleted,
                "created_at": p.created_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "sales_count": state.sales.totals(p.id).count,
                "sales_usd_cents": state.sales.totals(p.id).usd_cents,
                "variant_categories": categories,
            })
        })
        .collect();
    let offer_codes: Vec<serde_json::Value> = catalog
        .offer_codes
        .iter()
        .filter(|c| c.creator_id == creator.id)
        .map(|c| {
            serde_json::json!({
                "id": c.external_id, "name": c.name,
                "product_id": c.product_id.and_then(|id| catalog.product_external_id(id)),
                "universal": c.universal, "amount_cents": c.amount_cents, "percent_off": c.percent_off,
                "currency": c.currency, "max_purchase_count": c.max_purchase_count,
                "minimum_amount_cents": c.minimum_amount_cents, "times_used": c.times_used,
                "deleted": c.deleted,
            })
        })
        .collect();
    let custom_fields: Vec<serde_json::Value> = catalog
        .custom_fields
        .iter()
        .filter(|f| f.creator_id == creator.id)
        .map(|f| {
            let products: Vec<&str> = f
                .product_ids
                .iter()
                .filter_map(|id| catalog.product_external_id(*id))
                .collect();
            serde_json::json!({
                "id": f.external_id, "numeric_id": f.id, "type": f.field_type, "name": f.name, "required": f.required,
                "global": f.global, "products": products, "deleted": f.deleted,
            })
        })
        .collect();
    Some(serde_json::json!({
        "creator_id": creator.id, "user_id": creator.user_id, "username": creator.username,
        "has_payment_method": catalog.has_payment_method(&creator.id),
        "products": products, "offer_codes": offer_codes, "custom_fields": custom_fields,
    }))
}

/// A control's optional JSON body: empty is `T::default()`, bad JSON a 400.
pub(super) fn optional_json<T: Default + serde::de::DeserializeOwned>(
    body: &[u8],
) -> Result<T, Box<HttpResponse>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|err| Box::new(bad_json(&err)))
}

/// The control's body is not the JSON it expects.
pub(super) fn bad_json(err: &serde_json::Error) -> HttpResponse {
    bad_request(&err.to_string())
}

/// A value the control refuses outright (an absurd number).
fn bad_request(message: &str) -> HttpResponse {
    rails::json(
        StatusCode::BAD_REQUEST,
        &serde_json::json!({ "error": message }),
    )
}

pub(super) fn unprocessable(message: &str) -> HttpResponse {
    rails::json(
        StatusCode::UNPROCESSABLE_ENTITY,
        &serde_json::json!({ "error": message }),
    )
}
