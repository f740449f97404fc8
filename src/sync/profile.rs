//! The creator's profile as we keep it: written at sign-in and refreshed by the incremental sync at most
//! hourly, so the home page shows it without asking Gumroad on every view.

use super::SyncHandler;
use crate::domain::TenantId;
use crate::gumroad::User;
use crate::store::{self, creators::Profile};

/// How old a stored profile may get before the sync asks `/v2/user` again.
const MAX_AGE_SECS: i64 = 3600;

/// What we store of Gumroad's answer to `/v2/user`.
pub fn profile_of(user: &User) -> Profile<'_> {
    Profile {
        gumroad_user_id: &user.id,
        gumroad_external_id: user.user_id.as_deref(),
        name: user.shown_name(),
        email: user.email.as_deref(),
        avatar_url: user.profile_url.as_deref(),
        profile_url: user.url.as_deref(),
    }
}

/// Best effort: a failed refresh keeps the stored profile (the failure is booked like any other Gumroad
/// failure, so a revoked token still asks the creator to reconnect), and never fails the sync.
pub(super) async fn refresh_if_stale(
    sync: &SyncHandler,
    tenant: TenantId,
) -> Result<(), sqlx::Error> {
    let pool = &sync.ctx.pool;
    if !store::creators::profile_is_stale(pool, tenant, MAX_AGE_SECS).await? {
        return Ok(());
    }
    match sync
        .gumroad(tenant, async |api, token| api.user(token).await)
        .await
    {
        Ok(Ok(user)) => store::creators::refresh_profile(pool, tenant, &profile_of(&user)).await,
        Ok(Err(error)) => {
            tracing::info!(%tenant, error = %error.summary(), "the profile was not refreshed; keeping the stored one");
            Ok(())
        }
        Err(error) => {
            tracing::info!(%tenant, %error, "the profile was not refreshed; keeping the stored one");
            Ok(())
        }
    }
}
