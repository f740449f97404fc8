//! The overview's figures, read only from the rollups (`sales_totals`, `sales_daily_all`, `sales_daily`,
//! `sales_daily_dims`): a few rows per day of the range, whatever the number of sales.

use chrono::NaiveDate;
use sqlx::{PgPool, Postgres, QueryBuilder};

use crate::domain::TenantId;
use crate::domain::periods::{Bucket, Period};

/// Which amounts the figures add up: one currency's own (exact, when the creator sells in one currency),
/// or Gumroad's USD figures of every sale (the only sum that may cross currencies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Basis {
    Currency(String),
    Usd,
}

impl Basis {
    /// (gross, refunded) columns and the currency condition of this basis.
    fn columns(&self) -> (&'static str, &'static str) {
        match self {
            Self::Currency(_) => ("gross_cents", "refunded_cents"),
            Self::Usd => ("gross_usd_cents", "refunded_usd_cents"),
        }
    }

    fn push_condition(&self, query: &mut QueryBuilder<Postgres>) {
        if let Self::Currency(code) = self {
            query.push(" AND currency = ").push_bind(code.clone());
        }
    }
}

/// Sums over a set of days.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Figures {
    pub sales: i64,
    pub gross: i64,
    pub refunded: i64,
    pub refunded_sales: i64,
    pub disputed_sales: i64,
}

impl Figures {
    pub fn net(&self) -> i64 {
        self.gross - self.refunded
    }
}

/// The currencies the creator has sold in, most sales first, with their sales counts.
pub async fn currencies(
    pool: &PgPool,
    tenant: TenantId,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT currency, sales_count FROM sales_totals
         WHERE creator_id = $1 AND sales_count > 0 ORDER BY sales_count DESC, currency",
    )
    .bind(tenant.get())
    .fetch_all(pool)
    .await
}

/// The first day with a sale: where "all time" starts.
pub async fn first_day(pool: &PgPool, tenant: TenantId) -> Result<Option<NaiveDate>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT day FROM sales_daily_all WHERE creator_id = $1 AND sales_count > 0
         ORDER BY day LIMIT 1",
    )
    .bind(tenant.get())
    .fetch_optional(pool)
    .await
}

/// Per day and product for one product's figures, else per day.
fn daily_table(product_id: Option<&str>) -> &'static str {
    if product_id.is_some() {
        "sales_daily"
    } else {
        "sales_daily_all"
    }
}

/// The select list of [`Figures`], with an optional aggregate FILTER.
fn figures_select(basis: &Basis, filter: &str, suffix: &str) -> String {
    let (gross, refunded) = basis.columns();
    [
        ("sales_count", "sales"),
        (gross, "gross"),
        (refunded, "refunded"),
        ("refunded_count", "refunded_sales"),
        ("disputed_count", "disputed_sales"),
    ]
    .iter()
    .map(|(column, name)| format!("coalesce(sum({column}){filter}, 0)::int8 AS {name}{suffix}"))
    .collect::<Vec<_>>()
    .join(", ")
}

pub async fn all_time(
    pool: &PgPool,
    tenant: TenantId,
    basis: &Basis,
) -> Result<Figures, sqlx::Error> {
    let mut query = QueryBuilder::<Postgres>::new(format!(
        "SELECT {} FROM sales_totals WHERE creator_id = ",
        figures_select(basis, "", "")
    ));
    query.push_bind(tenant.get());
    basis.push_condition(&mut query);
    query.build_query_as().fetch_one(pool).await
}

/// The figures of several periods in one pass over the days they span; of one product when
/// `product_id` is given.
pub async fn periods(
    pool: &PgPool,
    tenant: TenantId,
    basis: &Basis,
    periods: &[Period],
    product_id: Option<&str>,
) -> Result<Vec<Figures>, sqlx::Error> {
    let (Some(from), Some(to)) = (
        periods.iter().map(|p| p.from).min(),
        periods.iter().map(|p| p.to).max(),
    ) else {
        return Ok(Vec::new());
    };
    let mut query = QueryBuilder::<Postgres>::new("SELECT ");
    for (index, period) in periods.iter().enumerate() {
        if index > 0 {
            query.push(", ");
        }
        // Dates are formatted by chrono, never taken from input as text.
        let filter = format!(
            " FILTER (WHERE day BETWEEN '{}' AND '{}')",
            period.from, period.to
        );
        query.push(figures_select(basis, &filter, &format!("_{index}")));
    }
    query.push(format!(
        " FROM {} WHERE creator_id = ",
        daily_table(product_id)
    ));
    query.push_bind(tenant.get());
    query.push(" AND day BETWEEN ").push_bind(from);
    query.push(" AND ").push_bind(to);
    if let Some(product) = product_id {
        query
            .push(" AND product_id = ")
            .push_bind(product.to_owned());
    }
    basis.push_condition(&mut query);
    let row = query.build().fetch_one(pool).await?;
    use sqlx::Row;
    (0..periods.len())
        .map(|i| {
            Ok(Figures {
                sales: row.try_get(format!("sales_{i}").as_str())?,
                gross: row.try_get(format!("gross_{i}").as_str())?,
                refunded: row.try_get(format!("refunded_{i}").as_str())?,
                refunded_sales: row.try_get(format!("refunded_sales_{i}").as_str())?,
                disputed_sales: row.try_get(format!("disputed_sales_{i}").as_str())?,
            })
        })
        .collect()
}

