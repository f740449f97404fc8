//! `GET /v2/user` (api-facts §6.6): the token owner's profile, with fields depending on the token's scopes.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::auth::{self, Needs};
use crate::sim::params::Params;
use crate::sim::rails;
use crate::sim::scopes;
use crate::sim::seed::SeededCreator;
use crate::sim::store::{Shared, SimState};

/// With any of `edit_products view_sales revenue_share ifttt view_profile`: nulls stay, plus private fields.
#[derive(Serialize)]
struct FullUser<'a> {
    name: &'a str,
    bio: Option<&'a str>,
    twitter_handle: Option<&'a str>,
    currency_type: &'a str,
    id: &'a str,
    user_id: &'a str,
    url: String,
    links: Option<Vec<String>>,
    profile_url: String,
    email: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<&'a str>,
}

/// With only other scopes: public fields, and `twitter_handle` dropped when null.
#[derive(Serialize)]
struct PublicUser<'a> {
    name: &'a str,
    bio: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    twitter_handle: Option<&'a str>,
    id: &'a str,
    user_id: &'a str,
    url: String,
    links: Option<Vec<String>>,
}

/// The two shapes, serialised in field order (a `serde_json::Value` would sort the keys).
#[derive(Serialize)]
#[serde(untagged)]
enum UserJson<'a> {
    Full(FullUser<'a>),
    Public(PublicUser<'a>),
}

#[derive(Serialize)]
struct Envelope<'a> {
    success: bool,
    user: UserJson<'a>,
}

pub(super) async fn show(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let Ok(params) = Params::from_request(&req, &body) else {
        return rails::error_response(StatusCode::BAD_REQUEST, rails::wants_json(&req));
    };
    let token = match auth::authorize(&shared, &req, &params, Needs::Read) {
        Ok(token) => token,
        Err(failure) => return auth::failure_response(failure),
    };
    // A token without a resource owner (client_credentials) makes Gumroad's `User.find(nil)` raise
    // RecordNotFound, which Rails turns into a 404.
    let found = token.creator_id.as_deref().and_then(|id| {
        let state = shared.lock();
        let creator = state.creator(id)?.clone();
        let links = links(&state, &creator);
        Some((creator, links))
    });
    let Some((creator, links)) = found else {
        return rails::error_response(StatusCode::NOT_FOUND, rails::wants_json(&req));
    };
    let user = if scopes::holds_any(&token.scopes, scopes::FULL_USER_SCOPES) {
        let with_profile = token.scopes.iter().any(|s| s == "view_profile");
        UserJson::Full(full_user(
            &creator,
            avatar_url(&req, &creator),
            with_profile,
            links,
        ))
    } else {
        UserJson::Public(public_user(&creator, links))
    };
    rails::json(
        StatusCode::OK,
        &Envelope {
            success: true,
            user,
        },
    )
}

/// The short URLs of the creator's live (not deleted) products, drafts included, oldest first; `None` when
/// there are none (Gumroad's `links.presence`).
fn links(state: &SimState, creator: &SeededCreator) -> Option<Vec<String>> {
    let mut products = state.catalog.live_products(&creator.id);
    products.reverse();
    let links: Vec<String> = products
        .iter()
        .map(|p| p.short_url(&creator.username))
        .collect();
    (!links.is_empty()).then_some(links)
}

fn full_user(
    creator: &SeededCreator,
    profile_url: String,
    with_profile: bool,
    links: Option<Vec<String>>,
) -> FullUser<'_> {
    FullUser {
        name: &creator.name,
        bio: creator.bio.as_deref(),
        twitter_handle: creator.twitter_handle.as_deref(),
        currency_type: &creator.currency_type,
        id: &creator.id,
        user_id: &creator.user_id,
        url: profile_page(creator),
        links,
        profile_url,
        email: &creator.email,
        // Gumroad's display name falls back to the username; seeded creators always have a name.
        display_name: with_profile.then_some(creator.name.as_str()),
    }
}

fn public_user(creator: &SeededCreator, links: Option<Vec<String>>) -> PublicUser<'_> {
    PublicUser {
        name: &creator.name,
        bio: creator.bio.as_deref(),
        twitter_handle: creator.twitter_handle.as_deref(),
        id: &creator.id,
        user_id: &creator.user_id,
        url: profile_page(creator),
        links,
    }
}

fn profile_page(creator: &SeededCreator) -> String {
    format!("https://{}.gumroad.com", creator.username)
}

/// The avatar is served by the simulator itself so demos work offline; the host is the one the client
/// used, so the URL also works when the simulator listens on every interface.
fn avatar_url(req: &HttpRequest, creator: &SeededCreator) -> String {
    let info = req.connection_info();
    format!(
        "{}://{}/avatars/{}.svg",
        info.scheme(),
        info.host(),
        creator.id
    )
}
