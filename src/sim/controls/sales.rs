//! Sales controls: make a sale now, refund, dispute, and a creator's sales summary for tests to compare
//! the API against. Sales found here by external id include test purchases and any creator's.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rand::Rng as _;
use serde::Deserialize;

use super::{bad_json, optional_json, unprocessable};
use crate::sim::api::sales::all_rendered;
use crate::sim::catalog::money;
use crate::sim::pings;
use crate::sim::rails;
use crate::sim::sales::seed::{blank_sale, recurrence_code};
use crate::sim::sales::{Detail, SubscriptionState, flag, json, pack_variants};
use crate::sim::store::{Shared, SimState};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/_sim/sales", web::post().to(create))
        .route("/_sim/sales/{creator}", web::get().to(summary))
        .route("/_sim/sales/{sale}/refund", web::post().to(refund))
        .route("/_sim/sales/{sale}/dispute", web::post().to(dispute))
        .route("/_sim/sales/{sale}/chargeback", web::post().to(chargeback))
        .route(
            "/_sim/sales/{sale}/dispute_won",
            web::post().to(dispute_won),
        );
}

/// `POST /_sim/sales`: everything but `creator_id` is optional.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NewSale {
    /// Either of the creator's ids.
    pub creator_id: String,
    /// External id or unique permalink; default: the creator's newest published product.
    pub product_id: Option<String>,
    /// Default: a new buyer with a derived name and email.
    pub email: Option<String>,
    pub full_name: Option<String>,
    /// The total paid, in the product currency's smallest unit; default: price, variants and recurrence,
    /// less the offer code, times the quantity.
    pub price_cents: Option<i64>,
    pub quantity: Option<u16>,
    /// A live code of the product (its name); counts towards `times_used`.
    pub offer_code: Option<String>,
    /// Category title → option name; categories not named get their first option.
    pub variants: Option<serde_json::Map<String, serde_json::Value>>,
    /// Field name → answer, shown as sent.
    pub custom_fields: Option<serde_json::Map<String, serde_json::Value>>,
    /// Subscription products: `monthly`, `yearly`, …; default: the product's or the first priced.
    pub recurrence: Option<String>,
    pub referrer: Option<String>,
    /// The seller's own test purchase: made, never listed.
    #[serde(default)]
    pub test: bool,
}

