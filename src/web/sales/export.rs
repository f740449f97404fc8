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
use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat, Timelike};
use chrono_tz::Tz;
use serde_json::Value;
use sqlx::PgPool;
use tokio::sync::{OwnedSemaphorePermit, mpsc};

use super::list::{ListQuery, parse_filter};
use super::view::custom_field_text;
use crate::domain::{Currency, TenantId};
use crate::store::sales::{self, ExportRecord, ExportSale, SalesFilter};
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
    let file = CsvFile::new(zone, custom_field_names(&first)?);
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
    let receiver = start_producer(source, first, file, permit);
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

/// Runs [`produce`] on a task of its own and hands back what it sends. A producer that panics would
/// drop its sender as one that finished does, and the download would look complete: a second
/// sender, kept by a watcher of the task, cuts the body short instead.
fn start_producer<S: Batches, W: RowWriter<S::Row>>(
    source: S,
    first: Vec<S::Row>,
    file: W,
    permit: OwnedSemaphorePermit,
) -> mpsc::Receiver<Chunk> {
    let (sender, receiver) = mpsc::channel::<Chunk>(CHANNEL_CHUNKS);
    let watcher = sender.clone();
    let tenant = source.tenant();
    let producer = tokio::spawn(produce(source, first, file, sender, permit));
    tokio::spawn(async move {
        if producer.await.is_err() {
            tracing::error!(%tenant, "CSV export aborted: its writer panicked");
            abort(&watcher).await;
        }
    });
    receiver
}

/// Where the rows come from: the signed-in creator's filtered sales.
struct Source {
    pool: PgPool,
    tenant: TenantId,
    zone_name: String,
    filter: SalesFilter,
}

impl Batches for Source {
    type Row = ExportRecord;

    fn tenant(&self) -> TenantId {
        self.tenant
    }

    async fn batch(&self, last: Option<&ExportRecord>) -> Result<Vec<ExportRecord>, sqlx::Error> {
        let after = last.map(ExportRecord::cursor).transpose()?;
        sales::export_batch(
            &self.pool,
            self.tenant,
            &self.filter,
            &self.zone_name,
            after,
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
        // A send with room in the channel does not pause, so without this a whole batch would be
        // written before the next batch's read (joined with this, on the same thread) takes in
        // what PostgreSQL has sent meanwhile, and PostgreSQL, its socket full, would wait.
        tokio::task::yield_now().await;
    }
    Ok(())
}

/// Custom field names of these sales, sorted.
fn custom_field_names(rows: &[ExportRecord]) -> Result<Vec<String>, sqlx::Error> {
    let mut names = BTreeSet::new();
    for row in rows {
        if let Some(Value::Object(fields)) = row.sale()?.custom_fields {
            names.extend(fields.into_iter().map(|(name, _)| name));
        }
    }
    Ok(names.into_iter().collect())
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

    /// One cell of the current row; [`Chunks::end_row`] ends the row.
    fn cell(&mut self, cell: &[u8]) -> csv::Result<()> {
        self.ensure_header()?;
        self.writer.write_field(cell)
    }

    fn end_row(&mut self) -> csv::Result<()> {
        // An empty record after `write_field` calls ends the row they started.
        self.writer.write_record(None::<&[u8]>)
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
    /// A cell being formatted, reused row after row: a cell costs no allocation of its own.
    scratch: String,
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
            scratch: String::with_capacity(256),
        }
    }
}

impl RowWriter<ExportRecord> for CsvFile {
    fn take(&mut self) -> csv::Result<Bytes> {
        self.chunks.take()
    }

    fn row(&mut self, record: &ExportRecord) -> csv::Result<()> {
        let sale = record
            .sale()
            .map_err(|error| csv::Error::from(std::io::Error::other(error)))?;
        self.write_sale(&sale)
    }
}

