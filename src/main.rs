use std::process::ExitCode;

use clap::Parser as _;
use gumdash::cli::{AdminCommand, Cli, Command, KeysCommand, SimArgs};
use gumdash::config::{self, Settings};
use gumdash::startup::{Application, Background};
use gumdash::vault::KeyRing;
use gumdash::{demo, operators, sim, store, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(telemetry::format_from_env(), std::io::stdout);
    let outcome = match cli.command {
        Command::Serve => serve().await,
        Command::Migrate => migrate().await,
        Command::Sim(args) => run_sim(args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Keygen => {
            keygen();
            Ok(())
        }
        Command::Keys {
            command: KeysCommand::Rotate { batch_size },
        } => rotate_keys(batch_size).await,
        Command::Admin(args) => admin(args.command).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The message is written for a person: print it plainly, not as a log record.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The web server and, beside it, this instance's background workers. The server stops on SIGINT or
/// SIGTERM; the workers then stop claiming and finish what they run (at most half a minute).
async fn serve() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    // Requests wait at most a second for a connection (then "temporarily unavailable"); jobs longer.
    let pools = settings.db_pools;
    let background = Background::new(
        &settings,
        store::worker_pool(settings.database.clone(), pools.workers),
    );
    let web_pool = store::web_pool(settings.database.clone(), pools.web);
    let app = Application::build_with_pool(settings, web_pool).await?;
    tracing::info!(port = app.port(), "gumdash is listening");
    let (stop_workers, shutdown) = tokio::sync::watch::channel(false);
    let workers = tokio::spawn(background.run(shutdown));
    let served = app.run_until_stopped().await;
    let _ = stop_workers.send(true);
    if tokio::time::timeout(std::time::Duration::from_secs(30), workers)
        .await
        .is_err()
    {
        tracing::warn!("background jobs still running after 30 s; their leases will expire");
    }
    served?;
    Ok(())
}

/// A pool on `DATABASE_URL`, for the commands that need only the database.
fn database_from_env(purpose: &str) -> anyhow::Result<sqlx::PgPool> {
    let url = std::env::var("DATABASE_URL").map_err(|_| {
        anyhow::anyhow!("DATABASE_URL is missing: set it to the database {purpose}")
    })?;
    let options = url
        .parse()
        .map_err(|_| anyhow::anyhow!("DATABASE_URL is not a PostgreSQL URL"))?;
    Ok(store::pool(options))
}

async fn migrate() -> anyhow::Result<()> {
    let pool = database_from_env("to migrate")?;
    store::migrate(&pool).await?;
    println!("migrations applied");
    Ok(())
}

/// `gumdash keys rotate`: progress on stdout, one line per batch.
async fn rotate_keys(batch_size: i64) -> anyhow::Result<()> {
    let pool = database_from_env("whose tokens to re-encrypt")?;
    let spec = std::env::var("GUMDASH_TOKEN_KEYS").unwrap_or_default();
    let keys = KeyRing::parse(&spec).map_err(|e| anyhow::anyhow!("GUMDASH_TOKEN_KEYS {e}"))?;
    println!(
        "re-encrypting the stored tokens under key {:?}",
        keys.active_key_id()
    );
    let report = gumdash::rotation::rotate(&pool, &keys, batch_size, "cli", |p| {
        println!("{} of {} re-encrypted", p.rotated, p.total);
    })
    .await?;
    if report.remaining > 0 {
        anyhow::bail!(
            "{} token(s) are still sealed under an old key ({} could not be opened; see the log); \
             keep the old key in GUMDASH_TOKEN_KEYS",
            report.remaining,
            report.unreadable
        );
    }
    println!(
        "done: {} token(s) re-encrypted; every token is sealed under {:?}, so the other keys can leave GUMDASH_TOKEN_KEYS",
        report.rotated, report.key_id
    );
    Ok(())
}

/// `gumdash admin grant|revoke|list`: only DATABASE_URL is needed (and GUMDASH_ADMIN_GUMROAD_IDS, if
/// set, is mentioned where it matters).
async fn admin(command: AdminCommand) -> anyhow::Result<()> {
    let pool = database_from_env("whose operators to manage")?;
    let configured: Vec<String> = std::env::var("GUMDASH_ADMIN_GUMROAD_IDS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect();
    operators::run(
        &pool,
        &command,
        &configured,
        &operators::os_user(),
        &mut std::io::stdout(),
    )
    .await
}

async fn run_sim(args: SimArgs) -> anyhow::Result<()> {
    let listener = std::net::TcpListener::bind(args.listen)?;
    let app = sim::SimApp::with_redirect_uris(args.seed, args.redirect_uris);
    let base = format!("http://{}", args.listen);
    println!("Gumroad simulator on {base} (test controls under {base}/_sim/)");
    println!("Point a dashboard at it with:");
    println!("  GUMROAD_OAUTH_URL={base}/oauth");
    println!("  GUMROAD_API_URL={base}/v2");
    println!("  GUMROAD_CLIENT_ID={}", app.client_id);
    println!("  GUMROAD_CLIENT_SECRET={}", app.client_secret);
    let config = sim::SimConfig {
        seed: args.seed,
        creator_count: args.creators,
        apps: vec![app],
        extra_sales: args.sales,
        ..sim::SimConfig::default()
    };
    let seeding = std::time::Instant::now();
    let (server, handle) = sim::start(config, listener)?;
    println!(
        "Seeded {} creators and {} sales in {:.2} s",
        args.creators,
        handle.sale_count(),
        seeding.elapsed().as_secs_f64()
    );
    if args.mirror {
        let pool = database_from_env("to seed with the simulator's sales")?;
        gumdash::seed_mirror::refuse_a_used_database(&pool).await?;
        store::migrate(&pool).await?;
        println!("Writing every sale into the mirror in DATABASE_URL…");
        let seeded = gumdash::seed_mirror::seed_from_sim(&pool, &handle).await?;
        println!(
            "Mirrored {} sales of {} creators in {:.0} s",
            seeded.sales, seeded.creators, seeded.seconds
        );
    }
    server.await?;
    Ok(())
}

fn keygen() {
    let (_, token_keys) = KeyRing::generate("k1");
    println!("GUMDASH_TOKEN_KEYS={token_keys}");
    println!("GUMDASH_SESSION_KEY={}", config::generate_session_key());
}
