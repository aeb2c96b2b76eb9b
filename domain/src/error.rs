//! The one error type that every layer returns and the API maps to HTTP in one place.

use crate::outcome::{Issue, IssueType};

/// What went wrong, as a closed list; the API maps each kind to one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request cannot be parsed (bad JSON, bad parameter syntax): 400.
    BadRequest,
    /// The content parses but is not valid FHIR or breaks a rule: 422.
    Unprocessable,
    /// No such resource, type or version: 404.
    NotFound,
    /// The resource was deleted: 410.
    Gone,
    /// A conflicting write, e.g. an id that exists in another type's reserved use: 409.
    Conflict,
    /// `If-Match` or `ifMatch` names another version: 412.
    PreconditionFailed,
    /// A conditional interaction matched more than one resource: 412.
    MultipleMatches,
    /// The method is not allowed on this path: 405.
    MethodNotAllowed,
    /// The server does not do this: 501 for interactions, 400 for parameters.
    NotSupported,
    /// The body is larger than the server accepts: 413.
    PayloadTooLarge,
    /// The client did not send its request in time: 408.
    RequestTimeout,
    /// The body's media type is not one the server reads: 415.
    UnsupportedMediaType,
    /// None of the media types the client accepts can be produced: 406.
    NotAcceptable,
    /// A fault inside the server; the detail goes to the log only: 500.
    Internal,
    /// The database is not reachable or too busy: 503.
    Unavailable,
}

/// An error with the issues a client will see.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind:?}: {}", self.summary())]
pub struct Error {
    pub kind: ErrorKind,
    pub issues: Vec<Issue>,
    /// Detail for the log, never sent to a client (internal errors only).
    pub detail: Option<String>,
}

impl Error {
    pub fn new(kind: ErrorKind, code: IssueType, diagnostics: impl Into<String>) -> Self {
        Error { kind, issues: vec![Issue::error(code, diagnostics)], detail: None }
    }

    pub fn with_issues(kind: ErrorKind, issues: Vec<Issue>) -> Self {
        Error { kind, issues, detail: None }
    }

    pub fn bad_request(diagnostics: impl Into<String>) -> Self {
        Error::new(ErrorKind::BadRequest, IssueType::Invalid, diagnostics)
    }

    pub fn unprocessable(diagnostics: impl Into<String>) -> Self {
        Error::new(ErrorKind::Unprocessable, IssueType::Processing, diagnostics)
    }

    pub fn not_found(diagnostics: impl Into<String>) -> Self {
        Error::new(ErrorKind::NotFound, IssueType::NotFound, diagnostics)
    }

    pub fn not_supported(diagnostics: impl Into<String>) -> Self {
        Error::new(ErrorKind::NotSupported, IssueType::NotSupported, diagnostics)
    }

    /// An internal fault: clients see a generic message, the log sees `detail`.
    pub fn internal(detail: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Internal,
            issues: vec![Issue::error(IssueType::Exception, "internal server error")],
            detail: Some(detail.into()),
        }
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Unavailable,
            issues: vec![Issue::error(IssueType::Exception, "the database is unavailable")],
            detail: Some(detail.into()),
        }
    }

    /// Locates every issue at `location`. Inside a Bundle entry (`Bundle.entry[3]`) an issue
    /// already located in the entry's resource (`Patient.birthDate`) gets one path through it,
    /// as the FHIR validator writes it: `Bundle.entry[3].resource.birthDate`. Elsewhere the
    /// location comes first, before the expressions the issue had.
    pub fn at(mut self, location: impl Into<String>) -> Self {
        let location = location.into();
        for issue in &mut self.issues {
            if issue.expression.is_empty() {
                issue.expression.push(location.clone());
            } else if is_entry(&location) {
                let inner = std::mem::take(&mut issue.expression);
                issue.expression = inner.iter().map(|e| in_entry(&location, e)).collect();
            } else {
                issue.expression.insert(0, location.clone());
            }
        }
        self
    }

    fn summary(&self) -> String {
        let texts: Vec<&str> = self.issues.iter().map(|i| i.diagnostics.as_str()).collect();
        texts.join("; ")
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Whether `location` ends at a Bundle entry (`Bundle.entry[3]`).
fn is_entry(location: &str) -> bool {
    let last = location.rsplit('.').next().unwrap_or(location);
    last.strip_prefix("entry[").and_then(|rest| rest.strip_suffix(']')).is_some()
}

/// `expression`, located in the resource of the entry at `entry`: its leading type name (an
/// upper-case first segment) gives way to `resource`.
fn in_entry(entry: &str, expression: &str) -> String {
    let (first, rest) = expression.split_once('.').unwrap_or((expression, ""));
    let rest = if rest.is_empty() { String::new() } else { format!(".{rest}") };
    if first.starts_with(|c: char| c.is_ascii_uppercase()) {
        format!("{entry}.resource{rest}")
    } else {
        format!("{entry}.resource.{expression}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issue_in_an_entrys_resource_gets_one_path_through_the_bundle() {
        let invalid =
            Error::unprocessable("bad date").at("Patient.birthDate").at("Bundle.entry[2]");
        assert_eq!(invalid.issues[0].expression, ["Bundle.entry[2].resource.birthDate"]);
        let typed = Error::bad_request("wrong type").at("resourceType").at("Bundle.entry[0]");
        assert_eq!(typed.issues[0].expression, ["Bundle.entry[0].resource.resourceType"]);
        let whole = Error::bad_request("no request").at("Bundle.entry[1]");
        assert_eq!(whole.issues[0].expression, ["Bundle.entry[1]"]);
    }

    #[test]
    fn every_issue_is_located_and_other_locations_come_first() {
        let issues = vec![
            Issue::error(IssueType::Value, "a").at("Patient.gender"),
            Issue::error(IssueType::Value, "b"),
        ];
        let error = Error::with_issues(ErrorKind::Unprocessable, issues).at("Bundle.entry[4]");
        assert_eq!(error.issues[0].expression, ["Bundle.entry[4].resource.gender"]);
        assert_eq!(error.issues[1].expression, ["Bundle.entry[4]"]);
        let patch = Error::bad_request("x").at("Binary.data").at("Parameters.parameter[1]");
        assert_eq!(patch.issues[0].expression, ["Parameters.parameter[1]", "Binary.data"]);
    }
}
