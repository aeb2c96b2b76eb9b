//! The search bench's figures next to the targets of issue #3, as a table and as JSON.

use serde_json::{Value, json};

use super::super::core::{ms, per_item};
use super::super::report::{Report, Row, Unit};
use super::super::server::Database;
use super::super::stats::Run;
use super::SearchArgs;
use super::ingest::Ingest;
use super::queries::{DOSE_COUNT, MALE_OBSERVATIONS};
use crate::load::LoadReport;

/// A figure and the one-minute load average when its measurement started.
pub(super) struct Measured<T> {
    pub(super) value: T,
    pub(super) load_average: Option<f64>,
}

/// What was measured on the region.
pub(super) struct RegionFigures {
    pub(super) unindexed: Option<Measured<Ingest>>,
    pub(super) indexed: Measured<Ingest>,
    /// Entries the sample's searches found, once each, before timing.
    pub(super) reports_found: u64,
    pub(super) ct_found: u64,
    pub(super) dose_count: u64,
    pub(super) reports: Measured<Run>,
    pub(super) reports_loaded: Measured<Run>,
    pub(super) ct: Measured<Run>,
    pub(super) dose: Measured<Run>,
}

/// What was measured on the Synthea set.
pub(super) struct SyntheaFigures {
    pub(super) load: LoadReport,
    pub(super) male_count: u64,
    pub(super) observations: Measured<Run>,
    pub(super) observations_loaded: Measured<Run>,
    pub(super) chained: Measured<Run>,
}

const REPORTS: &str = "/fhir/DiagnosticReport?patient=X&_sort=-date&_count=20";
const CT: &str = "/fhir/ImagingStudy?patient.identifier=S|V&modality=CT&started=ge2025-01-01";
const OBSERVATIONS: &str = "/fhir/Observation?patient=X&_count=20";

pub(super) fn report(
    args: &SearchArgs,
    generator: &str,
    load_average: Option<f64>,
    database: &Database,
    region: RegionFigures,
    synthea: Option<SyntheaFigures>,
) -> Report {
    let mut rows = region_rows(args, &region);
    let mut lines = region_lines(args, generator, &region);
    if let Some(synthea) = &synthea {
        rows.extend(synthea_rows(args, synthea));
        lines.extend(synthea_lines(args, synthea));
    }
    let failed = failed_requests(&region, synthea.as_ref());
    rows.push(Row::at_most(
        "failed_requests",
        "searches: requests failed",
        failed,
        Unit::Count,
        0.0,
    ));
    let context = json!({
        "load_average_before": load_average,
        "database": database.describe(),
        "generator": generator,
        "scale": args.scale,
        "seed": args.seed,
        "duration_s": args.duration,
        "sample_patients": args.sample,
        "patients_per_bundle": args.patients_per_bundle,
        "load_concurrency": args.load_concurrency,
        "region": region_json(&region),
        "synthea": synthea.as_ref().map(synthea_json),
    });
    Report::new("panorama bench search", lines, context, rows)
}

fn failed_requests(region: &RegionFigures, synthea: Option<&SyntheaFigures>) -> f64 {
    let runs = [&region.reports, &region.reports_loaded, &region.ct, &region.dose];
    let region_failed: u64 = runs.iter().map(|run| run.value.failed).sum();
    let synthea_failed = synthea.map_or(0, |s| {
        s.observations.value.failed + s.observations_loaded.value.failed + s.chained.value.failed
    });
    (region_failed + synthea_failed) as f64
}

fn region_lines(args: &SearchArgs, generator: &str, region: &RegionFigures) -> Vec<String> {
    let ingest = &region.indexed.value;
    let sample = args.sample;
    vec![
        format!("generator: {generator}"),
        format!("region: scale {}, seed {}, {}", args.scale, args.seed, ingest.describe()),
        format!(
            "  loaded {} patients per transaction, {} transactions in flight",
            args.patients_per_bundle, args.load_concurrency
        ),
        format!(
            "searches for {sample} patients drawn from the region, {} s per run",
            args.duration
        ),
        format!("  {REPORTS}: {} reports found for the sample", region.reports_found),
        format!("  {CT}: {} studies found for the sample", region.ct_found),
        format!(
            "  {DOSE_COUNT}: total {} (the region holds {})",
            region.dose_count, ingest.recent_dose_summaries
        ),
    ]
}

fn synthea_lines(args: &SearchArgs, synthea: &SyntheaFigures) -> Vec<String> {
    let load = &synthea.load;
    vec![
        format!(
            "synthea: {} resources loaded from {} in {:.1} s",
            load.loaded,
            args.synthea.display(),
            load.elapsed.as_secs_f64()
        ),
        format!("  {OBSERVATIONS} for every patient in turn"),
        format!("  {MALE_OBSERVATIONS}: total {}", synthea.male_count),
    ]
}

