//! `GET /admin/creators`: every tenant with its connection, sync and ping health, newest sign-ups
//! first; search by name, email or Gumroad id, filter by state, 50 a page (opaque keyset cursor, one
//! query a page). Each row links to `/admin/creators/{id}`, the creator's detail and actions.

use actix_web::{Responder, get, web};
use askama::Template;
use askama_web::WebTemplate;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{AdminUser, next_page};
use crate::domain::{CreatorState, SalesCursor};
use crate::store::admin::{self as admin_store, CreatorFilter, CreatorOverview};
use crate::web::error::AppError;
use crate::web::forms::{filter_query, search_text};
use crate::web::layout::{AdminNav, Layout, Nav};
use crate::web::state::AppState;

const PAGE_SIZE: usize = 50;
const MAX_SEARCH_CHARS: usize = 100;

#[derive(Default, Deserialize)]
pub struct CreatorsQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    state: String,
    /// Cursor: creators who signed up before this one.
    #[serde(default)]
    after: String,
}

/// One row as shown.
struct CreatorLine {
    href: String,
    name: String,
    email: String,
    gumroad_user_id: String,
    signed_up: String,
    last_sign_in: String,
    connection: &'static str,
    connection_class: &'static str,
    scopes: String,
    sales_mirrored: i64,
    last_sync: String,
    last_error: String,
    ping: String,
}

fn when(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "—".to_owned())
}

impl From<CreatorOverview> for CreatorLine {
    fn from(row: CreatorOverview) -> Self {
        let (connection, connection_class) = match CreatorState::parse(&row.state) {
            Some(CreatorState::Active) if row.scopes.is_none() => {
                ("not connected", "badge badge-warn")
            }
            Some(CreatorState::Active) => ("ok", "badge badge-ok"),
            Some(CreatorState::NeedsReconnect) => ("needs reconnect", "badge badge-warn"),
            Some(CreatorState::Disabled) | None => ("disabled", "badge badge-bad"),
        };
        // The newest of the connection's and the sync's errors.
        let last_error = match (&row.sync_error, &row.connection_error) {
            (Some(sync), _) => format!("{sync} ({})", when(row.sync_error_at)),
            (None, Some(connection)) => connection.clone(),
            (None, None) => "—".to_owned(),
        };
        let ping = match row.ping_state.as_deref() {
            None => "no ping URL".to_owned(),
            Some(state) => {
                let mut words = state.to_owned();
                if row.ping_subscriptions_failing > 0 {
                    words.push_str(&format!(
                        ", {} subscription(s) failing",
                        row.ping_subscriptions_failing
                    ));
                }
                match row.last_ping_at {
                    Some(at) => {
                        let day = if row.pings_last_day >= 1000 {
                            "1000+".to_owned()
                        } else {
                            row.pings_last_day.to_string()
                        };
                        words.push_str(&format!("; last ping {}, {day} in 24 h", when(Some(at))));
                    }
                    None => words.push_str("; no ping received"),
                }
                words
            }
        };
        Self {
            href: format!("/admin/creators/{}", row.id),
            name: row.name,
            email: row.email.unwrap_or_default(),
            gumroad_user_id: row.gumroad_user_id,
            signed_up: when(Some(row.created_at)),
            last_sign_in: when(row.last_sign_in_at),
            connection,
            connection_class,
            scopes: row.scopes.unwrap_or_else(|| "—".to_owned()),
            sales_mirrored: row.sales_mirrored,
            last_sync: when(row.last_sync_at),
            last_error,
            ping,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/creators.html")]
struct CreatorsPage {
    layout: Layout,
    query: CreatorsQuery,
    lines: Vec<CreatorLine>,
    next: Option<String>,
    paged: bool,
}

impl CreatorsPage {
    fn state_is(&self, value: &str) -> bool {
        self.query.state == value
    }

    fn filters(&self) -> String {
        filter_query(&[("q", &self.query.q), ("state", &self.query.state)])
    }

    /// The next page's link, keeping the filters.
    fn next_link(&self, cursor: &str) -> String {
        let filters = self.filters();
        let sep = if filters.is_empty() { "" } else { "&" };
        format!("/admin/creators?{filters}{sep}after={cursor}")
    }

    fn first_link(&self) -> String {
        format!("/admin/creators?{}", self.filters())
    }
}

#[get("/admin/creators")]
pub async fn page(
    admin: AdminUser,
    state: web::Data<AppState>,
    query: web::Query<CreatorsQuery>,
) -> Result<impl Responder, AppError> {
    let current = &admin.0;
    let mut query = query.into_inner();
    // An unknown state (a hand-edited URL) shows every state.
    let state_filter = CreatorState::parse(query.state.trim());
    if state_filter.is_none() {
        query.state.clear();
    }
    let cursor = SalesCursor::decode(&query.after);
    let filter = CreatorFilter {
        search: search_text(&query.q, MAX_SEARCH_CHARS),
        state: state_filter,
        before: cursor.map(|c| (c.created_at, c.id)),
    };
    let mut rows = admin_store::creators_page(&state.pool, &filter, PAGE_SIZE as i64 + 1).await?;
    let next = next_page(&mut rows, PAGE_SIZE, |row| (row.created_at, row.id));
    let page = CreatorsPage {
        layout: Layout::signed_in(
            &current.session,
            &current.creator,
            &state,
            Nav::Admin(AdminNav::Creators),
        )?,
        query,
        lines: rows.into_iter().map(CreatorLine::from).collect(),
        next,
        paged: cursor.is_some(),
    };
    Ok(page)
}
