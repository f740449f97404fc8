//! `GET /sales`: 50 sales a page, newest first, keyset-paginated both ways; filters by dates (the
//! creator's days), product, buyer search and state; count and totals of the filtered set. Every
//! filter combination is a plain GET URL, so it can be bookmarked and shared.

use std::sync::Arc;

use actix_web::{HttpResponse, get, web};
use askama::Template;
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Deserialize;

use super::view::{SaleLine, TotalsLine};
use crate::domain::SalesCursor;
use crate::store::sales::{self, Direction, SaleState, SalesFilter};
use crate::sync::{self, SyncStatus};
use crate::web::current_creator::CurrentCreator;
use crate::web::error::AppError;
use crate::web::forms::{FormErrors, filter_query, filtered_page, search_text};
use crate::web::layout::{Layout, Nav};
use crate::web::rollup_cache::RollupCache;
use crate::web::state::AppState;
use crate::web::views::list_link;

const PAGE_SIZE: i64 = 50;
/// Longer searches are cut: nobody types more, and it bounds the pattern.
const MAX_SEARCH_CHARS: usize = 100;

/// The query string as typed; read leniently, checked in [`parse_filter`]. The CSV export reads the
/// same parameters (its cursors aside), so a list's export link is its own filters.
#[derive(Default, Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    state: String,
    /// Cursor: sales older than this one.
    #[serde(default)]
    older: String,
    /// Cursor: sales newer than this one.
    #[serde(default)]
    newer: String,
}

#[derive(Template)]
#[template(path = "sales/index.html")]
struct IndexPage {
    layout: Layout,
    query: ListQuery,
    errors: FormErrors,
    products: Vec<(String, String)>,
    lines: Vec<SaleLine>,
    totals: Vec<TotalsLine>,
    count: i64,
    /// A search matching more than a page: `count` is a lower bound and no totals are shown.
    count_capped: bool,
    filtered: bool,
    older: Option<String>,
    newer: Option<String>,
    sync: SyncStatus,
    zone: String,
}

impl IndexPage {
    /// This page's filters as a query string (no cursor), for links that keep them.
    fn filters(&self) -> String {
        let q = &self.query;
        filter_query(&[
            ("from", &q.from),
            ("to", &q.to),
            ("product", &q.product),
            ("q", &q.q),
            ("state", &q.state),
        ])
    }

    /// The CSV export of this page's filtered set: every page of it, so no cursor.
    fn export_link(&self) -> String {
        list_link("/sales/export.csv", &self.filters(), None)
    }

    fn page_link(&self, cursor_name: &str, cursor: &str) -> String {
        list_link("/sales", &self.filters(), Some((cursor_name, cursor)))
    }

    fn state_is(&self, value: &str) -> bool {
        self.query.state == value
    }
}

/// The filter from the query string; each bad field gets its message and is ignored.
pub(super) fn parse_filter(query: &ListQuery, errors: &mut FormErrors) -> SalesFilter {
    let date = |errors: &mut FormErrors, field: &'static str, text: &str| {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        errors.check(
            field,
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| "Enter a date like 2026-01-31.")
                .and_then(|d| {
                    (1970..=9999)
                        .contains(&chrono::Datelike::year(&d))
                        .then_some(d)
                        .ok_or("Enter a date between 1970 and 9999.")
                }),
        )
    };
    let mut from = date(errors, "from", &query.from);
    let mut to = date(errors, "to", &query.to);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        errors.add("to", "The end date is before the start date.");
        (from, to) = (None, None);
    }
    let state = match query.state.trim() {
        "" | "all" => None,
        text => errors.check(
            "state",
            SaleState::parse(text).ok_or("Choose one of the listed states."),
        ),
    };
    let search = search_text(&query.q, MAX_SEARCH_CHARS);
    let product: String = query.product.trim().replace('\0', "");
    SalesFilter {
        from,
        to,
        product_id: Some(product).filter(|p| !p.is_empty()),
        search,
        state,
    }
}

fn cursor_of(query: &ListQuery) -> Option<(SalesCursor, Direction)> {
    SalesCursor::decode(&query.older)
        .map(|c| (c, Direction::Older))
        .or_else(|| SalesCursor::decode(&query.newer).map(|c| (c, Direction::Newer)))
}

