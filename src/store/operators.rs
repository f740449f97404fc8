//! Operators granted in the database (`gumdash admin grant|revoke|list`). Not tenant data: an
//! operator is named by Gumroad user id and may not have signed in yet.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Operator {
    pub gumroad_user_id: String,
    pub granted_at: DateTime<Utc>,
    pub granted_by: String,
    /// The creator's name, once they have signed in.
    pub name: Option<String>,
}

pub async fn is_operator(
    executor: impl PgExecutor<'_>,
    gumroad_user_id: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM operators WHERE gumroad_user_id = $1)")
        .bind(gumroad_user_id)
        .fetch_one(executor)
        .await
}

/// `true` if newly granted, `false` if they already were one.
pub async fn grant(
    executor: impl PgExecutor<'_>,
    gumroad_user_id: &str,
    granted_by: &str,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO operators (gumroad_user_id, granted_by) VALUES ($1, $2)
         ON CONFLICT (gumroad_user_id) DO NOTHING",
    )
    .bind(gumroad_user_id)
    .bind(granted_by)
    .execute(executor)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// `true` if a grant was removed.
pub async fn revoke(
    executor: impl PgExecutor<'_>,
    gumroad_user_id: &str,
) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query("DELETE FROM operators WHERE gumroad_user_id = $1")
        .bind(gumroad_user_id)
        .execute(executor)
        .await?;
    Ok(deleted.rows_affected() == 1)
}

pub async fn list(executor: impl PgExecutor<'_>) -> Result<Vec<Operator>, sqlx::Error> {
    sqlx::query_as(
        "SELECT o.gumroad_user_id, o.granted_at, o.granted_by, c.name
         FROM operators o LEFT JOIN creators c ON c.gumroad_user_id = o.gumroad_user_id
         ORDER BY o.granted_at, o.gumroad_user_id",
    )
    .fetch_all(executor)
    .await
}
