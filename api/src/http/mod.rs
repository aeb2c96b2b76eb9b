//! The HTTP application: state, routes, and the middleware every request passes through.

mod bundles;
mod capability;
mod errors;
mod format;
mod health;
mod history;
mod interactions;
mod openapi;
mod request;
mod respond;
mod searches;
mod server;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::middleware;
use store::Store;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use openapi::openapi_json;
pub use server::serve;

/// What the server was started with.
#[derive(Debug, Clone)]
pub struct Config {
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The base URL clients see (`http://host:port/fhir`), when not taken from `Host`.
    pub public_base: Option<String>,
    /// How long a client may take to send a request's headers; its connection is then closed.
    pub header_read_timeout: Duration,
    /// How long a client may take to send a whole request body; it is then answered 408.
    pub body_read_timeout: Duration,
    /// How long requests in flight may run on after SIGINT or SIGTERM before the server exits.
    pub shutdown_deadline: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_body_bytes: 32 * 1024 * 1024,
            public_base: None,
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(60),
            shutdown_deadline: Duration::from_secs(30),
        }
    }
}

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub config: Arc<Config>,
}

/// The whole application: the FHIR API under `/fhir`, health, OpenAPI and its docs page.
pub fn app(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    let (fhir, api_doc) = openapi::router().split_for_parts();

    Router::new()
        .merge(fhir)
        .merge(openapi::docs(api_doc))
        .fallback(errors::no_route)
        .with_state(state)
        .layer(middleware::from_fn(errors::outcome_for_bare_errors))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(log_response)
                // `log_response` logs server errors already, inside the request span.
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// One span per request, with the route's pattern only: a concrete path or query holds ids and
/// search values, which are health data.
fn request_span(request: &Request) -> tracing::Span {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str());
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|id| is_loggable_request_id(id))
        .unwrap_or("-");
    tracing::info_span!("http.request", method = %request.method(), route, request_id)
}

/// A client may send its own request id; it is logged when it is a plain token (letters,
/// digits, `-`, `_`, `.`, at most 64), which covers UUIDs, ULIDs and tracing ids. Anything
/// else (spaces, `=`, `@`, `/`...) could carry data the log must not hold.
fn is_loggable_request_id(id: &str) -> bool {
    let token = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    (1..=64).contains(&id.len()) && id.chars().all(token)
}

fn log_response(response: &axum::response::Response, latency: Duration, _span: &tracing::Span) {
    let status = response.status().as_u16();
    let micros = latency.as_micros() as u64;
    if response.status().is_server_error() {
        tracing::error!(status, micros, "request failed");
    } else {
        tracing::debug!(status, micros, "request done");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_request_ids_are_logged_when_they_are_plain_tokens() {
        for id in ["4bf92f3577b34da6", "req_01HZX.abc-1", "01J9ZQ3ZK6YB8W2V5Q0F8M7N4C"] {
            assert!(is_loggable_request_id(id), "{id}");
        }
        let long = "a".repeat(65);
        for id in ["", "a b", "name=Smith", "x@y", "a/b", long.as_str()] {
            assert!(!is_loggable_request_id(id), "{id}");
        }
    }
}
