//! Currencies and amounts as Gumroad counts them: integers in the currency's smallest unit.
//!
//! Gumroad's amounts are cents for every currency it sells in except JPY, which is single-unit
//! (api-facts §2, §6.4). Never divide by 100 blindly: ask the [`Currency`] for its `decimals`.

use std::fmt;
use std::str::FromStr;

/// What Gumroad's `config/currencies.json` says about one currency.
struct CurrencyInfo {
    code: &'static str,
    symbol: &'static str,
    /// Other prefixes a creator may type in a price field ("$" for every dollar).
    short_symbol: Option<&'static str>,
    name: &'static str,
    decimals: u32,
    minimum_price: i64,
}

const fn info(
    code: &'static str,
    symbol: &'static str,
    short_symbol: Option<&'static str>,
    name: &'static str,
    decimals: u32,
    minimum_price: i64,
) -> CurrencyInfo {
    CurrencyInfo {
        code,
        symbol,
        short_symbol,
        name,
        decimals,
        minimum_price,
    }
}

/// The 19 currencies, in the order of the api-facts §6.4 table. Symbols and names are Gumroad's own
/// (`config/currencies.json`), so our prices read like the `formatted_price` Gumroad sends.
static CURRENCIES: [CurrencyInfo; 19] = [
    info("usd", "$", None, "US Dollars", 2, 99),
    info("eur", "€", None, "Euro", 2, 79),
    info("gbp", "£", None, "British Pounds", 2, 59),
    info("jpy", "¥", None, "Yen", 0, 99),
    info("aud", "A$", Some("$"), "Australian Dollars", 2, 99),
    info("cad", "CAD$", Some("$"), "Canadian Dollars", 2, 99),
    info("sgd", "SGD$", Some("$"), "Singapore Dollars", 2, 99),
    info("nzd", "NZ$", Some("$"), "New Zealand Dollars", 2, 99),
    info("chf", "CHF", None, "Swiss Franc", 2, 100),
    info("inr", "₹", None, "Rupees", 2, 7300),
    info("hkd", "HK$", Some("$"), "Hong Kong Dollars", 2, 799),
    info("twd", "NT$", Some("$"), "Taiwanese Dollars", 2, 2999),
    info("brl", "R$", Some("$"), "Brazilian Real", 2, 533),
    info("zar", "ZAR", Some("R"), "South African Rand", 2, 1300),
    info("ils", "₪", None, "Israeli Shekel", 2, 700),
    info("php", "₱", None, "Philippine Peso", 2, 4500),
    // Gumroad counts won in hundredths like cents: its minimum, 111000, is ₩1,110.
    info("krw", "₩", None, "Korean Won", 2, 111_000),
    info("pln", "zł", None, "Polish Zloty", 2, 379),
    info("czk", "Kč", None, "Czech Koruna", 2, 2149),
];

/// Every currency, in the same order as [`CURRENCIES`].
static ALL: [Currency; 19] = {
    let mut all = [Currency(0); 19];
    let mut i = 0;
    while i < all.len() {
        all[i] = Currency(i as u8);
        i += 1;
    }
    all
};

/// Largest amount [`parse_amount`] accepts, in major units (dollars, yen).
const MAX_MAJOR_UNITS: i64 = 100_000_000;

/// One of the 19 currencies Gumroad sells in (api-facts §6.4): usd eur gbp jpy aud cad sgd nzd chf
/// inr hkd twd brl zar ils php krw pln czk. Only [`Currency::parse`] makes one, so holding a
/// `Currency` means Gumroad supports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Currency(u8);

impl Currency {
    pub const USD: Currency = Currency(0);
    pub const EUR: Currency = Currency(1);
    pub const GBP: Currency = Currency(2);
    pub const JPY: Currency = Currency(3);

    /// Case-insensitive ISO code, surrounding spaces ignored ("usd", "USD").
    pub fn parse(code: &str) -> Result<Currency, UnknownCurrency> {
        let wanted = code.trim();
        ALL.iter()
            .copied()
            .find(|c| c.code().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| UnknownCurrency(code.to_owned()))
    }

