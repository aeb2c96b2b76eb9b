//! Loads files into a small recording FHIR server on a random loopback port.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use api::cli::LoadArgs;
use api::load::{self, HttpSink, Method, RouterSink, Sink};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use clap::Parser;
use serde_json::{Value, json};

// ---- the test server ----

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    path: String,
    content_type: String,
    body: Value,
}

/// What happened on the server, in order: `("start" | "end", bundle type or "resource")`.
#[derive(Debug, Default)]
struct Log {
    requests: Vec<Received>,
    events: Vec<(&'static str, String)>,
}

type Shared = Arc<Mutex<Log>>;

struct TestServer {
    base: String,
    log: Shared,
}

impl TestServer {
    fn requests(&self) -> Vec<Received> {
        self.log.lock().expect("log").requests.clone()
    }

    fn events(&self) -> Vec<(&'static str, String)> {
        self.log.lock().expect("log").events.clone()
    }

    fn sink(&self) -> Arc<dyn Sink> {
        Arc::new(HttpSink::new(&self.base).expect("loopback URL"))
    }
}

fn router(log: Shared) -> Router {
    Router::new().fallback(answer).with_state(log)
}

async fn spawn_server() -> TestServer {
    let log = Shared::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let app = router(log.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    TestServer { base: format!("http://127.0.0.1:{port}/fhir"), log }
}

fn outcome(status: StatusCode, diagnostics: &str) -> Response {
    let body = json!({"resourceType":"OperationOutcome",
        "issue":[{"severity":"error","code":"invalid","diagnostics":diagnostics}]});
    (status, axum::Json(body)).into_response()
}

fn is_invalid(resource: &Value) -> bool {
    resource["gender"] == "invalid"
}

/// Answers like a FHIR server: creates and updates succeed, a Patient with gender "invalid" is
/// rejected (alone in a batch, with the whole transaction), an unknown type is a 400.
async fn answer(
    State(log): State<Shared>,
    method: axum::http::Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    let path = uri.path().to_owned();
    let kind = if path == "/fhir" {
        body["type"].as_str().unwrap_or("?").to_owned()
    } else {
        "resource".into()
    };
    let received = Received {
        method: method.to_string(),
        path: path.clone(),
        content_type: content_type.into(),
        body: body.clone(),
    };
    {
        let mut log = log.lock().expect("log");
        log.requests.push(received);
        log.events.push(("start", kind.clone()));
    }
    if kind == "batch" {
        tokio::time::sleep(Duration::from_millis(100)).await; // a transaction sent early shows
    }
    let response = match path.as_str() {
        "/fhir" => bundle_response(&body),
        _ if path.starts_with("/fhir/Unknown") => {
            outcome(StatusCode::BAD_REQUEST, "unknown resource type")
        }
        _ if is_invalid(&body) => {
            outcome(StatusCode::UNPROCESSABLE_ENTITY, "Patient.gender: unknown code")
        }
        _ if method == axum::http::Method::PUT => StatusCode::OK.into_response(),
        _ => StatusCode::CREATED.into_response(),
    };
    log.lock().expect("log").events.push(("end", kind));
    response
}

fn bundle_response(bundle: &Value) -> Response {
    let entries = bundle["entry"].as_array().cloned().unwrap_or_default();
    let transaction = bundle["type"] == "transaction";
    if let Some(index) = entries.iter().position(|entry| is_invalid(&entry["resource"]))
        && transaction
    {
        let issue = json!({"severity":"error","code":"code-invalid",
            "diagnostics":"transaction rolled back: unknown code",
            "expression":[format!("Bundle.entry[{index}].resource.gender")]});
        let body = json!({"resourceType":"OperationOutcome","issue":[issue]});
        return (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response();
    }
    let answers: Vec<Value> = entries.iter().map(entry_response).collect();
    let kind = format!("{}-response", bundle["type"].as_str().unwrap_or("batch"));
    (StatusCode::OK, axum::Json(json!({"resourceType":"Bundle","type":kind,"entry":answers})))
        .into_response()
}

fn entry_response(entry: &Value) -> Value {
    if is_invalid(&entry["resource"]) {
        let issue = json!({"severity":"error","code":"code-invalid",
            "diagnostics":"Patient.gender: unknown code"});
        let outcome = json!({"resourceType":"OperationOutcome","issue":[issue]});
        return json!({"response":{"status":"422 Unprocessable Entity","outcome":outcome}});
    }
    let status = if entry["request"]["method"] == "PUT" { "200 OK" } else { "201 Created" };
    json!({"response":{"status":status}})
}

// ---- test data ----

fn patient(id: Option<&str>) -> Value {
    match id {
        Some(id) => json!({"resourceType":"Patient","id":id,"gender":"female"}),
        None => json!({"resourceType":"Patient","gender":"male"}),
    }
}

fn bundle(kind: &str, resources: &[Value]) -> Value {
    let entries: Vec<Value> = resources
        .iter()
        .map(|resource| {
            let request = json!({"method":"POST","url":resource["resourceType"]});
            json!({"resource":resource,"request":request})
        })
        .collect();
    json!({"resourceType":"Bundle","type":kind,"entry":entries})
}

fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let mut file = std::fs::File::create(&path).expect("create");
    if name.ends_with(".gz") {
        let mut encoder = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        encoder.write_all(content).expect("gzip");
        encoder.finish().expect("gzip");
    } else if name.ends_with(".bz2") {
        let mut encoder = bzip2::write::BzEncoder::new(file, bzip2::Compression::fast());
        encoder.write_all(content).expect("bzip2");
        encoder.finish().expect("bzip2");
    } else {
        file.write_all(content).expect("write");
    }
    path
}

fn json_file(dir: &Path, name: &str, value: &Value) -> PathBuf {
    write(dir, name, value.to_string().as_bytes())
}

fn ndjson(resources: impl IntoIterator<Item = Value>) -> Vec<u8> {
    resources
        .into_iter()
        .map(|resource| resource.to_string() + "\n")
        .collect::<String>()
        .into_bytes()
}

// ---- the tests ----

#[tokio::test]
async fn batches_are_answered_before_any_transaction_is_sent() -> anyhow::Result<()> {
    let server = spawn_server().await;
    let dir = tempfile::tempdir()?;
    for n in 0..6 {
        json_file(
            dir.path(),
            &format!("a-patient-{n}.json"),
            &bundle("transaction", &[patient(None)]),
        );
    }
    json_file(
        dir.path(),
        "z-practitioners.json",
        &bundle("batch", &[json!({"resourceType":"Practitioner"})]),
    );
    write(
        dir.path(),
        "y-hospitals.json.bz2",
        bundle("batch", &[json!({"resourceType":"Organization"})]).to_string().as_bytes(),
    );

    let report = load::load(server.sink(), &[dir.path().into()], 4, false).await?;

    assert_eq!((report.files, report.loaded, report.failed), (8, 8, 0));
    let events = server.events();
    let last_batch_end = events.iter().rposition(|event| *event == ("end", "batch".to_owned()));
    let first_transaction = events.iter().position(|(_, kind)| kind == "transaction");
    assert!(last_batch_end < first_transaction, "{events:?}");
    let first_two: Vec<_> =
        server.requests().iter().take(2).map(|r| r.body["type"].clone()).collect();
    assert_eq!(first_two, ["batch", "batch"]);
    Ok(())
}

#[tokio::test]
async fn gzip_bzip2_ndjson_and_nested_folders_are_all_loaded() -> anyhow::Result<()> {
    let server = spawn_server().await;
    let dir = tempfile::tempdir()?;
    json_file(dir.path(), "plain.json", &patient(Some("plain")));
    write(dir.path(), "nested/deeper/zipped.json.gz", patient(Some("gz")).to_string().as_bytes());
    write(
        dir.path(),
        "nested/packed.json.bz2",
        bundle("transaction", &[patient(None), patient(None)]).to_string().as_bytes(),
    );
    write(dir.path(), "nested/lines.ndjson", &ndjson([patient(Some("n1")), patient(None)]));
    write(dir.path(), "lines.ndjson.gz", &ndjson((0..3).map(|_| patient(None))));
    write(dir.path(), "more/lines.ndjson.bz2", &ndjson([patient(Some("b1"))]));
    write(dir.path(), "notes.txt", b"not FHIR");
    let elsewhere = tempfile::tempdir()?;
    let single = json_file(elsewhere.path(), "single.json", &patient(None));

    let report = load::load(server.sink(), &[dir.path().into(), single], 2, false).await?;

    assert_eq!((report.files, report.loaded, report.failed), (7, 11, 0), "{report}");
    let requests = server.requests();
    assert_eq!(requests.len(), 7);
    assert!(requests.iter().all(|r| r.content_type == "application/fhir+json"));
    assert_eq!(
        requests.last().map(|r| r.path.as_str()),
        Some("/fhir/Patient"),
        "named files follow in argument order"
    );
    Ok(())
}

#[tokio::test]
async fn ndjson_is_sent_as_batches_of_500_putting_resources_with_ids() -> anyhow::Result<()> {
    let server = spawn_server().await;
    let dir = tempfile::tempdir()?;
    let lines =
        (0..1203).map(|n| if n % 3 == 0 { patient(None) } else { patient(Some(&format!("p{n}"))) });
    let file = write(dir.path(), "Patient.ndjson.gz", &ndjson(lines));

    let report = load::load(server.sink(), &[file], 3, false).await?;

    assert_eq!((report.loaded, report.failed), (1203, 0));
    let mut requests = server.requests();
    requests.sort_by_key(|r| r.body["entry"][0]["request"]["url"].as_str().map(str::to_owned));
    let sizes: Vec<_> =
        requests.iter().map(|r| r.body["entry"].as_array().map_or(0, Vec::len)).collect();
    assert_eq!(
        {
            let mut s = sizes.clone();
            s.sort();
            s
        },
        [203, 500, 500]
    );
    for request in &requests {
        assert_eq!(
            (request.method.as_str(), request.path.as_str(), &request.body["type"]),
            ("POST", "/fhir", &json!("batch"))
        );
        for entry in request.body["entry"].as_array().into_iter().flatten() {
            match entry["resource"]["id"].as_str() {
                Some(id) => assert_eq!(
                    entry["request"],
                    json!({"method":"PUT","url":format!("Patient/{id}")})
                ),
                None => assert_eq!(entry["request"], json!({"method":"POST","url":"Patient"})),
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn single_resources_are_put_by_id_or_posted_to_their_type() -> anyhow::Result<()> {
    let server = spawn_server().await;
    let dir = tempfile::tempdir()?;
    json_file(dir.path(), "a.json", &patient(Some("pat-1")));
    json_file(dir.path(), "b.json", &json!({"resourceType":"Observation","status":"final"}));
    json_file(
        dir.path(),
        "c.json",
        &bundle("collection", &[patient(Some("pat-2")), patient(None)]),
    );

    let report = load::load(server.sink(), &[dir.path().into()], 1, false).await?;

    assert_eq!((report.loaded, report.failed), (4, 0));
    let seen: Vec<_> =
        server.requests().iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    assert_eq!(seen, ["PUT /fhir/Patient/pat-1", "POST /fhir/Observation", "POST /fhir"]);
    let collection = &server.requests()[2].body;
    assert_eq!(collection["type"], "batch");
    assert_eq!(collection["entry"][0]["request"], json!({"method":"PUT","url":"Patient/pat-2"}));
    assert_eq!(collection["entry"][1]["request"], json!({"method":"POST","url":"Patient"}));
    Ok(())
}

#[tokio::test]
async fn failures_are_counted_with_the_servers_diagnostics() -> anyhow::Result<()> {
    let server = spawn_server().await;
    let dir = tempfile::tempdir()?;
    let invalid = json!({"resourceType":"Patient","gender":"invalid"});
    json_file(
        dir.path(),
        "batch.json",
        &bundle("batch", &[patient(None), invalid.clone(), patient(None)]),
    );
    json_file(dir.path(), "tx.json", &bundle("transaction", &[patient(None), invalid.clone()]));
    json_file(dir.path(), "unknown.json", &json!({"resourceType":"Unknown"}));
    write(dir.path(), "lines.ndjson", b"{\"resourceType\":\"Patient\"}\n{broken\n");

    let report = load::load(server.sink(), &[dir.path().into()], 2, false).await?;

    assert_eq!((report.files, report.loaded, report.failed), (4, 3, 5), "{report}");
    let prefix = format!("{}/", dir.path().display());
    let mut shown: Vec<String> =
        report.failures.iter().map(|failure| failure.to_string().replace(&prefix, "")).collect();
    shown.sort();
    assert_eq!(
        shown,
        [
            "batch.json: entry 2: HTTP 422: Patient.gender: unknown code",
            "lines.ndjson: line 2: invalid JSON at column 2",
            "tx.json: entry 2: HTTP 422: transaction rolled back: unknown code (so none of \
             the 2 entries from entry 1 loaded)",
            "unknown.json: HTTP 400: unknown resource type",
        ]
    );
    assert!(!report.is_success());
    let summary = report.to_string();
    assert!(
        summary.starts_with("files:            4\nresources loaded: 3\nresources failed: 5\n"),
        "{summary}"
    );
    assert!(summary.contains("failures:\n  "), "{summary}");
    assert!(!summary.contains("invalid\""), "no resource content in the summary: {summary}");
    Ok(())
}

#[tokio::test]
async fn an_unreachable_server_fails_every_resource_after_retries() -> anyhow::Result<()> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port(); // closed on drop
    let sink = Arc::new(HttpSink::new(&format!("http://127.0.0.1:{port}/fhir"))?);
    let dir = tempfile::tempdir()?;
    let file =
        json_file(dir.path(), "tx.json", &bundle("transaction", &[patient(None), patient(None)]));

    let started = std::time::Instant::now();
    let report = load::load(sink, &[file], 1, false).await?;

    assert!(started.elapsed() >= Duration::from_millis(1700), "three waits before giving up");
    assert_eq!((report.loaded, report.failed), (0, 2));
    let reason = &report.failures[0].reason;
    assert!(reason.starts_with("no answer after 4 tries: "), "{reason}");
    assert!(!reason.contains("127.0.0.1"), "no URL (it may carry an id): {reason}");
    Ok(())
}

/// Fails the first `flaky` calls, then answers 201; counts calls in flight.
#[derive(Default)]
struct FlakySink {
    flaky: usize,
    calls: AtomicUsize,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
}

#[async_trait::async_trait]
impl Sink for FlakySink {
    async fn send(&self, _: Method, _: &str, _: Bytes) -> anyhow::Result<(u16, Option<Value>)> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(5)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        if self.calls.fetch_add(1, Ordering::SeqCst) < self.flaky {
            anyhow::bail!("connection reset");
        }
        Ok((201, None))
    }
}

#[tokio::test]
async fn a_request_is_retried_until_the_server_answers() -> anyhow::Result<()> {
    let sink = Arc::new(FlakySink { flaky: 2, ..FlakySink::default() });
    let dir = tempfile::tempdir()?;
    let file = json_file(dir.path(), "p.json", &patient(Some("p")));

    let report = load::load(sink.clone(), &[file], 1, false).await?;

    assert_eq!((report.loaded, report.failed), (1, 0));
    assert_eq!(sink.calls.load(Ordering::SeqCst), 3);
    Ok(())
}

#[tokio::test]
async fn no_more_than_concurrency_requests_are_in_flight() -> anyhow::Result<()> {
    let sink = Arc::new(FlakySink::default());
    let dir = tempfile::tempdir()?;
    for n in 0..10 {
        write(dir.path(), &format!("{n}.ndjson"), &ndjson((0..1200).map(|_| patient(None))));
    }

    let report = load::load(sink.clone(), &[dir.path().into()], 3, false).await?;

    assert_eq!((report.loaded, report.failed), (12_000, 0));
    assert_eq!(sink.calls.load(Ordering::SeqCst), 30);
    assert_eq!(sink.most_in_flight.load(Ordering::SeqCst), 3);
    Ok(())
}

#[tokio::test]
async fn an_in_process_router_can_stand_in_for_http() -> anyhow::Result<()> {
    let log = Shared::default();
    let sink = Arc::new(RouterSink(router(log.clone())));
    let dir = tempfile::tempdir()?;
    let file =
        json_file(dir.path(), "tx.json", &bundle("transaction", &[patient(None), patient(None)]));

    let report = load::load(sink, &[file], 2, false).await?;

    assert_eq!((report.loaded, report.failed), (2, 0));
    assert_eq!(log.lock().expect("log").requests.len(), 1);
    Ok(())
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    load: LoadArgs,
}

#[tokio::test]
async fn the_command_loads_over_http_and_succeeds_when_nothing_failed() -> anyhow::Result<()> {
    let server = spawn_server().await;
    let dir = tempfile::tempdir()?;
    let file = json_file(dir.path(), "p.json", &patient(Some("p")));
    let path = file.to_string_lossy().into_owned();

    let defaults = Cli::try_parse_from(["load", path.as_str()])?.load;
    assert_eq!((defaults.url, defaults.concurrency), (None, None));
    let cli = Cli::try_parse_from(["load", "--url", &server.base, "--concurrency", "3", &path])?;
    let code = api::cli::load(cli.load).await?;

    assert_eq!(code, std::process::ExitCode::SUCCESS);
    assert_eq!(server.requests().len(), 1);
    assert!(Cli::try_parse_from(["load"]).is_err(), "a path is required");
    Ok(())
}

#[tokio::test]
async fn the_command_fails_when_a_resource_failed() -> anyhow::Result<()> {
    let server = spawn_server().await;
    let dir = tempfile::tempdir()?;
    let file = json_file(dir.path(), "u.json", &json!({"resourceType":"Unknown"}));
    let cli = Cli::try_parse_from(["load", "--url", &server.base, &file.to_string_lossy()])?;

    assert_eq!(api::cli::load(cli.load).await?, std::process::ExitCode::FAILURE);
    Ok(())
}

#[tokio::test]
async fn a_folder_without_fhir_files_is_an_error() -> anyhow::Result<()> {
    let server = spawn_server().await;
    let dir = tempfile::tempdir()?;
    write(dir.path(), "notes.txt", b"x");
    assert!(load::load(server.sink(), &[dir.path().into()], 1, false).await.is_err());
    Ok(())
}
