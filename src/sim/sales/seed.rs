//! Deterministic sales: the same seed, creators, catalogue and start time always give the same sales.
//!
//! About 400 days of history ending at the simulator's start. Creator 0 gets roughly 550–750 sales over
//! all its products (unpublished and deleted ones sold before): refunds, partial refunds, disputes (some
//! won), offer codes, variants, quantities above one, custom fields, licence keys, physical sales with
//! addresses and shipments, free sales, Discover sales, gifts (both purchases), subscriptions with monthly
//! or yearly charges (alive, cancelled, ended), buyers buying again, non-ASCII names, a **launch day**
//! (`launch_day`) with 60–100 sales, and three test purchases that are never listed. Creators 1 (drafts
//! only) and 2 (no products) sell nothing; later creators with products get 20–60 sales each.
//!
//! `extra` more sales (`SimConfig::extra_sales`) go a fifth to creator 0 (the big account) and the rest
//! Zipf-like (exponent 1.3) over the other creators who can sell, in creator order, so the long tail gets
//! a few dozen each (`extra_shares`).

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::people::{DISCOVER_REFERRER, REFERRERS};
use super::subscriptions::SubscriptionTimes;
use super::{Detail, IdKeys, Sale, Sales, SubscriptionState, flag, pack_variants};
use crate::sim::catalog::{Catalog, Product, RECURRENCES, money};
use crate::sim::ids::mix64;
use crate::sim::seed::{EXTRA_SALES_STREAM, SALES_STREAM, SeededCreator, rng_for};

/// How far back seeded sales go.
pub(crate) const HISTORY_DAYS: i64 = 400;
/// The share of the extra sales that the first creator who can sell (creator 0) gets.
const HEAD_SHARE: f64 = 0.2;
/// The Zipf exponent of the rest's spread over the other creators, ranked from 2 in creator order.
const ZIPF_EXPONENT: f64 = 1.3;
const MICROS_PER_DAY: i64 = 86_400_000_000;

pub(crate) fn blank_sale() -> Sale {
    Sale {
        created_at: 0,
        id: 0,
        creator: 0,
        product: 0,
        buyer: 0,
        price: 0,
        refunded: 0,
        variants: 0,
        offer_code: 0,
        detail: 0,
        subscription: 0,
        flags: 0,
        quantity: 1,
        referrer: 0,
        recurrence: 0,
        rating: 0,
    }
}

/// What sales need to know about a product, computed once.
struct Info {
    created_at: i64,
    /// Custom fields apply; `required` when one of them must be answered.
    fields: bool,
    required: bool,
    /// Offer codes that could have been used (deleted ones too), as `Catalog::offer_codes` indexes.
    codes: Vec<u32>,
    /// Units sold so far while seeding (for `max_purchase_count`).
    sold: i64,
}

struct Builder<'a> {
    catalog: &'a Catalog,
    info: Vec<Info>,
    sales: Vec<Sale>,
    details: Vec<Detail>,
    subscriptions: Vec<SubscriptionState>,
    subscription_times: HashMap<u32, SubscriptionTimes>,
    now: i64,
    start: i64,
}

/// The launch day of creator 0's seeded sales (UTC) and its product, as seeding picks them: the day
/// after creator 0's newest published, paid, one-time, uncapped product was created, if that was within
/// the history window (and not in the last three days), else 45 days ago for that product.
pub(crate) fn launch_day(
    creators: &[SeededCreator],
    catalog: &Catalog,
    now: DateTime<Utc>,
) -> Option<(usize, chrono::NaiveDate)> {
    let creator = creators.first()?;
    let start = now - Duration::days(HISTORY_DAYS);
    let (index, product) = catalog
        .products
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            p.creator_id == creator.id
                && p.price > 0
                && !p.is_recurring_billing()
                && p.max_purchase_count.is_none()
                && p.published
                && !p.deleted
                && p.created_at < now - Duration::days(3)
        })
        .max_by_key(|(_, p)| p.created_at)?;
    let day = if product.created_at >= start {
        product.created_at.date_naive() + Duration::days(1)
    } else {
        (now - Duration::days(45)).date_naive()
    };
    Some((index, day))
}

