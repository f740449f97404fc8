//! Finding or starting a PostgreSQL server for the demo and the tests.
//!
//! [`find_or_start`] looks, in order, for:
//!
//! 1. `DATABASE_URL`, when set (used as is; nothing is started or stopped);
//! 2. the local server on 127.0.0.1:5432 (user `postgres`, trust auth), when it accepts connections;
//! 3. a throwaway cluster of our own, made with `initdb`/`pg_ctl` (found on `PATH`, else the newest
//!    `/usr/lib/postgresql/*/bin`) under a state directory, and reused while it keeps running.
//!
//! State directory layout: `port` (picked once, reused while free), `lock` (serialises concurrent starts),
//! and the cluster itself: `data/` and `postgres.log`. PostgreSQL refuses to run as root, so as root the
//! binaries run as user `postgres` through `runuser`; when user `postgres` cannot reach the state directory
//! (it sits under `/root`, say), the cluster lives in `/tmp/gumdash-pg-<hash of the state dir>/` instead,
//! and the file `cluster-dir` in the state directory names it.
//!
//! This module depends on nothing else in the crate.

use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgSslMode};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, PgConnection};
use tokio::process::Command;

/// How long a connection attempt may take before the server counts as not answering.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long `pg_ctl` may wait for the server to start or stop.
const PG_CTL_TIMEOUT_SECS: &str = "60";
const LOCAL_HOST: &str = "127.0.0.1";
const LOCAL_PORT: u16 = 5432;
const SUPERUSER: &str = "postgres";
/// The database admin statements (CREATE/DROP DATABASE) connect to.
const MAINTENANCE_DB: &str = "postgres";
/// PostgreSQL truncates identifiers beyond NAMEDATALEN - 1 bytes.
const MAX_NAME_LEN: usize = 63;
const LOG_TAIL_LINES: usize = 30;
/// `sun_path` holds 108 bytes; PostgreSQL appends `/.s.PGSQL.<port>` to the socket directory.
const MAX_SOCKET_DIR_LEN: usize = 90;
const INSTALL_HINT: &str = "Install it (Debian: apt-get install postgresql) or set DATABASE_URL.";

/// Why no usable PostgreSQL server could be found, started or used. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum DevDbError {
    #[error(
        "No PostgreSQL found: DATABASE_URL is not set, nothing answers on 127.0.0.1:5432, and no initdb/pg_ctl \
         on PATH or in /usr/lib/postgresql/*/bin. {INSTALL_HINT}"
    )]
    NotFound,

    #[error(
        "Cannot make a throwaway PostgreSQL cluster: no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin. \
         {INSTALL_HINT}"
    )]
    NoBinaries,

    #[error(
        "DATABASE_URL is not a valid PostgreSQL URL (expected e.g. postgres://postgres@127.0.0.1:5432/gumdash): \
         {cause}"
    )]
    BadDatabaseUrl { cause: sqlx::Error },

    #[error(
        "DATABASE_URL is set, but its server cannot be used: {cause} Start that server, correct DATABASE_URL, \
         or unset it (then 127.0.0.1:5432 or a throwaway cluster is used)."
    )]
    EnvServer { cause: Box<DevDbError> },

    #[error("Timed out after {} s connecting to PostgreSQL at {target}.", PROBE_TIMEOUT.as_secs())]
    ConnectTimeout { target: String },

    #[error("Could not connect to PostgreSQL at {target}: {cause}.")]
    Connect { target: String, cause: sqlx::Error },

    #[error("Invalid database name {0:?}: use 1 to {MAX_NAME_LEN} characters from a-z, 0-9 and _.")]
    InvalidName(String),

    #[error("{statement} failed: {cause}.")]
    Sql {
        statement: String,
        cause: sqlx::Error,
    },

    #[error("{context}: {cause}.")]
    Io {
        context: String,
        cause: std::io::Error,
    },

    #[error(
        "Running as root, and PostgreSQL refuses to run as root: {problem}. Run as a normal user, fix that, \
         or set DATABASE_URL."
    )]
    Root { problem: String },

    #[error("`{command}` failed ({status}):\n{output}")]
    Command {
        command: String,
        status: String,
        output: String,
    },

    #[error(
        "The throwaway PostgreSQL cluster in {} did not start on port {port}. `pg_ctl start` said:\n{output}\n\
         Last lines of {}:\n{log_tail}\nIt is a throwaway cluster: deleting {} makes a fresh one.",
        data_dir.display(), log_file.display(), data_dir.display()
    )]
    StartFailed {
        data_dir: PathBuf,
        log_file: PathBuf,
        port: u16,
        output: String,
        log_tail: String,
    },
}

