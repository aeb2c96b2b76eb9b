//! The connection level, over raw TCP: errors hyper answers before a request exists get an
//! OperationOutcome body, slow clients are cut off, and shutdown waits for requests in flight
//! but not past its deadline.

use std::time::{Duration, Instant};

use api::Config;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use conformance_tests::{spawn_app, spawn_app_with, spawn_stoppable_app};

/// Sends `request` on a new connection and reads the answer until the server closes it.
async fn exchange(address: &str, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    read_to_close(&mut stream).await
}

async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer));
    // A reset after the answer is as good as a close.
    let _ = read.await.expect("the server closes the connection");
    String::from_utf8_lossy(&answer).into_owned()
}

/// The status and OperationOutcome of a raw response.
fn status_and_outcome(answer: &str) -> (u16, Value) {
    let (head, body) = answer.split_once("\r\n\r\n").expect("a response head");
    let status = head.get(9..12).and_then(|s| s.parse().ok()).expect("a status");
    assert!(head.to_ascii_lowercase().contains("content-type: application/fhir+json"), "{head}");
    let outcome: Value = serde_json::from_str(body).expect("a JSON body");
    assert_eq!(outcome["resourceType"], "OperationOutcome", "{answer}");
    (status, outcome)
}

#[tokio::test]
async fn errors_hyper_answers_before_a_request_exists_have_operation_outcome_bodies() {
    let app = spawn_app().await;
    let long = format!("GET /fhir/Patient?name={} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70_000));
    let cases: [(&[u8], u16); 4] = [
        (long.as_bytes(), 414),
        (b"POST /fhir/Patient HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
        (b"GET /fhir/Patient/\xff HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /fhir/Patient?name=\xe9 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ];
    for (request, expected) in cases {
        let answer = exchange(app.address(), request).await;
        let (status, outcome) = status_and_outcome(&answer);
        assert_eq!(status, expected, "{answer}");
        assert!(outcome["issue"][0]["diagnostics"].is_string(), "{answer}");
    }
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let config = Config { header_read_timeout: Duration::from_secs(1), ..Config::default() };
    let app = spawn_app_with(config).await;
    let started = Instant::now();
    let answer = exchange(app.address(), b"GET /fhir/metadata HTTP/1.1\r\nHost: x\r\n").await;
    assert!(started.elapsed() < Duration::from_secs(15), "closed after {:?}", started.elapsed());
    assert!(!answer.contains("200 OK"), "{answer}");
}

#[tokio::test]
async fn a_body_that_never_finishes_is_answered_408() {
    let config = Config { body_read_timeout: Duration::from_secs(1), ..Config::default() };
    let app = spawn_app_with(config).await;
    let head = "POST /fhir/Patient HTTP/1.1\r\nHost: x\r\nContent-Type: application/fhir+json\r\n\
        Content-Length: 100\r\n\r\n{\"resourceType\"";
    let mut stream = TcpStream::connect(app.address()).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = read_to_close(&mut stream).await;
    let (status, outcome) = status_and_outcome(&answer);
    assert_eq!((status, &outcome["issue"][0]["code"]), (408, &Value::from("timeout")));
}

/// Headers and the first bytes of a POST whose body is `body`; the rest is sent later.
async fn start_post(address: &str, body: &str) -> TcpStream {
    let head = format!(
        "POST /fhir/Patient HTTP/1.1\r\nHost: x\r\nContent-Type: application/fhir+json\r\n\
         Content-Length: {}\r\n\r\n{}",
        body.len(),
        &body[..10]
    );
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

#[tokio::test]
async fn shutdown_lets_requests_in_flight_finish_and_ends_at_the_deadline_for_stalled_ones() {
    let deadline = Duration::from_secs(2);
    let config = Config { shutdown_deadline: deadline, ..Config::default() };
    let (app, stoppable) = spawn_stoppable_app(config).await;
    let body = r#"{"resourceType":"Patient","active":true}"#;
    let mut finishing = start_post(app.address(), body).await;
    let mut stalled = start_post(app.address(), body).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let stopped_at = Instant::now();
    stoppable.stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(TcpStream::connect(app.address()).await.is_err(), "no new connection after stop");
    finishing.write_all(&body.as_bytes()[10..]).await.unwrap();
    let answer = read_to_close(&mut finishing).await;
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");

    tokio::time::timeout(deadline * 5, stoppable.server).await.expect("stops").unwrap();
    let took = stopped_at.elapsed();
    assert!(took >= deadline - Duration::from_millis(100), "waited only {took:?}");
    assert!(read_to_close(&mut stalled).await.is_empty(), "the stalled request gets no answer");
}
