//! The command line: one binary, several roles.

use std::net::SocketAddr;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "gumdash",
    version,
    about = "A self-hosted dashboard for Gumroad creators"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the dashboard (configuration from environment variables; see README).
    Serve,
    /// Apply database migrations to DATABASE_URL, then exit.
    Migrate,
    /// Run the Gumroad simulator alone: OAuth provider, API v2 and test controls under /_sim/.
    Sim(SimArgs),
    /// Run the simulator and the dashboard wired together, with seeded creators. No setup needed.
    Demo(DemoArgs),
    /// Print fresh values for GUMDASH_TOKEN_KEYS and GUMDASH_SESSION_KEY.
    Keygen,
    /// Manage the operators stored in DATABASE_URL (GUMDASH_ADMIN_GUMROAD_IDS names operators too).
    Admin(AdminArgs),
    /// Token encryption keys (DATABASE_URL and GUMDASH_TOKEN_KEYS from the environment).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Re-encrypt every stored Gumroad token under the first key of GUMDASH_TOKEN_KEYS, in batches,
    /// while the servers keep serving. Put the new key first in every instance's ring before, and
    /// drop the old one after. Safe to run again; a second run at the same time is refused.
    Rotate {
        /// Tokens re-encrypted per transaction.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(i64).range(1..=10_000))]
        batch_size: i64,
    },
}

#[derive(Debug, clap::Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum AdminCommand {
    /// Make a Gumroad account an operator (its numeric user id, the `id` of /v2/user).
    Grant { gumroad_user_id: String },
    /// Take the operator role stored in the database away again.
    Revoke { gumroad_user_id: String },
    /// List the operators: those stored in the database and those named in the configuration.
    List,
}

#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Address to listen on.
    #[arg(
        long,
        default_value = "127.0.0.1:9090",
        env = "GUMROAD_SIM_LISTEN_ADDR"
    )]
    pub listen: SocketAddr,
    /// Seed for the generated creators (same seed, same data).
    #[arg(long, default_value_t = 42, env = "GUMROAD_SIM_SEED")]
    pub seed: u64,
    /// Number of seeded creators.
    #[arg(long, default_value_t = 3)]
    pub creators: usize,
    /// Extra sales seeded on top of the default ones, spread Zipf-like over the creators with products
    /// (creator 0, the first to sign in, gets the largest share: ~200,000 of 1,000,000 over 1,000 creators).
    #[arg(long, default_value_t = 0)]
    pub sales: usize,
    /// Also write every generated sale into DATABASE_URL's mirror, as a finished backfill would have
    /// (migrating it first): a creator who then signs in to a dashboard on that database finds their
    /// sales mirrored. For benchmarks and large demos.
    #[arg(long)]
    pub mirror: bool,
    /// Redirect URI(s) registered for the simulator's OAuth app.
    #[arg(
        long = "redirect-uri",
        default_value = "http://127.0.0.1:8080/auth/gumroad/callback"
    )]
    pub redirect_uris: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Port for the dashboard.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Port for the Gumroad simulator.
    #[arg(long, default_value_t = 9090)]
    pub sim_port: u16,
    /// Seed for the simulator's data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}
