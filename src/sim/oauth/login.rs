//! The simulator's stand-in for Gumroad's sign-in: pick a seeded creator, get a session cookie, go back to
//! where you were (usually the consent page).

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{SESSION_COOKIE, signed_in};
use crate::sim::ids;
use crate::sim::params::Params;
use crate::sim::rails;
use crate::sim::seed::SeededCreator;
use crate::sim::store::Shared;

#[derive(Template)]
#[template(path = "sim/login.html")]
struct LoginPage<'a> {
    creators: &'a [SeededCreator],
    next: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "sim/home.html")]
struct HomePage {
    creator: Option<SeededCreator>,
}

pub(super) async fn show(req: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    let params = Params::from_request(&req, &[]).unwrap_or_default();
    let next = safe_next(params.get("next"));
    login_page(StatusCode::OK, &shared, next, None)
}

pub(super) async fn sign_in(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let params = Params::from_request(&req, &body).unwrap_or_default();
    let next = safe_next(params.get("next"));
    let creator_id = params.get("user_id").unwrap_or("");
    let session_id = {
        let mut state = shared.lock();
        match state.creator(creator_id) {
            Some(creator) => {
                let creator_id = creator.id.clone();
                let session_id = ids::random_token();
                state.sessions.insert(session_id.clone(), creator_id);
                Some(session_id)
            }
            None => None,
        }
    };
    let Some(session_id) = session_id else {
        return login_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &shared,
            next,
            Some("There is no such creator."),
        );
    };
    let cookie = Cookie::build(SESSION_COOKIE, session_id)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish();
    HttpResponse::Found()
        .cookie(cookie)
        .insert_header((header::LOCATION, next))
        .finish()
}

/// `/`: who is signed in, with a way to sign in. Gumroad's home page is its marketing site; this is just
/// where a login without `next` lands.
pub(crate) async fn home(req: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    rails::html(
        StatusCode::OK,
        &HomePage {
            creator: signed_in(&req, &shared),
        },
    )
}

/// 302 to the login page, which will send the visitor back to `back_to` afterwards.
pub(super) fn redirect_to_login(back_to: &str) -> HttpResponse {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("next", back_to)
        .finish();
    HttpResponse::Found()
        .insert_header((header::LOCATION, format!("/oauth/login?{query}")))
        .finish()
}

fn login_page(
    status: StatusCode,
    shared: &Shared,
    next: &str,
    error: Option<&str>,
) -> HttpResponse {
    let creators = shared.lock().creators.clone();
    rails::html(
        status,
        &LoginPage {
            creators: &creators,
            next,
            error,
        },
    )
}

/// Only a local path may follow the login, so the page cannot be used to bounce visitors elsewhere:
/// `//host` and `/\host` are other hosts to a browser. Browsers send paths percent-encoded, so anything but
/// visible ASCII is refused too (it could not go into a `Location` header).
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && path.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            path
        }
        _ => "/",
    }
}

#[cfg(test)]
mod unit {
    use super::safe_next;

    #[test]
    fn next_must_be_a_local_path() {
        assert_eq!(
            safe_next(Some("/oauth/authorize?client_id=x")),
            "/oauth/authorize?client_id=x"
        );
        assert_eq!(safe_next(Some("https://evil.test/")), "/");
        assert_eq!(safe_next(Some("//evil.test/")), "/");
        assert_eq!(safe_next(Some("/\\evil.test/")), "/");
        assert_eq!(safe_next(Some("/a\nb")), "/");
        assert_eq!(safe_next(Some("/zoë")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
