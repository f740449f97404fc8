//! Offer codes: create (fixed or percent, product-only or universal, optional cap), change the cap
//! (the only thing Gumroad lets change), delete.

use actix_web::{HttpResponse, Responder, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::confirm::{ConfirmDelete, confirm_page};
use super::csrf::{CsrfForm, CsrfOnly, CsrfProtected};
use super::current_creator::CurrentCreator;
use super::error::AppError;
use super::forms::{FormErrors, done, unprocessable};
use super::layout::{Layout, Nav};
use super::state::AppState;
use super::views::{OfferCodeView, ProductView, product_href};
use crate::domain::{Currency, Discount, OfferCodeName, parse_optional_limit};
use crate::gumroad::{GumroadError, NewOfferCode, OfferCode, OfferDiscount};

#[derive(Deserialize)]
pub struct CodePath {
    id: String,
    code: String,
}

#[derive(Deserialize)]
pub struct OfferCodeForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default = "default_kind")]
    kind: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    max_purchase_count: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    universal: Option<String>,
}

fn default_kind() -> String {
    "percent".to_owned()
}

impl Default for OfferCodeForm {
    fn default() -> Self {
        Self {
            csrf_token: String::new(),
            name: String::new(),
            kind: default_kind(),
            amount: String::new(),
            max_purchase_count: String::new(),
            universal: None,
        }
    }
}

impl CsrfProtected for OfferCodeForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl OfferCodeForm {
    fn is_percent(&self) -> bool {
        self.kind == "percent"
    }

    fn is_universal(&self) -> bool {
        self.universal.is_some()
    }

    fn parse(&self, currency: Currency) -> Result<NewOfferCode, FormErrors> {
        let mut errors = FormErrors::default();
        let name = errors.check("name", OfferCodeName::parse(&self.name));
        let discount = errors.check(
            "amount",
            Discount::parse(&self.kind, &self.amount, currency),
        );
        let max = errors.check(
            "max_purchase_count",
            parse_optional_limit(&self.max_purchase_count),
        );
        match (name, discount, max) {
            (Some(name), Some(discount), Some(max)) => Ok(NewOfferCode {
                name: name.as_str().to_owned(),
                discount: match discount {
                    Discount::Percent(percent) => OfferDiscount::Percent(i64::from(percent)),
                    Discount::Fixed(money) => OfferDiscount::Fixed(money.amount),
                },
                max_purchase_count: max,
                universal: self.is_universal(),
            }),
            _ => Err(errors),
        }
    }
}

/// Where Gumroad's offer-code messages belong.
const OFFER_CODE_FIELDS: &[(&str, &str)] = &[
    ("discount code can", "name"),
    ("discount code must", "name"),
    ("quantity", "max_purchase_count"),
    ("discount", "amount"),
];

#[derive(Template, WebTemplate)]
#[template(path = "offer_codes/form.html")]
struct NewCodePage {
    layout: Layout,
    product: ProductView,
    form: OfferCodeForm,
    errors: FormErrors,
}

async fn product_view(
    current: &CurrentCreator,
    state: &AppState,
    id: &str,
) -> Result<ProductView, AppError> {
    let gumroad = state.gumroad(current.tenant()).await?;
    let product = gumroad.live_product(id).await?;
    Ok(ProductView::from(&product))
}

fn new_code_page(
    current: &CurrentCreator,
    state: &AppState,
    product: ProductView,
    form: OfferCodeForm,
    errors: FormErrors,
) -> Result<NewCodePage, AppError> {
    Ok(NewCodePage {
        layout: Layout::signed_in(&current.session, &current.creator, state, Nav::Products)?,
        product,
        form,
        errors,
    })
}

#[get("/products/{id}/offer-codes/new")]
pub async fn new(
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<impl Responder, AppError> {
    let product = product_view(&current, &state, &id).await?;
    new_code_page(
        &current,
        &state,
        product,
        OfferCodeForm::default(),
        FormErrors::default(),
    )
}

#[post("/products/{id}/offer-codes")]
pub async fn create(
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: CsrfForm<OfferCodeForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let product = product_view(&current, &state, &id).await?;
    let rerender = |product, form, errors| -> Result<HttpResponse, AppError> {
        let page = new_code_page(&current, &state, product, form, errors)?;
        unprocessable(&page)
    };
    let Some(currency) = product.currency else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "product in an unknown currency"
        )));
    };
    let code = match form.parse(currency) {
        Ok(code) => code,
        Err(errors) => return rerender(product, form, errors),
    };
    let gumroad = state.gumroad(current.tenant()).await?;
    match gumroad
        .call(async |api, token| api.create_offer_code(token, &id, &code).await)
        .await
    {
        Ok(created) => done(
            &current.session,
            format!("Created the offer code {}.", created.name),
            &format!("{}#offer-codes", product.href),
        ),
        Err(GumroadError::Rejected { message }) => rerender(
            product,
            form,
            FormErrors::from_gumroad(&message, OFFER_CODE_FIELDS),
        ),
        Err(error) => Err(AppError::write_failed(error, &product.href)),
    }
}

