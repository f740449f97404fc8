//! `GET /memberships/subscribers.csv`: exactly the subscriber list's filtered set (same query
//! parameters, every page) as CSV, streamed as it is read by the sales export's machinery
//! (`web::sales::export`: keyset batches, a bounded channel, formula-like cells neutralised).

use std::borrow::Cow;

use actix_web::web::Bytes;
use actix_web::{HttpResponse, get, web};
use chrono::SecondsFormat;
use sqlx::PgPool;

use super::list::{ListQuery, parse_filter, status_label};
use crate::domain::{Currency, Money, SalesCursor, TenantId};
use crate::store::subscribers::{self, SubscriberFilter, SubscriberRow};
use crate::web::current_creator::CurrentCreator;
use crate::web::error::AppError;
use crate::web::sales::export::{
    BATCH_ROWS, Batches, Chunks, RowWriter, begin_export, neutralise, optional, slug, stream,
};
use crate::web::state::AppState;

const HEADER: &[&str] = &[
    "subscriber id",
    "email",
    "product",
    "product id",
    "tier",
    "recurrence",
    "currency",
    "price per charge",
    "status",
    "active",
    "subscribed at (UTC)",
    "asked to cancel at (UTC)",
    "cancelled at (UTC)",
    "payment failed at (UTC)",
    "ended at (UTC)",
    "charges",
    "license key",
];

#[get("/memberships/subscribers.csv")]
pub async fn export(
    current: CurrentCreator,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let (filter, permit) = begin_export(&current, &state, |errors| parse_filter(&query, errors))?;
    let source = Source {
        pool: state.pool.clone(),
        tenant: current.tenant(),
        filter,
    };
    let first = source.batch(None).await?;
    let name = file_name(&current.creator.name, &source.filter);
    let file = SubscribersCsv(Chunks::new(
        HEADER.iter().map(|h| (*h).to_owned()).collect(),
    ));
    Ok(stream(&name, source, first, file, permit))
}

struct Source {
    pool: PgPool,
    tenant: TenantId,
    filter: SubscriberFilter,
}

impl Batches for Source {
    type Row = SubscriberRow;

    fn tenant(&self) -> TenantId {
        self.tenant
    }

    async fn batch(&self, last: Option<&SubscriberRow>) -> Result<Vec<SubscriberRow>, sqlx::Error> {
        let after = last.map(|row| SalesCursor {
            created_at: row.created_at,
            id: row.id,
        });
        subscribers::page(
            &self.pool,
            self.tenant,
            &self.filter,
            after,
            false,
            BATCH_ROWS,
        )
        .await
    }
}

struct SubscribersCsv(Chunks);

impl RowWriter<SubscriberRow> for SubscribersCsv {
    fn take(&mut self) -> csv::Result<Bytes> {
        self.0.take()
    }

    fn row(&mut self, r: &SubscriberRow) -> csv::Result<()> {
        let utc = |at: Option<chrono::DateTime<chrono::Utc>>| -> Cow<'_, str> {
            at.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
                .unwrap_or_default()
                .into()
        };
        let currency = r.currency.as_deref().and_then(|c| Currency::parse(c).ok());
        let price = match (r.price_cents, currency) {
            (Some(cents), Some(currency)) => Money::new(cents, currency).input_value(),
            _ => String::new(),
        };
        // Text from Gumroad or buyers is neutralised; numbers, dates and our own words are not.
        let cells: [Cow<'_, str>; 17] = [
            neutralise(&r.gumroad_id),
            optional(r.email.as_deref()),
            neutralise(&r.product_name),
            neutralise(&r.product_id),
            optional(r.tier.as_deref()),
            optional(r.recurrence.as_deref()),
            currency.map_or("", |c| c.code()).to_uppercase().into(),
            price.into(),
            status_label(r).into(),
            if r.active { "yes" } else { "no" }.into(),
            utc(Some(r.created_at)),
            utc(r.user_requested_cancellation_at),
            utc(r.cancelled_at),
            utc(r.failed_at),
            utc(r.ended_at),
            r.charge_occurrence_count.to_string().into(),
            optional(r.license_key.as_deref()),
        ];
        self.0.record(cells.iter().map(|c| c.as_bytes()))
    }
}

/// `gumdash-subscribers-<creator>[-<product>][-<status>][-search].csv` in safe ASCII; the search
/// text (often an email) is left out.
fn file_name(creator: &str, filter: &SubscriberFilter) -> String {
    let mut parts = vec!["gumdash-subscribers".to_owned()];
    parts.push(
        Some(slug(creator))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "creator".into()),
    );
    if let Some(product) = filter
        .product_id
        .as_deref()
        .map(slug)
        .filter(|s| !s.is_empty())
    {
        parts.push(product);
    }
    if let Some(status) = filter.status {
        parts.push(status.as_str().replace('_', "-"));
    }
    if filter.search.is_some() {
        parts.push("search".into());
    }
    format!("{}.csv", parts.join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::subscribers::StatusFilter;

    #[test]
    fn file_names_are_safe_and_leave_the_search_out() {
        let filter = SubscriberFilter {
            status: Some(StatusFilter::PendingCancellation),
            search: Some("ann@example.com".into()),
            product_id: Some("Ab/C==".into()),
        };
        let name = file_name("Zoë \"Shop\"", &filter);
        assert_eq!(
            name,
            "gumdash-subscribers-zo-shop-ab-c-pending-cancellation-search.csv"
        );
        assert_eq!(
            file_name("", &SubscriberFilter::default()),
            "gumdash-subscribers-creator.csv"
        );
    }
}