impl CsvFile {
    /// Writes the sale's cells straight into the chunk, each formatted in the reused scratch
    /// buffer: the export's cost per row is mostly here, so no cell allocates (a sale's custom
    /// fields, parsed from JSON when it has any, do).
    fn write_sale(&mut self, sale: &ExportSale<'_>) -> csv::Result<()> {
        let currency = sale.currency.and_then(|c| Currency::parse(c).ok());
        let local = sale.created_at.with_timezone(&self.zone).fixed_offset();
        let refund_state = if sale.refunded {
            "full"
        } else if sale.partially_refunded {
            "partial"
        } else {
            "none"
        };
        let yes_no = |flag: bool| if flag { "yes" } else { "no" };
        let mut out = Cells {
            chunks: &mut self.chunks,
            scratch: &mut self.scratch,
        };
        // Text from Gumroad or buyers is neutralised; numbers, dates and our own words are not
        // (they cannot start with a formula sign: amounts are never negative).
        out.text(sale.gumroad_id)?;
        out.formatted(|cell| push_rfc3339(cell, sale.created_at.fixed_offset()))?;
        out.formatted(|cell| push_rfc3339(cell, local))?;
        out.text(sale.product_name)?;
        out.text(sale.product_id)?;
        out.optional(sale.email)?;
        out.optional(sale.full_name)?;
        out.formatted(|cell| push_integer(cell, i64::from(sale.quantity)))?;
        out.formatted(|cell| {
            cell.extend(
                currency
                    .map_or("", |c| c.code())
                    .chars()
                    .map(|c| c.to_ascii_uppercase()),
            )
        })?;
        let in_currency = |cell: &mut String, amount: Option<i64>| {
            if let (Some(amount), Some(currency)) = (amount, currency) {
                push_decimal(cell, amount, currency.decimals());
            }
        };
        let usd = |cell: &mut String, cents: Option<i64>| {
            if let Some(cents) = cents {
                push_decimal(cell, cents, Currency::USD.decimals());
            }
        };
        out.formatted(|cell| in_currency(cell, sale.amount_cents))?;
        out.formatted(|cell| usd(cell, Some(sale.price_usd_cents)))?;
        out.formatted(|cell| usd(cell, sale.fee_usd_cents))?;
        out.formatted(|cell| in_currency(cell, Some(sale.refunded_cents)))?;
        out.formatted(|cell| usd(cell, Some(sale.refunded_usd_cents)))?;
        out.plain(refund_state)?;
        out.plain(yes_no(sale.disputed))?;
        out.plain(yes_no(sale.dispute_won))?;
        out.plain(yes_no(sale.chargedback))?;
        out.optional(sale.variants)?;
        out.optional(sale.offer_code)?;
        out.optional(sale.license_key)?;
        out.optional(sale.country)?;
        out.optional(sale.referrer)?;
        out.plain(if sale.is_physical {
            yes_no(sale.shipped)
        } else {
            ""
        })?;
        out.optional(sale.subscription_id)?;
        let fields = sale.custom_fields.as_ref().and_then(Value::as_object);
        for name in &self.custom {
            match fields.and_then(|f| f.get(name)) {
                Some(value) => out.text(&custom_field_text(value))?,
                None => out.plain("")?,
            }
        }
        out.neutralised(|cell| push_other_custom_fields(cell, fields, &self.custom))?;
        self.chunks.end_row()
    }
}

/// The cells of one row, formatted in a reused buffer.
struct Cells<'a> {
    chunks: &'a mut Chunks,
    scratch: &'a mut String,
}

