//! `GET /sales/{id}`: one sale, every stored field in readable form. Another creator's sale id is a
//! 404 like an unknown one: the lookup is scoped to the signed-in creator.

use actix_web::{Responder, get, web};
use askama::Template;
use askama_web::WebTemplate;
use chrono_tz::Tz;
use serde_json::Value;

use super::access::{Offer, Scopes};
use super::view::{Moment, badges, custom_field_text, money, sale_amount, sale_href, usd};
use crate::domain::{SaleAction, bool_of};
use crate::store::audit::{self, Action, SaleEvent};
use crate::store::sales::{self, StoredSale};
use crate::web::current_creator::CurrentCreator;
use crate::web::error::AppError;
use crate::web::layout::{Layout, Nav};
use crate::web::state::AppState;
use crate::web::views::product_href;

/// A titled group of (label, value) rows.
pub struct Section {
    pub title: &'static str,
    pub rows: Vec<(&'static str, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "sales/show.html")]
struct ShowPage {
    layout: Layout,
    title: String,
    when: Moment,
    amount: String,
    product_href: String,
    badges: Vec<(&'static str, &'static str)>,
    sections: Vec<Section>,
    gumroad_url: Option<String>,
    actions: Vec<ActionLine>,
    license: Option<LicensePanel>,
    history: Vec<HistoryLine>,
}

#[get("/sales/{id}")]
pub async fn show(
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<impl Responder, AppError> {
    if id.contains('\0') {
        return Err(AppError::NotFound);
    }
    // Three independent reads at once, each on its own connection (the history is keyed by the
    // same Gumroad sale id the sale is looked up by).
    let (sale, scopes, events) = tokio::try_join!(
        async { Ok::<_, AppError>(sales::find(&state.pool, current.tenant(), &id).await?) },
        Scopes::of(&state, &current),
        async { Ok(audit::for_sale(&state.pool, current.tenant(), &id).await?) },
    )?;
    let sale = sale.ok_or(AppError::NotFound)?;
    let zone: Tz = current.creator.time_zone.parse().unwrap_or(Tz::UTC);
    Ok(ShowPage {
        actions: action_lines(&state, &scopes, &sale),
        license: license_panel(&state, &scopes, &sale),
        history: events.iter().map(|e| HistoryLine::new(e, zone)).collect(),
        layout: Layout::signed_in(&current.session, &current.creator, &state, Nav::Sales)?,
        title: sale.row.product_name.clone(),
        when: Moment::new(sale.row.created_at, zone),
        amount: sale_amount(&sale.row),
        product_href: product_href(&sale.row.product_id),
        badges: badges(&sale.row),
        gumroad_url: text(&sale.raw, "transaction_url_for_seller")
            .filter(|u| u.starts_with("https://")),
        sections: sections(&sale),
    })
}

fn text(raw: &Value, key: &str) -> Option<String> {
    match raw.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "Yes" } else { "No" }.into()),
        _ => None,
    }
}

/// Pushes `(label, value)` when there is a value.
fn row(rows: &mut Vec<(&'static str, String)>, label: &'static str, value: Option<String>) {
    if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
        rows.push((label, value));
    }
}

fn sections(sale: &StoredSale) -> Vec<Section> {
    let raw = &sale.raw;
    let r = &sale.row;
    let mut order = Vec::new();
    row(&mut order, "Sale id", Some(r.gumroad_id.clone()));
    row(
        &mut order,
        "Order number",
        sale.details.order_id.map(|o| o.to_string()),
    );
    row(&mut order, "Quantity", Some(r.quantity.to_string()));
    row(&mut order, "Variants", sale.details.variants.clone());
    row(&mut order, "Offer code", sale.details.offer_code.clone());
    row(&mut order, "Paid", Some(sale_amount(r)));
    row(
        &mut order,
        "Price in USD (Gumroad's figure)",
        Some(usd(r.price_usd_cents)),
    );
    row(
        &mut order,
        "Gumroad fee (USD)",
        sale.details.fee_usd_cents.map(usd),
    );
    row(&mut order, "License key", sale.details.license_key.clone());
    row(&mut order, "Referrer", sale.details.referrer.clone());

    let mut buyer = Vec::new();
    row(&mut buyer, "Name", r.full_name.clone());
    row(&mut buyer, "Email", r.email.clone());
    row(&mut buyer, "Country", sale.details.country.clone());
    row(&mut buyer, "Gumroad buyer id", text(raw, "purchaser_id"));
    row(&mut buyer, "Gift for", text(raw, "giftee_email"));
    row(&mut buyer, "Gift from", text(raw, "gifter_email"));
    row(
        &mut buyer,
        "May be contacted",
        raw.get("can_contact")
            .and_then(|_| text(raw, "can_contact")),
    );

    let mut custom = Vec::new();
    if let Some(Value::Object(fields)) = raw.get("custom_fields") {
        for (name, value) in fields {
            custom.push(("", format!("{name}: {}", custom_field_text(value))));
        }
    }

    let mut money_state = Vec::new();
    if r.refunded || r.partially_refunded {
        row(
            &mut money_state,
            "Refunded",
            Some(money(r.refunded_cents, r.currency.as_deref())),
        );
    }
    if r.partially_refunded {
        row(
            &mut money_state,
            "Still refundable",
            sale.details
                .refundable_cents
                .map(|c| money(c, r.currency.as_deref())),
        );
    }
    if r.disputed {
        row(
            &mut money_state,
            "Dispute",
            Some(if r.dispute_won { "Won" } else { "Open or lost" }.into()),
        );
    }
    if r.chargedback {
        row(&mut money_state, "Chargeback", Some("Charged back".into()));
    }

    let mut shipping = Vec::new();
    if sale.details.is_physical {
        let address: Vec<String> = ["street_address", "city", "state", "zip_code", "country"]
            .iter()
            .filter_map(|k| text(raw, k))
            .collect();
        row(&mut shipping, "Address", Some(address.join(", ")));
        row(
            &mut shipping,
            "Shipped",
            Some(
                if sale.details.shipped {
                    "Yes"
                } else {
                    "Not yet"
                }
                .into(),
            ),
        );
        row(&mut shipping, "Tracking", text(raw, "tracking_url"));
    }

    let mut subscription = Vec::new();
    row(
        &mut subscription,
        "Subscription id",
        sale.details.subscription_id.clone(),
    );
    if sale.details.subscription_id.is_some() {
        row(&mut subscription, "Billing", text(raw, "recurrence"));
        row(
            &mut subscription,
            "Recurring charge",
            Some(
                if bool_of(raw, "is_recurring_billing") {
                    "Yes"
                } else {
                    "No (first payment)"
                }
                .into(),
            ),
        );
        for (key, label) in [
            ("cancelled", "Cancelled"),
            ("ended", "Ended"),
            ("dead", "Inactive"),
        ] {
            if bool_of(raw, key) {
                row(&mut subscription, label, Some("Yes".into()));
            }
        }
    }

    [
        ("Order", order),
        ("Buyer", buyer),
        ("Custom fields", custom),
        ("Refunds and disputes", money_state),
        ("Shipping", shipping),
        ("Subscription", subscription),
    ]
    .into_iter()
    .filter(|(_, rows)| !rows.is_empty())
    .map(|(title, rows)| Section { title, rows })
    .collect()
}

