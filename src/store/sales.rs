//! The sales mirror: writes from the sync (one upsert path for backfill, incremental sync,
//! reconciliation and fetch-backs), keyset pages and totals for the pages. Rollups (`sales_daily`) are
//! kept by a trigger in the same transaction as every write (see the migration).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, Row};

use crate::domain::{SaleRecord, SalesCursor, TenantId};

/// Columns written from a [`SaleRecord`], in bind order.
const COLUMNS: &[&str] = &[
    "gumroad_id",
    "created_at",
    "day",
    "product_id",
    "product_name",
    "email",
    "full_name",
    "price_usd_cents",
    "fee_usd_cents",
    "currency",
    "amount_cents",
    "refundable_cents",
    "refunded_cents",
    "refunded_usd_cents",
    "quantity",
    "refunded",
    "partially_refunded",
    "disputed",
    "dispute_won",
    "chargedback",
    "order_id",
    "offer_code",
    "variants",
    "country",
    "referrer",
    "subscription_id",
    "license_key",
    "is_physical",
    "shipped",
    "raw",
];

/// What one upsert did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// Inserts new sales and updates changed ones (by the creator and Gumroad's id); an unchanged sale is
/// not written at all, so re-fetching never moves a rollup. Rows are written in rollup-key order
/// (currency, day, product) so concurrent writers lock rollup rows in the same order.
pub async fn upsert(
    conn: &mut PgConnection,
    tenant: TenantId,
    records: &[SaleRecord],
) -> Result<Written, sqlx::Error> {
    // One statement cannot touch a row twice: a page that repeats a sale keeps its last copy.
    let mut latest: std::collections::HashMap<&str, &SaleRecord> = std::collections::HashMap::new();
    for record in records {
        latest.insert(record.gumroad_id.as_str(), record);
    }
    let mut rows: Vec<&SaleRecord> = latest.into_values().collect();
    // The trigger locks the all-time row (currency), then the day's (currency, day), then the day and
    // product's: sorting by the same keys in that order makes every writer take them in one order.
    rows.sort_by(|a, b| {
        (
            a.currency.map(|c| c.code()),
            a.day,
            &a.product_id,
            &a.gumroad_id,
        )
            .cmp(&(
                b.currency.map(|c| c.code()),
                b.day,
                &b.product_id,
                &b.gumroad_id,
            ))
    });
    if rows.is_empty() {
        return Ok(Written::default());
    }
    let mut query = QueryBuilder::<Postgres>::new("INSERT INTO sales (creator_id, ");
    query.push(COLUMNS.join(", ")).push(") ");
    query.push_values(&rows, |mut row, r| {
        row.push_bind(tenant.get())
            .push_bind(r.gumroad_id.clone())
            .push_bind(r.created_at)
            .push_bind(r.day)
            .push_bind(r.product_id.clone())
            .push_bind(r.product_name.clone())
            .push_bind(r.email.clone())
            .push_bind(r.full_name.clone())
            .push_bind(r.price_usd_cents)
            .push_bind(r.fee_usd_cents)
            .push_bind(r.currency.map(|c| c.code()))
            .push_bind(r.amount_cents)
            .push_bind(r.refundable_cents)
            .push_bind(r.refunded_cents)
            .push_bind(r.refunded_usd_cents)
            .push_bind(r.quantity)
            .push_bind(r.refunded)
            .push_bind(r.partially_refunded)
            .push_bind(r.disputed)
            .push_bind(r.dispute_won)
            .push_bind(r.chargedback)
            .push_bind(r.order_id)
            .push_bind(r.offer_code.clone())
            .push_bind(r.variants.clone())
            .push_bind(r.country.clone())
            .push_bind(r.referrer.clone())
            .push_bind(r.subscription_id.clone())
            .push_bind(r.license_key.clone())
            .push_bind(r.is_physical)
            .push_bind(r.shipped)
            .push_bind(r.json.clone());
    });
    let updated: Vec<&str> = COLUMNS[1..].to_vec();
    query.push(" ON CONFLICT (creator_id, gumroad_id) DO UPDATE SET ");
    query.push(
        updated
            .iter()
            .map(|c| format!("{c} = EXCLUDED.{c}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    // `raw` holds everything Gumroad sent and `day` follows the creator's zone: together they say
    // whether anything changed. The product's rating travels with every sale of it; a new review is
    // not a change of the sale (it would rewrite every sale of the product at each reconciliation).
    query.push(
        ", updated_at = now() \
         WHERE (sales.raw - 'reviews_count' - 'average_rating' - 'product_rating', sales.day) \
         IS DISTINCT FROM (EXCLUDED.raw - 'reviews_count' - 'average_rating' - 'product_rating', EXCLUDED.day) \
         RETURNING (xmax = 0) AS inserted",
    );
    let outcomes: Vec<bool> = query.build_query_scalar().fetch_all(&mut *conn).await?;
    let inserted = outcomes.iter().filter(|i| **i).count() as u64;
    let updated = outcomes.len() as u64 - inserted;
    Ok(Written {
        inserted,
        updated,
        unchanged: rows.len() as u64 - inserted - updated,
    })
}

/// Which sales a page shows. Dates are the creator's days, both inclusive.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SalesFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub product_id: Option<String>,
    /// Part of an email or a buyer's name, any case.
    pub search: Option<String>,
    pub state: Option<SaleState>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SaleState {
    /// Refunded in full or in part.
    Refunded,
    /// Disputed or charged back.
    Disputed,
    Free,
    /// Physical and not shipped yet.
    ToShip,
}

impl SaleState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refunded => "refunded",
            Self::Disputed => "disputed",
            Self::Free => "free",
            Self::ToShip => "to_ship",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Refunded, Self::Disputed, Self::Free, Self::ToShip]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    fn condition(self) -> &'static str {
        match self {
            Self::Refunded => "(refunded OR partially_refunded)",
            Self::Disputed => "(disputed OR chargedback)",
            Self::Free => "price_usd_cents = 0",
            Self::ToShip => "(is_physical AND NOT shipped)",
        }
    }
}

