//! The figures next to their targets: a plain table for the terminal and the same as JSON.

use std::fmt;
use std::num::NonZeroUsize;
use std::time::Duration;

use serde_json::{Value, json};

use super::server::{Memory, megabytes};
use super::stats::Run;
use super::{BenchArgs, LOAD_CONCURRENCY};
use crate::load::LoadReport;

/// What the bench measured, before it is put in rows.
pub(super) struct Figures {
    pub(super) load: LoadReport,
    /// The server's memory right after the load; its `peak_kib` is the peak during the load.
    pub(super) load_peak: Memory,
    pub(super) reads: Run,
    pub(super) writes: Run,
    /// The server's memory after the read and create runs.
    pub(super) after: Memory,
    pub(super) cpu: ServerCpu,
}

/// CPU time the server used in each run: divided by the work done, it tells how fast the server
/// could go with both cores to itself, whatever else ran on the machine.
pub(super) struct ServerCpu {
    pub(super) load: Duration,
    pub(super) read: Duration,
    pub(super) create: Duration,
}

/// Above this one-minute load average before the start, other work shared the cores.
const BUSY_LOAD_AVERAGE: f64 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    AtLeast(f64),
    AtMost(f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// Per second, named by what is counted (`requests/s`).
    Rate(&'static str),
    Milliseconds,
    Microseconds,
    Megabytes,
    Count,
}

/// One line of the table.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    key: &'static str,
    figure: &'static str,
    measured: f64,
    unit: Unit,
    target: Option<Target>,
}

/// Everything printed and written.
pub(super) struct Report {
    context: Value,
    rows: Vec<Row>,
}

impl Report {
    pub(super) fn new(
        args: &BenchArgs,
        generator: String,
        load_average: Option<f64>,
        figures: &Figures,
    ) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let Figures { load, reads, writes, .. } = figures;
        let context = json!({
            "cores": cores,
            "load_average_before": load_average,
            "database": "sqlite, fresh temporary data dir",
            "generator": generator,
            "duration_s": args.duration,
            "read_connections": args.connections,
            "write_connections": args.write_connections,
            "load": {"files": load.files, "resources": load.loaded, "failed": load.failed,
                     "seconds": load.elapsed.as_secs_f64(), "concurrency": LOAD_CONCURRENCY},
            "reads": run_json(reads),
            "writes": run_json(writes),
        });
        Report { context, rows: rows(figures) }
    }

    /// The figures as JSON: the run's context, then one object per figure.
    pub(super) fn to_json(&self) -> Value {
        let figures: Vec<Value> = self.rows.iter().map(Row::to_json).collect();
        let mut json = self.context.clone();
        json["figures"] = Value::Array(figures);
        json
    }
}

fn run_json(run: &Run) -> Value {
    json!({"responses": run.requests, "failed": run.failed, "seconds": run.elapsed.as_secs_f64()})
}

fn rows(figures: &Figures) -> Vec<Row> {
    use Unit::{Count, Megabytes, Microseconds, Milliseconds};
    let Figures { load, load_peak, reads, writes, after, cpu } = figures;
    let (resources, requests) = (Unit::Rate("resources/s"), Unit::Rate("requests/s"));
    let (load_failed, failed) = (load.failed as f64, (reads.failed + writes.failed) as f64);
    let (peak, after) = (megabytes(load_peak.peak_kib), megabytes(after.resident_kib));
    let load_cpu = per_item(cpu.load, load.loaded);
    let (read_cpu, create_cpu) =
        (per_item(cpu.read, reads.requests), per_item(cpu.create, writes.requests));
    vec![
        Row::at_least("load_rate", "load: resources/s", load.rate(), resources, 3000.0),
        Row::at_most("load_failed", "load: resources failed", load_failed, Count, 0.0),
        Row::info("load_peak_rss", "load: server peak RSS", peak, Megabytes),
        Row::info("load_cpu", "load: server CPU per resource", load_cpu, Microseconds),
        Row::at_least("read_rate", "read: requests/s", reads.rate(), requests, 28_000.0),
        Row::info("read_p50", "read: p50 latency", ms(reads.p50), Milliseconds),
        Row::at_most("read_p99", "read: p99 latency", ms(reads.p99), Milliseconds, 2.5),
        Row::info("read_cpu", "read: server CPU per request", read_cpu, Microseconds),
        Row::at_least("create_rate", "create: requests/s", writes.rate(), requests, 2000.0),
        Row::info("create_p50", "create: p50 latency", ms(writes.p50), Milliseconds),
        Row::info("create_p99", "create: p99 latency", ms(writes.p99), Milliseconds),
        Row::info("create_cpu", "create: server CPU per request", create_cpu, Microseconds),
        Row::at_most("failed_requests", "read and create: requests failed", failed, Count, 0.0),
        Row::at_most("rss_after", "server RSS after the runs", after, Megabytes, 200.0),
    ]
}

