//! `GET /sales/export.csv`: exactly the sales list's filtered set (the same query parameters, every
//! page of it) as a CSV file, streamed as it is read.
//!
//! Shape (design.md, "CSV export"): a producer task reads keyset batches of [`BATCH_ROWS`] with
//! `fetch_all`, one short query each, so no connection is held while a slow client downloads, and
//! writes chunks of [`CHUNK_ROWS`] rows into a bounded channel that the response body drains.
//! Memory stays constant: at most two batches (the one being written and the next, read
//! meanwhile) and [`CHANNEL_CHUNKS`] chunks. The first batch is read before answering, so a database
//! error then is a normal error page; a later one aborts the body (the client sees a cut transfer,
//! never a complete-looking file).
//!
//! Custom fields get a column each, but a stream cannot know the union of their names before the
//! header. Reading every matching sale's JSON first would cost about as much as the export itself
//! (no index holds the names, and keeping one would mean a table and a trigger on every sale write);
//! the product catalog lives at Gumroad (a call per export) and forgets deleted fields that old sales
//! still carry. So the columns are the names found in the first batch, the newest 5,000 sales of
//! the filter, which in practice are the creator's current fields; any other field of an older sale
//! goes, as `name: value`, into a last column, `other custom fields`, so nothing is lost.

use std::borrow::Cow;
use std::collections::BTreeSet;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, get, web};
use chrono::SecondsFormat;
use chrono_tz::Tz;
use serde_json::Value;
use sqlx::PgPool;
use tokio::sync::{OwnedSemaphorePermit, mpsc};

use super::list::{ListQuery, parse_filter};
use super::view::custom_field_text;
use crate::domain::{Currency, Money, SalesCursor, TenantId};
use crate::store::sales::{self, ExportRow, SalesFilter};
use crate::web::current_creator::CurrentCreator;
use crate::web::error::AppError;
use crate::web::forms::FormErrors;
use crate::web::state::AppState;

/// Rows per database read (every export's batch size): big enough that the per-query cost vanishes, small enough to keep
/// memory flat.
pub(crate) const BATCH_ROWS: i64 = 5_000;
/// Rows per chunk of the response body.
const CHUNK_ROWS: usize = 500;
/// Chunks waiting for a slow client before the producer waits too.
const CHANNEL_CHUNKS: usize = 4;

/// The fixed columns, in order; custom fields follow.
const HEADER: &[&str] = &[
    "sale id",
    "created at (UTC)",
    "created at (your time zone)",
    "product",
    "product id",
    "buyer email",
    "buyer name",
    "quantity",
    "currency",
    "amount",
    "price (USD)",
    "Gumroad fee (USD)",
    "refunded amount",
    "refunded (USD)",
    "refund state",
    "disputed",
    "dispute won",
    "chargeback",
    "variants",
    "offer code",
    "license key",
    "country",
    "referrer",
    "shipped",
    "subscription id",
];
const CUSTOM_PREFIX: &str = "custom: ";
const OTHER_CUSTOM: &str = "other custom fields";

/// A piece of the body, or the error that cuts it short (`std::io::Error`: it can cross threads).
type Chunk = Result<Bytes, std::io::Error>;

#[get("/sales/export.csv")]
pub async fn export(
    current: CurrentCreator,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let (filter, permit) = begin_export(&current, &state, |errors| parse_filter(&query, errors))?;
    let source = Source {
        pool: state.pool.clone(),
        tenant: current.tenant(),
        zone_name: current.creator.time_zone.clone(),
        filter,
    };
    let first = source.batch(None).await?;
    let zone: Tz = source.zone_name.parse().unwrap_or(Tz::UTC);
    let file = CsvFile::new(zone, custom_field_names(&first));
    let name = file_name(&current.creator.name, &source.filter);
    Ok(stream(&name, source, first, file, permit))
}