impl SalesFilter {
    /// `AND …` conditions on `sales` for this filter; `zone` turns the creator's days into instants.
    fn push_conditions(&self, query: &mut QueryBuilder<Postgres>, zone: &str) {
        if let Some(from) = self.from {
            query.push(" AND created_at >= (");
            query.push_bind(from).push("::timestamp AT TIME ZONE ");
            query.push_bind(zone.to_owned()).push(")");
        }
        if let Some(to) = self.to.and_then(|d| d.succ_opt()) {
            query.push(" AND created_at < (");
            query.push_bind(to).push("::timestamp AT TIME ZONE ");
            query.push_bind(zone.to_owned()).push(")");
        }
        if let Some(product) = &self.product_id {
            query.push(" AND product_id = ").push_bind(product.clone());
        }
        if let Some(search) = &self.search {
            query
                .push(" AND lower(coalesce(email, '') || ' ' || coalesce(full_name, '')) LIKE ")
                .push_bind(like_pattern(search));
        }
        if let Some(state) = self.state {
            query.push(" AND ").push(state.condition());
        }
    }
}

/// `%needle%`, lower-cased, with LIKE's wildcards in the needle taken literally.
pub(super) fn like_pattern(needle: &str) -> String {
    let mut pattern = String::from("%");
    for ch in needle.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern.push('%');
    pattern
}

/// A row of the sales list.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SaleRow {
    pub id: i64,
    pub gumroad_id: String,
    pub created_at: DateTime<Utc>,
    pub product_id: String,
    pub product_name: String,
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub price_usd_cents: i64,
    pub currency: Option<String>,
    pub amount_cents: Option<i64>,
    pub refunded_cents: i64,
    pub refunded_usd_cents: i64,
    pub quantity: i32,
    pub refunded: bool,
    pub partially_refunded: bool,
    pub disputed: bool,
    pub dispute_won: bool,
    pub chargedback: bool,
}

const ROW_COLUMNS: &str = "id, gumroad_id, created_at, product_id, product_name, email, full_name, \
     price_usd_cents, currency, amount_cents, refunded_cents, refunded_usd_cents, quantity, refunded, \
     partially_refunded, disputed, dispute_won, chargedback";

/// Which way to page from a cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Older sales than the cursor.
    Older,
    /// Newer sales than the cursor.
    Newer,
}

