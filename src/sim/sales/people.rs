//! Buyers derived from a number: the same buyer number always gives the same name, email, account,
//! country, address and card, so a million sales store four bytes of buyer each. A buyer's email ends its
//! local part with the buyer number (`zoe.garcia4711@example.com`), which lets the email filter find a
//! buyer without rendering every sale.

use crate::sim::ids::mix64;
use crate::sim::seed::{
    FIRST_NAMES, LAST_NAMES, NON_ASCII_FIRST_NAMES, NON_ASCII_LAST_NAMES, fold_ascii,
};

/// Whole names in scripts that fold to nothing: their emails start `buyer`.
const OTHER_SCRIPT_NAMES: &[&str] = &[
    "山田 花子",
    "李 娜",
    "Ярослав Коваль",
    "Αλέξης Παπαδόπουλος",
    "김 민준",
];
const DOMAINS: &[&str] = &["example.com", "example.org", "example.net", "mail.example"];

/// Where buyers are (from the address or the IP): name as Gumroad stores it, ISO code, and a sample
/// (street, city, state, zip) for shipping.
pub(crate) struct Country {
    pub name: &'static str,
    pub iso2: &'static str,
    pub city: &'static str,
    /// Gumroad fills `state` for US buyers (from the address or IP).
    pub state: Option<&'static str>,
    pub zip: &'static str,
}

/// Weighted: the US four times, the others once.
pub(crate) const COUNTRIES: &[Country] = &[
    country("United States", "US", "Brooklyn", Some("NY"), "11201"),
    country("United States", "US", "Portland", Some("OR"), "97205"),
    country("United States", "US", "Austin", Some("TX"), "78701"),
    country("United States", "US", "Oakland", Some("CA"), "94612"),
    country("Germany", "DE", "Berlin", None, "10115"),
    country("United Kingdom", "GB", "Manchester", None, "M1 1AE"),
    country("Japan", "JP", "Tokyo", None, "150-0002"),
    country("France", "FR", "Lyon", None, "69002"),
    country("Canada", "CA", "Toronto", None, "M5V 2T6"),
    country("Brazil", "BR", "São Paulo", None, "01310-100"),
    country("India", "IN", "Bengaluru", None, "560001"),
    country("Australia", "AU", "Melbourne", None, "3000"),
    country("Netherlands", "NL", "Utrecht", None, "3511"),
    country("Mexico", "MX", "Ciudad de México", None, "06700"),
];

const fn country(
    name: &'static str,
    iso2: &'static str,
    city: &'static str,
    state: Option<&'static str>,
    zip: &'static str,
) -> Country {
    Country {
        name,
        iso2,
        city,
        state,
        zip,
    }
}

const STREETS: &[&str] = &[
    "Maple Street",
    "Station Road",
    "Hauptstraße",
    "Rua Augusta",
    "Sakura-dori",
    "Rue de la République",
    "King Street West",
];

/// `referrer` values. Index 0 is `direct`; `DISCOVER_REFERRER` marks Discover sales.
pub(crate) const REFERRERS: &[&str] = &[
    "direct",
    "https://twitter.com/",
    "https://www.google.com/",
    "https://www.youtube.com/",
    "https://news.ycombinator.com/",
    "https://www.reddit.com/",
    "https://www.instagram.com/",
    "https://gumroad.com/discover",
    "email",
];
pub(crate) const DISCOVER_REFERRER: u8 = 7;

fn hash(buyer: u32, salt: u64) -> u64 {
    mix64(u64::from(buyer) ^ salt.wrapping_mul(0xA24B_AED4_963E_E407))
}

fn pick<T>(list: &[T], h: u64) -> &T {
    &list[(h % list.len() as u64) as usize]
}

/// (first, last) or a whole name in another script.
fn name_parts(buyer: u32) -> Result<(&'static str, &'static str), &'static str> {
    let h = hash(buyer, 1);
    if h.is_multiple_of(23) {
        Err(*pick(OTHER_SCRIPT_NAMES, h >> 8))
    } else {
        // The creators' name lists; about one buyer in three has a diacritic somewhere.
        let first = if h % 6 == 1 {
            NON_ASCII_FIRST_NAMES
        } else {
            FIRST_NAMES
        };
        let last = if h % 5 == 2 {
            NON_ASCII_LAST_NAMES
        } else {
            LAST_NAMES
        };
        Ok((*pick(first, h >> 8), *pick(last, h >> 24)))
    }
}