/// One action the sale page offers: a link or a one-button form, or what stands in its way.
pub struct ActionLine {
    pub label: &'static str,
    pub href: String,
    /// A one-button POST form (with the CSRF token) rather than a link to a page.
    pub post: bool,
    pub offer: Option<Offer>,
}

fn action_lines(state: &AppState, scopes: &Scopes, sale: &StoredSale) -> Vec<ActionLine> {
    let href = sale_href(&sale.row.gumroad_id);
    let r = &sale.row;
    let mut lines = Vec::new();
    let mut push = |action, label, path: &str, post| {
        let target = format!("{href}{path}");
        let back = if post { href.clone() } else { target.clone() };
        lines.push(ActionLine {
            label,
            offer: scopes.offer(state, action, &back),
            href: target,
            post,
        });
    };
    if !r.refunded && r.price_usd_cents > 0 {
        push(SaleAction::Refund, "Refund…", "/refund", false);
    }
    if sale.details.is_physical {
        let label = if sale.details.shipped {
            "Update the tracking link…"
        } else {
            "Mark as shipped…"
        };
        push(SaleAction::MarkShipped, label, "/ship", false);
    }
    push(
        SaleAction::ResendReceipt,
        "Resend the receipt",
        "/receipt",
        true,
    );
    lines
}

/// The sale's license key, its state as Gumroad last sent it, and what can be done to it.
pub struct LicensePanel {
    pub key: String,
    pub enabled: bool,
    pub lookup_href: String,
    pub change_href: String,
    pub offer: Option<Offer>,
}

fn license_panel(state: &AppState, scopes: &Scopes, sale: &StoredSale) -> Option<LicensePanel> {
    let key = sale.details.license_key.clone()?;
    let href = sale_href(&sale.row.gumroad_id);
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("product", &sale.row.product_id)
        .append_pair("key", &key)
        .finish();
    Some(LicensePanel {
        enabled: !bool_of(&sale.raw, "license_disabled"),
        lookup_href: format!("/licenses?{query}"),
        change_href: format!("{href}/license"),
        offer: scopes.offer(state, SaleAction::ChangeLicense, &href),
        key,
    })
}

/// One audited action in the sale's history.
pub struct HistoryLine {
    pub when: Moment,
    pub what: String,
    pub result: String,
}

impl HistoryLine {
    fn new(event: &SaleEvent, zone: Tz) -> Self {
        let d = &event.detail;
        let amount = d
            .get("amount_cents")
            .and_then(Value::as_i64)
            .map(|cents| money(cents, d.get("currency").and_then(Value::as_str)));
        let what = match (Action::parse(&event.action), amount) {
            (Some(Action::SaleRefund), Some(amount)) => format!("Refund of {amount}"),
            (Some(Action::SaleRefund), None) => "Refund of everything left".to_owned(),
            (Some(Action::SaleMarkAsShipped), _) => {
                match d.get("tracking_url").and_then(Value::as_str) {
                    Some(url) => format!("Marked as shipped, tracking {url}"),
                    None => "Marked as shipped".to_owned(),
                }
            }
            (Some(Action::SaleResendReceipt), _) => "Receipt sent again".to_owned(),
            (Some(Action::LicenseChange), _) => format!(
                "License key: {}",
                d.get("change").and_then(Value::as_str).unwrap_or("change")
            ),
            (Some(other), _) => other.label().to_owned(),
            (None, _) => event.action.clone(),
        };
        let message = d.get("message").and_then(Value::as_str).unwrap_or("");
        let result = match d.get("result").and_then(Value::as_str).unwrap_or("") {
            "done" => "Done".to_owned(),
            "refused" => format!("Refused: {message}"),
            "missing_scope" => "Not done: more access was needed".to_owned(),
            "not_sent" => format!("Not done: {message}"),
            "unknown" => "Unknown: Gumroad's answer was lost".to_owned(),
            other => other.to_owned(),
        };
        Self {
            when: Moment::new(event.at, zone),
            what,
            result,
        }
    }
}