    fn info(self) -> &'static CurrencyInfo {
        &CURRENCIES[usize::from(self.0)]
    }

    /// Lowercase ISO code, as Gumroad sends and accepts it: "usd".
    pub fn code(self) -> &'static str {
        self.info().code
    }

    /// Gumroad's display symbol: "$", "€", "A$", "CAD$", "CHF", "zł". Letter symbols carry no
    /// trailing space; [`Money::display`] adds one ("CHF 12.00").
    pub fn symbol(self) -> &'static str {
        self.info().symbol
    }

    /// The currency whose Gumroad symbol is exactly `symbol` ("€", "A$", "CAD$"); plain "$" is USD.
    pub fn from_symbol(symbol: &str) -> Option<Currency> {
        let wanted = symbol.trim();
        ALL.iter().copied().find(|c| c.symbol() == wanted)
    }

    /// English name for a currency picker: "US Dollars", "Yen".
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Digits after the decimal point: 0 for JPY (single-unit), 2 for every other Gumroad
    /// currency (Gumroad counts KRW in hundredths too).
    pub fn decimals(self) -> u32 {
        self.info().decimals
    }

    /// Gumroad's minimum non-zero price, in the smallest unit: usd 99, jpy 99, krw 111000.
    pub fn minimum_price(self) -> i64 {
        self.info().minimum_price
    }

    /// The minimum non-zero price as money, ready to show: "$0.99".
    pub fn minimum(self) -> Money {
        Money::new(self.minimum_price(), self)
    }

    /// Every currency, in the §6.4 table's order (USD first), for a `<select>`.
    pub fn all() -> &'static [Currency] {
        &ALL
    }

    /// Smallest units per major unit: 100, or 1 for JPY.
    fn scale(self) -> i64 {
        10_i64.pow(self.decimals())
    }
}

impl FromStr for Currency {
    type Err = UnknownCurrency;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Currency::parse(code)
    }
}

impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0:?} is not a currency Gumroad supports")]
pub struct UnknownCurrency(pub String);

