//! A PostgreSQL-backed `actix-session` store, so sessions can be revoked on the server:
//! signing out deletes the row, and an operator can sign a creator out everywhere with one DELETE.
//!
//! Only a SHA-256 digest of each session key is stored, so a leaked table cannot be replayed as cookies.
//!
//! Lifetimes are enforced here, on every load, not by the cookie: a session is refused once it has
//! been idle longer than [`SessionLifetimes::idle`] (`last_seen_at`, moved on at most once a minute
//! by a load of a signed-in session) or is older than [`SessionLifetimes::max`] (`created_at`: the
//! sign-in renews the session, so it is the sign-in time). A row without a creator (a visitor who
//! only started a sign-in) gets [`SessionLifetimes::signed_out`] and is not extended by loads.
//! `expires_at` is the row's hard end under the limits in force when it was written, for the
//! sweep; the limits in force now are checked too, so lowering them takes effect at once.

use std::collections::HashMap;

use actix_session::storage::{
    LoadError, SaveError, SessionKey, SessionStore, UpdateError, generate_session_key,
};
use actix_web::cookie::time::Duration;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::config::SessionLifetimes;
use crate::domain::TenantId;

/// The session entry that names the signed-in creator; mirrored into its own column.
pub const CREATOR_ID_KEY: &str = "creator_id";

type SessionState = HashMap<String, String>;

#[derive(Clone)]
pub struct PgSessionStore {
    pool: PgPool,
    lifetimes: SessionLifetimes,
}

impl PgSessionStore {
    pub fn new(pool: PgPool, lifetimes: SessionLifetimes) -> Self {
        Self { pool, lifetimes }
    }

    fn idle_secs(&self) -> f64 {
        self.lifetimes.idle.as_secs_f64()
    }

    fn max_secs(&self) -> f64 {
        self.lifetimes.max.as_secs_f64()
    }

    /// How long a row written now lives without another request: the idle timeout when signed in,
    /// the short signed-out lifetime otherwise.
    fn ttl_secs(&self, state: &SessionState) -> f64 {
        if creator_of(state).is_some() {
            self.idle_secs()
        } else {
            self.lifetimes.signed_out().as_secs_f64()
        }
    }
}

/// The SQL condition of a live session under the limits in force (`$2` idle, `$3` max seconds).
const LIVE: &str = "expires_at > now()
    AND last_seen_at > now() - make_interval(secs => $2)
    AND created_at > now() - make_interval(secs => $3)";

fn digest(key: &SessionKey) -> String {
    let hash = Sha256::digest(key.as_ref().as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

fn creator_of(state: &SessionState) -> Option<i64> {
    state.get(CREATOR_ID_KEY)?.parse().ok()
}

fn to_json(state: &SessionState) -> Result<serde_json::Value, serde_json::Error> {
    serde_json::to_value(state)
}

impl SessionStore for PgSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<SessionState>, LoadError> {
        // One round trip: the live row's state, and a signed-in row's idle clock moved on (at most
        // once a minute, so reading pages does not write a row each time).
        let row: Option<(serde_json::Value,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "WITH live AS (
                 SELECT session_key, state, creator_id, last_seen_at FROM sessions
                 WHERE session_key = $1 AND {LIVE}
             ), touched AS (
                 UPDATE sessions s
                 SET last_seen_at = now(),
                     expires_at = least(now() + make_interval(secs => $2), s.created_at + make_interval(secs => $3))
                 FROM live
                 WHERE s.session_key = live.session_key AND live.creator_id IS NOT NULL
                   AND live.last_seen_at < now() - interval '1 minute'
             )
             SELECT state FROM live"
        )))
        .bind(digest(session_key))
        .bind(self.idle_secs())
        .bind(self.max_secs())
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| LoadError::Other(super::marked(e)))?;
        row.map(|(state,)| serde_json::from_value(state))
            .transpose()
            .map_err(|e| LoadError::Deserialization(e.into()))
    }

    /// A new row (a first visit that needed a session, or a sign-in, which renews): its lifetime
    /// starts now. The cookie's `ttl` is not the row's: the configured limits are.
    async fn save(
        &self,
        session_state: SessionState,
        _ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        let key = generate_session_key();
        let state = to_json(&session_state).map_err(|e| SaveError::Serialization(e.into()))?;
        sqlx::query(
            "INSERT INTO sessions (session_key, creator_id, state, created_at, last_seen_at, expires_at)
             VALUES ($1, $2, $3, now(), now(),
                     now() + make_interval(secs => least($4, $5)))",
        )
        .bind(digest(&key))
        .bind(creator_of(&session_state))
        .bind(state)
        .bind(self.ttl_secs(&session_state))
        .bind(self.max_secs())
        .execute(&self.pool)
        .await
        .map_err(|e| SaveError::Other(super::marked(e)))?;
        Ok(key)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: SessionState,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let state = to_json(&session_state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let updated = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE sessions SET creator_id = $4, state = $5, last_seen_at = now(),
                 expires_at = least(now() + make_interval(secs => $6), created_at + make_interval(secs => $3))
             WHERE session_key = $1 AND {LIVE}"
        )))
        .bind(digest(&session_key))
        .bind(self.idle_secs())
        .bind(self.max_secs())
        .bind(creator_of(&session_state))
        .bind(state)
        .bind(self.ttl_secs(&session_state))
        .execute(&self.pool)
        .await
        .map_err(|e| UpdateError::Other(super::marked(e)))?;
        if updated.rows_affected() == 1 {
            Ok(session_key)
        } else {
            // Revoked or expired meanwhile (signed out everywhere during this request): start a
            // fresh, signed-out session rather than resurrecting the old key or its sign-in.
            let mut session_state = session_state;
            session_state.remove(CREATOR_ID_KEY);
            self.save(session_state, ttl).await.map_err(|e| match e {
                SaveError::Serialization(e) => UpdateError::Serialization(e),
                SaveError::Other(e) => UpdateError::Other(e),
            })
        }
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        ttl: &Duration,
    ) -> Result<(), anyhow::Error> {
        let _ = ttl;
        // Only ever extends a live signed-in row, within its absolute lifetime.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE sessions SET last_seen_at = now(),
                 expires_at = least(now() + make_interval(secs => $2), created_at + make_interval(secs => $3))
             WHERE session_key = $1 AND creator_id IS NOT NULL AND {LIVE}"
        )))
        .bind(digest(session_key))
        .bind(self.idle_secs())
        .bind(self.max_secs())
        .execute(&self.pool)
        .await
        .map_err(super::marked)?;
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        sqlx::query("DELETE FROM sessions WHERE session_key = $1")
            .bind(digest(session_key))
            .execute(&self.pool)
            .await
            .map_err(super::marked)?;
        Ok(())
    }
}

/// Signs a creator out of every browser at once.
pub async fn delete_all_for(
    executor: impl sqlx::PgExecutor<'_>,
    tenant: TenantId,
) -> Result<u64, sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE creator_id = $1")
        .bind(tenant.get())
        .execute(executor)
        .await
        .map(|done| done.rows_affected())
}

/// Whether the creator is signed in anywhere right now.
pub async fn signed_in_anywhere(
    executor: impl sqlx::PgExecutor<'_>,
    tenant: TenantId,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sessions WHERE creator_id = $1 AND expires_at > now())",
    )
    .bind(tenant.get())
    .fetch_one(executor)
    .await
}

pub async fn delete_expired(pool: &PgPool) -> Result<u64, sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE expires_at <= now()")
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
}
