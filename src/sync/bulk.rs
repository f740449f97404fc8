//! Seeding a creator's mirror in bulk: a whole history of sales, as Gumroad's `/v2/sales` renders them,
//! written as a finished backfill would have left it. For large demos and the benchmarks' data
//! (`gumdash sim --mirror`): a million sales in minutes instead of the hours a rate-limited walk takes.
//!
//! The rows are the sync's own: every sale is read by the client's parser and stored by the same step
//! as a backfill page ([`super::window::store_page`]), only in bigger transactions. A test compares a
//! seeded creator with one mirrored by the real sync, row for row and rollup for rollup.

use anyhow::Context as _;
use chrono::NaiveDate;
use sqlx::PgPool;

use super::window::store_page;
use crate::domain::TenantId;
use crate::gumroad::Sale;
use crate::store;

/// Sales per transaction: large enough that commits cost nothing, small enough that a batch's rollup
/// locks are short.
const BATCH: usize = 1000;

/// Writes every sale `next_batch` hands over (newest first, as Gumroad lists them; an empty batch
/// ends it) into the creator's mirror, then marks the backfill done. Returns how many were written.
pub async fn seed_history(
    pool: &PgPool,
    tenant: TenantId,
    mut next_batch: impl FnMut(usize) -> Vec<serde_json::Value>,
) -> anyhow::Result<u64> {
    let mut written = 0u64;
    let mut oldest: Option<NaiveDate> = None;
    loop {
        let batch = next_batch(BATCH);
        if batch.is_empty() {
            break;
        }
        let sales = batch
            .into_iter()
            .map(Sale::from_json)
            .collect::<Result<Vec<Sale>, _>>()
            .context("a sale of the seeded history does not parse as Gumroad's")?;
        let day = sales.iter().map(|s| s.created_at.date_naive()).min();
        oldest = match (oldest, day) {
            (Some(seen), Some(day)) => Some(seen.min(day)),
            (seen, day) => seen.or(day),
        };
        let mut tx = pool.begin().await?;
        written += store_page(&mut tx, tenant, &sales).await? as u64;
        tx.commit().await?;
    }
    store::sync::mark_backfilled(pool, tenant, oldest).await?;
    Ok(written)
}