/// One export at a time per slot: `ExportsBusy` when every slot of this instance is taken.
/// What every export checks before its first row: not an operator viewing as the creator, the
/// list's filter read without a fault, and a free export slot of this instance.
pub(crate) fn begin_export<F>(
    current: &CurrentCreator,
    state: &AppState,
    parse: impl FnOnce(&mut FormErrors) -> F,
) -> Result<(F, OwnedSemaphorePermit), AppError> {
    current.refuse_export_while_viewed()?;
    let mut errors = FormErrors::default();
    let filter = parse(&mut errors);
    // The list ignores a bad field beside its message; a file cannot show the message, and a
    // file of another set than the one asked for would mislead.
    if !errors.is_empty() {
        return Err(AppError::BadRequest);
    }
    let permit = state
        .exports
        .clone()
        .try_acquire_owned()
        .map_err(|_| AppError::ExportsBusy)?;
    Ok((filter, permit))
}

/// Where an export's rows come from: keyset batches of [`BATCH_ROWS`], each a short query.
pub(crate) trait Batches: Send + Sync + 'static {
    type Row: Send + Sync + 'static;
    /// Whose rows these are (for the log, never the rows themselves).
    fn tenant(&self) -> TenantId;
    /// The next batch after `last` (from the start when `None`).
    fn batch(
        &self,
        last: Option<&Self::Row>,
    ) -> impl Future<Output = Result<Vec<Self::Row>, sqlx::Error>> + Send;
}

/// Writes an export's rows as CSV, handing out what it wrote in chunks.
pub(crate) trait RowWriter<R>: Send + 'static {
    fn row(&mut self, row: &R) -> csv::Result<()>;
    /// What has been written since the last call (the header first).
    fn take(&mut self) -> csv::Result<Bytes>;
}

/// The streamed response: `first` (already read, so a database error was a normal error page)
/// and then every later batch, written by a producer task into a bounded channel.
pub(crate) fn stream<S: Batches, W: RowWriter<S::Row>>(
    name: &str,
    source: S,
    first: Vec<S::Row>,
    file: W,
    permit: OwnedSemaphorePermit,
) -> HttpResponse {
    let (sender, receiver) = mpsc::channel::<Chunk>(CHANNEL_CHUNKS);
    tokio::spawn(produce(source, first, file, sender, permit));
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body)
}

/// Where the rows come from: the signed-in creator's filtered sales.
struct Source {
    pool: PgPool,
    tenant: TenantId,
    zone_name: String,
    filter: SalesFilter,
}

impl Batches for Source {
    type Row = ExportRow;

    fn tenant(&self) -> TenantId {
        self.tenant
    }

    async fn batch(&self, last: Option<&ExportRow>) -> Result<Vec<ExportRow>, sqlx::Error> {
        sales::export_batch(
            &self.pool,
            self.tenant,
            &self.filter,
            &self.zone_name,
            last.map(cursor_of),
            BATCH_ROWS,
        )
        .await
    }
}

/// Writes batch after batch into the channel, reading the next batch while the current one is
/// written. Ends when the set is done, the client has gone (the body, and so the receiver, is
/// dropped), or a read fails. The permit is held until then.
async fn produce<S: Batches, W: RowWriter<S::Row>>(
    source: S,
    mut batch: Vec<S::Row>,
    mut file: W,
    sender: mpsc::Sender<Chunk>,
    _permit: OwnedSemaphorePermit,
) {
    let mut rows_sent = 0usize;
    loop {
        let last = (batch.len() as i64 == BATCH_ROWS)
            .then(|| batch.last())
            .flatten();
        let next = async {
            match last {
                Some(last) => source.batch(Some(last)).await.map(Some),
                None => Ok(None),
            }
        };
        let (sent, next) = tokio::join!(send_batch(&sender, &mut file, &batch), next);
        if let Err(stop) = sent {
            if let Stop::Csv(error) = stop {
                // Buyers' data never reaches the log: only what failed and where.
                tracing::error!(tenant = %source.tenant(), rows_sent, %error, "CSV export aborted: writing failed");
                abort(&sender).await;
            }
            return;
        }
        rows_sent += batch.len();
        match next {
            Ok(Some(rows)) => batch = rows,
            Ok(None) => return,
            Err(error) => {
                tracing::error!(tenant = %source.tenant(), rows_sent, %error, "CSV export aborted: reading the next batch failed");
                abort(&sender).await;
                return;
            }
        }
    }
}