/// An amount in a currency's smallest unit (cents; yen).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Money {
    pub amount: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: i64, currency: Currency) -> Money {
        Money { amount, currency }
    }

    /// For people: symbol, thousands separators, and always the currency's decimals:
    /// "$12.50", "$0.00", "¥1,500", "€1,234.00", "CHF 12.00", "-$5.00".
    pub fn display(&self) -> String {
        let symbol = self.currency.symbol();
        let gap = if symbol.ends_with(char::is_alphabetic) {
            " "
        } else {
            ""
        };
        let sign = if self.amount < 0 { "-" } else { "" };
        let (major, minor) = self.split();
        format!("{sign}{symbol}{gap}{}{minor}", group_thousands(major))
    }

    /// For an `<input>`: no symbol, no separators: "12.50", "1500" (JPY), "-5.00".
    pub fn input_value(&self) -> String {
        let sign = if self.amount < 0 { "-" } else { "" };
        let (major, minor) = self.split();
        format!("{sign}{major}{minor}")
    }

    /// The absolute amount as major units and the fraction text (".50", or "" for JPY).
    fn split(&self) -> (u64, String) {
        let abs = self.amount.unsigned_abs();
        let decimals = self.currency.decimals();
        let scale = 10_u64.pow(decimals);
        let minor = if decimals == 0 {
            String::new()
        } else {
            format!(".{:0width$}", abs % scale, width = decimals as usize)
        };
        (abs / scale, minor)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Why a typed amount was refused. `Display` is the message to show next to the field.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AmountError {
    #[error("Enter an amount.")]
    Empty,
    #[error("Enter a number, like {example}.")]
    NotANumber { example: &'static str },
    /// "12,50": a decimal comma, which we refuse rather than read as 1,250.
    #[error("Use a point for decimals, like 12.50.")]
    DecimalComma,
    #[error("Enter an amount of 0 or more.")]
    Negative,
    #[error("Yen amounts have no decimals.")]
    NoDecimalsAllowed,
    #[error("Use at most {0} decimals.")]
    TooManyDecimals(u32),
    #[error("Enter an amount no larger than 100,000,000.")]
    TooLarge,
}

/// Parses what a creator types in a price field into the smallest unit of `currency`.
///
/// Accepts "12", "12.5", "12.50", ".5", " 1,234.56 ", a leading or trailing symbol or code of
/// that currency ("$12.50", "12.50 USD", "CHF 12"), and a leading minus when `allow_negative`.
/// Commas must group thousands; zeros beyond the currency's decimals are harmless ("1500.00"
/// yen). At most 100,000,000 major units either way.
pub fn parse_amount(
    input: &str,
    currency: Currency,
    allow_negative: bool,
) -> Result<i64, AmountError> {
    let example = if currency.decimals() == 0 {
        "1500"
    } else {
        "12.50"
    };
    let not_a_number = AmountError::NotANumber { example };

    let mut text = input.trim();
    if text.is_empty() {
        return Err(AmountError::Empty);
    }
    let mut negative = false;
    if let Some(rest) = text.strip_prefix('-') {
        negative = true;
        text = rest.trim_start();
    }
    text = strip_currency_marks(text, currency);
    if !negative && let Some(rest) = text.strip_prefix('-') {
        // "$-5"
        negative = true;
        text = rest.trim_start();
    }
    if text.is_empty() {
        return Err(not_a_number);
    }

    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let Some(whole_digits) = parse_grouped(whole) else {
        return Err(if fraction.is_none() && looks_like_decimal_comma(whole) {
            if currency.decimals() == 0 {
                AmountError::NoDecimalsAllowed
            } else {
                AmountError::DecimalComma
            }
        } else {
            not_a_number
        });
    };
    let fraction = fraction.unwrap_or("");
    if !is_digits(fraction) || (whole_digits.is_empty() && fraction.is_empty()) {
        return Err(not_a_number);
    }

    let decimals = currency.decimals() as usize;
    let significant = fraction.trim_end_matches('0');
    if significant.len() > decimals {
        return Err(if decimals == 0 {
            AmountError::NoDecimalsAllowed
        } else {
            AmountError::TooManyDecimals(currency.decimals())
        });
    }

    let whole_digits = whole_digits.trim_start_matches('0');
    // 100,000,000 has nine digits; more can only be too large (and might not fit an i64).
    if whole_digits.len() > 9 {
        return Err(AmountError::TooLarge);
    }
    let whole_value: i64 = whole_digits.parse().unwrap_or(0);
    let fraction_value: i64 = format!("{significant:0<decimals$}").parse().unwrap_or(0);
    let mut amount = whole_value * currency.scale() + fraction_value;
    if amount > MAX_MAJOR_UNITS * currency.scale() {
        return Err(AmountError::TooLarge);
    }
    if negative {
        amount = -amount;
    }
    if amount < 0 && !allow_negative {
        return Err(AmountError::Negative);
    }
    Ok(amount)
}

/// Removes one leading or trailing symbol, short symbol or ISO code of `currency` ("$", "CHF",
/// "usd"), with any space beside it.
fn strip_currency_marks(text: &str, currency: Currency) -> &str {
    let info = currency.info();
    let marks = [Some(info.symbol), info.short_symbol, Some(info.code)];
    for mark in marks.into_iter().flatten() {
        if let Some(head) = text.get(..mark.len())
            && head.eq_ignore_ascii_case(mark)
        {
            return text[mark.len()..].trim_start();
        }
        if let Some(start) = text.len().checked_sub(mark.len())
            && let Some(tail) = text.get(start..)
            && tail.eq_ignore_ascii_case(mark)
        {
            return text[..start].trim_end();
        }
    }
    text
}

fn is_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// The digits of "1,234,567" or "1234567" ("" for ""), or None if commas don't group thousands.
fn parse_grouped(whole: &str) -> Option<String> {
    if !whole.contains(',') {
        return is_digits(whole).then(|| whole.to_owned());
    }
    let mut groups = whole.split(',');
    let first = groups.next()?;
    if first.is_empty() || first.len() > 3 || !is_digits(first) {
        return None;
    }
    let mut digits = first.to_owned();
    for group in groups {
        if group.len() != 3 || !is_digits(group) {
            return None;
        }
        digits.push_str(group);
    }
    Some(digits)
}

/// "12,50" or "1,5": digits, one comma, then one or two digits: a decimal comma, not thousands.
fn looks_like_decimal_comma(whole: &str) -> bool {
    whole.split_once(',').is_some_and(|(head, tail)| {
        !head.is_empty() && is_digits(head) && (1..=2).contains(&tail.len()) && is_digits(tail)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    #[test]
    fn currency_codes_parse_in_any_case_and_unknown_ones_are_refused() {
        assert_eq!(Currency::parse("usd"), Ok(Currency::USD));
        assert_eq!(Currency::parse("USD"), Ok(Currency::USD));
        assert_eq!(Currency::parse(" Jpy "), Ok(Currency::JPY));
        let err = Currency::parse("sek").unwrap_err();
        assert_eq!(err, UnknownCurrency("sek".into()));
        assert_eq!(
            err.to_string(),
            "\"sek\" is not a currency Gumroad supports"
        );
        assert!(Currency::parse("").is_err());
    }

    #[test]
    fn the_picker_lists_gumroads_19_currencies_in_table_order_with_their_minimums() {
        let codes: Vec<_> = Currency::all().iter().map(|c| c.code()).collect();
        assert_eq!(
            codes,
            [
                "usd", "eur", "gbp", "jpy", "aud", "cad", "sgd", "nzd", "chf", "inr", "hkd", "twd",
                "brl", "zar", "ils", "php", "krw", "pln", "czk"
            ]
        );
        let minimums: Vec<_> = Currency::all().iter().map(|c| c.minimum_price()).collect();
        assert_eq!(
            minimums,
            [
                99, 79, 59, 99, 99, 99, 99, 99, 100, 7300, 799, 2999, 533, 1300, 700, 4500,
                111_000, 379, 2149
            ]
        );
        for c in Currency::all() {
            assert_eq!(Currency::parse(c.code()), Ok(*c));
        }
    }

    #[test]
    fn only_yen_is_single_unit() {
        for c in Currency::all() {
            let expected = if c.code() == "jpy" { 0 } else { 2 };
            assert_eq!(c.decimals(), expected, "{}", c.code());
        }
    }

    #[test]
    fn minimum_prices_read_as_gumroad_shows_them() {
        assert_eq!(Currency::USD.minimum().display(), "$0.99");
        assert_eq!(Currency::JPY.minimum().display(), "¥99");
        assert_eq!(cur("krw").minimum().display(), "₩1,110.00");
        assert_eq!(cur("czk").minimum().display(), "Kč 21.49");
    }

    #[test]
    fn currency_serializes_as_its_gumroad_code() {
        assert_eq!(serde_json::to_string(&cur("eur")).unwrap(), "\"eur\"");
        assert_eq!(
            serde_json::from_str::<Currency>("\"GBP\"").unwrap(),
            Currency::GBP
        );
        assert!(serde_json::from_str::<Currency>("\"xxx\"").is_err());
    }

    #[test]
    fn money_displays_with_symbol_separators_and_the_currencys_decimals() {
        assert_eq!(Money::new(1250, Currency::USD).display(), "$12.50");
        assert_eq!(Money::new(1200, Currency::USD).display(), "$12.00");
        assert_eq!(Money::new(0, Currency::USD).display(), "$0.00");
        assert_eq!(Money::new(5, Currency::USD).display(), "$0.05");
        assert_eq!(Money::new(123_400, Currency::EUR).display(), "€1,234.00");
        assert_eq!(Money::new(1500, Currency::JPY).display(), "¥1,500");
        assert_eq!(
            Money::new(123_456_789, Currency::JPY).display(),
            "¥123,456,789"
        );
        assert_eq!(Money::new(-500, Currency::USD).display(), "-$5.00");
        assert_eq!(Money::new(1200, cur("chf")).display(), "CHF 12.00");
        assert_eq!(Money::new(1999, cur("cad")).display(), "CAD$19.99");
        assert_eq!(Money::new(1999, cur("cad")).to_string(), "CAD$19.99");
        // Never panics, even at the extremes.
        assert_eq!(
            Money::new(i64::MIN, Currency::JPY).display(),
            "-¥9,223,372,036,854,775,808"
        );
    }

    #[test]
    fn input_values_have_no_symbol_or_separators() {
        assert_eq!(Money::new(1250, Currency::USD).input_value(), "12.50");
        assert_eq!(Money::new(123_456, Currency::USD).input_value(), "1234.56");
        assert_eq!(Money::new(1500, Currency::JPY).input_value(), "1500");
        assert_eq!(Money::new(-500, Currency::USD).input_value(), "-5.00");
    }

    #[test]
    fn what_a_creator_types_becomes_the_smallest_unit() {
        let usd = |s| parse_amount(s, Currency::USD, false);
        assert_eq!(usd("12"), Ok(1200));
        assert_eq!(usd("12.5"), Ok(1250));
        assert_eq!(usd("12.50"), Ok(1250));
        assert_eq!(usd(".5"), Ok(50));
        assert_eq!(usd("12."), Ok(1200));
        assert_eq!(usd(" 1,234.56 "), Ok(123_456));
        assert_eq!(usd("1,234,567"), Ok(123_456_700));
        assert_eq!(usd("$12.50"), Ok(1250));
        assert_eq!(usd("$ 12.50"), Ok(1250));
        assert_eq!(usd("12.50 USD"), Ok(1250));
        assert_eq!(usd("0"), Ok(0));
        assert_eq!(usd("12.500"), Ok(1250));
        assert_eq!(parse_amount("1500", Currency::JPY, false), Ok(1500));
        assert_eq!(parse_amount("¥1,500", Currency::JPY, false), Ok(1500));
        assert_eq!(parse_amount("1500.00", Currency::JPY, false), Ok(1500));
        assert_eq!(parse_amount("CHF 12", cur("chf"), false), Ok(1200));
        assert_eq!(parse_amount("12 zł", cur("pln"), false), Ok(1200));
        assert_eq!(parse_amount("$19.99", cur("aud"), false), Ok(1999));
        assert_eq!(parse_amount("A$19.99", cur("aud"), false), Ok(1999));
    }

    #[test]
    fn typed_amounts_round_trip_through_the_input_value() {
        for c in Currency::all() {
            for amount in [0, 1, 99, 1250, 123_456, MAX_MAJOR_UNITS * c.scale()] {
                let money = Money::new(amount, *c);
                assert_eq!(parse_amount(&money.input_value(), *c, false), Ok(amount));
                assert_eq!(parse_amount(&money.display(), *c, false), Ok(amount));
            }
        }
    }

    #[test]
    fn negative_amounts_only_when_allowed() {
        assert_eq!(
            parse_amount("-5", Currency::USD, false),
            Err(AmountError::Negative)
        );
        assert_eq!(parse_amount("-5", Currency::USD, true), Ok(-500));
        assert_eq!(parse_amount("-$5.25", Currency::USD, true), Ok(-525));
        assert_eq!(parse_amount("$-5.25", Currency::USD, true), Ok(-525));
        assert_eq!(parse_amount("-0", Currency::USD, false), Ok(0));
        assert_eq!(
            AmountError::Negative.to_string(),
            "Enter an amount of 0 or more."
        );
    }

    #[test]
    fn bad_amounts_get_a_message_fit_for_the_field() {
        let usd = |s| {
            parse_amount(s, Currency::USD, false)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(usd(""), "Enter an amount.");
        assert_eq!(usd("   "), "Enter an amount.");
        assert_eq!(usd("twelve"), "Enter a number, like 12.50.");
        assert_eq!(usd("$"), "Enter a number, like 12.50.");
        assert_eq!(usd("."), "Enter a number, like 12.50.");
        assert_eq!(usd("1.2.3"), "Enter a number, like 12.50.");
        assert_eq!(usd("1e5"), "Enter a number, like 12.50.");
        assert_eq!(usd("+5"), "Enter a number, like 12.50.");
        assert_eq!(usd("€5"), "Enter a number, like 12.50.");
        assert_eq!(usd("1,23,456"), "Enter a number, like 12.50.");
        assert_eq!(usd("12,50"), "Use a point for decimals, like 12.50.");
        assert_eq!(usd("12.505"), "Use at most 2 decimals.");
        assert_eq!(
            parse_amount("12.5", Currency::JPY, false)
                .unwrap_err()
                .to_string(),
            "Yen amounts have no decimals."
        );
        assert_eq!(
            parse_amount("1500,5", Currency::JPY, false)
                .unwrap_err()
                .to_string(),
            "Yen amounts have no decimals."
        );
        assert_eq!(
            parse_amount("abc", Currency::JPY, false)
                .unwrap_err()
                .to_string(),
            "Enter a number, like 1500."
        );
    }

    #[test]
    fn amounts_above_a_hundred_million_are_refused() {
        assert_eq!(
            parse_amount("100,000,000", Currency::USD, false),
            Ok(10_000_000_000)
        );
        assert_eq!(
            parse_amount("100000000.01", Currency::USD, false),
            Err(AmountError::TooLarge)
        );
        assert_eq!(
            parse_amount("100000001", Currency::JPY, false),
            Err(AmountError::TooLarge)
        );
        assert_eq!(
            parse_amount("-100000001", Currency::USD, true),
            Err(AmountError::TooLarge)
        );
        assert_eq!(
            parse_amount("99999999999999999999999999", Currency::USD, false),
            Err(AmountError::TooLarge)
        );
    }
}