pub(crate) fn sales(
    seed: u64,
    creators: &[SeededCreator],
    catalog: &Catalog,
    extra: usize,
    now: DateTime<Utc>,
) -> Sales {
    let now_us = now.timestamp_micros();
    let mut builder = Builder {
        catalog,
        info: product_info(catalog),
        sales: Vec::with_capacity(extra + 800 + creators.len() * 40),
        details: Vec::new(),
        subscriptions: Vec::new(),
        subscription_times: HashMap::new(),
        now: now_us,
        start: now_us - HISTORY_DAYS * MICROS_PER_DAY,
    };
    let sellable = sellable_products(creators, catalog);
    for (index, products) in sellable.iter().enumerate() {
        let mut rng = rng_for(seed.wrapping_add(mix64(index as u64)), SALES_STREAM);
        match index {
            0 => builder.first_creator(&mut rng, creators, products, now),
            1 | 2 => {}
            _ => {
                let count = rng.random_range(20..=60);
                let pool = count * 2;
                builder.plain_sales(&mut rng, index, products, count, buyer_base(index), pool);
            }
        }
    }
    if extra > 0 {
        let mut rng = rng_for(seed, EXTRA_SALES_STREAM);
        for (index, count) in extra_shares(&sellable, extra) {
            let pool = (count / 2).max(10);
            let base = buyer_base(index).wrapping_add(0x4000_0000);
            builder.plain_sales(&mut rng, index, &sellable[index], count, base, pool);
        }
    }
    builder.finish(IdKeys::from_seed(seed))
}

/// Each creator's own buyers, far apart.
fn buyer_base(creator: usize) -> u32 {
    (creator as u32).wrapping_mul(1_000_003)
}

/// Per creator: the products that have sold. Creator 0 sold all of its products (some were unpublished or
/// deleted later); others only published or deleted ones, and only with a payment method.
fn sellable_products(creators: &[SeededCreator], catalog: &Catalog) -> Vec<Vec<u32>> {
    creators
        .iter()
        .enumerate()
        .map(|(index, creator)| {
            if !catalog.has_payment_method(&creator.id) {
                return Vec::new();
            }
            catalog
                .products
                .iter()
                .enumerate()
                .filter(|(_, p)| {
                    p.creator_id == creator.id && (index == 0 || p.published || p.deleted)
                })
                .map(|(i, _)| i as u32)
                .collect()
        })
        .collect()
}

/// `extra` spread over the creators who can sell: a fifth to the first (creator 0), the rest Zipf-like
/// by creator order from rank 2 (largest remainders for the rounding, so the counts add up exactly).
/// Over 1,000 creators: about 200,000 of a million for creator 0, 130,000 for the next, about 130 for
/// the median creator and 50 at the end of the tail.
pub(crate) fn extra_shares(sellable: &[Vec<u32>], extra: usize) -> Vec<(usize, usize)> {
    let eligible: Vec<usize> = (0..sellable.len())
        .filter(|i| !sellable[*i].is_empty() && !matches!(i, 1 | 2))
        .collect();
    let mut weights: Vec<f64> = (1..=eligible.len())
        .map(|rank| (rank as f64).powf(-ZIPF_EXPONENT))
        .collect();
    let rest: f64 = weights.iter().skip(1).sum();
    if let Some(head) = weights.first_mut().filter(|_| rest > 0.0) {
        *head = rest * HEAD_SHARE / (1.0 - HEAD_SHARE);
    }
    let total: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights.iter().map(|w| w / total * extra as f64).collect();
    let mut counts: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut left = extra.saturating_sub(counts.iter().sum());
    let mut order: Vec<usize> = (0..counts.len()).collect();
    order.sort_by(|a, b| {
        let fa = exact[*a] - exact[*a].floor();
        let fb = exact[*b] - exact[*b].floor();
        fb.total_cmp(&fa).then(a.cmp(b))
    });
    for i in order {
        if left == 0 {
            break;
        }
        counts[i] += 1;
        left -= 1;
    }
    eligible.into_iter().zip(counts).collect()
}

