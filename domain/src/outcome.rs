//! OperationOutcome issues: the one shape in which every problem reaches a client.

use serde_json::{Value, json};

/// How bad an issue is, as FHIR's `OperationOutcome.issue.severity` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Fatal,
    Error,
    Warning,
    Information,
}

impl Severity {
    pub fn as_code(self) -> &'static str {
        match self {
            Severity::Fatal => "fatal",
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "information",
        }
    }
}

/// The subset of the IssueType value set (`OperationOutcome.issue.code`) the server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueType {
    /// The content is not valid FHIR (unknown element, wrong cardinality, bad format...).
    Structure,
    /// A required element is missing.
    Required,
    /// An element or value is invalid.
    Value,
    /// A code is not in its required value set.
    CodeInvalid,
    /// Content that is syntactically invalid (not JSON, not an object).
    Invalid,
    /// The resource or version was not found.
    NotFound,
    /// The resource has been deleted.
    Deleted,
    /// A version conflict or a duplicate.
    Conflict,
    /// The request needs something the server does not support.
    NotSupported,
    /// Too big, too deep, too many.
    TooCostly,
    /// Something took too long.
    Timeout,
    /// Content too long to process (a URL, headers).
    TooLong,
    /// A processing rule of the server was broken.
    BusinessRule,
    /// A conditional request matched more than one resource.
    Multiple,
    /// Something went wrong inside the server.
    Exception,
    /// An informational note.
    Informational,
    /// Access denied.
    Forbidden,
    /// Authentication failed.
    Login,
    /// Processing was fine; a note about it.
    Processing,
}

impl IssueType {
    pub fn as_code(self) -> &'static str {
        match self {
            IssueType::Structure => "structure",
            IssueType::Required => "required",
            IssueType::Value => "value",
            IssueType::CodeInvalid => "code-invalid",
            IssueType::Invalid => "invalid",
            IssueType::NotFound => "not-found",
            IssueType::Deleted => "deleted",
            IssueType::Conflict => "conflict",
            IssueType::NotSupported => "not-supported",
            IssueType::TooCostly => "too-costly",
            IssueType::Timeout => "timeout",
            IssueType::TooLong => "too-long",
            IssueType::BusinessRule => "business-rule",
            IssueType::Multiple => "multiple-matches",
            IssueType::Exception => "exception",
            IssueType::Informational => "informational",
            IssueType::Forbidden => "forbidden",
            IssueType::Login => "login",
            IssueType::Processing => "processing",
        }
    }
}

/// One `OperationOutcome.issue`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub severity: Severity,
    pub code: IssueType,
    /// Human-readable text; never carries resource content or identifiers of a person.
    pub diagnostics: String,
    /// FHIRPath locations of the element concerned, e.g. `Patient.name[0].given[1]`.
    pub expression: Vec<String>,
}

impl Issue {
    pub fn error(code: IssueType, diagnostics: impl Into<String>) -> Self {
        Issue {
            severity: Severity::Error,
            code,
            diagnostics: diagnostics.into(),
            expression: vec![],
        }
    }

    pub fn at(mut self, expression: impl Into<String>) -> Self {
        self.expression.push(expression.into());
        self
    }

    pub fn to_json(&self) -> Value {
        let mut issue = json!({
            "severity": self.severity.as_code(),
            "code": self.code.as_code(),
            "diagnostics": self.diagnostics,
        });
        if !self.expression.is_empty() {
            issue["expression"] = json!(self.expression);
        }
        issue
    }
}

/// An OperationOutcome resource holding `issues`.
pub fn operation_outcome(issues: &[Issue]) -> Value {
    let issues: Vec<Value> = issues.iter().map(Issue::to_json).collect();
    json!({ "resourceType": "OperationOutcome", "issue": issues })
}
