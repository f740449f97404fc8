//! `/v2/sales` (api-facts §5, §6.7, §7, §8): the paginated index with its filters, and show. Both need
//! `view_sales`; only the token owner's sales are found. The index never lists test purchases; show
//! finds them.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};

use super::auth::Needs;
use super::common::{Call, failure, handle, segment, success, success_with, throttled};
use super::paging::{PAGE_SIZE, next_page_url, page_key, parse_page_key};
use crate::sim::catalog::ruby_to_i;
use crate::sim::ids;
use crate::sim::params::Params;
use crate::sim::rails;
use crate::sim::rate_limit::SALES_DEEP_PAGE_TIERS;
use crate::sim::sales::{Sale, Sales, json, people};
use crate::sim::store::{Shared, SimState};

pub(crate) const NOT_FOUND: &str = "The sale was not found.";

pub(super) async fn index(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    // rack-attack, before the controller: `page` > 10 is throttled whatever the token.
    let deep = Params::from_request(&req, &body)
        .ok()
        .and_then(|p| {
            p.get("page")
                .map(|page| ruby_to_i(page).unwrap_or(i64::MAX) > 10)
        })
        .unwrap_or(false);
    if deep
        && let Some(response) = throttled(&req, &shared, "v2/sales page>10", SALES_DEEP_PAGE_TIERS)
    {
        return response;
    }
    handle(&req, &body, &shared, Needs::ViewSales, |call, state| {
        index_page(&req, call, state)
    })
}

pub(super) async fn show(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let key = segment(&req, 3);
    handle(
        &req,
        &body,
        &shared,
        Needs::ViewSales,
        |call, state| match owned_sale(state, &call.creator_id, &key) {
            Some(sale) => success(state.profile, "sale", json::sale(state, &sale)),
            None => failure(NOT_FOUND),
        },
    )
}

/// The creator's sale with external id `key` (another creator's is none). Test purchases are found:
/// Gumroad's show looks in the seller's plain `sales` association, while the index adds `for_sales_api`.
pub(crate) fn owned_sale(state: &SimState, creator_id: &str, key: &str) -> Option<Sale> {
    let creator = state.creator_index(creator_id)?;
    state
        .sales
        .find_external(key)
        .filter(|s| s.creator as usize == creator)
        .copied()
}

/// The index's parameters, checked in Gumroad's order (its `set_page` before-action first): `page`,
/// `before`, `after`, `product_id`, `order_id`, then `page_key` unless `page` was sent.
struct SalesQuery {
    after: Option<i64>,
    before: Option<i64>,
    email: Option<String>,
    /// Catalogue index of the product; `Some(None)` for an id that decodes but is none of the owner's
    /// products (nothing matches).
    product: Option<Option<u32>>,
    /// Internal sale id (`order_id` deobfuscated); `Some(None)` for a number no sale can have.
    order: Option<Option<u64>>,
    cursor: Option<(DateTime<Utc>, u64)>,
    /// Deprecated offset paging, from 1.
    page: Option<usize>,
}

