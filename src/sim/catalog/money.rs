//! Currencies (api-facts §6.4): the ones Gumroad accepts, their minimum prices in the smallest unit, and the
//! way amounts are written in messages and `formatted_price`.

struct Currency {
    code: &'static str,
    symbol: &'static str,
    /// The minimum non-zero price, in the smallest unit.
    min_price: i64,
    /// Smallest units per major unit: 1 for single-unit currencies (JPY), else 100.
    unit: i64,
    /// Rough major units per US dollar, for the $5,000 cap and seeded USD totals.
    per_usd: f64,
}

const CURRENCIES: &[Currency] = &[
    cur("usd", "$", 99, 100, 1.0),
    cur("eur", "€", 79, 100, 0.92),
    cur("gbp", "£", 59, 100, 0.79),
    cur("jpy", "¥", 99, 1, 150.0),
    cur("aud", "A$", 99, 100, 1.52),
    cur("cad", "C$", 99, 100, 1.37),
    cur("sgd", "S$", 99, 100, 1.34),
    cur("nzd", "NZ$", 99, 100, 1.66),
    cur("chf", "CHF", 100, 100, 0.88),
    cur("inr", "₹", 7300, 100, 83.0),
    cur("hkd", "HK$", 799, 100, 7.8),
    cur("twd", "NT$", 2999, 100, 32.0),
    cur("brl", "R$", 533, 100, 5.3),
    cur("zar", "R", 1300, 100, 18.5),
    cur("ils", "₪", 700, 100, 3.7),
    cur("php", "₱", 4500, 100, 56.0),
    cur("krw", "₩", 111_000, 100, 1350.0),
    cur("pln", "zł", 379, 100, 4.0),
    cur("czk", "Kč", 2149, 100, 23.0),
];

const fn cur(
    code: &'static str,
    symbol: &'static str,
    min_price: i64,
    unit: i64,
    per_usd: f64,
) -> Currency {
    Currency {
        code,
        symbol,
        min_price,
        unit,
        per_usd,
    }
}

/// The most a product (or product plus variant) may cost: $5,000, in US cents.
const MAX_PRICE_USD_CENTS: i64 = 500_000;

fn find(code: &str) -> Option<&'static Currency> {
    CURRENCIES.iter().find(|c| c.code == code)
}

/// The lowercase code if Gumroad supports the currency (case-insensitive).
pub(crate) fn supported(code: &str) -> Option<&'static str> {
    let lower = code.trim().to_ascii_lowercase();
    find(&lower).map(|c| c.code)
}

pub(crate) fn min_price(code: &str) -> i64 {
    find(code).map_or(99, |c| c.min_price)
}

/// A price is valid when free or at least the currency's minimum.
pub(crate) fn below_minimum(code: &str, amount: i64) -> bool {
    amount != 0 && amount < min_price(code)
}

pub(crate) fn above_maximum(code: &str, amount: i64) -> bool {
    to_usd_cents(code, amount) > MAX_PRICE_USD_CENTS
}

/// "Sorry, a product must be at least $0.99." with the currency's own minimum.
pub(crate) fn minimum_message(code: &str) -> String {
    format!(
        "Sorry, a product must be at least {}.",
        format_amount(code, min_price(code), false)
    )
}

pub(crate) const MAXIMUM_MESSAGE: &str = "Sorry, we don't support pricing products above $5,000.";

/// An amount in the smallest unit converted to US cents (rounded), with rough fixed rates.
pub(crate) fn to_usd_cents(code: &str, amount: i64) -> i64 {
    let Some(currency) = find(code) else {
        return amount;
    };
    let major = amount as f64 / currency.unit as f64;
    (major / currency.per_usd * 100.0).round() as i64
}

/// `$0.99`, `$10`, `$1,500`, `¥1,500`, `€7.50`: symbol, thousands separators, cents unless whole (when
/// `no_cents_if_whole`) or single-unit.
pub(crate) fn format_amount(code: &str, amount: i64, no_cents_if_whole: bool) -> String {
    let (symbol, unit) = find(code).map_or(("$", 100), |c| (c.symbol, c.unit));
    format!("{symbol}{}", format_number(amount, unit, no_cents_if_whole))
}

/// The number alone, as in variant `recurrence_price_values` (`"10"`, `"9.99"`).
pub(crate) fn format_number(amount: i64, unit: i64, no_cents_if_whole: bool) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    let amount = amount.unsigned_abs();
    let unit = unit.unsigned_abs().max(1);
    let major = amount / unit;
    let minor = amount % unit;
    let mut grouped = String::new();
    let digits = major.to_string();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if unit == 1 || (no_cents_if_whole && minor == 0) {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{minor:02}")
    }
}

/// `$`, `€`, `¥`… (`$` for an unknown code).
pub(crate) fn symbol_of(code: &str) -> &'static str {
    find(code).map_or("$", |c| c.symbol)
}

pub(crate) fn unit_of(code: &str) -> i64 {
    find(code).map_or(100, |c| c.unit)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn formats_and_minimums() {
        assert_eq!(
            minimum_message("usd"),
            "Sorry, a product must be at least $0.99."
        );
        assert_eq!(
            minimum_message("eur"),
            "Sorry, a product must be at least €0.79."
        );
        assert_eq!(
            minimum_message("jpy"),
            "Sorry, a product must be at least ¥99."
        );
        assert_eq!(format_amount("usd", 100, true), "$1");
        assert_eq!(format_amount("usd", 150_000, true), "$1,500");
        assert_eq!(format_amount("usd", 1999, true), "$19.99");
        assert_eq!(format_amount("jpy", 1500, true), "¥1,500");
        assert!(below_minimum("usd", 98) && !below_minimum("usd", 0) && !below_minimum("usd", 99));
        assert!(above_maximum("usd", 500_001) && !above_maximum("usd", 500_000));
        assert_eq!(supported("EUR"), Some("eur"));
        assert_eq!(supported("zzz"), None);
    }
}