/// Where the server came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerOrigin {
    /// `DATABASE_URL` named it.
    FromEnv,
    /// The local server on 127.0.0.1:5432.
    LocalDefault,
    /// A cluster this module made (and started, unless it was already running).
    Throwaway { data_dir: PathBuf, port: u16 },
}

/// A PostgreSQL server to make databases on.
#[derive(Clone)]
pub struct DatabaseServer {
    /// Connect options for the server's maintenance database (`postgres`).
    maintenance: PgConnectOptions,
    /// What `DATABASE_URL` said, when it was set.
    env_database: Option<PgConnectOptions>,
    origin: ServerOrigin,
    /// Set for a throwaway cluster: how to stop it.
    cluster: Option<Cluster>,
}

/// A throwaway cluster: where it lives and how to run its binaries.
#[derive(Debug, Clone)]
struct Cluster {
    bin_dir: PathBuf,
    data_dir: PathBuf,
    log_file: PathBuf,
    socket_dir: PathBuf,
    port: u16,
    /// The path of `runuser` when we are root (the binaries then run as user `postgres`).
    runuser: Option<PathBuf>,
}

/// `DATABASE_URL`, else 127.0.0.1:5432, else a throwaway cluster under `state_dir`.
pub async fn find_or_start(state_dir: &Path) -> Result<DatabaseServer, DevDbError> {
    if let Some(url) = std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
    {
        return from_env(&url).await;
    }
    let local = local_default_options();
    match probe(&local).await {
        Ok(()) => {
            tracing::debug!("using the PostgreSQL server on 127.0.0.1:5432");
            return Ok(DatabaseServer {
                maintenance: local,
                env_database: None,
                origin: ServerOrigin::LocalDefault,
                cluster: None,
            });
        }
        Err(error) => tracing::debug!(%error, "no usable PostgreSQL server on 127.0.0.1:5432"),
    }
    match start_throwaway(state_dir).await {
        Err(DevDbError::NoBinaries) => Err(DevDbError::NotFound),
        other => other,
    }
}

/// Finds a throwaway cluster under `state_dir` that is running and reuses it, or starts it (running `initdb`
/// first when needed). Concurrent callers (test processes) are serialised by a lock file.
pub async fn start_throwaway(state_dir: &Path) -> Result<DatabaseServer, DevDbError> {
    let bin_dir = find_binaries().ok_or(DevDbError::NoBinaries)?;
    let runuser = if running_as_root() {
        Some(find_runuser()?)
    } else {
        None
    };

    std::fs::create_dir_all(state_dir)
        .map_err(|cause| io_error(format!("could not create {}", state_dir.display()), cause))?;
    let state_dir = std::fs::canonicalize(state_dir)
        .map_err(|cause| io_error(format!("could not resolve {}", state_dir.display()), cause))?;
    let _lock = lock_state_dir(&state_dir).await?;

    let base = cluster_base(&state_dir, runuser.as_deref()).await?;
    let data_dir = base.join("data");
    let mut cluster = Cluster {
        bin_dir: bin_version_for(&data_dir).unwrap_or(bin_dir),
        log_file: base.join("postgres.log"),
        socket_dir: if socket_dir_ok(&base) {
            base.clone()
        } else {
            PathBuf::from("/tmp")
        },
        port: 0,
        runuser,
        data_dir,
    };

    // Already running? postmaster.pid names the port; the server must say it serves our data directory.
    if let Some(port) = running_port(&cluster.data_dir) {
        cluster.port = port;
        if serves_data_dir(&cluster).await {
            tracing::debug!(port, data_dir = %cluster.data_dir.display(), "reusing the running throwaway cluster");
            return Ok(DatabaseServer::throwaway(cluster));
        }
    }

    if !cluster.data_dir.join("PG_VERSION").is_file() || !cluster.version_matches().await {
        cluster.initdb().await?;
    }

    let port_file = state_dir.join("port");
    cluster.port = match read_port(&port_file) {
        Some(port) if port_is_free(port) => port,
        _ => {
            let port = pick_free_port()?;
            std::fs::write(&port_file, format!("{port}\n")).map_err(|cause| {
                io_error(format!("could not write {}", port_file.display()), cause)
            })?;
            port
        }
    };
    cluster.start().await?;
    Ok(DatabaseServer::throwaway(cluster))
}

