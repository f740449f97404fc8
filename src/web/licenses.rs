//! `GET /licenses`: look a license key up for one of the creator's products. Gumroad's verify is
//! asked with `increment_uses_count=false`, so looking never counts as a use. Shows the uses and the
//! purchase it belongs to, or Gumroad's word for an unknown, disabled or expired key. A plain GET
//! form: looking changes nothing.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::LicenseKey;
use crate::gumroad::{GumroadError, License, LicenseRefusal};
use crate::store;
use crate::web::current_creator::CurrentCreator;
use crate::web::error::AppError;
use crate::web::forms::{FormErrors, render_with};
use crate::web::layout::{Layout, Nav};
use crate::web::sales::sale_href;
use crate::web::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(lookup);
}

#[derive(Default, Deserialize)]
pub struct LookupQuery {
    #[serde(default)]
    product: String,
    #[serde(default)]
    key: String,
}

/// What Gumroad said about the key.
pub struct Found {
    pub uses: i64,
    pub sale_href: Option<String>,
    pub product: String,
    pub bought: String,
    pub states: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "licenses.html")]
struct LookupPage {
    layout: Layout,
    products: Vec<(String, String)>,
    query: LookupQuery,
    errors: FormErrors,
    found: Option<Found>,
}

impl LookupPage {
    fn is_selected(&self, id: &str) -> bool {
        self.query.product == id
    }
}

#[get("/licenses")]
pub async fn lookup(
    current: CurrentCreator,
    state: web::Data<AppState>,
    query: web::Query<LookupQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let tenant = current.tenant();
    let products = store::sales::products_sold(&state.pool, tenant).await?;
    let mut errors = FormErrors::default();
    let mut found = None;
    if !query.key.is_empty() || !query.product.is_empty() {
        let product = products.iter().find(|(id, _)| *id == query.product);
        if product.is_none() {
            errors.add("product", "Choose one of your products.");
        }
        let key = errors.check("key", LicenseKey::parse(&query.key));
        if let (Some((product, _)), Some(key)) = (product, key) {
            let api = state.gumroad(tenant).await?;
            let answer = api
                .call(async |api, token| {
                    api.verify_license(token, product, key.as_str(), false)
                        .await
                })
                .await;
            match answer {
                Ok(license) => found = Some(found_of(&state, &current, license).await?),
                Err(error) => errors.general = Some(refusal_text(error)?),
            }
        }
    }
    let page = LookupPage {
        layout: Layout::signed_in(&current.session, &current.creator, &state, Nav::Licenses)?,
        products,
        query,
        errors,
        found,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_with(status, &page)
}

/// Gumroad's refusal in plain words; other failures are the usual error pages.
fn refusal_text(error: GumroadError) -> Result<String, AppError> {
    match LicenseRefusal::from_error(&error) {
        Some(refusal) => Ok(refusal.plain().to_owned()),
        None => Err(AppError::Gumroad(error)),
    }
}

async fn found_of(
    state: &AppState,
    current: &CurrentCreator,
    license: License,
) -> Result<Found, AppError> {
    let purchase = license.purchase;
    let sale_id = purchase.as_ref().and_then(|p| p.sale_id.clone());
    let in_mirror = match &sale_id {
        Some(id) => store::sales::find(&state.pool, current.tenant(), id)
            .await?
            .is_some(),
        None => false,
    };
    let mut states = Vec::new();
    if let Some(p) = &purchase {
        if p.refunded {
            states.push("Refunded");
        }
        if p.chargebacked {
            states.push("Charged back");
        }
        if p.subscription_ended_at.is_some() {
            states.push("Subscription ended");
        } else if p.subscription_cancelled_at.is_some() {
            states.push("Subscription cancelled");
        }
    }
    Ok(Found {
        uses: license.uses,
        sale_href: sale_id.filter(|_| in_mirror).map(|id| sale_href(&id)),
        product: purchase
            .as_ref()
            .map(|p| p.product_name.clone())
            .unwrap_or_default(),
        bought: purchase.map(|p| p.created_at).unwrap_or_default(),
        states,
    })
}
