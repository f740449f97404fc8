//! License keys (api-facts §6.9): verify (never counting a use unless asked), enable, disable and
//! decrement the uses. Every call names the product by `product_id`, so Gumroad's 500 for a missing
//! one never happens.

use secrecy::SecretString;
use serde::Deserialize;

use super::api::{ApiClient, Call};
use super::de;
use super::error::GumroadError;

/// A license as Gumroad answers it: the uses and the purchase it belongs to ("version 1" fields).
#[derive(Clone, Debug, Deserialize)]
pub struct License {
    #[serde(default, deserialize_with = "de::i64_or_zero")]
    pub uses: i64,
    #[serde(default)]
    pub purchase: Option<LicensePurchase>,
}

/// The purchase behind a license; only what pages show is typed.
#[derive(Clone, Debug, Deserialize)]
pub struct LicensePurchase {
    #[serde(default, deserialize_with = "de::opt_opaque_id")]
    pub sale_id: Option<String>,
    #[serde(default, deserialize_with = "de::string_or_empty")]
    pub product_name: String,
    #[serde(default, deserialize_with = "de::string_or_empty")]
    pub created_at: String,
    #[serde(default, deserialize_with = "de::bool_or_false")]
    pub refunded: bool,
    #[serde(default, deserialize_with = "de::bool_or_false")]
    pub chargebacked: bool,
    #[serde(default, deserialize_with = "de::opt_opaque_id")]
    pub subscription_ended_at: Option<String>,
    #[serde(default, deserialize_with = "de::opt_opaque_id")]
    pub subscription_cancelled_at: Option<String>,
}

/// Gumroad's refusals of a license call (HTTP 404 with a message).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LicenseRefusal {
    /// "That license does not exist for the provided product." (or another seller's: "Not found")
    Unknown,
    /// "This license key has been disabled." (verify only)
    Disabled,
    /// "Access to the purchase associated with this license has expired."
    Expired,
}

impl LicenseRefusal {
    pub fn from_error(error: &GumroadError) -> Option<LicenseRefusal> {
        let GumroadError::NotFound { message } = error else {
            return None;
        };
        Some(if message.contains("disabled") {
            Self::Disabled
        } else if message.contains("expired") {
            Self::Expired
        } else {
            Self::Unknown
        })
    }

    pub fn plain(&self) -> &'static str {
        match self {
            Self::Unknown => "Gumroad knows no such license key for this product.",
            Self::Disabled => "This license key is disabled.",
            Self::Expired => {
                "The buyer's access to this purchase has expired, so the key no longer works."
            }
        }
    }
}

/// What to do to a license.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LicenseChange {
    Enable,
    Disable,
    DecrementUses,
}

impl LicenseChange {
    fn segment(self) -> &'static str {
        match self {
            Self::Enable => "enable",
            Self::Disable => "disable",
            Self::DecrementUses => "decrement_uses_count",
        }
    }
}

impl ApiClient {
    /// `POST /licenses/verify`; `count_use` false looks without counting a use.
    pub async fn verify_license(
        &self,
        token: &SecretString,
        product_id: &str,
        key: &str,
        count_use: bool,
    ) -> Result<License, GumroadError> {
        let call = Call::post(&["licenses", "verify"])
            .field("product_id", product_id)
            .field("license_key", key)
            .field("increment_uses_count", count_use.to_string());
        self.license_call(token, call).await
    }

    /// `PUT /licenses/enable|disable|decrement_uses_count` (`edit_products`).
    pub async fn change_license(
        &self,
        token: &SecretString,
        product_id: &str,
        key: &str,
        change: LicenseChange,
    ) -> Result<License, GumroadError> {
        let call = Call::put(&["licenses", change.segment()])
            .field("product_id", product_id)
            .field("license_key", key);
        self.license_call(token, call).await
    }

    async fn license_call(
        &self,
        token: &SecretString,
        call: Call<'_>,
    ) -> Result<License, GumroadError> {
        let envelope = self.call(token, &call).await?;
        serde_json::from_value(envelope).map_err(|e| GumroadError::bad_shape("the license", &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_license_parses_with_strings_and_refusals_are_typed() {
        let license: License = serde_json::from_value(serde_json::json!({
            "success": true, "uses": "3",
            "purchase": {"sale_id": "s==", "refunded": "false", "chargebacked": false, "variants": ""}
        }))
        .unwrap();
        assert_eq!(license.uses, 3);
        assert_eq!(license.purchase.unwrap().sale_id.as_deref(), Some("s=="));
        let refusal = |m: &str| {
            LicenseRefusal::from_error(&GumroadError::NotFound {
                message: m.to_owned(),
            })
        };
        assert_eq!(
            refusal("This license key has been disabled."),
            Some(LicenseRefusal::Disabled)
        );
        assert_eq!(refusal("Not found"), Some(LicenseRefusal::Unknown));
        assert_eq!(
            refusal("Access to the purchase associated with this license has expired."),
            Some(LicenseRefusal::Expired)
        );
    }
}