fn product_info(catalog: &Catalog) -> Vec<Info> {
    let mut info: Vec<Info> = catalog
        .products
        .iter()
        .map(|p| Info {
            created_at: p.created_at.timestamp_micros(),
            fields: false,
            required: false,
            codes: Vec::new(),
            sold: 0,
        })
        .collect();
    let mut by_creator: std::collections::HashMap<&str, Vec<usize>> =
        std::collections::HashMap::new();
    for (index, product) in catalog.products.iter().enumerate() {
        by_creator
            .entry(product.creator_id.as_str())
            .or_default()
            .push(index);
    }
    for field in &catalog.custom_fields {
        for &index in by_creator
            .get(field.creator_id.as_str())
            .into_iter()
            .flatten()
        {
            if field.applies_to(&catalog.products[index]) {
                info[index].fields = true;
                info[index].required |= field.required;
            }
        }
    }
    for (code_index, code) in catalog.offer_codes.iter().enumerate() {
        for &index in by_creator
            .get(code.creator_id.as_str())
            .into_iter()
            .flatten()
        {
            let product = &catalog.products[index];
            let applies = if code.universal {
                code.percent_off.is_some() || code.currency.as_deref() == Some(&product.currency)
            } else {
                code.product_id == Some(product.id)
            };
            if applies {
                info[index].codes.push(code_index as u32);
            }
        }
    }
    info
}

