//! The signed-in home: "how is my business doing?" in one look. Headline numbers with their change,
//! charts for a chosen range, top products and breakdowns, all from the mirror's rollups (never the
//! sales table, never Gumroad: the profile shown is the stored one, which the sync refreshes).

use actix_web::{HttpResponse, get, web};
use askama::Template;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;

use super::charts::{BarChart, Datum};
use super::current_creator::CurrentCreator;
use super::error::AppError;
use super::forms::{FormErrors, filtered_page};
use super::layout::{Layout, Nav};
use super::rollup_cache::RollupCache;
use super::sales::view::{money, usd};
use super::state::AppState;
use super::views::product_href;
use crate::domain::TenantId;
use crate::domain::periods::{Bucket, ChartRange, Headline, Period, percent_change};
use crate::store::overview::{self as rollups, Basis, BucketFigures, Dimension, Figures};
use crate::sync::{self, SyncStatus};

const TOP_PRODUCTS: i64 = 5;
const BREAKDOWN_LINES: i64 = 8;

#[derive(serde::Deserialize, Default)]
pub struct OverviewQuery {
    #[serde(default)]
    range: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// A change against the previous period, for people and screen readers.
pub struct Change {
    /// In words: "up 12%".
    pub text: String,
    /// Where room is short: "12%" (the arrow comes from the class).
    pub short: String,
    pub class: &'static str,
}

impl Change {
    fn new(now: i64, before: i64) -> Self {
        let (text, short, class) = match percent_change(now, before) {
            None if now == 0 => ("none before either".into(), "–".into(), "change-flat"),
            None => (
                "new: none the period before".into(),
                "new".into(),
                "change-up",
            ),
            Some(0) => ("no change".into(), "0%".into(), "change-flat"),
            Some(p) if p > 0 => (format!("up {p}%"), format!("{p}%"), "change-up"),
            Some(p) => (format!("down {}%", -p), format!("{}%", -p), "change-down"),
        };
        Self { text, short, class }
    }
}

struct HeadlineCard {
    label: &'static str,
    dates: String,
    sales: i64,
    sales_change: Change,
    gross: String,
    gross_change: Change,
    refunded: String,
    net: String,
    net_change: Change,
}

pub struct Totals {
    pub sales: i64,
    pub gross: String,
    pub refunded: String,
    pub net: String,
    pub refund_rate: String,
    pub dispute_rate: String,
}

struct ProductLine {
    href: String,
    name: String,
    sales: i64,
    gross: String,
    net: String,
}

struct ShareLine {
    /// What the row shows (a referrer's address without its scheme and `www.`).
    value: String,
    /// The value in full, as Gumroad sent it (the row's tooltip).
    full: String,
    sales: i64,
    gross: String,
    percent: String,
}

struct Profile {
    name: String,
    email: Option<String>,
    avatar_url: Option<String>,
    profile_page: Option<String>,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    layout: Layout,
    profile: Profile,
    sync: SyncStatus,
    has_sales: bool,
    /// Said when amounts are Gumroad's USD figures for sales in several currencies.
    currency_note: Option<String>,
    zone: String,
    headline: Vec<HeadlineCard>,
    all_time: Totals,
    presets: Vec<(&'static str, &'static str, bool)>,
    custom: bool,
    query: OverviewQuery,
    errors: FormErrors,
    range_title: String,
    range_totals: Totals,
    charts: Vec<BarChart>,
    top_products: Vec<ProductLine>,
    countries: Vec<ShareLine>,
    referrers: Vec<ShareLine>,
}

/// The amounts of the basis, as people read them.
fn amount(basis: &Basis, cents: i64) -> String {
    match basis {
        Basis::Currency(code) => money(cents, Some(code)),
        Basis::Usd => usd(cents),
    }
}

/// Axis labels: the same, without a fraction of zeros ("$1,500" rather than "$1,500.00").
fn axis_amount(basis: &Basis, cents: i64) -> String {
    let text = amount(basis, cents);
    text.strip_suffix(".00").map(str::to_owned).unwrap_or(text)
}

/// The creator's one currency when every sale was in it (exact amounts); Gumroad's USD figures when
/// they sell in several (sums across currencies are only meaningful in one unit).
fn basis_for(currencies: &[(String, i64)]) -> Basis {
    match currencies {
        [(code, _)] if !code.is_empty() => Basis::Currency(code.clone()),
        _ => Basis::Usd,
    }
}

fn currency_note(currencies: &[(String, i64)]) -> Option<String> {
    if currencies.len() < 2 {
        return None;
    }
    let codes: Vec<String> = currencies
        .iter()
        .map(|(code, _)| {
            if code.is_empty() {
                "an unreadable currency".to_owned()
            } else {
                code.to_uppercase()
            }
        })
        .collect();
    Some(format!(
        "You sell in {}, so amounts here are Gumroad's US dollar figures. The sales list shows each sale in its own currency.",
        codes.join(", ")
    ))
}

fn percent_of(part: i64, whole: i64) -> String {
    if whole == 0 {
        return "—".into();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

fn totals(basis: &Basis, figures: &Figures) -> Totals {
    Totals {
        sales: figures.sales,
        gross: amount(basis, figures.gross),
        refunded: amount(basis, figures.refunded),
        net: amount(basis, figures.net()),
        refund_rate: percent_of(figures.refunded_sales, figures.sales),
        dispute_rate: percent_of(figures.disputed_sales, figures.sales),
    }
}

fn dates_text(period: Period) -> String {
    if period.days() == 1 {
        return period.from.format("%b %-d, %Y").to_string();
    }
    format!(
        "{} – {}",
        period.from.format("%b %-d, %Y"),
        period.to.format("%b %-d, %Y")
    )
}

fn headline_cards(basis: &Basis, today: NaiveDate, figures: &[Figures]) -> Vec<HeadlineCard> {
    Headline::ALL
        .iter()
        .zip(figures.chunks(2))
        .map(|(headline, pair)| {
            let (now, before) = (pair[0], pair.get(1).copied().unwrap_or_default());
            HeadlineCard {
                label: headline.label(),
                dates: dates_text(headline.period(today)),
                sales: now.sales,
                sales_change: Change::new(now.sales, before.sales),
                gross: amount(basis, now.gross),
                gross_change: Change::new(now.gross, before.gross),
                refunded: amount(basis, now.refunded),
                net: amount(basis, now.net()),
                net_change: Change::new(now.net(), before.net()),
            }
        })
        .collect()
}

/// The chosen range: a preset, or custom dates (refused beside the fields, falling back to 30 days).
fn chart_range(query: &OverviewQuery, today: NaiveDate, errors: &mut FormErrors) -> ChartRange {
    if query.range == "custom" || !query.from.is_empty() || !query.to.is_empty() {
        match ChartRange::custom(&query.from, &query.to, today) {
            Ok(range) => return range,
            Err(error) => errors.add("from", error.to_string()),
        }
    }
    ChartRange::preset(&query.range).unwrap_or(ChartRange::Last30Days)
}

fn bucket_label(bucket: Bucket, start: NaiveDate, long: bool) -> String {
    match (bucket, long) {
        (Bucket::Month, _) => start.format("%b %Y").to_string(),
        (Bucket::Week, true) => format!("Week of {}", start.format("%b %-d, %Y")),
        (_, true) => start.format("%a %b %-d, %Y").to_string(),
        (_, false) => start.format("%b %-d").to_string(),
    }
}

/// Every bucket of the range, with zeros where nothing sold.
fn filled(period: Period, bucket: Bucket, rows: &[BucketFigures]) -> Vec<(NaiveDate, Figures)> {
    let found: std::collections::HashMap<NaiveDate, Figures> =
        rows.iter().map(|r| (r.start, r.figures)).collect();
    bucket
        .starts(period)
        .into_iter()
        .map(|start| (start, found.get(&start).copied().unwrap_or_default()))
        .collect()
}

/// The range's two charts: money per bucket, and sales per bucket.
pub fn range_charts(
    id_prefix: &str,
    subject: &str,
    basis: &Basis,
    period: Period,
    bucket: Bucket,
    rows: &[BucketFigures],
) -> Vec<BarChart> {
    let buckets = filled(period, bucket, rows);
    let label = |start: NaiveDate| bucket_label(bucket, start, true);
    let short = |start: NaiveDate| bucket_label(bucket, start, false);
    let span = dates_text(period);
    let gross: Vec<Datum> = buckets
        .iter()
        .map(|(start, f)| Datum {
            label: label(*start),
            short: short(*start),
            value: f.gross,
            shown: amount(basis, f.gross),
        })
        .collect();
    let total_gross: i64 = buckets.iter().map(|(_, f)| f.gross).sum();
    let total_sales: i64 = buckets.iter().map(|(_, f)| f.sales).sum();
    let sales: Vec<Datum> = buckets
        .iter()
        .map(|(start, f)| Datum {
            label: label(*start),
            short: short(*start),
            value: f.sales,
            shown: f.sales.to_string(),
        })
        .collect();
    let noun = bucket.noun();
    let basis_for_axis = basis.clone();
    vec![
        BarChart::new(
            &format!("{id_prefix}-revenue"),
            capitalised(&format!("{subject}revenue per {noun}")),
            format!(
                "Gross revenue per {noun} from {span}: {} in all, highest {}.",
                amount(basis, total_gross),
                amount(basis, gross.iter().map(|d| d.value).max().unwrap_or(0))
            ),
            &capitalised(noun),
            "Gross",
            gross,
            move |cents| axis_amount(&basis_for_axis, cents),
        ),
        BarChart::new(
            &format!("{id_prefix}-sales"),
            capitalised(&format!("{subject}sales per {noun}")),
            format!(
                "Number of sales per {noun} from {span}: {total_sales} in all, highest {}.",
                sales.iter().map(|d| d.value).max().unwrap_or(0)
            ),
            &capitalised(noun),
            "Sales",
            sales,
            |count| count.to_string(),
        ),
    ]
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn share_lines(
    basis: &Basis,
    shares: &[rollups::Share],
    total_sales: i64,
    none: &str,
    shown: fn(&str) -> &str,
) -> Vec<ShareLine> {
    shares
        .iter()
        .map(|share| ShareLine {
            value: if share.value.is_empty() {
                none.to_owned()
            } else {
                shown(&share.value).to_owned()
            },
            full: share.value.clone(),
            sales: share.sales,
            gross: amount(basis, share.gross),
            percent: percent_of(share.sales, total_sales),
        })
        .collect()
}

/// A referrer as a phone has room for: `https://www.reddit.com/` is `reddit.com`, and
/// `https://gumroad.com/discover` keeps its path.
fn referrer_shown(referrer: &str) -> &str {
    let rest = referrer
        .strip_prefix("https://")
        .or_else(|| referrer.strip_prefix("http://"))
        .unwrap_or(referrer);
    let rest = rest.strip_prefix("www.").unwrap_or(rest);
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() { referrer } else { rest }
}

/// A product's own figures for its page: the last 30 days against the 30 before, all time, and the
/// last 90 days as charts, in the product's currency.
pub struct ProductSales {
    pub last_30: Totals,
    pub net_change: Change,
    pub all_time: Totals,
    pub range: String,
    pub charts: Vec<BarChart>,
}

impl ProductSales {
    pub async fn load(
        pool: &sqlx::PgPool,
        tenant: crate::domain::TenantId,
        product_id: &str,
        currency: Option<crate::domain::Currency>,
        zone: &str,
    ) -> Result<Self, sqlx::Error> {
        let basis = currency.map_or(Basis::Usd, |c| Basis::Currency(c.code().to_owned()));
        let zone: Tz = zone.parse().unwrap_or(Tz::UTC);
        let today = Utc::now().with_timezone(&zone).date_naive();
        let last_30 = Headline::Last30Days.period(today);
        let ever = Period::new(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(today), today);
        let figures = rollups::periods(
            pool,
            tenant,
            &basis,
            &[last_30, last_30.previous(), ever],
            Some(product_id),
        )
        .await?;
        let [now, before, ever_figures] = figures[..] else {
            return Err(sqlx::Error::RowNotFound);
        };
        let period = ChartRange::Last90Days.period(today, None);
        let bucket = Bucket::for_period(period);
        let series =
            rollups::series(pool, tenant, &basis, period, bucket, Some(product_id)).await?;
        Ok(Self {
            last_30: totals(&basis, &now),
            net_change: Change::new(now.net(), before.net()),
            all_time: totals(&basis, &ever_figures),
            range: dates_text(period),
            charts: range_charts("product", "", &basis, period, bucket, &series),
        })
    }
}

/// What an overview's figures depend on besides the rollups (see [`RollupCache`]): the creator's
/// zone and today, since the periods are the creator's days, and the range.
type FiguresKey = (String, NaiveDate, ChartRange);

/// Overviews kept at once per instance: a 30-day one is about 2 kB, a 400-bar one about 25 kB.
const CACHED_OVERVIEWS: usize = 2_000;

pub type OverviewFigures = RollupCache<FiguresKey, Arc<RangeFigures>>;

pub fn overview_figures_cache() -> OverviewFigures {
    OverviewFigures::new(CACHED_OVERVIEWS)
}

/// What the overview reads from the rollups for one range (everything but the live sync banner).
#[derive(Debug)]
pub struct RangeFigures {
    currencies: Vec<(String, i64)>,
    basis: Basis,
    /// Each headline period, then the one before it, in [`Headline::ALL`] order.
    headline: Vec<Figures>,
    all_time: Figures,
    period: Period,
    bucket: Bucket,
    series: Vec<BucketFigures>,
    top: Vec<rollups::ProductFigures>,
    countries: Vec<rollups::Share>,
    referrers: Vec<rollups::Share>,
}

async fn read_figures(
    pool: &sqlx::PgPool,
    tenant: TenantId,
    today: NaiveDate,
    range: ChartRange,
) -> Result<RangeFigures, sqlx::Error> {
    let currencies = rollups::currencies(pool, tenant).await?;
    let basis = basis_for(&currencies);
    let periods: Vec<Period> = Headline::ALL
        .iter()
        .flat_map(|h| {
            let period = h.period(today);
            [period, period.previous()]
        })
        .collect();
    let headline = rollups::periods(pool, tenant, &basis, &periods, None).await?;
    let all_time = rollups::all_time(pool, tenant, &basis).await?;
    let first_day = match range {
        ChartRange::AllTime => rollups::first_day(pool, tenant).await?,
        _ => None,
    };
    let period = range.period(today, first_day);
    let bucket = Bucket::for_period(period);
    let series = rollups::series(pool, tenant, &basis, period, bucket, None).await?;
    let top = rollups::top_products(pool, tenant, &basis, period, TOP_PRODUCTS).await?;
    let breakdown = async |dimension| {
        rollups::breakdown(pool, tenant, &basis, period, dimension, BREAKDOWN_LINES).await
    };
    let countries = breakdown(Dimension::Country).await?;
    let referrers = breakdown(Dimension::Referrer).await?;
    Ok(RangeFigures {
        currencies,
        basis,
        headline,
        all_time,
        period,
        bucket,
        series,
        top,
        countries,
        referrers,
    })
}

#[get("/dashboard")]
pub async fn overview(
    current: CurrentCreator,
    state: web::Data<AppState>,
    query: web::Query<OverviewQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let tenant = current.tenant();
    let pool = &state.pool;
    let zone: Tz = current.creator.time_zone.parse().unwrap_or(Tz::UTC);
    let today = Utc::now().with_timezone(&zone).date_naive();
    let mut errors = FormErrors::default();
    let range = chart_range(&query, today, &mut errors);

    let key = (current.creator.time_zone.clone(), today, range);
    let figures = state
        .overview_figures
        .get_or_compute(&current.creator, key, async {
            read_figures(pool, tenant, today, range).await.map(Arc::new)
        })
        .await?;
    let RangeFigures {
        ref currencies,
        ref basis,
        period,
        bucket,
        ..
    } = *figures;
    let range_figures = figures
        .series
        .iter()
        .fold(Figures::default(), |sum, row| Figures {
            sales: sum.sales + row.figures.sales,
            gross: sum.gross + row.figures.gross,
            refunded: sum.refunded + row.figures.refunded,
            refunded_sales: sum.refunded_sales + row.figures.refunded_sales,
            disputed_sales: sum.disputed_sales + row.figures.disputed_sales,
        });

    let creator = &current.creator;
    let page = OverviewPage {
        layout: Layout::signed_in(&current.session, creator, &state, Nav::Home)?,
        profile: Profile {
            name: creator.name.clone(),
            email: creator.email.clone(),
            avatar_url: creator.avatar_url.clone(),
            profile_page: creator.profile_url.clone(),
        },
        sync: sync::banner_status(pool, tenant).await?,
        has_sales: !currencies.is_empty(),
        currency_note: currency_note(currencies),
        zone: crate::domain::zone_label(&creator.time_zone),
        headline: headline_cards(basis, today, &figures.headline),
        all_time: totals(basis, &figures.all_time),
        presets: ChartRange::PRESETS
            .iter()
            .map(|(name, label)| (*name, *label, *name == range.name()))
            .collect(),
        custom: matches!(range, ChartRange::Custom(_)),
        range_title: dates_text(period),
        range_totals: totals(basis, &range_figures),
        charts: range_charts("range", "", basis, period, bucket, &figures.series),
        top_products: figures
            .top
            .iter()
            .map(|p| ProductLine {
                href: product_href(&p.product_id),
                name: p.name.clone(),
                sales: p.figures.sales,
                gross: amount(basis, p.figures.gross),
                net: amount(basis, p.figures.net()),
            })
            .collect(),
        countries: share_lines(
            basis,
            &figures.countries,
            range_figures.sales,
            "Unknown",
            |country| country,
        ),
        referrers: share_lines(
            basis,
            &figures.referrers,
            range_figures.sales,
            "Direct or unknown",
            referrer_shown,
        ),
        errors,
        query,
    };
    filtered_page(&page, &page.errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referrers_are_shown_without_scheme_www_or_trailing_slash() {
        assert_eq!(referrer_shown("https://www.reddit.com/"), "reddit.com");
        assert_eq!(
            referrer_shown("https://gumroad.com/discover"),
            "gumroad.com/discover"
        );
        assert_eq!(referrer_shown("http://example.org"), "example.org");
        assert_eq!(referrer_shown("direct"), "direct");
        assert_eq!(referrer_shown("https://"), "https://");
    }

    #[test]
    fn one_currency_is_shown_exactly_and_several_in_gumroads_dollars() {
        assert_eq!(
            basis_for(&[("eur".into(), 3)]),
            Basis::Currency("eur".into())
        );
        assert_eq!(
            basis_for(&[("eur".into(), 3), ("usd".into(), 1)]),
            Basis::Usd
        );
        assert_eq!(basis_for(&[("".into(), 3)]), Basis::Usd);
        assert_eq!(basis_for(&[]), Basis::Usd);
        assert!(
            currency_note(&[("eur".into(), 3), ("usd".into(), 1)])
                .unwrap()
                .contains("EUR, USD")
        );
    }

    #[test]
    fn changes_read_as_words() {
        assert_eq!(Change::new(150, 100).text, "up 50%");
        assert_eq!(Change::new(50, 100).text, "down 50%");
        assert_eq!(Change::new(0, 0).class, "change-flat");
        assert_eq!(Change::new(5, 0).class, "change-up");
    }

    #[test]
    fn empty_buckets_are_zeros_not_gaps() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let rows = [BucketFigures {
            start: day(3),
            figures: Figures {
                sales: 2,
                ..Figures::default()
            },
        }];
        let buckets = filled(Period::new(day(1), day(5)), Bucket::Day, &rows);
        let sales: Vec<i64> = buckets.iter().map(|(_, f)| f.sales).collect();
        assert_eq!(sales, vec![0, 0, 2, 0, 0]);
    }
}
