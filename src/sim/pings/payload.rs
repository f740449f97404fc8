//! What a ping says (api-facts §9.3, §9.4) and how it is encoded (§9.2): form-encoded with nested
//! objects as brackets, or JSON for `zapier.com` hosts.

use chrono::SecondsFormat;

use crate::sim::catalog::json::J;
use crate::sim::sales::{Sale, flag, json};
use crate::sim::store::SimState;

/// One ping's fields, in order; values may nest (`card`, `variants`, `custom_fields`, …).
pub(crate) type Payload = Vec<(String, J)>;

/// The payload of a `sale`, `refund`, `dispute` or `dispute_won` ping for `sale`, as it is now.
pub(crate) fn sale(state: &SimState, sale: &Sale, resource_name: &str) -> Payload {
    let Some(product) = state.catalog.products.get(sale.product as usize) else {
        return Vec::new();
    };
    let rendered = serde_json::to_value(json::sale(state, sale)).unwrap_or_default();
    let text = |key: &str| {
        J::from(
            rendered
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_owned),
        )
    };
    let int = |key: &str| rendered.get(key).and_then(serde_json::Value::as_i64);
    let flag_of =
        |key: &str| J::Bool(rendered.get(key).and_then(serde_json::Value::as_bool) == Some(true));
    let username = state
        .creators
        .get(sale.creator as usize)
        .map_or_else(String::new, |c| c.username.clone());
    let card = rendered.get("card").cloned().unwrap_or_default();
    let card_text = |key: &str| J::from(card.get(key).and_then(|v| v.as_str()).map(str::to_owned));

    let mut p: Payload = Vec::with_capacity(48);
    let mut put = |key: &str, value: J| p.push((key.to_owned(), value));
    put("seller_id", text("seller_id"));
    put("product_id", J::from(product.external_id.clone()));
    put("product_name", J::from(product.name.clone()));
    put(
        "permalink",
        J::from(
            product
                .custom_permalink
                .clone()
                .unwrap_or_else(|| product.unique_permalink.clone()),
        ),
    );
    put("product_permalink", J::from(product.short_url(&username)));
    put(
        "short_product_id",
        J::from(product.unique_permalink.clone()),
    );
    put("email", text("email"));
    put("price", J::from(int("price").unwrap_or(0)));
    put("gumroad_fee", J::from(int("gumroad_fee").unwrap_or(0)));
    put("currency", J::from(product.currency.clone()));
    put("quantity", J::from(i64::from(sale.quantity)));
    put("discover_fee_charged", flag_of("discover_fee_charged"));
    put("can_contact", flag_of("can_contact"));
    put("referrer", text("referrer"));
    put(
        "card",
        J::obj(vec![
            ("visual", card_text("visual")),
            ("type", card_text("type")),
            ("bin", J::Null),
            ("expiry_month", J::Null),
            ("expiry_year", J::Null),
        ]),
    );
    put("order_number", J::from(int("order_id").unwrap_or(0)));
    put("sale_id", text("id"));
    put(
        "sale_timestamp",
        J::from(sale.created_at().to_rfc3339_opts(SecondsFormat::Secs, true)),
    );
    put("full_name", text("full_name"));
    put("purchaser_id", text("purchaser_id"));
    if sale.subscription != 0 {
        put("subscription_id", text("subscription_id"));
        put(
            "recurrence",
            J::from(json::recurrence(sale).map(str::to_owned)),
        );
        put(
            "is_recurring_charge",
            J::Bool(sale.has(flag::RECURRING_CHARGE)),
        );
    }
    if let Some(variants) = rendered.get("variants").and_then(|v| v.as_object()) {
        put("variants", object_of_strings(variants));
    }
    if let Some(code) = rendered
        .get("offer_code")
        .and_then(|o| o.get("code").or_else(|| o.get("name")))
        .and_then(|c| c.as_str())
    {
        put("offer_code", J::from(code.to_owned()));
    }
    if sale.has(flag::TEST) {
        put("test", J::Bool(true));
    }
    if product.is_physical() {
        let mut shipping = Vec::new();
        for key in [
            "full_name",
            "street_address",
            "country",
            "state",
            "zip_code",
            "city",
        ] {
            put(key, text(key));
            shipping.push((key, text(key)));
        }
        put("shipping_information", J::obj(shipping));
    }
    if let Some(fields) = rendered.get("custom_fields").and_then(|v| v.as_object())
        && !fields.is_empty()
    {
        for (name, value) in fields {
            put(name, J::from(plain(value)));
        }
        put("custom_fields", object_of_strings(fields));
    }
    put("license_key", text("license_key"));
    put("ip_country", text("country"));
    put(
        "is_gift_receiver_purchase",
        J::Bool(sale.has(flag::GIFT_RECEIVER)),
    );
    put("refunded", flag_of("refunded"));
    put("disputed", flag_of("disputed"));
    put("dispute_won", flag_of("dispute_won"));
    put("resource_name", J::from(resource_name.to_owned()));
    // "When relevant" fields the sale does not have are left out rather than sent empty.
    p.retain(|(key, value)| *value != J::Null || ALWAYS.contains(&key.as_str()));
    p
}