impl DatabaseServer {
    fn throwaway(cluster: Cluster) -> Self {
        let maintenance = local_options(cluster.port);
        DatabaseServer {
            maintenance,
            env_database: None,
            origin: ServerOrigin::Throwaway {
                data_dir: cluster.data_dir.clone(),
                port: cluster.port,
            },
            cluster: Some(cluster),
        }
    }

    pub fn origin(&self) -> &ServerOrigin {
        &self.origin
    }

    /// Connect options for database `name` on this server (same host, port, user, password).
    pub fn options_for(&self, name: &str) -> PgConnectOptions {
        self.maintenance.clone().database(name)
    }

    /// The database DATABASE_URL names, when it was set (the demo uses it as is).
    pub fn env_database(&self) -> Option<PgConnectOptions> {
        self.env_database.clone()
    }

    /// `CREATE DATABASE "name"`; `name` must match `[a-z0-9_]{1,63}`.
    pub async fn create_database(&self, name: &str) -> Result<(), DevDbError> {
        validate_name(name)?;
        self.admin(format!(r#"CREATE DATABASE "{name}""#)).await
    }

    /// `DROP DATABASE IF EXISTS "name" WITH (FORCE)` (open connections to it are closed).
    pub async fn drop_database(&self, name: &str) -> Result<(), DevDbError> {
        validate_name(name)?;
        self.admin(format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#))
            .await
    }

    /// The names of the (non-template) databases that start with `prefix`, sorted.
    pub async fn list_databases(&self, prefix: &str) -> Result<Vec<String>, DevDbError> {
        const SQL: &str = "SELECT datname::text FROM pg_database \
                           WHERE NOT datistemplate AND starts_with(datname::text, $1) ORDER BY datname";
        let mut conn = connect(&self.maintenance).await?;
        let names = sqlx::query_scalar::<_, String>(SQL)
            .bind(prefix)
            .fetch_all(&mut conn)
            .await
            .map_err(|cause| DevDbError::Sql {
                statement: "listing databases".into(),
                cause,
            })?;
        let _ = conn.close().await;
        Ok(names)
    }

    /// Stops the cluster only if this module started it (a throwaway cluster; the demo calls this on
    /// Ctrl-C); otherwise does nothing. A cluster that is already stopped is fine.
    pub async fn stop_if_throwaway(&self) -> Result<(), DevDbError> {
        match &self.cluster {
            Some(cluster) => cluster.stop().await,
            None => Ok(()),
        }
    }

    async fn admin(&self, statement: String) -> Result<(), DevDbError> {
        let mut conn = connect(&self.maintenance).await?;
        let result = sqlx::query(AssertSqlSafe(statement.clone()))
            .execute(&mut conn)
            .await;
        let _ = conn.close().await;
        result
            .map(drop)
            .map_err(|cause| DevDbError::Sql { statement, cause })
    }
}

impl fmt::Display for DatabaseServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            ServerOrigin::FromEnv => write!(
                f,
                "the server DATABASE_URL names ({})",
                target(&self.maintenance)
            ),
            ServerOrigin::LocalDefault => {
                write!(f, "the local server on {LOCAL_HOST}:{LOCAL_PORT}")
            }
            ServerOrigin::Throwaway { data_dir, port } => {
                write!(
                    f,
                    "a throwaway cluster on {LOCAL_HOST}:{port} (data in {})",
                    data_dir.display()
                )
            }
        }
    }
}