impl Cells<'_> {
    /// Our own words or numbers, as they are.
    fn plain(&mut self, text: &str) -> csv::Result<()> {
        self.chunks.cell(text.as_bytes())
    }

    /// Text from Gumroad or a buyer: [`neutralise`]d.
    fn text(&mut self, text: &str) -> csv::Result<()> {
        if is_formula_like(text) {
            self.neutralised(|cell| cell.push_str(text))
        } else {
            self.plain(text)
        }
    }

    fn optional(&mut self, text: Option<&str>) -> csv::Result<()> {
        self.text(text.unwrap_or(""))
    }

    /// A cell `write` formats (a number or a date: never formula-like).
    fn formatted(&mut self, write: impl FnOnce(&mut String)) -> csv::Result<()> {
        self.scratch.clear();
        write(self.scratch);
        self.chunks.cell(self.scratch.as_bytes())
    }

    /// A cell `write` formats from text of Gumroad's or a buyer's, [`neutralise`]d.
    fn neutralised(&mut self, write: impl FnOnce(&mut String)) -> csv::Result<()> {
        self.scratch.clear();
        write(self.scratch);
        if is_formula_like(self.scratch) {
            self.scratch.insert(0, '\'');
        }
        self.chunks.cell(self.scratch.as_bytes())
    }
}

/// The custom fields without a column of their own, as `name: value` pairs joined by `; `.
fn push_other_custom_fields(
    cell: &mut String,
    fields: Option<&serde_json::Map<String, Value>>,
    columns: &[String],
) {
    let others = fields
        .into_iter()
        .flatten()
        .filter(|(name, _)| columns.binary_search(name).is_err());
    for (index, (name, value)) in others.enumerate() {
        if index > 0 {
            cell.push_str("; ");
        }
        cell.push_str(name);
        cell.push_str(": ");
        cell.push_str(&custom_field_text(value));
    }
}

/// `at` as chrono's `to_rfc3339_opts(Secs, true)` writes it ("2026-11-29T23:05:00+09:00", "…Z" at
/// offset zero), without a `String` per call.
fn push_rfc3339(out: &mut String, at: DateTime<FixedOffset>) {
    let (local, offset) = (at.naive_local(), at.offset().local_minus_utc());
    let usual = (0..=9999).contains(&local.year())
        && offset % 60 == 0
        && local.nanosecond() < 1_000_000_000;
    if !usual {
        // Years beyond four digits, offsets with seconds (local mean time before 1900) or a leap
        // second: chrono's own rules.
        out.push_str(&at.to_rfc3339_opts(SecondsFormat::Secs, true));
        return;
    }
    push_padded(out, local.year() as u32, 4);
    out.push('-');
    push_padded(out, local.month(), 2);
    out.push('-');
    push_padded(out, local.day(), 2);
    out.push('T');
    push_padded(out, local.hour(), 2);
    out.push(':');
    push_padded(out, local.minute(), 2);
    out.push(':');
    push_padded(out, local.second(), 2);
    if offset == 0 {
        out.push('Z');
    } else {
        out.push(if offset < 0 { '-' } else { '+' });
        let minutes = offset.unsigned_abs() / 60;
        push_padded(out, minutes / 60, 2);
        out.push(':');
        push_padded(out, minutes % 60, 2);
    }
}

/// `value` in decimal, zero-padded to `width` digits.
fn push_padded(out: &mut String, value: u32, width: u32) {
    let mut divisor = 10u32.pow(width.saturating_sub(1));
    while divisor > 0 {
        out.push(char::from(b'0' + (value / divisor % 10) as u8));
        divisor /= 10;
    }
}

fn push_integer(out: &mut String, value: i64) {
    use std::fmt::Write as _;
    let _ = write!(out, "{value}");
}