impl Builder<'_> {
    fn product(&self, index: u32) -> &Product {
        &self.catalog.products[index as usize]
    }

    fn record(&mut self, sale: Sale) {
        self.info[sale.product as usize].sold += i64::from(sale.quantity);
        self.sales.push(sale);
    }

    /// Whether the product reached its `max_purchase_count`.
    fn sold_out(&self, product: u32) -> bool {
        self.product(product)
            .max_purchase_count
            .is_some_and(|max| self.info[product as usize].sold >= max)
    }

    /// A random time the product could have sold at, or `None` if it is newer than now or sold out.
    fn time_for(&self, rng: &mut ChaCha8Rng, product: u32) -> Option<i64> {
        if self.sold_out(product) {
            return None;
        }
        let from = self
            .start
            .max(self.info[product as usize].created_at + 60_000_000);
        (from < self.now).then(|| rng.random_range(from..self.now))
    }

    /// A typical sale of `product` at `at`: variants, price, quantity, offer code, referrer, flags,
    /// rating, shipment, maybe a refund or a dispute. Subscription products get a subscription of their
    /// own (one charge).
    fn sale(
        &mut self,
        rng: &mut ChaCha8Rng,
        creator: usize,
        product_index: u32,
        at: i64,
        buyer: u32,
    ) -> Sale {
        let catalog = self.catalog;
        let product = &catalog.products[product_index as usize];
        let info = &self.info[product_index as usize];
        let mut sale = Sale {
            created_at: at,
            creator: creator as u32,
            product: product_index,
            buyer,
            ..blank_sale()
        };
        let mut choices: Vec<(usize, usize)> = Vec::new();
        let mut unit_price;
        if product.is_tiered_membership {
            unit_price = product.price;
            if let Some((index, category)) = product
                .variant_categories
                .iter()
                .enumerate()
                .find(|(_, c)| !c.deleted && !c.variants.is_empty())
            {
                let option = rng.random_range(0..category.variants.len());
                choices.push((index, option));
                let prices = &category.variants[option].recurrence_prices;
                let pick = usize::from(prices.len() > 1 && rng.random_bool(0.25));
                if let Some((recurrence, price)) = prices.get(pick) {
                    unit_price = *price;
                    sale.recurrence = recurrence_code(recurrence);
                }
            }
        } else {
            unit_price = product.price;
            for (index, category) in product.variant_categories.iter().enumerate().take(4) {
                if category.deleted || category.variants.is_empty() {
                    continue;
                }
                let option = rng.random_range(0..category.variants.len());
                choices.push((index, option));
                unit_price += category.variants[option].price_difference_cents;
            }
            if let Some(duration) = &product.subscription_duration {
                sale.recurrence = recurrence_code(duration);
            }
        }
        sale.variants = pack_variants(&choices);
        if product.customizable_price == Some(true) {
            unit_price += rng.random_range(0..=7) * money::unit_of(&product.currency);
        }
        if !product.is_recurring_billing()
            && product.max_purchase_count.is_none()
            && unit_price > 0
            && rng.random_bool(0.05)
        {
            sale.quantity = rng.random_range(2..=3);
        }
        if !info.codes.is_empty() && unit_price > 0 && rng.random_bool(0.15) {
            let code_index = info.codes[rng.random_range(0..info.codes.len())];
            unit_price = catalog.offer_codes[code_index as usize].price_after(unit_price);
            sale.offer_code = code_index + 1;
        }
        let price = unit_price.saturating_mul(i64::from(sale.quantity));
        sale.price = i32::try_from(price).unwrap_or(i32::MAX);
        if product.is_recurring_billing() {
            self.subscriptions.push(SubscriptionState::Alive);
            sale.subscription = self.subscriptions.len() as u32;
        }
        sale.referrer = match rng.random_range(0..100) {
            0..35 => 0,
            35..43 => DISCOVER_REFERRER,
            n => (1 + n % (REFERRERS.len() as u32 - 1)) as u8,
        };
        if sale.referrer == DISCOVER_REFERRER {
            sale.flags |= flag::DISCOVER;
            if rng.random_bool(0.3) {
                sale.flags |= flag::MORE_LIKE_THIS;
            }
        }
        if rng.random_bool(0.12) {
            sale.flags |= flag::NO_CONTACT;
        }
        if rng.random_bool(0.3) {
            sale.flags |= flag::FOLLOWING;
        }
        if info.fields && (info.required || rng.random_bool(0.4)) {
            sale.flags |= flag::CUSTOM_FIELDS;
        }
        if rng.random_bool(0.2) {
            sale.rating = if rng.random_bool(0.85) {
                rng.random_range(4..=5)
            } else {
                rng.random_range(1..=3)
            };
        }
        if product.is_physical() && at < self.now - 3 * MICROS_PER_DAY && rng.random_bool(0.75) {
            sale.flags |= flag::SHIPPED;
            if rng.random_bool(0.8) {
                sale.flags |= flag::TRACKING;
            }
        }
        if sale.price > 0 {
            match rng.random_range(0..1000) {
                0..40 => sale.refunded = sale.price,
                40..60 => sale.refunded = (sale.price * rng.random_range(2..=8) / 10).max(1),
                60..68 => sale.flags |= flag::DISPUTED,
                68..75 => sale.flags |= flag::DISPUTED | flag::DISPUTE_WON,
                _ => {}
            }
        }
        sale
    }

    fn plain_sales(
        &mut self,
        rng: &mut ChaCha8Rng,
        creator: usize,
        products: &[u32],
        count: usize,
        buyer_base: u32,
        pool: usize,
    ) {
        // Products that cannot sell (sold out, newer than now) leave the draw, so `count` is exact while
        // any product can sell.
        let mut candidates = products.to_vec();
        let mut made = 0;
        while made < count && !candidates.is_empty() {
            let pick = rng.random_range(0..candidates.len());
            let product = candidates[pick];
            let Some(at) = self.time_for(rng, product) else {
                candidates.swap_remove(pick);
                continue;
            };
            let buyer = buyer_base.wrapping_add(rng.random_range(0..pool.max(1)) as u32);
            let sale = self.sale(rng, creator, product, at, buyer);
            self.record(sale);
            made += 1;
        }
    }

    fn first_creator(
        &mut self,
        rng: &mut ChaCha8Rng,
        creators: &[SeededCreator],
        products: &[u32],
        now: DateTime<Utc>,
    ) {
        let buyers = 350u32;
        let one_time: Vec<u32> = products
            .iter()
            .copied()
            .filter(|p| !self.product(*p).is_recurring_billing())
            .collect();
        // Cheap and free products sell more often.
        let weights: Vec<u32> = one_time
            .iter()
            .map(|p| {
                let product = self.product(*p);
                match money::to_usd_cents(&product.currency, product.price) {
                    0 => 6,
                    1..1000 => 4,
                    1000..5000 => 3,
                    _ => 1,
                }
            })
            .collect();
        let total: u32 = weights.iter().sum();
        for _ in 0..380 {
            let mut roll = rng.random_range(0..total.max(1));
            let product = one_time
                .iter()
                .zip(&weights)
                .find(|(_, w)| {
                    if roll < **w {
                        true
                    } else {
                        roll -= **w;
                        false
                    }
                })
                .map(|(p, _)| *p);
            let Some(product) = product else { break };
            let Some(at) = self.time_for(rng, product) else {
                continue;
            };
            let buyer = rng.random_range(0..buyers);
            let sale = self.sale(rng, 0, product, at, buyer);
            self.record(sale);
        }

        if let Some((product, day)) = launch_day(creators, self.catalog, now) {
            let product = product as u32;
            let from = day.and_time(NaiveTime::from_hms_opt(13, 0, 0).unwrap_or_default());
            let from = from.and_utc().timestamp_micros();
            let span = 11 * 3_600_000_000 - 1;
            for _ in 0..rng.random_range(60..=100) {
                let at = from + rng.random_range(0..span);
                let buyer = rng.random_range(0..buyers * 2);
                let sale = self.sale(rng, 0, product, at, buyer);
                self.record(sale);
            }
        }

        for product in products.iter().copied() {
            if !self.product(product).is_recurring_billing() {
                continue;
            }
            let subscribers = if self.product(product).is_tiered_membership {
                22
            } else {
                10
            };
            for _ in 0..subscribers {
                let buyer = rng.random_range(0..buyers);
                self.subscription(rng, product, buyer);
            }
        }

        if one_time.is_empty() {
            return;
        }
        for _ in 0..5 {
            let product = one_time[rng.random_range(0..one_time.len())];
            let giver = rng.random_range(0..buyers);
            let receiver = buyers + rng.random_range(0..buyers);
            self.gift(rng, product, giver, receiver);
        }

        let creator = &creators[0];
        let mut tests = 0;
        for _ in 0..100 {
            if tests == 3 {
                break;
            }
            let product = one_time[rng.random_range(0..one_time.len())];
            let Some(at) = self.time_for(rng, product) else {
                continue;
            };
            tests += 1;
            let mut sale = self.sale(rng, 0, product, at, 0);
            sale.flags |= flag::TEST;
            sale.refunded = 0;
            sale.flags &= !(flag::DISPUTED | flag::DISPUTE_WON);
            self.details.push(Detail {
                email: Some(creator.email.clone()),
                full_name: Some(creator.name.clone()),
                ..Detail::default()
            });
            sale.detail = self.details.len() as u32;
            self.record(sale);
        }
    }

    /// A subscription's charges, one per period from its start until now or until it stopped.
    fn subscription(&mut self, rng: &mut ChaCha8Rng, product: u32, buyer: u32) {
        let Some(start) = self.time_for(rng, product) else {
            return;
        };
        let first = self.sale(rng, 0, product, start, buyer);
        let period_days = super::subscriptions::period_days(recurrence_of(&first));
        let period = period_days * MICROS_PER_DAY;
        let stops_after = match rng.random_range(0..100) {
            0..70 => usize::MAX,
            _ => rng.random_range(1..=6),
        };
        let mut at = start;
        let mut charges = 0;
        while at < self.now && charges < stops_after {
            let mut charge = first;
            charge.created_at = at;
            if charges > 0 {
                charge.flags |= flag::RECURRING_CHARGE;
                charge.flags &= !(flag::DISPUTED | flag::DISPUTE_WON);
                charge.refunded = 0;
                charge.rating = 0;
            }
            self.record(charge);
            charges += 1;
            at += period + rng.random_range(0..3_600_000_000);
        }
        if charges == stops_after {
            let index = first.subscription as usize - 1;
            // Asked to stop a day after the last charge; over when the paid period ran out (`at`).
            // Every third ended one stopped because its card kept failing.
            let requested = (at - period + MICROS_PER_DAY).min(self.now);
            let ended = at < self.now;
            let failed = ended && first.subscription.is_multiple_of(3);
            self.subscription_times.insert(
                first.subscription,
                SubscriptionTimes {
                    user_requested_cancellation_at: (!failed).then_some(requested),
                    cancelled_at: Some(at),
                    ended_at: ended.then_some(at),
                    failed_at: failed.then_some(at),
                    fixed_period_ended: false,
                },
            );
            self.subscriptions[index] = if ended {
                SubscriptionState::Ended
            } else {
                SubscriptionState::Cancelled
            };
        }
    }

    /// A gift: the giver's paid purchase and the receiver's free one, a moment later.
    fn gift(&mut self, rng: &mut ChaCha8Rng, product: u32, giver: u32, receiver: u32) {
        let Some(at) = self.time_for(rng, product) else {
            return;
        };
        let mut sender = self.sale(rng, 0, product, at, giver);
        sender.flags |= flag::GIFT_SENDER;
        sender.quantity = 1;
        self.details.push(Detail {
            gift_partner_email: Some(super::people::email(receiver)),
            ..Detail::default()
        });
        sender.detail = self.details.len() as u32;
        let mut gift = Sale {
            created_at: at + 1,
            buyer: receiver,
            price: 0,
            refunded: 0,
            offer_code: 0,
            flags: flag::GIFT_RECEIVER | (sender.flags & flag::CUSTOM_FIELDS),
            rating: 0,
            ..sender
        };
        self.details.push(Detail {
            gift_partner_email: Some(super::people::email(giver)),
            ..Detail::default()
        });
        gift.detail = self.details.len() as u32;
        self.record(sender);
        self.record(gift);
    }

    /// Numbers the sales in date order (ties keep their making order) and builds the store.
    fn finish(mut self, keys: IdKeys) -> Sales {
        self.sales.sort_by_key(|s| s.created_at);
        for (position, sale) in self.sales.iter_mut().enumerate() {
            sale.id = position as u32 + 1;
        }
        let mut sales = Sales::new(
            keys,
            self.sales,
            self.details,
            self.subscriptions,
            self.catalog,
        );
        sales.subscription_times = self.subscription_times;
        sales
    }
}

