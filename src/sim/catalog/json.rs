//! The catalogue's JSON shapes (api-facts §6.1–6.5), built as ordered values so keys come out in Gumroad's
//! order, and convertible to the docs' all-strings style (`/_sim/profile {"string_values": true}`).

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::money;
use super::{Catalog, CustomField, OfferCode, Product, RECURRENCES, Variant, VariantCategory};

/// A JSON value whose objects keep insertion order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum J {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    pub fn obj(pairs: Vec<(&str, J)>) -> J {
        J::Obj(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// Numbers and booleans become strings (`0` → `"0"`, `false` → `"false"`), the way Gumroad's docs show
    /// values; nulls stay null.
    pub fn stringified(self) -> J {
        match self {
            J::Bool(b) => J::Str(b.to_string()),
            J::Int(n) => J::Str(n.to_string()),
            J::Arr(items) => J::Arr(items.into_iter().map(J::stringified).collect()),
            J::Obj(pairs) => J::Obj(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k, v.stringified()))
                    .collect(),
            ),
            other => other,
        }
    }
}

impl From<bool> for J {
    fn from(b: bool) -> J {
        J::Bool(b)
    }
}

impl From<i64> for J {
    fn from(n: i64) -> J {
        J::Int(n)
    }
}

impl From<&str> for J {
    fn from(s: &str) -> J {
        J::Str(s.to_owned())
    }
}

impl From<String> for J {
    fn from(s: String) -> J {
        J::Str(s)
    }
}

impl<T: Into<J>> From<Option<T>> for J {
    fn from(value: Option<T>) -> J {
        value.map_or(J::Null, Into::into)
    }
}

impl<T: Into<J>> From<Vec<T>> for J {
    fn from(items: Vec<T>) -> J {
        J::Arr(items.into_iter().map(Into::into).collect())
    }
}

