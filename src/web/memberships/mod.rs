//! The memberships pages: per membership product, active subscribers by tier and recurrence, MRR per
//! currency, new and churned this month, pending cancellations and failed payments; the subscriber
//! list (status, product, email search, keyset pages), its CSV export, and one subscriber's page
//! with their charges and history.
//!
//! Rule, as for sales: the pages read only the local mirrors (`store::subscribers`, `store::sales`,
//! `store::webhooks`), never Gumroad. The sync walks the subscribers and pings fetch them back.
//!
//! MRR is each active subscriber's latest charge divided by its months (monthly 1, quarterly 3,
//! biannually 6, yearly 12, every two years 24), summed per currency and never across currencies.

mod export;
mod list;

use actix_web::{Responder, get, web};
use askama::Template;
use askama_web::WebTemplate;

use crate::domain::{Currency, Money};
use crate::store::subscribers::{self, Mrr, ProductSummary, TierLine};
use crate::web::current_creator::CurrentCreator;
use crate::web::error::AppError;
use crate::web::forms::filter_query;
use crate::web::layout::{Layout, Nav};
use crate::web::state::AppState;
use crate::web::views::list_link;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(overview)
        // Before `/memberships/subscribers/{id}`.
        .service(export::export)
        .service(list::index)
        .service(list::show);
}

/// Monthly revenue in one currency, formatted; '' currency means prices not mirrored yet.
pub(super) fn mrr_text(cents: i64, currency: &str) -> String {
    match Currency::parse(currency) {
        Ok(currency) => Money::new(cents, currency).display(),
        Err(_) => "price not known yet".to_owned(),
    }
}

pub struct MrrLine {
    pub currency: String,
    pub active: i64,
    pub mrr: String,
}

impl MrrLine {
    fn new(m: &Mrr) -> Self {
        Self {
            currency: if m.currency.is_empty() {
                "—".to_owned()
            } else {
                m.currency.to_uppercase()
            },
            active: m.active,
            mrr: mrr_text(m.mrr_cents, &m.currency),
        }
    }
}

pub struct TierView {
    pub tier: String,
    pub recurrence: String,
    pub currency: String,
    pub active: i64,
    pub mrr: String,
}

pub struct ProductView {
    pub summary: ProductSummary,
    pub list_href: String,
    pub tiers: Vec<TierView>,
    pub mrr: Vec<MrrLine>,
}

#[derive(Template, WebTemplate)]
#[template(path = "memberships/index.html")]
struct SummaryPage {
    layout: Layout,
    products: Vec<ProductView>,
    totals: Vec<MrrLine>,
    zone: String,
}

fn product_view(summary: ProductSummary, tiers: &[TierLine], mrr: &[Mrr]) -> ProductView {
    let id = summary.product_id.clone();
    let list_href = list_link(
        "/memberships/subscribers",
        &filter_query(&[("status", "active"), ("product", &id)]),
        None,
    );
    ProductView {
        tiers: tiers
            .iter()
            .filter(|t| t.product_id == id)
            .map(|t| TierView {
                tier: if t.tier.is_empty() {
                    "—".into()
                } else {
                    t.tier.clone()
                },
                recurrence: recurrence_label(&t.recurrence).to_owned(),
                currency: t.currency.to_uppercase(),
                active: t.active,
                mrr: mrr_text(t.mrr_cents, &t.currency),
            })
            .collect(),
        mrr: mrr
            .iter()
            .filter(|m| m.product_id == id)
            .map(MrrLine::new)
            .collect(),
        list_href,
        summary,
    }
}

/// Gumroad's recurrence codes as words.
pub(super) fn recurrence_label(recurrence: &str) -> &str {
    match recurrence {
        "monthly" => "Monthly",
        "quarterly" => "Quarterly",
        "biannually" | "biannual" => "Every 6 months",
        "yearly" => "Yearly",
        "every_two_years" => "Every 2 years",
        "" => "—",
        other => other,
    }
}

#[get("/memberships")]
pub async fn overview(
    current: CurrentCreator,
    state: web::Data<AppState>,
) -> Result<impl Responder, AppError> {
    let tenant = current.tenant();
    let zone = current.creator.time_zone.clone();
    let (products, tiers, mrr) = subscribers::summary(&state.pool, tenant, &zone).await?;
    Ok(SummaryPage {
        layout: Layout::signed_in(&current.session, &current.creator, &state, Nav::Memberships)?,
        totals: mrr
            .iter()
            .filter(|m| m.product_id.is_empty())
            .map(MrrLine::new)
            .collect(),
        products: products
            .into_iter()
            .map(|p| product_view(p, &tiers, &mrr))
            .collect(),
        zone: crate::domain::zone_label(&zone),
    })
}