/// A page of sales, newest first, and whether more lie beyond each end.
#[derive(Clone, Debug)]
pub struct SalesPage {
    pub rows: Vec<SaleRow>,
    pub has_older: bool,
    pub has_newer: bool,
}

/// `SELECT columns FROM sales` for one keyset page of the filtered set: never an OFFSET, so the
/// thousandth page costs what the first does. A buyer search picks the page's ids from the keyset
/// index alone (it includes the buyer columns, so rows that do not match are never read from the
/// table), then reads those rows; other filters read the rows their index finds directly (measured
/// faster for them). Rows come newest first, or oldest first when paging to newer sales.
fn keyset_query(
    columns: &str,
    tenant: TenantId,
    filter: &SalesFilter,
    zone: &str,
    from: Option<(SalesCursor, Direction)>,
    limit: i64,
) -> QueryBuilder<Postgres> {
    let mut query =
        QueryBuilder::<Postgres>::new(format!("SELECT {columns} FROM sales WHERE creator_id = "));
    query.push_bind(tenant.get());
    let by_ids = filter.search.is_some();
    if by_ids {
        query.push(" AND id IN (SELECT id FROM sales WHERE creator_id = ");
        query.push_bind(tenant.get());
    }
    filter.push_conditions(&mut query, zone);
    let direction = from.map_or(Direction::Older, |(_, d)| d);
    if let Some((cursor, _)) = from {
        let comparison = match direction {
            Direction::Older => " AND (created_at, id) < (",
            Direction::Newer => " AND (created_at, id) > (",
        };
        query.push(comparison).push_bind(cursor.created_at);
        query.push(", ").push_bind(cursor.id).push(")");
    }
    let order = match direction {
        Direction::Older => " ORDER BY created_at DESC, id DESC",
        Direction::Newer => " ORDER BY created_at ASC, id ASC",
    };
    query.push(order).push(" LIMIT ").push_bind(limit);
    if by_ids {
        query.push(")").push(order);
    }
    query
}

/// One page of the sales list (see [`keyset_query`]).
pub async fn page(
    pool: &PgPool,
    tenant: TenantId,
    filter: &SalesFilter,
    zone: &str,
    from: Option<(SalesCursor, Direction)>,
    size: i64,
) -> Result<SalesPage, sqlx::Error> {
    let direction = from.map_or(Direction::Older, |(_, d)| d);
    let mut query = keyset_query(ROW_COLUMNS, tenant, filter, zone, from, size + 1);
    let mut rows: Vec<SaleRow> = query.build_query_as().fetch_all(pool).await?;
    let more = rows.len() as i64 > size;
    rows.truncate(size as usize);
    if direction == Direction::Newer {
        rows.reverse();
    }
    Ok(SalesPage {
        rows,
        has_older: if direction == Direction::Older {
            more
        } else {
            from.is_some()
        },
        has_newer: if direction == Direction::Newer {
            more
        } else {
            from.is_some()
        },
    })
}

/// The columns the CSV export writes, in the order [`ExportRecord::sale`] reads them (and `id`, for
/// the next batch's cursor); the custom fields only, out of `raw` (the rest of Gumroad's JSON would
/// be read for nothing).
const EXPORT_COLUMNS: &str = "id, created_at, gumroad_id, product_name, product_id, email, full_name, \
     quantity, currency, amount_cents, price_usd_cents, fee_usd_cents, refunded_cents, \
     refunded_usd_cents, refunded, partially_refunded, disputed, dispute_won, chargedback, variants, \
     offer_code, license_key, country, referrer, is_physical, shipped, subscription_id, \
     raw->'custom_fields' AS custom_fields";

/// A sale of the export as PostgreSQL sent it. It is decoded as it is written, by position and
/// with its text borrowed from the row: decoding a million rows into owned structs by column name
/// (a name lookup and a `String` per field) was half the server's time in the export's profile.
pub struct ExportRecord(PgRow);

