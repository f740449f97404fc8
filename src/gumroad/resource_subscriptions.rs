//! `/resource_subscriptions` (api-facts §9.1, §6.10): where Gumroad pings a creator's events. The
//! index lists every app's subscriptions; only our own can be deleted.

use secrecy::SecretString;
use serde::Deserialize;

use super::api::{ApiClient, Call};
use super::de;
use super::error::GumroadError;

/// The eight resources Gumroad pings (the same in 2026).
pub const RESOURCE_NAMES: [&str; 8] = [
    "sale",
    "refund",
    "dispute",
    "dispute_won",
    "cancellation",
    "subscription_updated",
    "subscription_ended",
    "subscription_restarted",
];

/// `{id, resource_name, post_url}`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ResourceSubscription {
    #[serde(deserialize_with = "de::opaque_id")]
    pub id: String,
    #[serde(default, deserialize_with = "de::string_or_empty")]
    pub resource_name: String,
    #[serde(default, deserialize_with = "de::string_or_empty")]
    pub post_url: String,
}

impl ApiClient {
    /// The creator's live subscriptions to `resource_name`, every app's.
    pub async fn resource_subscriptions(
        &self,
        token: &SecretString,
        resource_name: &str,
    ) -> Result<Vec<ResourceSubscription>, GumroadError> {
        let call = Call::get(&["resource_subscriptions"]).query("resource_name", resource_name);
        self.fetch(token, call, "resource_subscriptions").await
    }

    /// Subscribes `post_url` to `resource_name`. A refused URL is `Rejected` with Gumroad's words
    /// ("Invalid post URL '…'"), which hold the URL.
    pub async fn subscribe(
        &self,
        token: &SecretString,
        resource_name: &str,
        post_url: &str,
    ) -> Result<ResourceSubscription, GumroadError> {
        let call = Call::put(&["resource_subscriptions"])
            .field("resource_name", resource_name)
            .field("post_url", post_url);
        self.fetch(token, call, "resource_subscription").await
    }

    /// Deletes one of our subscriptions (another app's is "not found").
    pub async fn unsubscribe(&self, token: &SecretString, id: &str) -> Result<(), GumroadError> {
        let call = Call::delete(&["resource_subscriptions", id]);
        self.call(token, &call).await.map(drop)
    }
}
