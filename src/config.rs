//! Typed settings, read from the environment in one place.
//!
//! `Settings::from_lookup` takes any `name -> value` function so tests can check every error without
//! touching the process environment. Every bad or missing variable is reported at once, by name.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use actix_web::cookie::Key;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use secrecy::SecretString;
use sqlx::postgres::PgConnectOptions;
use url::Url;

pub use crate::domain::ApiVersion;
use crate::jobs::QueueSettings;
use crate::sync::SyncSettings;
use crate::vault::KeyRing;

pub const DEFAULT_OAUTH_URL: &str = "https://gumroad.com/oauth";
pub const DEFAULT_API_URL: &str = "https://api.gumroad.com/v2";
pub const DEFAULT_SCOPES: &str = "view_profile edit_products view_sales";
const MIN_SESSION_KEY_LEN: usize = 64;

#[derive(Clone, Debug)]
pub struct Settings {
    pub listen_addr: SocketAddr,
    /// Where browsers reach this instance; the OAuth redirect URI is derived from it.
    pub public_url: Url,
    pub database: PgConnectOptions,
    pub gumroad: GumroadSettings,
    pub token_keys: KeyRing,
    pub session_key: SessionKey,
    /// Gumroad numeric user ids (the `id` of `/v2/user`) of the operators.
    pub admin_gumroad_ids: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`GUMDASH_TRUSTED_PROXIES`); empty: none,
    /// the peer address is the client's.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub log_format: LogFormat,
    pub jobs: JobSettings,
    pub sync: SyncSettings,
    /// CSV exports running at once on this instance; more are asked to retry (0 turns exports off).
    pub exports_at_once: usize,
    /// `GUMDASH_METRICS_TOKEN`: `/metrics` answers only `Authorization: Bearer <this>`; without
    /// it, `/metrics` does not exist (404).
    pub metrics_token: Option<SecretString>,
    /// Not configuration: the instance's metrics registry, made with the settings so that the web
    /// side and the workers built from them report into one registry.
    pub metrics: crate::metrics::Metrics,
    /// The bundled simulator's base URL, set only by `gumdash demo` (never read from the environment):
    /// Settings › Webhooks then offers "Send a test sale", which asks the simulator for a sale.
    pub demo_sim_url: Option<Url>,
    pub sessions: SessionLifetimes,
    /// Connections to PostgreSQL this instance may open (`GUMDASH_DB_POOL_SIZE`,
    /// `GUMDASH_WORKER_DB_POOL_SIZE`).
    pub db_pools: PoolSizes,
}

/// The most connections each of an instance's two pools opens: the web side's (pages, sessions)
/// and the background workers'. Every instance on a database adds both to PostgreSQL's
/// `max_connections` (100 by default). Measured on the 2-core bench machine at 32 concurrent
/// requests (BENCHMARKS.md, "Database pool size"): 2 web connections lost up to half a page's rate,
/// 32 gained no more than the run-to-run drift over 10 and doubled the p99; the cores, not the
/// connections, are the limit, and more connections only add backends competing for them. Workers
/// spend most of a job waiting on Gumroad, not holding a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSizes {
    pub web: u32,
    pub workers: u32,
}

impl PoolSizes {
    pub const DEFAULT_WEB: u32 = 10;
    pub const DEFAULT_WORKERS: u32 = 10;
}

impl Default for PoolSizes {
    fn default() -> Self {
        Self {
            web: Self::DEFAULT_WEB,
            workers: Self::DEFAULT_WORKERS,
        }
    }
}

/// How long a session lasts, enforced by the session store on every request (not only by the
/// cookie's expiry): `GUMDASH_SESSION_IDLE_MINUTES` without a request, `GUMDASH_SESSION_MAX_HOURS`
/// after sign-in whatever happens. A visitor who only started a sign-in (no creator yet) holds
/// their row for [`SessionLifetimes::signed_out`] at most.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionLifetimes {
    pub idle: Duration,
    pub max: Duration,
}

