//! The confirmation step before anything is deleted: a page that says what will go, with a
//! CSRF-protected button that does it and a way back. Works without JavaScript.

use askama::Template;
use askama_web::WebTemplate;

use super::current_creator::CurrentCreator;
use super::error::AppError;
use super::layout::{Layout, Nav};
use super::state::AppState;

pub struct ConfirmDelete {
    /// "product", "offer code", …
    pub what: &'static str,
    pub name: String,
    pub consequence: &'static str,
    pub action: String,
    pub cancel: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    layout: Layout,
    confirm: ConfirmDelete,
}

pub fn confirm_page(
    current: &CurrentCreator,
    state: &AppState,
    confirm: ConfirmDelete,
) -> Result<ConfirmPage, AppError> {
    Ok(ConfirmPage {
        layout: Layout::signed_in(&current.session, &current.creator, state, Nav::Products)?,
        confirm,
    })
}
