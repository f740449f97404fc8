use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use askama::Template;
use askama_web::WebTemplate;

use super::error::AppError;
use super::layout::{Layout, Nav};
use super::session::AppSession;

#[derive(Template, WebTemplate)]
#[template(path = "landing.html")]
struct LandingPage {
    layout: Layout,
    signed_out: bool,
}

#[derive(serde::Deserialize)]
pub struct LandingQuery {
    #[serde(default)]
    signed_out: Option<String>,
}

/// The start page: a sign-in button, or straight to the dashboard (web/overview.rs) when signed in.
#[get("/")]
pub async fn landing(
    session: AppSession,
    query: web::Query<LandingQuery>,
) -> Result<HttpResponse, AppError> {
    if session.creator_id()?.is_some() {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/dashboard"))
            .finish());
    }
    let page = LandingPage {
        layout: Layout::signed_out(&session)?,
        signed_out: query.signed_out.is_some(),
    };
    let html = page.render().map_err(anyhow::Error::from)?;
    Ok(HttpResponse::Ok()
        .content_type(header::ContentType::html())
        .body(html))
}
