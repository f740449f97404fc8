//! `GET /admin/audit`: the audit log, newest first, 50 a page (opaque keyset cursor on `(at, id)`),
//! filtered by actor, action, creator and a UTC date range. Details are summarised: only the keys
//! known to hold no buyer's personal data show their values.

use actix_web::{HttpResponse, get, web};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::{AdminUser, next_page};
use crate::domain::{SalesCursor, TenantId};
use crate::store::audit_log::{self, AuditEntry, AuditFilter};
use crate::web::error::AppError;
use crate::web::forms::{FormErrors, filter_query, filtered_page, search_text};
use crate::web::layout::{AdminNav, Layout, Nav};
use crate::web::state::AppState;

const PAGE_SIZE: usize = 50;
const MAX_FILTER_CHARS: usize = 100;

/// Detail keys whose values are shown: ids, outcomes and counts, never a buyer's data. Any other key
/// is listed by name only.
const SHOWN_DETAIL_KEYS: &[&str] = &[
    "sale_id",
    "result",
    "job",
    "kind",
    "scopes",
    "change",
    "uses",
    "gumroad_user_id",
    "via",
    "reason",
    "amount_cents",
    "currency",
];
/// A shown value longer than this is cut (a reason typed by an operator can be long).
const MAX_DETAIL_VALUE_CHARS: usize = 120;

#[derive(Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    creator: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// Cursor: entries older than this one.
    #[serde(default)]
    before: String,
}

struct AuditLine {
    at: String,
    actor: String,
    action: String,
    creator: Option<(String, String)>,
    ip: String,
    detail: String,
}

fn cut(text: &str) -> String {
    let mut chars = text.chars();
    let shown: String = chars.by_ref().take(MAX_DETAIL_VALUE_CHARS).collect();
    if chars.next().is_some() {
        format!("{shown}…")
    } else {
        shown
    }
}

/// `key: value` for the known keys, the bare key for the others, in key order.
pub(crate) fn summarise(detail: &serde_json::Value) -> String {
    let Some(object) = detail.as_object() else {
        return String::new();
    };
    object
        .iter()
        .map(|(key, value)| {
            if SHOWN_DETAIL_KEYS.contains(&key.as_str()) {
                let value = match value {
                    serde_json::Value::String(text) => text.clone(),
                    serde_json::Value::Array(items) => items
                        .iter()
                        .map(|item| {
                            item.as_str()
                                .map_or_else(|| item.to_string(), str::to_owned)
                        })
                        .collect::<Vec<_>>()
                        .join(" "),
                    other => other.to_string(),
                };
                format!("{key}: {}", cut(&value))
            } else {
                format!("{key}: (not shown)")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<AuditEntry> for AuditLine {
    fn from(entry: AuditEntry) -> Self {
        Self {
            at: entry.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            actor: entry.actor,
            action: entry.action,
            creator: entry.creator_id.map(|id| {
                (
                    format!("/admin/creators/{id}"),
                    entry.creator_name.unwrap_or_else(|| format!("#{id}")),
                )
            }),
            ip: entry.ip.unwrap_or_else(|| "—".to_owned()),
            detail: summarise(&entry.detail),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    layout: Layout,
    query: AuditQuery,
    errors: FormErrors,
    lines: Vec<AuditLine>,
    next: Option<String>,
    paged: bool,
}

impl AuditPage {
    fn filters(&self) -> String {
        let q = &self.query;
        filter_query(&[
            ("actor", &q.actor),
            ("action", &q.action),
            ("creator", &q.creator),
            ("from", &q.from),
            ("to", &q.to),
        ])
    }

    fn next_link(&self, cursor: &str) -> String {
        let filters = self.filters();
        let sep = if filters.is_empty() { "" } else { "&" };
        format!("/admin/audit?{filters}{sep}before={cursor}")
    }

    fn first_link(&self) -> String {
        format!("/admin/audit?{}", self.filters())
    }
}

fn parse_filter(query: &AuditQuery, errors: &mut FormErrors) -> AuditFilter {
    let day = |errors: &mut FormErrors, field: &'static str, text: &str| {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        errors.check(
            field,
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .filter(|d| (1970..=9999).contains(&chrono::Datelike::year(d)))
                .ok_or("Enter a date like 2026-01-31."),
        )
    };
    let start_of = |d: NaiveDate| -> DateTime<Utc> { d.and_hms_opt(0, 0, 0).unwrap().and_utc() };
    let mut from = day(errors, "from", &query.from);
    let mut to = day(errors, "to", &query.to);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        errors.add("to", "The end date is before the start date.");
        (from, to) = (None, None);
    }
    let creator = match query.creator.trim() {
        "" => None,
        text => errors.check(
            "creator",
            text.trim_start_matches('#')
                .parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .map(TenantId::from_db)
                .ok_or("Enter a creator number, as in the creators list's links."),
        ),
    };
    AuditFilter {
        actor: search_text(&query.actor, MAX_FILTER_CHARS),
        action: search_text(&query.action, MAX_FILTER_CHARS),
        creator,
        from: from.map(start_of),
        // The end date is inclusive: up to the start of the next day.
        until: to.and_then(|d| d.succ_opt()).map(start_of),
        before: SalesCursor::decode(&query.before).map(|c| (c.created_at, c.id)),
    }
}

#[get("/admin/audit")]
pub async fn page(
    admin: AdminUser,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let current = &admin.0;
    let query = query.into_inner();
    let mut errors = FormErrors::default();
    let filter = parse_filter(&query, &mut errors);
    let mut rows = audit_log::page(&state.pool, &filter, PAGE_SIZE as i64 + 1).await?;
    let next = next_page(&mut rows, PAGE_SIZE, |row| (row.at, row.id));
    let page = AuditPage {
        layout: Layout::signed_in(
            &current.session,
            &current.creator,
            &state,
            Nav::Admin(AdminNav::Audit),
        )?,
        paged: filter.before.is_some(),
        query,
        errors,
        lines: rows.into_iter().map(AuditLine::from).collect(),
        next,
    };
    filtered_page(&page, &page.errors)
}

#[cfg(test)]
mod tests {
    use super::summarise;

    #[test]
    fn details_show_known_keys_and_hide_the_rest() {
        let detail = serde_json::json!({
            "sale_id": "abc==",
            "tracking_url": "https://track.example/buyer@example.com",
            "scopes": ["view_sales", "edit_products"],
            "result": "done",
        });
        let shown = summarise(&detail);
        assert!(shown.contains("sale_id: abc=="), "{shown}");
        assert!(
            shown.contains("scopes: view_sales edit_products"),
            "{shown}"
        );
        assert!(shown.contains("tracking_url: (not shown)"), "{shown}");
        assert!(!shown.contains("buyer@example.com"), "{shown}");
        assert_eq!(summarise(&serde_json::json!({})), "");
    }
}
