//! Content negotiation: which JSON media type to answer with, whether to indent, and which
//! request bodies are readable.

use axum::http::HeaderMap;
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use domain::outcome::IssueType;
use domain::{Error, ErrorKind};

/// How to write a response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Format {
    /// `application/json` instead of `application/fhir+json`.
    pub(crate) plain_json: bool,
    pub(crate) pretty: bool,
}

impl Format {
    pub(crate) fn content_type(self) -> &'static str {
        if self.plain_json {
            "application/json; charset=utf-8"
        } else {
            "application/fhir+json; charset=utf-8"
        }
    }

    /// Reads `_format`, `_pretty` and `Accept`; XML is refused with 406.
    pub(crate) fn negotiate(
        headers: &HeaderMap,
        params: &[(String, String)],
    ) -> Result<Self, Error> {
        let param = |name: &str| params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        let pretty = param("_pretty") == Some("true");
        let requested = match param("_format") {
            Some(format) => format.to_owned(),
            None => headers.get(ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned(),
        };
        let plain_json = pick(&requested)?;
        Ok(Format { plain_json, pretty })
    }
}

/// Whether the client asked for plain `application/json` (false: FHIR JSON).
fn pick(requested: &str) -> Result<bool, Error> {
    if requested.trim().is_empty() {
        return Ok(false);
    }
    for choice in requested.split(',') {
        let media = choice.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match media.as_str() {
            "json"
            | "application/fhir+json"
            | "application/json+fhir"
            | "*/*"
            | "application/*" => {
                return Ok(false);
            }
            "application/json" | "text/json" => return Ok(true),
            _ => {}
        }
    }
    Err(Error::new(
        ErrorKind::NotAcceptable,
        IssueType::NotSupported,
        "this server answers in JSON only (application/fhir+json or application/json)",
    ))
}

/// Checks a request body's `Content-Type`: FHIR JSON or plain JSON, or JSON Patch for `PATCH`.
pub(crate) fn body_kind(headers: &HeaderMap) -> Result<BodyKind, Error> {
    let raw = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = raw.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match media.as_str() {
        "application/fhir+json" | "application/json" | "application/json+fhir" => {
            Ok(BodyKind::Json)
        }
        "application/json-patch+json" => Ok(BodyKind::JsonPatch),
        _ => Err(Error::new(
            ErrorKind::UnsupportedMediaType,
            IssueType::NotSupported,
            "send the body as application/fhir+json (or application/json-patch+json for PATCH)",
        )),
    }
}

/// What a request body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    Json,
    JsonPatch,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_picks_the_first_json_type_and_refuses_xml() {
        assert_eq!(pick("").ok(), Some(false));
        assert_eq!(pick("application/fhir+json").ok(), Some(false));
        assert_eq!(pick("application/json").ok(), Some(true));
        assert_eq!(pick("application/fhir+xml, application/json;q=0.5").ok(), Some(true));
        assert_eq!(pick("text/html, */*;q=0.8").ok(), Some(false));
        assert_eq!(pick("application/fhir+xml").unwrap_err().kind, ErrorKind::NotAcceptable);
        assert_eq!(pick("xml").unwrap_err().kind, ErrorKind::NotAcceptable);
    }
}
