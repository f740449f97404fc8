//! Sales (api-facts §6.7): a compact in-memory store built to hold a million sales.
//!
//! A sale is a small `Copy` struct of integers; everything a buyer "is" (name, email, country, card,
//! address, account) is derived from its buyer number (`people`), and ids are derived from the internal
//! numeric id (`ids::keyed_external_id`), so nothing per sale lives on the heap. The rare things that cannot
//! be derived (a created sale's email or custom field answers, a gift's other side) sit in a side table.
//! JSON is rendered on demand (`json`).
//!
//! Internal ids grow with `created_at` across all sales (api-facts §1.1): seeded sales are numbered in date
//! order, later ones get the next number and never an earlier time, so `sales[id - 1]` is the sale with
//! that id and each creator's index, kept in id order, is also in `(created_at, id)` order. A page is then
//! a binary search and ten renders.
//!
//! Mutations (refund, dispute) live here, not in the controls, so the API's refund endpoint reuses them;
//! what sellers do through the API (refusals, shipments, receipts, licenses) is in `actions`.

pub(crate) mod actions;
pub(crate) mod json;
pub(crate) mod people;
pub(crate) mod seed;
pub(crate) mod subscriptions;

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::catalog::{Catalog, Product, money};
use super::ids;

/// Flag bits of `Sale::flags`.
pub(crate) mod flag {
    /// A chargeback was filed (`disputed`); `chargedback` unless won.
    pub const DISPUTED: u16 = 1;
    pub const DISPUTE_WON: u16 = 1 << 1;
    /// The seller's own test purchase: never listed, never counted.
    pub const TEST: u16 = 1 << 2;
    pub const GIFT_SENDER: u16 = 1 << 3;
    pub const GIFT_RECEIVER: u16 = 1 << 4;
    pub const SHIPPED: u16 = 1 << 5;
    /// Shipped with a tracking URL.
    pub const TRACKING: u16 = 1 << 6;
    /// The buyer answered the product's custom fields (derived answers unless a detail holds them).
    pub const CUSTOM_FIELDS: u16 = 1 << 7;
    /// The buyer opted out of seller emails (`can_contact: false`).
    pub const NO_CONTACT: u16 = 1 << 8;
    pub const FOLLOWING: u16 = 1 << 9;
    /// A subscription's later charge (`recurring_charge: true`).
    pub const RECURRING_CHARGE: u16 = 1 << 10;
    /// Sold through Gumroad Discover (`discover_fee_charged`, a higher fee).
    pub const DISCOVER: u16 = 1 << 11;
    pub const MORE_LIKE_THIS: u16 = 1 << 12;
    /// The seller revoked the buyer's access (license verification then says it expired).
    pub const ACCESS_REVOKED: u16 = 1 << 13;
}

/// One sale, 56 bytes. Money is in the smallest unit of the product's currency.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sale {
    /// Microseconds since the Unix epoch, UTC.
    pub created_at: i64,
    /// Internal numeric id, from 1; `order_id` is its obfuscation.
    pub id: u32,
    /// Index into `SimState::creators`.
    pub creator: u32,
    /// Index into `Catalog::products`.
    pub product: u32,
    /// Buyer number (see `people`).
    pub buyer: u32,
    /// What the buyer paid: price and variants, times quantity, after the offer code.
    pub price: i32,
    /// Refunded so far.
    pub refunded: i32,
    /// One byte per variant category (in the product's order, deleted ones counted): option index + 1, or
    /// 0 for none. Up to four categories.
    pub variants: u32,
    /// Index into `Catalog::offer_codes` + 1, or 0.
    pub offer_code: u32,
    /// Index into `Sales::details` + 1, or 0.
    pub detail: u32,
    /// Index into `Sales::subscriptions` + 1, or 0.
    pub subscription: u32,
    pub flags: u16,
    pub quantity: u16,
    /// Index into `people::REFERRERS`.
    pub referrer: u8,
    /// Index into `catalog::RECURRENCES` + 1 for subscription sales, else 0.
    pub recurrence: u8,
    /// `product_rating`: 1–5, or 0 for none.
    pub rating: u8,
}

impl Sale {
    pub fn has(&self, bits: u16) -> bool {
        self.flags & bits != 0
    }

    pub fn created_at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.created_at).unwrap_or_default()
    }

    /// The variant option chosen in category `index`, if any.
    pub fn variant_option(&self, index: usize) -> Option<usize> {
        let byte = self.variants.checked_shr(8 * u32::try_from(index).ok()?)? & 0xFF;
        (index < 4 && byte != 0).then(|| byte as usize - 1)
    }

    pub fn refundable(&self) -> i64 {
        i64::from(self.price) - i64::from(self.refunded)
    }

    pub fn is_refunded(&self) -> bool {
        self.price > 0 && self.refunded >= self.price
    }

    pub fn is_partially_refunded(&self) -> bool {
        self.refunded > 0 && self.refunded < self.price
    }
}

/// Packs chosen options (category index, option index) into `Sale::variants`.
pub(crate) fn pack_variants(choices: &[(usize, usize)]) -> u32 {
    choices
        .iter()
        .filter(|(category, option)| *category < 4 && *option < 255)
        .fold(0, |packed, (category, option)| {
            packed | ((*option as u32 + 1) << (8 * *category as u32))
        })
}