impl Serialize for J {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            J::Null => serializer.serialize_unit(),
            J::Bool(b) => serializer.serialize_bool(*b),
            J::Int(n) => serializer.serialize_i64(*n),
            J::Str(s) => serializer.serialize_str(s),
            J::Arr(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            J::Obj(pairs) => {
                let mut map = serializer.serialize_map(Some(pairs.len()))?;
                for (key, value) in pairs {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

/// `formatted_price`: `$1`, `$5+` for pay what you want, `$10 a month` for recurring products.
fn formatted_price(product: &Product) -> String {
    let mut text = money::format_amount(&product.currency, product.price, true);
    if product.customizable_price == Some(true) {
        text.push('+');
    }
    if let Some(duration) = &product.subscription_duration {
        let period = match duration.as_str() {
            "monthly" => "a month",
            "quarterly" => "every 3 months",
            "biannually" => "every 6 months",
            "yearly" => "a year",
            "every_two_years" => "every 2 years",
            _ => "",
        };
        if !period.is_empty() {
            text.push(' ');
            text.push_str(period);
        }
    }
    text
}

/// A product as index, show, create, update, enable and disable return it. `sales`: its `sales_count` and
/// `sales_usd_cents`, given when the token holds `view_sales`.
pub(crate) fn product(
    catalog: &Catalog,
    product: &Product,
    username: &str,
    sales: Option<(i64, i64)>,
) -> J {
    let custom_fields: Vec<J> = catalog
        .custom_fields_for(product)
        .into_iter()
        .map(|f| {
            J::obj(vec![
                ("id", f.external_id.as_str().into()),
                ("type", f.field_type.as_str().into()),
                ("name", f.name.as_str().into()),
                ("required", f.required.into()),
                ("collect_per_product", f.collect_per_product.into()),
            ])
        })
        .collect();
    let variants: Vec<J> = product
        .live_categories()
        .map(|c| {
            J::obj(vec![
                ("title", c.title.clone().into()),
                (
                    "options",
                    J::Arr(c.live_variants().map(|v| option(product, v)).collect()),
                ),
            ])
        })
        .collect();
    let mut pairs: Vec<(&str, J)> = vec![
        ("custom_permalink", product.custom_permalink.clone().into()),
        ("custom_receipt", product.custom_receipt.clone().into()),
        ("custom_summary", product.custom_summary.clone().into()),
        ("custom_fields", J::Arr(custom_fields)),
        ("customizable_price", product.customizable_price.into()),
        ("description", product.description.as_str().into()),
        ("deleted", product.deleted.into()),
        ("max_purchase_count", product.max_purchase_count.into()),
        ("name", product.name.as_str().into()),
        ("preview_url", product.preview_url.clone().into()),
        ("require_shipping", product.require_shipping.into()),
        (
            "subscription_duration",
            product.subscription_duration.clone().into(),
        ),
        ("published", product.published.into()),
        ("url", J::Null),
        ("id", product.external_id.as_str().into()),
        ("price", product.price.into()),
        ("currency", product.currency.as_str().into()),
        ("short_url", product.short_url(username).into()),
        ("thumbnail_url", product.thumbnail_url.clone().into()),
        ("tags", product.tags.clone().into()),
        ("formatted_price", formatted_price(product).into()),
        ("file_info", J::Obj(Vec::new())),
    ];
    if let Some((count, usd_cents)) = sales {
        pairs.push(("sales_count", count.into()));
        pairs.push(("sales_usd_cents", usd_cents.into()));
        pairs.push(("custom_delivery_url", J::Null));
    }
    pairs.push(("is_tiered_membership", product.is_tiered_membership.into()));
    pairs.push(("recurrences", product.recurrences().into()));
    pairs.push(("variants", J::Arr(variants)));
    J::obj(pairs)
}

/// A variant as an option inside a product's `variants`: `price_difference`, not `price_difference_cents`.
fn option(product: &Product, variant: &Variant) -> J {
    let recurrence_prices = if product.is_tiered_membership {
        J::Obj(
            variant
                .recurrence_prices
                .iter()
                .map(|(recurrence, price)| {
                    (
                        recurrence.clone(),
                        J::obj(vec![
                            ("price_cents", (*price).into()),
                            ("suggested_price_cents", J::Null),
                        ]),
                    )
                })
                .collect(),
        )
    } else {
        J::Null
    };
    J::obj(vec![
        ("name", variant.name.as_str().into()),
        ("price_difference", variant.price_difference_cents.into()),
        ("is_pay_what_you_want", variant.customizable_price.into()),
        ("recurrence_prices", recurrence_prices),
        ("url", J::Null),
    ])
}

pub(crate) fn variant_category(category: &VariantCategory) -> J {
    J::obj(vec![
        ("id", category.external_id.as_str().into()),
        ("title", category.title.clone().into()),
    ])
}

/// A variant as the variants endpoint returns it; tiered memberships add prices per recurrence.
pub(crate) fn variant(product: &Product, variant: &Variant) -> J {
    let mut pairs: Vec<(&str, J)> = vec![
        ("id", variant.external_id.as_str().into()),
        ("max_purchase_count", variant.max_purchase_count.into()),
        ("name", variant.name.as_str().into()),
        ("description", variant.description.clone().into()),
        (
            "price_difference_cents",
            variant.price_difference_cents.into(),
        ),
    ];
    if product.is_tiered_membership {
        let unit = money::unit_of(&product.currency);
        let values = RECURRENCES
            .iter()
            .map(|recurrence| {
                let price = variant
                    .recurrence_prices
                    .iter()
                    .find(|(r, _)| r == recurrence)
                    .map(|(_, p)| *p);
                let value = match price {
                    None => J::obj(vec![("enabled", false.into())]),
                    Some(price) => J::obj(vec![
                        ("enabled", true.into()),
                        ("price_cents", price.into()),
                        ("suggested_price_cents", J::Null),
                        ("price", money::format_number(price, unit, true).into()),
                    ]),
                };
                ((*recurrence).to_owned(), value)
            })
            .collect();
        pairs.push(("is_customizable_price", variant.customizable_price.into()));
        pairs.push(("recurrence_price_values", J::Obj(values)));
    }
    J::obj(pairs)
}

pub(crate) fn offer_code(code: &OfferCode) -> J {
    let mut pairs: Vec<(&str, J)> = vec![
        ("id", code.external_id.as_str().into()),
        ("name", code.name.as_str().into()),
    ];
    match (code.percent_off, code.amount_cents) {
        (Some(percent), _) => pairs.push(("percent_off", percent.into())),
        (None, amount) => pairs.push(("amount_cents", amount.into())),
    }
    pairs.push(("max_purchase_count", code.max_purchase_count.into()));
    pairs.push(("universal", code.universal.into()));
    pairs.push(("times_used", code.times_used.into()));
    J::obj(pairs)
}

pub(crate) fn custom_field(catalog: &Catalog, field: &CustomField) -> J {
    let products: Vec<J> = field
        .product_ids
        .iter()
        .filter_map(|id| catalog.products.iter().find(|p| p.id == *id && !p.deleted))
        .map(|p| p.external_id.as_str().into())
        .collect();
    J::obj(vec![
        ("id", field.external_id.as_str().into()),
        ("type", field.field_type.as_str().into()),
        ("name", field.name.as_str().into()),
        ("required", field.required.into()),
        ("global", field.global.into()),
        ("collect_per_product", field.collect_per_product.into()),
        ("products", J::Arr(products)),
    ])
}

#[cfg(test)]
mod unit {
    use super::J;

    #[test]
    fn keeps_order_and_stringifies() {
        let value = J::obj(vec![
            ("z", 1i64.into()),
            ("a", false.into()),
            ("n", J::Null),
        ]);
        assert_eq!(
            serde_json::to_string(&value).unwrap(),
            r#"{"z":1,"a":false,"n":null}"#
        );
        assert_eq!(
            serde_json::to_string(&value.stringified()).unwrap(),
            r#"{"z":"1","a":"false","n":null}"#
        );
    }
}