/// An error item makes actix-web cut the chunked body short, so the download visibly fails.
async fn abort(sender: &mpsc::Sender<Chunk>) {
    let error = std::io::Error::other("the export was cut short");
    let _ = sender.send(Err(error)).await;
}

enum Stop {
    /// The client went away: nothing to report.
    ClientGone,
    Csv(csv::Error),
}

async fn send_batch<R, W: RowWriter<R>>(
    sender: &mpsc::Sender<Chunk>,
    file: &mut W,
    batch: &[R],
) -> Result<(), Stop> {
    // An empty set still sends the header (written with the first row, or here).
    let chunks: Vec<&[R]> = if batch.is_empty() {
        vec![&[]]
    } else {
        batch.chunks(CHUNK_ROWS).collect()
    };
    for chunk in chunks {
        for row in chunk {
            file.row(row).map_err(Stop::Csv)?;
        }
        let bytes = file.take().map_err(Stop::Csv)?;
        if bytes.is_empty() {
            continue;
        }
        sender.send(Ok(bytes)).await.map_err(|_| Stop::ClientGone)?;
    }
    Ok(())
}

fn cursor_of(row: &ExportRow) -> SalesCursor {
    SalesCursor {
        created_at: row.row.created_at,
        id: row.row.id,
    }
}

/// Custom field names of these sales, sorted.
fn custom_field_names(rows: &[ExportRow]) -> Vec<String> {
    let names: BTreeSet<&String> = rows
        .iter()
        .filter_map(|r| r.custom_fields.as_ref()?.as_object())
        .flat_map(|fields| fields.keys())
        .collect();
    names.into_iter().cloned().collect()
}

/// A CSV being written in chunks: the header goes out with the first one.
pub(crate) struct Chunks {
    writer: csv::Writer<Vec<u8>>,
    header: Vec<String>,
    header_written: bool,
}

impl Chunks {
    /// `header` is written as given (neutralise names that come from data).
    pub(crate) fn new(header: Vec<String>) -> Self {
        Self {
            writer: chunk_writer(),
            header,
            header_written: false,
        }
    }

    fn ensure_header(&mut self) -> csv::Result<()> {
        if !self.header_written {
            self.writer.write_record(&self.header)?;
            self.header_written = true;
        }
        Ok(())
    }

    pub(crate) fn record<I, T>(&mut self, cells: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.ensure_header()?;
        self.writer.write_record(cells)
    }

    pub(crate) fn take(&mut self) -> csv::Result<Bytes> {
        self.ensure_header()?;
        let written = std::mem::replace(&mut self.writer, chunk_writer());
        let bytes = written.into_inner().map_err(|e| e.into_error())?;
        Ok(Bytes::from(bytes))
    }
}

/// The sales CSV: fixed columns, then one per custom field found in the first batch.
struct CsvFile {
    chunks: Chunks,
    zone: Tz,
    custom: Vec<String>,
}

impl CsvFile {
    fn new(zone: Tz, custom: Vec<String>) -> Self {
        let header = HEADER
            .iter()
            .map(|h| (*h).to_owned())
            .chain(
                custom
                    .iter()
                    .map(|name| neutralise(&format!("{CUSTOM_PREFIX}{name}")).into_owned()),
            )
            .chain([OTHER_CUSTOM.to_owned()])
            .collect();
        Self {
            chunks: Chunks::new(header),
            zone,
            custom,
        }
    }
}

impl RowWriter<ExportRow> for CsvFile {
    fn take(&mut self) -> csv::Result<Bytes> {
        self.chunks.take()
    }

