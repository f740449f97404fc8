//! `gumdash admin grant|revoke|list`: the operators stored in the database. Every grant and revoke
//! is written to the audit log in the same transaction, as done by `system` from the command line.

use std::io::Write;

use anyhow::Context as _;
use sqlx::PgPool;

use crate::cli::AdminCommand;
use crate::store::audit::{self, Action, Actor};
use crate::store::operators;

const NOT_MIGRATED: &str =
    "the operators table could not be read (is DATABASE_URL migrated? `gumdash migrate` does it)";

/// Who ran the command, for `operators.granted_by` and the audit entry.
pub fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// A Gumroad numeric user id, or what is wrong with it.
fn parse_id(text: &str) -> anyhow::Result<String> {
    let id = text.trim();
    if !id.is_empty() && id.len() <= 30 && id.chars().all(|c| c.is_ascii_digit()) {
        Ok(id.to_owned())
    } else {
        anyhow::bail!(
            "{text:?} is not a Gumroad numeric user id (the `id` field of /v2/user; the admin creators page shows it)"
        )
    }
}

/// Runs one `gumdash admin` command; `configured` is `GUMDASH_ADMIN_GUMROAD_IDS` as this process sees
/// it (only to say when an id stays an operator through it). Messages go to `out`.
pub async fn run(
    pool: &PgPool,
    command: &AdminCommand,
    configured: &[String],
    by: &str,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match command {
        AdminCommand::Grant { gumroad_user_id } => {
            let id = parse_id(gumroad_user_id)?;
            let mut tx = pool.begin().await.context("connecting to DATABASE_URL")?;
            let granted = operators::grant(&mut *tx, &id, &format!("cli:{by}"))
                .await
                .context(NOT_MIGRATED)?;
            if granted {
                audit_change(&mut tx, Action::GrantOperator, &id, by).await?;
            }
            tx.commit().await?;
            if granted {
                writeln!(out, "{id} is now an operator (from their next page load).")?;
            } else {
                writeln!(out, "{id} was already an operator; nothing changed.")?;
            }
        }
        AdminCommand::Revoke { gumroad_user_id } => {
            let id = parse_id(gumroad_user_id)?;
            let mut tx = pool.begin().await.context("connecting to DATABASE_URL")?;
            let revoked = operators::revoke(&mut *tx, &id)
                .await
                .context(NOT_MIGRATED)?;
            if revoked {
                audit_change(&mut tx, Action::RevokeOperator, &id, by).await?;
            }
            tx.commit().await?;
            if revoked {
                writeln!(out, "{id} is no longer an operator in the database.")?;
            } else {
                writeln!(
                    out,
                    "{id} was not an operator in the database; nothing changed."
                )?;
            }
            if configured.contains(&id) {
                writeln!(
                    out,
                    "Note: {id} is still named in GUMDASH_ADMIN_GUMROAD_IDS, so it stays an operator until it is removed there."
                )?;
            }
        }
        AdminCommand::List => {
            let stored = operators::list(pool).await.context(NOT_MIGRATED)?;
            if stored.is_empty() && configured.is_empty() {
                writeln!(
                    out,
                    "No operators. Add one with `gumdash admin grant <gumroad user id>`."
                )?;
            }
            for operator in &stored {
                writeln!(
                    out,
                    "{}\t{}\tgranted {} by {}",
                    operator.gumroad_user_id,
                    operator.name.as_deref().unwrap_or("(not signed in yet)"),
                    operator.granted_at.format("%Y-%m-%d %H:%M UTC"),
                    operator.granted_by
                )?;
            }
            for id in configured {
                writeln!(out, "{id}\t(named in GUMDASH_ADMIN_GUMROAD_IDS)")?;
            }
        }
    }
    Ok(())
}

async fn audit_change(
    tx: &mut sqlx::PgConnection,
    action: Action,
    gumroad_user_id: &str,
    by: &str,
) -> Result<(), sqlx::Error> {
    audit::record(
        tx,
        audit::Event {
            actor: Actor::System,
            action,
            creator: None,
            ip: None,
            detail: serde_json::json!({
                "gumroad_user_id": gumroad_user_id,
                "via": format!("cli:{by}"),
            }),
        },
    )
    .await
}
