//! Sales as the mirror keeps them: the typed columns read from Gumroad's sale JSON, the keyset cursor of
//! the sales pages, and the creator's time zone derived from a sale's `daystamp`.
//!
//! Money: Gumroad's `price` is USD cents whatever the product's currency, while the buyer paid in the
//! product's currency (`formatted_display_price`, `amount_refundable_in_currency`). Both are kept, labelled,
//! and never added together.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use super::money::Currency;

/// One sale's typed columns (the whole JSON is stored beside them).
#[derive(Clone, Debug, PartialEq)]
pub struct SaleRecord {
    pub gumroad_id: String,
    pub created_at: DateTime<Utc>,
    /// `created_at`'s date in the creator's time zone.
    pub day: NaiveDate,
    pub product_id: String,
    pub product_name: String,
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub price_usd_cents: i64,
    pub fee_usd_cents: Option<i64>,
    pub currency: Option<Currency>,
    /// What the buyer paid, in `currency`'s smallest unit.
    pub amount_cents: Option<i64>,
    pub refundable_cents: Option<i64>,
    pub refunded_cents: i64,
    pub refunded_usd_cents: i64,
    pub quantity: i32,
    pub refunded: bool,
    pub partially_refunded: bool,
    pub disputed: bool,
    pub dispute_won: bool,
    pub chargedback: bool,
    pub order_id: Option<i64>,
    pub offer_code: Option<String>,
    pub variants: Option<String>,
    pub country: Option<String>,
    pub referrer: Option<String>,
    pub subscription_id: Option<String>,
    pub license_key: Option<String>,
    pub is_physical: bool,
    pub shipped: bool,
    pub json: Value,
}

impl SaleRecord {
    /// Reads the columns from a sale Gumroad sent. Tolerant like the client: numbers and booleans may be
    /// strings, absent keys are null.
    pub fn from_gumroad(id: &str, created_at: DateTime<Utc>, json: Value, zone: Tz) -> SaleRecord {
        let text = |key: &str| text_of(&json, key);
        let flag = |key: &str| bool_of(&json, key);
        let currency = text("currency_symbol")
            .and_then(|s| Currency::from_symbol(&s))
            .or_else(|| {
                text("formatted_display_price").and_then(|p| currency_of_display_price(&p))
            });
        let amount_cents = currency.and_then(|c| {
            text("formatted_display_price").and_then(|p| amount_of_display_price(&p, c))
        });
        let refundable_cents = currency.and_then(|c| {
            text("amount_refundable_in_currency").and_then(|a| parse_decimal_amount(&a, c))
        });
        let price_usd_cents = int_of(&json, "price").unwrap_or(0);
        let (refunded, partially_refunded) = (flag("refunded"), flag("partially_refunded"));
        let refunded_cents =
            refunded_amount(refunded, partially_refunded, amount_cents, refundable_cents);
        let refunded_usd_cents = match amount_cents {
            Some(amount) if amount > 0 => {
                (i128::from(price_usd_cents) * i128::from(refunded_cents) / i128::from(amount))
                    as i64
            }
            _ if refunded => price_usd_cents,
            _ => 0,
        };
        let variants = text("variants_and_quantity").or_else(|| variants_text(&json));
        SaleRecord {
            gumroad_id: id.to_owned(),
            created_at,
            day: created_at.with_timezone(&zone).date_naive(),
            product_id: text("product_id").unwrap_or_default(),
            product_name: text("product_name").unwrap_or_default(),
            email: text("email"),
            full_name: text("full_name"),
            price_usd_cents,
            fee_usd_cents: int_of(&json, "gumroad_fee"),
            currency,
            amount_cents,
            refundable_cents,
            refunded_cents,
            refunded_usd_cents,
            quantity: int_of(&json, "quantity")
                .and_then(|q| i32::try_from(q).ok())
                .unwrap_or(1),
            refunded,
            partially_refunded,
            disputed: flag("disputed"),
            dispute_won: flag("dispute_won"),
            chargedback: flag("chargedback"),
            order_id: int_of(&json, "order_id"),
            offer_code: offer_code_of(&json),
            variants,
            country: text("country"),
            referrer: text("referrer"),
            subscription_id: text("subscription_id"),
            license_key: text("license_key"),
            is_physical: flag("is_product_physical"),
            shipped: flag("shipped"),
            json,
        }
    }
}

