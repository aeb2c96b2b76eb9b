//! Drives a run with `wrk`: a generated Lua script rotates through the workload's requests and,
//! when wrk is done, prints one line of figures that this module reads back.

use std::fmt::Write as _;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

use super::generator::Workload;
use super::stats::Run;
use crate::load::FHIR_JSON;

/// wrk threads, as the reference figures were taken (`wrk -t2`).
pub(super) const THREADS: u64 = 2;

/// Starts the line the script's `done` prints.
const MARKER: &str = "panorama-bench";

/// The Lua that turns wrk's summary into one `MARKER key=value...` line, times in microseconds.
const DONE: &str = r#"
done = function(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    "panorama-bench requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d "
      .. "status_errors=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
"#;

/// wrk's version line (`wrk 4.2.0 [epoll]` becomes `wrk 4.2.0`), or `None` when it is missing.
pub(super) fn version() -> Option<String> {
    let output = Command::new("wrk").arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().next()?;
    let name = line.split(" [").next()?.trim();
    name.starts_with("wrk").then(|| name.to_owned())
}

/// Runs wrk against `origin` and reads its figures.
pub(super) async fn run(
    origin: &str,
    workload: &Workload,
    connections: u64,
    duration: Duration,
) -> anyhow::Result<Run> {
    let script = std::env::temp_dir().join(format!("panorama-bench-{}.lua", uuid::Uuid::new_v4()));
    std::fs::write(&script, lua_script(workload)?).context("cannot write the wrk script")?;
    let mut command = Command::new("wrk");
    command
        .arg(format!("--threads={}", THREADS.min(connections)))
        .arg(format!("--connections={connections}"))
        .arg(format!("--duration={}s", duration.as_secs()))
        .args(["--timeout=10s", "--script"])
        .arg(&script)
        .arg(origin);
    let output = tokio::task::spawn_blocking(move || command.output()).await?;
    let _ = std::fs::remove_file(&script);
    let output = output.context("cannot run wrk")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk failed ({}): {}{stdout}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse_summary(&stdout).with_context(|| format!("no `{MARKER}` line in wrk's output:\n{stdout}"))
}

/// The script: every request formatted once per thread in `init`, then sent in turn.
fn lua_script(workload: &Workload) -> anyhow::Result<String> {
    let mut script = String::from("local calls = {\n");
    for call in &workload.calls {
        let body = call.body.as_deref().map(lua_string).unwrap_or_else(|| "nil".into());
        writeln!(script, "  {{ {}, {body} }},", lua_string(&call.path))?;
    }
    script.push_str("}\n");
    let content_type = if workload.method == "GET" { String::new() } else { content_type() };
    write!(
        script,
        r#"
local method = "{method}"
local headers = {{ ["Accept"] = "{FHIR_JSON}"{content_type} }}
local requests = {{}}
local turn = 0

init = function(_)
  for i, call in ipairs(calls) do
    requests[i] = wrk.format(method, call[1], headers, call[2])
  end
end

request = function()
  turn = turn % #requests + 1
  return requests[turn]
end
"#,
        method = workload.method,
    )?;
    script.push_str(DONE);
    Ok(script)
}

fn content_type() -> String {
    format!(r#", ["Content-Type"] = "{FHIR_JSON}""#)
}

/// A Lua long string holding `text` verbatim, its level chosen so that `text` cannot close it.
fn lua_string(text: &str) -> String {
    let level = (0..).map(|n| "=".repeat(n)).find(|eq| !text.contains(&format!("]{eq}]")));
    let eq = level.unwrap_or_default();
    format!("[{eq}[{text}]{eq}]")
}

/// Reads the `MARKER` line the script printed.
fn parse_summary(stdout: &str) -> Option<Run> {
    let line = stdout.lines().find_map(|line| line.strip_prefix(MARKER))?;
    let field = |name: &str| {
        let value =
            line.split_whitespace().find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='));
        value?.parse::<u64>().ok()
    };
    Some(Run {
        requests: field("requests")?,
        failed: field("status_errors")? + field("socket_errors")?,
        elapsed: Duration::from_micros(field("duration_us")?),
        p50: Duration::from_micros(field("p50_us")?),
        p95: Duration::from_micros(field("p95_us")?),
        p99: Duration::from_micros(field("p99_us")?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::bench::generator::Call;

    #[test]
    fn the_summary_line_is_read_among_wrk_output() {
        let stdout = "Running 20s test @ http://127.0.0.1:4000\n  2 threads and 32 connections\n\
            panorama-bench requests=600123 duration_us=20001000 p50_us=870 p95_us=1800 p99_us=2140 \
            status_errors=2 socket_errors=1\n";
        let run = parse_summary(stdout);
        assert_eq!(
            run,
            Some(Run {
                requests: 600_123,
                failed: 3,
                elapsed: Duration::from_micros(20_001_000),
                p50: Duration::from_micros(870),
                p95: Duration::from_micros(1800),
                p99: Duration::from_micros(2140),
            })
        );
    }

    #[test]
    fn output_without_the_summary_line_is_not_read() {
        assert_eq!(parse_summary("Running 20s test\n"), None);
        assert_eq!(parse_summary("panorama-bench requests=12\n"), None);
    }

    #[test]
    fn long_strings_cannot_be_closed_by_their_content() {
        assert_eq!(lua_string("/fhir/Patient/1"), "[[/fhir/Patient/1]]");
        assert_eq!(lua_string(r#"{"a":[[1]]}"#), r#"[=[{"a":[[1]]}]=]"#);
    }

    #[test]
    fn the_script_lists_every_request_and_prints_the_summary() -> anyhow::Result<()> {
        let call = |path: &str| Call { path: path.into(), body: Some("{}".into()) };
        let workload = Workload { method: "POST", calls: vec![call("/a"), call("/b")] };
        let script = lua_script(&workload)?;
        assert!(script.contains("  { [[/b]], [[{}]] },\n"), "{script}");
        assert!(script.contains(r#"local method = "POST""#), "{script}");
        assert!(script.contains(r#"["Content-Type"] = "application/fhir+json""#), "{script}");
        assert!(script.contains("latency:percentile(99)"), "{script}");
        Ok(())
    }
}
