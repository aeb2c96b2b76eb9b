//! The figures next to their targets: a plain table for the terminal and the same as JSON.

use std::fmt;
use std::num::NonZeroUsize;

use serde_json::{Value, json};

/// Above this one-minute load average before a figure, other work shared the cores.
const BUSY_LOAD_AVERAGE: f64 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    AtLeast(f64),
    AtMost(f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit {
    /// Per second, named by what is counted (`requests/s`).
    Rate(&'static str),
    Milliseconds,
    Microseconds,
    Megabytes,
    Percent,
    Count,
}

/// One line of the table.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Row {
    key: String,
    figure: String,
    measured: f64,
    unit: Unit,
    target: Option<Target>,
    /// The machine's one-minute load average when the figure was measured, when known.
    load_average: Option<f64>,
}

/// Everything printed and written: a title, lines saying how the figures were taken, the
/// table, and the run's context for the JSON.
pub(super) struct Report {
    title: String,
    lines: Vec<String>,
    context: Value,
    rows: Vec<Row>,
}

impl Report {
    /// `context` should hold `load_average_before`, the one-minute load average at the start.
    pub(super) fn new(title: &str, lines: Vec<String>, mut context: Value, rows: Vec<Row>) -> Self {
        context["cores"] = cores().into();
        Report { title: title.to_owned(), lines, context, rows }
    }

    /// The figures as JSON: the run's context, then one object per figure.
    pub(super) fn to_json(&self) -> Value {
        let figures: Vec<Value> = self.rows.iter().map(Row::to_json).collect();
        let mut json = self.context.clone();
        json["figures"] = Value::Array(figures);
        json
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

impl Row {
    pub(super) fn at_least(
        key: impl Into<String>,
        figure: impl Into<String>,
        measured: f64,
        unit: Unit,
        least: f64,
    ) -> Row {
        Row::info(key, figure, measured, unit).with_target(Target::AtLeast(least))
    }

    pub(super) fn at_most(
        key: impl Into<String>,
        figure: impl Into<String>,
        measured: f64,
        unit: Unit,
        most: f64,
    ) -> Row {
        Row::info(key, figure, measured, unit).with_target(Target::AtMost(most))
    }

    pub(super) fn info(
        key: impl Into<String>,
        figure: impl Into<String>,
        measured: f64,
        unit: Unit,
    ) -> Row {
        let (key, figure) = (key.into(), figure.into());
        Row { key, figure, measured, unit, target: None, load_average: None }
    }

    fn with_target(mut self, target: Target) -> Row {
        self.target = Some(target);
        self
    }

    /// The same row, noting the load average the figure was measured under.
    pub(super) fn under(mut self, load_average: Option<f64>) -> Row {
        self.load_average = load_average;
        self
    }

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
               "unit": self.unit.name(), "target": target, "met": self.met(),
               "load_average": self.load_average})
    }

    fn cells(&self) -> [String; 5] {
        let met = match self.met() {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        };
        let load = self.load_average.map_or_else(String::new, |load| format!("{load:.2}"));
        let measured = self.unit.show(self.measured);
        [self.figure.clone(), measured, self.target_text(), met.to_owned(), load]
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
            Unit::Percent => "%",
            Unit::Count => "",
        }
    }

    /// `value` with its unit, rounded as a reader wants it.
    fn show(self, value: f64) -> String {
        if value.is_nan() {
            return "no answer".to_owned();
        }
        match self {
            Unit::Rate(_) => format!("{} /s", grouped(value)),
            Unit::Milliseconds => format!("{value:.2} ms"),
            Unit::Microseconds => format!("{value:.0} µs"),
            Unit::Megabytes => format!("{value:.1} MB"),
            Unit::Percent => format!("{value:.0} %"),
            Unit::Count => grouped(value),
        }
    }
}