/// How much of the sale was refunded, in the product's currency: all of it, or what is no longer
/// refundable after a partial refund.
fn refunded_amount(
    refunded: bool,
    partially_refunded: bool,
    amount: Option<i64>,
    refundable: Option<i64>,
) -> i64 {
    match (refunded, partially_refunded, amount, refundable) {
        (true, _, Some(amount), _) => amount,
        (false, true, Some(amount), Some(refundable)) => (amount - refundable).clamp(0, amount),
        _ => 0,
    }
}

fn text_of(json: &Value, key: &str) -> Option<String> {
    match json.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn int_of(json: &Value, key: &str) -> Option<i64> {
    match json.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A Gumroad flag in a JSON object: `true`, `"true"` or `1`; absent is false.
pub fn bool_of(json: &Value, key: &str) -> bool {
    match json.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.trim().eq_ignore_ascii_case("true") || s.trim() == "1",
        Some(Value::Number(n)) => n.as_i64().is_some_and(|n| n != 0),
        _ => false,
    }
}

/// The sale's offer code: an object `{code, …}` on sales, a plain string on pings.
fn offer_code_of(json: &Value) -> Option<String> {
    match json.get("offer_code")? {
        Value::Object(code) => code
            .get("code")
            .or_else(|| code.get("name"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        Value::String(code) if !code.is_empty() => Some(code.clone()),
        _ => None,
    }
}

/// `{"Tier": "Premium", "Format": "PDF"}` → "Tier: Premium, Format: PDF".
fn variants_text(json: &Value) -> Option<String> {
    let variants = json.get("variants")?.as_object()?;
    let parts: Vec<String> = variants
        .iter()
        .filter_map(|(k, v)| Some(format!("{k}: {}", v.as_str()?)))
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The symbol at the start of a display price: "€12" → EUR, "CAD$5" → CAD, "$9.99 a month" → USD.
/// The longest matching symbol wins, so "A$" is not read as "$".
fn currency_of_display_price(price: &str) -> Option<Currency> {
    let price = price.trim().trim_start_matches('-');
    Currency::all()
        .iter()
        .copied()
        .filter(|c| price.starts_with(c.symbol()))
        .max_by_key(|c| c.symbol().len())
}

/// The number in a display price, in `currency`'s smallest unit: "€1,234.50" → 123450, "¥1,500" → 1500,
/// "$10 a month" → 1000, "CHF 12" → 1200. Text after the number (a period) is ignored.
fn amount_of_display_price(price: &str, currency: Currency) -> Option<i64> {
    let rest = price.trim().strip_prefix(currency.symbol())?.trim_start();
    let number: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '.')
        .collect();
    parse_decimal_amount(&number, currency)
}

/// "1,234.50" → 123450 (2 decimals), "1500" → 1500 (JPY). `None` for anything else.
pub fn parse_decimal_amount(text: &str, currency: Currency) -> Option<i64> {
    let cleaned: String = text.trim().chars().filter(|c| *c != ',').collect();
    if cleaned.is_empty() {
        return None;
    }
    let (major, minor) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    let decimals = currency.decimals() as usize;
    if major.is_empty()
        || !major.bytes().all(|b| b.is_ascii_digit())
        || !minor.bytes().all(|b| b.is_ascii_digit())
        || minor.len() > decimals.max(2)
    {
        return None;
    }
    let major: i64 = major.parse().ok()?;
    let mut minor_digits = minor.to_owned();
    while minor_digits.len() < decimals {
        minor_digits.push('0');
    }
    minor_digits.truncate(decimals);
    let minor: i64 = if minor_digits.is_empty() {
        0
    } else {
        minor_digits.parse().ok()?
    };
    major
        .checked_mul(10_i64.pow(decimals as u32))?
        .checked_add(minor)
}

/// A position in the sales list, newest first: the last row's time (whole microseconds, so no row is
/// skipped by a rounded timestamp) and our id. Opaque in URLs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SalesCursor {
    pub created_at: DateTime<Utc>,
    pub id: i64,
}

impl SalesCursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "{}:{}",
            self.created_at.timestamp_micros(),
            self.id
        ))
    }

    /// `None` for anything `encode` did not make (a hand-edited URL shows the first page).
    pub fn decode(text: &str) -> Option<SalesCursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (micros, id) = text.split_once(':')?;
        let created_at = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
        // Only times PostgreSQL can compare with (and a sale can have).
        if !(1970..=9999).contains(&chrono::Datelike::year(&created_at)) {
            return None;
        }
        Some(SalesCursor {
            created_at,
            id: id.parse().ok()?,
        })
    }
}

