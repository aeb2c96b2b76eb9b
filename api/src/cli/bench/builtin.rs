//! The built-in load generator, for machines without wrk: one tokio task per connection, each
//! with its own single-connection client, sending requests back to back until the deadline.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::header::{ACCEPT, CONTENT_TYPE};

use super::generator::{Call, Workload};
use super::stats::{Run, percentile};
use crate::load::FHIR_JSON;

/// Pause after a request fails to reach the server, so a dead server is not spun on.
const ERROR_PAUSE: Duration = Duration::from_millis(10);

/// What one connection saw.
#[derive(Debug, Default)]
struct Tally {
    /// Microseconds from sending each request to the end of its response body.
    latencies: Vec<u64>,
    failed: u64,
}

/// Sends `workload` to `origin` over exactly `connections` keep-alive connections.
pub(super) async fn run(
    origin: &str,
    workload: &Workload,
    connections: u64,
    duration: Duration,
) -> anyhow::Result<Run> {
    if workload.calls.is_empty() {
        bail!("the workload has no request");
    }
    let workload = Arc::new(workload.clone());
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..connections as usize)
        .map(|n| tokio::spawn(connection(origin.to_owned(), workload.clone(), n, deadline)))
        .collect();
    let mut total = Tally::default();
    for task in tasks {
        let tally = task.await.context("a connection task stopped")??;
        total.latencies.extend(tally.latencies);
        total.failed += tally.failed;
    }
    Ok(summarize(total, started.elapsed()))
}

fn summarize(mut tally: Tally, elapsed: Duration) -> Run {
    tally.latencies.sort_unstable();
    let micros = |p| Duration::from_micros(percentile(&tally.latencies, p));
    Run {
        requests: tally.latencies.len() as u64,
        failed: tally.failed,
        elapsed,
        p50: micros(50.0),
        p95: micros(95.0),
        p99: micros(99.0),
    }
}

/// One connection: its own client, so its own pool, holding the one connection it reuses.
async fn connection(
    origin: String,
    workload: Arc<Workload>,
    first: usize,
    deadline: Instant,
) -> anyhow::Result<Tally> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(1).build()?;
    let method = reqwest::Method::from_bytes(workload.method.as_bytes())?;
    let mut tally = Tally::default();
    let calls = workload.calls.iter().cycle().skip(first % workload.calls.len());
    for call in calls {
        if Instant::now() >= deadline {
            break;
        }
        let sent = Instant::now();
        match send(&client, &method, &origin, call).await {
            Ok(ok) => {
                tally.latencies.push(sent.elapsed().as_micros() as u64);
                tally.failed += u64::from(!ok);
            }
            Err(_) => {
                tally.failed += 1;
                tokio::time::sleep(ERROR_PAUSE).await;
            }
        }
    }
    Ok(tally)
}

/// Sends one request and reads its whole body; true when the status is 2xx or 3xx.
async fn send(
    client: &reqwest::Client,
    method: &reqwest::Method,
    origin: &str,
    call: &Call,
) -> reqwest::Result<bool> {
    let mut request = client.request(method.clone(), format!("{origin}{}", call.path));
    request = request.header(ACCEPT, FHIR_JSON);
    if let Some(body) = &call.body {
        request = request.header(CONTENT_TYPE, FHIR_JSON).body(body.clone());
    }
    let response = request.send().await?;
    let status = response.status();
    response.bytes().await?;
    Ok(status.is_success() || status.is_redirection())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_becomes_a_run_with_nearest_rank_percentiles() {
        let tally = Tally { latencies: (1..=200).rev().collect(), failed: 4 };
        let run = summarize(tally, Duration::from_secs(2));
        assert_eq!((run.requests, run.failed), (200, 4));
        assert_eq!(run.p50, Duration::from_micros(100));
        assert_eq!(run.p95, Duration::from_micros(190));
        assert_eq!(run.p99, Duration::from_micros(198));
        assert_eq!(run.rate(), 100.0);
    }
}