pub(crate) fn full_name(buyer: u32) -> String {
    match name_parts(buyer) {
        Ok((first, last)) => format!("{first} {last}"),
        Err(whole) => whole.to_owned(),
    }
}

pub(crate) fn email(buyer: u32) -> String {
    let local = match name_parts(buyer) {
        Ok((first, last)) => format!("{}.{}", fold_ascii(first), fold_ascii(last)),
        Err(_) => "buyer".to_owned(),
    };
    let domain = pick(DOMAINS, hash(buyer, 2));
    format!("{local}{buyer}@{domain}")
}

/// The buyer number an email of `email`'s shape names, if `email(number)` is exactly it.
pub(crate) fn buyer_of_email(text: &str) -> Option<u32> {
    let local = text.split('@').next()?;
    let digits = local.len() - local.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let buyer: u32 = local[local.len() - digits..].parse().ok()?;
    (email(buyer) == text).then_some(buyer)
}

/// Buyers with a Gumroad account have a `purchaser_id` (13 digits, like user ids); about two in three.
pub(crate) fn purchaser_id(buyer: u32) -> Option<String> {
    let h = hash(buyer, 3);
    (!h.is_multiple_of(3)).then(|| (1_000_000_000_000 + (h >> 8) % 9_000_000_000_000).to_string())
}

pub(crate) fn country_of(buyer: u32) -> &'static Country {
    pick(COUNTRIES, hash(buyer, 4))
}

pub(crate) fn street(buyer: u32) -> String {
    let h = hash(buyer, 5);
    format!("{} {}", 1 + h % 240, pick(STREETS, h >> 16))
}

/// `card.visual` and `card.type`: a masked card number and its brand, or the PayPal email.
pub(crate) fn card(buyer: u32) -> (String, &'static str) {
    let h = hash(buyer, 6);
    match h % 10 {
        0..=4 => (format!("**** **** **** {:04}", (h >> 8) % 10_000), "visa"),
        5..=7 => (
            format!("**** **** **** {:04}", (h >> 8) % 10_000),
            "mastercard",
        ),
        8 => (format!("**** ****** *{:04}", (h >> 8) % 10_000), "amex"),
        _ => (email(buyer), "paypal"),
    }
}

/// An answer to a custom field, derived from the buyer: text fields get a plausible value, checkboxes and
/// terms a boolean (terms are always accepted).
pub(crate) fn custom_field_answer(buyer: u32, field_type: &str, name: &str) -> serde_json::Value {
    const COMPANIES: &[&str] = &[
        "Acme",
        "Initech",
        "Umbrella Studio",
        "Müller & Söhne",
        "Blue Fox Games",
    ];
    let h = hash(buyer, 7 ^ name.len() as u64);
    match field_type {
        "terms" => serde_json::Value::Bool(true),
        "checkbox" => serde_json::Value::Bool(h.is_multiple_of(2)),
        _ if name.to_ascii_lowercase().contains("discord") => {
            let handle = match name_parts(buyer) {
                Ok((first, _)) => fold_ascii(first),
                Err(_) => "buyer".to_owned(),
            };
            format!("{handle}_{}", h % 1000).into()
        }
        _ if name.to_ascii_lowercase().contains("company") => {
            (*pick(COMPANIES, h >> 4)).to_owned().into()
        }
        _ => "Looking forward to it!".into(),
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn buyers_are_stable_and_emails_lead_back() {
        for buyer in [0u32, 1, 22, 4711, 999_999, u32::MAX] {
            assert_eq!(full_name(buyer), full_name(buyer));
            let email = email(buyer);
            assert!(email.is_ascii() && email.contains('@'), "{email}");
            assert_eq!(buyer_of_email(&email), Some(buyer), "{email}");
        }
        assert_eq!(buyer_of_email("someone@example.com"), None);
        assert_eq!(buyer_of_email("ava.kim1@nowhere.example"), None);
        assert!(
            (0..400).any(|b| !full_name(b).is_ascii()),
            "some non-ASCII names"
        );
    }
}
