//! `spawn_app()` and the helpers tests use to act like a creator in a browser.

use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gumdash::config::{self, GumroadSettings, LogFormat, SessionKey, Settings};
use gumdash::devdb::{self, DatabaseServer};
use gumdash::sim::{self, SeededCreator, SimHandle};
use gumdash::startup::Application;
use gumdash::store;
use gumdash::vault::KeyRing;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use scraper::{Html, Selector};
use secrecy::SecretString;
use sqlx::PgPool;
use tokio::sync::OnceCell;

const TEST_DB_PREFIX: &str = "gumdash_test_";
/// Test databases from runs older than this are dropped when a new run starts.
const STALE_AFTER_SECS: u64 = 2 * 3600;

static DB_SERVER: OnceCell<DatabaseServer> = OnceCell::const_new();

/// Every log line any test app writes, so a test can prove a secret never reached the logs.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

/// Asserts that the request behind `response` was logged, and never at ERROR (a visitor's 404 or a
/// redirect to sign in is not our failure).
pub fn assert_logged_without_error(response: &reqwest::Response) {
    let id = response.headers()["x-request-id"].to_str().unwrap();
    let logs = captured_logs();
    let lines: Vec<&str> = logs.lines().filter(|l| l.contains(id)).collect();
    assert!(!lines.is_empty(), "the request was logged");
    assert!(
        lines.iter().all(|l| !l.contains(r#""level":"ERROR""#)),
        "{lines:#?}"
    );
}

fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUFFER.get_or_init(|| Arc::new(Mutex::new(Vec::new())))
}

#[derive(Clone)]
struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        if std::env::var_os("TEST_LOG").is_some() {
            std::io::stderr().write_all(buf)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_logging() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let buffer = log_buffer().clone();
        gumdash::telemetry::init(LogFormat::Json, move || LogWriter(buffer.clone()));
    });
}

async fn database_server() -> &'static DatabaseServer {
    DB_SERVER
        .get_or_init(|| async {
            let state_dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("gumdash-pg");
            let server = devdb::find_or_start(&state_dir)
                .await
                .expect("the tests need PostgreSQL");
            drop_stale_test_databases(&server).await;
            server
        })
        .await
}

