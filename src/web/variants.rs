//! Variant categories ("Format", "Tier") and their variants ("PDF", "Hardcover").

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
use super::views::{ProductView, path_segment, product_href};
use crate::domain::{Currency, Money, PriceDifference, RequiredName, parse_optional_limit};
use crate::gumroad::{GumroadError, VariantFields};

#[derive(Deserialize)]
pub struct CategoryPath {
    id: String,
    category: String,
}

#[derive(Deserialize)]
pub struct VariantPath {
    id: String,
    category: String,
    variant: String,
}

fn category_href(id: &str, category: &str) -> String {
    format!(
        "{}/variant-categories/{}",
        product_href(id),
        path_segment(category)
    )
}

// ---------------------------------------------------------------- categories

#[derive(Deserialize, Default)]
pub struct CategoryForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    title: String,
}

impl CsrfProtected for CategoryForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "variants/category_form.html")]
struct CategoryFormPage {
    layout: Layout,
    product: ProductView,
    /// Where the form posts; set for renaming.
    action: String,
    renaming: bool,
    title: String,
    errors: FormErrors,
}

async fn category_form(
    current: &CurrentCreator,
    state: &AppState,
    id: &str,
    category: Option<&str>,
    title: Option<String>,
    errors: FormErrors,
) -> Result<CategoryFormPage, AppError> {
    let gumroad = state.gumroad(current.tenant()).await?;
    let (product, existing) = tokio::try_join!(gumroad.live_product(id), async {
        match category {
            Some(category) => gumroad
                .call(async |api, token| api.variant_category(token, id, category).await)
                .await
                .map(Some)
                .map_err(AppError::from),
            None => Ok(None),
        }
    })?;
    let product = ProductView::from(&product);
    Ok(CategoryFormPage {
        layout: Layout::signed_in(&current.session, &current.creator, state, Nav::Products)?,
        action: match category {
            Some(category) => category_href(id, category),
            None => format!("{}/variant-categories", product.href),
        },
        renaming: category.is_some(),
        title: title
            .or_else(|| existing.map(|c| c.title))
            .unwrap_or_default(),
        product,
        errors,
    })
}

#[get("/products/{id}/variant-categories/new")]
pub async fn new_category(
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<impl Responder, AppError> {
    category_form(&current, &state, &id, None, None, FormErrors::default()).await
}

#[get("/products/{id}/variant-categories/{category}/edit")]
pub async fn edit_category(
    current: CurrentCreator,
    state: web::Data<AppState>,
    path: web::Path<CategoryPath>,
) -> Result<impl Responder, AppError> {
    category_form(
        &current,
        &state,
        &path.id,
        Some(&path.category),
        None,
        FormErrors::default(),
    )
    .await
}

#[post("/products/{id}/variant-categories")]
pub async fn create_category(
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: CsrfForm<CategoryForm>,
) -> Result<HttpResponse, AppError> {
    save_category(&current, &state, &id, None, form.0).await
}

#[post("/products/{id}/variant-categories/{category}")]
pub async fn rename_category(
    current: CurrentCreator,
    state: web::Data<AppState>,
    path: web::Path<CategoryPath>,
    form: CsrfForm<CategoryForm>,
) -> Result<HttpResponse, AppError> {
    save_category(&current, &state, &path.id, Some(&path.category), form.0).await
}

async fn save_category(
    current: &CurrentCreator,
    state: &AppState,
    id: &str,
    category: Option<&str>,
    form: CategoryForm,
) -> Result<HttpResponse, AppError> {
    // Gumroad would accept a blank title; a nameless category only confuses buyers.
    let title = match RequiredName::parse(&form.title) {
        Ok(title) => title,
        Err(error) => {
            let mut errors = FormErrors::default();
            errors.add("title", error.to_string());
            let page =
                category_form(current, state, id, category, Some(form.title), errors).await?;
            return unprocessable(&page);
        }
    };
    let gumroad = state.gumroad(current.tenant()).await?;
    let saved = match category {
        Some(category) => {
            gumroad
                .call(async |api, token| {
                    api.rename_variant_category(token, id, category, title.as_str())
                        .await
                })
                .await
        }
        None => {
            gumroad
                .call(async |api, token| {
                    api.create_variant_category(token, id, title.as_str()).await
                })
                .await
        }
    };
    match saved {
        Ok(saved) => done(
            &current.session,
            format!("Saved the variant category “{}”.", saved.title),
            &product_href(id),
        ),
        Err(GumroadError::Rejected { message }) => {
            let errors = FormErrors::from_gumroad(&message, &[("title", "title")]);
            let page =
                category_form(current, state, id, category, Some(form.title), errors).await?;
            unprocessable(&page)
        }
        Err(error) => Err(AppError::write_failed(error, &product_href(id))),
    }
}

#[get("/products/{id}/variant-categories/{category}/delete")]
pub async fn confirm_delete_category(
    current: CurrentCreator,
    state: web::Data<AppState>,
    path: web::Path<CategoryPath>,
) -> Result<impl Responder, AppError> {
    let gumroad = state.gumroad(current.tenant()).await?;
    let category = gumroad
        .call(async |api, token| api.variant_category(token, &path.id, &path.category).await)
        .await?;
    let href = category_href(&path.id, &path.category);
    confirm_page(
        &current,
        &state,
        ConfirmDelete {
            what: "variant category",
            name: category.title,
            consequence: "Its variants go with it.",
            action: format!("{href}/delete"),
            cancel: product_href(&path.id),
        },
    )
}

#[post("/products/{id}/variant-categories/{category}/delete")]
pub async fn delete_category(
    current: CurrentCreator,
    state: web::Data<AppState>,
    path: web::Path<CategoryPath>,
    _form: CsrfForm<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    let gumroad = state.gumroad(current.tenant()).await?;
    gumroad
        .call(async |api, token| {
            api.delete_variant_category(token, &path.id, &path.category)
                .await
        })
        .await
        .map_err(|error| AppError::write_failed(error, &product_href(&path.id)))?;
    done(
        &current.session,
        "Variant category deleted.",
        &product_href(&path.id),
    )
}

// ---------------------------------------------------------------- variants

#[derive(Deserialize, Default)]
pub struct VariantForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    price_difference: String,
    #[serde(default)]
    max_purchase_count: String,
}

