//! `panorama bench`: the speed and memory figures of the core server on this machine.
//!
//! A fresh server runs as a child process on a temporary SQLite data dir. The bench loads the
//! Synthea set into it over HTTP, reads patients back, writes DocumentReferences, samples the
//! child's memory from `/proc`, and prints each figure next to its target. Requests are driven
//! by `wrk` when it is installed, otherwise by the generator built in here.

mod builtin;
mod document;
mod generator;
mod report;
mod server;
mod stats;
mod wrk;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

use crate::load::{HttpSink, LoadReport};
use generator::{Generator, Workload};
use report::{Figures, Report, ServerCpu};
use server::Server;

/// Requests in flight while loading the Synthea set.
const LOAD_CONCURRENCY: usize = 4;

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Folder of Synthea transaction Bundles (and the hospital and practitioner batches).
    #[arg(long, default_value = "../shared/data/synthea")]
    pub synthea: PathBuf,

    /// Seconds each of the read and write runs lasts.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
    pub duration: u64,

    /// Keep-alive connections reading patients.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..))]
    pub connections: u64,

    /// Keep-alive connections creating DocumentReferences.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..))]
    pub write_connections: u64,

    /// What sends the requests: wrk when installed (auto), or one of them by name.
    #[arg(long, value_enum, default_value_t = GeneratorChoice::Auto)]
    pub generator: GeneratorChoice,

    /// Also write the figures as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
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

/// Runs the whole bench; the exit code is success whenever the figures could be measured, met
/// or not: the table says which targets were met.
pub async fn bench(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let generator = Generator::choose(args.generator)?;
    let busy = server::load_average();
    let server = Server::start().await?;
    eprintln!("bench: server pid {} on {}, {}", server.pid(), server.base(), generator.name());
    let figures = measure(&server, &generator, &args).await?;
    server.stop();

    let report = Report::new(&args, generator.name(), busy, &figures);
    print!("{report}");
    if let Some(path) = &args.out {
        write_json(path, &report)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The three runs, in order, with the server's CPU time during each and its memory after.
async fn measure(
    server: &Server,
    generator: &Generator,
    args: &BenchArgs,
) -> anyhow::Result<Figures> {
    let (load, load_cpu) = with_server_cpu(server, load_synthea(server, &args.synthea)).await?;
    let load_peak = server.memory()?;
    let ids = server.patient_ids().await?;
    eprintln!("bench: {} patients to read", ids.len());

    let (duration, origin) = (Duration::from_secs(args.duration), server.origin());
    let (reads, writes) = (Workload::reads(&ids), Workload::writes(&ids));
    eprintln!("bench: reading for {}s over {} connections", args.duration, args.connections);
    let reading = generator.run(origin, &reads, args.connections, duration);
    let (reads, read_cpu) = with_server_cpu(server, reading).await?;
    server.check_write(&writes).await?;
    eprintln!("bench: creating for {}s over {} connections", args.duration, args.write_connections);
    let creating = generator.run(origin, &writes, args.write_connections, duration);
    let (writes, create_cpu) = with_server_cpu(server, creating).await?;
    let after = server.memory()?;

    let cpu = ServerCpu { load: load_cpu, read: read_cpu, create: create_cpu };
    Ok(Figures { load, load_peak, reads, writes, after, cpu })
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
