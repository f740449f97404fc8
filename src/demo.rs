//! `gumdash demo`: the simulator and the dashboard wired together on this machine, with seeded
//! creators, and no setup: it finds or starts PostgreSQL (see `devdb`), makes its own keys and
//! its own database, and prints where to click.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use secrecy::SecretString;

use crate::cli::DemoArgs;
use crate::config::{self, GumroadSettings, LogFormat, SessionKey, Settings};
use crate::devdb;
use crate::sim;
use crate::startup::{Application, Background};
use crate::store;
use crate::vault::KeyRing;

const DEMO_DATABASE: &str = "gumdash_demo";

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let state_dir = state_dir();
    let server = devdb::find_or_start(&state_dir.join("pg"))
        .await
        .context("the demo needs PostgreSQL")?;
    let result = run_with_server(&args, &server, &state_dir).await;
    if let Err(error) = server.stop_if_throwaway().await {
        eprintln!("warning: could not stop the demo's PostgreSQL: {error}");
    }
    result
}

async fn run_with_server(
    args: &DemoArgs,
    server: &devdb::DatabaseServer,
    state_dir: &Path,
) -> anyhow::Result<()> {
    let database = match server.env_database() {
        Some(options) => options,
        None => {
            // A fresh database each run: the simulator's tokens live in memory and die with it.
            server.drop_database(DEMO_DATABASE).await?;
            server.create_database(DEMO_DATABASE).await?;
            server.options_for(DEMO_DATABASE)
        }
    };
    let pool = store::pool(database.clone());
    store::migrate(&pool)
        .await
        .context("migrating the demo database")?;

    let public_url = format!("http://127.0.0.1:{}/", args.port);
    let sim_listener = bind(([127, 0, 0, 1], args.sim_port).into())?;
    let sim_url = format!("http://127.0.0.1:{}/", args.sim_port);
    let app = sim::SimApp::with_redirect_uris(
        args.seed,
        vec![format!("{public_url}auth/gumroad/callback")],
    );
    let settings = demo_settings(args, &public_url, &sim_url, &app, database, state_dir)?;
    let (sim_server, sim) = sim::start(
        sim::SimConfig {
            seed: args.seed,
            apps: vec![app],
            // The demo's dashboard listens on 127.0.0.1, which Gumroad would refuse as a ping URL.
            pings: sim::PingSettings {
                allow_loopback: true,
                ..sim::PingSettings::default()
            },
            ..sim::SimConfig::default()
        },
        sim_listener,
    )?;
    let background = Background::new(&settings, pool.clone());
    let dashboard = Application::build_with_pool(settings, pool).await?;
    let (_stop_workers, shutdown) = tokio::sync::watch::channel(false);
    print_banner(&public_url, &sim_url, &sim.creators());

    tokio::select! {
        result = sim_server => result.context("the simulator stopped")?,
        result = dashboard.run_until_stopped() => result.context("the dashboard stopped")?,
        () = async {
            background.run(shutdown).await;
            std::future::pending::<()>().await
        } => {},
        _ = tokio::signal::ctrl_c() => println!("\nStopping the demo."),
    }
    Ok(())
}

fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).with_context(|| {
        format!(
            "port {} is taken; pick others with --port and --sim-port",
            addr.port()
        )
    })
}

fn demo_settings(
    args: &DemoArgs,
    public_url: &str,
    sim_url: &str,
    app: &sim::SimApp,
    database: sqlx::postgres::PgConnectOptions,
    state_dir: &Path,
) -> anyhow::Result<Settings> {
    let parse_url = |url: &str| config::parse_base_url(url).map_err(anyhow::Error::msg);
    Ok(Settings {
        listen_addr: ([127, 0, 0, 1], args.port).into(),
        public_url: parse_url(public_url)?,
        database,
        gumroad: GumroadSettings {
            client_id: app.client_id.clone(),
            client_secret: SecretString::from(app.client_secret.clone()),
            oauth_url: parse_url(&format!("{sim_url}oauth"))?,
            api_url: parse_url(&format!("{sim_url}v2"))?,
            scopes: config::DEFAULT_SCOPES
                .split(' ')
                .map(str::to_owned)
                .collect(),
            timeout: std::time::Duration::from_secs(10),
            retry_base_delay: std::time::Duration::from_millis(250),
            max_read_attempts: 3,
            actions: Default::default(),
        },
        token_keys: demo_key_ring(state_dir)?,
        session_key: SessionKey(actix_web::cookie::Key::generate()),
        admin_gumroad_ids: Vec::new(),
        trusted_proxies: Vec::new(),
        log_format: LogFormat::Pretty,
        jobs: config::JobSettings::default(),
        sync: crate::sync::SyncSettings::default(),
        exports_at_once: 4,
        metrics_token: None,
        metrics: crate::metrics::Metrics::new(),
        sessions: Default::default(),
        db_pools: Default::default(),
        demo_sim_url: Some(parse_url(sim_url)?),
    })
}

/// The demo's token key, kept in the state directory so a database given by DATABASE_URL stays
/// readable across runs. Real deployments set GUMDASH_TOKEN_KEYS instead.
fn demo_key_ring(state_dir: &Path) -> anyhow::Result<KeyRing> {
    let path = state_dir.join("demo-token-keys");
    if let Ok(spec) = std::fs::read_to_string(&path) {
        return KeyRing::parse(spec.trim())
            .with_context(|| format!("{} is corrupt; delete it", path.display()));
    }
    let (ring, spec) = KeyRing::generate("demo1");
    std::fs::create_dir_all(state_dir)?;
    write_private(&path, &spec)?;
    Ok(ring)
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}

/// `$XDG_CACHE_HOME/gumdash`, else `~/.cache/gumdash`, else the system temp dir.
fn state_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("gumdash")
}

fn print_banner(public_url: &str, sim_url: &str, creators: &[sim::SeededCreator]) {
    println!();
    println!("  gumdash demo is running.");
    println!();
    println!("  Open  {public_url}  and click \"Sign in with Gumroad\".");
    println!("  The Gumroad simulator ({sim_url}) will ask which creator you are:");
    for creator in creators {
        println!("    - {} <{}>", creator.name, creator.email);
    }
    println!();
    println!("  Stop with Ctrl-C.");
    println!();
}
