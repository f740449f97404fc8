use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};

use crate::domain::{CreatorState, TenantId};

/// A creator as we keep it: the profile as of the last successful `/v2/user` call.
#[derive(Clone, Debug)]
pub struct Creator {
    pub id: TenantId,
    pub gumroad_user_id: String,
    pub name: String,
    pub email: Option<String>,
    pub avatar_url: Option<String>,
    pub profile_url: Option<String>,
    pub state: CreatorState,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// Changes whenever the product list is changed through gumdash (any instance).
    pub catalog_version: i64,
    /// Changes whenever any of the creator's sales rollups does (migration `rollup_version`): the key
    /// of figures cached from them. The sum of the versions of their totals rows, not the greatest:
    /// versions are taken when a row is written, not when its transaction commits, so a page that
    /// commits late with a lower number (another currency's row) must still change the key.
    pub rollup_version: i64,
    /// IANA name; the creator's days (filters, rollups) are this zone's days.
    pub time_zone: String,
    /// `default` (UTC, nothing known yet), `derived` (from a sale's daystamp) or `chosen`.
    pub time_zone_source: String,
    /// One of this instance's operators: [`find`] reads the `operators` table, `CurrentCreator` adds
    /// the ones named in the configuration; elsewhere it stays `false`.
    pub is_operator: bool,
    /// The sync's backfill phase (`none`, `planning`, `running` or `done`), read by [`find`] with
    /// the row so that the sales pages' banner costs no statement of its own; `None` from the other
    /// reads (`sync::banner_status` then reads it).
    pub sync_phase: Option<String>,
}

/// What Gumroad told us about the creator, to store.
#[derive(Clone, Debug)]
pub struct Profile<'a> {
    pub gumroad_user_id: &'a str,
    pub gumroad_external_id: Option<&'a str>,
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub avatar_url: Option<&'a str>,
    pub profile_url: Option<&'a str>,
}

#[derive(sqlx::FromRow)]
struct CreatorRow {
    id: i64,
    gumroad_user_id: String,
    name: String,
    email: Option<String>,
    avatar_url: Option<String>,
    profile_url: Option<String>,
    state: String,
    created_at: DateTime<Utc>,
    last_sign_in_at: Option<DateTime<Utc>>,
    catalog_version: i64,
    rollup_version: i64,
    time_zone: String,
    time_zone_source: String,
    /// Only [`find`] reads it.
    #[sqlx(default)]
    stored_operator: bool,
    /// Only [`find`] reads it.
    #[sqlx(default)]
    sync_phase: Option<String>,
}

impl From<CreatorRow> for Creator {
    fn from(row: CreatorRow) -> Self {
        Self {
            id: TenantId::from_db(row.id),
            gumroad_user_id: row.gumroad_user_id,
            name: row.name,
            email: row.email,
            avatar_url: row.avatar_url,
            profile_url: row.profile_url,
            // The CHECK constraint allows only the three states; anything else is treated as disabled.
            state: CreatorState::parse(&row.state).unwrap_or(CreatorState::Disabled),
            created_at: row.created_at,
            last_sign_in_at: row.last_sign_in_at,
            catalog_version: row.catalog_version,
            rollup_version: row.rollup_version,
            time_zone: row.time_zone,
            time_zone_source: row.time_zone_source,
            is_operator: row.stored_operator,
            sync_phase: row.sync_phase,
        }
    }
}

