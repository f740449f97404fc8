use secrecy::SecretString;
use serde::Deserialize;

use super::api::{ApiClient, Call};
use super::de;
use super::error::GumroadError;

/// A variant category ("Format", "Tier"), `{id, title}`.
#[derive(Clone, Debug, Deserialize)]
pub struct VariantCategory {
    #[serde(deserialize_with = "de::opaque_id")]
    pub id: String,
    #[serde(default, deserialize_with = "de::string_or_empty")]
    pub title: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Variant {
    #[serde(deserialize_with = "de::opaque_id")]
    pub id: String,
    #[serde(default, deserialize_with = "de::string_or_empty")]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Added to the product's price, in the product currency's smallest unit.
    #[serde(default, deserialize_with = "de::i64_or_zero")]
    pub price_difference_cents: i64,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub max_purchase_count: Option<i64>,
}

#[derive(Clone, Debug, Default)]
pub struct VariantFields {
    pub name: String,
    pub description: String,
    pub price_difference_cents: i64,
    pub max_purchase_count: Option<i64>,
}

impl ApiClient {
    pub async fn variant_categories(
        &self,
        token: &SecretString,
        product: &str,
    ) -> Result<Vec<VariantCategory>, GumroadError> {
        let call = Call::get(&["products", product, "variant_categories"]);
        self.fetch(token, call, "variant_categories").await
    }

    pub async fn variant_category(
        &self,
        token: &SecretString,
        product: &str,
        category: &str,
    ) -> Result<VariantCategory, GumroadError> {
        let call = Call::get(&["products", product, "variant_categories", category]);
        self.fetch(token, call, "variant_category").await
    }

    pub async fn create_variant_category(
        &self,
        token: &SecretString,
        product: &str,
        title: &str,
    ) -> Result<VariantCategory, GumroadError> {
        let call = Call::post(&["products", product, "variant_categories"]).field("title", title);
        self.fetch(token, call, "variant_category").await
    }

    pub async fn rename_variant_category(
        &self,
        token: &SecretString,
        product: &str,
        category: &str,
        title: &str,
    ) -> Result<VariantCategory, GumroadError> {
        let call =
            Call::put(&["products", product, "variant_categories", category]).field("title", title);
        self.fetch(token, call, "variant_category").await
    }

    pub async fn delete_variant_category(
        &self,
        token: &SecretString,
        product: &str,
        category: &str,
    ) -> Result<(), GumroadError> {
        let call = Call::delete(&["products", product, "variant_categories", category]);
        self.call(token, &call).await.map(drop)
    }

    pub async fn variants(
        &self,
        token: &SecretString,
        product: &str,
        category: &str,
    ) -> Result<Vec<Variant>, GumroadError> {
        let call = Call::get(&[
            "products",
            product,
            "variant_categories",
            category,
            "variants",
        ]);
        self.fetch(token, call, "variants").await
    }

    pub async fn variant(
        &self,
        token: &SecretString,
        product: &str,
        category: &str,
        variant: &str,
    ) -> Result<Variant, GumroadError> {
        let call = Call::get(&[
            "products",
            product,
            "variant_categories",
            category,
            "variants",
            variant,
        ]);
        self.fetch(token, call, "variant").await
    }

    pub async fn create_variant(
        &self,
        token: &SecretString,
        product: &str,
        category: &str,
        fields: &VariantFields,
    ) -> Result<Variant, GumroadError> {
        let call = Call::post(&[
            "products",
            product,
            "variant_categories",
            category,
            "variants",
        ]);
        self.fetch(token, fields.apply(call), "variant").await
    }

    pub async fn update_variant(
        &self,
        token: &SecretString,
        product: &str,
        category: &str,
        variant: &str,
        fields: &VariantFields,
    ) -> Result<Variant, GumroadError> {
        let call = Call::put(&[
            "products",
            product,
            "variant_categories",
            category,
            "variants",
            variant,
        ]);
        self.fetch(token, fields.apply(call), "variant").await
    }

    pub async fn delete_variant(
        &self,
        token: &SecretString,
        product: &str,
        category: &str,
        variant: &str,
    ) -> Result<(), GumroadError> {
        let call = Call::delete(&[
            "products",
            product,
            "variant_categories",
            category,
            "variants",
            variant,
        ]);
        self.call(token, &call).await.map(drop)
    }
}

impl VariantFields {
    fn apply<'a>(&self, call: Call<'a>) -> Call<'a> {
        call.field("name", &self.name)
            .field("description", &self.description)
            .field(
                "price_difference_cents",
                self.price_difference_cents.to_string(),
            )
            // An empty value clears the cap (no limit).
            .field(
                "max_purchase_count",
                self.max_purchase_count
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
            )
    }
}
