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

use std::sync::Arc;

use crate::config::Settings;
use crate::context::Context;
use crate::gumroad::{self, ApiClient, OAuthClient, RetryPolicy};
use crate::jobs::{Job, Queue, RequestBudget, WorkerPool};
use crate::store::{self, sessions::PgSessionStore};
use crate::sync::SyncHandler;
use crate::vault::KeyRing;
use crate::web::{self, AppState};
use actix_web::web::Data;

const SESSION_COOKIE: &str = "gumdash_session";

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
        let pool = store::web_pool(settings.database.clone());
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

/// The background side of an instance: the job queue and what runs its jobs. Built beside the
/// `Application`, and started by `main` (or the demo), never inside it: tests drive it with
/// `jobs::run_pending_jobs` instead.
pub struct Background {
    pub queue: Queue,
    pub handler: Arc<SyncHandler>,
    workers: usize,
}

impl Background {
    pub fn new(settings: &Settings, pool: PgPool) -> Self {
        let queue = Queue::new(pool.clone(), settings.jobs.queue.clone());
        let budget = RequestBudget::new(
            pool.clone(),
            settings.jobs.instance_requests_per_sec,
            settings.jobs.global_requests_per_sec,
        );
        let budget = Arc::new(budget);
        let mut ctx = context(settings, pool);
        // Every request background work sends, retries included, takes its token first.
        ctx.api = ctx.api.paced(budget);
        let handler = Arc::new(SyncHandler {
            ctx,
            queue: queue.clone(),
            settings: settings.sync.clone(),
            public_url: settings.public_url.clone(),
        });
        Self {
            queue,
            handler,
            workers: settings.jobs.workers,
        }
    }

    /// Runs this instance's workers until `shutdown` turns true; with `GUMDASH_WORKERS=0`, none.
    pub async fn run(self, shutdown: tokio::sync::watch::Receiver<bool>) {
        if self.workers == 0 {
            tracing::info!("no background workers on this instance (GUMDASH_WORKERS=0)");
            return;
        }
        let instance = format!(
            "{}:{}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "gumdash".into()),
            std::process::id()
        );
        tracing::info!(workers = self.workers, "background workers started");
        WorkerPool {
            queue: self.queue,
            handler: self.handler,
            count: self.workers,
            poll: std::time::Duration::from_millis(500),
            instance,
            // The scheduler is a job itself, so exactly one instance runs it at a time.
            keep_enqueued: vec![Job::Schedule],
        }
        .run(shutdown)
        .await;
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

/// What web handlers and workers share: the pool, the key ring and the Gumroad API client.
pub fn context(settings: &Settings, pool: PgPool) -> Context {
    let g = &settings.gumroad;
    Context {
        pool,
        keys: settings.token_keys.clone(),
        api: ApiClient::new(
            gumroad::http_client(g.timeout),
            g.api_url.clone(),
            RetryPolicy {
                max_attempts: g.max_read_attempts,
                base_delay: g.retry_base_delay,
            },
        )
        .with_metrics(settings.metrics.clone()),
        metrics: settings.metrics.clone(),
    }
}

fn app_state(settings: &Settings, pool: PgPool) -> AppState {
    let g = &settings.gumroad;
    AppState {
        queue: Queue::new(pool.clone(), settings.jobs.queue.clone()),
        ctx: context(settings, pool),
        oauth: OAuthClient::new(
            &g.client_id,
            &g.client_secret,
            &g.oauth_url,
            settings.redirect_uri(),
            g.scopes.clone(),
            gumroad::http_client(g.timeout),
        ),
        sync: settings.sync.clone(),
        admin_gumroad_ids: settings.admin_gumroad_ids.clone(),
        trusted_proxies: web::TrustedProxies::new(settings.trusted_proxies.clone()),
        started_at: std::time::Instant::now(),
        product_lists: web::ProductListCache::default(),
        overview_figures: web::overview::overview_figures_cache(),
        sales_list_figures: web::sales::ListFigures::default(),
        product_writes: Default::default(),
        actions: g.actions.clone(),
        exports: std::sync::Arc::new(tokio::sync::Semaphore::new(settings.exports_at_once)),
        metrics_token: settings.metrics_token.clone(),
        demo_sim: settings.demo_sim_url.clone().map(|url| web::DemoSim {
            url,
            http: gumroad::http_client(g.timeout),
        }),
    }
}

fn run(listener: TcpListener, pool: PgPool, settings: Settings) -> std::io::Result<Server> {
    // Built once, outside the per-worker factory closure.
    let state = Data::new(app_state(&settings, pool.clone()));
    let session_store = PgSessionStore::new(pool, settings.sessions);
    // The cookie lasts as long as a session can (the store enforces the real limits).
    let cookie_ttl = CookieDuration::seconds(settings.sessions.max.as_secs() as i64);
    let session_key = settings.session_key.0.clone();
    let secure = settings.secure_cookies();
    let sign_in_limit = web::sign_in_limit(state.trusted_proxies.clone());
    let ping_limit = web::ping_limit();
    let csp =
        web::content_security_policy(&[&settings.gumroad.oauth_url, &settings.gumroad.api_url]);

    let server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(session_store.clone(), session_key.clone())
            .cookie_name(SESSION_COOKIE.to_owned())
            .cookie_http_only(true)
            .cookie_secure(secure)
            // Lax, not Strict: the redirect back from Gumroad must carry the cookie.
            .cookie_same_site(SameSite::Lax)
            .session_lifecycle(PersistentSession::default().session_ttl(cookie_ttl))
            .build();
        App::new()
            // No response compression: pages echo input beside the CSRF token (BREACH).
            // Inside the sessions (it reads them), outside every route: a view-as session changes
            // nothing, whichever route it asks.
            .wrap(from_fn(web::read_only_guard))
            .wrap(sessions)
            .wrap(from_fn(web::session_store_failures))
            .wrap(web::security_headers(&csp, secure))
            .wrap(from_fn(web::track_requests))
            .wrap(from_fn(web::request_id_header))
            .wrap(TracingLogger::<web::RootSpanWithoutQuery>::new())
            .wrap(from_fn(web::head_as_get))
            .app_data(state.clone())
            .app_data(web::form_config())
            .app_data(web::query_config())
            .configure(|cfg| web::routes(cfg, &sign_in_limit, &ping_limit))
    })
    .listen(listener)?
    .run();
    Ok(server)
}