/// What the CSV export writes of a sale, borrowed from its [`ExportRecord`].
#[derive(Clone, Debug)]
pub struct ExportSale<'r> {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub gumroad_id: &'r str,
    pub product_name: &'r str,
    pub product_id: &'r str,
    pub email: Option<&'r str>,
    pub full_name: Option<&'r str>,
    pub quantity: i32,
    pub currency: Option<&'r str>,
    pub amount_cents: Option<i64>,
    pub price_usd_cents: i64,
    pub fee_usd_cents: Option<i64>,
    pub refunded_cents: i64,
    pub refunded_usd_cents: i64,
    pub refunded: bool,
    pub partially_refunded: bool,
    pub disputed: bool,
    pub dispute_won: bool,
    pub chargedback: bool,
    pub variants: Option<&'r str>,
    pub offer_code: Option<&'r str>,
    pub license_key: Option<&'r str>,
    pub country: Option<&'r str>,
    pub referrer: Option<&'r str>,
    pub is_physical: bool,
    pub shipped: bool,
    pub subscription_id: Option<&'r str>,
    /// `raw->'custom_fields'`: field name → answer, when Gumroad sent any.
    pub custom_fields: Option<serde_json::Value>,
}

impl ExportRecord {
    /// The sale, its fields read in [`EXPORT_COLUMNS`]' order (a struct expression evaluates its
    /// fields in the order written, and each read is type-checked against the column).
    pub fn sale(&self) -> Result<ExportSale<'_>, sqlx::Error> {
        let mut columns = Columns {
            row: &self.0,
            next: 0,
        };
        Ok(ExportSale {
            id: columns.next()?,
            created_at: columns.next()?,
            gumroad_id: columns.next()?,
            product_name: columns.next()?,
            product_id: columns.next()?,
            email: columns.next()?,
            full_name: columns.next()?,
            quantity: columns.next()?,
            currency: columns.next()?,
            amount_cents: columns.next()?,
            price_usd_cents: columns.next()?,
            fee_usd_cents: columns.next()?,
            refunded_cents: columns.next()?,
            refunded_usd_cents: columns.next()?,
            refunded: columns.next()?,
            partially_refunded: columns.next()?,
            disputed: columns.next()?,
            dispute_won: columns.next()?,
            chargedback: columns.next()?,
            variants: columns.next()?,
            offer_code: columns.next()?,
            license_key: columns.next()?,
            country: columns.next()?,
            referrer: columns.next()?,
            is_physical: columns.next()?,
            shipped: columns.next()?,
            subscription_id: columns.next()?,
            custom_fields: columns.next()?,
        })
    }

    /// Where the next batch starts: after this sale.
    pub fn cursor(&self) -> Result<SalesCursor, sqlx::Error> {
        Ok(SalesCursor {
            id: self.0.try_get(0)?,
            created_at: self.0.try_get(1)?,
        })
    }
}

/// A row's columns read one after another.
struct Columns<'r> {
    row: &'r PgRow,
    next: usize,
}

impl<'r> Columns<'r> {
    fn next<T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>>(
        &mut self,
    ) -> Result<T, sqlx::Error> {
        let value = self.row.try_get(self.next);
        self.next += 1;
        value
    }
}

/// The next `size` sales of the filtered set older than `after` (from the newest when `None`), in
/// the list's order. The export reads its rows in these batches, each a short query of its own,
/// so no connection (nor the snapshot's xmin horizon) is held while a slow client downloads.
pub async fn export_batch(
    pool: &PgPool,
    tenant: TenantId,
    filter: &SalesFilter,
    zone: &str,
    after: Option<SalesCursor>,
    size: i64,
) -> Result<Vec<ExportRecord>, sqlx::Error> {
    let from = after.map(|cursor| (cursor, Direction::Older));
    let rows = keyset_query(EXPORT_COLUMNS, tenant, filter, zone, from, size)
        .build()
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(ExportRecord).collect())
}

/// Count and sums of a set of sales in one currency ('' when unknown). `gross` and `refunded` are in
/// that currency's smallest unit; the `_usd_cents` figures are Gumroad's USD view of the same sales.
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct CurrencyTotals {
    pub currency: String,
    pub sales: i64,
    pub gross_cents: i64,
    pub refunded_cents: i64,
    pub gross_usd_cents: i64,
    pub refunded_usd_cents: i64,
}

