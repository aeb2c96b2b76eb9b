//! Sends the files of a phase: up to `concurrency` files read at once, each read off the async
//! workers into a one-slot channel, and up to `concurrency` requests in flight across all files.
//!
//! A file's decoded content lives in one request body until its answer is read, so no more than
//! `concurrency` files are held decoded at once; an NDJSON file holds at most `concurrency`
//! batches waiting for a slot, plus the one being built.

use std::fmt;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use serde_json::Value;
use tokio::sync::{Semaphore, mpsc};

use super::outcome::{Judged, judge};
use super::report::{LoadReport, Unit};
use super::requests::{Item, Request, produce};
use super::sink::Sink;
use super::source::{Layout, SourceFile};

/// Retries after a failure to reach the server, waiting `BACKOFF`, then twice, then four times
/// as long.
const RETRIES: u32 = 3;
const BACKOFF: Duration = Duration::from_millis(250);

pub(crate) struct Runner {
    sink: Arc<dyn Sink>,
    concurrency: usize,
    in_flight: Semaphore,
    report: Mutex<LoadReport>,
    progress: ProgressBar,
    files_done: AtomicUsize,
    files_total: usize,
}

impl Runner {
    pub(crate) fn new(
        sink: Arc<dyn Sink>,
        concurrency: usize,
        progress: bool,
        files: usize,
    ) -> Self {
        let report = Mutex::new(LoadReport { files, ..LoadReport::default() });
        let (in_flight, progress) = (Semaphore::new(concurrency), progress_bar(progress));
        Self {
            sink,
            concurrency,
            in_flight,
            report,
            progress,
            files_done: 0.into(),
            files_total: files,
        }
    }

    /// Loads the files of one phase and returns once every answer is in.
    pub(crate) async fn run_phase(&self, files: Vec<SourceFile>) {
        let files = futures::stream::iter(files);
        files.for_each_concurrent(self.concurrency, |file| self.load_file(file)).await;
    }

    pub(crate) fn finish(self, elapsed: Duration) -> LoadReport {
        self.progress.finish_and_clear();
        let mut report = self.report.into_inner().unwrap_or_else(PoisonError::into_inner);
        report.elapsed = elapsed;
        report
    }

    async fn load_file(&self, file: SourceFile) {
        let path = file.path.clone();
        let unit = match file.layout {
            Layout::Json => Unit::Entry,
            Layout::Ndjson => Unit::Line,
        };
        let (sender, mut receiver) = mpsc::channel(1);
        let reader = tokio::task::spawn_blocking(move || {
            produce(&file, &mut |item| sender.blocking_send(item).is_ok());
        });
        let items = futures::stream::poll_fn(|cx| receiver.poll_recv(cx));
        items.for_each_concurrent(self.concurrency, |item| self.handle(&path, unit, item)).await;
        if let Err(error) = reader.await {
            let reason = format!("reading the file stopped: {error}");
            self.record(&path, unit, Judged::failure(None, reason));
        }
        let done = self.files_done.fetch_add(1, Ordering::Relaxed) + 1;
        self.progress.set_message(format!("{done}/{} files", self.files_total));
        tracing::debug!(file = %path.display(), "file loaded");
    }

    async fn handle(&self, path: &Path, unit: Unit, item: Item) {
        let judged = match item {
            Item::Fail { entry, reason } => Judged::failure(entry, reason),
            Item::Send(request) => judge(&request.positions, self.send(&request).await),
        };
        self.record(path, unit, judged);
    }

    /// Sends a request, retrying when the server cannot be reached.
    async fn send(&self, request: &Request) -> Result<(u16, Option<Value>), String> {
        let _permit = self.in_flight.acquire().await.map_err(|error| error.to_string())?;
        let mut attempt = 0;
        loop {
            let body = request.body.clone();
            match self.sink.send(request.method, &request.path, body).await {
                Ok(answer) => return Ok(answer),
                Err(error) if attempt < RETRIES => {
                    tracing::warn!(attempt, error = %error, "request failed, retrying");
                    tokio::time::sleep(BACKOFF * 2u32.pow(attempt)).await;
                    attempt += 1;
                }
                Err(error) => {
                    return Err(format!("no answer after {} tries: {error:#}", attempt + 1));
                }
            }
        }
    }

    fn record(&self, path: &Path, unit: Unit, judged: Judged) {
        let count = judged.loaded + judged.failed();
        self.report.lock().unwrap_or_else(PoisonError::into_inner).record(path, unit, judged);
        self.progress.inc(count);
    }
}

/// A spinner on stderr counting resources sent, hidden when stderr is not a terminal.
fn progress_bar(show: bool) -> ProgressBar {
    if !show || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let template = "{spinner} {human_pos} resources sent, {rate}, {msg} [{elapsed}]";
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .with_key("rate", |state: &ProgressState, out: &mut dyn fmt::Write| {
            let _ = write!(out, "{:.0}/s", state.per_sec());
        });
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
