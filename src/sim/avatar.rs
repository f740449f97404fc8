//! `GET /avatars/<id>.svg`: the avatar `/v2/user` links to as `profile_url`, drawn here so nothing is fetched
//! from the internet.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::rails;
use super::store::Shared;

#[derive(Template)]
#[template(path = "sim/avatar.svg")]
struct Avatar {
    initials: String,
    name: String,
    hue: u32,
}

pub(crate) async fn show(
    req: HttpRequest,
    file: web::Path<String>,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let creator = file
        .strip_suffix(".svg")
        .and_then(|id| shared.lock().creator(id).cloned());
    let Some(creator) = creator else {
        return rails::error_response(StatusCode::NOT_FOUND, false);
    };
    let avatar = Avatar {
        initials: initials(&creator.name),
        hue: hue(&creator.id),
        name: creator.name,
    };
    match avatar.render() {
        Ok(svg) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "image/svg+xml"))
            .insert_header(CacheControl(vec![
                CacheDirective::Public,
                CacheDirective::MaxAge(86_400),
            ]))
            .body(svg),
        Err(_) => rails::error_response(StatusCode::INTERNAL_SERVER_ERROR, rails::wants_json(&req)),
    }
}

/// First letter of the first and last words: "Zoë Nakamura" → "ZN".
fn initials(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let letters = match words.as_slice() {
        [] => Vec::new(),
        [only] => vec![*only],
        [first, .., last] => vec![*first, *last],
    };
    letters
        .iter()
        .filter_map(|w| w.chars().next())
        .flat_map(char::to_uppercase)
        .collect()
}

/// A stable colour per creator.
fn hue(id: &str) -> u32 {
    id.bytes().fold(0u32, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(u32::from(b))
    }) % 360
}

#[cfg(test)]
mod unit {
    use super::initials;

    #[test]
    fn initials_take_first_and_last_words() {
        assert_eq!(initials("Zoë Nakamura"), "ZN");
        assert_eq!(initials("Søren Lindqvist-Åberg"), "SL");
        assert_eq!(initials("Cher"), "C");
        assert_eq!(initials("  "), "");
    }
}
