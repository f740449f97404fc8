//! A sale as the API renders it (api-facts §6.7; Gumroad's `Purchase#as_json`, version 2), keys in
//! Gumroad's order. The main block drops every null key; `card` and `product_rating` come after and keep
//! their nulls, then the "when relevant" keys, `quantity` last.

use chrono::{DateTime, Datelike as _, TimeZone as _, Utc};
use chrono_tz::Tz;

use super::people;
use super::{Sale, SubscriptionState, flag};
use crate::sim::catalog::json::J;
use crate::sim::catalog::{Product, RECURRENCES, money};
use crate::sim::ids;
use crate::sim::store::SimState;

/// Gumroad's fee in USD cents: 10% + 50¢ (30% through Discover), never more than the price.
pub(crate) fn gumroad_fee(usd_cents: i64, discover: bool) -> i64 {
    if usd_cents <= 0 {
        return 0;
    }
    let fee = if discover {
        usd_cents * 30 / 100
    } else {
        usd_cents / 10 + 50
    };
    fee.min(usd_cents)
}

/// `"a month"`, `"a year"`… as in `formatted_price`.
pub(crate) fn period_words(recurrence: &str) -> Option<&'static str> {
    Some(match recurrence {
        "monthly" => "a month",
        "quarterly" => "every 3 months",
        "biannually" => "every 6 months",
        "yearly" => "a year",
        "every_two_years" => "every 2 years",
        _ => return None,
    })
}

/// The sale's recurrence (`monthly`, …), for subscription sales.
pub(crate) fn recurrence(sale: &Sale) -> Option<&'static str> {
    RECURRENCES
        .get(usize::from(sale.recurrence).checked_sub(1)?)
        .copied()
}

/// `daystamp`: `created_at` in the seller's zone as `%e %b %Y %l:%M %p`: day and hour padded with a space,
/// so `" 5 Jan 2021 11:38 AM"`, `"15 Jan 2021  9:05 PM"`. An unknown zone falls back to UTC.
pub(crate) fn daystamp(time: DateTime<Utc>, time_zone: &str) -> String {
    let format = "%e %b %Y %l:%M %p";
    match time_zone.parse::<Tz>() {
        Ok(tz) => tz
            .from_utc_datetime(&time.naive_utc())
            .format(format)
            .to_string(),
        Err(_) => time.format(format).to_string(),
    }
}

/// Rails' `time_ago_in_words(from)` at `now` (without seconds), plus " ago".
pub(crate) fn time_ago(from: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - from).num_seconds().abs();
    let minutes = (seconds as f64 / 60.0).round() as i64;
    let words = match minutes {
        0 => "less than a minute".to_owned(),
        1 => "1 minute".to_owned(),
        2..45 => format!("{minutes} minutes"),
        45..90 => "about 1 hour".to_owned(),
        90..1440 => format!("about {} hours", (minutes as f64 / 60.0).round() as i64),
        1440..2520 => "1 day".to_owned(),
        2520..43200 => format!("{} days", (minutes as f64 / 1440.0).round() as i64),
        43200..86400 => {
            let months = (minutes as f64 / 43200.0).round() as i64;
            if months == 1 {
                "about 1 month".to_owned()
            } else {
                format!("about {months} months")
            }
        }
        86400..525_600 => format!("{} months", (minutes as f64 / 43200.0).round() as i64),
        _ => years_ago(from.min(now), from.max(now), minutes),
    };
    format!("{words} ago")
}

/// Rails' year branch: leap days between the two dates are taken off, then "about", "over" or "almost".
fn years_ago(from: DateTime<Utc>, to: DateTime<Utc>, minutes: i64) -> String {
    let from_year = from.year() + i32::from(from.month() >= 3);
    let to_year = to.year() - i32::from(to.month() < 3);
    let leap_years = if from_year > to_year {
        0
    } else {
        (from_year..=to_year)
            .filter(|y| chrono::NaiveDate::from_ymd_opt(*y, 2, 29).is_some())
            .count() as i64
    };
    let minutes = minutes - leap_years * 1440;
    let remainder = minutes % 525_600;
    let years = minutes / 525_600;
    let plural = |n: i64| if n == 1 { "year" } else { "years" };
    if remainder < 131_400 {
        format!("about {years} {}", plural(years))
    } else if remainder < 394_200 {
        format!("over {years} {}", plural(years))
    } else {
        format!("almost {} {}", years + 1, plural(years + 1))
    }
}