/// Never prints the password.
impl fmt::Debug for DatabaseServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseServer")
            .field("target", &target(&self.maintenance))
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// Database names are interpolated into SQL, so only `[a-z0-9_]{1,63}` is accepted.
fn validate_name(name: &str) -> Result<(), DevDbError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(DevDbError::InvalidName(name.to_owned()))
    }
}

// ---------------------------------------------------------------------------------------------------------
// Connections

async fn from_env(url: &str) -> Result<DatabaseServer, DevDbError> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        let cause = sqlx::Error::Configuration("it does not start with postgres://".into());
        return Err(DevDbError::BadDatabaseUrl { cause });
    }
    let env: PgConnectOptions = url
        .parse()
        .map_err(|cause| DevDbError::BadDatabaseUrl { cause })?;
    match probe(&env).await {
        Ok(()) => {}
        // The server answers; only the named database is missing (the demo may create it).
        Err(DevDbError::Connect {
            cause: sqlx::Error::Database(e),
            ..
        }) if e.code().as_deref() == Some("3D000") => {}
        Err(cause) => {
            return Err(DevDbError::EnvServer {
                cause: Box::new(cause),
            });
        }
    }
    Ok(DatabaseServer {
        maintenance: env.clone().database(MAINTENANCE_DB),
        env_database: Some(env),
        origin: ServerOrigin::FromEnv,
        cluster: None,
    })
}

fn local_default_options() -> PgConnectOptions {
    local_options(LOCAL_PORT)
}

/// 127.0.0.1:`port` as `postgres`, maintenance database, no TLS (loopback, trust auth).
fn local_options(port: u16) -> PgConnectOptions {
    PgConnectOptions::new_without_pgpass()
        .host(LOCAL_HOST)
        .port(port)
        .username(SUPERUSER)
        .database(MAINTENANCE_DB)
        .ssl_mode(PgSslMode::Disable)
}

/// "host:port/database as user", without the password.
fn target(options: &PgConnectOptions) -> String {
    format!(
        "{}:{}/{} as {}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or(options.get_username()),
        options.get_username()
    )
}

async fn connect(options: &PgConnectOptions) -> Result<PgConnection, DevDbError> {
    let options = options.clone().disable_statement_logging();
    match tokio::time::timeout(PROBE_TIMEOUT, PgConnection::connect_with(&options)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(cause)) => Err(DevDbError::Connect {
            target: target(&options),
            cause,
        }),
        Err(_) => Err(DevDbError::ConnectTimeout {
            target: target(&options),
        }),
    }
}