pub(crate) fn recurrence_code(recurrence: &str) -> u8 {
    RECURRENCES
        .iter()
        .position(|r| *r == recurrence)
        .map_or(0, |i| i as u8 + 1)
}

fn recurrence_of(sale: &Sale) -> Option<&'static str> {
    super::json::recurrence(sale)
}

#[cfg(test)]
mod unit {
    use super::*;
    use crate::sim::catalog;
    use crate::sim::sales::SubscriptionState;
    use crate::sim::seed::creators;

    fn seeded(extra: usize, count: usize) -> (Vec<SeededCreator>, Catalog, Sales) {
        let people = creators(42, count);
        let catalog = catalog::seed::catalog(42, &people);
        let now = DateTime::from_timestamp(1_795_000_000, 0).unwrap();
        let sales = sales(42, &people, &catalog, extra, now);
        (people, catalog, sales)
    }

    #[test]
    fn first_creator_has_everything_and_ids_follow_time() {
        let (_, catalog, sales) = seeded(0, 5);
        let listed: Vec<&Sale> = sales.of_creator(0).collect();
        assert!((500..800).contains(&listed.len()), "{}", listed.len());
        assert!(sales.of_creator(1).next().is_none() && sales.of_creator(2).next().is_none());
        assert!((20..=60).contains(&sales.of_creator(3).count()));
        let all: Vec<Sale> = (1..=sales.len() as u64)
            .filter_map(|id| sales.get(id).copied())
            .collect();
        assert!(
            all.windows(2)
                .all(|w| w[0].created_at <= w[1].created_at && w[0].id + 1 == w[1].id)
        );
        let test = all.iter().filter(|s| s.has(flag::TEST)).count();
        assert_eq!(test, 3);
        assert_eq!(
            listed.len() + test,
            all.iter().filter(|s| s.creator == 0).count()
        );
        let any = |f: &dyn Fn(&Sale) -> bool| listed.iter().any(|s| f(s));
        assert!(any(&|s| s.is_refunded()));
        assert!(any(&|s| s.is_partially_refunded()));
        assert!(any(&|s| s.has(flag::DISPUTED) && s.has(flag::DISPUTE_WON)));
        assert!(any(&|s| s.has(flag::DISPUTED) && !s.has(flag::DISPUTE_WON)));
        assert!(any(&|s| s.offer_code > 0));
        assert!(any(&|s| s.variants > 0));
        assert!(any(&|s| s.quantity > 1));
        assert!(any(&|s| s.has(flag::CUSTOM_FIELDS)));
        assert!(any(&|s| s.has(flag::RECURRING_CHARGE)));
        assert!(any(&|s| s.has(flag::GIFT_SENDER)) && any(&|s| s.has(flag::GIFT_RECEIVER)));
        assert!(any(&|s| s.price == 0 && !s.has(flag::GIFT_RECEIVER)));
        assert!(any(&|s| s.has(flag::SHIPPED) && s.has(flag::TRACKING)));
        assert!(any(&|s| catalog.products[s.product as usize].is_licensed));
        assert!(sales.subscriptions.contains(&SubscriptionState::Ended));
        for currency in ["usd", "eur", "gbp", "jpy"] {
            assert!(any(
                &|s| catalog.products[s.product as usize].currency == currency
            ));
        }
        let mut per_day: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
        for sale in &listed {
            *per_day
                .entry(sale.created_at.div_euclid(MICROS_PER_DAY))
                .or_default() += 1;
        }
        assert!(per_day.values().any(|n| *n >= 60), "a launch day");
        for (index, product) in catalog.products.iter().enumerate() {
            if let Some(max) = product.max_purchase_count {
                let sold: i64 = listed
                    .iter()
                    .filter(|s| s.product as usize == index)
                    .map(|s| i64::from(s.quantity))
                    .sum();
                assert!(sold <= max, "{} sold {sold} of {max}", product.name);
            }
        }
    }