/// `formatted_display_price`: what was paid, in the product's currency, with the period for
/// subscriptions (`"$10 a month"`).
fn formatted_display_price(sale: &Sale, product: &Product) -> String {
    let mut text = money::format_amount(&product.currency, i64::from(sale.price), true);
    if let Some(words) = recurrence(sale).and_then(period_words) {
        text.push(' ');
        text.push_str(words);
    }
    text
}

/// The chosen options, by category title (`{"Tier": "Patron"}`), and their names.
fn variants(sale: &Sale, product: &Product) -> Vec<(String, String)> {
    product
        .variant_categories
        .iter()
        .enumerate()
        .filter_map(|(index, category)| {
            let option = category.variants.get(sale.variant_option(index)?)?;
            let title = category.title.clone().unwrap_or_default();
            Some((title, option.name.clone()))
        })
        .collect()
}

/// Gumroad's `variants_and_quantity_displayable`: `"(Patron, Qty: 2)"`, or `""`.
fn variants_and_quantity(names: &[String], quantity: u16) -> String {
    let mut parts: Vec<String> = names.iter().filter(|n| *n != "Untitled").cloned().collect();
    if quantity > 1 {
        parts.push(format!("Qty: {quantity}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("({})", parts.join(", "))
    }
}

fn custom_fields(state: &SimState, sale: &Sale, product: &Product) -> Vec<(String, J)> {
    if let Some(answers) = state
        .sales
        .detail(sale)
        .and_then(|d| d.custom_fields.as_ref())
    {
        return answers
            .iter()
            .map(|(name, value)| (name.clone(), from_json(value)))
            .collect();
    }
    if !sale.has(flag::CUSTOM_FIELDS) {
        return Vec::new();
    }
    state
        .catalog
        .custom_fields_for(product)
        .into_iter()
        .map(|field| {
            let answer = people::custom_field_answer(sale.buyer, &field.field_type, &field.name);
            (field.name.clone(), from_json(&answer))
        })
        .collect()
}

fn from_json(value: &serde_json::Value) -> J {
    match value {
        serde_json::Value::Null => J::Null,
        serde_json::Value::Bool(b) => J::Bool(*b),
        serde_json::Value::Number(n) => n.as_i64().map_or_else(|| J::Str(n.to_string()), J::Int),
        serde_json::Value::String(s) => J::Str(s.clone()),
        serde_json::Value::Array(items) => J::Arr(items.iter().map(from_json).collect()),
        serde_json::Value::Object(map) => {
            J::Obj(map.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
    }
}

/// `displayed_amount_off`: `"20%"` or the amount with its symbol (`"$5"`).
fn displayed_amount_off(code: &crate::sim::catalog::OfferCode, currency: &str) -> String {
    match (code.percent_off, code.amount_cents) {
        (Some(percent), _) => format!("{percent}%"),
        (None, Some(amount)) => {
            money::format_amount(code.currency.as_deref().unwrap_or(currency), amount, true)
        }
        (None, None) => String::new(),
    }
}

/// Collects key/value pairs, leaving out nulls.
struct Pairs(Vec<(String, J)>);

impl Pairs {
    fn put(&mut self, key: &str, value: impl Into<J>) {
        let value = value.into();
        if value != J::Null {
            self.0.push((key.to_owned(), value));
        }
    }

    fn keep(&mut self, key: &str, value: impl Into<J>) {
        self.0.push((key.to_owned(), value.into()));
    }
}

/// The sale as `GET /v2/sales[/:id]` shows it.
pub(crate) fn sale(state: &SimState, sale: &Sale) -> J {
    let sales = &state.sales;
    let Some(product) = state.catalog.products.get(sale.product as usize) else {
        return J::Null;
    };
    let creator = state.creators.get(sale.creator as usize);
    let detail = sales.detail(sale);
    let created_at = sale.created_at();
    let currency = product.currency.as_str();
    let usd = money::to_usd_cents(currency, i64::from(sale.price));
    let (email, full_name) = match detail.and_then(|d| d.email.clone()) {
        Some(email) => (email, detail.and_then(|d| d.full_name.clone())),
        None => (
            people::email(sale.buyer),
            Some(
                detail
                    .and_then(|d| d.full_name.clone())
                    .unwrap_or_else(|| people::full_name(sale.buyer)),
            ),
        ),
    };
    let country = people::country_of(sale.buyer);
    let physical = product.is_physical();
    let chosen = variants(sale, product);
    let names: Vec<String> = chosen.iter().map(|(_, name)| name.clone()).collect();
    let fields = custom_fields(state, sale, product);
    let gift_partner = detail.and_then(|d| d.gift_partner_email.clone());
    let referrer = detail
        .and_then(|d| d.referrer.clone())
        .unwrap_or_else(|| people::REFERRERS[usize::from(sale.referrer)].to_owned());

    let mut json = Pairs(Vec::with_capacity(72));
    json.put("id", sales.external_id(sale));
    json.put("email", email.as_str());
    json.put("seller_id", creator.map(|c| c.user_id.clone()));
    json.put("timestamp", time_ago(created_at, state.now()));
    json.put(
        "daystamp",
        daystamp(created_at, creator.map_or("UTC", |c| c.time_zone.as_str())),
    );
    json.put(
        "created_at",
        created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    json.put("product_name", product.name.as_str());
    json.put(
        "product_has_variants",
        product.live_categories().count() > 0,
    );
    json.put("price", usd);
    json.put("gumroad_fee", gumroad_fee(usd, sale.has(flag::DISCOVER)));
    json.put("is_bundle_purchase", false);
    json.put("is_bundle_product_purchase", false);
    json.put("subscription_duration", recurrence(sale));
    json.put(
        "formatted_display_price",
        formatted_display_price(sale, product),
    );
    json.put(
        "formatted_total_price",
        money::format_amount(currency, i64::from(sale.price), true),
    );
    json.put("currency_symbol", money::symbol_of(currency));
    json.put(
        "amount_refundable_in_currency",
        money::format_number(sale.refundable(), money::unit_of(currency), true),
    );
    json.put("product_id", product.external_id.as_str());
    json.put("product_permalink", product.unique_permalink.as_str());
    json.put("refunded", sale.is_refunded());
    json.put("partially_refunded", sale.is_partially_refunded());
    json.put(
        "chargedback",
        sale.has(flag::DISPUTED) && !sale.has(flag::DISPUTE_WON),
    );
    json.put("purchase_email", email.as_str());
    if sale.has(flag::GIFT_SENDER) {
        json.put("giftee_email", gift_partner.clone());
    }
    if sale.has(flag::GIFT_RECEIVER) {
        json.put("gifter_email", gift_partner);
    }
    json.put("full_name", full_name);
    if physical {
        json.put("street_address", people::street(sale.buyer));
        json.put("city", country.city);
        json.put("state", country.state);
        json.put("zip_code", country.zip);
    } else {
        json.put("state", country.state);
    }
    json.put("country", country.name);
    json.put("country_iso2", country.iso2);
    json.put("paid", sale.price != 0);
    json.put("has_variants", !chosen.is_empty());
    if !chosen.is_empty() {
        json.put(
            "variants",
            J::Obj(chosen.into_iter().map(|(k, v)| (k, J::Str(v))).collect()),
        );
    }
    json.put(
        "variants_and_quantity",
        variants_and_quantity(&names, sale.quantity),
    );
    json.put("has_custom_fields", !fields.is_empty());
    json.put("custom_fields", J::Obj(fields));
    json.put("order_id", ids::obfuscate_id(u64::from(sale.id)) as i64);
    json.put("is_product_physical", physical);
    json.put("purchaser_id", people::purchaser_id(sale.buyer));
    json.put("is_recurring_billing", product.is_recurring_billing());
    json.put("can_contact", !sale.has(flag::NO_CONTACT));
    json.put("is_following", sale.has(flag::FOLLOWING));
    json.put("disputed", sale.has(flag::DISPUTED));
    json.put("dispute_won", sale.has(flag::DISPUTE_WON));
    json.put("is_additional_contribution", false);
    json.put("discover_fee_charged", sale.has(flag::DISCOVER));
    json.put("is_upgrade_purchase", false);
    json.put(
        "is_more_like_this_recommended",
        sale.has(flag::MORE_LIKE_THIS),
    );
    json.put("is_gift_sender_purchase", sale.has(flag::GIFT_SENDER));
    json.put("is_gift_receiver_purchase", sale.has(flag::GIFT_RECEIVER));
    json.put("referrer", referrer);
    json.put("paypal_refund_expired", false);

    let (visual, card_type) = if sale.price == 0 {
        (J::Null, J::Null)
    } else {
        let (visual, card_type) = people::card(sale.buyer);
        (J::Str(visual), J::Str(card_type.to_owned()))
    };
    json.keep(
        "card",
        J::obj(vec![
            ("visual", visual),
            ("type", card_type),
            ("bin", J::Null),
            ("expiry_month", J::Null),
            ("expiry_year", J::Null),
        ]),
    );
    json.keep(
        "product_rating",
        (sale.rating > 0).then_some(i64::from(sale.rating)),
    );
    if let Some(state_of) = sales.subscription(sale) {
        json.put(
            "subscription_id",
            sales.subscription_id(sale.subscription - 1),
        );
        json.put("cancelled", state_of != SubscriptionState::Alive);
        json.put("dead", state_of == SubscriptionState::Ended);
        json.put("ended", state_of == SubscriptionState::Ended);
        json.put("free_trial_ended", false);
        json.put("recurring_charge", sale.has(flag::RECURRING_CHARGE));
    }
    if physical {
        json.put("shipped", sale.has(flag::SHIPPED));
        if sale.has(flag::TRACKING) {
            let url = detail
                .and_then(|d| d.tracking_url.clone())
                .unwrap_or_else(|| {
                    format!(
                        "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400{:018}",
                        ids::mix64(u64::from(sale.id)) % 1_000_000_000_000_000_000
                    )
                });
            json.put("tracking_url", url);
        }
    }
    if let Some(code) = (sale.offer_code as usize)
        .checked_sub(1)
        .and_then(|i| state.catalog.offer_codes.get(i))
    {
        json.keep(
            "offer_code",
            J::obj(vec![
                ("code", code.name.as_str().into()),
                (
                    "displayed_amount_off",
                    displayed_amount_off(code, currency).into(),
                ),
                ("name", code.name.as_str().into()),
            ]),
        );
    }
    if sale.has(flag::DISCOVER) {
        json.put("discover_fee_percentage", 30i64);
    }
    if product.is_licensed {
        json.put("license_key", sales.license_key(sale));
        json.put("license_id", sales.license_id(sale));
        json.put("license_disabled", sales.license(sale.id).disabled);
        json.put("is_multiseat_license", false);
    }
    json.put("quantity", i64::from(sale.quantity));
    J::Obj(json.0)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn words_like_rails() {
        let now = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap();
        let ago = |secs: i64| time_ago(now - chrono::Duration::seconds(secs), now);
        assert_eq!(ago(10), "less than a minute ago");
        assert_eq!(ago(60), "1 minute ago");
        assert_eq!(ago(600), "10 minutes ago");
        assert_eq!(ago(50 * 60), "about 1 hour ago");
        assert_eq!(ago(5 * 3600), "about 5 hours ago");
        assert_eq!(ago(30 * 3600), "1 day ago");
        assert_eq!(ago(10 * 86400), "10 days ago");
        assert_eq!(ago(40 * 86400), "about 1 month ago");
        assert_eq!(ago(70 * 86400), "2 months ago");
        assert_eq!(ago(370 * 86400), "about 1 year ago");
        assert_eq!(ago(500 * 86400), "over 1 year ago");
        assert_eq!(ago(700 * 86400), "almost 2 years ago");
    }

    #[test]
    fn daystamps_pad_with_spaces_in_the_sellers_zone() {
        let time = Utc.with_ymd_and_hms(2021, 1, 5, 16, 38, 56).unwrap();
        assert_eq!(daystamp(time, "America/New_York"), " 5 Jan 2021 11:38 AM");
        assert_eq!(daystamp(time, "Asia/Kolkata"), " 5 Jan 2021 10:08 PM");
        let summer = Utc.with_ymd_and_hms(2021, 7, 15, 13, 5, 0).unwrap();
        assert_eq!(daystamp(summer, "America/New_York"), "15 Jul 2021  9:05 AM");
        assert_eq!(daystamp(summer, "Nowhere/Else"), "15 Jul 2021  1:05 PM");
    }

    #[test]
    fn variants_and_quantity_like_gumroad() {
        assert_eq!(variants_and_quantity(&[], 1), "");
        assert_eq!(variants_and_quantity(&["PDF".into()], 2), "(PDF, Qty: 2)");
        assert_eq!(variants_and_quantity(&["Untitled".into()], 1), "");
        assert_eq!(gumroad_fee(1000, false), 150);
        assert_eq!(gumroad_fee(1000, true), 300);
        assert_eq!(gumroad_fee(0, false), 0);
        assert_eq!(gumroad_fee(40, false), 40);
    }
}