/// The p50 (for information) and p95 (against `p95`, in ms) of a sequential run.
fn latency(key: &str, name: &str, run: &Measured<Run>, p95: f64) -> [Row; 2] {
    let (value, under) = (&run.value, run.load_average);
    let p50_row = Row::info(format!("{key}_p50"), format!("{name}: p50"), value.ms(value.p50), MS);
    let p95_row =
        Row::at_most(format!("{key}_p95"), format!("{name}: p95"), value.ms(value.p95), MS, p95);
    [p50_row.under(under), p95_row.under(under)]
}

const MS: Unit = Unit::Milliseconds;

/// Requests/s over many connections, against 2,000/s.
fn rate(key: &str, name: &str, connections: u64, run: &Measured<Run>) -> Row {
    let (key, figure) = (format!("{key}_rate"), format!("{name}: requests/s, {connections} conn"));
    let requests = Unit::Rate("requests/s");
    Row::at_least(key, figure, run.value.rate(), requests, 2000.0).under(run.load_average)
}

fn region_rows(args: &SearchArgs, region: &RegionFigures) -> Vec<Row> {
    let mut rows = ingest_rows(region);
    let reports = "reports of X by date";
    rows.extend(latency("reports", reports, &region.reports, 10.0));
    rows.push(rate("reports", reports, args.connections, &region.reports_loaded));
    rows.extend(latency("recent_ct", "recent CT by identifier", &region.ct, 20.0));
    rows.extend(latency("dose_count", "dose summaries since 2025, count", &region.dose, 200.0));
    rows
}

fn ingest_rows(region: &RegionFigures) -> Vec<Row> {
    let resources = Unit::Rate("resources/s");
    let indexed = &region.indexed;
    let report = &indexed.value.report;
    let failed = report.failed as f64;
    let cpu = per_item(indexed.value.server_cpu, report.loaded);
    let mut rows = vec![
        Row::info("ingest_rate", "region ingest, indexed", report.rate(), resources)
            .under(indexed.load_average),
        Row::info("ingest_cpu", "region ingest: server CPU per resource", cpu, Unit::Microseconds),
        Row::at_most("ingest_failed", "region ingest: resources failed", failed, Unit::Count, 0.0),
    ];
    if let Some(unindexed) = &region.unindexed {
        let bare = unindexed.value.report.rate();
        let name = "region ingest, no search index";
        rows.push(
            Row::info("ingest_rate_unindexed", name, bare, resources).under(unindexed.load_average),
        );
        let ratio = if bare > 0.0 { 100.0 * report.rate() / bare } else { 0.0 };
        let name = "ingest: indexed / no index";
        rows.push(Row::at_least("ingest_ratio", name, ratio, Unit::Percent, 60.0));
    }
    rows
}

fn synthea_rows(args: &SearchArgs, synthea: &SyntheaFigures) -> Vec<Row> {
    let observations = "synthea: observations of X";
    let mut rows =
        Vec::from(latency("synthea_observations", observations, &synthea.observations, 5.0));
    let (connections, run) = (args.synthea_connections, &synthea.observations_loaded);
    rows.push(rate("synthea_observations", observations, connections, run));
    let chained = "synthea: observations of men, count";
    rows.extend(latency("synthea_chained", chained, &synthea.chained, 100.0));
    rows
}

fn run_json(run: &Measured<Run>) -> Value {
    let value = &run.value;
    json!({"responses": value.requests, "failed": value.failed,
           "seconds": value.elapsed.as_secs_f64(), "p50_ms": ms(value.p50),
           "p95_ms": ms(value.p95), "p99_ms": ms(value.p99), "load_average": run.load_average})
}

fn ingest_json(ingest: &Measured<Ingest>) -> Value {
    let report = &ingest.value.report;
    json!({"resources": report.loaded, "failed": report.failed, "bundles": report.files,
           "seconds": report.elapsed.as_secs_f64(), "rate": report.rate(),
           "server_cpu_s": ingest.value.server_cpu.as_secs_f64(),
           "load_average": ingest.load_average})
}

fn region_json(region: &RegionFigures) -> Value {
    json!({
        "ingest_indexed": ingest_json(&region.indexed),
        "ingest_unindexed": region.unindexed.as_ref().map(ingest_json),
        "recent_dose_summaries_generated": region.indexed.value.recent_dose_summaries,
        "dose_count": region.dose_count,
        "reports_found_for_sample": region.reports_found,
        "ct_found_for_sample": region.ct_found,
        "reports": run_json(&region.reports),
        "reports_concurrent": run_json(&region.reports_loaded),
        "recent_ct": run_json(&region.ct),
        "dose_count_runs": run_json(&region.dose),
    })
}

fn synthea_json(synthea: &SyntheaFigures) -> Value {
    json!({
        "resources": synthea.load.loaded,
        "male_observations": synthea.male_count,
        "observations": run_json(&synthea.observations),
        "observations_concurrent": run_json(&synthea.observations_loaded),
        "chained_count": run_json(&synthea.chained),
    })
}
