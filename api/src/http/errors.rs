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
/// the detail of server errors inside the request's span.
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