    fn row(&mut self, sale: &ExportRow) -> csv::Result<()> {
        self.write_sale(sale)
    }
}

impl CsvFile {
    fn write_sale(&mut self, sale: &ExportRow) -> csv::Result<()> {
        let r = &sale.row;
        let d = &sale.details;
        let currency = r.currency.as_deref().and_then(|c| Currency::parse(c).ok());
        let in_currency = |amount: Option<i64>| -> String {
            match (amount, currency) {
                (Some(amount), Some(currency)) => Money::new(amount, currency).input_value(),
                _ => String::new(),
            }
        };
        let usd = |cents: i64| Money::new(cents, Currency::USD).input_value();
        let yes_no = |flag: bool| if flag { "yes" } else { "no" };
        let refund_state = if r.refunded {
            "full"
        } else if r.partially_refunded {
            "partial"
        } else {
            "none"
        };
        let when = |at: chrono::DateTime<chrono::FixedOffset>| {
            at.to_rfc3339_opts(SecondsFormat::Secs, true)
        };
        let local = r.created_at.with_timezone(&self.zone).fixed_offset();
        let (known, other) = self.custom_cells(sale.custom_fields.as_ref());
        // Text from Gumroad or buyers is neutralised; numbers, dates and our own words are not
        // (they cannot start with a formula sign: amounts are never negative).
        let cells: [Cow<'_, str>; 25] = [
            neutralise(&r.gumroad_id),
            r.created_at
                .to_rfc3339_opts(SecondsFormat::Secs, true)
                .into(),
            when(local).into(),
            neutralise(&r.product_name),
            neutralise(&r.product_id),
            optional(r.email.as_deref()),
            optional(r.full_name.as_deref()),
            r.quantity.to_string().into(),
            currency.map_or("", |c| c.code()).to_uppercase().into(),
            in_currency(r.amount_cents).into(),
            usd(r.price_usd_cents).into(),
            d.fee_usd_cents.map(usd).unwrap_or_default().into(),
            in_currency(Some(r.refunded_cents)).into(),
            usd(r.refunded_usd_cents).into(),
            refund_state.into(),
            yes_no(r.disputed).into(),
            yes_no(r.dispute_won).into(),
            yes_no(r.chargedback).into(),
            optional(d.variants.as_deref()),
            optional(d.offer_code.as_deref()),
            optional(d.license_key.as_deref()),
            optional(d.country.as_deref()),
            optional(d.referrer.as_deref()),
            if d.is_physical { yes_no(d.shipped) } else { "" }.into(),
            optional(d.subscription_id.as_deref()),
        ];
        let other = neutralise(&other);
        self.chunks.record(
            cells
                .iter()
                .chain(known.iter())
                .chain([&other])
                .map(|cell| cell.as_bytes()),
        )
    }

    /// The answers for the header's custom columns (neutralised), and the rest as `name: value`
    /// pairs for the last column.
    fn custom_cells<'a>(&self, fields: Option<&'a Value>) -> (Vec<Cow<'a, str>>, String) {
        let fields = fields.and_then(Value::as_object);
        let known = self
            .custom
            .iter()
            .map(|name| match fields.and_then(|f| f.get(name)) {
                Some(value) => neutralise_owned(custom_field_text(value)),
                None => Cow::Borrowed(""),
            })
            .collect();
        let other = fields
            .into_iter()
            .flatten()
            .filter(|(name, _)| self.custom.binary_search(name).is_err())
            .map(|(name, value)| format!("{name}: {}", custom_field_text(value)))
            .collect::<Vec<_>>()
            .join("; ");
        (known, other)
    }
}

/// A writer for one chunk: the csv crate hands its buffer out only by giving the writer up.
fn chunk_writer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(Vec::with_capacity(128 * 1024))
}

pub(crate) fn optional(text: Option<&str>) -> Cow<'_, str> {
    text.map_or(Cow::Borrowed(""), neutralise)
}