impl SessionLifetimes {
    pub const DEFAULT_IDLE_MINUTES: u64 = 120;
    pub const DEFAULT_MAX_HOURS: u64 = 24;

    /// A session nobody is signed in to (a pending sign-in, a flash after signing out): long enough
    /// to approve gumdash at Gumroad, never longer than the idle timeout.
    pub fn signed_out(&self) -> Duration {
        self.idle.min(Duration::from_secs(15 * 60))
    }
}

impl Default for SessionLifetimes {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(60 * Self::DEFAULT_IDLE_MINUTES),
            max: Duration::from_secs(3600 * Self::DEFAULT_MAX_HOURS),
        }
    }
}

/// Background work on this instance, and the Gumroad budget it shares with the others.
#[derive(Clone, Debug)]
pub struct JobSettings {
    /// Worker loops on this instance; 0 runs none (a web-only instance).
    pub workers: usize,
    pub queue: QueueSettings,
    /// Gumroad requests per second from this instance's background work.
    pub instance_requests_per_sec: f64,
    /// Gumroad requests per second from all instances on this database together.
    pub global_requests_per_sec: f64,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            workers: 24,
            queue: QueueSettings::default(),
            instance_requests_per_sec: 20.0,
            global_requests_per_sec: 40.0,
        }
    }
}

impl Settings {
    /// Session cookies get the `Secure` flag whenever browsers reach us over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    pub fn redirect_uri(&self) -> Url {
        self.public_url
            .join("auth/gumroad/callback")
            .expect("a base URL joins a relative path")
    }
}

#[derive(Clone, Debug)]
pub struct GumroadSettings {
    pub client_id: String,
    pub client_secret: SecretString,
    pub oauth_url: Url,
    pub api_url: Url,
    pub scopes: Vec<String>,
    pub timeout: Duration,
    /// First back-off before retrying a read; doubles each attempt, with jitter.
    pub retry_base_delay: Duration,
    pub max_read_attempts: u32,
    /// Which Gumroad API the sale actions speak to, and the extra scopes they may ask for.
    pub actions: ActionSettings,
}

/// The sale actions' view of Gumroad (`GUMROAD_API_VERSION`, `GUMROAD_ACTION_SCOPES`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionSettings {
    pub api_version: ApiVersion,
    /// Scopes beyond sign-in's that a creator may be asked to grant ("Grant access").
    pub scopes: Vec<String>,
}

impl Default for ActionSettings {
    fn default() -> Self {
        Self::for_version(ApiVersion::V2026)
    }
}

impl ActionSettings {
    pub fn for_version(api_version: ApiVersion) -> Self {
        Self {
            api_version,
            scopes: parse_scopes(api_version.default_action_scopes()).unwrap_or_default(),
        }
    }
}

/// The session cookie signing key, at least 64 bytes (actix's `Key::from` panics below that).
#[derive(Clone)]
pub struct SessionKey(pub Key);

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey([REDACTED])")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// One bad or missing variable, with what is wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableError {
    pub variable: &'static str,
    pub problem: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError(pub Vec<VariableError>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "gumdash cannot start; fix these environment variables:")?;
        for error in &self.0 {
            writeln!(f, "  {}: {}", error.variable, error.problem)?;
        }
        write!(
            f,
            "See README.md (Configuration) and .env.example; `gumdash keygen` prints fresh keys."
        )
    }
}

impl ConfigError {
    pub fn mentions(&self, variable: &str) -> bool {
        self.0.iter().any(|e| e.variable == variable)
    }
}

/// Reads variables and remembers every problem, so one run reports all of them.
struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    errors: Vec<VariableError>,
}

