//! The view model every page's base layout needs: who is signed in, the CSRF token for the
//! sign-out form, the flash message, and which navigation item is current.

use super::error::AppError;
use super::session::{AppSession, Flash, FlashKind};
use super::state::AppState;
use super::view_as::Banner;
use crate::store::creators::Creator;

pub struct Layout {
    pub creator: Option<NavCreator>,
    pub is_admin: bool,
    pub csrf_token: String,
    pub flash: Option<Flash>,
    pub current: Nav,
    /// Set while an operator views as a creator: the banner on every page.
    pub view_as: Option<Banner>,
}

pub struct NavCreator {
    pub name: String,
    pub avatar_url: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    None,
    Home,
    Products,
    Sales,
    Memberships,
    Licenses,
    Account,
    /// An operator's page, with the admin sub-navigation's current item.
    Admin(AdminNav),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum AdminNav {
    Creators,
    Audit,
    Jobs,
    Health,
    Keys,
}

impl Nav {
    pub fn is_admin(self) -> bool {
        matches!(self, Self::Admin(_))
    }

    /// `aria-current="page"` on the admin sub-navigation's item for this page.
    pub fn admin_current(self, item: &str) -> bool {
        let current = match self {
            Self::Admin(AdminNav::Creators) => "creators",
            Self::Admin(AdminNav::Audit) => "audit",
            Self::Admin(AdminNav::Jobs) => "jobs",
            Self::Admin(AdminNav::Health) => "health",
            Self::Admin(AdminNav::Keys) => "keys",
            _ => return false,
        };
        current == item
    }
}

impl Layout {
    /// Signed-out pages have no forms, so they make no CSRF token (and no session row for
    /// every passing visitor).
    pub fn signed_out(session: &AppSession) -> Result<Self, AppError> {
        let view_as = Banner::of(session);
        Ok(Self {
            creator: None,
            is_admin: false,
            // The view-as banner's "End" is a form.
            csrf_token: if view_as.is_some() {
                session.csrf_token()?
            } else {
                String::new()
            },
            flash: session.take_flash(),
            current: Nav::None,
            view_as,
        })
    }

    pub fn signed_in(
        session: &AppSession,
        creator: &Creator,
        _state: &AppState,
        current: Nav,
    ) -> Result<Self, AppError> {
        Ok(Self {
            creator: Some(NavCreator {
                name: creator.name.clone(),
                avatar_url: creator.avatar_url.clone(),
            }),
            // Looked up (configuration and database) when `CurrentCreator` loaded the creator.
            is_admin: creator.is_operator,
            csrf_token: session.csrf_token()?,
            flash: session.take_flash(),
            current,
            view_as: Banner::of(session),
        })
    }
}

impl Flash {
    pub fn css_class(&self) -> &'static str {
        match self.kind {
            FlashKind::Success => "flash flash-success",
            FlashKind::Info => "flash flash-info",
            FlashKind::Error => "flash flash-error",
        }
    }
}
