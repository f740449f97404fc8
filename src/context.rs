//! What web handlers and background workers share: the pool, the key ring and the Gumroad API client,
//! and the one way to act for a creator at Gumroad (decrypt the token just before the call, book a 401 as
//! "needs reconnect", remember other failures for the operator). The sync uses this without importing the
//! web layer; the web layer adds its own caches and OAuth client around it.

use secrecy::SecretString;
use sqlx::PgPool;

use crate::domain::{CreatorState, TenantId};
use crate::gumroad::{ApiClient, GumroadError};
use crate::store;
use crate::vault::{KeyRing, Purpose};

#[derive(Clone)]
pub struct Context {
    pub pool: PgPool,
    pub keys: KeyRing,
    pub api: ApiClient,
    pub metrics: crate::metrics::Metrics,
}

/// Why a creator's Gumroad access could not even be attempted.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// No stored token: the creator must connect (again).
    #[error("the creator has no Gumroad connection")]
    NotConnected,
    /// A stored token we cannot open: an operator problem (a key missing from the ring).
    #[error("a stored Gumroad token could not be opened: {0}")]
    Unreadable(anyhow::Error),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl Context {
    /// The creator's token, decrypted just before a Gumroad call.
    pub async fn creator_token(&self, tenant: TenantId) -> Result<SecretString, AccessError> {
        let connection = store::connections::load(&self.pool, tenant)
            .await?
            .ok_or(AccessError::NotConnected)?;
        self.keys
            .open(tenant, Purpose::GumroadAccessToken, &connection.token)
            .map_err(|error| {
                tracing::error!(%tenant, %error, "a stored Gumroad token could not be opened");
                AccessError::Unreadable(error.into())
            })
    }

    /// The creator's Gumroad access for one piece of work: the token is decrypted once.
    pub async fn creator_api(&self, tenant: TenantId) -> Result<CreatorApi<'_>, AccessError> {
        Ok(CreatorApi {
            ctx: self,
            tenant,
            token: self.creator_token(tenant).await?,
        })
    }

    /// A 401 means the creator revoked us, so they are asked to reconnect from now on; other
    /// failures are remembered for the operator. Refusals of bad input are the creator's business.
    pub async fn book_failure(&self, tenant: TenantId, error: &GumroadError) {
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

    pub async fn book_success(&self, tenant: TenantId) {
        if let Err(db_error) = store::connections::record_ok(&self.pool, tenant).await {
            tracing::warn!(%tenant, %db_error, "could not record a Gumroad success");
        }
    }
}

/// One creator's Gumroad access: every failed call is booked before the caller decides what to do.
pub struct CreatorApi<'a> {
    ctx: &'a Context,
    tenant: TenantId,
    token: SecretString,
}

impl CreatorApi<'_> {
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    pub async fn call<T>(
        &self,
        request: impl AsyncFnOnce(&ApiClient, &SecretString) -> Result<T, GumroadError>,
    ) -> Result<T, GumroadError> {
        match request(&self.ctx.api, &self.token).await {
            Ok(value) => Ok(value),
            Err(error) => {
                self.ctx.book_failure(self.tenant, &error).await;
                Err(error)
            }
        }
    }
}
