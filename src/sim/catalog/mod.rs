//! The creators' catalogues (api-facts §6.1–6.5): products with variant categories and variants, offer codes
//! and custom fields, in memory. Every object belongs to one creator (numeric user id); the API looks things up
//! only among the token owner's objects, so another creator's ids find nothing.
//!
//! Deletes are soft (`deleted` flags). Internal numeric ids come from one counter and grow with `created_at`.

pub(crate) mod json;
pub(crate) mod money;
pub(crate) mod seed;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SubsecRound as _, Utc};
use rand::Rng;

use super::ids;

/// Subscription periods Gumroad knows (`BasePrice::Recurrence`), in display order.
pub(crate) const RECURRENCES: &[&str] = &[
    "monthly",
    "quarterly",
    "biannually",
    "yearly",
    "every_two_years",
];

#[derive(Clone, Debug)]
pub(crate) struct Product {
    pub id: u64,
    pub external_id: String,
    /// The owner's numeric user id.
    pub creator_id: String,
    pub name: String,
    pub description: String,
    /// In the smallest unit of `currency`.
    pub price: i64,
    pub currency: String,
    pub native_type: String,
    /// Pay what you want.
    pub customizable_price: Option<bool>,
    pub unique_permalink: String,
    pub custom_permalink: Option<String>,
    pub custom_summary: Option<String>,
    pub custom_receipt: Option<String>,
    pub preview_url: Option<String>,
    pub thumbnail_url: Option<String>,
    pub require_shipping: bool,
    pub published: bool,
    pub deleted: bool,
    pub max_purchase_count: Option<i64>,
    pub subscription_duration: Option<String>,
    pub is_tiered_membership: bool,
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// Sales get license keys (Gumroad's "Generate a unique license key per sale").
    pub is_licensed: bool,
    pub variant_categories: Vec<VariantCategory>,
}

impl Product {
    /// Shipped goods: sales carry an address and a shipment.
    pub fn is_physical(&self) -> bool {
        self.native_type == "physical" || self.require_shipping
    }

    /// Memberships and legacy subscriptions charge again every period.
    pub fn is_recurring_billing(&self) -> bool {
        self.subscription_duration.is_some()
    }

    /// Tiered memberships list the recurrences their tiers have a price for.
    pub fn recurrences(&self) -> Option<Vec<String>> {
        if !self.is_tiered_membership {
            return None;
        }
        let mut out: Vec<String> = Vec::new();
        for recurrence in RECURRENCES {
            let priced = self.live_categories().any(|c| {
                c.live_variants()
                    .any(|v| v.recurrence_prices.iter().any(|(r, _)| r == recurrence))
            });
            if priced {
                out.push((*recurrence).to_owned());
            }
        }
        Some(out)
    }

    /// `https://<username>.gumroad.com/l/<custom or unique permalink>`.
    pub fn short_url(&self, username: &str) -> String {
        let permalink = self
            .custom_permalink
            .as_deref()
            .unwrap_or(&self.unique_permalink);
        format!("https://{username}.gumroad.com/l/{permalink}")
    }