/// What a sale cannot derive from its numbers.
#[derive(Clone, Debug, Default)]
pub(crate) struct Detail {
    /// Overrides the buyer's email (and then `full_name` is this one's, possibly none).
    pub email: Option<String>,
    pub full_name: Option<String>,
    /// Answers as sent; they replace the derived ones.
    pub custom_fields: Option<Vec<(String, serde_json::Value)>>,
    /// The gift's other side: `giftee_email` on the sender's purchase, `gifter_email` on the receiver's.
    pub gift_partner_email: Option<String>,
    pub tracking_url: Option<String>,
    pub referrer: Option<String>,
}

/// A subscription's state, shared by all its charges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SubscriptionState {
    Alive,
    /// Cancelled, access until the period ends.
    Cancelled,
    /// Cancelled or failed and over.
    Ended,
}

/// Listed sales and net USD of one product (its `sales_count`, `sales_usd_cents`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    pub count: i64,
    pub usd_cents: i64,
}

/// Why a refund was refused (Gumroad's texts, api-facts §6.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RefundError {
    NotFound,
    AlreadyRefunded,
    TooMuch,
    /// A free sale: "The sale was unable to be modified."
    Free,
}

impl RefundError {
    pub fn message(self) -> &'static str {
        match self {
            RefundError::NotFound => "The sale was not found.",
            RefundError::AlreadyRefunded => "Purchase is already refunded.",
            RefundError::TooMuch => "Refund amount cannot be greater than the purchase price.",
            RefundError::Free => "The sale was unable to be modified.",
        }
    }
}

#[derive(Default)]
pub(crate) struct Sales {
    /// By id: `sales[id - 1]`.
    sales: Vec<Sale>,
    /// Per creator index: positions of its listed sales, oldest first (test purchases left out).
    by_creator: Vec<Vec<u32>>,
    pub details: Vec<Detail>,
    pub subscriptions: Vec<SubscriptionState>,
    /// Subscription number → its cancellation, end and failure dates (none: alive).
    pub subscription_times: HashMap<u32, subscriptions::SubscriptionTimes>,
    /// Product internal id → totals of its listed sales.
    totals: HashMap<u64, Totals>,
    /// Keys of the derived external ids (sales, subscriptions, licenses), from the seed.
    keys: IdKeys,
    /// Licenses, shipments' receipts and sellers' refund refusals (`actions`).
    actions: actions::SaleActions,
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct IdKeys {
    sale: u64,
    subscription: u64,
    license: u64,
}

impl IdKeys {
    pub fn from_seed(seed: u64) -> IdKeys {
        IdKeys {
            sale: ids::mix64(seed ^ 0x5A1E),
            subscription: ids::mix64(seed ^ 0x5B5C),
            license: ids::mix64(seed ^ 0x11CE),
        }
    }
}

impl Sales {
    /// A store over `sales`, which must be numbered 1, 2, … in `created_at` order.
    pub fn new(
        keys: IdKeys,
        sales: Vec<Sale>,
        details: Vec<Detail>,
        subscriptions: Vec<SubscriptionState>,
        catalog: &Catalog,
    ) -> Sales {
        let mut store = Sales {
            sales,
            by_creator: Vec::new(),
            details,
            subscriptions,
            subscription_times: HashMap::new(),
            totals: HashMap::new(),
            keys,
            actions: actions::SaleActions::default(),
        };
        for position in 0..store.sales.len() {
            store.index(position, catalog);
        }
        store
    }

    fn index(&mut self, position: usize, catalog: &Catalog) {
        let sale = self.sales[position];
        if sale.has(flag::TEST) {
            return;
        }
        let creator = sale.creator as usize;
        if self.by_creator.len() <= creator {
            self.by_creator.resize_with(creator + 1, Vec::new);
        }
        self.by_creator[creator].push(position as u32);
        if let Some(product) = catalog.products.get(sale.product as usize) {
            let totals = self.totals.entry(product.id).or_default();
            totals.count += 1;
            totals.usd_cents += usd_net(&sale, product);
        }
    }

    /// Every sale, test purchases included.
    pub fn len(&self) -> usize {
        self.sales.len()
    }

    pub fn get(&self, id: u64) -> Option<&Sale> {
        let position = usize::try_from(id.checked_sub(1)?).ok()?;
        self.sales.get(position)
    }

    /// The sale whose external id is `text`.
    pub fn find_external(&self, text: &str) -> Option<&Sale> {
        self.get(ids::keyed_external_id_number(self.keys.sale, text)?)
    }

    pub fn external_id(&self, sale: &Sale) -> String {
        ids::keyed_external_id(self.keys.sale, u64::from(sale.id))
    }

    pub fn subscription_id(&self, number: u32) -> String {
        ids::keyed_external_id(self.keys.subscription, u64::from(number))
    }

