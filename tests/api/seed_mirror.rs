//! `gumdash sim --mirror`: the simulator's history written into the mirror in bulk must be what the
//! real sync writes, and a creator signing in to it must find their sales at once.

use gumdash::domain::TenantId;
use gumdash::store;
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::{page_text, spawn_app_with_sim};

/// A table's rows of one creator as JSON, without the columns that name the creator or record when a
/// row was written, in a stable order.
async fn rows_of(pool: &PgPool, table: &str, tenant: TenantId) -> Vec<Value> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT r FROM (
             SELECT to_jsonb(t) - 'creator_id' - 'id' - 'first_seen_at' - 'updated_at' - 'version' AS r
             FROM {table} t WHERE creator_id = $1) rows
         ORDER BY r::text"
    )))
    .bind(tenant.get())
    .fetch_all(pool)
    .await
    .unwrap()
}

const MIRROR_TABLES: &[&str] = &[
    "sales",
    "sales_daily",
    "sales_daily_all",
    "sales_totals",
    "sales_daily_dims",
];

#[tokio::test]
async fn a_history_seeded_in_bulk_is_row_for_row_what_the_sync_mirrors() {
    let app = spawn_app_with_sim(|sim| sim.extra_sales = 1500, |_| {}).await;
    let creator = app.creator(0);
    app.signed_in(0).await;
    app.run_jobs().await;
    let synced = app.tenant_id_of(&creator).await;

    // The same history seeded in bulk, for a twin nobody signed in as.
    let twin =
        store::creators::insert_unconnected(&app.pool, "9999999999", "twin-external", "Twin")
            .await
            .unwrap();
    let mut seen = 0;
    let written = gumdash::sync::seed_history(&app.pool, twin, |take| {
        let batch = app.sim.sales_slice_of(&creator.id, seen, take);
        seen += batch.len();
        batch
    })
    .await
    .unwrap();

    assert_eq!(written as usize, app.sim.sales_of(&creator.id).len());
    assert!(written > 1000, "more than one batch: {written}");
    for table in MIRROR_TABLES {
        let (by_sync, by_seed) = (
            rows_of(&app.pool, table, synced).await,
            rows_of(&app.pool, table, twin).await,
        );
        assert!(!by_sync.is_empty(), "{table} has rows");
        assert_eq!(by_sync.len(), by_seed.len(), "{table}: row count");
        for (a, b) in by_sync.iter().zip(&by_seed) {
            assert_eq!(a, b, "{table}: the seeded row differs from the synced one");
        }
    }
    let zone = |tenant| {
        let pool = app.pool.clone();
        async move { store::creators::time_zone(&pool, tenant).await.unwrap() }
    };
    assert_eq!(
        zone(synced).await,
        zone(twin).await,
        "the zone is derived alike"
    );
}

#[tokio::test]
async fn a_creator_signing_in_to_a_seeded_mirror_finds_every_sale_and_no_backfill() {
    let app = spawn_app_with_sim(|sim| sim.extra_sales = 600, |_| {}).await;
    let seeded = gumdash::seed_mirror::seed_from_sim(&app.pool, &app.sim)
        .await
        .unwrap();
    assert_eq!(seeded.creators, app.sim.creators().len());
    let listed: usize = app
        .sim
        .creators()
        .iter()
        .map(|c| app.sim.sales_of(&c.id).len())
        .sum();
    assert_eq!(seeded.sales as usize, listed, "every sale the API lists");
    let again = gumdash::seed_mirror::seed_from_sim(&app.pool, &app.sim).await;
    assert!(
        again.is_err_and(|e| e.to_string().contains("already holds creators")),
        "a database with creators is never seeded"
    );

    // Before any job runs: the sales list is complete, with no "still arriving" banner.
    let creator = app.creator(0);
    let expected = app.sim.sales_of(&creator.id).len();
    assert!(expected > 600, "creator 0 has most sales: {expected}");
    let browser = app.signed_in(0).await;
    let page = page_text(&browser.get("/sales").await.text().await.unwrap());
    assert!(
        page.contains(&format!("{expected} sales")),
        "the list counts all {expected} sales at once: {page}"
    );
    assert!(!page.contains("still arriving"), "{page}");

    // The catch-up the sign-in starts re-fetches recent days and finds every row as it is: the
    // figures' version does not move, so no row was rewritten.
    let tenant = app.tenant_id_of(&creator).await;
    let before = store::creators::find(&app.pool, tenant)
        .await
        .unwrap()
        .unwrap();
    app.run_jobs().await;
    let after = store::creators::find(&app.pool, tenant)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before.rollup_version, after.rollup_version);
    assert_eq!(
        store::sales::count(&app.pool, tenant).await.unwrap() as usize,
        expected
    );
}
