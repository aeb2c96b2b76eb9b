//! The `panorama` command line: `serve`, `load`, `migrate` and `bench` (`core`, `search`).

mod bench;
mod load;
mod serve;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use bench::{BenchArgs, BenchCommand, CoreArgs, GeneratorChoice, SearchArgs, bench};
pub use load::load;
pub use serve::serve;

/// Panorama: a FHIR R4 server for a region's shared imaging record.
#[derive(Debug, Parser)]
#[command(
    name = "panorama",
    version,
    about = "Panorama: a FHIR R4 server for a region's shared imaging record",
    after_help = "Logging: PANORAMA_LOG sets the level (error, warn, info, debug); default info."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// How log lines are written.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the FHIR server (migrations are applied first).
    Serve(ServeArgs),
    /// Load FHIR JSON, Bundles and NDJSON (.gz, .bz2 too) into a running server or a data dir.
    Load(LoadArgs),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Measure the speed and memory of a fresh server on this machine (`core`, `search`).
    ///
    /// Starts `panorama serve` as a child process on a database of its own, loads data into it
    /// over HTTP, times requests, and prints each figure next to its target. Requests come from
    /// wrk when it is installed.
    Bench(BenchArgs),
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Folder of the embedded SQLite database (created when missing).
    #[arg(long, default_value = "./panorama-data")]
    pub data_dir: PathBuf,

    /// A PostgreSQL URL (postgres://user@host/db); when set, the data dir is not used.
    #[arg(long, env = "PANORAMA_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

impl DatabaseArgs {
    /// The sea-orm URL of the configured database, creating the data dir if needed.
    pub fn url(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        std::fs::create_dir_all(&self.data_dir)?;
        let path = self.data_dir.join("panorama.sqlite");
        Ok(format!("sqlite://{}?mode=rwc", path.display()))
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Largest request body accepted, in MiB.
    #[arg(long, default_value_t = 32)]
    pub max_body_mib: usize,

    /// The FHIR base URL clients see, when it differs from http://<Host header>/fhir.
    #[arg(long)]
    pub public_base: Option<String>,

    /// For benchmarks only: write no search index rows, so that `panorama bench search` can
    /// measure what indexing costs at ingest. Searches then find nothing that was written.
    #[arg(long, hide = true)]
    pub no_search_index: bool,
}

#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Files or folders to load.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    /// The FHIR base URL of a running server; without it, load straight into the data dir.
    #[arg(long)]
    pub url: Option<String>,

    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Requests in flight at once (default: twice the number of cores).
    #[arg(long)]
    pub concurrency: Option<usize>,
}
