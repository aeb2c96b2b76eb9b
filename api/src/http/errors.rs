//! The one place where an error becomes an HTTP response: status from the error's kind, body an
//! OperationOutcome. Internal details travel to the log, never to the client.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::outcome::{Issue, IssueType, operation_outcome};
use domain::{Error, ErrorKind};

/// The HTTP status of each error kind.
pub(crate) fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        ErrorKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Gone => StatusCode::GONE,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::PreconditionFailed | ErrorKind::MultipleMatches => {
            StatusCode::PRECONDITION_FAILED
        }
        ErrorKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorKind::NotSupported => StatusCode::NOT_IMPLEMENTED,
        ErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        ErrorKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorKind::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// The log-only detail of an internal error, read by `outcome_for_bare_errors`.
#[derive(Clone)]
struct ErrorDetail(String);

/// An error as a response; the API's handlers return `Result<Response, ApiError>`.
#[derive(Debug)]
pub(crate) struct ApiError(pub(crate) Error);

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        ApiError(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(self.0.kind);
        let body = outcome_bytes(&self.0.issues);
        let mut response = (status, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, fhir_json());
        if let Some(detail) = self.0.detail {
            response.extensions_mut().insert(ErrorDetail(detail));
        }
        response
    }
}

pub(crate) fn outcome_bytes(issues: &[Issue]) -> Vec<u8> {
    serde_json::to_vec(&operation_outcome(issues)).unwrap_or_default()
}

pub(crate) fn fhir_json() -> HeaderValue {
    HeaderValue::from_static("application/fhir+json; charset=utf-8")
}

/// Answers paths that match no route.
pub(crate) async fn no_route() -> ApiError {
    ApiError(Error::not_found("no such endpoint"))
}

/// Turns the errors axum produces by itself (405, 413, 415...) into OperationOutcomes, and logs
/// the detail of server errors inside the request's span. The errors hyper answers before a
/// request exists (it cannot be parsed) never reach a middleware: see
/// [`outcome_for_parse_error`].
pub(crate) async fn outcome_for_bare_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if let Some(ErrorDetail(detail)) = response.extensions().get::<ErrorDetail>() {
        tracing::error!(error = %detail, "internal error");
    }
    let status = response.status();
    let is_outcome = response.headers().get(header::CONTENT_TYPE) == Some(&fhir_json());
    if status.is_success() || status.is_redirection() || is_outcome {
        return response;
    }
    let kind = match status {
        StatusCode::METHOD_NOT_ALLOWED => ErrorKind::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorKind::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorKind::UnsupportedMediaType,
        StatusCode::NOT_FOUND => ErrorKind::NotFound,
        s if s.is_server_error() => ErrorKind::Internal,
        _ => ErrorKind::BadRequest,
    };
    let text = status.canonical_reason().unwrap_or("request failed").to_lowercase();
    let code = if kind == ErrorKind::Internal { IssueType::Exception } else { IssueType::Invalid };
    let mut replaced = ApiError(Error::new(kind, code, text)).into_response();
    *replaced.status_mut() = status;
    for name in [header::ALLOW, header::WWW_AUTHENTICATE] {
        if let Some(value) = response.headers().get(&name) {
            replaced.headers_mut().insert(name, value.clone());
        }
    }
    replaced
}

/// The response hyper writes by itself when it cannot parse a request (400 for a malformed
/// request line or header, a bad `Content-Length` or bytes that are not ASCII in the path or
/// query, 414 for a URI too long, 431 for headers too large: all with no body), rewritten with
/// an OperationOutcome body; `None` for any other bytes. This server's own 4xx responses all
/// have a body, so a bodiless one can only be hyper's.
pub(crate) fn outcome_for_parse_error(written: &[u8]) -> Option<Vec<u8>> {
    let head = std::str::from_utf8(written).ok()?;
    let status = head.strip_prefix("HTTP/1.1 ")?.get(..3)?;
    let (code, diagnostics) = match status {
        "400" => (IssueType::Invalid, PARSE_ERROR),
        "414" => (IssueType::TooLong, "the URL is too long"),
        "431" => (IssueType::TooLong, "the request headers are too large"),
        _ => return None,
    };
    let (_, after) = head.split_once("\r\n\r\n")?;
    let empty = "\r\ncontent-length: 0\r\n";
    if !after.is_empty() || !head.to_ascii_lowercase().contains(empty) {
        return None;
    }
    let body = outcome_bytes(&[Issue::error(code, diagnostics)]);
    let at = head.to_ascii_lowercase().find(empty)? + 2;
    let headers = format!(
        "content-type: application/fhir+json; charset=utf-8\r\ncontent-length: {}\r\n",
        body.len()
    );
    let rewritten = [&head[..at], headers.as_str(), &head[at + empty.len() - 2..]].concat();
    Some([rewritten.into_bytes(), body].concat())
}

const PARSE_ERROR: &str = "the request is not valid HTTP/1.1: a malformed request line or \
    header, a bad Content-Length, or bytes that are not ASCII in the path or query";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypers_bodiless_parse_errors_get_an_operation_outcome_body() {
        let bare = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let rewritten = String::from_utf8(outcome_for_parse_error(bare).unwrap()).unwrap();
        let (head, body) = rewritten.split_once("\r\n\r\n").unwrap();
        assert!(
            head.starts_with("HTTP/1.1 414 URI Too Long\r\ncontent-type: application/fhir+json")
        );
        assert!(head.contains(&format!("\r\ncontent-length: {}\r\ndate: x", body.len())));
        let outcome: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(outcome["issue"][0]["code"], "too-long");
    }

    #[test]
    fn responses_with_a_body_or_other_statuses_pass_unchanged() {
        let with_body = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}";
        assert!(outcome_for_parse_error(with_body).is_none());
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert!(outcome_for_parse_error(ok).is_none());
        assert!(outcome_for_parse_error(b"{\"resourceType\":\"Patient\"}").is_none());
    }
}