async fn drop_stale_test_databases(server: &DatabaseServer) {
    let now = unix_now();
    for name in server
        .list_databases(TEST_DB_PREFIX)
        .await
        .unwrap_or_default()
    {
        let created = name
            .trim_start_matches(TEST_DB_PREFIX)
            .split('_')
            .next()
            .and_then(|secs| secs.parse::<u64>().ok());
        if created.is_some_and(|secs| now.saturating_sub(secs) > STALE_AFTER_SECS) {
            let _ = server.drop_database(&name).await;
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A fresh, migrated database of its own.
pub async fn fresh_database() -> (PgPool, sqlx::postgres::PgConnectOptions) {
    let server = database_server().await;
    let name = format!("{TEST_DB_PREFIX}{}_{}", unix_now(), uuid_like_suffix());
    server
        .create_database(&name)
        .await
        .expect("create test database");
    let options = server.options_for(&name);
    let pool = store::pool(options.clone());
    store::migrate(&pool).await.expect("migrate test database");
    (pool, options)
}

/// The database `name`, created and migrated when missing, and never dropped by the tests' cleanup
/// (which only drops names with the test prefix): a bench keeps its loaded data across runs in it.
#[allow(dead_code)] // for the benches (bench/load.rs)
pub async fn kept_database(name: &str) -> (PgPool, sqlx::postgres::PgConnectOptions) {
    assert!(
        !name.starts_with(TEST_DB_PREFIX),
        "a kept database needs a name the tests' cleanup leaves alone"
    );
    let server = database_server().await;
    let existing = server.list_databases(name).await.unwrap_or_default();
    if !existing.iter().any(|n| n == name) {
        server
            .create_database(name)
            .await
            .expect("create the kept database");
    }
    let options = server.options_for(name);
    let pool = store::pool(options.clone());
    store::migrate(&pool)
        .await
        .expect("migrate the kept database");
    (pool, options)
}

/// `DROP DATABASE … WITH (FORCE)` for a database of [`fresh_database`] or [`kept_database`].
#[allow(dead_code)] // for the benches (bench/load.rs)
pub async fn drop_database(name: &str) {
    database_server()
        .await
        .drop_database(name)
        .await
        .expect("drop the database");
}

fn uuid_like_suffix() -> String {
    use rand::distr::{Alphanumeric, SampleString as _};
    Alphanumeric
        .sample_string(&mut rand::rng(), 12)
        .to_ascii_lowercase()
}

pub struct TestApp {
    pub address: String,
    pub pool: PgPool,
    pub sim: SimHandle,
    pub settings: Settings,
    /// `GUMDASH_TOKEN_KEYS` as text, so a test can build a rotated ring around it.
    pub token_keys_spec: String,
    /// The first browser; `new_browser()` makes more, each with its own cookies.
    pub browser: Browser,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the simulator and the dashboard wired together; `customize` may change settings first.
pub async fn spawn_app_with(customize: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with_sim(|_| {}, customize).await
}

/// Like [`spawn_app_with`], with the simulator's configuration changed by `configure_sim` first (its
/// seed and OAuth app are set already).
pub async fn spawn_app_with_sim(
    configure_sim: impl FnOnce(&mut sim::SimConfig),
    customize: impl FnOnce(&mut Settings),
) -> TestApp {
    spawn_app_inner(configure_sim, customize, |_| None).await
}

/// Like [`spawn_app_with`], with the dashboard's own pool made by `app_pool` from the test
/// database's options (through a proxy, say); `TestApp::pool` still reaches the database directly.
pub async fn spawn_app_with_pool(
    app_pool: impl FnOnce(&sqlx::postgres::PgConnectOptions) -> PgPool,
    customize: impl FnOnce(&mut Settings),
) -> TestApp {
    spawn_app_inner(|_| {}, customize, |options| Some(app_pool(options))).await
}

/// Like [`spawn_app`], on a database the caller made (say [`kept_database`]) instead of a fresh one.
#[allow(dead_code)] // for the benches (bench/load.rs)
pub async fn spawn_app_on(database: (PgPool, sqlx::postgres::PgConnectOptions)) -> TestApp {
    spawn_app_on_database(database, |_| {}, |_| {}, |_| None).await
}

async fn spawn_app_inner(
    configure_sim: impl FnOnce(&mut sim::SimConfig),
    customize: impl FnOnce(&mut Settings),
    app_pool: impl FnOnce(&sqlx::postgres::PgConnectOptions) -> Option<PgPool>,
) -> TestApp {
    init_logging();
    let database = fresh_database().await;
    spawn_app_on_database(database, configure_sim, customize, app_pool).await
}

async fn spawn_app_on_database(
    (pool, database): (PgPool, sqlx::postgres::PgConnectOptions),
    configure_sim: impl FnOnce(&mut sim::SimConfig),
    customize: impl FnOnce(&mut Settings),
    app_pool: impl FnOnce(&sqlx::postgres::PgConnectOptions) -> Option<PgPool>,
) -> TestApp {
    init_logging();
    let dashboards_pool = app_pool(&database).unwrap_or_else(|| pool.clone());
    let dashboard_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!(
        "http://127.0.0.1:{}",
        dashboard_listener.local_addr().unwrap().port()
    );
    let sim_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let sim_app =
        sim::SimApp::with_redirect_uris(7, vec![format!("{address}/auth/gumroad/callback")]);
    let mut sim_config = sim::SimConfig {
        seed: 7,
        apps: vec![sim_app.clone()],
        ..sim::SimConfig::default()
    };
    configure_sim(&mut sim_config);
    let (sim_server, sim) = sim::start(sim_config, sim_listener).expect("start the simulator");
    tokio::spawn(sim_server);

    let (token_keys, token_keys_spec) = KeyRing::generate("test1");
    let mut settings = test_settings(&address, sim.base_url(), &sim_app, database);
    settings.token_keys = token_keys;
    customize(&mut settings);
    let app = Application::serve_on(dashboard_listener, settings.clone(), dashboards_pool)
        .await
        .expect("start the dashboard");
    tokio::spawn(app.run_until_stopped());

    let browser = Browser::new(&address, sim.base_url());
    TestApp {
        address,
        pool,
        sim,
        settings,
        token_keys_spec,
        browser,
    }
}

pub fn test_settings(
    address: &str,
    sim_url: &str,
    sim_app: &sim::SimApp,
    database: sqlx::postgres::PgConnectOptions,
) -> Settings {
    let url = |u: &str| config::parse_base_url(u).unwrap();
    Settings {
        listen_addr: "127.0.0.1:0".parse().unwrap(),
        public_url: url(address),
        database,
        gumroad: GumroadSettings {
            client_id: sim_app.client_id.clone(),
            client_secret: SecretString::from(sim_app.client_secret.clone()),
            oauth_url: url(&format!("{sim_url}/oauth")),
            api_url: url(&format!("{sim_url}/v2")),
            scopes: config::DEFAULT_SCOPES
                .split(' ')
                .map(str::to_owned)
                .collect(),
            timeout: Duration::from_secs(2),
            retry_base_delay: Duration::from_millis(10),
            max_read_attempts: 3,
            actions: Default::default(),
        },
        token_keys: KeyRing::generate("test1").0,
        session_key: SessionKey(actix_web::cookie::Key::generate()),
        admin_gumroad_ids: Vec::new(),
        trusted_proxies: Vec::new(),
        log_format: LogFormat::Json,
        jobs: config::JobSettings {
            queue: gumdash::jobs::QueueSettings {
                retry_base: Duration::from_millis(20),
                retry_max: Duration::from_millis(200),
                ..Default::default()
            },
            instance_requests_per_sec: 1000.0,
            global_requests_per_sec: 1000.0,
            ..Default::default()
        },
        sync: gumdash::sync::SyncSettings::default(),
        exports_at_once: 4,
        metrics_token: None,
        metrics: gumdash::metrics::Metrics::new(),
        sessions: Default::default(),
        db_pools: Default::default(),
        demo_sim_url: None,
    }
}

impl TestApp {
    pub fn new_browser(&self) -> Browser {
        Browser::new(&self.address, self.sim.base_url())
    }

    /// A new browser, signed in as the seeded creator `index`, with the welcome message read away.
    pub async fn signed_in(&self, index: usize) -> Browser {
        let browser = self.new_browser();
        browser.sign_in_as(&self.creator(index)).await;
        browser.get("/products/new").await;
        browser
    }

    /// Switches the simulator to another compatibility profile (see `/_sim/profile`).
    pub async fn sim_profile(&self, profile: serde_json::Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/_sim/profile", self.sim.base_url()))
            .json(&profile)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "profile not accepted: {profile}"
        );
    }

    pub fn creator(&self, index: usize) -> SeededCreator {
        self.sim.creators()[index].clone()
    }

    pub async fn creator_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM creators")
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// This instance's background side (queue and sync), as `main` would start it.
    pub fn background(&self) -> gumdash::startup::Background {
        gumdash::startup::Background::new(&self.settings, self.pool.clone())
    }

    /// Runs background jobs until none is pending (waiting out short retry pauses), at most `limit`.
    /// Returns how many runs there were.
    pub async fn run_jobs_for(&self, limit: Duration) -> usize {
        let background = self.background();
        let deadline = std::time::Instant::now() + limit;
        let mut ran = 0;
        loop {
            ran += gumdash::jobs::run_pending_jobs(&background.queue, background.handler.as_ref())
                .await;
            let waiting: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM jobs WHERE state = 'pending' AND kind <> 'schedule'
                 AND run_at < now() + interval '5 seconds'",
            )
            .fetch_one(&self.pool)
            .await
            .unwrap();
            if waiting == 0 || std::time::Instant::now() > deadline {
                return ran;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Enqueues the creator's incremental sync (or reconciliation), as the scheduler would.
    pub async fn enqueue_sync(&self, tenant: gumdash::domain::TenantId, reconcile: bool) {
        gumdash::jobs::Queue::enqueue(
            &self.pool,
            &gumdash::jobs::Job::SyncRecent {
                creator: tenant,
                reconcile,
            },
        )
        .await
        .unwrap();
    }

    pub async fn run_jobs(&self) -> usize {
        self.run_jobs_for(Duration::from_secs(60)).await
    }

    /// Every failed job with its error: a test ends with none left unexplained.
    pub async fn failed_jobs(&self) -> Vec<(String, String)> {
        sqlx::query_as(
            "SELECT kind, coalesce(last_error, '') FROM jobs WHERE state = 'failed' ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }

    /// Removes every injected fault.
    pub async fn clear_faults(&self) {
        let response = reqwest::Client::new()
            .delete(format!("{}/_sim/faults", self.sim.base_url()))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }

    /// Makes the simulator fail the next `times` calls to `path` (see `/_sim/faults`).
    pub async fn inject_fault(&self, fault: serde_json::Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/_sim/faults", self.sim.base_url()))
            .json(&fault)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "fault not accepted: {fault}"
        );
    }
}

/// A browser: its own cookie jar, no automatic redirects (tests follow them step by step).
pub struct Browser {
    pub client: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
    address: String,
    sim_url: String,
}

/// Where the simulator sent the browser back to the dashboard.
pub struct Callback(pub String);

impl Browser {
    fn new(address: &str, sim_url: &str) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        Self {
            client,
            jar,
            address: address.to_owned(),
            sim_url: sim_url.to_owned(),
        }
    }

    /// The `Cookie` header this browser sends to the dashboard (for load tools).
    pub fn cookie_header(&self) -> Option<String> {
        use reqwest::cookie::CookieStore as _;
        let url = reqwest::Url::parse(&self.address).ok()?;
        self.jar
            .cookies(&url)
            .and_then(|value| value.to_str().ok().map(str::to_owned))
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.address)
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_html(&self, path: &str) -> (StatusCode, String) {
        let response = self.get(path).await;
        let status = response.status();
        (status, response.text().await.unwrap())
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Clicks "Sign in with Gumroad": the dashboard's redirect to Gumroad's consent page.
    pub async fn start_sign_in(&self) -> String {
        let response = self.get("/auth/gumroad").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        location(&response)
    }

    /// On the simulator: signs in as `creator` if asked, then clicks Authorize (or Deny).
    pub async fn consent(
        &self,
        authorize_url: &str,
        creator: &SeededCreator,
        approve: bool,
    ) -> Callback {
        let mut response = self.client.get(authorize_url).send().await.unwrap();
        if response.status().is_redirection() {
            let login_url = self.sim_absolute(&location(&response));
            let login_page = self
                .client
                .get(&login_url)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let fields = login_form_fields(&login_page, &creator.id);
            let pairs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let logged_in = self
                .client
                .post(format!("{}/oauth/login", self.sim_url))
                .form(&pairs)
                .send()
                .await
                .unwrap();
            assert!(
                logged_in.status().is_redirection(),
                "simulator login failed"
            );
            let back = self.sim_absolute(&location(&logged_in));
            response = self.client.get(&back).send().await.unwrap();
        }
        assert_eq!(response.status(), StatusCode::OK, "consent page expected");
        let consent_page = response.text().await.unwrap();
        let form_id = if approve {
            "form#authorize"
        } else {
            "form#deny"
        };
        let fields = hidden_fields(&consent_page, form_id);
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let decided = self
            .client
            .post(format!("{}/oauth/authorize", self.sim_url))
            .form(&pairs)
            .send()
            .await
            .unwrap();
        assert!(
            decided.status().is_redirection(),
            "consent decision should redirect"
        );
        Callback(location(&decided))
    }

    /// Follows the simulator's redirect back to the dashboard.
    pub async fn finish_sign_in(&self, callback: &Callback) -> reqwest::Response {
        self.get(&callback.0).await
    }

    /// The whole happy path; returns the dashboard's answer to the callback.
    pub async fn sign_in_as(&self, creator: &SeededCreator) -> reqwest::Response {
        let authorize = self.start_sign_in().await;
        let callback = self.consent(&authorize, creator, true).await;
        let response = self.finish_sign_in(&callback).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "sign-in should redirect"
        );
        assert_eq!(location(&response), "/dashboard");
        response
    }

    /// The session's CSRF token, from the sign-out form of a signed-in page that calls no Gumroad API.
    pub async fn csrf_token(&self) -> String {
        let (_, html) = self.get_html("/products/new").await;
        hidden_fields(&html, "form[action='/auth/sign-out']")
            .into_iter()
            .find(|(name, _)| name == "csrf_token")
            .map(|(_, value)| value)
            .expect("a csrf_token field")
    }

    /// Submits a form as the page would: with the session's CSRF token added.
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf_token().await;
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        form.extend_from_slice(fields);
        self.post_form(path, &form).await
    }

    /// Submits a form, follows the redirect, and returns the page a person then sees.
    pub async fn submit_and_follow(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let response = self.submit(path, fields).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "expected a redirect after submitting {path}: {}",
            page_text(&response.text().await.unwrap())
        );
        let (status, html) = self.get_html(&location(&response)).await;
        (status, page_text(&html))
    }

    /// The `href`s of the links matching `selector` on the page at `path`.
    pub async fn links(&self, path: &str, selector: &str) -> Vec<String> {
        let (status, html) = self.get_html(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let document = Html::parse_document(&html);
        let selector = Selector::parse(selector).unwrap();
        document
            .select(&selector)
            .filter_map(|a| a.value().attr("href").map(str::to_owned))
            .collect()
    }

    /// Links to the products on a list page.
    pub async fn product_links(&self, path: &str) -> Vec<String> {
        self.links(path, "table.list td[data-label='Name'] a").await
    }

    fn sim_absolute(&self, location: &str) -> String {
        if location.starts_with("http") {
            location.to_owned()
        } else {
            format!("{}{location}", self.sim_url)
        }
    }
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// Every named input inside the form matching `form_selector`.
pub fn hidden_fields(html: &str, form_selector: &str) -> Vec<(String, String)> {
    let document = Html::parse_document(html);
    let form = Selector::parse(form_selector).unwrap();
    let input = Selector::parse("input[name]").unwrap();
    let form = document
        .select(&form)
        .next()
        .unwrap_or_else(|| panic!("no {form_selector} in page"));
    form.select(&input)
        .map(|i| {
            let attrs = i.value();
            (
                attrs.attr("name").unwrap().to_owned(),
                attrs.attr("value").unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn login_form_fields(html: &str, creator_id: &str) -> Vec<(String, String)> {
    let document = Html::parse_document(html);
    let forms = Selector::parse("form.sign-in-as").unwrap();
    let input = Selector::parse("input[name]").unwrap();
    for form in document.select(&forms) {
        let fields: Vec<(String, String)> = form
            .select(&input)
            .map(|i| {
                (
                    i.value().attr("name").unwrap().to_owned(),
                    i.value().attr("value").unwrap_or_default().to_owned(),
                )
            })
            .collect();
        if fields
            .iter()
            .any(|(k, v)| k == "user_id" && v == creator_id)
        {
            return fields;
        }
    }
    panic!("no sign-in form for creator {creator_id}");
}

/// `DATABASE_URL` for the test's own database, for a child process.
pub fn database_url(options: &sqlx::postgres::PgConnectOptions) -> String {
    let (host, port, user) = (
        options.get_host(),
        options.get_port(),
        options.get_username(),
    );
    let database = options.get_database().unwrap_or("postgres");
    if host.starts_with('/') {
        format!("postgres:///{database}?host={host}&port={port}&user={user}")
    } else {
        format!("postgres://{user}@{host}:{port}/{database}")
    }
}

impl TestApp {
    /// `gumdash serve` as a separate process on the test's database, simulator and session key (so
    /// its browsers' sessions work there), with `workers` worker loops, listening on `port`.
    pub fn serve_process(&self, port: u16, workers: usize) -> tokio::process::Child {
        self.serve_process_with(port, workers, &[])
    }

    /// [`serve_process`](Self::serve_process) with more environment variables (`extra`) set.
    pub fn serve_process_with(
        &self,
        port: u16,
        workers: usize,
        extra: &[(&str, &str)],
    ) -> tokio::process::Child {
        use base64::Engine as _;
        let settings = &self.settings;
        let session_key =
            base64::engine::general_purpose::STANDARD.encode(settings.session_key.0.master());
        tokio::process::Command::new(env!("CARGO_BIN_EXE_gumdash"))
            .arg("serve")
            .env_clear()
            .env("DATABASE_URL", database_url(&settings.database))
            .env("GUMDASH_LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("GUMDASH_PUBLIC_URL", settings.public_url.as_str())
            .env("GUMROAD_CLIENT_ID", &settings.gumroad.client_id)
            .env(
                "GUMROAD_CLIENT_SECRET",
                secrecy::ExposeSecret::expose_secret(&settings.gumroad.client_secret),
            )
            .env("GUMROAD_OAUTH_URL", settings.gumroad.oauth_url.as_str())
            .env("GUMROAD_API_URL", settings.gumroad.api_url.as_str())
            .env("GUMDASH_TOKEN_KEYS", &self.token_keys_spec)
            .env("GUMDASH_SESSION_KEY", &session_key)
            .env("GUMDASH_WORKERS", workers.to_string())
            .env("GUMDASH_GUMROAD_RPS", "1000")
            .env("GUMDASH_GUMROAD_RPS_GLOBAL", "1000")
            .env("LOG_FORMAT", "json")
            .envs(extra.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start gumdash serve")
    }
}

/// A port nothing listens on right now, for a child process to bind.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The visible text of a page, whitespace folded: what a person reads.
pub fn page_text(html: &str) -> String {
    let document = Html::parse_document(html);
    let body = Selector::parse("body").unwrap();
    document
        .select(&body)
        .flat_map(|b| b.text())
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl TestApp {
    /// Starts a second dashboard on the same database and simulator, with changed settings (e.g. a
    /// rotated key ring). Browsers keep their sessions: cookies for 127.0.0.1 ignore the port.
    pub async fn start_another_dashboard(
        &self,
        customize: impl FnOnce(&mut Settings),
    ) -> Result<String, gumdash::startup::StartupError> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let mut settings = self.settings.clone();
        customize(&mut settings);
        let app = Application::serve_on(listener, settings, self.pool.clone()).await?;
        tokio::spawn(app.run_until_stopped());
        Ok(address)
    }

    pub async fn tenant_id_of(&self, creator: &SeededCreator) -> gumdash::domain::TenantId {
        let id: i64 = sqlx::query_scalar("SELECT id FROM creators WHERE gumroad_user_id = $1")
            .bind(&creator.id)
            .fetch_one(&self.pool)
            .await
            .unwrap();
        gumdash::domain::TenantId::from_db(id)
    }
}
