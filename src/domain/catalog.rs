//! Validated values for the catalog forms: products, offer codes, variants and custom fields.
//!
//! Each `parse` takes what the creator typed and returns either a value that can only hold what
//! Gumroad accepts, or a [`FieldError`] whose text goes next to the field.

use super::money::{AmountError, Currency, Money, parse_amount};

/// A message to show next to the form field that caused it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FieldError(pub String);

impl FieldError {
    fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl From<AmountError> for FieldError {
    fn from(e: AmountError) -> Self {
        Self(e.to_string())
    }
}

/// Longest name Gumroad stores for products, variants and custom fields.
const MAX_NAME_CHARS: usize = 255;

/// Trimmed, 1..=255 characters.
fn parse_name(input: &str, too_long: &str) -> Result<String, FieldError> {
    let name = input.trim();
    if name.is_empty() {
        return Err(FieldError::new("Enter a name."));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(FieldError::new(too_long));
    }
    Ok(name.to_owned())
}

/// A product name: trimmed, 1..=255 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductName(String);

impl ProductName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        parse_name(input, "Keep the name to 255 characters or fewer.").map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ProductName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A product's price in its currency: 0 (free) or at least the currency's Gumroad minimum.
/// Gumroad's $5,000 ceiling is not checked here: it depends on exchange rates, so Gumroad's own
/// message is shown instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProductPrice(Money);

impl ProductPrice {
    pub fn parse(input: &str, currency: Currency) -> Result<Self, FieldError> {
        let amount = parse_amount(input, currency, false)?;
        if amount != 0 && amount < currency.minimum_price() {
            return Err(FieldError(format!(
                "The price must be {} or at least {}.",
                Money::new(0, currency),
                currency.minimum()
            )));
        }
        Ok(Self(Money::new(amount, currency)))
    }

    pub fn money(&self) -> Money {
        self.0
    }
}

/// An offer (discount) code: trimmed, 1..=100 characters, only letters, digits, '-' and '_'.
/// "Letters" are Gumroad's: ASCII plus the Latin-1 accented ones (À-Ö, Ø-ö, ø-ÿ).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferCodeName(String);

impl OfferCodeName {
    const MAX_CHARS: usize = 100;

    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let code = input.trim();
        if code.is_empty() {
            return Err(FieldError::new("Enter a code."));
        }
        if !code.chars().all(is_offer_code_char) {
            return Err(FieldError::new(
                "A code can only contain letters, numbers, dashes and underscores.",
            ));
        }
        if code.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new("Keep the code to 100 characters or fewer."));
        }
        Ok(Self(code.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for OfferCodeName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Gumroad's `/\A[A-Za-zÀ-ÖØ-öø-ÿ0-9\-_]*\z/` (app/models/offer_code.rb).
fn is_offer_code_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || c == '-'
        || c == '_'
        || matches!(c, 'À'..='Ö' | 'Ø'..='ö' | 'ø'..='ÿ')
}

/// An offer code's discount: a whole percentage 1..=100, or a fixed positive amount in the
/// product's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discount {
    Percent(u8),
    Fixed(Money),
}

impl Discount {
    /// `kind` is the form's `"percent"` or `"fixed"`; `amount` is what the creator typed.
    pub fn parse(kind: &str, amount: &str, currency: Currency) -> Result<Self, FieldError> {
        match kind.trim() {
            "percent" => {
                let text = amount.trim();
                let text = text.strip_suffix('%').unwrap_or(text).trim_end();
                match text.parse::<u8>() {
                    Ok(p @ 1..=100) if text.bytes().all(|b| b.is_ascii_digit()) => {
                        Ok(Self::Percent(p))
                    }
                    _ => Err(FieldError::new("Enter a whole percentage from 1 to 100.")),
                }
            }
            "fixed" => match parse_amount(amount, currency, false) {
                Ok(cents) if cents > 0 => Ok(Self::Fixed(Money::new(cents, currency))),
                Ok(_) | Err(AmountError::Negative) => {
                    Err(FieldError::new("Enter a positive amount."))
                }
                Err(e) => Err(e.into()),
            },
            _ => Err(FieldError::new(
                "Choose a percentage or a fixed amount off.",
            )),
        }
    }