/// The list's figures that only change with the rollups: its totals per filter (a buyer search has
/// none) and the products to filter by.
pub struct ListFigures {
    totals: RollupCache<SalesFilter, Arc<Option<Vec<sales::CurrencyTotals>>>>,
    products: RollupCache<(), Arc<Vec<(String, String)>>>,
}

impl Default for ListFigures {
    fn default() -> Self {
        Self {
            totals: RollupCache::new(4_000),
            products: RollupCache::new(2_000),
        }
    }
}

#[get("/sales")]
pub async fn index(
    current: CurrentCreator,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let tenant = current.tenant();
    let zone_name = current.creator.time_zone.clone();
    let zone: Tz = zone_name.parse().unwrap_or(Tz::UTC);
    let mut errors = FormErrors::default();
    let filter = parse_filter(&query, &mut errors);
    let pool = &state.pool;
    let from = cursor_of(&query);
    let figures = &state.sales_list_figures;
    // Three independent reads, each on its own connection: the page, and (when not cached for the
    // creator's current rollups) its totals and the products to filter by.
    let (page, rollup_totals, products) = tokio::try_join!(
        sales::page(pool, tenant, &filter, &zone_name, from, PAGE_SIZE),
        figures
            .totals
            .get_or_compute(&current.creator, filter.clone(), async {
                sales::totals(pool, tenant, &filter).await.map(Arc::new)
            }),
        figures
            .products
            .get_or_compute(&current.creator, (), async {
                sales::products_sold(pool, tenant).await.map(Arc::new)
            }),
    )?;
    // A buyer search has no rollups: its totals are those of its only page, or not shown when it
    // matches more (counting every match of a common name would scan them all).
    let totals = match rollup_totals.as_ref() {
        Some(totals) => Some(totals.clone()),
        None if from.is_none() && !page.has_older => Some(sales::totals_of(&page.rows)),
        None => None,
    };
    let cursor = |row: &sales::SaleRow| {
        SalesCursor {
            created_at: row.created_at,
            id: row.id,
        }
        .encode()
    };
    let page_view = IndexPage {
        layout: Layout::signed_in(&current.session, &current.creator, &state, Nav::Sales)?,
        products: products.to_vec(),
        lines: page.rows.iter().map(|r| SaleLine::new(r, zone)).collect(),
        count: totals
            .as_ref()
            .map_or(PAGE_SIZE, |totals| totals.iter().map(|t| t.sales).sum()),
        count_capped: totals.is_none(),
        totals: totals.iter().flatten().map(TotalsLine::new).collect(),
        filtered: filter != SalesFilter::default(),
        older: page
            .has_older
            .then(|| page.rows.last().map(cursor))
            .flatten(),
        newer: page
            .has_newer
            .then(|| page.rows.first().map(cursor))
            .flatten(),
        sync: sync::banner_status(pool, &current.creator).await?,
        zone: crate::domain::zone_label(&zone_name),
        errors,
        query,
    };
    filtered_page(&page_view, &page_view.errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_filters_get_messages_and_are_ignored() {
        let mut errors = FormErrors::default();
        let query = ListQuery {
            from: "2026-13-01".into(),
            to: "2026-01-31".into(),
            state: "bogus".into(),
            q: "  Smith ".into(),
            ..ListQuery::default()
        };
        let filter = parse_filter(&query, &mut errors);
        assert!(errors.has("from") && errors.has("state"));
        assert_eq!(filter.from, None);
        assert_eq!(filter.to, NaiveDate::from_ymd_opt(2026, 1, 31));
        assert_eq!(filter.search.as_deref(), Some("Smith"));
        let mut errors = FormErrors::default();
        let query = ListQuery {
            from: "0001-01-01".into(),
            q: "a\0b".into(),
            ..ListQuery::default()
        };
        let filter = parse_filter(&query, &mut errors);
        assert!(errors.has("from") && filter.from.is_none());
        assert_eq!(filter.search.as_deref(), Some("ab"));
    }

    #[test]
    fn an_end_before_the_start_is_refused() {
        let mut errors = FormErrors::default();
        let query = ListQuery {
            from: "2026-02-01".into(),
            to: "2026-01-01".into(),
            ..ListQuery::default()
        };
        let filter = parse_filter(&query, &mut errors);
        assert!(errors.has("to"));
        assert_eq!((filter.from, filter.to), (None, None));
    }
}
