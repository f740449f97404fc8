//! The Gumroad API client: OAuth sign-in, typed and tolerant API calls, error mapping and retries.
//!
//! It knows nothing of our database. It must cope with anything the real Gumroad does (see
//! `shared/gumroad/api-facts.md`): `success:false` with HTTP 200, empty 401/403 bodies, HTML 404/500,
//! text/plain 429, numbers and booleans sent as strings, fields absent when null.

mod api;
mod custom_fields;
mod de;
mod error;
mod licenses;
mod oauth;
mod offer_codes;
mod products;
mod resource_subscriptions;
mod sale_actions;
mod sales;
mod subscribers;
mod user;
mod variants;

pub use api::{ApiClient, Pace, RetryPolicy};
pub use custom_fields::CustomField;
pub use error::GumroadError;
pub use licenses::{License, LicenseChange, LicensePurchase, LicenseRefusal};
pub use oauth::{AuthorizeRequest, GrantedToken, OAuthClient, TokenError};
pub use offer_codes::{NewOfferCode, OfferCode, OfferDiscount};
pub use products::{Product, ProductFields};
pub use resource_subscriptions::{RESOURCE_NAMES, ResourceSubscription};
pub use sale_actions::RefundRefusal;
pub use sales::{Sale, SalesPage, SalesQuery};
pub use subscribers::{Subscriber, SubscribersPage};
pub use user::User;
pub use variants::{Variant, VariantCategory, VariantFields};

/// One HTTP client for every call to Gumroad: bounded timeouts, and no redirects (an OAuth token
/// endpoint must not be followed somewhere else, and the API never redirects).
pub fn http_client(timeout: std::time::Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(std::time::Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("gumdash/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a reqwest client with only timeouts and a user agent builds")
}