impl CsrfProtected for VariantForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl VariantForm {
    fn parse(&self, currency: Currency) -> Result<VariantFields, FormErrors> {
        let mut errors = FormErrors::default();
        let name = errors.check("name", RequiredName::parse(&self.name));
        let difference = if self.price_difference.trim().is_empty() {
            Some(Money::new(0, currency))
        } else {
            errors
                .check(
                    "price_difference",
                    PriceDifference::parse(&self.price_difference, currency),
                )
                .map(|d| d.money())
        };
        let max = errors.check(
            "max_purchase_count",
            parse_optional_limit(&self.max_purchase_count),
        );
        match (name, difference, max) {
            (Some(name), Some(difference), Some(max)) => Ok(VariantFields {
                name: name.as_str().to_owned(),
                description: self.description.trim().to_owned(),
                price_difference_cents: difference.amount,
                max_purchase_count: max,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "variants/variant_form.html")]
struct VariantFormPage {
    layout: Layout,
    product: ProductView,
    category_title: String,
    action: String,
    editing: bool,
    form: VariantForm,
    errors: FormErrors,
}

/// Where Gumroad's variant messages belong.
const VARIANT_FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("price", "price_difference"),
    ("amount", "max_purchase_count"),
];

struct VariantContext {
    product: ProductView,
    currency: Currency,
    category_title: String,
}

async fn variant_context(
    current: &CurrentCreator,
    state: &AppState,
    id: &str,
    category: &str,
) -> Result<VariantContext, AppError> {
    let gumroad = state.gumroad(current.tenant()).await?;
    let (product, category) = tokio::try_join!(gumroad.live_product(id), async {
        gumroad
            .call(async |api, token| api.variant_category(token, id, category).await)
            .await
            .map_err(AppError::from)
    })?;
    let product = ProductView::from(&product);
    let currency = product
        .currency
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("product in an unknown currency")))?;
    Ok(VariantContext {
        product,
        currency,
        category_title: category.title,
    })
}

fn variant_page(
    current: &CurrentCreator,
    state: &AppState,
    context: VariantContext,
    action: String,
    editing: bool,
    form: VariantForm,
    errors: FormErrors,
) -> Result<VariantFormPage, AppError> {
    Ok(VariantFormPage {
        layout: Layout::signed_in(&current.session, &current.creator, state, Nav::Products)?,
        product: context.product,
        category_title: context.category_title,
        action,
        editing,
        form,
        errors,
    })
}

#[get("/products/{id}/variant-categories/{category}/variants/new")]
pub async fn new_variant(
    current: CurrentCreator,
    state: web::Data<AppState>,
    path: web::Path<CategoryPath>,
) -> Result<impl Responder, AppError> {
    let context = variant_context(&current, &state, &path.id, &path.category).await?;
    let action = format!("{}/variants", category_href(&path.id, &path.category));
    variant_page(
        &current,
        &state,
        context,
        action,
        false,
        VariantForm::default(),
        FormErrors::default(),
    )
}

#[get("/products/{id}/variant-categories/{category}/variants/{variant}/edit")]
pub async fn edit_variant(
    current: CurrentCreator,
    state: web::Data<AppState>,
    path: web::Path<VariantPath>,
) -> Result<impl Responder, AppError> {
    let (context, variant) = tokio::try_join!(
        variant_context(&current, &state, &path.id, &path.category),
        async {
            let gumroad = state.gumroad(current.tenant()).await?;
            gumroad
                .call(async |api, token| {
                    api.variant(token, &path.id, &path.category, &path.variant)
                        .await
                })
                .await
                .map_err(AppError::from)
        }
    )?;
    let form = VariantForm {
        csrf_token: String::new(),
        name: variant.name,
        description: variant.description.unwrap_or_default(),
        price_difference: Money::new(variant.price_difference_cents, context.currency)
            .input_value(),
        max_purchase_count: variant
            .max_purchase_count
            .map(|n| n.to_string())
            .unwrap_or_default(),
    };
    let action = format!(
        "{}/variants/{}",
        category_href(&path.id, &path.category),
        path_segment(&path.variant)
    );
    variant_page(
        &current,
        &state,
        context,
        action,
        true,
        form,
        FormErrors::default(),
    )
}

