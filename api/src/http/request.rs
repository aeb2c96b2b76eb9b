//! Reading what a request asks for: its query parameters, conditional headers, `Prefer`, the
//! response format, and a body in a media type the server reads.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, Utc};
use domain::interaction::{Params, parse_query};
use domain::outcome::IssueType;
use domain::{Error, ErrorKind, NoneMatch, VersionId};

use super::AppState;
use super::errors::ApiError;
use super::format::{BodyKind, Format, body_kind};
use super::respond::parse_date;

/// What a client prefers back from a write (`Prefer: return=...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Return {
    Minimal,
    #[default]
    Representation,
    OperationOutcome,
}

/// Everything but the body of a FHIR request.
#[derive(Debug, Clone)]
pub(crate) struct FhirRequest {
    pub(crate) params: Params,
    pub(crate) format: Format,
    pub(crate) prefer_return: Return,
    /// `Prefer: handling=strict`: unknown search parameters are an error, not ignored.
    pub(crate) strict: bool,
    pub(crate) base: String,
    /// The request path below the FHIR base, e.g. `/Patient/_history`.
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
}

impl FhirRequest {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether the client's copy is current, by `If-None-Match` (`*`, or a list of ETags one of
    /// which names `version`) or else by `If-Modified-Since`: a read then answers 304.
    pub(crate) fn not_modified(&self, version: VersionId, at: DateTime<Utc>) -> bool {
        if let Some(tags) = self.header("if-none-match") {
            return NoneMatch::parse(tags).names(version);
        }
        let since = self.header("if-modified-since").and_then(parse_date);
        since.is_some_and(|since| at.timestamp() <= since.timestamp())
    }

    /// `If-Match`, read as a version ETag.
    pub(crate) fn if_match(&self) -> Result<Option<VersionId>, Error> {
        match self.header("if-match") {
            None => Ok(None),
            Some(raw) => VersionId::parse_etag(raw).map(Some).ok_or_else(|| {
                Error::bad_request("If-Match is not a version ETag such as W/\"1\"")
            }),
        }
    }
}

impl FromRequestParts<AppState> for FhirRequest {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let params = parse_query(parts.uri.query().unwrap_or(""));
        let format = Format::negotiate(&parts.headers, &params)?;
        let prefer = parts.headers.get("prefer").and_then(|v| v.to_str().ok()).unwrap_or("");
        let base = match &state.config.public_base {
            Some(base) => base.clone(),
            None => base_from_host(&parts.headers),
        };
        Ok(FhirRequest {
            params,
            format,
            prefer_return: prefer_return(prefer),
            strict: strict_handling(prefer),
            base,
            path: parts.uri.path().strip_prefix("/fhir").unwrap_or("").to_owned(),
            headers: parts.headers.clone(),
        })
    }
}

fn base_from_host(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    // A Host header is client input: keep it only when it looks like a host name and port.
    let plausible = host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
    let host = if plausible && !host.is_empty() { host } else { "localhost" };
    format!("http://{host}/fhir")
}

fn prefer_return(prefer: &str) -> Return {
    for part in prefer.split([',', ';']).map(str::trim) {
        match part {
            "return=minimal" => return Return::Minimal,
            "return=OperationOutcome" => return Return::OperationOutcome,
            "return=representation" => return Return::Representation,
            _ => {}
        }
    }
    Return::default()
}

fn strict_handling(prefer: &str) -> bool {
    prefer.split([',', ';']).map(str::trim).any(|part| part == "handling=strict")
}

/// A request body in a media type the server reads, within the size limit, read in full within
/// the body read timeout, in UTF-8 (a leading byte-order mark dropped, as RFC 8259 allows).
pub(crate) struct FhirBody {
    pub(crate) kind: BodyKind,
    pub(crate) bytes: Bytes,
}

impl FromRequest<AppState> for FhirBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let kind = body_kind(request.headers())?;
        let timeout = state.config.body_read_timeout;
        let read = tokio::time::timeout(timeout, Bytes::from_request(request, state)).await;
        let bytes = match read {
            Err(_) => return Err(body_too_slow().into()),
            Ok(Err(rejection)) => return Err(unreadable(rejection.status()).into()),
            Ok(Ok(bytes)) => bytes,
        };
        let bytes = match bytes.strip_prefix(BYTE_ORDER_MARK) {
            Some(_) => bytes.slice(BYTE_ORDER_MARK.len()..),
            None => bytes,
        };
        if std::str::from_utf8(&bytes).is_err() {
            return Err(Error::bad_request("the body is not UTF-8 (FHIR JSON is UTF-8)").into());
        }
        Ok(FhirBody { kind, bytes })
    }
}

const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

fn body_too_slow() -> Error {
    Error::new(
        ErrorKind::RequestTimeout,
        IssueType::Timeout,
        "the body did not arrive in time; send it whole without pausing",
    )
}

fn unreadable(status: StatusCode) -> Error {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        Error::new(ErrorKind::PayloadTooLarge, IssueType::TooCostly, "the body is too large")
    } else {
        Error::bad_request("the body could not be read")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefer_return_reads_each_form() {
        assert_eq!(prefer_return(""), Return::Representation);
        assert_eq!(prefer_return("return=minimal"), Return::Minimal);
        assert_eq!(
            prefer_return("handling=strict, return=OperationOutcome"),
            Return::OperationOutcome
        );
    }

    #[test]
    fn handling_is_lenient_unless_strict_is_asked_for() {
        assert!(!strict_handling(""));
        assert!(!strict_handling("handling=lenient"));
        assert!(strict_handling("return=minimal, handling=strict"));
    }
}