/// One bar of a chart: the bucket's first day and its figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct BucketFigures {
    pub start: NaiveDate,
    #[sqlx(flatten)]
    pub figures: Figures,
}

/// Figures per bucket over `period`, only for buckets with sales (the caller fills the gaps); the
/// product's own rollup when `product_id` is given.
pub async fn series(
    pool: &PgPool,
    tenant: TenantId,
    basis: &Basis,
    period: Period,
    bucket: Bucket,
    product_id: Option<&str>,
) -> Result<Vec<BucketFigures>, sqlx::Error> {
    let mut query = QueryBuilder::<Postgres>::new(format!(
        "SELECT date_trunc('{}', day)::date AS start, {} FROM {} WHERE creator_id = ",
        bucket.sql_field(),
        figures_select(basis, "", ""),
        daily_table(product_id),
    ));
    query.push_bind(tenant.get());
    query.push(" AND day BETWEEN ").push_bind(period.from);
    query.push(" AND ").push_bind(period.to);
    if let Some(product) = product_id {
        query
            .push(" AND product_id = ")
            .push_bind(product.to_owned());
    }
    basis.push_condition(&mut query);
    query.push(" GROUP BY 1 ORDER BY 1");
    query.build_query_as().fetch_all(pool).await
}

/// A product's figures over a range.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ProductFigures {
    pub product_id: String,
    pub name: String,
    #[sqlx(flatten)]
    pub figures: Figures,
}

/// The best-selling products of the range by gross, with their latest names.
pub async fn top_products(
    pool: &PgPool,
    tenant: TenantId,
    basis: &Basis,
    period: Period,
    limit: i64,
) -> Result<Vec<ProductFigures>, sqlx::Error> {
    let mut query = QueryBuilder::<Postgres>::new(format!(
        "WITH top AS (SELECT product_id, {} FROM sales_daily WHERE creator_id = ",
        figures_select(basis, "", "")
    ));
    query.push_bind(tenant.get());
    query.push(" AND day BETWEEN ").push_bind(period.from);
    query.push(" AND ").push_bind(period.to);
    basis.push_condition(&mut query);
    query.push(" GROUP BY product_id HAVING sum(sales_count) > 0 ORDER BY gross DESC, sales DESC, product_id LIMIT ");
    query.push_bind(limit);
    // One index probe per product for its newest name.
    query.push(
        ") SELECT top.*, coalesce((SELECT s.product_name FROM sales s \
         WHERE s.creator_id = ",
    );
    query.push_bind(tenant.get());
    query.push(
        " AND s.product_id = top.product_id ORDER BY s.created_at DESC, s.id DESC LIMIT 1), \
         top.product_id) AS name FROM top ORDER BY gross DESC, sales DESC, product_id",
    );
    query.build_query_as().fetch_all(pool).await
}

/// A breakdown of the overview.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    Country,
    Referrer,
}

impl Dimension {
    fn as_str(self) -> &'static str {
        match self {
            Self::Country => "country",
            Self::Referrer => "referrer",
        }
    }
}

/// One line of a breakdown: the value ('' when the sales had none) and its sales and gross.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Share {
    pub value: String,
    pub sales: i64,
    pub gross: i64,
}

/// The range's sales by country or referrer, the largest first.
pub async fn breakdown(
    pool: &PgPool,
    tenant: TenantId,
    basis: &Basis,
    period: Period,
    dimension: Dimension,
    limit: i64,
) -> Result<Vec<Share>, sqlx::Error> {
    let (gross, _) = basis.columns();
    let mut query = QueryBuilder::<Postgres>::new(format!(
        "SELECT value, sum(sales_count)::int8 AS sales, sum({gross})::int8 AS gross \
         FROM sales_daily_dims WHERE creator_id = "
    ));
    query.push_bind(tenant.get());
    query.push(" AND day BETWEEN ").push_bind(period.from);
    query.push(" AND ").push_bind(period.to);
    query
        .push(" AND dimension = ")
        .push_bind(dimension.as_str());
    basis.push_condition(&mut query);
    query.push(
        " GROUP BY value HAVING sum(sales_count) > 0 ORDER BY sales DESC, gross DESC, value LIMIT ",
    );
    query.push_bind(limit);
    query.build_query_as().fetch_all(pool).await
}
