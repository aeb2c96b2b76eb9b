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

    /// Adds a location to the first issue (used for bundle entries: `Bundle.entry[3]`).
    pub fn at(mut self, expression: impl Into<String>) -> Self {
        if let Some(first) = self.issues.first_mut() {
            first.expression.insert(0, expression.into());
        }
        self
    }

    fn summary(&self) -> String {
        let texts: Vec<&str> = self.issues.iter().map(|i| i.diagnostics.as_str()).collect();
        texts.join("; ")
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
