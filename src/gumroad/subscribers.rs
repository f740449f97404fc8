//! `GET /products/:id/subscribers` and `GET /subscribers/:id` (api-facts §6.8, §7).
//!
//! The index lists **active** subscribers only, so the mirror learns that one stopped from a ping or
//! from fetching it on its own (`GET /subscribers/:id`). We always ask for pages (`paginated=true`):
//! a creator's whole list in one answer can be large. A subscriber is kept whole as JSON with the
//! fields the pages use typed; `email` and `user_email` are buyers' personal data, left out of `Debug`.

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Deserializer};

use super::api::{ApiClient, Call, next_page_key, take};
use super::de;
use super::error::GumroadError;

/// One subscriber (a subscription) as Gumroad describes it.
#[derive(Clone, PartialEq, Deserialize)]
pub struct Subscriber {
    #[serde(deserialize_with = "de::opaque_id")]
    pub id: String,
    #[serde(default, deserialize_with = "de::opt_opaque_id")]
    pub product_id: Option<String>,
    #[serde(default)]
    pub product_name: Option<String>,
    /// The purchase email.
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "de::opt_opaque_id")]
    pub user_id: Option<String>,
    #[serde(default)]
    pub user_email: Option<String>,
    #[serde(default)]
    pub purchase_ids: Vec<String>,
    #[serde(default, deserialize_with = "time")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time")]
    pub user_requested_cancellation_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time")]
    pub cancelled_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time")]
    pub ended_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time")]
    pub failed_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time")]
    pub free_trial_ends_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::i64_or_zero")]
    pub charge_occurrence_count: i64,
    #[serde(default)]
    pub recurrence: Option<String>,
    /// `alive`, `pending_cancellation`, `pending_failure`, `failed_payment`,
    /// `fixed_subscription_period_ended`, `cancelled` (or something newer).
    #[serde(default, deserialize_with = "de::string_or_empty")]
    pub status: String,
    #[serde(default)]
    pub license_key: Option<String>,
    /// Everything Gumroad sent.
    #[serde(skip)]
    pub json: serde_json::Value,
}

impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber")
            .field("id", &self.id)
            .field("product_id", &self.product_id)
            .field("status", &self.status)
            .field("charge_occurrence_count", &self.charge_occurrence_count)
            .finish_non_exhaustive()
    }
}

/// An ISO 8601 time; null, absent, `""` or unreadable text is none.
fn time<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    Ok(Option::<serde_json::Value>::deserialize(deserializer)?
        .as_ref()
        .and_then(|v| v.as_str())
        .and_then(|text| DateTime::parse_from_rfc3339(text.trim()).ok())
        .map(|t| t.with_timezone(&Utc)))
}

impl Subscriber {
    fn from_json(json: serde_json::Value) -> Result<Subscriber, GumroadError> {
        let mut subscriber = Subscriber::deserialize(&json)
            .map_err(|e| GumroadError::bad_shape("a subscriber", &e))?;
        subscriber.json = json;
        Ok(subscriber)
    }

    /// Counted as a subscriber now, by the index's rule: not failed, not ended, its cancellation
    /// absent or still ahead.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.failed_at.is_none()
            && self.ended_at.is_none()
            && self.cancelled_at.is_none_or(|at| at > now)
    }
}

/// One page of a product's active subscribers and the key of the next one.
#[derive(Clone, Debug)]
pub struct SubscribersPage {
    pub subscribers: Vec<Subscriber>,
    pub next_page_key: Option<String>,
}

impl ApiClient {
    /// One page (100) of the product's active subscribers, newest first.
    pub async fn subscribers_page(
        &self,
        token: &SecretString,
        product_id: &str,
        page_key: Option<&str>,
    ) -> Result<SubscribersPage, GumroadError> {
        let mut call =
            Call::get(&["products", product_id, "subscribers"]).query("paginated", "true");
        if let Some(key) = page_key {
            call = call.query("page_key", key);
        }
        let mut envelope = self.call(token, &call).await?;
        let raw: Vec<serde_json::Value> = take(&mut envelope, "subscribers")?;
        let subscribers = raw
            .into_iter()
            .map(Subscriber::from_json)
            .collect::<Result<Vec<_>, _>>()?;
        let next_page_key = next_page_key(&envelope, page_key)?;
        Ok(SubscribersPage {
            subscribers,
            next_page_key,
        })
    }

    /// One subscriber by id, whatever its status; another creator's is "not found". The docs show
    /// the object under `subscribers`, the code under `subscriber`: both are read.
    pub async fn subscriber(
        &self,
        token: &SecretString,
        id: &str,
    ) -> Result<Subscriber, GumroadError> {
        let mut envelope = self.call(token, &Call::get(&["subscribers", id])).await?;
        let key = if envelope.get("subscriber").is_some() {
            "subscriber"
        } else {
            "subscribers"
        };
        let json: serde_json::Value = take(&mut envelope, key)?;
        Subscriber::from_json(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subscriber_reads_tolerantly_and_debug_hides_the_buyer() {
        let subscriber = Subscriber::from_json(serde_json::json!({
            "id": "S-1==", "email": "ann@example.com", "product_id": "P==", "user_id": 5530311507811_i64,
            "purchase_ids": ["a", "b"], "created_at": "2024-03-02T10:15:00Z",
            "cancelled_at": "", "ended_at": null, "charge_occurrence_count": "2",
            "recurrence": "monthly", "status": "alive", "extra": 1
        }))
        .unwrap();
        assert_eq!(subscriber.user_id.as_deref(), Some("5530311507811"));
        assert_eq!(subscriber.charge_occurrence_count, 2);
        assert_eq!(subscriber.cancelled_at, None);
        assert!(subscriber.is_active(Utc::now()));
        assert!(!format!("{subscriber:?}").contains("ann@"));
        assert_eq!(subscriber.json["extra"], 1);
    }

    #[test]
    fn a_future_cancellation_is_still_active_a_past_one_is_not() {
        let mut subscriber = Subscriber::from_json(serde_json::json!({
            "id": "S", "created_at": "2024-03-02T10:15:00Z", "status": "pending_cancellation",
            "cancelled_at": "2999-01-01T00:00:00Z"
        }))
        .unwrap();
        assert!(subscriber.is_active(Utc::now()));
        subscriber.cancelled_at = Some(Utc::now() - chrono::Duration::days(1));
        assert!(!subscriber.is_active(Utc::now()));
    }
}
