//! `panorama load PATH...`: loads FHIR JSON files and folders into a FHIR server.
//!
//! Data flow: `source` finds the files (`.json`, `.ndjson`, optionally `.gz`/`.bz2`), `order`
//! puts every batch Bundle first, `requests` turns each file into requests, `runner` sends them
//! through a [`Sink`] (HTTP, or a router called in process), `outcome` reads the answers and
//! `report` sums them up. Nothing here logs or prints resource content or identifiers: only
//! counts, file names, entry positions and the server's diagnostics.

mod order;
mod outcome;
mod report;
mod requests;
mod runner;
mod scan;
mod sink;
mod source;

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};

pub(crate) use outcome::judge;
pub use report::{Failure, LoadReport, MAX_SHOWN_FAILURES, Unit};
pub use requests::BATCH_SIZE;
pub(crate) use requests::Positions;
pub use sink::{FHIR_JSON, HttpSink, Method, RouterSink, Sink};

/// Twice the cores: requests wait on the server about as long as they take to prepare.
pub fn default_concurrency() -> usize {
    2 * std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// Loads every file under `paths` into `sink`: batch Bundles first, and only once they have all
/// been answered, everything else. `progress` shows a bar on stderr when it is a terminal.
/// Failures of resources are counted in the report; an `Err` means nothing could be loaded.
pub async fn load(
    sink: Arc<dyn Sink>,
    paths: &[PathBuf],
    concurrency: usize,
    progress: bool,
) -> anyhow::Result<LoadReport> {
    let started = Instant::now();
    let concurrency = concurrency.max(1);
    let paths = paths.to_vec();
    let files = tokio::task::spawn_blocking(move || source::discover(&paths))
        .await
        .context("finding the files stopped")??;
    if files.is_empty() {
        bail!("no .json or .ndjson files (optionally .gz or .bz2) under the given paths");
    }

    let phases = order::phases(files, concurrency).await?;
    let (batches, files) = (phases.batches.len(), phases.len());
    tracing::info!(files, batches, concurrency, "load started");

    let runner = runner::Runner::new(sink, concurrency, progress, files);
    runner.run_phase(phases.batches).await;
    runner.run_phase(phases.rest).await;
    let report = runner.finish(started.elapsed());
    tracing::info!(loaded = report.loaded, failed = report.failed, "load finished");
    Ok(report)
}
