//! `GET /memberships/subscribers`: the subscriber list, 50 a page, newest first, keyset-paginated
//! both ways, filtered by status, product and any part of the email; `GET
//! /memberships/subscribers/{id}`: one subscriber with their charges and the pings about them.
//! Another creator's subscriber is a 404 like an unknown one.

use actix_web::{HttpResponse, Responder, get, web};
use askama::Template;
use askama_web::WebTemplate;
use chrono_tz::Tz;
use serde::Deserialize;

use super::recurrence_label;
use crate::domain::SalesCursor;
use crate::store::subscribers::{self, StatusFilter, SubscriberFilter, SubscriberRow};
use crate::web::current_creator::CurrentCreator;
use crate::web::error::AppError;
use crate::web::forms::{FormErrors, filter_query, filtered_page};
use crate::web::layout::{Layout, Nav};
use crate::web::sales::view::money;
use crate::web::sales::{Moment, sale_href};
use crate::web::state::AppState;
use crate::web::views::list_link;

const PAGE_SIZE: i64 = 50;
const MAX_SEARCH_CHARS: usize = 100;

/// The query string as typed; the CSV export reads the same parameters (cursors aside).
#[derive(Default, Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    older: String,
    #[serde(default)]
    newer: String,
}

/// The filter from the query string; a bad status gets its message and is ignored.
pub(super) fn parse_filter(query: &ListQuery, errors: &mut FormErrors) -> SubscriberFilter {
    let status = match query.status.trim() {
        "" | "all" => None,
        text => errors.check(
            "status",
            StatusFilter::parse(text).ok_or("Choose one of the listed statuses."),
        ),
    };
    let search: String = query
        .q
        .trim()
        .chars()
        .filter(|c| *c != '\0')
        .take(MAX_SEARCH_CHARS)
        .collect();
    let product: String = query.product.trim().replace('\0', "");
    SubscriberFilter {
        status,
        search: Some(search).filter(|s| !s.is_empty()),
        product_id: Some(product).filter(|p| !p.is_empty()),
    }
}

/// One row of the list (and the CSV): what a creator reads about a subscriber.
pub struct SubscriberLine {
    pub href: String,
    pub email: String,
    pub product: String,
    pub tier: String,
    pub recurrence: String,
    pub price: String,
    pub status: &'static str,
    pub since: Moment,
    pub charges: i64,
}

/// The status in words, from the dates (a pending cancellation whose date passed is over).
pub fn status_label(row: &SubscriberRow) -> &'static str {
    if row.active {
        if row.cancelled_at.is_some() {
            "Cancels at period end"
        } else {
            "Active"
        }
    } else if row.failed_at.is_some() {
        "Payment failed"
    } else if row.status == "fixed_subscription_period_ended" {
        "Fixed period ended"
    } else {
        "Cancelled"
    }
}

pub fn subscriber_href(row: &SubscriberRow) -> String {
    format!("/memberships/subscribers/{}", row.id)
}

/// The latest charge's price, or a dash when it is not mirrored yet.
pub fn price_text(row: &SubscriberRow) -> String {
    row.price_cents.map_or_else(
        || "—".to_owned(),
        |cents| money(cents, row.currency.as_deref()),
    )
}

impl SubscriberLine {
    fn new(row: &SubscriberRow, zone: Tz) -> Self {
        Self {
            href: subscriber_href(row),
            email: row.email.clone().unwrap_or_else(|| "(no email)".into()),
            product: row.product_name.clone(),
            tier: row
                .tier
                .clone()
                .filter(|t| !t.is_empty())
                .unwrap_or_default(),
            recurrence: recurrence_label(row.recurrence.as_deref().unwrap_or("")).to_owned(),
            price: price_text(row),
            status: status_label(row),
            since: Moment::new(row.created_at, zone),
            charges: row.charge_occurrence_count,
        }
    }
}

#[derive(Template)]
#[template(path = "memberships/subscribers.html")]
struct ListPage {
    layout: Layout,
    query: ListQuery,
    errors: FormErrors,
    products: Vec<(String, String)>,
    lines: Vec<SubscriberLine>,
    count: i64,
    filtered: bool,
    older: Option<String>,
    newer: Option<String>,
}

impl ListPage {
    /// This page's filters as a query string (no cursor).
    fn filters(&self) -> String {
        let q = &self.query;
        filter_query(&[("status", &q.status), ("product", &q.product), ("q", &q.q)])
    }

    fn export_link(&self) -> String {
        list_link("/memberships/subscribers.csv", &self.filters(), None)
    }

