//! Custom fields buyers fill in at checkout: add (type, name, required), toggle required, delete.
//! Gumroad addresses a field by its name.

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
use crate::domain::{CustomFieldKind, parse_custom_field};
use crate::gumroad::{CustomField, GumroadError};

#[derive(Deserialize)]
pub struct FieldPath {
    id: String,
    name: String,
}

fn fields_anchor(id: &str) -> String {
    format!("{}#custom-fields", product_href(id))
}

#[derive(Deserialize, Default)]
pub struct CustomFieldForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    required: Option<String>,
}

impl CsrfProtected for CustomFieldForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "custom_fields/form.html")]
struct NewFieldPage {
    layout: Layout,
    product: ProductView,
    form: CustomFieldForm,
    kinds: [CustomFieldKind; 5],
    errors: FormErrors,
}

async fn new_field_page(
    current: &CurrentCreator,
    state: &AppState,
    id: &str,
    form: CustomFieldForm,
    errors: FormErrors,
) -> Result<NewFieldPage, AppError> {
    let gumroad = state.gumroad(current.tenant()).await?;
    let product = gumroad.live_product(id).await?;
    Ok(NewFieldPage {
        layout: Layout::signed_in(&current.session, &current.creator, state, Nav::Products)?,
        product: ProductView::from(&product),
        form,
        kinds: CustomFieldKind::all(),
        errors,
    })
}

#[get("/products/{id}/custom-fields/new")]
pub async fn new(
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<impl Responder, AppError> {
    new_field_page(
        &current,
        &state,
        &id,
        CustomFieldForm::default(),
        FormErrors::default(),
    )
    .await
}

#[post("/products/{id}/custom-fields")]
pub async fn create(
    current: CurrentCreator,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: CsrfForm<CustomFieldForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    // The type first: what counts as a valid name depends on it (terms need a URL).
    let mut errors = FormErrors::default();
    let parsed = errors
        .check("kind", CustomFieldKind::parse(&form.kind))
        .and_then(|kind| errors.check("name", parse_custom_field(kind.as_str(), &form.name)));
    let Some((kind, name)) = parsed else {
        let page = new_field_page(&current, &state, &id, form, errors).await?;
        return unprocessable(&page);
    };
    let required = form.required.is_some();
    let gumroad = state.gumroad(current.tenant()).await?;
    let created = gumroad
        .call(async |api, token| {
            api.create_custom_field(token, &id, kind.as_str(), name.as_str(), required)
                .await
        })
        .await;
    match created {
        Ok(field) => done(
            &current.session,
            format!("Added the field “{}”.", field.name),
            &fields_anchor(&id),
        ),
        // Gumroad says only "The custom_field was unable to be created." for any problem.
        Err(GumroadError::Rejected { message }) => {
            let mut errors = FormErrors::default();
            errors.general = Some(format!(
                "Gumroad said: {message} Check the name is not already used."
            ));
            let page = new_field_page(&current, &state, &id, form, errors).await?;
            unprocessable(&page)
        }
        Err(error) => Err(AppError::write_failed(error, &fields_anchor(&id))),
    }
}

#[derive(Deserialize)]
pub struct RequiredForm {
    #[serde(default)]
    csrf_token: String,
    /// "true" to make the field required, anything else to make it optional.
    #[serde(default)]
    required: String,
}

impl CsrfProtected for RequiredForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/products/{id}/custom-fields/{name}/required")]
pub async fn set_required(
    current: CurrentCreator,
    state: web::Data<AppState>,
    path: web::Path<FieldPath>,
    form: CsrfForm<RequiredForm>,
) -> Result<HttpResponse, AppError> {
    let required = form.0.required == "true";
    let gumroad = state.gumroad(current.tenant()).await?;
    let field = gumroad
        .call(async |api, token| {
            api.set_custom_field_required(token, &path.id, &path.name, required)
                .await
        })
        .await
        .map_err(|error| AppError::write_failed(error, &fields_anchor(&path.id)))?;
    let now = if field.required {
        "required"
    } else {
        "optional"
    };
    done(
        &current.session,
        format!("“{}” is now {now}.", field.name),
        &fields_anchor(&path.id),
    )
}

async fn find_field(
    current: &CurrentCreator,
    state: &AppState,
    id: &str,
    name: &str,
) -> Result<CustomField, AppError> {
    let gumroad = state.gumroad(current.tenant()).await?;
    let fields = gumroad
        .call(async |api, token| api.custom_fields(token, id).await)
        .await?;
    fields
        .into_iter()
        .find(|f| f.name == name)
        .ok_or(AppError::NotFound)
}

#[get("/products/{id}/custom-fields/{name}/delete")]
pub async fn confirm_delete(
    current: CurrentCreator,
    state: web::Data<AppState>,
    path: web::Path<FieldPath>,
) -> Result<impl Responder, AppError> {
    let field = find_field(&current, &state, &path.id, &path.name).await?;
    confirm_page(
        &current,
        &state,
        ConfirmDelete {
            what: "custom field",
            action: format!(
                "{}/custom-fields/{}/delete",
                product_href(&path.id),
                path_segment(&field.name)
            ),
            name: field.name,
            consequence: "Buyers will no longer be asked for it. A field shared with other products stays on them.",
            cancel: fields_anchor(&path.id),
        },
    )
}

#[post("/products/{id}/custom-fields/{name}/delete")]
pub async fn delete(
    current: CurrentCreator,
    state: web::Data<AppState>,
    path: web::Path<FieldPath>,
    _form: CsrfForm<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    let gumroad = state.gumroad(current.tenant()).await?;
    gumroad
        .call(async |api, token| api.delete_custom_field(token, &path.id, &path.name).await)
        .await
        .map_err(|error| AppError::write_failed(error, &fields_anchor(&path.id)))?;
    done(
        &current.session,
        "Custom field deleted.",
        &fields_anchor(&path.id),
    )
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(new)
        .service(create)
        .service(set_required)
        .service(confirm_delete)
        .service(delete);
}
