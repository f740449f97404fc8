//! Online key rotation: every stored Gumroad token is re-sealed under the first key of the ring,
//! in batches (each its own short transaction, rows locked `FOR UPDATE SKIP LOCKED`), while the
//! servers keep serving with the same ring. One run at a time across every instance (a PostgreSQL
//! advisory lock; a second run is told [`RotationError::AlreadyRunning`]); running it again when
//! nothing is left to do changes nothing. Afterwards no token is sealed under an old key id, so the
//! old key can leave `GUMDASH_TOKEN_KEYS` (the startup check then passes).
//!
//! Run it with `gumdash keys rotate`, or from the operator's `/admin/keys` page (a job).
//!
//! Every instance must have the new key first in its ring before the rotation starts: an instance
//! still sealing with the old key would seal new sign-ins under it (a second run picks those up).

use std::collections::HashSet;

use sqlx::PgPool;

use crate::store::audit::{self, Action, Actor};
use crate::store::{connections, rotation as sql};
use crate::vault::{KeyRing, Purpose};

/// Rows re-sealed per transaction.
pub const BATCH_SIZE: i64 = 100;
/// Passes over the table: rows skipped because a sign-in held them are taken on the next.
const MAX_PASSES: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error(
        "a key rotation is already running (on this or another instance); its progress is on /admin/keys"
    )]
    AlreadyRunning,
    #[error(
        "the database holds tokens sealed with key id(s) {0:?}, which GUMDASH_TOKEN_KEYS lacks: add them (after the new key) and run the rotation again"
    )]
    MissingKeys(Vec<String>),
    #[error("database error during key rotation: {0}")]
    Database(#[from] sqlx::Error),
}

/// How a finished run went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub run: i64,
    pub key_id: String,
    pub rotated: i64,
    /// Tokens that could not be opened (left as they were).
    pub unreadable: i64,
    /// Tokens still under another key afterwards (unreadable ones, or sealed meanwhile by an
    /// instance whose ring does not start with the new key).
    pub remaining: i64,
}

/// Progress after each batch, for a command line to print.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub total: i64,
    pub rotated: i64,
    pub unreadable: i64,
}

/// Re-seals every token not under `keys`' active key. `started_by` is `cli` or `job`.
pub async fn rotate(
    pool: &PgPool,
    keys: &KeyRing,
    batch_size: i64,
    started_by: &str,
    mut on_progress: impl FnMut(Progress),
) -> Result<Report, RotationError> {
    let missing: Vec<String> = connections::key_ids_in_use(pool)
        .await?
        .into_iter()
        .filter(|id| !keys.contains(id))
        .collect();
    if !missing.is_empty() {
        return Err(RotationError::MissingKeys(missing));
    }
    let mut lock = pool.acquire().await?;
    if !sql::try_lock(&mut lock).await? {
        return Err(RotationError::AlreadyRunning);
    }
    let result = rotate_locked(
        pool,
        &mut lock,
        keys,
        batch_size,
        started_by,
        &mut on_progress,
    )
    .await;
    match sql::unlock(&mut lock).await {
        Ok(true) => {}
        _ => {
            // Closing the connection ends its session and so releases the lock.
            drop(lock.detach());
        }
    }
    result
}

async fn rotate_locked(
    pool: &PgPool,
    lock: &mut sqlx::PgConnection,
    keys: &KeyRing,
    batch_size: i64,
    started_by: &str,
    on_progress: &mut impl FnMut(Progress),
) -> Result<Report, RotationError> {
    let target = keys.active_key_id().to_owned();
    let total = connections::count_not_under(&mut *lock, &target).await?;
    let run = sql::start(&mut *lock, &target, started_by, total).await?;
    tracing::info!(run, key_id = %target, total, "key rotation started");
    let outcome = passes(pool, keys, &target, run, total, batch_size, on_progress).await;
    let report = match outcome {
        Ok(report) => report,
        Err(error) => {
            let words = error.to_string();
            if let Err(again) = sql::finish(&mut *lock, run, "failed", Some(&words)).await {
                tracing::warn!(%again, "could not record the failed key rotation");
            }
            return Err(error.into());
        }
    };
    let (state, error) = if report.remaining == 0 {
        ("done", None)
    } else {
        (
            "failed",
            Some(format!(
                "{} token(s) are still sealed under an old key ({} could not be opened); see the logs",
                report.remaining, report.unreadable
            )),
        )
    };
    let mut tx = pool.begin().await?;
    sql::finish(&mut *tx, run, state, error.as_deref()).await?;
    audit::record(
        &mut *tx,
        audit::Event {
            actor: Actor::System,
            action: Action::KeyRotation,
            creator: None,
            ip: None,
            detail: serde_json::json!({
                "run": run,
                "key_id": target,
                "via": started_by,
                "result": state,
                "rotated": report.rotated,
                "unreadable": report.unreadable,
                "remaining": report.remaining,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(run, key_id = %target, rotated = report.rotated, remaining = report.remaining, "key rotation finished");
    Ok(report)
}

async fn passes(
    pool: &PgPool,
    keys: &KeyRing,
    target: &str,
    run: i64,
    total: i64,
    batch_size: i64,
    on_progress: &mut impl FnMut(Progress),
) -> Result<Report, sqlx::Error> {
    let mut rotated = 0;
    let mut unreadable = HashSet::new();
    let mut remaining = total;
    for pass in 0..MAX_PASSES {
        if pass > 0 {
            // Rows a sign-in held a moment ago: give it time to commit.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let mut after = 0;
        loop {
            let mut tx = pool.begin().await?;
            let rows = connections::lock_not_under(&mut tx, target, after, batch_size).await?;
            let Some(last) = rows.last() else {
                tx.commit().await?;
                break;
            };
            after = last.tenant.get();
            let (mut done, mut failed) = (0, 0);
            for row in rows {
                match keys.open(row.tenant, Purpose::GumroadAccessToken, &row.token) {
                    Ok(secret) => {
                        let sealed = keys.seal(row.tenant, Purpose::GumroadAccessToken, &secret);
                        connections::reseal(&mut *tx, row.tenant, &sealed).await?;
                        done += 1;
                    }
                    Err(error) => {
                        if unreadable.insert(row.tenant) {
                            tracing::error!(tenant = %row.tenant, %error, "key rotation: a stored token could not be opened");
                            failed += 1;
                        }
                    }
                }
            }
            sql::add_progress(&mut *tx, run, done, failed).await?;
            tx.commit().await?;
            rotated += done;
            on_progress(Progress {
                total,
                rotated,
                unreadable: unreadable.len() as i64,
            });
        }
        remaining = connections::count_not_under(pool, target).await?;
        if remaining <= unreadable.len() as i64 {
            break;
        }
    }
    Ok(Report {
        run,
        key_id: target.to_owned(),
        rotated,
        unreadable: unreadable.len() as i64,
        remaining,
    })
}
