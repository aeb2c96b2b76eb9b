//! The `panorama` command line: `serve`, `load`, `migrate`, `reindex` and `bench` (`core`,
//! `search`).

mod bench;
mod load;
mod reindex;
mod serve;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use store::Store;

pub use bench::{BenchArgs, BenchCommand, CoreArgs, GeneratorChoice, SearchArgs, bench};
pub use load::load;
pub use reindex::reindex;
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
    /// Write every resource's search index rows again from its stored body, then exit.
    ///
    /// Needed after an upgrade that changes how search values are extracted; a running server
    /// can stay up (each batch of 500 resources is its own transaction).
    Reindex(DatabaseArgs),
    /// Measure the speed and memory of a fresh server on this machine (`core`, `search`).
    ///
    /// Starts `panorama serve` as a child process on a database of its own, loads data into it
    /// over HTTP, times requests, and prints each figure next to its target. Requests come from
    /// wrk when it is installed.
    Bench(BenchArgs),
}

/// The log filter of a command when `PANORAMA_LOG` sets none: `info`, but a load into a data
/// dir leaves out the in-process server's request log (its failures are in the summary); only
/// the detail of an internal error, which the summary cannot give, still shows.
pub fn default_log_filter(command: &Command) -> &'static str {
    match command {
        Command::Load(args) if args.url.is_none() => IN_PROCESS_LOAD_FILTER,
        _ => "info",
    }
}

const IN_PROCESS_LOAD_FILTER: &str = "info,tower_http=off,api::http=off,api::http::errors=error";

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
        let dir = &self.data_dir;
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data dir {}", dir.display()))?;
        let path = dir.join("panorama.sqlite");
        Ok(format!("sqlite://{}?mode=rwc", path.display()))
    }

    /// Makes this process the only writer of the SQLite data dir until it exits: a second
    /// server or load on the same data dir is refused, so what this one keeps in memory stays
    /// true. Nothing to do on PostgreSQL.
    pub fn claim_data_dir(&self) -> anyhow::Result<()> {
        if self.database_url.is_some() {
            return Ok(());
        }
        let dir = &self.data_dir;
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data dir {}", dir.display()))?;
        let path = dir.join("panorama.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {
                // Held, with the file, until the process exits.
                std::mem::forget(file);
                Ok(())
            }
            Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
                "the data dir {} is in use by another panorama process (serve or load); \
                 stop it, or load through it with --url",
                self.data_dir.display()
            ),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
    }

    /// Opens the database, saying which one and why it could not be opened (a PostgreSQL URL
    /// is shown without its password).
    pub async fn open(&self, max_connections: u32) -> anyhow::Result<Store> {
        let url = self.url()?;
        Store::open(&url, max_connections).await.map_err(|error| open_error(&url, &error))
    }
}

fn open_error(url: &str, error: &domain::Error) -> anyhow::Error {
    let shown = without_password(url);
    let cause = error.detail.clone().unwrap_or_else(|| error.to_string());
    let hint = if cause.contains("does not exist") {
        "; the database does not exist: create it first (e.g. createdb), migrations create only \
         the tables"
    } else {
        ""
    };
    anyhow::anyhow!("cannot open the database {shown}: {cause}{hint}")
}

/// A database URL fit for a terminal: the password, if any, replaced by `***`.
fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        Err(_) => "(an unreadable URL)".to_owned(),
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Largest request body accepted, in MiB (at least 1).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub max_body_mib: u32,

    /// Seconds a client may take to send a request's headers before its connection is closed.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout_secs: u64,

    /// Seconds a client may take to send a whole request body before it is answered 408.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout_secs: u64,

    /// Seconds requests in flight may run on after SIGINT or SIGTERM before the server exits.
    #[arg(long, default_value_t = 30)]
    pub shutdown_deadline_secs: u64,

    /// The FHIR base URL clients see, when it differs from http://<Host header>/fhir.
    #[arg(long)]
    pub public_base: Option<String>,

    /// MiB of recently read resources kept in memory (SQLite only: on PostgreSQL other
    /// servers may write too); 0 turns it off.
    #[arg(long, default_value_t = 64)]
    pub cache_mib: u64,

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_load_into_a_data_dir_keeps_the_request_log_out_of_its_output() {
        let command = |args: &[&str]| Cli::try_parse_from(args).unwrap().command;
        let in_process = command(&["panorama", "load", "x.json"]);
        assert_eq!(default_log_filter(&in_process), IN_PROCESS_LOAD_FILTER);
        let over_http = command(&["panorama", "load", "--url", "http://127.0.0.1/fhir", "x.json"]);
        assert_eq!(default_log_filter(&over_http), "info");
        assert_eq!(default_log_filter(&command(&["panorama", "serve"])), "info");
    }

    #[test]
    fn a_data_dir_is_claimed_by_one_process_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let args = DatabaseArgs { data_dir: dir.path().join("data"), database_url: None };
        args.claim_data_dir().unwrap();
        // A second claim, as another process would make it, finds the lock taken.
        let message = format!("{:#}", args.claim_data_dir().unwrap_err());
        assert!(message.contains("in use by another panorama process"), "{message}");
    }

    #[test]
    fn a_max_body_of_zero_mib_is_refused_by_the_command_line() {
        let parse = |mib: &str| Cli::try_parse_from(["panorama", "serve", "--max-body-mib", mib]);
        assert!(parse("0").is_err());
        assert!(parse("1").is_ok());
    }

    #[test]
    fn a_data_dir_that_cannot_be_created_is_named_in_the_error() {
        // Below a plain file, no folder can be made, not even by root.
        let file = tempfile::NamedTempFile::new().unwrap();
        let data_dir = file.path().join("x");
        let args = DatabaseArgs { data_dir: data_dir.clone(), database_url: None };
        let message = format!("{:#}", args.url().unwrap_err());
        assert!(message.contains(&data_dir.display().to_string()), "{message}");
    }

    #[test]
    fn a_database_that_does_not_exist_is_said_so_without_the_password() {
        let url = "postgres://admin:secret@127.0.0.1:5432/nope";
        let error = domain::Error::unavailable(
            "database connect failed: error returned from database: database \"nope\" does not \
             exist",
        );
        let message = open_error(url, &error).to_string();
        assert!(message.contains("the database does not exist"), "{message}");
        assert!(message.contains("admin:***@127.0.0.1"), "{message}");
        assert!(!message.contains("secret"), "{message}");
    }
}