    fn page_link(&self, cursor_name: &str, cursor: &str) -> String {
        list_link(
            "/memberships/subscribers",
            &self.filters(),
            Some((cursor_name, cursor)),
        )
    }

    fn status_is(&self, value: &str) -> bool {
        self.query.status == value
    }
}

fn cursor(row: &SubscriberRow) -> String {
    SalesCursor {
        created_at: row.created_at,
        id: row.id,
    }
    .encode()
}

#[get("/memberships/subscribers")]
pub async fn index(
    current: CurrentCreator,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let tenant = current.tenant();
    let zone: Tz = current.creator.time_zone.parse().unwrap_or(Tz::UTC);
    let mut errors = FormErrors::default();
    let filter = parse_filter(&query, &mut errors);
    let older = SalesCursor::decode(&query.older);
    let newer = SalesCursor::decode(&query.newer).filter(|_| older.is_none());
    let pool = &state.pool;
    let mut rows = subscribers::page(
        pool,
        tenant,
        &filter,
        older.or(newer),
        newer.is_some(),
        PAGE_SIZE + 1,
    )
    .await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    if newer.is_some() {
        rows.reverse();
    }
    let paged = older.is_some() || newer.is_some();
    let (has_older, has_newer) = if newer.is_some() {
        (paged, more)
    } else {
        (more, paged)
    };
    let (summaries, _, _) = subscribers::summary(pool, tenant, &current.creator.time_zone).await?;
    let page = ListPage {
        layout: Layout::signed_in(&current.session, &current.creator, &state, Nav::Memberships)?,
        products: summaries
            .into_iter()
            .map(|p| (p.product_id, p.product_name))
            .collect(),
        lines: rows.iter().map(|r| SubscriberLine::new(r, zone)).collect(),
        count: subscribers::count(pool, tenant, &filter).await?,
        filtered: filter != SubscriberFilter::default(),
        older: has_older.then(|| rows.last().map(cursor)).flatten(),
        newer: has_newer.then(|| rows.first().map(cursor)).flatten(),
        errors,
        query,
    };
    filtered_page(&page, &page.errors)
}

pub struct ChargeLine {
    pub href: String,
    pub when: Moment,
    pub amount: String,
    pub refunded: &'static str,
}

pub struct HistoryLine {
    pub when: Moment,
    pub event: String,
    pub outcome: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "memberships/subscriber.html")]
struct ShowPage {
    layout: Layout,
    line: SubscriberLine,
    gumroad_id: String,
    product_id: String,
    dates: Vec<(&'static str, Moment)>,
    license_key: Option<String>,
    charges: Vec<ChargeLine>,
    missing_charges: usize,
    history: Vec<HistoryLine>,
}

#[get("/memberships/subscribers/{id}")]
pub async fn show(
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<impl Responder, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let tenant = current.tenant();
    let row = subscribers::get(&state.pool, tenant, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let zone: Tz = current.creator.time_zone.parse().unwrap_or(Tz::UTC);
    let charges = subscribers::charges(&state.pool, tenant, &row.gumroad_id).await?;
    let history = subscribers::history(&state.pool, tenant, &row.gumroad_id).await?;
    let dates = [
        ("Subscribed", Some(row.created_at)),
        ("Asked to cancel", row.user_requested_cancellation_at),
        ("Cancelled (access until)", row.cancelled_at),
        ("Payment failed", row.failed_at),
        ("Ended", row.ended_at),
    ]
    .into_iter()
    .filter_map(|(label, at)| Some((label, Moment::new(at?, zone))))
    .collect();
    Ok(ShowPage {
        layout: Layout::signed_in(&current.session, &current.creator, &state, Nav::Memberships)?,
        gumroad_id: row.gumroad_id.clone(),
        product_id: row.product_id.clone(),
        dates,
        license_key: row.license_key.clone(),
        missing_charges: row.purchase_ids.len().saturating_sub(charges.len()),
        charges: charges
            .iter()
            .map(|c| ChargeLine {
                href: sale_href(&c.gumroad_id),
                when: Moment::new(c.created_at, zone),
                amount: c.amount_cents.map_or_else(
                    || "—".to_owned(),
                    |cents| money(cents, c.currency.as_deref()),
                ),
                refunded: if c.refunded {
                    "Refunded"
                } else if c.partially_refunded {
                    "Partly refunded"
                } else {
                    ""
                },
            })
            .collect(),
        history: history
            .into_iter()
            .map(|(at, resource, outcome)| HistoryLine {
                when: Moment::new(at, zone),
                event: resource.replace('_', " "),
                outcome,
            })
            .collect(),
        line: SubscriberLine::new(&row, zone),
    })
}
