//! The creator's Gumroad connection: the access token, only ever in sealed form.

use sqlx::{PgExecutor, PgPool};

use crate::domain::TenantId;
use crate::vault::Sealed;

pub struct Connection {
    pub token: Sealed,
    pub scopes: String,
}

/// Replaces the creator's connection (a new sign-in gives a new token; the old one is forgotten).
pub async fn save(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    token: &Sealed,
    scopes: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO gumroad_connections (creator_id, token_ciphertext, key_id, format_version, scopes, last_ok_at)
         VALUES ($1, $2, $3, $4, $5, now())
         ON CONFLICT (creator_id) DO UPDATE SET
             token_ciphertext = EXCLUDED.token_ciphertext,
             key_id = EXCLUDED.key_id,
             format_version = EXCLUDED.format_version,
             scopes = EXCLUDED.scopes,
             updated_at = now(),
             last_ok_at = now(),
             last_error = NULL",
    )
    .bind(tenant.get())
    .bind(&token.ciphertext)
    .bind(&token.key_id)
    .bind(token.format_version)
    .bind(scopes)
    .execute(executor)
    .await
    .map(|_| ())
}

pub async fn load(pool: &PgPool, tenant: TenantId) -> Result<Option<Connection>, sqlx::Error> {
    let row: Option<(Vec<u8>, String, i16, String)> = sqlx::query_as(
        "SELECT token_ciphertext, key_id, format_version, scopes FROM gumroad_connections WHERE creator_id = $1",
    )
    .bind(tenant.get())
    .fetch_optional(pool)
    .await?;
    Ok(
        row.map(|(ciphertext, key_id, format_version, scopes)| Connection {
            token: Sealed {
                key_id,
                format_version,
                ciphertext,
            },
            scopes,
        }),
    )
}

/// How the connection stands, for the operator and the creator's Account page (no token).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Status {
    pub scopes: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub last_ok_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_error: Option<String>,
}

pub async fn status(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
) -> Result<Option<Status>, sqlx::Error> {
    sqlx::query_as(
        "SELECT scopes, created_at, updated_at, last_ok_at, last_error FROM gumroad_connections
         WHERE creator_id = $1",
    )
    .bind(tenant.get())
    .fetch_optional(executor)
    .await
}

pub async fn record_ok(pool: &PgPool, tenant: TenantId) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE gumroad_connections SET last_ok_at = now(), last_error = NULL WHERE creator_id = $1",
    )
    .bind(tenant.get())
    .execute(pool)
    .await
    .map(|_| ())
}

/// `error` is a short description for the operator; it never contains the token.
pub async fn record_error(pool: &PgPool, tenant: TenantId, error: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE gumroad_connections SET last_error = $2 WHERE creator_id = $1")
        .bind(tenant.get())
        .bind(error)
        .execute(pool)
        .await
        .map(|_| ())
}

/// Key ids that still seal some token: the app refuses to start if its key ring lacks one of them.
pub async fn key_ids_in_use(pool: &PgPool) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT DISTINCT key_id FROM gumroad_connections ORDER BY key_id")
        .fetch_all(pool)
        .await
}

/// How many tokens each key id seals, for the operator's key page.
pub async fn count_by_key(
    executor: impl PgExecutor<'_>,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT key_id, count(*) FROM gumroad_connections GROUP BY key_id ORDER BY key_id",
    )
    .fetch_all(executor)
    .await
}

/// Tokens sealed under any key but `key_id`.
pub async fn count_not_under(
    executor: impl PgExecutor<'_>,
    key_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM gumroad_connections WHERE key_id <> $1")
        .bind(key_id)
        .fetch_one(executor)
        .await
}

/// A stored token to re-seal, with its creator (the associated data needs it).
pub struct SealedRow {
    pub tenant: TenantId,
    pub token: Sealed,
}

/// The next `limit` tokens (by creator id, after `after`) not sealed under `key_id`, locked for
/// this transaction. Rows another transaction holds (a sign-in saving a new token) are skipped:
/// the caller comes back for them.
pub async fn lock_not_under(
    conn: &mut sqlx::PgConnection,
    key_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<SealedRow>, sqlx::Error> {
    let rows: Vec<(i64, Vec<u8>, String, i16)> = sqlx::query_as(
        "SELECT creator_id, token_ciphertext, key_id, format_version FROM gumroad_connections
         WHERE key_id <> $1 AND creator_id > $2
         ORDER BY creator_id LIMIT $3 FOR UPDATE SKIP LOCKED",
    )
    .bind(key_id)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, ciphertext, key_id, format_version)| SealedRow {
            tenant: TenantId::from_db(id),
            token: Sealed {
                key_id,
                format_version,
                ciphertext,
            },
        })
        .collect())
}

/// Replaces a token's ciphertext with the same token sealed under another key (nothing else of
/// the connection changes).
pub async fn reseal(
    executor: impl PgExecutor<'_>,
    tenant: TenantId,
    token: &Sealed,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE gumroad_connections SET token_ciphertext = $2, key_id = $3, format_version = $4
         WHERE creator_id = $1",
    )
    .bind(tenant.get())
    .bind(&token.ciphertext)
    .bind(&token.key_id)
    .bind(token.format_version)
    .execute(executor)
    .await
    .map(|_| ())
}