/// Makes a sale now; answers the sale as the API renders it, or why not.
pub(crate) fn create_sale(
    state: &mut SimState,
    request: NewSale,
) -> Result<serde_json::Value, String> {
    let creator_id = state
        .creator_by_either_id(&request.creator_id)
        .map(|c| c.id.clone())
        .ok_or("unknown creator")?;
    let creator = state.creator_index(&creator_id).ok_or("unknown creator")?;
    let product_index = match &request.product_id {
        Some(key) => state
            .catalog
            .product_index(&creator_id, key)
            .ok_or("unknown product")?,
        None => {
            let newest = state
                .catalog
                .live_products(&creator_id)
                .into_iter()
                .find(|p| p.published)
                .map(|p| p.id)
                .ok_or("the creator has no published product")?;
            state
                .catalog
                .products
                .iter()
                .position(|p| p.id == newest)
                .ok_or("unknown product")?
        }
    };
    let product = &state.catalog.products[product_index];
    let quantity = request.quantity.unwrap_or(1).max(1);
    let mut choices = Vec::new();
    let mut unit_price = product.price;
    let mut recurrence = request
        .recurrence
        .clone()
        .or_else(|| product.subscription_duration.clone());
    for (index, category) in product.variant_categories.iter().enumerate() {
        if category.deleted {
            continue;
        }
        let title = category.title.clone().unwrap_or_default();
        let wanted = request
            .variants
            .as_ref()
            .and_then(|v| v.get(&title))
            .and_then(|v| v.as_str());
        let option = match wanted {
            Some(name) => category
                .variants
                .iter()
                .position(|v| !v.deleted && v.name == name)
                .ok_or_else(|| format!("no option {name:?} in {title:?}"))?,
            None => category
                .variants
                .iter()
                .position(|v| !v.deleted)
                .ok_or_else(|| format!("no live option in {title:?}"))?,
        };
        let variant = &category.variants[option];
        choices.push((index, option));
        if product.is_tiered_membership {
            let priced = recurrence
                .as_ref()
                .and_then(|r| variant.recurrence_prices.iter().find(|(k, _)| k == r))
                .or_else(|| variant.recurrence_prices.first())
                .ok_or("the tier has no price")?;
            recurrence = Some(priced.0.clone());
            unit_price = priced.1;
        } else {
            unit_price += variant.price_difference_cents;
        }
    }
    let offer_code = match &request.offer_code {
        None => None,
        Some(name) => Some(
            state
                .catalog
                .offer_codes
                .iter()
                .position(|c| c.name == *name && c.applies_to(product))
                .ok_or_else(|| format!("no live offer code {name:?} for the product"))?,
        ),
    };
    if let Some(index) = offer_code {
        unit_price = state.catalog.offer_codes[index].price_after(unit_price);
    }
    let price = request
        .price_cents
        .unwrap_or_else(|| unit_price.saturating_mul(i64::from(quantity)));
    let price = i32::try_from(price)
        .ok()
        .filter(|p| *p >= 0)
        .ok_or("price_cents out of range")?;
    let recurring = product.is_recurring_billing();
    let mut sale = blank_sale();
    sale.created_at = state.now().timestamp_micros();
    sale.creator = creator as u32;
    sale.product = product_index as u32;
    sale.buyer = rand::rng().random();
    sale.price = price;
    sale.quantity = quantity;
    sale.variants = pack_variants(&choices);
    sale.offer_code = offer_code.map_or(0, |i| i as u32 + 1);
    if recurring {
        sale.recurrence = recurrence.as_deref().map_or(0, recurrence_code);
        state.sales.subscriptions.push(SubscriptionState::Alive);
        sale.subscription = state.sales.subscriptions.len() as u32;
    }
    if request.test {
        sale.flags |= flag::TEST;
    }
    let detail = Detail {
        email: request.email.clone(),
        full_name: request.full_name.clone(),
        custom_fields: request
            .custom_fields
            .map(|fields| fields.into_iter().collect()),
        referrer: request.referrer.clone(),
        ..Detail::default()
    };
    let has_detail = detail.email.is_some()
        || detail.full_name.is_some()
        || detail.custom_fields.is_some()
        || detail.referrer.is_some();
    if let Some(index) = offer_code {
        state.catalog.offer_codes[index].times_used += i64::from(quantity);
    }
    let id = state
        .sales
        .push(sale, has_detail.then_some(detail), &state.catalog);
    let sale = *state.sales.get(u64::from(id)).ok_or("lost the sale")?;
    pings::fire_sale(state, u64::from(id), "sale");
    Ok(serde_json::to_value(json::sale(state, &sale)).unwrap_or_default())
}

async fn create(body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let request: NewSale = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => return bad_json(&err),
    };
    match create_sale(&mut shared.lock(), request) {
        Ok(sale) => rails::json(StatusCode::CREATED, &sale),
        Err(message) => unprocessable(&message),
    }
}

/// `GET /_sim/sales/<either creator id>` → `{count, usd_cents_total, ids}`: the listed sales (newest
/// first) and their USD gross minus refunds, as products' `sales_usd_cents` add up.
async fn summary(path: web::Path<String>, shared: web::Data<Shared>) -> HttpResponse {
    let state = shared.lock();
    let Some(creator) = state
        .creator_by_either_id(&path)
        .and_then(|c| state.creator_index(&c.id))
    else {
        return unprocessable("unknown creator");
    };
    let mut ids = Vec::new();
    let mut usd = 0i64;
    for sale in state.sales.of_creator(creator).rev() {
        ids.push(state.sales.external_id(sale));
        if let Some(product) = state.catalog.products.get(sale.product as usize) {
            usd += money::to_usd_cents(&product.currency, i64::from(sale.price))
                - money::to_usd_cents(&product.currency, i64::from(sale.refunded));
        }
    }
    rails::json(
        StatusCode::OK,
        &serde_json::json!({"count": ids.len(), "usd_cents_total": usd, "ids": ids}),
    )
}

#[derive(Default, Deserialize)]
struct Refund {
    /// In the product currency's smallest unit; the rest when absent.
    amount_cents: Option<i64>,
}