/// The seller's UTC offset in minutes, from a sale's `created_at` (UTC) and its `daystamp` (the same
/// moment as seller-local display text, " 5 Jan 2021 11:38 AM"), rounded to a quarter hour.
pub fn utc_offset_from_daystamp(created_at: DateTime<Utc>, daystamp: &str) -> Option<i32> {
    let squeezed = daystamp.split_whitespace().collect::<Vec<_>>().join(" ");
    let local = NaiveDateTime::parse_from_str(&squeezed, "%d %b %Y %I:%M %p").ok()?;
    let utc_minutes = created_at.timestamp().div_euclid(60);
    let local_minutes = local.and_utc().timestamp().div_euclid(60);
    let offset = local_minutes - utc_minutes;
    let rounded = ((offset as f64) / 15.0).round() as i64 * 15;
    (rounded.abs() <= 14 * 60).then_some(rounded as i32)
}

/// A time zone with that fixed offset: `Etc/GMT±h` for whole hours (whose sign is inverted by POSIX
/// convention: UTC−5 is `Etc/GMT+5`), else a zone known to keep that offset all year.
pub fn zone_for_offset(minutes: i32) -> Option<Tz> {
    let name = if minutes == 0 {
        "UTC".to_owned()
    } else if minutes % 60 == 0 {
        let hours = -minutes / 60;
        format!(
            "Etc/GMT{}{}",
            if hours > 0 { "+" } else { "-" },
            hours.abs()
        )
    } else {
        match minutes {
            330 => "Asia/Kolkata",
            345 => "Asia/Kathmandu",
            390 => "Asia/Yangon",
            270 => "Asia/Kabul",
            210 => "Asia/Tehran",
            570 => "Australia/Darwin",
            525 => "Australia/Eucla",
            -210 => "America/St_Johns",
            -570 => "Pacific/Marquesas",
            _ => return None,
        }
        .to_owned()
    };
    name.parse().ok()
}

