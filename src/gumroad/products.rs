use std::collections::HashSet;

use secrecy::SecretString;
use serde::Deserialize;

use super::api::{ApiClient, Call, take};
use super::de;
use super::error::GumroadError;

/// A guard against a Gumroad bug that once repeated `next_page_key` forever, and against runaway
/// listings: at most this many pages (10 products each) are followed.
const MAX_PRODUCT_PAGES: usize = 500;

/// A product as `/products` and `/products/:id` describe it. Only what the pages use is modelled;
/// unknown fields are ignored, nulls and string-typed numbers tolerated.
#[derive(Clone, Debug, Deserialize)]
pub struct Product {
    #[serde(deserialize_with = "de::opaque_id")]
    pub id: String,
    #[serde(default, deserialize_with = "de::string_or_empty")]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// In the smallest unit of `currency`.
    #[serde(default, deserialize_with = "de::i64_or_zero")]
    pub price: i64,
    #[serde(default = "default_currency", deserialize_with = "currency_code")]
    pub currency: String,
    #[serde(default)]
    pub formatted_price: Option<String>,
    #[serde(default)]
    pub short_url: Option<String>,
    #[serde(default)]
    pub thumbnail_url: Option<String>,
    #[serde(default, deserialize_with = "de::bool_or_false")]
    pub published: bool,
    #[serde(default, deserialize_with = "de::bool_or_false")]
    pub deleted: bool,
    #[serde(default, deserialize_with = "de::bool_or_false")]
    pub is_tiered_membership: bool,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub customizable_price: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub max_purchase_count: Option<i64>,
    #[serde(default)]
    pub subscription_duration: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Only with a `view_sales` token.
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub sales_count: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub sales_usd_cents: Option<i64>,
}

fn default_currency() -> String {
    "usd".to_owned()
}

fn currency_code<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?
        .map(|c| c.to_ascii_lowercase())
        .unwrap_or_else(default_currency))
}

/// What the create and edit forms send. `tags` are sent as `tags[]`, one per tag.
#[derive(Clone, Debug, Default)]
pub struct ProductFields {
    pub name: String,
    /// The price and its currency; `None` leaves them alone (Gumroad refuses a price update for a
    /// tiered membership: its prices live on the tiers).
    pub price: Option<(i64, String)>,
    /// Always sent, so that emptying the field clears the description.
    pub description: String,
    pub tags: Vec<String>,
}

impl ProductFields {
    fn apply<'a>(&self, call: Call<'a>) -> Call<'a> {
        let mut call = call
            .field("name", &self.name)
            .field("description", &self.description);
        if let Some((price, currency)) = &self.price {
            call = call
                .field("price", price.to_string())
                .field("price_currency_type", currency);
        }
        for tag in &self.tags {
            call = call.field("tags[]", tag);
        }
        call
    }
}

impl ApiClient {
    /// Every live product, newest first: follows `next_page_key` (2026), and takes a response
    /// without keys (2025-04) as the whole list.
    pub async fn products(&self, token: &SecretString) -> Result<Vec<Product>, GumroadError> {
        let mut products = Vec::new();
        let mut seen_keys = HashSet::new();
        let mut page_key: Option<String> = None;
        for _ in 0..MAX_PRODUCT_PAGES {
            let mut call = Call::get(&["products"]);
            if let Some(key) = page_key.take() {
                call = call.query("page_key", key);
            }
            let mut envelope = self.call(token, &call).await?;
            products.extend(take::<Vec<Product>>(&mut envelope, "products")?);
            match envelope.get("next_page_key").and_then(|k| k.as_str()) {
                Some(next) if seen_keys.insert(next.to_owned()) => page_key = Some(next.to_owned()),
                Some(repeated) => {
                    tracing::warn!(page_key = repeated, "Gumroad repeated a page key; stopping");
                    break;
                }
                None => break,
            }
        }
        Ok(products)
    }

    pub async fn product(&self, token: &SecretString, id: &str) -> Result<Product, GumroadError> {
        self.fetch(token, Call::get(&["products", id]), "product")
            .await
    }

    pub async fn create_product(
        &self,
        token: &SecretString,
        fields: &ProductFields,
    ) -> Result<Product, GumroadError> {
        let call = fields.apply(Call::post(&["products"]));
        self.fetch(token, call, "product").await
    }

    pub async fn update_product(
        &self,
        token: &SecretString,
        id: &str,
        fields: &ProductFields,
    ) -> Result<Product, GumroadError> {
        let call = fields.apply(Call::put(&["products", id]));
        self.fetch(token, call, "product").await
    }

    pub async fn delete_product(&self, token: &SecretString, id: &str) -> Result<(), GumroadError> {
        self.call(token, &Call::delete(&["products", id]))
            .await
            .map(drop)
    }

    /// Publishes (`true`) or unpublishes (`false`) the product.
    pub async fn set_product_published(
        &self,
        token: &SecretString,
        id: &str,
        published: bool,
    ) -> Result<Product, GumroadError> {
        let action = if published { "enable" } else { "disable" };
        self.fetch(token, Call::put(&["products", id, action]), "product")
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_docs_style_product_with_strings_and_nulls_parses() {
        let product: Product = serde_json::from_str(
            r#"{"id": "A-m3CDDC5dlrSdKZp0RFhA==", "name": "Pencil", "price": "100", "currency": "USD",
                "published": "true", "deleted": false, "sales_count": "0", "sales_usd_cents": "0",
                "url": null, "description": null, "tags": [], "variants": [{"title": "x", "options": []}]}"#,
        )
        .unwrap();
        assert_eq!(product.price, 100);
        assert_eq!(product.currency, "usd");
        assert!(product.published);
        assert_eq!(product.sales_count, Some(0));
    }

    #[test]
    fn a_product_without_sales_fields_has_none() {
        let product: Product =
            serde_json::from_str(r#"{"id": "x", "name": null, "price": 0}"#).unwrap();
        assert_eq!(product.name, "");
        assert_eq!(product.sales_count, None);
        assert_eq!(product.currency, "usd");
    }
}
