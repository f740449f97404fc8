use std::ops::Deref;
use std::sync::Arc;

use secrecy::SecretString;
use tokio::sync::Semaphore;

use crate::config::ActionSettings;
use crate::context::{AccessError, Context, CreatorApi};
use crate::domain::TenantId;
use crate::gumroad::{GumroadError, OAuthClient, Product};
use crate::jobs::Queue;
use crate::store;
use crate::sync::SyncSettings;

use super::error::AppError;
use super::product_cache::ProductListCache;

/// What every handler may use; built once in `startup`, shared by all workers. The per-creator
/// Gumroad access lives in the shared [`Context`] (workers use it too); this adds what only the web
/// side needs. `state.pool`, `state.api` and `state.keys` reach the context's fields.
pub struct AppState {
    pub ctx: Context,
    pub oauth: OAuthClient,
    pub queue: Queue,
    pub sync: SyncSettings,
    /// Operators named in the configuration; `gumdash admin grant` adds more in the database.
    pub admin_gumroad_ids: Vec<String>,
    /// Whose `X-Forwarded-For` is believed (see [`super::client_addr`]).
    pub trusted_proxies: super::client_addr::TrustedProxies,
    /// For the health page's uptime.
    pub started_at: std::time::Instant,
    pub product_lists: ProductListCache,
    /// The overview's figures per creator, range and rollup version.
    pub overview_figures: super::overview::OverviewFigures,
    /// The sales list's totals and product choices per creator and rollup version.
    pub sales_list_figures: super::sales::ListFigures,
    /// Each product's sales and revenue per creator and rollup version (the product pages).
    pub product_figures: super::sales::ProductFiguresCache,
    /// Each creator's half of the product writes Gumroad allows this instance's address.
    pub product_writes: super::write_share::ProductWriteShare,
    /// The Gumroad API the sale actions speak to and the scopes they may ask for.
    pub actions: ActionSettings,
    /// One permit per CSV export streaming from this instance (`exports_at_once`).
    pub exports: Arc<Semaphore>,
    /// `/metrics` answers only this bearer token; `None`: it does not exist.
    pub metrics_token: Option<SecretString>,
    /// The bundled simulator, in demo mode only (`Settings::demo_sim_url`).
    pub demo_sim: Option<super::webhooks::DemoSim>,
}

impl Deref for AppState {
    type Target = Context;

    fn deref(&self) -> &Context {
        &self.ctx
    }
}

impl From<AccessError> for AppError {
    fn from(error: AccessError) -> Self {
        match error {
            AccessError::NotConnected => AppError::Reconnect,
            AccessError::Unreadable(error) => AppError::Internal(error),
            AccessError::Database(error) => AppError::Database(error),
        }
    }
}

impl AppState {
    /// Whether this Gumroad account is an operator: named in `GUMDASH_ADMIN_GUMROAD_IDS` or granted
    /// with `gumdash admin grant` (read on every call, so a revoke takes effect at the next request).
    pub async fn is_admin(&self, gumroad_user_id: &str) -> Result<bool, sqlx::Error> {
        if self.is_configured_admin(gumroad_user_id) {
            return Ok(true);
        }
        store::operators::is_operator(&self.pool, gumroad_user_id).await
    }

    /// Named an operator in `GUMDASH_ADMIN_GUMROAD_IDS` (the `operators` table counts too).
    pub fn is_configured_admin(&self, gumroad_user_id: &str) -> bool {
        self.admin_gumroad_ids
            .iter()
            .any(|id| id == gumroad_user_id)
    }

    /// The creator's token, decrypted just before a Gumroad call.
    pub async fn creator_token(&self, tenant: TenantId) -> Result<SecretString, AppError> {
        Ok(self.ctx.creator_token(tenant).await?)
    }

    /// The creator's Gumroad access for this request.
    pub async fn gumroad(&self, tenant: TenantId) -> Result<Gumroad<'_>, AppError> {
        Ok(Gumroad(self.ctx.creator_api(tenant).await?))
    }

    /// Bookkeeping after a failed Gumroad call, then the error page to show.
    pub async fn gumroad_failed(&self, tenant: TenantId, error: GumroadError) -> AppError {
        self.ctx.book_failure(tenant, &error).await;
        AppError::from(error)
    }

    /// After a product was created, changed, (un)published or deleted, or may have been: no
    /// instance may show its cached list of this creator's products any more.
    pub async fn product_list_changed(&self, tenant: TenantId) {
        self.product_lists.forget(tenant);
        if let Err(db_error) = store::creators::bump_catalog_version(&self.pool, tenant).await {
            tracing::error!(%tenant, %db_error, "could not mark the product list as changed");
        }
    }

    pub async fn gumroad_succeeded(&self, tenant: TenantId) {
        self.ctx.book_success(tenant).await;
    }
}

/// A signed-in creator's Gumroad access for one request (see [`CreatorApi`]), with the lookups
/// pages share.
pub struct Gumroad<'a>(CreatorApi<'a>);

impl<'a> Deref for Gumroad<'a> {
    type Target = CreatorApi<'a>;

    fn deref(&self) -> &CreatorApi<'a> {
        &self.0
    }
}

impl Gumroad<'_> {
    /// A product that exists and is not deleted (Gumroad's show finds deleted ones too); anything
    /// else is our 404.
    pub async fn live_product(&self, id: &str) -> Result<Product, AppError> {
        let product = self
            .call(async |api, token| api.product(token, id).await)
            .await?;
        if product.deleted {
            return Err(AppError::NotFound);
        }
        Ok(product)
    }
}