async fn probe(options: &PgConnectOptions) -> Result<(), DevDbError> {
    let conn = connect(options).await?;
    let _ = conn.close().await;
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------
// The throwaway cluster

impl Cluster {
    /// A command running `program` from the cluster's binaries, as user postgres when we are root, detached
    /// from our process group (so a Ctrl-C in the terminal reaches the demo, not the server).
    fn command(&self, program: &str) -> (Command, String) {
        let exe = self.bin_dir.join(program);
        let mut cmd = match &self.runuser {
            Some(runuser) => {
                let mut cmd = Command::new(runuser);
                cmd.args(["-u", SUPERUSER, "--"]).arg(&exe);
                cmd
            }
            None => Command::new(&exe),
        };
        cmd.current_dir("/").stdin(Stdio::null()).process_group(0);
        let shown = match &self.runuser {
            Some(_) => format!("runuser -u {SUPERUSER} -- {}", exe.display()),
            None => exe.display().to_string(),
        };
        (cmd, shown)
    }

    async fn initdb(&self) -> Result<(), DevDbError> {
        if self.data_dir.exists() {
            // A leftover of a failed initdb or of another major version: it is ours to throw away.
            std::fs::remove_dir_all(&self.data_dir).map_err(|cause| {
                io_error(
                    format!("could not remove {}", self.data_dir.display()),
                    cause,
                )
            })?;
        }
        tracing::info!(data_dir = %self.data_dir.display(), "creating a throwaway PostgreSQL cluster");
        let (mut cmd, shown) = self.command("initdb");
        cmd.arg("-D").arg(&self.data_dir).args([
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--no-locale",
            "-E",
            "UTF8",
            "--no-sync",
        ]);
        run(cmd, format!("{shown} -D {}", self.data_dir.display()))
            .await
            .map(drop)
    }

    async fn start(&self) -> Result<(), DevDbError> {
        tracing::info!(port = self.port, data_dir = %self.data_dir.display(), "starting a throwaway PostgreSQL cluster");
        // pg_ctl pastes -o into a shell command line: socket_dir holds only [A-Za-z0-9/._-] (socket_dir_ok).
        let server_options = format!(
            "-p {} -k {} -c listen_addresses={LOCAL_HOST} -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=200",
            self.port,
            self.socket_dir.display()
        );
        let (mut cmd, _) = self.command("pg_ctl");
        cmd.arg("-D")
            .arg(&self.data_dir)
            .arg("-l")
            .arg(&self.log_file)
            .args([
                "-w",
                "-t",
                PG_CTL_TIMEOUT_SECS,
                "-o",
                &server_options,
                "start",
            ]);
        let failed = |output: String| DevDbError::StartFailed {
            data_dir: self.data_dir.clone(),
            log_file: self.log_file.clone(),
            port: self.port,
            output,
            log_tail: log_tail(&self.log_file),
        };
        let out = cmd
            .output()
            .await
            .map_err(|e| failed(format!("could not run pg_ctl: {e}")))?;
        if !out.status.success() {
            return Err(failed(output_text(&out)));
        }
        // pg_ctl -w waited for "ready"; a few retries cover a slow first connection.
        let options = local_options(self.port);
        let mut attempt = 0;
        loop {
            match probe(&options).await {
                Ok(()) => return Ok(()),
                Err(error) if attempt >= 20 => return Err(failed(format!("started, but {error}"))),
                Err(_) => attempt += 1,
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn stop(&self) -> Result<(), DevDbError> {
        if !self.data_dir.join("postmaster.pid").exists() {
            return Ok(());
        }
        tracing::info!(data_dir = %self.data_dir.display(), "stopping the throwaway PostgreSQL cluster");
        let (mut cmd, shown) = self.command("pg_ctl");
        cmd.arg("-D").arg(&self.data_dir).args([
            "-m",
            "fast",
            "-w",
            "-t",
            PG_CTL_TIMEOUT_SECS,
            "stop",
        ]);
        match run(cmd, format!("{shown} -D {} stop", self.data_dir.display())).await {
            // Stopped meanwhile (pg_ctl says "Is server running?").
            Err(_) if !self.data_dir.join("postmaster.pid").exists() => Ok(()),
            other => other.map(drop),
        }
    }

    /// Whether the data directory's major version is the binaries' (false: re-initialise, it's throwaway).
    async fn version_matches(&self) -> bool {
        let Ok(data_version) = std::fs::read_to_string(self.data_dir.join("PG_VERSION")) else {
            return false;
        };
        match binaries_major_version(&self.bin_dir).await {
            Some(bin_version) => data_version.trim() == bin_version,
            None => true, // can't tell: let pg_ctl say so if they differ
        }
    }
}

/// Whether the server on 127.0.0.1:`cluster.port` serves `cluster.data_dir` (not some other server that took
/// the port).
async fn serves_data_dir(cluster: &Cluster) -> bool {
    let Ok(mut conn) = connect(&local_options(cluster.port)).await else {
        return false;
    };
    let dir: Result<String, _> = sqlx::query_scalar("SELECT current_setting('data_directory')")
        .fetch_one(&mut conn)
        .await;
    let _ = conn.close().await;
    dir.is_ok_and(|dir| Path::new(&dir) == cluster.data_dir)
}

/// The port line of `postmaster.pid`, when the file exists.
fn running_port(data_dir: &Path) -> Option<u16> {
    let pid_file = std::fs::read_to_string(data_dir.join("postmaster.pid")).ok()?;
    pid_file.lines().nth(3)?.trim().parse().ok()
}

fn read_port(port_file: &Path) -> Option<u16> {
    std::fs::read_to_string(port_file)
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|&port| port != 0)
}

fn port_is_free(port: u16) -> bool {
    std::net::TcpListener::bind((LOCAL_HOST, port)).is_ok()
}

fn pick_free_port() -> Result<u16, DevDbError> {
    std::net::TcpListener::bind((LOCAL_HOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|cause| io_error("could not find a free port on 127.0.0.1".into(), cause))
}

/// Holds an exclusive lock on `state_dir/lock` until dropped.
async fn lock_state_dir(state_dir: &Path) -> Result<std::fs::File, DevDbError> {
    let path = state_dir.join("lock");
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .and_then(|file| file.lock().map(|()| file));
        file.map_err(|cause| io_error(format!("could not lock {}", path.display()), cause))
    })
    .await
    .map_err(|e| io_error("the lock task failed".into(), std::io::Error::other(e)))?
}

/// The directory that holds `data/` and `postgres.log`: the state directory, unless we are root and user
/// postgres cannot reach it, then `/tmp/gumdash-pg-<hash>`. As root, it is handed to user postgres.
async fn cluster_base(state_dir: &Path, runuser: Option<&Path>) -> Result<PathBuf, DevDbError> {
    let Some(runuser) = runuser else {
        return Ok(state_dir.to_path_buf());
    };
    let (uid, gid) = postgres_ids()?;
    let parent = state_dir.parent().unwrap_or(Path::new("/"));
    let reachable = Command::new(runuser)
        .args(["-u", SUPERUSER, "--", "test", "-x"])
        .arg(parent)
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|status| status.success());
    let base = if reachable {
        state_dir.to_path_buf()
    } else {
        let base = PathBuf::from(format!(
            "/tmp/gumdash-pg-{:016x}",
            fnv1a(state_dir.as_os_str().as_encoded_bytes())
        ));
        std::fs::create_dir_all(&base)
            .map_err(|cause| io_error(format!("could not create {}", base.display()), cause))?;
        let note = format!("{}\n", base.display());
        let _ = std::fs::write(state_dir.join("cluster-dir"), note);
        base
    };
    std::os::unix::fs::chown(&base, Some(uid), Some(gid)).map_err(|cause| {
        io_error(
            format!("could not hand {} to user postgres", base.display()),
            cause,
        )
    })?;
    Ok(base)
}

/// Safe to paste into pg_ctl's shell command line and short enough for a Unix socket path.
fn socket_dir_ok(dir: &Path) -> bool {
    let Some(dir) = dir.to_str() else {
        return false;
    };
    dir.len() <= MAX_SOCKET_DIR_LEN
        && dir
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-'))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

// ---------------------------------------------------------------------------------------------------------
// Binaries and users

/// A directory with both `initdb` and `pg_ctl`: from PATH first (symlinks resolved, so `pg_ctl` finds its
/// `postgres`), else the newest `/usr/lib/postgresql/<version>/bin`.
fn find_binaries() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    let from_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>());
    for dir in from_path {
        if has_both(&dir) {
            let real = std::fs::canonicalize(dir.join("initdb"))
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf));
            return Some(real.filter(|real| has_both(real)).unwrap_or(dir));
        }
    }
    debian_bin_dirs()
        .into_iter()
        .map(|(_, dir)| dir)
        .find(|dir| has_both(dir))
}