/// Signing in again updates the same row (keyed by Gumroad's user id) instead of adding one.
/// A disabled creator stays disabled; a creator who needed to reconnect becomes active again.
pub async fn upsert_on_sign_in(
    executor: impl PgExecutor<'_>,
    profile: &Profile<'_>,
) -> Result<Creator, sqlx::Error> {
    sqlx::query_as::<_, CreatorRow>(
        "INSERT INTO creators (gumroad_user_id, gumroad_external_id, name, email, avatar_url, profile_url, last_sign_in_at)
         VALUES ($1, $2, $3, $4, $5, $6, now())
         ON CONFLICT (gumroad_user_id) DO UPDATE SET
             gumroad_external_id = EXCLUDED.gumroad_external_id,
             name = EXCLUDED.name,
             email = EXCLUDED.email,
             avatar_url = EXCLUDED.avatar_url,
             profile_url = EXCLUDED.profile_url,
             last_sign_in_at = now(),
             profile_refreshed_at = now(),
             state = CASE WHEN creators.state = 'disabled' THEN 'disabled' ELSE 'active' END
         RETURNING id, gumroad_user_id, name, email, avatar_url, profile_url, state, created_at, last_sign_in_at, catalog_version,
                   (SELECT coalesce(sum(version), 0)::int8 FROM sales_totals t WHERE t.creator_id = creators.id) AS rollup_version,
                   time_zone, time_zone_source",
    )
    .bind(profile.gumroad_user_id)
    .bind(profile.gumroad_external_id)
    .bind(profile.name)
    .bind(profile.email)
    .bind(profile.avatar_url)
    .bind(profile.profile_url)
    .fetch_one(executor)
    .await
    .map(Creator::from)
}

/// Whether any creator is stored (`false` for a database not migrated yet): seeding a simulator's
/// history is only for a database nobody uses.
pub async fn any(pool: &PgPool) -> Result<bool, sqlx::Error> {
    let migrated: bool = sqlx::query_scalar("SELECT to_regclass('creators') IS NOT NULL")
        .fetch_one(pool)
        .await?;
    if !migrated {
        return Ok(false);
    }
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM creators)")
        .fetch_one(pool)
        .await
}

/// A creator known by Gumroad's ids before they ever sign in (the mirror seeded from a simulator's
/// generated history): no connection, so nothing syncs for them until they sign in, and signing in
/// then finds this row by `gumroad_user_id`.
pub async fn insert_unconnected(
    executor: impl PgExecutor<'_>,
    gumroad_user_id: &str,
    gumroad_external_id: &str,
    name: &str,
) -> Result<TenantId, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO creators (gumroad_user_id, gumroad_external_id, name) VALUES ($1, $2, $3)
         ON CONFLICT (gumroad_user_id) DO UPDATE SET name = EXCLUDED.name
         RETURNING id",
    )
    .bind(gumroad_user_id)
    .bind(gumroad_external_id)
    .bind(name)
    .fetch_one(executor)
    .await
    .map(TenantId::from_db)
}

pub async fn find(pool: &PgPool, tenant: TenantId) -> Result<Option<Creator>, sqlx::Error> {
    sqlx::query_as::<_, CreatorRow>(
        "SELECT id, gumroad_user_id, name, email, avatar_url, profile_url, state, created_at, last_sign_in_at, catalog_version,
                (SELECT coalesce(sum(version), 0)::int8 FROM sales_totals t WHERE t.creator_id = creators.id) AS rollup_version,
                time_zone, time_zone_source,
                EXISTS (SELECT 1 FROM operators o WHERE o.gumroad_user_id = creators.gumroad_user_id) AS stored_operator,
                coalesce((SELECT backfill FROM sync_states s WHERE s.creator_id = creators.id), 'none') AS sync_phase
         FROM creators WHERE id = $1",
    )
    .bind(tenant.get())
    .fetch_optional(pool)
    .await
    .map(|row| row.map(Creator::from))
}

/// Refreshes the stored profile from a later `/v2/user` answer (the home page shows it if Gumroad is down).
pub async fn refresh_profile(
    pool: &PgPool,
    tenant: TenantId,
    profile: &Profile<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE creators SET name = $2, email = $3, avatar_url = $4, profile_url = $5,
                profile_refreshed_at = now()
         WHERE id = $1",
    )
    .bind(tenant.get())
    .bind(profile.name)
    .bind(profile.email)
    .bind(profile.avatar_url)
    .bind(profile.profile_url)
    .execute(pool)
    .await
    .map(|_| ())
}

/// Whether the stored profile is older than `max_age_secs` (or was never refreshed since sign-in).
pub async fn profile_is_stale(
    pool: &PgPool,
    tenant: TenantId,
    max_age_secs: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT coalesce(profile_refreshed_at < now() - make_interval(secs => $2), true)
         FROM creators WHERE id = $1",
    )
    .bind(tenant.get())
    .bind(max_age_secs as f64)
    .fetch_optional(pool)
    .await
    .map(|stale| stale.unwrap_or(false))
}