    pub fn live_categories(&self) -> impl Iterator<Item = &VariantCategory> {
        self.variant_categories.iter().filter(|c| !c.deleted)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct VariantCategory {
    pub id: u64,
    pub external_id: String,
    pub title: Option<String>,
    pub deleted: bool,
    pub variants: Vec<Variant>,
}

impl VariantCategory {
    pub fn live_variants(&self) -> impl Iterator<Item = &Variant> {
        self.variants.iter().filter(|v| !v.deleted)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Variant {
    pub id: u64,
    pub external_id: String,
    pub name: String,
    pub description: Option<String>,
    pub price_difference_cents: i64,
    pub max_purchase_count: Option<i64>,
    pub customizable_price: bool,
    /// Tiered memberships: (recurrence, price in the smallest unit).
    pub recurrence_prices: Vec<(String, i64)>,
    /// Units sold so far, for the `max_purchase_count` check.
    pub sold: i64,
    pub deleted: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct OfferCode {
    pub id: u64,
    pub external_id: String,
    pub creator_id: String,
    /// The product a non-universal code belongs to.
    pub product_id: Option<u64>,
    pub universal: bool,
    pub name: String,
    /// Fixed codes: amount off in the smallest unit of `currency`.
    pub amount_cents: Option<i64>,
    pub percent_off: Option<i64>,
    /// Fixed codes only.
    pub currency: Option<String>,
    pub max_purchase_count: Option<i64>,
    pub minimum_amount_cents: Option<i64>,
    pub times_used: i64,
    pub deleted: bool,
    pub created_at: DateTime<Utc>,
}

impl OfferCode {
    /// Whether the code shows up under `product`: its own codes, and the seller's universal codes that are
    /// percentages or in the product's currency.
    pub fn applies_to(&self, product: &Product) -> bool {
        if self.deleted || self.creator_id != product.creator_id {
            return false;
        }
        if self.universal {
            self.percent_off.is_some() || self.currency.as_deref() == Some(&product.currency)
        } else {
            self.product_id == Some(product.id)
        }
    }

    /// The price of `product` after this discount, never below zero.
    pub fn price_after(&self, price: i64) -> i64 {
        let price = i128::from(price);
        let after = match (self.percent_off, self.amount_cents) {
            (Some(percent), _) => price - price * i128::from(percent) / 100,
            (None, Some(amount)) => (price - i128::from(amount)).max(0),
            (None, None) => price,
        };
        i64::try_from(after.max(0)).unwrap_or(i64::MAX)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct CustomField {
    pub id: u64,
    pub external_id: String,
    pub creator_id: String,
    /// `text`, `checkbox`, `terms`, `long_text` or `file`.
    pub field_type: String,
    pub name: String,
    pub required: bool,
    /// Asked on every product of the seller.
    pub global: bool,
    pub collect_per_product: bool,
    pub product_ids: Vec<u64>,
    pub deleted: bool,
}

impl CustomField {
    pub fn applies_to(&self, product: &Product) -> bool {
        !self.deleted
            && self.creator_id == product.creator_id
            && (self.global || self.product_ids.contains(&product.id))
    }
}

#[derive(Default)]
pub(crate) struct Catalog {
    pub products: Vec<Product>,
    pub offer_codes: Vec<OfferCode>,
    pub custom_fields: Vec<CustomField>,
    /// Numeric user id → whether the creator has a payment method (publishing needs one).
    pub payment_methods: HashMap<String, bool>,
    next_id: u64,
    external_ids: HashSet<String>,
    permalinks: HashSet<String>,
}

impl Catalog {
    /// The next internal id: a counter, so ids grow with creation time.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Whether some catalogue object (any creator's, deleted too) has this external id.
    pub fn issued_external_id(&self, id: &str) -> bool {
        self.external_ids.contains(id)
    }

    pub fn new_external_id(&mut self, rng: &mut impl Rng) -> String {
        loop {
            let id = ids::external_id_from(rng);
            if self.external_ids.insert(id.clone()) {
                return id;
            }
        }
    }

    /// A unique permalink: 4 to 6 random letters, unique across all creators.
    pub fn new_permalink(&mut self, rng: &mut impl Rng) -> String {
        const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        loop {
            let len = rng.random_range(4..=6);
            let permalink: String = (0..len)
                .map(|_| char::from(LETTERS[rng.random_range(0..LETTERS.len())]))
                .collect();
            if self.permalinks.insert(permalink.to_ascii_lowercase()) {
                return permalink;
            }
        }
    }

    pub fn has_payment_method(&self, creator_id: &str) -> bool {
        self.payment_methods
            .get(creator_id)
            .copied()
            .unwrap_or(true)
    }

    /// The creator's product whose external id or unique permalink is `key`, deleted ones included.
    pub fn product_index(&self, creator_id: &str, key: &str) -> Option<usize> {
        self.products.iter().position(|p| {
            p.creator_id == creator_id && (p.external_id == key || p.unique_permalink == key)
        })
    }

    /// The creator's live products, newest first (ties: higher id first).
    pub fn live_products(&self, creator_id: &str) -> Vec<&Product> {
        let mut products: Vec<&Product> = self
            .products
            .iter()
            .filter(|p| p.creator_id == creator_id && !p.deleted)
            .collect();
        products.sort_by_key(|p| std::cmp::Reverse((p.created_at, p.id)));
        products
    }

    /// The offer codes listed under the product, `created_at` ascending.
    pub fn offer_codes_for(&self, product: &Product) -> Vec<&OfferCode> {
        let mut codes: Vec<&OfferCode> = self
            .offer_codes
            .iter()
            .filter(|c| c.applies_to(product))
            .collect();
        codes.sort_by_key(|c| (c.created_at, c.id));
        codes
    }

    pub fn custom_fields_for(&self, product: &Product) -> Vec<&CustomField> {
        self.custom_fields
            .iter()
            .filter(|f| f.applies_to(product))
            .collect()
    }

    pub fn product_external_id(&self, id: u64) -> Option<&str> {
        self.products
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.external_id.as_str())
    }
}

/// Stored times keep microseconds, like Postgres, so page keys round-trip.
pub(crate) fn stored_time(time: DateTime<Utc>) -> DateTime<Utc> {
    time.trunc_subsecs(6)
}

/// Rails' `to_sentence`: "A", "A and B", "A, B, and C".
pub(crate) fn to_sentence(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        [rest @ .., last] => format!("{}, and {last}", rest.join(", ")),
    }
}

/// The answer when a number sent does not fit the database's integer columns (Ruby's `to_i` never
/// overflows; ActiveRecord refuses the value on save).
pub(crate) const OUT_OF_RANGE: &str = "One or more numeric values are out of range.";

/// A number outside what an `i64` column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OutOfRange;

/// Ruby's `String#to_i`: leading whitespace, an optional sign and the digits that follow; 0 if none. A
/// number that does not fit in an `i64` is `OutOfRange` rather than silently becoming something else.
pub(crate) fn ruby_to_i(text: &str) -> Result<i64, OutOfRange> {
    let text = text.trim_start();
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let digits: String = digits
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '_')
        .filter(|c| *c != '_')
        .collect();
    if digits.is_empty() {
        return Ok(0);
    }
    let signed = if negative {
        format!("-{digits}")
    } else {
        digits
    };
    signed.parse::<i64>().map_err(|_| OutOfRange)
}

/// `ruby_to_i` for an optional value.
pub(crate) fn ruby_to_i_opt(text: Option<&str>) -> Result<Option<i64>, OutOfRange> {
    text.map(ruby_to_i).transpose()
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn sentences_and_to_i() {
        let s = |v: &[&str]| to_sentence(&v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        assert_eq!(s(&["A"]), "A");
        assert_eq!(s(&["A", "B"]), "A and B");
        assert_eq!(s(&["A", "B", "C"]), "A, B, and C");
        assert_eq!(ruby_to_i("12abc"), Ok(12));
        assert_eq!(ruby_to_i(" -5"), Ok(-5));
        assert_eq!(ruby_to_i("x"), Ok(0));
        assert_eq!(ruby_to_i("50.5"), Ok(50));
        assert_eq!(ruby_to_i("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(ruby_to_i("9223372036854775808"), Err(OutOfRange));
        assert_eq!(ruby_to_i("1_000"), Ok(1000));
    }
}
