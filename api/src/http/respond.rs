//! Turning an interaction's outcome into a response: status, the headers R4 asks for (`ETag`,
//! `Last-Modified`, `Location`), and a body shaped by `Prefer` and the negotiated format.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use domain::json::Spellings;
use domain::outcome::{Issue, IssueType, Severity};
use domain::{Subset, VersionId};
use store::{Outcome, Version};

use super::bundles;
use super::errors::outcome_bytes;
use super::format::Format;
use super::request::{FhirRequest, Return};

/// The response to an interaction. `write` says whether `Prefer: return` applies.
pub(crate) fn outcome(outcome: Outcome, request: &FhirRequest, write: bool) -> Response {
    let prefer = if write { request.prefer_return } else { Return::Representation };
    match outcome {
        Outcome::Resource { version, created } => {
            let status = if created { StatusCode::CREATED } else { StatusCode::OK };
            resource(&version, status, request, prefer, write)
        }
        Outcome::Existing { version } => resource(&version, StatusCode::OK, request, prefer, false),
        Outcome::NotModified { version } => {
            let mut response = StatusCode::NOT_MODIFIED.into_response();
            set_version_headers(&mut response, version.version, version.last_updated);
            response
        }
        Outcome::Deleted { version } => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            if let Some(version) = version {
                set_version_headers(&mut response, version.version, version.last_updated);
            }
            response
        }
        Outcome::Search(page) => {
            body(StatusCode::OK, bundles::searchset(&page, request, None), request.format)
        }
        Outcome::History(page) => {
            body(StatusCode::OK, bundles::history(&page, request, &[]), request.format)
        }
    }
}

/// The response to a vread or a search, each resource cut to `subset` (`_summary`, `_elements`).
pub(crate) fn read(read: Outcome, request: &FhirRequest, subset: Option<&Subset>) -> Response {
    match read {
        Outcome::Resource { mut version, created: false } => {
            version.body = version.body.map(|bytes| cut(bytes, subset));
            resource(&version, StatusCode::OK, request, Return::Representation, false)
        }
        Outcome::Search(page) => {
            body(StatusCode::OK, bundles::searchset(&page, request, subset), request.format)
        }
        other => outcome(other, request, false),
    }
}

/// A stored body cut to `subset`; the very bytes stored when nothing is asked or cut. Numbers
/// are written as the stored body spelled them.
pub(crate) fn cut(bytes: Vec<u8>, subset: Option<&Subset>) -> Vec<u8> {
    let Some(subset) = subset else { return bytes };
    let Ok(mut resource) = domain::json::parse(&bytes) else { return bytes };
    if !subset.apply(&mut resource) {
        return bytes;
    }
    domain::json::write(&resource, &Spellings::scan(&bytes))
}

/// One resource version with its headers; `Location` for writes.
pub(crate) fn resource(
    version: &Version,
    status: StatusCode,
    request: &FhirRequest,
    prefer: Return,
    write: bool,
) -> Response {
    let bytes = version.body.clone().unwrap_or_default();
    let mut response = match prefer {
        Return::Representation => body(status, bytes, request.format),
        Return::Minimal => status.into_response(),
        Return::OperationOutcome => {
            let issue = Issue {
                severity: Severity::Information,
                code: IssueType::Informational,
                diagnostics: "the interaction succeeded".into(),
                expression: vec![],
            };
            body(status, outcome_bytes(&[issue]), request.format)
        }
    };
    set_version_headers(&mut response, version.version, version.last_updated);
    if write {
        let location = format!(
            "{}/{}/{}/_history/{}",
            request.base, version.resource_type, version.id, version.version
        );
        if let Ok(value) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, value);
        }
    }
    response
}

/// A JSON body in the negotiated media type, indented when `_pretty=true`.
pub(crate) fn body(status: StatusCode, bytes: Vec<u8>, format: Format) -> Response {
    let bytes = if format.pretty { indent(bytes) } else { bytes };
    let mut response = (status, bytes).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    response
}

/// The body indented, its numbers spelled as they were.
fn indent(bytes: Vec<u8>) -> Vec<u8> {
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(value) => domain::json::write_pretty(&value, &Spellings::scan(&bytes)),
        Err(_) => bytes,
    }
}

pub(crate) fn set_version_headers(response: &mut Response, version: VersionId, at: DateTime<Utc>) {
    let headers = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&version.etag()) {
        headers.insert(header::ETAG, etag);
    }
    if let Ok(modified) = HeaderValue::from_str(&http_date(at)) {
        headers.insert(header::LAST_MODIFIED, modified);
    }
}

/// An HTTP date (RFC 9110 IMF-fixdate).
pub(crate) fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Reads an HTTP date or a FHIR instant (bundle entries use the latter).
pub(crate) fn parse_date(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(raw)
        .or_else(|_| DateTime::parse_from_rfc3339(raw))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