impl SaleState {
    /// The rollup columns holding (count, gross, refunded, gross USD, refunded USD) of sales in
    /// this state; `None` is every sale. States the rollups do not track (to ship) have none.
    fn rollup_measures(state: Option<Self>) -> Option<[&'static str; 5]> {
        Some(match state {
            None => [
                "sales_count",
                "gross_cents",
                "refunded_cents",
                "gross_usd_cents",
                "refunded_usd_cents",
            ],
            Some(Self::Refunded) => [
                "refunded_count",
                "refunded_sales_gross_cents",
                "refunded_cents",
                "refunded_sales_gross_usd_cents",
                "refunded_usd_cents",
            ],
            Some(Self::Disputed) => [
                "disputed_count",
                "disputed_gross_cents",
                "disputed_refunded_cents",
                "disputed_gross_usd_cents",
                "disputed_refunded_usd_cents",
            ],
            Some(Self::Free) => ["free_count", "0", "0", "0", "0"],
            Some(Self::ToShip) => return None,
        })
    }
}

/// Totals of the filtered set, per currency, from the rollups (one row per currency, day, or day and
/// product), so the cost does not grow with the number of sales. A buyer search or the "to ship"
/// state cannot be answered from rollups: `None` (see [`totals_of`]).
pub async fn totals(
    pool: &PgPool,
    tenant: TenantId,
    filter: &SalesFilter,
) -> Result<Option<Vec<CurrencyTotals>>, sqlx::Error> {
    let measures = SaleState::rollup_measures(filter.state);
    let (None, Some(measures)) = (&filter.search, measures) else {
        return Ok(None);
    };
    let mut query;
    {
        let table = if filter.product_id.is_some() {
            "sales_daily"
        } else if filter.from.is_some() || filter.to.is_some() {
            "sales_daily_all"
        } else {
            "sales_totals"
        };
        let [count, gross, refunded, gross_usd, refunded_usd] = measures;
        query = QueryBuilder::<Postgres>::new(format!(
            "SELECT currency, sum({count})::int8 AS sales, sum({gross})::int8 AS gross_cents, \
             sum({refunded})::int8 AS refunded_cents, sum({gross_usd})::int8 AS gross_usd_cents, \
             sum({refunded_usd})::int8 AS refunded_usd_cents \
             FROM {table} WHERE creator_id = "
        ));
        query.push_bind(tenant.get());
        if let Some(from) = filter.from {
            query.push(" AND day >= ").push_bind(from);
        }
        if let Some(to) = filter.to {
            query.push(" AND day <= ").push_bind(to);
        }
        if let Some(product) = &filter.product_id {
            query.push(" AND product_id = ").push_bind(product.clone());
        }
    }
    query.push(" GROUP BY 1 ORDER BY 2 DESC, 1");
    let totals: Vec<CurrencyTotals> = query.build_query_as().fetch_all(pool).await?;
    Ok(Some(totals.into_iter().filter(|t| t.sales != 0).collect()))
}

/// Totals of some sales already read (a search's only page): no query.
pub fn totals_of(rows: &[SaleRow]) -> Vec<CurrencyTotals> {
    let mut totals: Vec<CurrencyTotals> = Vec::new();
    for row in rows {
        let currency = row.currency.clone().unwrap_or_default();
        let index = match totals.iter().position(|t| t.currency == currency) {
            Some(index) => index,
            None => {
                totals.push(CurrencyTotals {
                    currency,
                    ..CurrencyTotals::default()
                });
                totals.len() - 1
            }
        };
        let t = &mut totals[index];
        t.sales += 1;
        t.gross_cents += row.amount_cents.unwrap_or(0);
        t.refunded_cents += row.refunded_cents;
        t.gross_usd_cents += row.price_usd_cents;
        t.refunded_usd_cents += row.refunded_usd_cents;
    }
    totals.sort_by(|a, b| {
        b.sales
            .cmp(&a.sales)
            .then_with(|| a.currency.cmp(&b.currency))
    });
    totals
}

/// What the sale page and the export show beyond the list's columns.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SaleDetails {
    pub fee_usd_cents: Option<i64>,
    pub refundable_cents: Option<i64>,
    pub order_id: Option<i64>,
    pub offer_code: Option<String>,
    pub variants: Option<String>,
    pub country: Option<String>,
    pub referrer: Option<String>,
    pub subscription_id: Option<String>,
    pub license_key: Option<String>,
    pub is_physical: bool,
    pub shipped: bool,
}