#[derive(Deserialize)]
pub struct LimitForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    max_purchase_count: String,
}

impl CsrfProtected for LimitForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "offer_codes/limit.html")]
struct LimitPage {
    layout: Layout,
    product: ProductView,
    code: OfferCodeView,
    max_purchase_count: String,
    errors: FormErrors,
}

/// Gumroad has no single-code read that is cheaper than the product's list, and the list is what
/// the product page shows, so the code is found there.
async fn find_code(
    current: &CurrentCreator,
    state: &AppState,
    id: &str,
    code: &str,
) -> Result<(ProductView, OfferCode), AppError> {
    let gumroad = state.gumroad(current.tenant()).await?;
    let (product, codes) = tokio::try_join!(gumroad.live_product(id), async {
        gumroad
            .call(async |api, token| api.offer_codes(token, id).await)
            .await
            .map_err(AppError::from)
    })?;
    let found = codes
        .into_iter()
        .find(|c| c.id == code)
        .ok_or(AppError::NotFound)?;
    Ok((ProductView::from(&product), found))
}

fn limit_page(
    current: &CurrentCreator,
    state: &AppState,
    product: ProductView,
    code: &OfferCode,
    max_purchase_count: String,
    errors: FormErrors,
) -> Result<LimitPage, AppError> {
    let code = OfferCodeView::new(code, &product.href, product.currency);
    Ok(LimitPage {
        layout: Layout::signed_in(&current.session, &current.creator, state, Nav::Products)?,
        product,
        code,
        max_purchase_count,
        errors,
    })
}

#[get("/products/{id}/offer-codes/{code}/edit")]
pub async fn edit_limit(
    current: CurrentCreator,
    state: web::Data<AppState>,
    path: web::Path<CodePath>,
) -> Result<impl Responder, AppError> {
    let (product, code) = find_code(&current, &state, &path.id, &path.code).await?;
    let current_limit = code
        .max_purchase_count
        .map(|n| n.to_string())
        .unwrap_or_default();
    limit_page(
        &current,
        &state,
        product,
        &code,
        current_limit,
        FormErrors::default(),
    )
}

#[post("/products/{id}/offer-codes/{code}")]
pub async fn update_limit(
    current: CurrentCreator,
    state: web::Data<AppState>,
    path: web::Path<CodePath>,
    form: CsrfForm<LimitForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let (product, code) = find_code(&current, &state, &path.id, &path.code).await?;
    let rerender = |product, errors| -> Result<HttpResponse, AppError> {
        let page = limit_page(
            &current,
            &state,
            product,
            &code,
            form.max_purchase_count.clone(),
            errors,
        )?;
        unprocessable(&page)
    };
    let limit = match parse_optional_limit(&form.max_purchase_count) {
        Ok(limit) => limit,
        Err(error) => {
            let mut errors = FormErrors::default();
            errors.add("max_purchase_count", error.to_string());
            return rerender(product, errors);
        }
    };
    let gumroad = state.gumroad(current.tenant()).await?;
    let saved = gumroad
        .call(async |api, token| {
            api.set_offer_code_limit(token, &path.id, &path.code, limit)
                .await
        })
        .await;
    match saved {
        Ok(saved) => done(
            &current.session,
            format!("Updated the limit of {}.", saved.name),
            &format!("{}#offer-codes", product.href),
        ),
        Err(GumroadError::Rejected { message }) => rerender(
            product,
            FormErrors::from_gumroad(&message, &[("", "max_purchase_count")]),
        ),
        Err(error) => Err(AppError::write_failed(error, &product.href)),
    }
}

#[get("/products/{id}/offer-codes/{code}/delete")]
pub async fn confirm_delete(
    current: CurrentCreator,
    state: web::Data<AppState>,
    path: web::Path<CodePath>,
) -> Result<impl Responder, AppError> {
    let (product, code) = find_code(&current, &state, &path.id, &path.code).await?;
    let view = OfferCodeView::new(&code, &product.href, product.currency);
    confirm_page(
        &current,
        &state,
        ConfirmDelete {
            what: "offer code",
            name: code.name,
            consequence: if code.universal {
                "It is a universal code: it stops working on all your products, not only this one. Past discounts are unaffected."
            } else {
                "Buyers can no longer use it; past discounts are unaffected."
            },
            action: format!("{}/delete", view.href),
            cancel: format!("{}#offer-codes", product.href),
        },
    )
}

#[post("/products/{id}/offer-codes/{code}/delete")]
pub async fn delete(
    current: CurrentCreator,
    state: web::Data<AppState>,
    path: web::Path<CodePath>,
    _form: CsrfForm<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    let gumroad = state.gumroad(current.tenant()).await?;
    gumroad
        .call(async |api, token| api.delete_offer_code(token, &path.id, &path.code).await)
        .await
        .map_err(|error| AppError::write_failed(error, &product_href(&path.id)))?;
    done(
        &current.session,
        "Offer code deleted.",
        &format!("{}#offer-codes", product_href(&path.id)),
    )
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(new)
        .service(create)
        .service(edit_limit)
        .service(update_limit)
        .service(confirm_delete)
        .service(delete);
}