/// The base of a subscription ping (`cancellation`, `subscription_ended`, `subscription_restarted`,
/// `subscription_updated`; §9.4) for subscription `number`, whose charges are `charges` (oldest
/// first), followed by the event's own fields.
pub(crate) fn subscription(
    state: &SimState,
    number: u32,
    charges: &[Sale],
    resource_name: &str,
    extra: Payload,
) -> Payload {
    let Some(first) = charges.first() else {
        return Vec::new();
    };
    let product = state.catalog.products.get(first.product as usize);
    let rendered = serde_json::to_value(json::sale(state, first)).unwrap_or_default();
    let text = |key: &str| {
        rendered
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    let purchase_ids: Vec<J> = charges
        .iter()
        .map(|c| J::Str(state.sales.external_id(c)))
        .collect();
    let mut p: Payload = vec![
        (
            "subscription_id".into(),
            J::Str(state.sales.subscription_id(number - 1)),
        ),
        (
            "product_id".into(),
            J::from(product.map(|p| p.external_id.clone())),
        ),
        (
            "product_name".into(),
            J::from(product.map(|p| p.name.clone())),
        ),
        ("user_id".into(), J::Str(text("purchaser_id"))),
        ("user_email".into(), J::Str(text("email"))),
        ("purchase_ids".into(), J::Arr(purchase_ids)),
        (
            "created_at".into(),
            J::Str(
                first
                    .created_at()
                    .to_rfc3339_opts(SecondsFormat::Secs, true),
            ),
        ),
        (
            "charge_occurrence_count".into(),
            J::Int(charges.len() as i64),
        ),
        (
            "recurrence".into(),
            J::from(json::recurrence(first).map(str::to_owned)),
        ),
        ("free_trial_ends_at".into(), J::Null),
    ];
    if let Some(fields) = rendered.get("custom_fields").and_then(|v| v.as_object())
        && !fields.is_empty()
    {
        p.push(("custom_fields".into(), object_of_strings(fields)));
    }
    if let Some(key) = rendered.get("license_key").and_then(|v| v.as_str()) {
        p.push(("license_key".into(), J::from(key.to_owned())));
    }
    p.push(("resource_name".into(), J::from(resource_name.to_owned())));
    p.extend(extra);
    p
}

/// Keys sent even when empty (§9.3 "Always").
const ALWAYS: &[&str] = &["seller_id", "email", "referrer", "card"];

fn plain(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn object_of_strings(map: &serde_json::Map<String, serde_json::Value>) -> J {
    J::Obj(
        map.iter()
            .map(|(k, v)| (k.clone(), J::Str(plain(v))))
            .collect(),
    )
}

/// Adds `retry_count` for a retried ping (1, 2, 3).
pub(crate) fn with_retry_count(payload: &Payload, retry_count: u8) -> Payload {
    let mut payload = payload.clone();
    if retry_count > 0 {
        payload.push(("retry_count".to_owned(), J::Int(i64::from(retry_count))));
    }
    payload
}

/// `application/x-www-form-urlencoded` as HTTParty sends it: brackets for nesting, `key[]=` per array
/// item (`key[]=` alone for an empty one), null as an empty value, `%20` for a space; a literal `[` or
/// `]` in a key name is escaped first.
pub(crate) fn form_encode(payload: &Payload) -> String {
    let mut pairs = Vec::new();
    for (key, value) in payload {
        flatten(&escape(key), value, &mut pairs);
    }
    pairs
        .into_iter()
        .map(|(k, v)| format!("{k}={}", escape(&v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn flatten(key: &str, value: &J, out: &mut Vec<(String, String)>) {
    match value {
        J::Null => out.push((key.to_owned(), String::new())),
        J::Bool(b) => out.push((key.to_owned(), b.to_string())),
        J::Int(n) => out.push((key.to_owned(), n.to_string())),
        J::Str(s) => out.push((key.to_owned(), s.clone())),
        J::Arr(items) if items.is_empty() => out.push((format!("{key}[]"), String::new())),
        J::Arr(items) => {
            for item in items {
                flatten(&format!("{key}[]"), item, out);
            }
        }
        J::Obj(pairs) => {
            for (inner, value) in pairs {
                flatten(&format!("{key}[{}]", escape(inner)), value, out);
            }
        }
    }
}

/// Percent-encodes everything but `A–Z a–z 0–9 - . _ ~` (so a space is `%20`).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The same fields as one JSON object (zapier.com hosts).
pub(crate) fn json_body(payload: &Payload) -> String {
    serde_json::to_string(&J::Obj(payload.clone())).unwrap_or_default()
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn forms_nest_with_brackets_and_escape_like_httparty() {
        let payload: Payload = vec![
            ("price".into(), J::Int(1000)),
            (
                "card".into(),
                J::obj(vec![("visual", J::from("**** 4242")), ("bin", J::Null)]),
            ),
            (
                "purchase_ids".into(),
                J::Arr(vec![J::from("a"), J::from("b")]),
            ),
            ("none".into(), J::Arr(Vec::new())),
            (
                "custom_fields".into(),
                J::obj(vec![("Company name", J::from("A&B"))]),
            ),
            ("odd[key]".into(), J::Bool(true)),
        ];
        assert_eq!(
            form_encode(&payload),
            "price=1000&card[visual]=%2A%2A%2A%2A%204242&card[bin]=&purchase_ids[]=a&purchase_ids[]=b\
             &none[]=&custom_fields[Company%20name]=A%26B&odd%5Bkey%5D=true"
        );
        assert_eq!(
            form_encode(&with_retry_count(&vec![("a".into(), J::from("b"))], 2)),
            "a=b&retry_count=2"
        );
    }
}
