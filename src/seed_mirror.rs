//! `gumdash sim --mirror`: the simulator's generated creators and sales, written into PostgreSQL as the
//! real sync would have mirrored them, so a benchmark or a large demo starts with a million sales
//! mirrored instead of waiting hours for a rate-limited backfill. The simulator keeps serving the same
//! history, so a creator who signs in finds their mirror complete and only catches up.
//!
//! This glue is the only place that reads the simulator and writes the mirror: the simulator shares no
//! code with the client, and the sync's side ([`crate::sync::seed_history`]) reads the sales exactly as
//! the client parses a `/v2/sales` page.

use std::time::Instant;

use futures_util::StreamExt;
use sqlx::PgPool;

use crate::sim::{SeededCreator, SimHandle};
use crate::store;

/// Creators seeded at once: the database's cores, more or less.
const CREATORS_AT_ONCE: usize = 4;

/// What seeding wrote.
#[derive(Debug)]
pub struct Seeded {
    pub creators: usize,
    pub sales: u64,
    pub seconds: f64,
}

/// Every creator of the simulator, with every sale it lists for them. Only into a database without
/// creators: made-up creators and buyers must never mix with real ones.
pub async fn seed_from_sim(pool: &PgPool, sim: &SimHandle) -> anyhow::Result<Seeded> {
    refuse_a_used_database(pool).await?;
    let started = Instant::now();
    let creators = sim.creators();
    let mut seeding = futures_util::stream::iter(creators.iter())
        .map(|creator| seed_creator(pool, sim, creator))
        .buffer_unordered(CREATORS_AT_ONCE);
    let mut sales = 0;
    while let Some(written) = seeding.next().await {
        sales += written?;
    }
    Ok(Seeded {
        creators: creators.len(),
        sales,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Made-up creators and buyers must never mix with real ones: only a new, empty database is
/// seeded. Checked before anything touches it (`gumdash sim --mirror` migrates only after this).
pub async fn refuse_a_used_database(pool: &PgPool) -> anyhow::Result<()> {
    if store::creators::any(pool).await? {
        anyhow::bail!(
            "the database in DATABASE_URL already holds creators; --mirror writes made-up creators \
             and sales, so it only fills a new, empty database"
        );
    }
    Ok(())
}

async fn seed_creator(
    pool: &PgPool,
    sim: &SimHandle,
    creator: &SeededCreator,
) -> anyhow::Result<u64> {
    let tenant =
        store::creators::insert_unconnected(pool, &creator.id, &creator.user_id, &creator.name)
            .await?;
    let mut seen = 0;
    crate::sync::seed_history(pool, tenant, |take| {
        let batch = sim.sales_slice_of(&creator.id, seen, take);
        seen += batch.len();
        batch
    })
    .await
}