impl Reader<'_> {
    fn raw(&self, variable: &str) -> Option<String> {
        (self.lookup)(variable).filter(|v| !v.trim().is_empty())
    }

    fn fail(&mut self, variable: &'static str, problem: impl Into<String>) {
        self.errors.push(VariableError {
            variable,
            problem: problem.into(),
        });
    }

    fn required<T>(
        &mut self,
        variable: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match self.raw(variable) {
            Some(value) => self.parsed(variable, &value, parse),
            None => {
                self.fail(variable, "is missing");
                None
            }
        }
    }

    fn optional<T>(
        &mut self,
        variable: &'static str,
        default: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let value = self.raw(variable).unwrap_or_else(|| default.to_owned());
        self.parsed(variable, &value, parse)
    }

    fn parsed<T>(
        &mut self,
        variable: &'static str,
        value: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match parse(value.trim()) {
            Ok(parsed) => Some(parsed),
            Err(problem) => {
                self.fail(variable, problem);
                None
            }
        }
    }
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        let vars: HashMap<String, String> = std::env::vars().collect();
        Self::from_lookup(&|name| vars.get(name).cloned())
    }

    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut r = Reader {
            lookup,
            errors: Vec::new(),
        };
        let listen_addr = r.optional("GUMDASH_LISTEN_ADDR", "127.0.0.1:8080", parse_socket_addr);
        let public_url = r.required("GUMDASH_PUBLIC_URL", parse_base_url);
        let database = r.required("DATABASE_URL", parse_database_url);
        let client_id = r.required("GUMROAD_CLIENT_ID", |v| Ok(v.to_owned()));
        // Gumroad accepts a blank secret for non-confidential apps, but every real app has one.
        let client_secret = r.required("GUMROAD_CLIENT_SECRET", |v| {
            Ok(SecretString::from(v.to_owned()))
        });
        let oauth_url = r.optional("GUMROAD_OAUTH_URL", DEFAULT_OAUTH_URL, parse_base_url);
        let api_url = r.optional("GUMROAD_API_URL", DEFAULT_API_URL, parse_base_url);
        let scopes = r.optional("GUMROAD_SCOPES", DEFAULT_SCOPES, parse_scopes);
        let timeout = r.optional("GUMROAD_TIMEOUT_SECS", "10", parse_seconds);
        let api_version = r.optional("GUMROAD_API_VERSION", "2026", ApiVersion::parse);
        let action_scopes = r.optional(
            "GUMROAD_ACTION_SCOPES",
            api_version
                .unwrap_or(ApiVersion::V2026)
                .default_action_scopes(),
            parse_scopes,
        );
        let token_keys = r.required("GUMDASH_TOKEN_KEYS", |v| {
            KeyRing::parse(v).map_err(|e| e.to_string())
        });
        let session_key = r.required("GUMDASH_SESSION_KEY", parse_session_key);
        let admin_gumroad_ids = r.optional("GUMDASH_ADMIN_GUMROAD_IDS", "", parse_id_list);
        let trusted_proxies = r.optional("GUMDASH_TRUSTED_PROXIES", "", parse_trusted_proxies);
        let log_format = r.optional("LOG_FORMAT", "pretty", parse_log_format);
        let workers = r.optional("GUMDASH_WORKERS", "24", |v| parse_count(v, 0, 64));
        let per_creator = r.optional("GUMDASH_JOBS_PER_CREATOR", "12", |v| parse_count(v, 1, 64));
        let instance_rate = r.optional("GUMDASH_GUMROAD_RPS", "20", parse_rate);
        let global_rate = r.optional("GUMDASH_GUMROAD_RPS_GLOBAL", "40", parse_rate);
        let sync_every = r.optional("GUMDASH_SYNC_EVERY_MINUTES", "15", |v| {
            parse_count(v, 1, 24 * 60).map(|m| Duration::from_secs(60 * m as u64))
        });
        let exports_at_once = r.optional("GUMDASH_EXPORTS_AT_ONCE", "4", |v| parse_count(v, 0, 64));
        let metrics_token = match r.raw("GUMDASH_METRICS_TOKEN") {
            Some(token) => r
                .parsed("GUMDASH_METRICS_TOKEN", &token, parse_metrics_token)
                .map(Some),
            None => Some(None),
        };
        let session_idle = r.optional(
            "GUMDASH_SESSION_IDLE_MINUTES",
            &SessionLifetimes::DEFAULT_IDLE_MINUTES.to_string(),
            |v| parse_count(v, 5, 7 * 24 * 60).map(|m| Duration::from_secs(60 * m as u64)),
        );
        let session_max = r.optional(
            "GUMDASH_SESSION_MAX_HOURS",
            &SessionLifetimes::DEFAULT_MAX_HOURS.to_string(),
            |v| parse_count(v, 1, 90 * 24).map(|h| Duration::from_secs(3600 * h as u64)),
        );
        if let (Some(idle), Some(max)) = (session_idle, session_max)
            && idle > max
        {
            r.fail(
                "GUMDASH_SESSION_IDLE_MINUTES",
                format!(
                    "is longer than the absolute lifetime GUMDASH_SESSION_MAX_HOURS ({} hours); make it at most {} minutes",
                    max.as_secs() / 3600,
                    max.as_secs() / 60
                ),
            );
        }
        let reconcile_every = r.optional("GUMDASH_RECONCILE_EVERY_HOURS", "24", |v| {
            parse_count(v, 1, 24 * 30).map(|h| Duration::from_secs(3600 * h as u64))
        });
        let web_pool = r.optional(
            "GUMDASH_DB_POOL_SIZE",
            &PoolSizes::DEFAULT_WEB.to_string(),
            parse_pool_size,
        );
        let worker_pool = r.optional(
            "GUMDASH_WORKER_DB_POOL_SIZE",
            &PoolSizes::DEFAULT_WORKERS.to_string(),
            parse_pool_size,
        );

        if !r.errors.is_empty() {
            return Err(ConfigError(r.errors));
        }
        // Every `None` above pushed an error, so these unwraps cannot fail.
        Ok(Self {
            listen_addr: listen_addr.unwrap(),
            public_url: public_url.unwrap(),
            database: database.unwrap(),
            gumroad: GumroadSettings {
                client_id: client_id.unwrap(),
                client_secret: client_secret.unwrap(),
                oauth_url: oauth_url.unwrap(),
                api_url: api_url.unwrap(),
                scopes: scopes.unwrap(),
                timeout: timeout.unwrap(),
                retry_base_delay: Duration::from_millis(250),
                max_read_attempts: 3,
                actions: ActionSettings {
                    api_version: api_version.unwrap(),
                    scopes: action_scopes.unwrap(),
                },
            },
            token_keys: token_keys.unwrap(),
            session_key: session_key.unwrap(),
            admin_gumroad_ids: admin_gumroad_ids.unwrap(),
            trusted_proxies: trusted_proxies.unwrap(),
            log_format: log_format.unwrap(),
            jobs: JobSettings {
                workers: workers.unwrap(),
                queue: QueueSettings {
                    per_creator: per_creator.unwrap() as i64,
                    ..QueueSettings::default()
                },
                instance_requests_per_sec: instance_rate.unwrap(),
                global_requests_per_sec: global_rate.unwrap(),
            },
            sync: SyncSettings {
                incremental_every: sync_every.unwrap(),
                reconcile_every: reconcile_every.unwrap(),
                ..SyncSettings::default()
            },
            exports_at_once: exports_at_once.unwrap(),
            metrics_token: metrics_token.unwrap(),
            metrics: crate::metrics::Metrics::new(),
            sessions: SessionLifetimes {
                idle: session_idle.unwrap(),
                max: session_max.unwrap(),
            },
            db_pools: PoolSizes {
                web: web_pool.unwrap(),
                workers: worker_pool.unwrap(),
            },
            demo_sim_url: None,
        })
    }
}

