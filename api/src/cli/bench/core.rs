//! `panorama bench core`: the speed and memory figures of the core server on this machine.
//!
//! A fresh server runs on a temporary SQLite data dir. The bench loads the Synthea set into it
//! over HTTP, reads patients back, writes DocumentReferences, samples the child's memory, and
//! prints each figure next to its target.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use serde_json::{Value, json};

use super::generator::{Generator, Workload};
use super::report::{Report, Row, Unit};
use super::server::{Memory, Server, ServerOptions, load_average, megabytes};
use super::stats::Run;
use super::{GeneratorChoice, LOAD_CONCURRENCY, load_synthea, with_server_cpu};
use crate::load::LoadReport;

#[derive(Debug, Clone, Args)]
pub struct CoreArgs {
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

/// What the bench measured, before it is put in rows.
struct Figures {
    load: LoadReport,
    /// The server's memory right after the load; its `peak_kib` is the peak during the load.
    load_peak: Memory,
    reads: Run,
    writes: Run,
    /// The server's memory after the read and create runs.
    after: Memory,
    cpu: ServerCpu,
}

/// CPU time the server used in each run: divided by the work done, it tells how fast the server
/// could go with both cores to itself, whatever else ran on the machine.
struct ServerCpu {
    load: Duration,
    read: Duration,
    create: Duration,
}

pub(super) async fn bench(args: &CoreArgs) -> anyhow::Result<Report> {
    let generator = Generator::choose(args.generator)?;
    let busy = load_average();
    let server = Server::start(&ServerOptions::default()).await?;
    eprintln!("bench: server pid {} on {}, {}", server.pid(), server.base(), generator.name());
    let figures = measure(&server, &generator, args).await?;
    server.stop().await?;
    Ok(report(args, generator.name(), busy, &figures))
}

/// The three runs, in order, with the server's CPU time during each and its memory after.
async fn measure(
    server: &Server,
    generator: &Generator,
    args: &CoreArgs,
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

fn report(
    args: &CoreArgs,
    generator: String,
    load_average: Option<f64>,
    figures: &Figures,
) -> Report {
    let Figures { load, reads, writes, .. } = figures;
    let context = json!({
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
    Report::new("panorama bench core", lines(args, &generator, load), context, rows(figures))
}

fn run_json(run: &Run) -> Value {
    json!({"responses": run.requests, "failed": run.failed, "seconds": run.elapsed.as_secs_f64()})
}

/// How the figures were taken, above the table.
fn lines(args: &CoreArgs, generator: &str, load: &LoadReport) -> Vec<String> {
    let (seconds, reads, writes) = (args.duration, args.connections, args.write_connections);
    let took =
        format!("{:.1} s, {LOAD_CONCURRENCY} requests in flight", load.elapsed.as_secs_f64());
    vec![
        format!("generator: {generator}"),
        format!("load: {} files, {} resources in {took}", load.files, load.loaded),
        format!("read: GET /fhir/Patient/{{id}} for {seconds} s over {reads} connections"),
        format!(
            "create: POST /fhir/DocumentReference of 2 KB for {seconds} s over {writes} connections"
        ),
    ]
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
        Row::info("read_p50", "read: p50 latency", reads.ms(reads.p50), Milliseconds),
        Row::at_most("read_p99", "read: p99 latency", reads.ms(reads.p99), Milliseconds, 2.5),
        Row::info("read_cpu", "read: server CPU per request", read_cpu, Microseconds),
        Row::at_least("create_rate", "create: requests/s", writes.rate(), requests, 2000.0),
        Row::info("create_p50", "create: p50 latency", writes.ms(writes.p50), Milliseconds),
        Row::info("create_p99", "create: p99 latency", writes.ms(writes.p99), Milliseconds),
        Row::info("create_cpu", "create: server CPU per request", create_cpu, Microseconds),
        Row::at_most("failed_requests", "read and create: requests failed", failed, Count, 0.0),
        Row::at_most("rss_after", "server RSS after the runs", after, Megabytes, 200.0),
    ]
}

/// Microseconds of `total` per item; zero when there were none.
pub(super) fn per_item(total: Duration, items: u64) -> f64 {
    if items == 0 { 0.0 } else { total.as_secs_f64() * 1e6 / items as f64 }
}

pub(super) fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(requests: u64, p99_micros: u64) -> Run {
        let elapsed = Duration::from_secs(20);
        let (p50, p95) = (Duration::from_micros(p99_micros / 2), Duration::from_micros(p99_micros));
        Run { requests, failed: 0, elapsed, p50, p95, p99: Duration::from_micros(p99_micros) }
    }

    #[test]
    fn the_core_report_holds_every_figure_against_its_target() {
        let args = CoreArgs {
            synthea: "synthea".into(),
            duration: 20,
            connections: 32,
            write_connections: 16,
            generator: GeneratorChoice::Wrk,
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
        let report = report(&args, "wrk 4.1.0, 2 threads".into(), Some(0.2), &figures);
        let text = report.to_string();
        assert!(text.contains("load: 122 files, 40000 resources in 10.0 s"), "{text}");
        assert!(text.ends_with("targets met: 6 of 7\n"), "{text}");
        let line = |start: &str| {
            let line = text.lines().find(|line| line.starts_with(start)).unwrap_or_default();
            line.split_whitespace().collect::<Vec<_>>().join(" ")
        };
        assert!(line("load: resources/s").ends_with("4,000 /s >= 3,000 /s yes"), "{text}");
        assert!(line("read: server CPU").ends_with("40 µs - -"), "{text}");
        assert_eq!(report.to_json()["reads"]["responses"], 600_000);
    }
}
