//! A PostgreSQL-backed `actix-session` store, so sessions can be revoked on the server:
//! signing out deletes the row, and an operator can sign a creator out everywhere with one DELETE.
//!
//! Only a SHA-256 digest of each session key is stored, so a leaked table cannot be replayed as cookies.

use std::collections::HashMap;

use actix_session::storage::{
    LoadError, SaveError, SessionKey, SessionStore, UpdateError, generate_session_key,
};
use actix_web::cookie::time::Duration;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::domain::TenantId;

/// The session entry that names the signed-in creator; mirrored into its own column.
pub const CREATOR_ID_KEY: &str = "creator_id";

type SessionState = HashMap<String, String>;

#[derive(Clone)]
pub struct PgSessionStore {
    pool: PgPool,
}

impl PgSessionStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

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
        let row: Option<(serde_json::Value,)> = sqlx::query_as(
            "SELECT state FROM sessions WHERE session_key = $1 AND expires_at > now()",
        )
        .bind(digest(session_key))
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| LoadError::Other(super::marked(e)))?;
        row.map(|(state,)| serde_json::from_value(state))
            .transpose()
            .map_err(|e| LoadError::Deserialization(e.into()))
    }

    async fn save(
        &self,
        session_state: SessionState,
        ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        let key = generate_session_key();
        let state = to_json(&session_state).map_err(|e| SaveError::Serialization(e.into()))?;
        sqlx::query(
            "INSERT INTO sessions (session_key, creator_id, state, expires_at)
             VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
        )
        .bind(digest(&key))
        .bind(creator_of(&session_state))
        .bind(state)
        .bind(ttl.whole_seconds() as f64)
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
        let updated = sqlx::query(
            "UPDATE sessions SET creator_id = $2, state = $3, expires_at = now() + make_interval(secs => $4)
             WHERE session_key = $1 AND expires_at > now()",
        )
        .bind(digest(&session_key))
        .bind(creator_of(&session_state))
        .bind(state)
        .bind(ttl.whole_seconds() as f64)
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
        sqlx::query(
            "UPDATE sessions SET expires_at = now() + make_interval(secs => $2) WHERE session_key = $1",
        )
        .bind(digest(session_key))
        .bind(ttl.whole_seconds() as f64)
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