/// `amount` of a currency's smallest unit as [`crate::domain::Money::input_value`] writes it ("12.50", "1500").
fn push_decimal(out: &mut String, amount: i64, decimals: u32) {
    use std::fmt::Write as _;
    if amount < 0 {
        out.push('-');
    }
    let abs = amount.unsigned_abs();
    let scale = 10_u64.pow(decimals);
    let _ = write!(out, "{}", abs / scale);
    if decimals > 0 {
        out.push('.');
        let _ = write!(out, "{:0width$}", abs % scale, width = decimals as usize);
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
    if is_formula_like(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

fn is_formula_like(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
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
    use crate::domain::Money;
    use crate::store::sales::SaleState;
    use chrono::NaiveDate;

    /// Two batches of one row each, the second never full.
    struct TwoRows;

    impl Batches for TwoRows {
        type Row = u8;

        fn tenant(&self) -> TenantId {
            TenantId::from_db(1)
        }

        async fn batch(&self, last: Option<&u8>) -> Result<Vec<u8>, sqlx::Error> {
            Ok(if last.is_none() { vec![1] } else { vec![] })
        }
    }

    /// Writes a row as its number and a newline, and panics on row 2.
    struct PanicsOnTwo(Vec<u8>);

    impl RowWriter<u8> for PanicsOnTwo {
        fn row(&mut self, row: &u8) -> csv::Result<()> {
            assert_ne!(*row, 2, "a writer bug");
            self.0.extend_from_slice(format!("{row}\n").as_bytes());
            Ok(())
        }

        fn take(&mut self) -> csv::Result<Bytes> {
            Ok(Bytes::from(std::mem::take(&mut self.0)))
        }
    }

    async fn received(first: Vec<u8>) -> Vec<Chunk> {
        let permit = std::sync::Arc::new(tokio::sync::Semaphore::new(1))
            .acquire_owned()
            .await
            .unwrap();
        let mut receiver = start_producer(TwoRows, first, PanicsOnTwo(Vec::new()), permit);
        let mut chunks = Vec::new();
        while let Some(chunk) = receiver.recv().await {
            chunks.push(chunk);
        }
        chunks
    }

    #[tokio::test]
    async fn a_writer_that_panics_cuts_the_download_short_instead_of_ending_it() {
        let chunks = received(vec![2]).await;
        assert!(
            chunks.last().is_some_and(|chunk| chunk.is_err()),
            "the body ends with an error, so the download visibly fails"
        );
        let chunks = received(vec![1]).await;
        assert!(
            chunks.iter().all(Result::is_ok),
            "a whole export ends cleanly"
        );
    }

    #[test]
    fn formula_like_cells_are_neutralised_and_others_left_alone() {
        for formula in ["=SUM(A1)", "+1", "-2+3", "@cmd", "\tx", "\rx"] {
            assert_eq!(neutralise(formula), format!("'{formula}"));
        }
        for plain in ["Ann Lee", "a@example.com", "12.50", "", " =1", "'quoted"] {
            assert_eq!(neutralise(plain), plain);
        }
    }

    fn sale(custom_fields: Option<Value>) -> ExportSale<'static> {
        ExportSale {
            id: 7,
            created_at: "2026-03-29T00:30:05Z".parse().unwrap(),
            gumroad_id: "-abc==",
            product_name: "Zine, \"vol. 2\"",
            product_id: "prod_1",
            email: Some("+1@example.net"),
            full_name: None,
            quantity: 2,
            currency: Some("jpy"),
            amount_cents: Some(1500),
            price_usd_cents: 1205,
            fee_usd_cents: None,
            refunded_cents: 0,
            refunded_usd_cents: 0,
            refunded: false,
            partially_refunded: true,
            disputed: true,
            dispute_won: false,
            chargedback: false,
            variants: Some("Size: M"),
            offer_code: Some("SPRING"),
            license_key: Some("KEY-1"),
            country: Some("Portugal"),
            referrer: Some("=cmd|' /C calc'!A0"),
            is_physical: true,
            shipped: false,
            subscription_id: None,
            custom_fields,
        }
    }

    fn lines_of(mut file: CsvFile, sales: &[ExportSale<'_>]) -> Vec<String> {
        for sale in sales {
            file.write_sale(sale).unwrap();
        }
        let bytes = file.take().unwrap();
        String::from_utf8(bytes.to_vec())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn a_row_has_every_column_in_order_escaped_and_neutralised() {
        // Europe/London moves to summer time at 01:00 UTC on 2026-03-29: 00:30 is still +00:00.
        let london: Tz = "Europe/London".parse().unwrap();
        let mut summer = sale(None);
        summer.created_at = "2026-03-29T01:30:05Z".parse().unwrap();
        summer.currency = Some("eur");
        summer.amount_cents = Some(1005);
        summer.fee_usd_cents = Some(101);
        let lines = lines_of(CsvFile::new(london, Vec::new()), &[sale(None), summer]);
        assert_eq!(lines[0], HEADER.join(",") + ",other custom fields");
        assert_eq!(
            lines[1],
            "'-abc==,2026-03-29T00:30:05Z,2026-03-29T00:30:05Z,\"Zine, \"\"vol. 2\"\"\",prod_1,\
             '+1@example.net,,2,JPY,1500,12.05,,0,0.00,partial,yes,no,no,Size: M,SPRING,KEY-1,\
             Portugal,'=cmd|' /C calc'!A0,no,,"
        );
        assert_eq!(
            lines[2],
            "'-abc==,2026-03-29T01:30:05Z,2026-03-29T02:30:05+01:00,\"Zine, \"\"vol. 2\"\"\",prod_1,\
             '+1@example.net,,2,EUR,10.05,12.05,1.01,0.00,0.00,partial,yes,no,no,Size: M,SPRING,KEY-1,\
             Portugal,'=cmd|' /C calc'!A0,no,,"
        );
    }

    #[test]
    fn custom_fields_fill_their_columns_and_the_rest_goes_to_the_last() {
        let file = CsvFile::new(Tz::UTC, vec!["Company".into(), "Size".into()]);
        let fields = serde_json::json!({"Company": "=HACK()", "Newsletter": true, "Seat": 3});
        let odd = serde_json::json!({"-x": "1"});
        let lines = lines_of(file, &[sale(Some(fields)), sale(None), sale(Some(odd))]);
        assert!(lines[0].ends_with(",custom: Company,custom: Size,other custom fields"));
        assert!(
            lines[1].ends_with(",'=HACK(),,Newsletter: Yes; Seat: 3"),
            "{}",
            lines[1]
        );
        assert!(lines[2].ends_with(",no,,,,"), "{}", lines[2]);
        // The last column starts with a field's name: neutralised as a whole.
        assert!(lines[3].ends_with(",,,'-x: 1"), "{}", lines[3]);
    }

    #[test]
    fn times_and_amounts_are_written_as_chrono_and_money_write_them() {
        let zones = [
            "UTC",
            "Asia/Tokyo",
            "Asia/Kolkata",
            "America/New_York",
            "Pacific/Chatham",
        ];
        let instants = [
            "2026-01-01T00:00:00Z",
            "2026-07-04T13:59:59Z",
            "1999-12-31T23:30:00Z",
        ];
        for zone in zones {
            let zone: Tz = zone.parse().unwrap();
            for instant in instants {
                let at = instant
                    .parse::<DateTime<chrono::Utc>>()
                    .unwrap()
                    .with_timezone(&zone)
                    .fixed_offset();
                let mut out = String::new();
                push_rfc3339(&mut out, at);
                assert_eq!(out, at.to_rfc3339_opts(SecondsFormat::Secs, true));
            }
        }
        // Before 1900 a zone's offset may have seconds (local mean time): chrono's rules.
        let amsterdam: Tz = "Europe/Amsterdam".parse().unwrap();
        let old = "1890-01-01T00:00:00Z"
            .parse::<DateTime<chrono::Utc>>()
            .unwrap();
        let at = old.with_timezone(&amsterdam).fixed_offset();
        let mut out = String::new();
        push_rfc3339(&mut out, at);
        assert_eq!(out, at.to_rfc3339_opts(SecondsFormat::Secs, true));

        for currency in [Currency::USD, Currency::JPY] {
            for amount in [0, 5, 99, 100, 1205, 150_000, -250] {
                let mut out = String::new();
                push_decimal(&mut out, amount, currency.decimals());
                assert_eq!(out, Money::new(amount, currency).input_value());
            }
        }
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