/// Microseconds of `total` per item; zero when there were none.
fn per_item(total: Duration, items: u64) -> f64 {
    if items == 0 { 0.0 } else { total.as_secs_f64() * 1e6 / items as f64 }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

impl Row {
    fn at_least(
        key: &'static str,
        figure: &'static str,
        measured: f64,
        unit: Unit,
        least: f64,
    ) -> Row {
        Row { key, figure, measured, unit, target: Some(Target::AtLeast(least)) }
    }

    fn at_most(
        key: &'static str,
        figure: &'static str,
        measured: f64,
        unit: Unit,
        most: f64,
    ) -> Row {
        Row { key, figure, measured, unit, target: Some(Target::AtMost(most)) }
    }

    fn info(key: &'static str, figure: &'static str, measured: f64, unit: Unit) -> Row {
        Row { key, figure, measured, unit, target: None }
    }
}

impl Row {
    fn met(&self) -> Option<bool> {
        self.target.map(|target| match target {
            Target::AtLeast(least) => self.measured >= least,
            Target::AtMost(most) => self.measured <= most,
        })
    }

    fn to_json(&self) -> Value {
        let target = self.target.map(|target| match target {
            Target::AtLeast(least) => json!({"at_least": least}),
            Target::AtMost(most) => json!({"at_most": most}),
        });
        json!({"key": self.key, "figure": self.figure, "measured": self.measured,
               "unit": self.unit.name(), "target": target, "met": self.met()})
    }

    fn cells(&self) -> [String; 4] {
        let met = match self.met() {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        };
        [self.figure.to_owned(), self.unit.show(self.measured), self.target_text(), met.to_owned()]
    }

    fn target_text(&self) -> String {
        match self.target {
            Some(Target::AtLeast(least)) => format!(">= {}", self.unit.show(least)),
            Some(Target::AtMost(most)) => format!("<= {}", self.unit.show(most)),
            None => "-".to_owned(),
        }
    }
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Rate(name) => name,
            Unit::Milliseconds => "ms",
            Unit::Microseconds => "µs",
            Unit::Megabytes => "MB",
            Unit::Count => "",
        }
    }

    /// `value` with its unit, rounded as a reader wants it.
    fn show(self, value: f64) -> String {
        match self {
            Unit::Rate(_) => format!("{} /s", grouped(value)),
            Unit::Milliseconds => format!("{value:.2} ms"),
            Unit::Microseconds => format!("{value:.0} µs"),
            Unit::Megabytes => format!("{value:.1} MB"),
            Unit::Count => grouped(value),
        }
    }
}

/// `value` rounded to a whole number, with commas between groups of three digits.
fn grouped(value: f64) -> String {
    let digits = format!("{:.0}", value.abs());
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if value.round() < 0.0 { format!("-{out}") } else { out }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.header(f)?;
        writeln!(f)?;
        self.table(f)
    }
}

impl Report {
    /// The one-minute load average before the start, when other work was running.
    fn busy(&self) -> Option<f64> {
        self.context["load_average_before"].as_f64().filter(|load| *load > BUSY_LOAD_AVERAGE)
    }

    fn header(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let context = &self.context;
        writeln!(f, "panorama bench: {} cores, {}", context["cores"], text(&context["database"]))?;
        if let Some(busy) = self.busy() {
            writeln!(
                f,
                "warning: load average {busy:.2} at the start: other work shared the cores,"
            )?;
            writeln!(f, "  so the rates are low; the server CPU per request still holds")?;
        }
        writeln!(f, "generator: {}", text(&context["generator"]))?;
        let load = &context["load"];
        let seconds = secs(&load["seconds"]);
        let (files, resources, concurrency) =
            (&load["files"], &load["resources"], &load["concurrency"]);
        let took = format!("{seconds:.1} s, {concurrency} requests in flight");
        writeln!(f, "load: {files} files, {resources} resources in {took}")?;
        let (reads, writes) = (&context["read_connections"], &context["write_connections"]);
        let seconds = &context["duration_s"];
        writeln!(f, "read: GET /fhir/Patient/{{id}} for {seconds} s over {reads} connections")?;
        writeln!(
            f,
            "create: POST /fhir/DocumentReference of 2 KB for {seconds} s over {writes} connections"
        )
    }