/// A zone's name as people read it: `Etc/GMT+5` (POSIX's inverted sign) is "UTC−05:00"; other
/// names are shown as they are ("Europe/Paris").
pub fn zone_label(name: &str) -> String {
    let Some(rest) = name.strip_prefix("Etc/GMT") else {
        return name.to_owned();
    };
    if rest.is_empty() {
        return "UTC".to_owned();
    }
    match rest.parse::<i32>() {
        Ok(0) => "UTC".to_owned(),
        Ok(hours) => format!(
            "UTC{}{:02}:00",
            if hours > 0 { '−' } else { '+' },
            hours.abs()
        ),
        Err(_) => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn display_prices_read_in_their_own_currency() {
        let usd = Currency::USD;
        assert_eq!(amount_of_display_price("$9.99", usd), Some(999));
        assert_eq!(amount_of_display_price("$10 a month", usd), Some(1000));
        assert_eq!(amount_of_display_price("¥1,500", Currency::JPY), Some(1500));
        assert_eq!(
            amount_of_display_price("€1,234.5", Currency::EUR),
            Some(123_450)
        );
        let chf = Currency::parse("chf").unwrap();
        assert_eq!(amount_of_display_price("CHF 12", chf), Some(1200));
        assert_eq!(amount_of_display_price("free", usd), None);
        assert_eq!(
            currency_of_display_price("A$5"),
            Some(Currency::parse("aud").unwrap())
        );
        assert_eq!(currency_of_display_price("$5"), Some(Currency::USD));
        assert_eq!(currency_of_display_price("5 dollars"), None);
        assert_eq!(parse_decimal_amount("12.3.4", usd), None);
        assert_eq!(parse_decimal_amount("0.00", usd), Some(0));
    }

    #[test]
    fn a_eur_sale_keeps_usd_cents_and_euro_cents_apart() {
        let record = SaleRecord::from_gumroad(
            "s1",
            at("2024-03-02T03:15:00Z"),
            json!({
                "product_id": "p1", "product_name": "Brushes", "price": 1296, "gumroad_fee": 150,
                "currency_symbol": "€", "formatted_display_price": "€12",
                "amount_refundable_in_currency": "8.00", "partially_refunded": true,
                "offer_code": {"code": "SPRING", "displayed_amount_off": "10%"},
                "variants": {"Format": "PDF"}, "quantity": "2", "email": "a@example.com"
            }),
            "America/New_York".parse().unwrap(),
        );
        assert_eq!(record.currency, Some(Currency::EUR));
        assert_eq!(record.amount_cents, Some(1200));
        assert_eq!(record.price_usd_cents, 1296);
        assert_eq!(record.refundable_cents, Some(800));
        assert_eq!(record.refunded_cents, 400);
        assert_eq!(record.refunded_usd_cents, 432);
        assert_eq!(record.offer_code.as_deref(), Some("SPRING"));
        assert_eq!(record.variants.as_deref(), Some("Format: PDF"));
        assert_eq!(record.quantity, 2);
        // 03:15 UTC is still the evening before in New York.
        assert_eq!(record.day, NaiveDate::from_ymd_opt(2024, 3, 1).unwrap());
    }

    #[test]
    fn a_full_refund_counts_the_whole_sale_and_unknown_text_counts_nothing_in_currency() {
        let record = SaleRecord::from_gumroad(
            "s2",
            at("2024-03-02T12:00:00Z"),
            json!({"price": 500, "refunded": "true", "formatted_display_price": "5 things"}),
            Tz::UTC,
        );
        assert_eq!(record.currency, None);
        assert_eq!(record.amount_cents, None);
        assert_eq!(record.refunded_cents, 0);
        assert_eq!(record.refunded_usd_cents, 500);
        assert!(record.refunded);
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let cursor = SalesCursor {
            created_at: at("2024-03-02T10:15:00.123456Z"),
            id: 42,
        };
        assert_eq!(SalesCursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(SalesCursor::decode("not a cursor"), None);
        assert_eq!(SalesCursor::decode(""), None);
        let ancient = URL_SAFE_NO_PAD.encode("-250000000000000000:1");
        assert_eq!(SalesCursor::decode(&ancient), None);
    }

    #[test]
    fn offsets_come_from_the_daystamp() {
        let created = at("2021-01-05T19:38:56Z");
        assert_eq!(
            utc_offset_from_daystamp(created, " 5 Jan 2021 2:38 PM"),
            Some(-300)
        );
        assert_eq!(
            utc_offset_from_daystamp(created, " 6 Jan 2021  1:08 AM"),
            Some(330)
        );
        assert_eq!(utc_offset_from_daystamp(created, "yesterday"), None);
        assert_eq!(zone_for_offset(-300).map(|z| z.name()), Some("Etc/GMT+5"));
        assert_eq!(zone_for_offset(330).map(|z| z.name()), Some("Asia/Kolkata"));
        assert_eq!(zone_for_offset(0).map(|z| z.name()), Some("UTC"));
        assert_eq!(zone_for_offset(17), None);
        assert_eq!(zone_label("Etc/GMT+5"), "UTC−05:00");
        assert_eq!(zone_label("Etc/GMT-14"), "UTC+14:00");
        assert_eq!(zone_label("Etc/GMT"), "UTC");
        assert_eq!(zone_label("Europe/Paris"), "Europe/Paris");
    }
}
