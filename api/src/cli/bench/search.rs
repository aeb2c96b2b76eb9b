//! `panorama bench search`: search speed at regional scale, on SQLite or PostgreSQL.
//!
//! A region generated from a seed is loaded into a fresh server without search indexes and
//! again into another with them (the two ingest rates), then the searches of issue #3 are timed
//! on the indexed one, sequentially (p50, p95) and over many connections (requests/s). The same
//! is done for the Synthea set's searches. Before each timed run the bench waits, up to a limit,
//! for the machine to be quiet, and notes the load average it ran under.

mod figures;
mod ingest;
mod queries;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;

use super::GeneratorChoice;
use super::generator::{Generator, Workload};
use super::region::Region;
use super::report::Report;
use super::server::{Database, Server, ServerOptions, load_average};
use super::stats::Run;
use figures::{Measured, RegionFigures, SyntheaFigures};
use ingest::{Ingest, Pace};

#[derive(Debug, Clone, Args)]
pub struct SearchArgs {
    /// Size of the region: 1.0 is 200,000 patients, 1,000,000 studies, 130,000 documents
    /// (about 3.4 million resources); 0.1 is a tenth of it.
    #[arg(long, default_value_t = 0.1)]
    pub scale: f64,

    /// Seed of the region: one seed, one region.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Run on PostgreSQL: the URL of a database on the server from which the bench may create
    /// (and at the end drop) a fresh database, e.g. postgres://postgres@127.0.0.1:5432/postgres.
    /// Without it, a fresh SQLite data dir.
    #[arg(long)]
    pub database_url: Option<String>,

    /// Folder of the Synthea set, for its searches.
    #[arg(long, default_value = "../shared/data/synthea")]
    pub synthea: PathBuf,

    /// Skip the searches on the Synthea set.
    #[arg(long)]
    pub skip_synthea: bool,

    /// Skip the load without search indexes (and so the ingest ratio).
    #[arg(long)]
    pub skip_unindexed: bool,

    /// Seconds each timed run lasts.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub duration: u64,

    /// Connections for the requests/s of the DiagnosticReport search.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..))]
    pub connections: u64,

    /// Connections for the requests/s of the Synthea Observation search.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..))]
    pub synthea_connections: u64,

    /// Patients searched for, drawn from the region with its seed.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
    pub sample: u64,

    /// Patients per transaction Bundle while loading the region.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub patients_per_bundle: u64,

    /// Transaction Bundles in flight while loading the region.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..))]
    pub load_concurrency: u64,

    /// Before each timed run, wait until the one-minute load average is at most this...
    #[arg(long, default_value_t = 1.5)]
    pub quiet_load: f64,

    /// ...but no longer than this many seconds.
    #[arg(long, default_value_t = 300)]
    pub max_wait: u64,

    /// What sends the requests: wrk when installed (auto), or one of them by name.
    #[arg(long, value_enum, default_value_t = GeneratorChoice::Auto)]
    pub generator: GeneratorChoice,

    /// Leave the indexed region's data dir or database in place, to inspect its queries.
    #[arg(long)]
    pub keep: bool,

    /// Also write the figures as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// What the runs share: how requests are sent and for how long.
struct Timer<'a> {
    generator: Generator,
    args: &'a SearchArgs,
}

pub(super) async fn bench(args: &SearchArgs) -> anyhow::Result<Report> {
    let timer = Timer { generator: Generator::choose(args.generator)?, args };
    let busy = load_average();
    let database = Database::from_url(args.database_url.as_deref());
    let region = Region::new(args.seed, args.scale);
    let unindexed = if args.skip_unindexed { None } else { Some(unindexed(args, &region).await?) };
    let region_figures = region_searches(&timer, &region, unindexed).await?;
    let synthea = if args.skip_synthea { None } else { Some(synthea(&timer).await?) };
    Ok(figures::report(args, &timer.generator.name(), busy, &database, region_figures, synthea))
}

fn options(args: &SearchArgs, search_index: bool) -> ServerOptions {
    let database = Database::from_url(args.database_url.as_deref());
    ServerOptions { database, search_index, keep: args.keep && search_index }
}

fn pace(args: &SearchArgs) -> Pace {
    Pace {
        patients_per_bundle: args.patients_per_bundle,
        concurrency: args.load_concurrency as usize,
    }
}

