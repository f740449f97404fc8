//! Builds the dashboard: pool, key ring check, Gumroad clients, the actix `App`, the listener.

use std::net::TcpListener;

use actix_session::SessionMiddleware;
use actix_session::config::PersistentSession;
use actix_web::cookie::{SameSite, time::Duration as CookieDuration};
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer};
use sqlx::PgPool;
use tracing_actix_web::TracingLogger;

use crate::config::Settings;
use crate::gumroad::{self, ApiClient, OAuthClient, RetryPolicy};
use crate::store::{self, sessions::PgSessionStore};
use crate::vault::KeyRing;
use crate::web::{self, AppState};
use actix_web::web::Data;

const SESSION_COOKIE: &str = "gumdash_session";
const SESSION_DAYS: i64 = 14;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(
        "the database holds Gumroad tokens sealed with key id(s) {missing:?}, which GUMDASH_TOKEN_KEYS lacks. \
         Add those keys back (after the active one) so the tokens stay readable."
    )]
    MissingKeys { missing: Vec<String> },
    #[error("cannot reach the database to check the token keys: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let pool = store::pool(settings.database.clone());
        Self::build_with_pool(settings, pool).await
    }

    pub async fn build_with_pool(settings: Settings, pool: PgPool) -> Result<Self, StartupError> {
        let listener =
            TcpListener::bind(settings.listen_addr).map_err(|source| StartupError::Bind {
                addr: settings.listen_addr,
                source,
            })?;
        Self::serve_on(listener, settings, pool).await
    }

    /// For callers that must know the port before the settings (the OAuth redirect URI contains it).
    pub async fn serve_on(
        listener: TcpListener,
        settings: Settings,
        pool: PgPool,
    ) -> Result<Self, StartupError> {
        ensure_key_ring_covers_database(&pool, &settings.token_keys).await?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind {
                addr: settings.listen_addr,
                source,
            })?
            .port();
        tokio::spawn(expire_sessions(pool.clone()));
        let server = run(listener, pool, settings).map_err(|source| StartupError::Bind {
            addr: std::net::SocketAddr::from(([0, 0, 0, 0], port)),
            source,
        })?;
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Expired sessions are never loaded, but their rows would pile up: sweep them hourly. Several
/// instances sweeping the same table is harmless.
async fn expire_sessions(pool: PgPool) {
    let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        hourly.tick().await;
        match store::sessions::delete_expired(&pool).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "expired sessions removed"),
            Err(error) => tracing::warn!(%error, "could not remove expired sessions"),
        }
    }
}

/// Refuses to start when some stored token could no longer be decrypted.
async fn ensure_key_ring_covers_database(
    pool: &PgPool,
    keys: &KeyRing,
) -> Result<(), StartupError> {
    let missing: Vec<String> = store::connections::key_ids_in_use(pool)
        .await?
        .into_iter()
        .filter(|id| !keys.contains(id))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(StartupError::MissingKeys { missing })
    }
}

fn app_state(settings: &Settings, pool: PgPool) -> AppState {
    let http = gumroad::http_client(settings.gumroad.timeout);
    let g = &settings.gumroad;
    AppState {
        pool,
        keys: settings.token_keys.clone(),
        oauth: OAuthClient::new(
            &g.client_id,
            &g.client_secret,
            &g.oauth_url,
            settings.redirect_uri(),
            g.scopes.clone(),
            http.clone(),
        ),
        api: ApiClient::new(
            http,
            g.api_url.clone(),
            RetryPolicy {
                max_attempts: g.max_read_attempts,
                base_delay: g.retry_base_delay,
            },
        ),
        admin_gumroad_ids: settings.admin_gumroad_ids.clone(),
        product_lists: web::ProductListCache::default(),
    }
}

fn run(listener: TcpListener, pool: PgPool, settings: Settings) -> std::io::Result<Server> {
    // Built once, outside the per-worker factory closure.
    let state = Data::new(app_state(&settings, pool.clone()));
    let session_store = PgSessionStore::new(pool);
    let session_key = settings.session_key.0.clone();
    let secure = settings.secure_cookies();
    let sign_in_limit = web::sign_in_limit();
    let csp =
        web::content_security_policy(&[&settings.gumroad.oauth_url, &settings.gumroad.api_url]);

    let server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(session_store.clone(), session_key.clone())
            .cookie_name(SESSION_COOKIE.to_owned())
            .cookie_http_only(true)
            .cookie_secure(secure)
            // Lax, not Strict: the redirect back from Gumroad must carry the cookie.
            .cookie_same_site(SameSite::Lax)
            .session_lifecycle(
                PersistentSession::default().session_ttl(CookieDuration::days(SESSION_DAYS)),
            )
            .build();
        App::new()
            // No response compression: pages echo input beside the CSRF token (BREACH).
            .wrap(sessions)
            .wrap(web::security_headers(&csp, secure))
            .wrap(from_fn(web::request_id_header))
            .wrap(TracingLogger::<web::RootSpanWithoutQuery>::new())
            .app_data(state.clone())
            .app_data(web::form_config())
            .app_data(web::query_config())
            .configure(|cfg| web::routes(cfg, &sign_in_limit))
    })
    .listen(listener)?
    .run();
    Ok(server)
}