    fn table(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cells: Vec<[String; 4]> = self.rows.iter().map(Row::cells).collect();
        let header = ["figure", "measured", "target", "met?"].map(str::to_owned);
        let width = |column: usize| {
            let widths = cells.iter().chain([&header]).map(|cells| cells[column].chars().count());
            widths.max().unwrap_or_default()
        };
        let widths = [width(0), width(1), width(2)];
        for cells in [&header].into_iter().chain(&cells) {
            let [figure, measured, target, met] = cells;
            let [w0, w1, w2] = widths;
            writeln!(f, "{figure:<w0$}  {measured:>w1$}  {target:>w2$}  {met}")?;
        }
        let targets = self.rows.iter().filter_map(Row::met);
        let (met, total) =
            targets.fold((0, 0), |(met, total), ok| (met + usize::from(ok), total + 1));
        writeln!(f, "\ntargets met: {met} of {total}")
    }
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

fn secs(value: &Value) -> f64 {
    value.as_f64().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(requests: u64, p99_micros: u64) -> Run {
        let elapsed = Duration::from_secs(20);
        let p50 = Duration::from_micros(p99_micros / 2);
        Run { requests, failed: 0, elapsed, p50, p99: Duration::from_micros(p99_micros) }
    }

    fn report() -> Report {
        let args = BenchArgs {
            synthea: "synthea".into(),
            duration: 20,
            connections: 32,
            write_connections: 16,
            generator: super::super::GeneratorChoice::Wrk,
            out: None,
        };
        let load = LoadReport {
            files: 122,
            loaded: 40_000,
            elapsed: Duration::from_secs(10),
            ..LoadReport::default()
        };
        let memory = Memory { resident_kib: 150_000, peak_kib: 250_000 };
        let (reads, writes) = (run(600_000, 2100), run(30_000, 9000));
        let cpu = ServerCpu {
            load: Duration::from_secs(8),
            read: Duration::from_secs(24),
            create: Duration::from_secs(6),
        };
        let figures = Figures { load, load_peak: memory, reads, writes, after: memory, cpu };
        Report::new(&args, "wrk 4.1.0, 2 threads".into(), Some(3.2), &figures)
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0.4), "0");
        assert_eq!(grouped(999.0), "999");
        assert_eq!(grouped(28_000.0), "28,000");
        assert_eq!(grouped(1_234_567.8), "1,234,568");
    }

    #[test]
    fn the_table_marks_each_target_met_or_missed() {
        let text = report().to_string();
        assert!(text.contains("generator: wrk 4.1.0, 2 threads\n"), "{text}");
        let line = |start: &str| {
            let line = text.lines().find(|line| line.starts_with(start)).unwrap_or_default();
            line.split_whitespace().collect::<Vec<_>>().join(" ")
        };
        assert!(line("load: resources/s").ends_with("4,000 /s >= 3,000 /s yes"), "{text}");
        assert!(line("read: requests/s").ends_with("30,000 /s >= 28,000 /s yes"), "{text}");
        assert!(line("read: p99").ends_with("2.10 ms <= 2.50 ms yes"), "{text}");
        assert!(line("create: requests/s").ends_with("1,500 /s >= 2,000 /s NO"), "{text}");
        assert!(line("load: server peak").ends_with("256.0 MB - -"), "{text}");
        assert!(line("read: server CPU").ends_with("40 µs - -"), "{text}");
        assert!(text.contains("warning: load average 3.20 at the start"), "{text}");
        assert!(text.ends_with("targets met: 6 of 7\n"), "{text}");
    }

    #[test]
    fn the_json_holds_each_figure_with_its_target() {
        let json = report().to_json();
        let figures = json["figures"].as_array().cloned().unwrap_or_default();
        let rate = figures.iter().find(|f| f["key"] == "create_rate").cloned().unwrap_or_default();
        assert_eq!(rate["measured"], 1500.0);
        assert_eq!(rate["target"], json!({"at_least": 2000.0}));
        assert_eq!(rate["met"], false);
        assert_eq!(json["reads"]["responses"], 600_000);
    }
}
