//! Products: the list (search, pages), the detail page with everything hanging off a product,
//! create and edit forms, publish/unpublish and delete with a confirmation step.

use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpResponse, Responder, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use futures_util::future::try_join_all;
use serde::Deserialize;

use super::confirm::{ConfirmDelete, confirm_page};
use super::csrf::{CsrfForm, CsrfOnly, CsrfProtected};
use super::current_creator::CurrentCreator;
use super::error::AppError;
use super::forms::{FormErrors, done, see_other, too_many_requests, unprocessable};
use super::layout::{Layout, Nav};
use super::overview::ProductSales;
use super::product_cache::Listing;
use super::sales::ProductFigures;
use super::session::FlashKind;
use super::state::AppState;
use super::views::{
    CustomFieldView, OfferCodeView, ProductView, VariantCategoryView, product_href,
};
use super::write_share::{ProductWrite, ProductWriteShare};
use crate::domain::{Currency, ProductName, ProductPrice};
use crate::gumroad::{GumroadError, ProductFields};

const PAGE_SIZE: usize = 20;

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    /// Read leniently: `?page=abc` or `?page=` shows the first page.
    #[serde(default)]
    page: String,
    /// Present when the creator asks for a fresh list from Gumroad.
    #[serde(default)]
    refresh: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "products/index.html")]
struct IndexPage {
    layout: Layout,
    products: Vec<ProductView>,
    query: String,
    total: usize,
    page: usize,
    pages: usize,
    show_sales: bool,
    /// Seconds since the list was fetched from Gumroad.
    age_secs: u64,
}

impl IndexPage {
    fn page_link(&self, page: usize) -> String {
        let mut url = format!("/products?page={page}");
        if !self.query.is_empty() {
            url.push_str("&q=");
            url.push_str(
                &url::form_urlencoded::byte_serialize(self.query.as_bytes()).collect::<String>(),
            );
        }
        url
    }
}

