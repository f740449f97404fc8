use secrecy::SecretString;
use serde::Deserialize;

use super::api::{ApiClient, Call};
use super::de;
use super::error::GumroadError;

/// An offer code: `name` is the code itself; the discount is `amount_cents` or `percent_off`.
#[derive(Clone, Debug, Deserialize)]
pub struct OfferCode {
    #[serde(deserialize_with = "de::opaque_id")]
    pub id: String,
    #[serde(default, deserialize_with = "de::string_or_empty")]
    pub name: String,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub amount_cents: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub percent_off: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub max_purchase_count: Option<i64>,
    #[serde(default, deserialize_with = "de::bool_or_false")]
    pub universal: bool,
    #[serde(default, deserialize_with = "de::i64_or_zero")]
    pub times_used: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfferDiscount {
    Percent(i64),
    /// In the product currency's smallest unit.
    Fixed(i64),
}

#[derive(Clone, Debug)]
pub struct NewOfferCode {
    pub name: String,
    pub discount: OfferDiscount,
    pub max_purchase_count: Option<i64>,
    pub universal: bool,
}

impl ApiClient {
    pub async fn offer_codes(
        &self,
        token: &SecretString,
        product: &str,
    ) -> Result<Vec<OfferCode>, GumroadError> {
        let call = Call::get(&["products", product, "offer_codes"]);
        self.fetch(token, call, "offer_codes").await
    }

    pub async fn create_offer_code(
        &self,
        token: &SecretString,
        product: &str,
        code: &NewOfferCode,
    ) -> Result<OfferCode, GumroadError> {
        let call = Call::post(&["products", product, "offer_codes"]).field("name", &code.name);
        let call = match code.discount {
            // Only the exact string "percent" makes a percentage code, from `amount_off`.
            OfferDiscount::Percent(percent) => call
                .field("offer_type", "percent")
                .field("amount_off", percent.to_string()),
            OfferDiscount::Fixed(cents) => call
                .field("offer_type", "cents")
                .field("amount_cents", cents.to_string()),
        };
        let call = call
            .optional_field(
                "max_purchase_count",
                code.max_purchase_count.map(|n| n.to_string()),
            )
            // Gumroad counts only the string "true"; anything else means "this product only".
            .optional_field("universal", code.universal.then_some("true"));
        self.fetch(token, call, "offer_code").await
    }

    /// Gumroad lets only the usage cap change after creation. `None` removes the cap.
    pub async fn set_offer_code_limit(
        &self,
        token: &SecretString,
        product: &str,
        code: &str,
        max_purchase_count: Option<i64>,
    ) -> Result<OfferCode, GumroadError> {
        let call = Call::put(&["products", product, "offer_codes", code]).field(
            "max_purchase_count",
            max_purchase_count
                .map(|n| n.to_string())
                .unwrap_or_default(),
        );
        self.fetch(token, call, "offer_code").await
    }

    pub async fn delete_offer_code(
        &self,
        token: &SecretString,
        product: &str,
        code: &str,
    ) -> Result<(), GumroadError> {
        let call = Call::delete(&["products", product, "offer_codes", code]);
        self.call(token, &call).await.map(drop)
    }
}
