//! Whether the creator's Gumroad token may do a sale action, and the "Grant access" offer when it
//! may not: the button says what is missing and leads to a new authorization with that scope.

use crate::domain::{Access, ApiVersion, SaleAction};
use crate::web::auth::granted_scopes;
use crate::web::current_creator::CurrentCreator;
use crate::web::error::AppError;
use crate::web::state::AppState;

/// What to show instead of an action the token cannot do.
#[derive(Clone, Debug)]
pub struct Offer {
    pub message: String,
    /// `/auth/gumroad/grant?…`, or none when this instance cannot ask for the scope.
    pub grant_href: Option<String>,
}

/// The creator's granted scopes, read once per page.
pub struct Scopes {
    granted: Vec<String>,
}

impl Scopes {
    pub async fn of(state: &AppState, current: &CurrentCreator) -> Result<Scopes, AppError> {
        Ok(Scopes {
            granted: granted_scopes(state, current.tenant()).await?,
        })
    }

    /// `None` when the action may go ahead; else what to show, with `back` the page to return to.
    pub fn offer(&self, state: &AppState, action: SaleAction, back: &str) -> Option<Offer> {
        let access = action.access(
            state.actions.api_version,
            &self.granted,
            &state.actions.scopes,
        );
        offer_for(state.actions.api_version, action, access, back)
    }
}

/// Gumroad answered 403 although the stored scopes looked enough: the same offer, for the scope this
/// instance would ask for.
pub fn offer_after_403(state: &AppState, action: SaleAction, back: &str) -> Offer {
    let access = action.access(state.actions.api_version, &[], &state.actions.scopes);
    offer_for(state.actions.api_version, action, access, back).unwrap_or(Offer {
        message: "Gumroad says your connection lacks the permission this needs.".into(),
        grant_href: None,
    })
}

fn offer_for(version: ApiVersion, action: SaleAction, access: Access, back: &str) -> Option<Offer> {
    let what = match action {
        SaleAction::Refund => "Refunding",
        SaleAction::MarkShipped => "Marking as shipped",
        SaleAction::ResendReceipt => "Resending the receipt",
        SaleAction::ChangeLicense => "Changing license keys",
    };
    match access {
        Access::Granted => None,
        Access::Missing { scope } => Some(Offer {
            message: format!(
                "{what} needs Gumroad's “{scope}” permission, which your connection does not have yet."
            ),
            grant_href: Some(grant_href(&scope, back)),
        }),
        Access::NotOffered { scope } => Some(Offer {
            message: format!(
                "{what} needs Gumroad's “{scope}” permission, and this gumdash is not set up to ask for it \
                 (its operator can add it to GUMROAD_ACTION_SCOPES)."
            ),
            grant_href: None,
        }),
        Access::Unsupported => Some(Offer {
            message: format!(
                "{what} is not supported by the Gumroad API this gumdash uses ({}).",
                version.as_str()
            ),
            grant_href: None,
        }),
    }
}

fn grant_href(scope: &str, back: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("scope", scope)
        .append_pair("back", back)
        .finish();
    format!("/auth/gumroad/grant?{query}")
}