    /// "25% off", "$5.00 off".
    pub fn display(&self) -> String {
        match self {
            Self::Percent(p) => format!("{p}% off"),
            Self::Fixed(money) => format!("{money} off"),
        }
    }
}

impl std::fmt::Display for Discount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

/// Largest usage cap Gumroad's integer column holds.
const MAX_LIMIT: i64 = i32::MAX as i64;

/// An optional usage cap (`max_purchase_count`): blank means no limit; else a whole number ≥ 1.
pub fn parse_optional_limit(input: &str) -> Result<Option<i64>, FieldError> {
    let text = input.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let error =
        || FieldError::new("Enter a whole number of at least 1, or leave it blank for no limit.");
    let digits: String = text.chars().filter(|&c| c != ',').collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error());
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > 10 || significant.parse::<i64>().unwrap_or(0) > MAX_LIMIT {
        return Err(FieldError::new(
            "Enter a number no larger than 2,147,483,647.",
        ));
    }
    match significant.parse::<i64>() {
        Ok(n) if n >= 1 => Ok(Some(n)),
        _ => Err(error()),
    }
}

/// How much more a variant costs than its product, in the product's currency: 0 or more
/// (Gumroad refuses a negative difference).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceDifference(Money);

impl PriceDifference {
    pub fn parse(input: &str, currency: Currency) -> Result<Self, FieldError> {
        match parse_amount(input, currency, false) {
            Ok(amount) => Ok(Self(Money::new(amount, currency))),
            Err(AmountError::Negative) => Err(FieldError::new(
                "A variant can't cost less than its product: enter 0 or more.",
            )),
            Err(e) => Err(e.into()),
        }
    }

    pub fn money(&self) -> Money {
        self.0
    }
}

/// A required name for variants, variant categories and custom fields: trimmed, 1..=255
/// characters. (Gumroad itself accepts a blank variant category title; we do not.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredName(String);

impl RequiredName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        parse_name(input, "Keep the name to 255 characters or fewer.").map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for RequiredName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A custom field's type, as Gumroad names it in `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CustomFieldKind {
    #[default]
    Text,
    Checkbox,
    Terms,
    LongText,
    File,
}

impl CustomFieldKind {
    /// Gumroad's value; blank means `text`, Gumroad's default.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        match input.trim() {
            "" | "text" => Ok(Self::Text),
            "checkbox" => Ok(Self::Checkbox),
            "terms" => Ok(Self::Terms),
            "long_text" => Ok(Self::LongText),
            "file" => Ok(Self::File),
            _ => Err(FieldError::new("Choose a field type.")),
        }
    }

    /// The value Gumroad sends and accepts: "text", "long_text".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Checkbox => "checkbox",
            Self::Terms => "terms",
            Self::LongText => "long_text",
            Self::File => "file",
        }
    }

    /// For a `<select>`: "Short text", "Terms (URL)".
    pub fn label(self) -> &'static str {
        match self {
            Self::Text => "Short text",
            Self::Checkbox => "Checkbox",
            Self::Terms => "Terms (URL)",
            Self::LongText => "Long text",
            Self::File => "File upload",
        }
    }

    pub fn all() -> [Self; 5] {
        [
            Self::Text,
            Self::Checkbox,
            Self::Terms,
            Self::LongText,
            Self::File,
        ]
    }
}

/// A custom field's type and name; a `terms` field's name is the http(s) URL of the terms.
pub fn parse_custom_field(
    kind: &str,
    name: &str,
) -> Result<(CustomFieldKind, RequiredName), FieldError> {
    let kind = CustomFieldKind::parse(kind)?;
    let name = RequiredName::parse(name)?;
    // Its links would be `…/custom-fields/.`, which browsers resolve to another page.
    if matches!(name.as_str(), "." | "..") {
        return Err(FieldError::new("A field cannot be named “.” or “..”."));
    }
    if kind == CustomFieldKind::Terms && !is_web_url(name.as_str()) {
        return Err(FieldError::new(
            "A terms field needs the URL of your terms, starting with https://",
        ));
    }
    Ok((kind, name))
}