/// Gumroad has no name search, so the list is fetched whole (following its pages), kept briefly
/// (see `product_cache`) and filtered here.
#[get("/products")]
pub async fn index(
    current: CurrentCreator,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<impl Responder, AppError> {
    let listing = product_listing(&current, &state, query.refresh.is_some()).await?;
    let products = &listing.products;
    let needle = query.q.trim().to_lowercase();
    let figures =
        ProductFigures::load(&state.pool, &current.creator, &state.product_figures).await?;
    let matching: Vec<ProductView> = products
        .iter()
        .filter(|p| needle.is_empty() || p.name.to_lowercase().contains(&needle))
        .map(|p| ProductView::from(p).with_figures(&p.id, figures.as_deref()))
        .collect();
    let total = matching.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = query
        .page
        .trim()
        .parse::<usize>()
        .unwrap_or(1)
        .clamp(1, pages);
    let show_sales = matching.iter().any(|p| p.sales_count.is_some());
    Ok(IndexPage {
        age_secs: listing.age.as_secs(),
        layout: Layout::signed_in(&current.session, &current.creator, &state, Nav::Products)?,
        products: matching
            .into_iter()
            .skip((page - 1) * PAGE_SIZE)
            .take(PAGE_SIZE)
            .collect(),
        query: query.q.trim().to_owned(),
        total,
        page,
        pages,
        show_sales,
    })
}

async fn product_listing(
    current: &CurrentCreator,
    state: &AppState,
    refresh: bool,
) -> Result<Listing, AppError> {
    let (tenant, version) = (current.tenant(), current.creator.catalog_version);
    if !refresh && let Some(listing) = state.product_lists.get(tenant, version) {
        return Ok(listing);
    }
    let gumroad = state.gumroad(tenant).await?;
    let products = Arc::new(
        gumroad
            .call(async |api, token| api.products(token).await)
            .await?,
    );
    state.product_lists.put(tenant, version, products.clone());
    Ok(Listing {
        products,
        age: Duration::ZERO,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "products/show.html")]
struct ShowPage {
    layout: Layout,
    product: ProductView,
    categories: Vec<VariantCategoryView>,
    offer_codes: Vec<OfferCodeView>,
    custom_fields: Vec<CustomFieldView>,
    /// The product's own figures from the mirror; partial while the first backfill runs.
    sales: ProductSales,
    sales_partial: bool,
    /// The sales list filtered to this product.
    sales_href: String,
}

/// One page, several Gumroad calls: made concurrently, so it costs about two round trips
/// (the variants need their categories' ids first).
#[get("/products/{id}")]
pub async fn show(
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<impl Responder, AppError> {
    let id = id.as_str();
    let gumroad = state.gumroad(current.tenant()).await?;
    let (product, categories, offer_codes, custom_fields) = tokio::try_join!(
        gumroad.call(async |api, token| api.product(token, id).await),
        gumroad.call(async |api, token| api.variant_categories(token, id).await),
        gumroad.call(async |api, token| api.offer_codes(token, id).await),
        gumroad.call(async |api, token| api.custom_fields(token, id).await),
    )?;
    if product.deleted {
        return Err(AppError::NotFound);
    }
    let variants = try_join_all(categories.iter().map(|category| {
        gumroad.call(async |api, token| api.variants(token, id, &category.id).await)
    }))
    .await?;
    let figures =
        ProductFigures::load(&state.pool, &current.creator, &state.product_figures).await?;
    let product = ProductView::from(&product).with_figures(&product.id, figures.as_deref());
    let (href, currency) = (product.href.as_str(), product.currency);
    let sales = ProductSales::load(
        &state.pool,
        current.tenant(),
        id,
        currency,
        &current.creator.time_zone,
    )
    .await?;
    Ok(ShowPage {
        sales,
        sales_partial: figures.is_none(),
        sales_href: format!(
            "/sales?product={}",
            url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
        ),
        layout: Layout::signed_in(&current.session, &current.creator, &state, Nav::Products)?,
        categories: categories
            .iter()
            .zip(&variants)
            .map(|(category, variants)| {
                VariantCategoryView::new(category, href, variants, currency)
            })
            .collect(),
        offer_codes: offer_codes
            .iter()
            .map(|code| OfferCodeView::new(code, href, currency))
            .collect(),
        custom_fields: custom_fields
            .iter()
            .map(|field| CustomFieldView::new(field, href))
            .collect(),
        product,
    })
}

/// The create and edit form's fields, as typed (kept on error).
#[derive(Deserialize, Default, Clone)]
pub struct ProductForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    tags: String,
    /// Set on the edit form of a tiered membership, whose prices are the tiers'.
    #[serde(default)]
    tiered_membership: Option<String>,
}

impl CsrfProtected for ProductForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl ProductForm {
    fn is_tiered_membership(&self) -> bool {
        self.tiered_membership.is_some()
    }

    /// Parses every field, reporting each bad one.
    fn parse(&self) -> Result<ProductFields, FormErrors> {
        let mut errors = FormErrors::default();
        let name = errors.check("name", ProductName::parse(&self.name));
        let price = if self.is_tiered_membership() {
            Some(None)
        } else {
            let currency = errors.check("currency", Currency::parse(&self.currency));
            currency
                .and_then(|c| errors.check("price", ProductPrice::parse(&self.price, c)))
                .map(|price| {
                    let money = price.money();
                    Some((money.amount, money.currency.code().to_owned()))
                })
        };
        match (name, price) {
            (Some(name), Some(price)) if errors.is_empty() => Ok(ProductFields {
                name: name.as_str().to_owned(),
                price,
                description: self.description.trim().to_owned(),
                tags: self
                    .tags
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect(),
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "products/form.html")]
struct FormPage {
    layout: Layout,
    /// `None` when creating.
    product_id: Option<String>,
    form: ProductForm,
    errors: FormErrors,
    currencies: &'static [Currency],
}

impl FormPage {
    fn title(&self) -> &'static str {
        if self.product_id.is_some() {
            "Edit product"
        } else {
            "New product"
        }
    }

    fn action(&self) -> String {
        self.cancel()
    }

    /// The product's page (or the list when creating): where the form posts and where Cancel goes.
    fn cancel(&self) -> String {
        match &self.product_id {
            Some(id) => product_href(id),
            None => "/products".to_owned(),
        }
    }
}

/// Why a product write was not sent, in words.
fn write_share_used(write: ProductWrite, wait: std::time::Duration) -> String {
    let (what, per_minute) = match write {
        ProductWrite::Create => ("new products", ProductWriteShare::per_minute(write)),
        ProductWrite::Save => ("product saves", ProductWriteShare::per_minute(write)),
    };
    format!(
        "Gumroad limits how many {what} this gumdash instance may send a minute, for every creator on it \
         together, so each creator may send {per_minute} a minute. Nothing was sent: wait {} seconds, \
         then send this form again.",
        wait.as_secs().max(1)
    )
}

fn form_page(
    current: &CurrentCreator,
    state: &AppState,
    product_id: Option<String>,
    form: ProductForm,
    errors: FormErrors,
) -> Result<FormPage, AppError> {
    Ok(FormPage {
        layout: Layout::signed_in(&current.session, &current.creator, state, Nav::Products)?,
        product_id,
        form,
        errors,
        currencies: Currency::all(),
    })
}

#[get("/products/new")]
pub async fn new(
    current: CurrentCreator,
    state: web::Data<AppState>,
) -> Result<impl Responder, AppError> {
    let form = ProductForm {
        currency: "usd".into(),
        ..ProductForm::default()
    };
    form_page(&current, &state, None, form, FormErrors::default())
}

#[get("/products/{id}/edit")]
pub async fn edit(
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<impl Responder, AppError> {
    let gumroad = state.gumroad(current.tenant()).await?;
    let product = gumroad.live_product(&id).await?;
    let view = ProductView::from(&product);
    let form = ProductForm {
        csrf_token: String::new(),
        name: product.name.clone(),
        price: view.price_input.clone(),
        currency: product.currency.clone(),
        description: product.description.clone().unwrap_or_default(),
        tags: product.tags.join(", "),
        tiered_membership: product.is_tiered_membership.then(|| "true".to_owned()),
    };
    form_page(
        &current,
        &state,
        Some(product.id),
        form,
        FormErrors::default(),
    )
}

/// Where Gumroad's product messages belong.
const PRODUCT_FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("currency", "currency"),
    ("price", "price"),
    ("tags", "tags"),
];

#[post("/products")]
pub async fn create(
    current: CurrentCreator,
    state: web::Data<AppState>,
    form: CsrfForm<ProductForm>,
) -> Result<HttpResponse, AppError> {
    save(current, state, None, form.0).await
}

#[post("/products/{id}")]
pub async fn update(
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: CsrfForm<ProductForm>,
) -> Result<HttpResponse, AppError> {
    save(current, state, Some(id.into_inner()), form.0).await
}

/// Create and update differ only in the call and the words; validation, Gumroad's refusals and
/// the redirect are the same.
async fn save(
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: Option<String>,
    form: ProductForm,
) -> Result<HttpResponse, AppError> {
    let rerender = |errors: FormErrors,
                    form: ProductForm,
                    id: Option<String>|
     -> Result<HttpResponse, AppError> {
        let page = form_page(&current, &state, id, form, errors)?;
        unprocessable(&page)
    };
    let fields = match form.parse() {
        Ok(fields) => fields,
        Err(errors) => return rerender(errors, form, id),
    };
    let write = if id.is_some() {
        ProductWrite::Save
    } else {
        ProductWrite::Create
    };
    if let Err(wait) = state.product_writes.take(current.tenant(), write) {
        // Nothing was sent: the form comes back as it was, with the wait.
        let mut errors = FormErrors::default();
        errors.general = Some(write_share_used(write, wait));
        let page = form_page(&current, &state, id, form, errors)?;
        return too_many_requests(&page, wait);
    }
    let gumroad = state.gumroad(current.tenant()).await?;
    let saved = match &id {
        Some(id) => {
            gumroad
                .call(async |api, token| api.update_product(token, id, &fields).await)
                .await
        }
        None => {
            gumroad
                .call(async |api, token| api.create_product(token, &fields).await)
                .await
        }
    };
    // Even a failed write may have reached Gumroad: the list is refetched either way.
    state.product_list_changed(current.tenant()).await;
    match saved {
        Ok(product) => {
            let verb = if id.is_some() { "Saved" } else { "Created" };
            done(
                &current.session,
                format!("{verb} “{}”.", product.name),
                &product_href(&product.id),
            )
        }
        Err(GumroadError::Rejected { message }) => {
            rerender(FormErrors::from_gumroad(&message, PRODUCT_FIELDS), form, id)
        }
        // Gumroad before 2026 has no product create/update route at all.
        Err(GumroadError::RouteNotFound) => {
            let mut errors = FormErrors::default();
            errors.general = Some(
                "Creating and editing products is not supported by your Gumroad account's API. \
                 Make this change on gumroad.com instead."
                    .into(),
            );
            rerender(errors, form, id)
        }
        Err(error) => {
            let back = id.as_deref().map_or("/products".to_owned(), product_href);
            Err(AppError::write_failed(error, &back))
        }
    }
}

#[post("/products/{id}/publish")]
pub async fn publish(
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: web::Path<String>,
    _form: CsrfForm<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    set_published(current, state, id.into_inner(), true).await
}

#[post("/products/{id}/unpublish")]
pub async fn unpublish(
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: web::Path<String>,
    _form: CsrfForm<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    set_published(current, state, id.into_inner(), false).await
}

async fn set_published(
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: String,
    published: bool,
) -> Result<HttpResponse, AppError> {
    let gumroad = state.gumroad(current.tenant()).await?;
    let result = gumroad
        .call(async |api, token| api.set_product_published(token, &id, published).await)
        .await;
    state.product_list_changed(current.tenant()).await;
    let back = product_href(&id);
    match result {
        Ok(product) => {
            let verb = if published {
                "Published"
            } else {
                "Unpublished"
            };
            done(
                &current.session,
                format!("{verb} “{}”.", product.name),
                &back,
            )
        }
        // E.g. "You must connect connect at least one payment method…": the creator can act on it.
        Err(GumroadError::Rejected { message }) => {
            let verb = if published { "publish" } else { "unpublish" };
            let problem = format!("Gumroad did not {verb} it: {message}");
            current.session.flash(FlashKind::Error, problem)?;
            Ok(see_other(&back))
        }
        Err(error) => Err(AppError::write_failed(error, &back)),
    }
}

#[get("/products/{id}/delete")]
pub async fn confirm_delete(
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<impl Responder, AppError> {
    let gumroad = state.gumroad(current.tenant()).await?;
    let product = gumroad.live_product(&id).await?;
    let back = product_href(&product.id);
    confirm_page(
        &current,
        &state,
        ConfirmDelete {
            what: "product",
            name: product.name.clone(),
            consequence: "It disappears from your store and from gumdash. Its sales stay in your Gumroad account.",
            action: format!("{back}/delete"),
            cancel: back,
        },
    )
}

#[post("/products/{id}/delete")]
pub async fn delete(
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: web::Path<String>,
    _form: CsrfForm<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    let gumroad = state.gumroad(current.tenant()).await?;
    let deleted = gumroad
        .call(async |api, token| api.delete_product(token, &id).await)
        .await;
    state.product_list_changed(current.tenant()).await;
    deleted.map_err(|error| AppError::write_failed(error, &product_href(&id)))?;
    done(&current.session, "Product deleted.", "/products")
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    // `new` before `show`, or "/products/new" would be taken for a product id.
    cfg.service(index)
        .service(new)
        .service(create)
        .service(show)
        .service(edit)
        .service(update)
        .service(publish)
        .service(unpublish)
        .service(confirm_delete)
        .service(delete);
}