/// Refunds the sale (`amount` in the product currency's smallest unit, the rest when `None`).
pub(crate) fn refund_sale(
    state: &mut SimState,
    sale_id: &str,
    amount: Option<i64>,
) -> Result<serde_json::Value, String> {
    change_sale(state, sale_id, |state, id| refund_by_id(state, id, amount))
}

fn refund_by_id(state: &mut SimState, id: u64, amount: Option<i64>) -> Result<(), String> {
    state
        .sales
        .refund(id, amount, &state.catalog)
        .map_err(|e| e.message().to_owned())?;
    pings::fire_sale(state, id, "refund");
    Ok(())
}

/// Finds a sale by external id (any creator's, test purchases too), applies `change` and renders it.
fn change_sale(
    state: &mut SimState,
    sale_id: &str,
    change: impl FnOnce(&mut SimState, u64) -> Result<(), String>,
) -> Result<serde_json::Value, String> {
    let id = state
        .sales
        .find_external(sale_id)
        .map(|s| u64::from(s.id))
        .ok_or("unknown sale")?;
    change(state, id)?;
    let sale = state.sales.get(id).ok_or("unknown sale")?;
    Ok(serde_json::to_value(json::sale(state, sale)).unwrap_or_default())
}

/// A control on one sale: reads its optional JSON body (empty is `{}`), changes the sale and answers it
/// (200), or 422 with why not.
fn sale_control<T: Default + serde::de::DeserializeOwned>(
    path: &str,
    body: &[u8],
    shared: &Shared,
    change: impl FnOnce(&mut SimState, u64, T) -> Result<(), String>,
) -> HttpResponse {
    let request = match optional_json::<T>(body) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    match change_sale(&mut shared.lock(), path, |state, id| {
        change(state, id, request)
    }) {
        Ok(sale) => rails::json(StatusCode::OK, &sale),
        Err(message) => unprocessable(&message),
    }
}

/// `POST /_sim/sales/<sale id>/refund {amount_cents?}` → the sale.
async fn refund(
    path: web::Path<String>,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    sale_control(&path, &body, &shared, |state, id, request: Refund| {
        refund_by_id(state, id, request.amount_cents)
    })
}

#[derive(Default, Deserialize)]
struct Dispute {
    #[serde(default)]
    won: bool,
}

/// `POST /_sim/sales/<sale id>/dispute {won?}` → the sale, `disputed` (and `dispute_won` if won);
/// pings `dispute` (and `dispute_won`).
async fn dispute(
    path: web::Path<String>,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    sale_control(&path, &body, &shared, |state, id, request: Dispute| {
        state.sales.dispute(id, request.won);
        pings::fire_sale(state, id, "dispute");
        if request.won {
            pings::fire_sale(state, id, "dispute_won");
        }
        Ok(())
    })
}

/// `POST /_sim/sales/<sale id>/chargeback` → the sale, disputed and not won (`chargedback`); pings
/// `dispute`.
async fn chargeback(path: web::Path<String>, shared: web::Data<Shared>) -> HttpResponse {
    sale_control(&path, &[], &shared, |state, id, (): ()| {
        state.sales.dispute(id, false);
        pings::fire_sale(state, id, "dispute");
        Ok(())
    })
}

/// `POST /_sim/sales/<sale id>/dispute_won` → the sale, its dispute won; pings `dispute_won`. A sale
/// never disputed is refused.
async fn dispute_won(path: web::Path<String>, shared: web::Data<Shared>) -> HttpResponse {
    sale_control(&path, &[], &shared, |state, id, (): ()| {
        if !state
            .sales
            .get(id)
            .is_some_and(|s| s.has(crate::sim::sales::flag::DISPUTED))
        {
            return Err("the sale is not disputed".to_owned());
        }
        state.sales.dispute(id, true);
        pings::fire_sale(state, id, "dispute_won");
        Ok(())
    })
}

/// Every listed sale of the creator (either id), newest first, as the API renders it.
pub(crate) fn sales_of(state: &SimState, creator_id: &str) -> Vec<serde_json::Value> {
    state
        .creator_by_either_id(creator_id)
        .and_then(|c| state.creator_index(&c.id))
        .map_or_else(Vec::new, |creator| all_rendered(state, creator))
}