    /// The number (from 1) of the subscription whose external id is `text`.
    pub fn find_subscription(&self, text: &str) -> Option<u32> {
        let index = ids::keyed_external_id_number(self.keys.subscription, text)?;
        let number = u32::try_from(index.checked_add(1)?).ok()?;
        (number as usize <= self.subscriptions.len()).then_some(number)
    }

    pub fn license_id(&self, sale: &Sale) -> String {
        ids::keyed_external_id(self.keys.license, u64::from(sale.id))
    }

    /// Gumroad's key shape: 4 groups of 8 upper-case hex digits.
    pub fn license_key(&self, sale: &Sale) -> String {
        let a = ids::mix64(self.keys.license ^ u64::from(sale.id));
        let b = ids::mix64(a);
        format!(
            "{:08X}-{:08X}-{:08X}-{:08X}",
            a >> 32,
            a & 0xFFFF_FFFF,
            b >> 32,
            b & 0xFFFF_FFFF
        )
    }

    pub fn detail(&self, sale: &Sale) -> Option<&Detail> {
        self.details.get((sale.detail as usize).checked_sub(1)?)
    }

    pub fn subscription(&self, sale: &Sale) -> Option<SubscriptionState> {
        self.subscriptions
            .get((sale.subscription as usize).checked_sub(1)?)
            .copied()
    }

    /// The creator's listed sales, oldest first.
    pub fn of_creator(&self, creator: usize) -> impl DoubleEndedIterator<Item = &Sale> + '_ {
        self.positions(creator)
            .iter()
            .map(|p| &self.sales[*p as usize])
    }

    /// Positions (into the id-ordered list) of the creator's listed sales, oldest first.
    pub fn positions(&self, creator: usize) -> &[u32] {
        self.by_creator.get(creator).map_or(&[], Vec::as_slice)
    }

    pub fn at(&self, position: u32) -> &Sale {
        &self.sales[position as usize]
    }

    pub fn totals(&self, product_id: u64) -> Totals {
        self.totals.get(&product_id).copied().unwrap_or_default()
    }

    /// Adds a sale made now: the next id, and a time never before the latest sale's. Returns its id.
    pub fn push(&mut self, mut sale: Sale, detail: Option<Detail>, catalog: &Catalog) -> u32 {
        let latest = self.sales.last().map_or(i64::MIN, |s| s.created_at);
        sale.created_at = sale.created_at.max(latest);
        sale.id = u32::try_from(self.sales.len() + 1).unwrap_or(u32::MAX);
        if let Some(detail) = detail {
            self.details.push(detail);
            sale.detail = u32::try_from(self.details.len()).unwrap_or(0);
        }
        self.sales.push(sale);
        self.index(self.sales.len() - 1, catalog);
        sale.id
    }

    /// Refunds `amount` (the rest when `None`), in the product currency's smallest unit. Zero or less is
    /// refused like too much (Gumroad's answer for it is unknown).
    pub fn refund(
        &mut self,
        id: u64,
        amount: Option<i64>,
        catalog: &Catalog,
    ) -> Result<(), RefundError> {
        let Some(sale) = self.get(id).copied() else {
            return Err(RefundError::NotFound);
        };
        if sale.price == 0 {
            return Err(RefundError::Free);
        }
        if sale.is_refunded() {
            return Err(RefundError::AlreadyRefunded);
        }
        let amount = amount.unwrap_or_else(|| sale.refundable());
        if amount > sale.refundable() || amount <= 0 {
            return Err(RefundError::TooMuch);
        }
        let product = catalog.products.get(sale.product as usize);
        let before = product.map(|p| usd_net(&sale, p));
        let position = sale.id as usize - 1;
        self.sales[position].refunded += i32::try_from(amount).unwrap_or(i32::MAX);
        let after = self.sales[position];
        if let (Some(product), Some(before), false) = (product, before, sale.has(flag::TEST)) {
            let totals = self.totals.entry(product.id).or_default();
            totals.usd_cents += usd_net(&after, product) - before;
        }
        Ok(())
    }

    /// A chargeback; `won` when the seller won the dispute.
    pub fn dispute(&mut self, id: u64, won: bool) {
        if let Some(sale) = id
            .checked_sub(1)
            .and_then(|p| self.sales.get_mut(p as usize))
        {
            sale.flags |= flag::DISPUTED;
            if won {
                sale.flags |= flag::DISPUTE_WON;
            } else {
                sale.flags &= !flag::DISPUTE_WON;
            }
        }
    }
}

/// What a sale adds to its product's `sales_usd_cents`: USD gross minus refunds.
fn usd_net(sale: &Sale, product: &Product) -> i64 {
    money::to_usd_cents(&product.currency, i64::from(sale.price))
        - money::to_usd_cents(&product.currency, i64::from(sale.refunded))
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn sales_stay_small_and_variants_pack() {
        assert!(std::mem::size_of::<Sale>() <= 56);
        let sale = Sale {
            variants: pack_variants(&[(0, 2), (1, 0)]),
            ..seed::blank_sale()
        };
        assert_eq!(sale.variant_option(0), Some(2));
        assert_eq!(sale.variant_option(1), Some(0));
        assert_eq!(sale.variant_option(2), None);
        assert_eq!(sale.variant_option(9), None);
    }
}
