use secrecy::SecretString;
use sqlx::PgPool;

use crate::domain::{CreatorState, TenantId};
use crate::gumroad::{ApiClient, GumroadError, OAuthClient};
use crate::store;
use crate::vault::{KeyRing, Purpose};

use super::error::AppError;

/// What every handler may use; built once in `startup`, shared by all workers.
pub struct AppState {
    pub pool: PgPool,
    pub keys: KeyRing,
    pub oauth: OAuthClient,
    pub api: ApiClient,
    pub admin_gumroad_ids: Vec<String>,
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

    /// Bookkeeping after a failed Gumroad call: a 401 means the creator revoked us, so they are asked
    /// to reconnect from now on; anything else is remembered for the operator.
    pub async fn gumroad_failed(&self, tenant: TenantId, error: GumroadError) -> AppError {
        let recorded = if error == GumroadError::Unauthorized {
            store::creators::set_state(&self.pool, tenant, CreatorState::NeedsReconnect).await
        } else {
            store::connections::record_error(&self.pool, tenant, &error.summary()).await
        };
        if let Err(db_error) = recorded {
            tracing::error!(%tenant, %db_error, "could not record a Gumroad failure");
        }
        AppError::from(error)
    }

    pub async fn gumroad_succeeded(&self, tenant: TenantId) {
        if let Err(db_error) = store::connections::record_ok(&self.pool, tenant).await {
            tracing::warn!(%tenant, %db_error, "could not record a Gumroad success");
        }
    }
}