/// Moves an active creator to `state`; a disabled creator is only changed by the operator.
pub async fn set_state(
    pool: &PgPool,
    tenant: TenantId,
    state: CreatorState,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE creators SET state = $2 WHERE id = $1 AND state <> 'disabled'")
        .bind(tenant.get())
        .bind(state.as_str())
        .execute(pool)
        .await
        .map(|_| ())
}

/// The operator switches the creator off. `true` when it changed (not already disabled).
pub async fn disable(executor: impl PgExecutor<'_>, tenant: TenantId) -> Result<bool, sqlx::Error> {
    sqlx::query("UPDATE creators SET state = 'disabled' WHERE id = $1 AND state <> 'disabled'")
        .bind(tenant.get())
        .execute(executor)
        .await
        .map(|r| r.rows_affected() == 1)
}

/// Back on: active again (a token Gumroad revoked meanwhile shows as "needs reconnect" at the next
/// call). `true` when it changed (it was disabled).
pub async fn enable(executor: impl PgExecutor<'_>, tenant: TenantId) -> Result<bool, sqlx::Error> {
    sqlx::query("UPDATE creators SET state = 'active' WHERE id = $1 AND state = 'disabled'")
        .bind(tenant.get())
        .execute(executor)
        .await
        .map(|r| r.rows_affected() == 1)
}

/// After a change to the product list: every instance's cached list of this creator is stale.
pub async fn bump_catalog_version(pool: &PgPool, tenant: TenantId) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE creators SET catalog_version = catalog_version + 1 WHERE id = $1")
        .bind(tenant.get())
        .execute(pool)
        .await
        .map(|_| ())
}

/// The zone derived from a sale's daystamp, unless the creator chose one (or one was derived already).
/// `true` when it changed.
pub async fn set_derived_time_zone(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    zone: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "UPDATE creators SET time_zone = $2, time_zone_source = 'derived'
         WHERE id = $1 AND time_zone_source = 'default'",
    )
    .bind(tenant.get())
    .bind(zone)
    .execute(executor)
    .await
    .map(|r| r.rows_affected() == 1)
}

/// The creator's own choice, kept from then on. `true` when it changed.
pub async fn choose_time_zone(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    zone: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "UPDATE creators SET time_zone = $2, time_zone_source = 'chosen'
         WHERE id = $1 AND (time_zone <> $2 OR time_zone_source <> 'chosen')",
    )
    .bind(tenant.get())
    .bind(zone)
    .execute(executor)
    .await
    .map(|r| r.rows_affected() == 1)
}

/// The creator's zone as stored, and where it came from.
pub async fn time_zone(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
) -> Result<(String, String), sqlx::Error> {
    sqlx::query_as("SELECT time_zone, time_zone_source FROM creators WHERE id = $1")
        .bind(tenant.get())
        .fetch_one(executor)
        .await
}

/// Like [`time_zone`], holding the row's share lock until the transaction ends, so a zone change
/// waits for the sales being written with the current zone.
pub async fn time_zone_for_share(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
) -> Result<(String, String), sqlx::Error> {
    sqlx::query_as("SELECT time_zone, time_zone_source FROM creators WHERE id = $1 FOR SHARE")
        .bind(tenant.get())
        .fetch_one(executor)
        .await
}

/// Like [`time_zone_for_share`], locking the row for the update that sets a derived zone: two
/// transactions that each held it shared and then both updated it would deadlock.
pub async fn time_zone_for_update(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
) -> Result<(String, String), sqlx::Error> {
    sqlx::query_as(
        "SELECT time_zone, time_zone_source FROM creators WHERE id = $1 FOR NO KEY UPDATE",
    )
    .bind(tenant.get())
    .fetch_one(executor)
    .await
}

/// The creator's Base64 Gumroad id (`/v2/user`'s `user_id`, a sale's `seller_id`), when Gumroad sent it.
pub async fn gumroad_external_id(
    executor: impl sqlx::PgExecutor<'_>,
    tenant: TenantId,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT gumroad_external_id FROM creators WHERE id = $1")
        .bind(tenant.get())
        .fetch_optional(executor)
        .await
        .map(Option::flatten)
}
