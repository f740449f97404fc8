//! `GET /sales` (10 a page behind one cursor, newest first) and `GET /sales/:id` (api-facts §6.7, §7).
//!
//! A sale is kept whole as JSON (the mirror stores all of it) with the few fields the sync needs typed.
//! The relative `timestamp` text ("about 2 months ago") is dropped: it changes every time a sale is
//! fetched, and would make an unchanged sale look changed.

use chrono::{DateTime, NaiveDate, Utc};
use secrecy::SecretString;
use serde::Deserialize;

use super::api::{ApiClient, Call, next_page_key, take};
use super::de;
use super::error::GumroadError;

/// Filters for one `GET /sales` page. Dates are UTC days: `after` inclusive, `before` exclusive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SalesQuery {
    pub after: Option<NaiveDate>,
    pub before: Option<NaiveDate>,
    pub page_key: Option<String>,
    pub email: Option<String>,
    pub product_id: Option<String>,
}

/// One page of sales and the key of the next one (absent on the last page).
#[derive(Clone, Debug)]
pub struct SalesPage {
    pub sales: Vec<Sale>,
    pub next_page_key: Option<String>,
}

/// A sale as Gumroad sent it, with `timestamp` removed, plus its id and time.
#[derive(Clone, Debug, PartialEq)]
pub struct Sale {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub json: serde_json::Value,
}

#[derive(Deserialize)]
struct SaleHead {
    #[serde(deserialize_with = "de::opaque_id")]
    id: String,
    created_at: DateTime<Utc>,
}

impl Sale {
    /// One sale of a `/v2/sales` page (or of a sale ping's fetch-back) as the client reads it.
    pub fn from_json(mut json: serde_json::Value) -> Result<Sale, GumroadError> {
        let head =
            SaleHead::deserialize(&json).map_err(|e| GumroadError::bad_shape("a sale", &e))?;
        if let Some(object) = json.as_object_mut() {
            object.remove("timestamp");
        }
        strip_nul(&mut json);
        Ok(Sale {
            id: head.id,
            created_at: head.created_at,
            json,
        })
    }
}

/// PostgreSQL text cannot hold U+0000: a buyer's name or a custom field with one would make the whole
/// page unstorable. Nothing of value is lost by dropping it.
fn strip_nul(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) if text.contains('\0') => text.retain(|c| c != '\0'),
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_nul),
        serde_json::Value::Object(map) => {
            let keys: Vec<String> = map.keys().filter(|k| k.contains('\0')).cloned().collect();
            for key in keys {
                if let Some(inner) = map.remove(&key) {
                    map.insert(key.replace('\0', ""), inner);
                }
            }
            map.values_mut().for_each(strip_nul);
        }
        _ => {}
    }
}

impl ApiClient {
    /// One page of the creator's sales.
    pub async fn sales(
        &self,
        token: &SecretString,
        query: &SalesQuery,
    ) -> Result<SalesPage, GumroadError> {
        let mut call = Call::get(&["sales"]);
        let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        if let Some(after) = query.after {
            call = call.query("after", day(after));
        }
        if let Some(before) = query.before {
            call = call.query("before", day(before));
        }
        for (name, value) in [
            ("email", &query.email),
            ("product_id", &query.product_id),
            ("page_key", &query.page_key),
        ] {
            if let Some(value) = value {
                call = call.query(name, value.clone());
            }
        }
        let mut envelope = self.call(token, &call).await?;
        let raw: Vec<serde_json::Value> = take(&mut envelope, "sales")?;
        let sales = raw
            .into_iter()
            .map(Sale::from_json)
            .collect::<Result<Vec<_>, _>>()?;
        let next_page_key = next_page_key(&envelope, query.page_key.as_deref())?;
        Ok(SalesPage {
            sales,
            next_page_key,
        })
    }

    /// One sale by Gumroad's id; another creator's sale is "not found" like an unknown one.
    pub async fn sale(&self, token: &SecretString, id: &str) -> Result<Sale, GumroadError> {
        let json: serde_json::Value = self.fetch(token, Call::get(&["sales", id]), "sale").await?;
        Sale::from_json(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sale_keeps_everything_but_the_relative_timestamp() {
        let sale = Sale::from_json(serde_json::json!({
            "id": "A-m3CDDC5dlrSdKZp0RFhA==", "created_at": "2024-03-02T10:15:00Z",
            "timestamp": "about 2 months ago", "price": 1000, "email": "a@example.com"
        }))
        .unwrap();
        assert_eq!(sale.id, "A-m3CDDC5dlrSdKZp0RFhA==");
        assert_eq!(sale.created_at.to_rfc3339(), "2024-03-02T10:15:00+00:00");
        assert!(sale.json.get("timestamp").is_none());
        assert_eq!(sale.json["price"], 1000);
    }

    #[test]
    fn nul_characters_are_dropped_wherever_they_are() {
        let sale = Sale::from_json(serde_json::json!({
            "id": "s", "created_at": "2024-03-02T10:15:00Z", "full_name": "Ann\0 Lee",
            "custom_fields": {"Com\0pany": "A\0cme"}, "list": ["x\0"]
        }))
        .unwrap();
        assert!(!sale.json.to_string().contains("\\u0000"));
        assert_eq!(sale.json["full_name"], "Ann Lee");
        assert_eq!(sale.json["custom_fields"]["Company"], "Acme");
    }

    #[test]
    fn a_sale_without_id_or_time_is_malformed() {
        for json in [
            serde_json::json!({"created_at": "2024-03-02T10:15:00Z"}),
            serde_json::json!({"id": "x", "created_at": "yesterday"}),
        ] {
            assert!(matches!(
                Sale::from_json(json),
                Err(GumroadError::Malformed { .. })
            ));
        }
    }
}