fn parse_socket_addr(value: &str) -> Result<SocketAddr, String> {
    SocketAddr::from_str(value)
        .map_err(|_| format!("{value:?} is not an address like 127.0.0.1:8080"))
}

/// A base URL always ends with `/` so that `join("path")` appends instead of replacing the last segment.
pub fn parse_base_url(value: &str) -> Result<Url, String> {
    let with_slash = if value.ends_with('/') {
        value.to_owned()
    } else {
        format!("{value}/")
    };
    let url = Url::parse(&with_slash).map_err(|e| format!("{value:?} is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("{value:?} must be an http(s) URL with a host"));
    }
    Ok(url)
}

fn parse_database_url(value: &str) -> Result<PgConnectOptions, String> {
    let problem = || "is not a PostgreSQL URL like postgres://user@host:5432/gumdash".to_owned();
    // sqlx parses any scheme; a mysql:// URL would only fail later, at the first query.
    if !(value.starts_with("postgres://") || value.starts_with("postgresql://")) {
        return Err(problem());
    }
    PgConnectOptions::from_str(value).map_err(|_| problem())
}

fn parse_scopes(value: &str) -> Result<Vec<String>, String> {
    let scopes: Vec<String> = value.split_whitespace().map(str::to_owned).collect();
    if scopes.is_empty() {
        return Err("needs at least one scope".into());
    }
    Ok(scopes)
}

fn parse_seconds(value: &str) -> Result<Duration, String> {
    match value.parse::<u64>() {
        Ok(secs) if (1..=300).contains(&secs) => Ok(Duration::from_secs(secs)),
        _ => Err(format!(
            "{value:?} must be a whole number of seconds from 1 to 300"
        )),
    }
}

fn parse_count(value: &str, min: usize, max: usize) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{value:?} must be a whole number from {min} to {max}"
        )),
    }
}