/// Loads the region into a server that writes no search index, for the ingest ratio.
async fn unindexed(args: &SearchArgs, region: &Region) -> anyhow::Result<Measured<Ingest>> {
    let server = Server::start(&options(args, false)).await?;
    eprintln!("bench: loading the region without search indexes (pid {})", server.pid());
    let load = load_average();
    let ingest = ingest::ingest(&server, region, pace(args)).await?;
    eprintln!("bench: {}", ingest.describe());
    server.stop().await?;
    Ok(Measured { value: ingest, load_average: load })
}

/// Loads the region into an indexed server and times its searches.
async fn region_searches(
    timer: &Timer<'_>,
    region: &Region,
    unindexed: Option<Measured<Ingest>>,
) -> anyhow::Result<RegionFigures> {
    let server = Server::start(&options(timer.args, true)).await?;
    eprintln!("bench: loading the region with search indexes (pid {})", server.pid());
    let load = load_average();
    let ingest = ingest::ingest(&server, region, pace(timer.args)).await?;
    eprintln!("bench: {}", ingest.describe());
    let indexed = Measured { value: ingest, load_average: load };

    let sample = queries::sample(&server, region, timer.args.sample).await?;
    let (reports, ct) =
        (queries::latest_reports(&sample.ids), queries::recent_ct(&sample.identifiers));
    let reports_found = queries::entries_found(&server, &reports).await?;
    let ct_found = queries::entries_found(&server, &ct).await?;
    let dose_count = queries::count(&server, queries::DOSE_COUNT).await?;
    eprintln!(
        "bench: {reports_found} reports and {ct_found} recent CT studies for the sample, {dose_count} recent dose summaries"
    );

    let figures = RegionFigures {
        unindexed,
        indexed,
        reports_found,
        ct_found,
        dose_count,
        reports: timer.sequential(&server, &reports).await?,
        reports_loaded: timer.concurrent(&server, &reports, timer.args.connections).await?,
        ct: timer.sequential(&server, &ct).await?,
        dose: timer.sequential(&server, &queries::one(queries::DOSE_COUNT)).await?,
    };
    if timer.args.keep {
        eprintln!("bench: the indexed region is kept in {}", server.data_location());
    }
    server.stop().await?;
    Ok(figures)
}

/// Loads the Synthea set into a fresh server and times its searches.
async fn synthea(timer: &Timer<'_>) -> anyhow::Result<SyntheaFigures> {
    let mut options = options(timer.args, true);
    options.keep = false;
    let server = Server::start(&options).await?;
    let load = super::load_synthea(&server, &timer.args.synthea).await?;
    let ids = server.patient_ids().await?;
    let observations = queries::observations(&ids);
    let male_count = queries::count(&server, queries::MALE_OBSERVATIONS).await?;
    eprintln!("bench: Synthea loaded, {} patients, {male_count} observations of men", ids.len());
    let figures = SyntheaFigures {
        load,
        male_count,
        observations: timer.sequential(&server, &observations).await?,
        observations_loaded: timer
            .concurrent(&server, &observations, timer.args.synthea_connections)
            .await?,
        chained: timer.sequential(&server, &queries::one(queries::MALE_OBSERVATIONS)).await?,
    };
    server.stop().await?;
    Ok(figures)
}

impl Timer<'_> {
    /// One connection: the latencies of requests sent one after another.
    async fn sequential(
        &self,
        server: &Server,
        workload: &Workload,
    ) -> anyhow::Result<Measured<Run>> {
        self.concurrent(server, workload, 1).await
    }

    /// `connections` connections at once, once the machine is quiet enough.
    async fn concurrent(
        &self,
        server: &Server,
        workload: &Workload,
        connections: u64,
    ) -> anyhow::Result<Measured<Run>> {
        let load_average = self.wait_quiet().await;
        let duration = Duration::from_secs(self.args.duration);
        let path = &workload.calls[0].path;
        eprintln!("bench: {path}... over {connections} connection(s) for {}s", self.args.duration);
        let run = self.generator.run(server.origin(), workload, connections, duration).await?;
        Ok(Measured { value: run, load_average })
    }

    /// Waits until the one-minute load average is at most `--quiet-load`, or `--max-wait` has
    /// passed; returns the load average then.
    async fn wait_quiet(&self) -> Option<f64> {
        let started = Instant::now();
        let limit = Duration::from_secs(self.args.max_wait);
        let mut said = false;
        loop {
            let load = load_average();
            let quiet = load.is_none_or(|load| load <= self.args.quiet_load);
            if quiet || started.elapsed() >= limit {
                return load;
            }
            if !said {
                eprintln!("bench: load average {load:.2?}, waiting for it to fall");
                said = true;
            }
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    }
}
