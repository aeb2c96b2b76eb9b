//! Streams a generated region into the server under test as transaction Bundles, a few in
//! flight at once, and counts what loaded the way `panorama load` does.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::mpsc;

use super::super::region::{Batch, Region};
use super::super::server::Server;
use crate::load::{HttpSink, LoadReport, Method, Positions, Sink, Unit, judge};

/// How often progress is printed while a region loads.
const PROGRESS_EVERY: Duration = Duration::from_secs(15);

/// What a load of the region did.
pub(super) struct Ingest {
    pub(super) report: LoadReport,
    /// CPU time the server used meanwhile.
    pub(super) server_cpu: Duration,
    /// Dose summaries dated 2025 or later that the region holds.
    pub(super) recent_dose_summaries: u64,
}

/// How a region is sent.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pace {
    pub(super) patients_per_bundle: u64,
    pub(super) concurrency: usize,
}

/// Loads every facility, then every patient's resources, `pace.patients_per_bundle` patients per
/// transaction, `pace.concurrency` transactions in flight.
pub(super) async fn ingest(server: &Server, region: &Region, pace: Pace) -> anyhow::Result<Ingest> {
    let sink: Arc<dyn Sink> = Arc::new(HttpSink::new(server.base())?);
    let tally = Tally::new(region);
    let (started, cpu_before) = (Instant::now(), server.cpu_time()?);
    tally.send(&*sink, region.facilities_batch()).await;
    let mut batches = produce(*region, pace);
    let batches = futures::stream::poll_fn(|cx| batches.poll_recv(cx));
    batches.for_each_concurrent(pace.concurrency, |batch| tally.send(&*sink, batch)).await;
    let mut ingest = tally.finish(started.elapsed());
    ingest.server_cpu = server.cpu_time()?.saturating_sub(cpu_before);
    Ok(ingest)
}

/// The patients' Bundles, made on a blocking thread a few ahead of the sending.
fn produce(region: Region, pace: Pace) -> mpsc::Receiver<Batch> {
    let (sender, receiver) = mpsc::channel(2 * pace.concurrency);
    tokio::task::spawn_blocking(move || {
        let (patients, step) = (region.counts().patients, pace.patients_per_bundle.max(1));
        for start in (0..patients).step_by(step as usize) {
            let batch = region.patients_batch(start..(start + step).min(patients));
            if sender.blocking_send(batch).is_err() {
                break;
            }
        }
    });
    receiver
}

/// Counts answers as they come, and prints progress now and then.
struct Tally {
    report: Mutex<LoadReport>,
    progress: Mutex<Instant>,
    started: Instant,
    recent: Mutex<u64>,
}

impl Tally {
    fn new(region: &Region) -> Self {
        let counts = region.counts();
        eprintln!(
            "bench: region of {} patients, {} studies, {} documents (seed {})",
            counts.patients,
            counts.studies,
            counts.documents,
            region.seed()
        );
        Tally {
            report: Mutex::default(),
            progress: Mutex::new(Instant::now()),
            started: Instant::now(),
            recent: Mutex::default(),
        }
    }

    async fn send(&self, sink: &dyn Sink, batch: Batch) {
        let positions = Positions::Entries((1..=batch.resources).collect());
        let answer = sink.send(Method::Post, "", batch.body.into()).await;
        let judged = judge(&positions, answer.map_err(|error| format!("{error:#}")));
        let mut report = self.report.lock().unwrap_or_else(PoisonError::into_inner);
        report.files += 1;
        report.record(&PathBuf::from("region"), Unit::Entry, judged);
        *self.recent.lock().unwrap_or_else(PoisonError::into_inner) += batch.recent_dose_summaries;
        self.show_progress(report.loaded + report.failed);
    }

    fn show_progress(&self, done: u64) {
        let mut last = self.progress.lock().unwrap_or_else(PoisonError::into_inner);
        if last.elapsed() >= PROGRESS_EVERY {
            let rate = done as f64 / self.started.elapsed().as_secs_f64();
            eprintln!("bench: {done} resources sent, {rate:.0}/s");
            *last = Instant::now();
        }
    }

    fn finish(self, elapsed: Duration) -> Ingest {
        let mut report = self.report.into_inner().unwrap_or_else(PoisonError::into_inner);
        report.elapsed = elapsed;
        let recent_dose_summaries =
            self.recent.into_inner().unwrap_or_else(PoisonError::into_inner);
        Ingest { report, server_cpu: Duration::ZERO, recent_dose_summaries }
    }
}

impl Ingest {
    /// One line of counts, then the failures if there were some.
    pub(super) fn describe(&self) -> String {
        let report = &self.report;
        let (seconds, rate) = (report.elapsed.as_secs_f64(), report.rate());
        let mut text = format!(
            "{} resources loaded in {} bundles, {} failed, in {seconds:.1} s: {rate:.0} resources/s",
            report.loaded, report.files, report.failed
        );
        if !report.is_success() {
            text.push_str(&format!("\n{report}"));
        }
        text
    }
}
