use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::domain::{CreatorState, TenantId};
use crate::store::{self, creators::Creator};

use super::error::AppError;
use super::session::AppSession;
use super::state::AppState;

/// The signed-in creator, loaded fresh from the database on every request so that an operator's
/// "disable" or a revoked Gumroad token takes effect at once. Handlers that take this are
/// signed-in only; the tenant id comes from the session and nowhere else.
///
/// While an operator views as a creator (`super::view_as`), this is the viewed creator and
/// `viewed_by` the operator; the session still belongs to the operator.
pub struct CurrentCreator {
    pub creator: Creator,
    pub session: AppSession,
    pub viewed_by: Option<Creator>,
}

impl CurrentCreator {
    /// Downloads of buyers' data are the creator's own: refused to an operator viewing as them.
    pub fn refuse_export_while_viewed(&self) -> Result<(), AppError> {
        match self.viewed_by {
            Some(_) => Err(AppError::ExportWhileViewing),
            None => Ok(()),
        }
    }

    pub fn tenant(&self) -> TenantId {
        self.creator.id
    }
}

impl FromRequest for CurrentCreator {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = AppSession::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let session = session.await?;
            let state =
                state.ok_or_else(|| AppError::Internal(anyhow::anyhow!("AppState missing")))?;
            let tenant = session.creator_id()?.ok_or(AppError::SignInRequired)?;
            let Some(creator) = store::creators::find(&state.pool, tenant)
                .await
                .map_err(AppError::from)?
            else {
                session.sign_out();
                return Err(AppError::SignInRequired.into());
            };
            match creator.state {
                CreatorState::Active => {
                    let mut creator = creator;
                    // The table was read with the creator; the configuration costs no query.
                    creator.is_operator |= state.is_configured_admin(&creator.gumroad_user_id);
                    if let Some(viewing) = session.viewing_as()
                        && let Some(viewed) =
                            super::view_as::resolve(&state, &session, &creator, &viewing).await?
                    {
                        return Ok(Self {
                            creator: viewed,
                            session,
                            viewed_by: Some(creator),
                        });
                    }
                    Ok(Self {
                        creator,
                        session,
                        viewed_by: None,
                    })
                }
                CreatorState::NeedsReconnect => Err(AppError::Reconnect.into()),
                CreatorState::Disabled => {
                    session.sign_out();
                    Err(AppError::Disabled.into())
                }
            }
        })
    }
}