#[post("/products/{id}/variant-categories/{category}/variants")]
pub async fn create_variant(
    current: CurrentCreator,
    state: web::Data<AppState>,
    path: web::Path<CategoryPath>,
    form: CsrfForm<VariantForm>,
) -> Result<HttpResponse, AppError> {
    save_variant(&current, &state, &path.id, &path.category, None, form.0).await
}

#[post("/products/{id}/variant-categories/{category}/variants/{variant}")]
pub async fn update_variant(
    current: CurrentCreator,
    state: web::Data<AppState>,
    path: web::Path<VariantPath>,
    form: CsrfForm<VariantForm>,
) -> Result<HttpResponse, AppError> {
    save_variant(
        &current,
        &state,
        &path.id,
        &path.category,
        Some(&path.variant),
        form.0,
    )
    .await
}

async fn save_variant(
    current: &CurrentCreator,
    state: &AppState,
    id: &str,
    category: &str,
    variant: Option<&str>,
    form: VariantForm,
) -> Result<HttpResponse, AppError> {
    let context = variant_context(current, state, id, category).await?;
    let action = match variant {
        Some(variant) => format!(
            "{}/variants/{}",
            category_href(id, category),
            path_segment(variant)
        ),
        None => format!("{}/variants", category_href(id, category)),
    };
    let rerender = |context, form, errors| -> Result<HttpResponse, AppError> {
        let page = variant_page(
            current,
            state,
            context,
            action.clone(),
            variant.is_some(),
            form,
            errors,
        )?;
        unprocessable(&page)
    };
    let fields = match form.parse(context.currency) {
        Ok(fields) => fields,
        Err(errors) => return rerender(context, form, errors),
    };
    let gumroad = state.gumroad(current.tenant()).await?;
    let saved = match variant {
        Some(variant) => {
            gumroad
                .call(async |api, token| {
                    api.update_variant(token, id, category, variant, &fields)
                        .await
                })
                .await
        }
        None => {
            gumroad
                .call(async |api, token| api.create_variant(token, id, category, &fields).await)
                .await
        }
    };
    match saved {
        Ok(saved) => done(
            &current.session,
            format!("Saved the variant “{}”.", saved.name),
            &product_href(id),
        ),
        Err(GumroadError::Rejected { message }) => rerender(
            context,
            form,
            FormErrors::from_gumroad(&message, VARIANT_FIELDS),
        ),
        Err(error) => Err(AppError::write_failed(error, &product_href(id))),
    }
}

#[get("/products/{id}/variant-categories/{category}/variants/{variant}/delete")]
pub async fn confirm_delete_variant(
    current: CurrentCreator,
    state: web::Data<AppState>,
    path: web::Path<VariantPath>,
) -> Result<impl Responder, AppError> {
    let gumroad = state.gumroad(current.tenant()).await?;
    let variant = gumroad
        .call(async |api, token| {
            api.variant(token, &path.id, &path.category, &path.variant)
                .await
        })
        .await?;
    confirm_page(
        &current,
        &state,
        ConfirmDelete {
            what: "variant",
            name: variant.name,
            consequence: "Buyers can no longer choose it.",
            action: format!(
                "{}/variants/{}/delete",
                category_href(&path.id, &path.category),
                path_segment(&path.variant)
            ),
            cancel: product_href(&path.id),
        },
    )
}

#[post("/products/{id}/variant-categories/{category}/variants/{variant}/delete")]
pub async fn delete_variant(
    current: CurrentCreator,
    state: web::Data<AppState>,
    path: web::Path<VariantPath>,
    _form: CsrfForm<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    let gumroad = state.gumroad(current.tenant()).await?;
    gumroad
        .call(async |api, token| {
            api.delete_variant(token, &path.id, &path.category, &path.variant)
                .await
        })
        .await
        .map_err(|error| AppError::write_failed(error, &product_href(&path.id)))?;
    done(
        &current.session,
        "Variant deleted.",
        &product_href(&path.id),
    )
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Literal segments ("new") before the ones that take an id.
    cfg.service(new_category)
        .service(create_category)
        .service(new_variant)
        .service(create_variant)
        .service(edit_category)
        .service(confirm_delete_category)
        .service(delete_category)
        .service(edit_variant)
        .service(confirm_delete_variant)
        .service(delete_variant)
        .service(update_variant)
        .service(rename_category);
}