fn is_web_url(text: &str) -> bool {
    url::Url::parse(text).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err<T: std::fmt::Debug>(r: Result<T, FieldError>) -> String {
        r.unwrap_err().to_string()
    }

    fn cur(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    #[test]
    fn product_names_are_trimmed_and_required() {
        assert_eq!(
            ProductName::parse("  My ebook \n").unwrap().as_str(),
            "My ebook"
        );
        assert_eq!(err(ProductName::parse("   ")), "Enter a name.");
        assert_eq!(err(ProductName::parse("")), "Enter a name.");
    }

    #[test]
    fn product_names_may_be_255_characters_not_256() {
        let name = "é".repeat(255);
        assert_eq!(ProductName::parse(&name).unwrap().as_str(), name);
        assert_eq!(
            err(ProductName::parse(&"a".repeat(256))),
            "Keep the name to 255 characters or fewer."
        );
    }

    #[test]
    fn prices_are_free_or_at_least_the_currency_minimum() {
        let usd = |s| ProductPrice::parse(s, Currency::USD);
        assert_eq!(usd("0").unwrap().money(), Money::new(0, Currency::USD));
        assert_eq!(usd("0.99").unwrap().money().amount, 99);
        assert_eq!(usd("$12.50").unwrap().money().amount, 1250);
        assert_eq!(
            err(usd("0.50")),
            "The price must be $0.00 or at least $0.99."
        );
        assert_eq!(err(usd("-1")), "Enter an amount of 0 or more.");
        assert_eq!(err(usd("")), "Enter an amount.");
        assert_eq!(
            err(ProductPrice::parse("50", Currency::JPY)),
            "The price must be ¥0 or at least ¥99."
        );
        assert_eq!(
            err(ProductPrice::parse("1000", cur("krw"))),
            "The price must be ₩0.00 or at least ₩1,110.00."
        );
        assert_eq!(
            ProductPrice::parse("1110", cur("krw"))
                .unwrap()
                .money()
                .amount,
            111_000
        );
    }

    #[test]
    fn offer_codes_allow_letters_digits_dashes_and_underscores() {
        assert_eq!(
            OfferCodeName::parse(" SUMMER-25_x ").unwrap().as_str(),
            "SUMMER-25_x"
        );
        assert_eq!(OfferCodeName::parse("café").unwrap().as_str(), "café");
        assert_eq!(err(OfferCodeName::parse("  ")), "Enter a code.");
        for bad in ["SUMMER SALE", "50%", "a.b", "ça€", "日本"] {
            assert_eq!(
                err(OfferCodeName::parse(bad)),
                "A code can only contain letters, numbers, dashes and underscores.",
                "{bad}"
            );
        }
        assert!(OfferCodeName::parse(&"a".repeat(100)).is_ok());
        assert_eq!(
            err(OfferCodeName::parse(&"a".repeat(101))),
            "Keep the code to 100 characters or fewer."
        );
    }

    #[test]
    fn percentage_discounts_are_whole_numbers_from_1_to_100() {
        let pct = |s| Discount::parse("percent", s, Currency::USD);
        assert_eq!(pct("25"), Ok(Discount::Percent(25)));
        assert_eq!(pct(" 25% "), Ok(Discount::Percent(25)));
        assert_eq!(pct("100"), Ok(Discount::Percent(100)));
        for bad in ["0", "101", "12.5", "-5", "", "abc", "+5", "1000"] {
            assert_eq!(
                err(pct(bad)),
                "Enter a whole percentage from 1 to 100.",
                "{bad}"
            );
        }
    }

    #[test]
    fn fixed_discounts_are_positive_amounts_in_the_products_currency() {
        assert_eq!(
            Discount::parse("fixed", "5", Currency::USD),
            Ok(Discount::Fixed(Money::new(500, Currency::USD)))
        );
        assert_eq!(
            Discount::parse("fixed", "500", Currency::JPY),
            Ok(Discount::Fixed(Money::new(500, Currency::JPY)))
        );
        for bad in ["0", "-5", "0.00"] {
            assert_eq!(
                err(Discount::parse("fixed", bad, Currency::USD)),
                "Enter a positive amount."
            );
        }
        assert_eq!(
            err(Discount::parse("fixed", "5.5", Currency::JPY)),
            "Yen amounts have no decimals."
        );
        assert_eq!(
            err(Discount::parse("bogo", "5", Currency::USD)),
            "Choose a percentage or a fixed amount off."
        );
    }

    #[test]
    fn discounts_read_as_an_amount_off() {
        assert_eq!(Discount::Percent(25).display(), "25% off");
        assert_eq!(
            Discount::Fixed(Money::new(500, Currency::USD)).display(),
            "$5.00 off"
        );
        assert_eq!(
            Discount::Fixed(Money::new(1500, Currency::JPY)).to_string(),
            "¥1,500 off"
        );
    }

    #[test]
    fn a_blank_usage_limit_means_no_limit() {
        assert_eq!(parse_optional_limit(""), Ok(None));
        assert_eq!(parse_optional_limit("   "), Ok(None));
        assert_eq!(parse_optional_limit(" 10 "), Ok(Some(10)));
        assert_eq!(parse_optional_limit("1,000"), Ok(Some(1000)));
        let message = "Enter a whole number of at least 1, or leave it blank for no limit.";
        for bad in ["0", "-1", "2.5", "ten", ","] {
            assert_eq!(err(parse_optional_limit(bad)), message, "{bad}");
        }
        assert_eq!(parse_optional_limit("2147483647"), Ok(Some(2_147_483_647)));
        for big in ["2147483648", "99999999999999999999999"] {
            assert_eq!(
                err(parse_optional_limit(big)),
                "Enter a number no larger than 2,147,483,647."
            );
        }
    }

    #[test]
    fn variant_price_differences_may_be_zero_but_not_negative() {
        assert_eq!(
            PriceDifference::parse("0", Currency::USD).unwrap().money(),
            Money::new(0, Currency::USD)
        );
        assert_eq!(
            PriceDifference::parse("2.50", Currency::EUR)
                .unwrap()
                .money(),
            Money::new(250, Currency::EUR)
        );
        assert_eq!(
            err(PriceDifference::parse("-1", Currency::USD)),
            "A variant can't cost less than its product: enter 0 or more."
        );
        assert_eq!(
            err(PriceDifference::parse("", Currency::USD)),
            "Enter an amount."
        );
    }

    #[test]
    fn variant_and_field_names_are_required() {
        assert_eq!(RequiredName::parse(" Large ").unwrap().as_str(), "Large");
        assert_eq!(err(RequiredName::parse(" \t ")), "Enter a name.");
        assert!(RequiredName::parse(&"x".repeat(256)).is_err());
    }

    #[test]
    fn custom_field_kinds_round_trip_through_gumroads_values() {
        for kind in CustomFieldKind::all() {
            assert_eq!(CustomFieldKind::parse(kind.as_str()), Ok(kind));
        }
        assert_eq!(CustomFieldKind::parse(""), Ok(CustomFieldKind::Text));
        assert_eq!(CustomFieldKind::LongText.label(), "Long text");
        assert_eq!(
            err(CustomFieldKind::parse("dropdown")),
            "Choose a field type."
        );
    }

    #[test]
    fn a_terms_field_must_name_a_web_url() {
        let (kind, name) = parse_custom_field("terms", " https://example.com/terms ").unwrap();
        assert_eq!(kind, CustomFieldKind::Terms);
        assert_eq!(name.as_str(), "https://example.com/terms");
        assert!(parse_custom_field("terms", "http://example.com").is_ok());
        let message = "A terms field needs the URL of your terms, starting with https://";
        for bad in [
            "My terms",
            "example.com/terms",
            "ftp://example.com",
            "https://",
            "javascript:alert(1)",
        ] {
            assert_eq!(err(parse_custom_field("terms", bad)), message, "{bad}");
        }
        assert_eq!(err(parse_custom_field("terms", "")), "Enter a name.");
    }

    #[test]
    fn other_custom_fields_take_any_name() {
        let (kind, name) = parse_custom_field("checkbox", "Subscribe to news").unwrap();
        assert_eq!(kind, CustomFieldKind::Checkbox);
        assert_eq!(name.as_str(), "Subscribe to news");
        assert_eq!(err(parse_custom_field("text", "")), "Enter a name.");
    }

    #[test]
    fn a_custom_field_cannot_be_named_like_a_dot_segment() {
        for name in [".", ".."] {
            assert!(err(parse_custom_field("text", name)).contains("cannot be named"));
        }
        assert!(parse_custom_field("text", "...").is_ok());
    }
}