const DETAIL_COLUMNS: &str = "fee_usd_cents, refundable_cents, order_id, offer_code, variants, \
     country, referrer, subscription_id, license_key, is_physical, shipped";

/// One sale, with everything Gumroad sent.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StoredSale {
    #[sqlx(flatten)]
    pub row: SaleRow,
    #[sqlx(flatten)]
    pub details: SaleDetails,
    pub raw: serde_json::Value,
    pub first_seen_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The creator's sale by Gumroad's id; another creator's id finds nothing.
pub async fn find(
    pool: &PgPool,
    tenant: TenantId,
    gumroad_id: &str,
) -> Result<Option<StoredSale>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ROW_COLUMNS}, {DETAIL_COLUMNS}, raw, first_seen_at, updated_at \
         FROM sales WHERE creator_id = $1 AND gumroad_id = $2"
    )))
    .bind(tenant.get())
    .bind(gumroad_id)
    .fetch_optional(pool)
    .await
}

/// How many sales the creator's mirror holds.
pub async fn count(pool: &PgPool, tenant: TenantId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT coalesce(sum(sales_count), 0)::int8 FROM sales_totals WHERE creator_id = $1",
    )
    .bind(tenant.get())
    .fetch_one(pool)
    .await
}

/// The newest sale's time: the incremental sync's high-water mark.
pub async fn newest_sale_at(
    pool: &PgPool,
    tenant: TenantId,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar("SELECT max(created_at) FROM sales WHERE creator_id = $1")
        .bind(tenant.get())
        .fetch_one(pool)
        .await
}

/// Sales and revenue per product (per currency), from the rollups: for the product pages.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ProductTotals {
    pub product_id: String,
    pub currency: String,
    pub sales: i64,
    pub net_cents: i64,
}

pub async fn per_product(
    pool: &PgPool,
    tenant: TenantId,
) -> Result<Vec<ProductTotals>, sqlx::Error> {
    sqlx::query_as(
        "SELECT product_id, currency, sum(sales_count)::int8 AS sales,
                sum(gross_cents - refunded_cents)::int8 AS net_cents
         FROM sales_daily WHERE creator_id = $1
         GROUP BY product_id, currency HAVING sum(sales_count) > 0",
    )
    .bind(tenant.get())
    .fetch_all(pool)
    .await
}

/// Products that have sales in the mirror, for the product filter: (id, latest name). A skip scan over
/// the rollups' product index finds the ids (one probe per product) and one probe per product finds
/// its name, so this does not grow with the number of sales.
pub async fn products_sold(
    pool: &PgPool,
    tenant: TenantId,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "WITH RECURSIVE sold AS (
             (SELECT product_id FROM sales_daily WHERE creator_id = $1 AND sales_count > 0
              ORDER BY product_id LIMIT 1)
             UNION ALL
             SELECT (SELECT d.product_id FROM sales_daily d
                     WHERE d.creator_id = $1 AND d.product_id > sold.product_id AND d.sales_count > 0
                     ORDER BY d.product_id LIMIT 1)
             FROM sold WHERE sold.product_id IS NOT NULL
         )
         SELECT p.product_id,
                coalesce((SELECT s.product_name FROM sales s
                          WHERE s.creator_id = $1 AND s.product_id = p.product_id
                          ORDER BY s.created_at DESC, s.id DESC LIMIT 1), p.product_id) AS name
         FROM sold p WHERE p.product_id IS NOT NULL
         ORDER BY name",
    )
    .bind(tenant.get())
    .fetch_all(pool)
    .await
}

/// After the creator's time zone changed: every sale's day follows the new zone (the trigger moves the
/// rollups with it). Returns how many sales moved.
pub async fn redate(
    conn: &mut PgConnection,
    tenant: TenantId,
    zone: &str,
) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "UPDATE sales SET day = (created_at AT TIME ZONE $2)::date
         WHERE creator_id = $1 AND day <> (created_at AT TIME ZONE $2)::date",
    )
    .bind(tenant.get())
    .bind(zone)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(like_pattern("Smith"), "%smith%");
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn sale_states_round_trip() {
        for state in [SaleState::Refunded, SaleState::Disputed, SaleState::Free] {
            assert_eq!(SaleState::parse(state.as_str()), Some(state));
        }
        assert_eq!(SaleState::parse("all"), None);
    }
}