impl SalesQuery {
    fn read(params: &Params, state: &SimState, creator_id: &str) -> Result<SalesQuery, String> {
        // `(params[:page] || 1).to_i` must be positive, even blank or beside a `page_key`.
        let page = match params.get("page") {
            None => None,
            Some(text) => match ruby_to_i(text) {
                Ok(number) if number > 0 => Some(usize::try_from(number).unwrap_or(usize::MAX)),
                _ => return Err("Invalid page number. Page numbers start at 1.".to_owned()),
            },
        };
        // `Date.strptime(params[:x], "%Y-%m-%d") if params[:x]`: sent blank is a bad date too.
        let date = |field: &str| -> Result<Option<i64>, String> {
            let Some(text) = params.get(field) else {
                return Ok(None);
            };
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| Some(t.and_utc().timestamp_micros()))
                .ok_or_else(|| {
                    format!(
                        "Invalid date format provided in field '{field}'. Dates must be in the format YYYY-MM-DD."
                    )
                })
        };
        let before = date("before")?;
        let after = date("after")?;
        let product = match params.present("product_id") {
            None => None,
            Some(id) => {
                let own = state
                    .catalog
                    .products
                    .iter()
                    .position(|p| p.creator_id == creator_id && p.external_id == id)
                    .map(|i| i as u32);
                // Gumroad decrypts the id first: only text that is no id at all is refused.
                if own.is_none() && !decodes(state, id) {
                    return Err("Invalid product ID.".to_owned());
                }
                Some(own)
            }
        };
        let order = match params.present("order_id") {
            None => None,
            Some(text) => {
                // `params[:order_id].to_i.to_s != params[:order_id]`: digits, an optional minus, no
                // padding or spaces.
                let number = ruby_to_i(text)
                    .ok()
                    .filter(|n| n.to_string() == text)
                    .ok_or("Invalid order ID.")?;
                Some(u64::try_from(number).ok().and_then(ids::deobfuscate_id))
            }
        };
        let cursor = match params.present("page_key") {
            Some(key) if page.is_none() => Some(parse_page_key(key).ok_or("Invalid page_key.")?),
            _ => None,
        };
        Ok(SalesQuery {
            after,
            before,
            email: params.present("email").map(|e| e.trim().to_owned()),
            product,
            order,
            cursor,
            page,
        })
    }

    /// The creator's matching sales, newest first.
    fn matching<'a>(&'a self, sales: &'a Sales, creator: usize) -> impl Iterator<Item = &'a Sale> {
        let positions = sales.positions(creator);
        let time = |p: &u32| sales.at(*p).created_at;
        let from = self
            .after
            .map_or(0, |after| positions.partition_point(|p| time(p) < after));
        let mut to = self.before.map_or(positions.len(), |before| {
            positions.partition_point(|p| time(p) < before)
        });
        if let Some((at, id)) = self.cursor {
            // Times and ids grow together, so both conditions cut the list at one point each.
            let at = at.timestamp_micros();
            to = to
                .min(positions.partition_point(|p| time(p) <= at))
                .min(positions.partition_point(|p| u64::from(sales.at(*p).id) < id));
        }
        let buyer = self.email.as_deref().and_then(people::buyer_of_email);
        positions[from..to.max(from)]
            .iter()
            .rev()
            .map(|p| sales.at(*p))
            .filter(move |sale| {
                self.product.is_none_or(|p| p == Some(sale.product))
                    && self
                        .order
                        .is_none_or(|order| order == Some(u64::from(sale.id)))
                    && self
                        .email
                        .as_deref()
                        .is_none_or(|email| email_matches(sales, sale, email, buyer))
            })
    }
}

/// Whether `text` is an external id this Gumroad issued (any object, any creator): those decrypt, so
/// Gumroad filters by them instead of refusing them.
fn decodes(state: &SimState, text: &str) -> bool {
    state.catalog.issued_external_id(text)
        || state.sales.find_external(text).is_some()
        || state.creators.iter().any(|c| c.user_id == text)
}

/// Exact match, with the buyer number as a shortcut for derived emails.
fn email_matches(sales: &Sales, sale: &Sale, email: &str, buyer: Option<u32>) -> bool {
    match sales.detail(sale).and_then(|d| d.email.as_deref()) {
        Some(own) => own == email,
        None => buyer == Some(sale.buyer),
    }
}

fn index_page(req: &HttpRequest, call: &Call, state: &SimState) -> HttpResponse {
    let query = match SalesQuery::read(&call.params, state, &call.creator_id) {
        Ok(query) => query,
        Err(message) => return rails::error_400(&message),
    };
    let Some(creator) = state.creator_index(&call.creator_id) else {
        return failure(NOT_FOUND);
    };
    let skip = query
        .page
        .map_or(0, |page| (page - 1).saturating_mul(PAGE_SIZE));
    let mut page: Vec<&Sale> = query
        .matching(&state.sales, creator)
        .skip(skip)
        .take(PAGE_SIZE + 1)
        .collect();
    let more = page.len() > PAGE_SIZE;
    page.truncate(PAGE_SIZE);
    let rendered: Vec<_> = page.iter().map(|s| json::sale(state, s)).collect();
    let mut pairs = vec![("sales", rendered.into())];
    if let (true, Some(last)) = (more, page.last()) {
        let key = page_key(last.created_at(), u64::from(last.id));
        pairs.push(("next_page_key", key.clone().into()));
        pairs.push(("next_page_url", next_page_url(req, &key).into()));
    }
    success_with(state.profile, pairs)
}

/// Every listed sale of the creator (by index), newest first, as the API renders them.
pub(crate) fn all_rendered(state: &SimState, creator: usize) -> Vec<serde_json::Value> {
    rendered(state, creator, 0, usize::MAX)
}

/// `take` of the creator's listed sales (by index), newest first, after skipping the `skip` newest.
pub(crate) fn rendered(
    state: &SimState,
    creator: usize,
    skip: usize,
    take: usize,
) -> Vec<serde_json::Value> {
    state
        .sales
        .positions(creator)
        .iter()
        .rev()
        .skip(skip)
        .take(take)
        .map(|position| {
            serde_json::to_value(json::sale(state, state.sales.at(*position))).unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn dates_parse_like_rubys_strptime() {
        let parse = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
        assert_eq!(parse("2024-1-5"), NaiveDate::from_ymd_opt(2024, 1, 5));
        assert_eq!(parse("2024-01-05"), NaiveDate::from_ymd_opt(2024, 1, 5));
        for bad in ["2024-13-01", "2024/01/01", "yesterday", "2024-01-05x", ""] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