/// `/usr/lib/postgresql/<major>/bin`, newest first.
fn debian_bin_dirs() -> Vec<(u32, PathBuf)> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    dirs.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    dirs
}

/// When `data_dir` was made by a major version that Debian also has installed, that version's binaries.
fn bin_version_for(data_dir: &Path) -> Option<PathBuf> {
    let version: u32 = std::fs::read_to_string(data_dir.join("PG_VERSION"))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    debian_bin_dirs()
        .into_iter()
        .find(|(v, dir)| {
            *v == version && dir.join("pg_ctl").is_file() && dir.join("initdb").is_file()
        })
        .map(|(_, dir)| dir)
}

/// "15" from "pg_ctl (PostgreSQL) 15.19 (Debian 15.19-0+deb12u1)".
async fn binaries_major_version(bin_dir: &Path) -> Option<String> {
    let out = Command::new(bin_dir.join("pg_ctl"))
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .await
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    parse_major_version(&text)
}

fn parse_major_version(text: &str) -> Option<String> {
    let version = text
        .split_whitespace()
        .find(|word| word.starts_with(|c: char| c.is_ascii_digit()))?;
    let major: String = version.chars().take_while(char::is_ascii_digit).collect();
    Some(major)
}

fn running_as_root() -> bool {
    // The owner of /proc/self is the process's effective user (Linux; elsewhere: assume not root).
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

fn find_runuser() -> Result<PathBuf, DevDbError> {
    let from_path =
        std::env::var_os("PATH").map(|path| std::env::split_paths(&path).collect::<Vec<_>>());
    from_path
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|dir| dir.join("runuser"))
        .find(|path| path.is_file())
        .ok_or_else(|| DevDbError::Root {
            problem: "`runuser` (util-linux) is missing to run it as user postgres".into(),
        })
}

