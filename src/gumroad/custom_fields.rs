use secrecy::SecretString;
use serde::Deserialize;

use super::api::{ApiClient, Call};
use super::de;
use super::error::GumroadError;

/// A field buyers fill in at checkout. Gumroad addresses it by **name** in URLs.
#[derive(Clone, Debug, Deserialize)]
pub struct CustomField {
    #[serde(default, deserialize_with = "de::opt_opaque_id")]
    pub id: Option<String>,
    #[serde(rename = "type", default = "default_kind")]
    pub kind: String,
    #[serde(default, deserialize_with = "de::string_or_empty")]
    pub name: String,
    #[serde(default, deserialize_with = "de::bool_or_false")]
    pub required: bool,
}

fn default_kind() -> String {
    "text".to_owned()
}

impl ApiClient {
    pub async fn custom_fields(
        &self,
        token: &SecretString,
        product: &str,
    ) -> Result<Vec<CustomField>, GumroadError> {
        let call = Call::get(&["products", product, "custom_fields"]);
        self.fetch(token, call, "custom_fields").await
    }

    pub async fn create_custom_field(
        &self,
        token: &SecretString,
        product: &str,
        kind: &str,
        name: &str,
        required: bool,
    ) -> Result<CustomField, GumroadError> {
        let call = Call::post(&["products", product, "custom_fields"])
            .field("type", kind)
            .field("name", name)
            // Only the string "true" counts as true.
            .field("required", if required { "true" } else { "false" });
        self.fetch(token, call, "custom_field").await
    }

    pub async fn set_custom_field_required(
        &self,
        token: &SecretString,
        product: &str,
        name: &str,
        required: bool,
    ) -> Result<CustomField, GumroadError> {
        let call = Call::put(&["products", product, "custom_fields", name])
            .field("required", if required { "true" } else { "false" });
        self.fetch(token, call, "custom_field").await
    }

    pub async fn delete_custom_field(
        &self,
        token: &SecretString,
        product: &str,
        name: &str,
    ) -> Result<(), GumroadError> {
        let call = Call::delete(&["products", product, "custom_fields", name]);
        self.call(token, &call).await.map(drop)
    }
}
