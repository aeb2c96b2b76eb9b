//! Content negotiation: which JSON media type to answer with, whether to indent, and which
//! request bodies are readable.

use axum::http::HeaderMap;
use axum::http::header::{ACCEPT, CONTENT_ENCODING, CONTENT_TYPE};
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

    /// Reads `_format`, `_pretty` and `Accept`; XML, and FHIR versions other than R4, are
    /// refused with 406.
    pub(crate) fn negotiate(
        headers: &HeaderMap,
        params: &[(String, String)],
    ) -> Result<Self, Error> {
        let param = |name: &str| params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        let pretty = param("_pretty") == Some("true");
        let requested = match param("_format") {
            // A `+` sent unencoded in a query decodes to a space: `application/fhir json`.
            Some(format) => format.replace(' ', "+"),
            None => headers.get(ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned(),
        };
        let plain_json = pick(&requested)?;
        Ok(Format { plain_json, pretty })
    }
}

/// A media type as sent: its lowercase essence (`application/fhir+json`) and its parameters.
struct MediaType {
    essence: String,
    params: Vec<(String, String)>,
}

impl MediaType {
    fn parse(text: &str) -> Self {
        let mut parts = text.split(';');
        let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let params = parts
            .filter_map(|part| part.split_once('='))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), unquoted(value)))
            .collect();
        MediaType { essence, params }
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Whether a `fhirVersion` parameter, if any, names R4 (`4.0`, or a `4.0.x` release).
    fn is_r4(&self) -> bool {
        self.param("fhirversion").is_none_or(|v| v == "4.0" || v.starts_with("4.0."))
    }
}

fn unquoted(value: &str) -> String {
    let value = value.trim();
    value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value).to_owned()
}

/// Whether the client asked for plain `application/json` (false: FHIR JSON).
fn pick(requested: &str) -> Result<bool, Error> {
    if requested.trim().is_empty() {
        return Ok(false);
    }
    let mut other_version = false;
    for choice in requested.split(',').map(MediaType::parse) {
        let plain = match choice.essence.as_str() {
            "json"
            | "fhir+json"
            | "application/fhir+json"
            | "application/json+fhir"
            | "*/*"
            | "application/*" => false,
            "application/json" | "text/json" => true,
            _ => continue,
        };
        if choice.is_r4() {
            return Ok(plain);
        }
        other_version = true;
    }
    let message = if other_version {
        "this server speaks FHIR R4 only (fhirVersion=4.0)"
    } else {
        "this server answers in JSON only (application/fhir+json or application/json)"
    };
    Err(Error::new(ErrorKind::NotAcceptable, IssueType::NotSupported, message))
}

/// Checks a request body's `Content-Type` (FHIR JSON or plain JSON in UTF-8 for R4, or JSON
/// Patch for `PATCH`) and that it is not compressed.
pub(crate) fn body_kind(headers: &HeaderMap) -> Result<BodyKind, Error> {
    let encoding = headers.get(CONTENT_ENCODING).map(|v| v.to_str().unwrap_or("?").trim());
    if encoding.is_some_and(|e| !e.eq_ignore_ascii_case("identity")) {
        return Err(unsupported("send the body without Content-Encoding (no gzip, no br)"));
    }
    let raw = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = MediaType::parse(raw);
    let kind = match media.essence.as_str() {
        "application/fhir+json" | "application/json" | "application/json+fhir" => BodyKind::Json,
        "application/json-patch+json" => BodyKind::JsonPatch,
        _ => {
            return Err(unsupported(
                "send the body as application/fhir+json (or application/json-patch+json for \
                 PATCH)",
            ));
        }
    };
    let charset = media.param("charset").map(str::to_ascii_lowercase);
    if charset.is_some_and(|c| c != "utf-8" && c != "utf8") {
        return Err(unsupported("send the body in UTF-8 (charset=utf-8)"));
    }
    if !media.is_r4() {
        return Err(unsupported("this server reads FHIR R4 only (fhirVersion=4.0)"));
    }
    Ok(kind)
}

fn unsupported(message: &str) -> Error {
    Error::new(ErrorKind::UnsupportedMediaType, IssueType::NotSupported, message)
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

    #[test]
    fn format_spellings_hapi_accepts_are_read_as_fhir_json() {
        for format in ["fhir+json", "json", "application/fhir+json", "application/json+fhir"] {
            assert_eq!(pick(format).ok(), Some(false), "{format}");
        }
        let params = vec![("_format".to_owned(), "application/fhir json".to_owned())];
        let format = Format::negotiate(&HeaderMap::new(), &params).unwrap();
        assert!(!format.plain_json);
    }

    #[test]
    fn fhir_versions_other_than_r4_are_not_acceptable() {
        assert_eq!(pick("application/fhir+json; fhirVersion=4.0").ok(), Some(false));
        assert_eq!(pick("application/fhir+json; fhirVersion=4.0.1").ok(), Some(false));
        let both = "application/fhir+json; fhirVersion=3.0, application/json; fhirVersion=4.0";
        assert_eq!(pick(both).ok(), Some(true));
        for other in ["application/fhir+json; fhirVersion=3.0", "application/json;fhirVersion=5.0"]
        {
            assert_eq!(pick(other).unwrap_err().kind, ErrorKind::NotAcceptable, "{other}");
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, axum::http::HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn bodies_must_be_uncompressed_utf8_r4_json() {
        let kind = |pairs: &[(&'static str, &'static str)]| body_kind(&headers(pairs));
        assert_eq!(
            kind(&[("content-type", "application/fhir+json; charset=UTF-8")]).ok(),
            Some(BodyKind::Json)
        );
        assert_eq!(
            kind(&[("content-type", "application/fhir+json; fhirVersion=4.0")]).ok(),
            Some(BodyKind::Json)
        );
        let refused = [
            [("content-type", "application/fhir+json; charset=iso-8859-1"), ("x", "")],
            [("content-type", "application/fhir+json; fhirVersion=3.0"), ("x", "")],
            [("content-type", "application/fhir+json"), ("content-encoding", "gzip")],
            [("content-type", "application/fhir+json"), ("content-encoding", "br")],
        ];
        for pairs in refused {
            let error = kind(&pairs).unwrap_err();
            assert_eq!(error.kind, ErrorKind::UnsupportedMediaType, "{pairs:?}");
        }
        let identity = [("content-type", "application/json"), ("content-encoding", "identity")];
        assert_eq!(kind(&identity).ok(), Some(BodyKind::Json));
    }
}