    #[test]
    fn every_seed_gives_creator_zero_a_launch_day_and_a_few_hundred_sales() {
        for seed in [1, 7, 99, 2024] {
            let people = creators(seed, 3);
            let catalog = catalog::seed::catalog(seed, &people);
            for now in [1_795_000_000, 1_900_000_000] {
                let now = DateTime::from_timestamp(now, 0).unwrap();
                let sales = sales(seed, &people, &catalog, 0, now);
                let count = sales.of_creator(0).count();
                assert!((500..800).contains(&count), "seed {seed}: {count}");
                let (_, day) = launch_day(&people, &catalog, now).expect("a launch");
                let start = day
                    .and_hms_opt(0, 0, 0)
                    .unwrap()
                    .and_utc()
                    .timestamp_micros();
                let on_day = sales
                    .of_creator(0)
                    .filter(|s| (start..start + MICROS_PER_DAY).contains(&s.created_at))
                    .count();
                assert!(on_day >= 60, "seed {seed}: {on_day} on {day}");
            }
        }
    }

    #[test]
    fn extra_sales_are_skewed_toward_creator_zero() {
        let (_, _, base) = seeded(0, 50);
        let (_, _, sales) = seeded(20_000, 50);
        assert_eq!(sales.len(), base.len() + 20_000);
        let extra = |i: usize| sales.of_creator(i).count() - base.of_creator(i).count();
        let first = extra(0);
        assert_eq!(first, 4_000, "a fifth");
        let tail: Vec<usize> = (3..50).map(extra).filter(|n| *n > 0).collect();
        assert!(
            tail.windows(2).all(|w| w[0] >= w[1]),
            "Zipf by creator order: {tail:?}"
        );
        assert!(
            tail[0] < first,
            "creator 0 has the most: {first} then {tail:?}"
        );
        assert!(tail[tail.len() - 1] < first / 20, "{first} … {tail:?}");
        assert_eq!(extra(1) + extra(2), 0);
    }
}