/// Connections in one pool: at least one, and no more than PostgreSQL's default `max_connections`.
fn parse_pool_size(value: &str) -> Result<u32, String> {
    parse_count(value, 1, 100).map(|n| n as u32)
}

fn parse_rate(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(rate) if (0.1..=10_000.0).contains(&rate) => Ok(rate),
        _ => Err(format!(
            "{value:?} must be a number of requests per second from 0.1 to 10000"
        )),
    }
}

fn parse_session_key(value: &str) -> Result<SessionKey, String> {
    let bytes = BASE64
        .decode(value)
        .map_err(|_| "must be base64 (`gumdash keygen` prints one)".to_owned())?;
    if bytes.len() < MIN_SESSION_KEY_LEN {
        return Err(format!(
            "is {} bytes long; it must be base64 of at least {MIN_SESSION_KEY_LEN} random bytes",
            bytes.len()
        ));
    }
    Key::try_from(bytes.as_slice())
        .map(SessionKey)
        .map_err(|e| e.to_string())
}

fn parse_id_list(value: &str) -> Result<Vec<String>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| {
            if id.chars().all(|c| c.is_ascii_digit()) {
                Ok(id.to_owned())
            } else {
                Err(format!(
                    "{id:?} is not a Gumroad numeric user id (the `id` field of /v2/user)"
                ))
            }
        })
        .collect()
}

/// A bearer token for Prometheus: long enough not to be guessed, and sendable in a header.
fn parse_metrics_token(value: &str) -> Result<SecretString, String> {
    let printable = value.chars().all(|c| c.is_ascii_graphic());
    if value.len() < 32 || !printable {
        return Err("must be at least 32 printable ASCII characters without spaces (for example `openssl rand -hex 32`)".into());
    }
    Ok(SecretString::from(value.to_owned()))
}

/// Comma- or space-separated addresses (`10.0.0.7`, `::1`) and networks (`10.0.0.0/8`).
fn parse_trusted_proxies(value: &str) -> Result<Vec<ipnet::IpNet>, String> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| {
                    format!("{item:?} is not an IP address or network like 10.0.0.0/8 or ::1")
                })
        })
        .collect()
}

fn parse_log_format(value: &str) -> Result<LogFormat, String> {
    match value.to_ascii_lowercase().as_str() {
        "pretty" | "text" => Ok(LogFormat::Pretty),
        "json" => Ok(LogFormat::Json),
        _ => Err(format!("{value:?} must be `json` or `pretty`")),
    }
}

/// Fresh random secrets for a new instance (`gumdash keygen`) and for the demo.
pub fn generate_session_key() -> String {
    BASE64.encode(Key::generate().master())
}