/// The uid and gid of user `postgres`, from /etc/passwd.
fn postgres_ids() -> Result<(u32, u32), DevDbError> {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .find_map(|line| {
            let mut fields = line.split(':');
            (fields.next()? == SUPERUSER).then_some(())?;
            let uid = fields.nth(1)?.parse().ok()?;
            let gid = fields.next()?.parse().ok()?;
            Some((uid, gid))
        })
        .ok_or_else(|| DevDbError::Root {
            problem: "there is no user `postgres` to run it as (Debian's postgresql package creates one; \
                      or: useradd --system postgres)"
                .into(),
        })
}

// ---------------------------------------------------------------------------------------------------------
// Processes and files

async fn run(mut cmd: Command, shown: String) -> Result<Output, DevDbError> {
    let out = cmd
        .output()
        .await
        .map_err(|cause| io_error(format!("could not run `{shown}`"), cause))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(DevDbError::Command {
            command: shown,
            status: out.status.to_string(),
            output: output_text(&out),
        })
    }
}

fn output_text(out: &Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.trim_end().to_owned()
}

fn log_tail(log_file: &Path) -> String {
    match std::fs::read_to_string(log_file) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
        }
        Err(e) => format!("(could not read it: {e})"),
    }
}

fn io_error(context: String, cause: std::io::Error) -> DevDbError {
    DevDbError::Io { context, cause }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_lowercase_ascii_digits_and_underscores() {
        for ok in [
            "gumdash",
            "gumdash_test_0123456789abcdef",
            "_",
            "0",
            &"a".repeat(63),
        ] {
            assert!(validate_name(ok).is_ok(), "{ok:?} should be accepted");
        }
        for bad in [
            "",
            "Gumdash",
            "gum-dash",
            "gum dash",
            "a\"b",
            "a;b",
            "é",
            "a.b",
            &"a".repeat(64),
        ] {
            assert!(
                matches!(validate_name(bad), Err(DevDbError::InvalidName(_))),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn major_version_is_read_from_pg_ctl_output() {
        let debian = "pg_ctl (PostgreSQL) 15.19 (Debian 15.19-0+deb12u1)\n";
        assert_eq!(parse_major_version(debian).as_deref(), Some("15"));
        assert_eq!(
            parse_major_version("pg_ctl (PostgreSQL) 17.2").as_deref(),
            Some("17")
        );
        assert_eq!(parse_major_version("nothing here"), None);
    }

    #[test]
    fn socket_dirs_must_be_short_and_shell_safe() {
        assert!(socket_dir_ok(Path::new("/tmp/gumdash-pg-0123456789abcdef")));
        assert!(!socket_dir_ok(Path::new("/tmp/with space")));
        assert!(!socket_dir_ok(Path::new("/tmp/quote'")));
        assert!(!socket_dir_ok(
            &Path::new("/tmp").join("x".repeat(MAX_SOCKET_DIR_LEN))
        ));
    }

    #[test]
    fn not_found_says_what_to_install() {
        let message = DevDbError::NotFound.to_string();
        assert!(message.contains("apt-get install postgresql"), "{message}");
        assert!(message.contains("DATABASE_URL"), "{message}");
    }

    #[test]
    fn debug_never_shows_the_password() {
        let options: PgConnectOptions = "postgres://app:s3cret@db.example:5433/gumdash"
            .parse()
            .unwrap();
        let server = DatabaseServer {
            maintenance: options.clone().database(MAINTENANCE_DB),
            env_database: Some(options),
            origin: ServerOrigin::FromEnv,
            cluster: None,
        };
        let shown = format!("{server:?} {server}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("db.example:5433"), "{shown}");
        assert_eq!(server.options_for("other").get_database(), Some("other"));
        assert_eq!(server.options_for("other").get_port(), 5433);
    }

    /// Stops the cluster and removes its directories even when an assertion fails.
    struct Cleanup {
        dirs: Vec<PathBuf>,
        data_dir: Option<PathBuf>,
    }

    impl Drop for Cleanup {
        fn drop(&mut self) {
            if let Some(data_dir) = &self.data_dir
                && data_dir.join("postmaster.pid").exists()
                && let Some(bin_dir) = find_binaries()
            {
                let pg_ctl = bin_dir.join("pg_ctl");
                let mut cmd = if running_as_root() {
                    let mut cmd = std::process::Command::new("runuser");
                    cmd.args(["-u", SUPERUSER, "--"]).arg(pg_ctl);
                    cmd
                } else {
                    std::process::Command::new(pg_ctl)
                };
                let _ = cmd
                    .current_dir("/")
                    .arg("-D")
                    .arg(data_dir)
                    .args(["-m", "immediate", "stop"])
                    .output();
            }
            for dir in &self.dirs {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }

    #[tokio::test]
    async fn throwaway_cluster_starts_serves_is_reused_and_stops() {
        if find_binaries().is_none() {
            eprintln!("skipped: no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin");
            return;
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let state_dir =
            std::env::temp_dir().join(format!("gumdash-devdb-test-{}-{nanos}", std::process::id()));
        let mut cleanup = Cleanup {
            dirs: vec![state_dir.clone()],
            data_dir: None,
        };

        let server = start_throwaway(&state_dir).await.unwrap();
        let ServerOrigin::Throwaway { data_dir, port } = server.origin().clone() else {
            panic!("expected a throwaway cluster, got {server:?}");
        };
        cleanup.data_dir = Some(data_dir.clone());
        if data_dir.parent() != Some(std::fs::canonicalize(&state_dir).unwrap().as_path()) {
            cleanup.dirs.push(data_dir.parent().unwrap().to_path_buf());
        }
        assert_eq!(read_port(&state_dir.join("port")), Some(port));
        assert!(server.env_database().is_none());

        // A second call finds it running and reuses it.
        let again = start_throwaway(&state_dir).await.unwrap();
        assert_eq!(again.origin(), server.origin());

        let name = "devdb_selftest";
        server.drop_database(name).await.unwrap();
        server.create_database(name).await.unwrap();
        assert_eq!(
            server.list_databases("devdb_").await.unwrap(),
            vec![name.to_owned()]
        );
        let mut conn = PgConnection::connect_with(&server.options_for(name))
            .await
            .unwrap();
        let one: i32 = sqlx::query_scalar("SELECT 1")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(one, 1);
        drop(conn);
        server.drop_database(name).await.unwrap(); // WITH (FORCE): the dropped connection may linger
        assert!(server.list_databases("devdb_").await.unwrap().is_empty());
        assert!(matches!(
            server.create_database("bad-name").await,
            Err(DevDbError::InvalidName(_))
        ));

        server.stop_if_throwaway().await.unwrap();
        assert!(!data_dir.join("postmaster.pid").exists());
        assert!(matches!(
            connect(&server.options_for("postgres")).await,
            Err(DevDbError::Connect { .. })
        ));
        server.stop_if_throwaway().await.unwrap(); // already stopped: fine

        // Started again from the existing data directory, on the remembered port.
        let restarted = start_throwaway(&state_dir).await.unwrap();
        assert_eq!(restarted.origin(), server.origin());
        restarted.stop_if_throwaway().await.unwrap();
    }
}
