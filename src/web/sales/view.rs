//! Sales as pages show them: amounts in their own currency, times in the creator's zone with UTC
//! on hover, and links built in one place.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::{Currency, Money};
use crate::store::creators::Creator;
use crate::store::sales::{CurrencyTotals, SaleRow};
use crate::web::views::path_segment;

/// A moment in the creator's zone ("2026-11-29 14:05") and in UTC for the `title`.
pub struct Moment {
    pub local: String,
    pub utc: String,
    /// For `<time datetime>`.
    pub iso: String,
}

impl Moment {
    pub fn new(at: DateTime<Utc>, zone: Tz) -> Self {
        Self {
            local: at.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string(),
            utc: at.format("%Y-%m-%d %H:%M UTC").to_string(),
            iso: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
}

/// An amount in a currency stored as text; plain digits if the currency is unknown.
pub fn money(amount: i64, currency: Option<&str>) -> String {
    match currency.and_then(|c| Currency::parse(c).ok()) {
        Some(currency) => Money::new(amount, currency).display(),
        None => format!("{amount} (unknown currency)"),
    }
}

pub fn usd(cents: i64) -> String {
    Money::new(cents, Currency::USD).display()
}

pub fn sale_href(gumroad_id: &str) -> String {
    format!("/sales/{}", path_segment(gumroad_id))
}

pub struct SaleLine {
    pub href: String,
    pub when: Moment,
    pub product: String,
    pub buyer: String,
    pub email: Option<String>,
    pub amount: String,
    pub badges: Vec<(&'static str, &'static str)>,
}

impl SaleLine {
    pub fn new(row: &SaleRow, zone: Tz) -> Self {
        Self {
            href: sale_href(&row.gumroad_id),
            when: Moment::new(row.created_at, zone),
            product: row.product_name.clone(),
            buyer: row
                .full_name
                .clone()
                .or_else(|| row.email.clone())
                .unwrap_or_else(|| "(no name)".into()),
            email: row.email.clone().filter(|_| row.full_name.is_some()),
            amount: sale_amount(row),
            badges: badges(row),
        }
    }
}

/// What the buyer paid in the product's currency, else Gumroad's USD figure.
pub fn sale_amount(row: &SaleRow) -> String {
    if row.price_usd_cents == 0 {
        return "Free".into();
    }
    match row.amount_cents {
        Some(amount) => money(amount, row.currency.as_deref()),
        None => format!("{} (USD)", usd(row.price_usd_cents)),
    }
}

/// A custom field's answer as text: strings as typed, checkboxes as Yes/No, anything else as JSON.
pub fn custom_field_text(value: &serde_json::Value) -> std::borrow::Cow<'_, str> {
    match value {
        serde_json::Value::String(s) => s.as_str().into(),
        serde_json::Value::Bool(b) => if *b { "Yes" } else { "No" }.into(),
        other => other.to_string().into(),
    }
}

/// (label, CSS class) for the sale's states.
pub fn badges(row: &SaleRow) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    if row.refunded {
        out.push(("Refunded", "badge badge-warn"));
    } else if row.partially_refunded {
        out.push(("Partly refunded", "badge badge-warn"));
    }
    if row.chargedback {
        out.push(("Charged back", "badge badge-bad"));
    } else if row.disputed && row.dispute_won {
        out.push(("Dispute won", "badge badge-ok"));
    } else if row.disputed {
        out.push(("Disputed", "badge badge-bad"));
    }
    if row.price_usd_cents == 0 {
        out.push(("Free", "badge"));
    }
    out
}

/// One currency's line of the totals: sales, gross, refunds, net.
pub struct TotalsLine {
    pub currency: String,
    pub sales: i64,
    pub gross: String,
    pub refunded: String,
    pub net: String,
}

impl TotalsLine {
    pub fn new(totals: &CurrencyTotals) -> Self {
        let known = (!totals.currency.is_empty()).then_some(totals.currency.as_str());
        let (gross, refunded) = match known {
            Some(code) => (
                money(totals.gross_cents, Some(code)),
                money(totals.refunded_cents, Some(code)),
            ),
            None => (
                format!("{} (USD)", usd(totals.gross_usd_cents)),
                format!("{} (USD)", usd(totals.refunded_usd_cents)),
            ),
        };
        let net = match known {
            Some(code) => money(totals.gross_cents - totals.refunded_cents, Some(code)),
            None => format!(
                "{} (USD)",
                usd(totals.gross_usd_cents - totals.refunded_usd_cents)
            ),
        };
        Self {
            currency: known.unwrap_or("other").to_uppercase(),
            sales: totals.sales,
            gross,
            refunded,
            net,
        }
    }
}

/// Sales count and revenue per product from the mirror, once its backfill is complete (before that
/// the pages keep Gumroad's own figures). Revenue is net of refunds, per currency.
pub struct ProductFigures(std::collections::HashMap<String, (i64, Vec<String>)>);

/// [`ProductFigures`] per creator and rollup version: they sum every per-day-per-product rollup row
/// of the creator (about 9,600 for 400 days of 23 products), which on every view of the product list
/// held it to a sixth of the other pages' rate (BENCHMARKS.md).
pub type ProductFiguresCache = crate::web::rollup_cache::RollupCache<(), Arc<ProductFigures>>;

impl ProductFigures {
    /// The figures of a creator whose backfill is complete (the phase read with the creator row, when
    /// it was), from `cache` while the creator's rollups have not changed.
    pub async fn load(
        pool: &sqlx::PgPool,
        creator: &Creator,
        cache: &ProductFiguresCache,
    ) -> Result<Option<Arc<Self>>, sqlx::Error> {
        let complete = match &creator.sync_phase {
            Some(phase) => phase == "done",
            None => crate::store::sync::state(pool, creator.id)
                .await?
                .is_some_and(|s| s.backfill == "done"),
        };
        if !complete {
            return Ok(None);
        }
        cache
            .get_or_compute(creator, (), async {
                Self::read(pool, creator.id).await.map(Arc::new)
            })
            .await
            .map(Some)
    }

    async fn read(
        pool: &sqlx::PgPool,
        tenant: crate::domain::TenantId,
    ) -> Result<Self, sqlx::Error> {
        let mut figures: std::collections::HashMap<String, (i64, Vec<String>)> =
            std::collections::HashMap::new();
        for totals in crate::store::sales::per_product(pool, tenant).await? {
            let entry = figures.entry(totals.product_id).or_default();
            entry.0 += totals.sales;
            let currency = (!totals.currency.is_empty()).then_some(totals.currency.as_str());
            if currency.is_some() {
                entry.1.push(money(totals.net_cents, currency));
            }
        }
        Ok(Self(figures))
    }

    /// (sales, revenue) for a product; a product without sales has 0 and nothing earned.
    pub fn of(&self, product_id: &str) -> (i64, String) {
        match self.0.get(product_id) {
            Some((count, revenue)) if !revenue.is_empty() => (*count, revenue.join(" + ")),
            Some((count, _)) => (*count, "—".into()),
            None => (0, "—".into()),
        }
    }
}
