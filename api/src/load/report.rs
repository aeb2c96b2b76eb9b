//! The outcome of a load: counts, the first failures, and the summary printed at the end.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::outcome::{Failed, Judged};

/// Most failures kept and shown; the rest are only counted.
pub const MAX_SHOWN_FAILURES: usize = 20;

/// What a position in a file counts: Bundle entries, or NDJSON lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Entry,
    Line,
}

impl Unit {
    fn name(self, count: u64) -> &'static str {
        match (self, count) {
            (Unit::Entry, 1) => "entry",
            (Unit::Entry, _) => "entries",
            (Unit::Line, 1) => "line",
            (Unit::Line, _) => "lines",
        }
    }
}

/// Resources that did not load for one reason: one entry, a whole file, or all the entries of a
/// request the server rejected as a whole. Holds no resource content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub file: PathBuf,
    /// 1-based position in the file of the (first) failed resource: the Nth Bundle entry or the
    /// Nth NDJSON line (see `unit`); `None` when the file as a whole failed or is a single
    /// resource.
    pub entry: Option<u64>,
    pub unit: Unit,
    /// How many resources failed: 1, or the entries of a rejected request.
    pub resources: u64,
    /// The entry that failed a whole request, when the server named it.
    pub culprit: Option<u64>,
    /// The server's diagnostics, or why the resources could not be sent.
    pub reason: String,
}

impl Failure {
    fn new(file: &Path, unit: Unit, failed: Failed) -> Self {
        let Failed { entry, resources, reason, culprit } = failed;
        Self { file: file.to_path_buf(), entry, unit, resources, culprit, reason }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (file, reason, count) = (self.file.display(), &self.reason, self.resources);
        let (one, many) = (self.unit.name(1), self.unit.name(count));
        match (self.entry, self.culprit) {
            (Some(first), Some(culprit)) if count > 1 => write!(
                f,
                "{file}: {one} {culprit}: {reason} (so none of the {count} {many} from {one} \
                 {first} loaded)"
            ),
            (Some(first), _) if count > 1 => {
                write!(f, "{file}: {count} {many} from {one} {first}: {reason}")
            }
            (Some(entry), _) => write!(f, "{file}: {one} {entry}: {reason}"),
            (None, _) => write!(f, "{file}: {reason}"),
        }
    }
}

/// What a load did.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    pub files: usize,
    pub loaded: u64,
    /// Resources that failed, each counted once (so possibly more than `failures` lists).
    pub failed: u64,
    pub elapsed: Duration,
    /// The first failures, at most [`MAX_SHOWN_FAILURES`].
    pub failures: Vec<Failure>,
}

impl LoadReport {
    pub fn is_success(&self) -> bool {
        self.failed == 0
    }

    /// Resources loaded per second.
    pub fn rate(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 { self.loaded as f64 / seconds } else { 0.0 }
    }

    /// Counts a request's verdict, keeping the first failures; `unit` is what positions in
    /// `file` count.
    pub(crate) fn record(&mut self, file: &Path, unit: Unit, judged: Judged) {
        self.loaded += judged.loaded;
        self.failed += judged.failed();
        let room = MAX_SHOWN_FAILURES.saturating_sub(self.failures.len());
        let kept = judged.failures.into_iter().take(room);
        self.failures.extend(kept.map(|failed| Failure::new(file, unit, failed)));
    }

    /// Whether some failed resources are not in the list.
    fn is_list_cut(&self) -> bool {
        self.failures.iter().map(|failure| failure.resources).sum::<u64>() < self.failed
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "files:            {}", self.files)?;
        writeln!(f, "resources loaded: {}", self.loaded)?;
        writeln!(f, "resources failed: {}", self.failed)?;
        writeln!(f, "elapsed:          {:.1} s", self.elapsed.as_secs_f64())?;
        writeln!(f, "rate:             {:.1} resources/s", self.rate())?;
        if self.failures.is_empty() {
            return Ok(());
        }
        let heading = if self.is_list_cut() { "first failures:" } else { "failures:" };
        writeln!(f, "{heading}")?;
        self.failures.iter().try_for_each(|failure| writeln!(f, "  {failure}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(entry: Option<u64>, resources: u64, reason: &str) -> Failed {
        Failed { entry, resources, reason: reason.to_owned(), culprit: None }
    }

    fn report_with(failures: Vec<Failed>) -> LoadReport {
        let mut report =
            LoadReport { files: 3, elapsed: Duration::from_millis(2500), ..Default::default() };
        let none = Judged { loaded: 100, failures: Vec::new() };
        report.record(Path::new("data/a.json"), Unit::Entry, none);
        report.record(Path::new("data/b.ndjson"), Unit::Line, Judged { loaded: 0, failures });
        report
    }

    #[test]
    fn the_summary_shows_counts_rate_and_failures() {
        let report = report_with(vec![
            failed(Some(7), 1, "HTTP 422: Patient.gender: unknown code"),
            failed(Some(9), 500, "HTTP 413 Payload Too Large"),
            failed(None, 1, "cannot read the file: unexpected end of file"),
        ]);
        let expected = "\
files:            3
resources loaded: 100
resources failed: 502
elapsed:          2.5 s
rate:             40.0 resources/s
failures:
  data/b.ndjson: line 7: HTTP 422: Patient.gender: unknown code
  data/b.ndjson: 500 lines from line 9: HTTP 413 Payload Too Large
  data/b.ndjson: cannot read the file: unexpected end of file
";
        assert_eq!(report.to_string(), expected);
        assert!(!report.is_success());
    }

    #[test]
    fn the_summary_shows_at_most_20_failures() {
        let report = report_with((1..=25).map(|n| failed(Some(n), 1, "HTTP 400")).collect());
        let text = report.to_string();
        assert_eq!((report.failed, report.failures.len()), (25, 20));
        assert!(text.contains("first failures:\n"), "{text}");
        assert!(text.ends_with("  data/b.ndjson: line 20: HTTP 400\n"), "{text}");
    }

    #[test]
    fn a_rejected_transaction_is_reported_at_the_entry_that_failed_it() {
        let mut report = LoadReport::default();
        let failed = Failed {
            entry: Some(1),
            resources: 10,
            reason: "HTTP 501: operations are not supported".into(),
            culprit: Some(8),
        };
        report.record(
            Path::new("tx.json"),
            Unit::Entry,
            Judged { loaded: 0, failures: vec![failed] },
        );
        assert_eq!(
            report.failures[0].to_string(),
            "tx.json: entry 8: HTTP 501: operations are not supported (so none of the 10 \
             entries from entry 1 loaded)"
        );
    }

    #[test]
    fn a_clean_load_lists_no_failures() {
        let report = report_with(Vec::new());
        assert!(report.is_success());
        assert!(!report.to_string().contains("failure"));
    }
}
