//! `panorama bench`: speed and memory figures of a fresh server on this machine, printed next to
//! their targets.
//!
//! Every bench starts `panorama serve` as a child process on a database of its own (a temporary
//! SQLite data dir, or a fresh PostgreSQL database), loads data into it over HTTP, drives
//! requests with `wrk` when it is installed (otherwise with the generator built in here), samples
//! the child's CPU and memory from `/proc`, and prints a table; `--out` writes it as JSON.
//! `core` measures loads, reads, writes and memory on the Synthea set; `search` measures FHIR
//! searches on a generated region (`region`) and on the Synthea set.

mod builtin;
mod core;
mod document;
mod generator;
mod region;
mod report;
mod search;
mod server;
mod stats;
mod wrk;

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};

use crate::load::{HttpSink, LoadReport};
use report::Report;
use server::Server;

pub use core::CoreArgs;
pub use search::SearchArgs;

/// Requests in flight while loading the Synthea set.
const LOAD_CONCURRENCY: usize = 4;

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: BenchCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum BenchCommand {
    /// Load, read, write speed and memory on the Synthea set (SQLite).
    ///
    /// Loads the Synthea set over HTTP, reads patients back, creates DocumentReferences, and
    /// prints each figure next to its target.
    Core(CoreArgs),
    /// Search speed on a generated region and on the Synthea set (SQLite or PostgreSQL).
    ///
    /// Generates a region of facilities, patients, imaging studies, reports, dose Observations
    /// and documents from a seed, loads it over HTTP with and without search indexes (ingest
    /// rates), then times the searches of issue #3; then the same on the Synthea set.
    Search(SearchArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GeneratorChoice {
    /// wrk if it is on the PATH, otherwise the built-in generator.
    Auto,
    /// wrk (`apt-get install wrk`), as the reference figures were taken.
    Wrk,
    /// A tokio + reqwest client in this process, one task per connection.
    Builtin,
}

/// Runs a bench; the exit code is success whenever the figures could be measured, met or not:
/// the table says which targets were met.
pub async fn bench(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let (report, out) = match args.command {
        BenchCommand::Core(args) => (core::bench(&args).await?, args.out),
        BenchCommand::Search(args) => (search::bench(&args).await?, args.out),
    };
    print!("{report}");
    if let Some(path) = &out {
        write_json(path, &report)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Awaits `work`, and returns its result with the CPU time the server used meanwhile.
async fn with_server_cpu<T>(
    server: &Server,
    work: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<(T, Duration)> {
    let before = server.cpu_time()?;
    let result = work.await?;
    Ok((result, server.cpu_time()?.saturating_sub(before)))
}

/// Loads the Synthea set the way `panorama load --url` does, batches first.
async fn load_synthea(server: &Server, synthea: &Path) -> anyhow::Result<LoadReport> {
    if !synthea.is_dir() {
        bail!("{}: no such folder (pass --synthea)", synthea.display());
    }
    eprintln!("bench: loading {} with {LOAD_CONCURRENCY} requests in flight", synthea.display());
    let sink = Arc::new(HttpSink::new(server.base())?);
    let paths = [synthea.to_path_buf()];
    let report = crate::load::load(sink, &paths, LOAD_CONCURRENCY, false).await?;
    if report.loaded == 0 {
        bail!("nothing was loaded:\n{report}");
    }
    if !report.is_success() {
        eprintln!("bench: warning: {} resources failed to load:\n{report}", report.failed);
    }
    Ok(report)
}

fn write_json(path: &Path, report: &Report) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(&report.to_json())?;
    std::fs::write(path, json + "\n").with_context(|| format!("cannot write {}", path.display()))
}