/// A cell a spreadsheet would read as a formula (OWASP's list: `=`, `+`, `-`, `@`, tab, carriage
/// return) gets a leading `'`, which spreadsheets show as text and do not evaluate.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

fn neutralise_owned(text: Cow<'_, str>) -> Cow<'_, str> {
    match text {
        Cow::Borrowed(text) => neutralise(text),
        Cow::Owned(text) => Cow::Owned(neutralise(&text).into_owned()),
    }
}

/// `gumdash-sales-<creator>-<range>[-<product>][-<state>][-search].csv`, in lowercase ASCII letters,
/// digits and dashes only, so it is safe in a header and on every file system. The search text is
/// left out: it is often a buyer's email.
pub fn file_name(creator: &str, filter: &SalesFilter) -> String {
    let mut parts = vec!["gumdash-sales".to_owned()];
    parts.push(
        Some(slug(creator))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "creator".into()),
    );
    parts.push(match (filter.from, filter.to) {
        (Some(from), Some(to)) => format!("{from}-to-{to}"),
        (Some(from), None) => format!("from-{from}"),
        (None, Some(to)) => format!("to-{to}"),
        (None, None) => "all".into(),
    });
    if let Some(product) = filter
        .product_id
        .as_deref()
        .map(slug)
        .filter(|s| !s.is_empty())
    {
        parts.push(product);
    }
    if let Some(state) = filter.state {
        parts.push(state.as_str().into());
    }
    if filter.search.is_some() {
        parts.push("search".into());
    }
    format!("{}.csv", parts.join("-"))
}

/// Lowercase ASCII letters and digits; any run of other characters becomes one dash; at most 40.
pub(crate) fn slug(text: &str) -> String {
    let mut out = String::new();
    for ch in text.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    out.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sales::SaleState;
    use chrono::NaiveDate;

    #[test]
    fn formula_like_cells_are_neutralised_and_others_left_alone() {
        for formula in ["=SUM(A1)", "+1", "-2+3", "@cmd", "\tx", "\rx"] {
            assert_eq!(neutralise(formula), format!("'{formula}"));
        }
        for plain in ["Ann Lee", "a@example.com", "12.50", "", " =1", "'quoted"] {
            assert_eq!(neutralise(plain), plain);
        }
    }

    #[test]
    fn custom_fields_fill_their_columns_and_the_rest_goes_to_the_last() {
        let file = CsvFile::new(Tz::UTC, vec!["Company".into(), "Size".into()]);
        let fields = serde_json::json!({"Company": "=HACK()", "Newsletter": true, "Seat": 3});
        let (known, other) = file.custom_cells(Some(&fields));
        assert_eq!(known, ["'=HACK()", ""]);
        assert_eq!(other, "Newsletter: Yes; Seat: 3");
        let (known, other) = file.custom_cells(None);
        assert_eq!((known.len(), other.as_str()), (2, ""));
    }

    #[test]
    fn file_names_say_the_creator_and_the_range_in_safe_ascii() {
        let day = |d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
        let filter = SalesFilter {
            from: day("2026-01-01"),
            to: day("2026-01-31"),
            ..SalesFilter::default()
        };
        assert_eq!(
            file_name("Zoë's \"Shop\"\r\n; x", &filter),
            "gumdash-sales-zo-s-shop-x-2026-01-01-to-2026-01-31.csv"
        );
        assert_eq!(
            file_name("日本", &SalesFilter::default()),
            "gumdash-sales-creator-all.csv"
        );
        let filter = SalesFilter {
            to: day("2026-02-01"),
            product_id: Some("Ab_C/../x".into()),
            search: Some("ann@example.com".into()),
            state: Some(SaleState::Refunded),
            ..SalesFilter::default()
        };
        let name = file_name(&"x".repeat(100), &filter);
        assert_eq!(
            name,
            format!(
                "gumdash-sales-{}-to-2026-02-01-ab-c-x-refunded-search.csv",
                "x".repeat(40)
            )
        );
        assert!(!name.contains("ann"));
    }
}