/// `value` rounded to a whole number, with commas between groups of three digits.
pub(super) fn grouped(value: f64) -> String {
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
        let database = self.context["database"].as_str().unwrap_or_default();
        writeln!(f, "{}: {} cores, {database}", self.title, self.context["cores"])?;
        if let Some(busy) = self.busy() {
            writeln!(
                f,
                "warning: load average {busy:.2} at the start: other work shared the cores,"
            )?;
            writeln!(f, "  so the rates are low; the server CPU per request still holds")?;
        }
        for line in &self.lines {
            writeln!(f, "{line}")?;
        }
        writeln!(f)?;
        self.table(f)
    }
}

impl Report {
    /// The one-minute load average before the start, when other work was running.
    fn busy(&self) -> Option<f64> {
        self.context["load_average_before"].as_f64().filter(|load| *load > BUSY_LOAD_AVERAGE)
    }

    fn table(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let with_load = self.rows.iter().any(|row| row.load_average.is_some());
        let cells: Vec<[String; 5]> = self.rows.iter().map(Row::cells).collect();
        let load = if with_load { "load avg" } else { "" };
        let header = ["figure", "measured", "target", "met?", load].map(str::to_owned);
        let width = |column: usize| {
            let widths = cells.iter().chain([&header]).map(|cells| cells[column].chars().count());
            widths.max().unwrap_or_default()
        };
        let widths = [width(0), width(1), width(2), width(3)];
        for cells in [&header].into_iter().chain(&cells) {
            let [figure, measured, target, met, load] = cells;
            let [w0, w1, w2, w3] = widths;
            let line = format!("{figure:<w0$}  {measured:>w1$}  {target:>w2$}  {met:<w3$}  {load}");
            writeln!(f, "{}", line.trim_end())?;
        }
        let targets = self.rows.iter().filter_map(Row::met);
        let (met, total) =
            targets.fold((0, 0), |(met, total), ok| (met + usize::from(ok), total + 1));
        writeln!(f, "\ntargets met: {met} of {total}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let rows = vec![
            Row::at_least("rate", "read: requests/s", 30_000.0, Unit::Rate("requests/s"), 28_000.0),
            Row::at_most("p99", "read: p99 latency", 2.1, Unit::Milliseconds, 2.5).under(Some(0.4)),
            Row::at_least("create", "create: requests/s", 1500.0, Unit::Rate("requests/s"), 2e3),
            Row::info("peak", "load: server peak RSS", 256.0, Unit::Megabytes),
            Row::at_least("ratio", "ingest: indexed/unindexed", 72.4, Unit::Percent, 60.0),
        ];
        let context = json!({"database": "sqlite", "load_average_before": 3.2});
        Report::new("panorama bench", vec!["generator: wrk 4.1.0, 2 threads".into()], context, rows)
    }

    #[test]
    fn a_latency_without_answers_misses_its_target() {
        let row = Row::at_most("p95", "p95", f64::NAN, Unit::Milliseconds, 10.0);
        assert_eq!(row.met(), Some(false));
        assert_eq!(row.cells()[1], "no answer");
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
        assert!(line("read: requests/s").ends_with("30,000 /s >= 28,000 /s yes"), "{text}");
        assert!(line("read: p99").ends_with("2.10 ms <= 2.50 ms yes 0.40"), "{text}");
        assert!(line("create: requests/s").ends_with("1,500 /s >= 2,000 /s NO"), "{text}");
        assert!(line("load: server peak").ends_with("256.0 MB - -"), "{text}");
        assert!(line("ingest: indexed").ends_with("72 % >= 60 % yes"), "{text}");
        assert!(text.contains("warning: load average 3.20 at the start"), "{text}");
        assert!(text.ends_with("targets met: 3 of 4\n"), "{text}");
    }

    #[test]
    fn the_json_holds_each_figure_with_its_target() {
        let json = report().to_json();
        let figures = json["figures"].as_array().cloned().unwrap_or_default();
        let rate = figures.iter().find(|f| f["key"] == "create").cloned().unwrap_or_default();
        assert_eq!(rate["measured"], 1500.0);
        assert_eq!(rate["target"], json!({"at_least": 2000.0}));
        assert_eq!(rate["met"], false);
        let p99 = figures.iter().find(|f| f["key"] == "p99").cloned().unwrap_or_default();
        assert_eq!(p99["load_average"], 0.4);
    }
}
