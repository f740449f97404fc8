use secrecy::SecretString;
use sqlx::PgPool;

use crate::domain::{CreatorState, TenantId};
use crate::gumroad::{ApiClient, GumroadError, OAuthClient, Product};
use crate::store;
use crate::vault::{KeyRing, Purpose};

use super::error::AppError;
use super::product_cache::ProductListCache;

/// What every handler may use; built once in `startup`, shared by all workers.
pub struct AppState {
    pub pool: PgPool,
    pub keys: KeyRing,
    pub oauth: OAuthClient,
    pub api: ApiClient,
    pub admin_gumroad_ids: Vec<String>,
    pub product_lists: ProductListCache,
}

impl AppState {
    pub fn is_admin(&self, gumroad_user_id: &str) -> bool {
        self.admin_gumroad_ids
            .iter()
            .any(|id| id == gumroad_user_id)
    }

    /// The creator's token, decrypted just before a Gumroad call. No stored token means the creator
    /// must connect again; one we cannot decrypt is an operator problem (a key missing from the ring).
    pub async fn creator_token(&self, tenant: TenantId) -> Result<SecretString, AppError> {
        let connection = store::connections::load(&self.pool, tenant)
            .await?
            .ok_or(AppError::Reconnect)?;
        self.keys
            .open(tenant, Purpose::GumroadAccessToken, &connection.token)
            .map_err(|error| {
                tracing::error!(%tenant, %error, "a stored Gumroad token could not be opened");
                AppError::Internal(error.into())
            })
    }

    /// The creator's Gumroad access for this request.
    pub async fn gumroad(&self, tenant: TenantId) -> Result<Gumroad<'_>, AppError> {
        Ok(Gumroad {
            state: self,
            tenant,
            token: self.creator_token(tenant).await?,
        })
    }

    /// Bookkeeping after a failed Gumroad call, then the error page to show.
    pub async fn gumroad_failed(&self, tenant: TenantId, error: GumroadError) -> AppError {
        self.book_failure(tenant, &error).await;
        AppError::from(error)
    }

    /// A 401 means the creator revoked us, so they are asked to reconnect from now on; other
    /// failures are remembered for the operator. Refusals of bad input are the creator's business.
    async fn book_failure(&self, tenant: TenantId, error: &GumroadError) {
        if matches!(
            error,
            GumroadError::Rejected { .. }
                | GumroadError::NotFound { .. }
                | GumroadError::RouteNotFound
        ) {
            return;
        }
        let recorded = if *error == GumroadError::Unauthorized {
            store::creators::set_state(&self.pool, tenant, CreatorState::NeedsReconnect).await
        } else {
            store::connections::record_error(&self.pool, tenant, &error.summary()).await
        };
        if let Err(db_error) = recorded {
            tracing::error!(%tenant, %db_error, "could not record a Gumroad failure");
        }
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
        if let Err(db_error) = store::connections::record_ok(&self.pool, tenant).await {
            tracing::warn!(%tenant, %db_error, "could not record a Gumroad success");
        }
    }
}

/// A signed-in creator's Gumroad access for one request: the token is decrypted once, and every
/// failure is booked (a 401 asks the creator to reconnect) before the caller decides what to show.
pub struct Gumroad<'a> {
    state: &'a AppState,
    tenant: TenantId,
    token: SecretString,
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

    pub async fn call<T>(
        &self,
        request: impl AsyncFnOnce(&ApiClient, &SecretString) -> Result<T, GumroadError>,
    ) -> Result<T, GumroadError> {
        match request(&self.state.api, &self.token).await {
            Ok(value) => Ok(value),
            Err(error) => {
                self.state.book_failure(self.tenant, &error).await;
                Err(error)
            }
        }
    }
}
