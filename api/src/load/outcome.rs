//! Reads a server's answer: which of a request's resources loaded, and why the others failed,
//! in the server's own words (an OperationOutcome's diagnostics).

use serde_json::Value;

use super::requests::Positions;

/// The verdict on one request's resources.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Judged {
    pub(crate) loaded: u64,
    pub(crate) failures: Vec<Failed>,
}

/// Resources that failed for one reason: one entry, or all the entries of a rejected request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Failed {
    /// 1-based position in the file of the (first) resource; none for a whole-file resource.
    pub(crate) entry: Option<u64>,
    pub(crate) resources: u64,
    pub(crate) reason: String,
    /// The position of the entry that failed a whole request (a transaction), when the
    /// server's OperationOutcome names it (`Bundle.entry[7]`).
    pub(crate) culprit: Option<u64>,
}

impl Failed {
    pub(crate) fn one(entry: Option<u64>, reason: String) -> Self {
        Failed { entry, resources: 1, reason, culprit: None }
    }
}

impl Judged {
    /// One resource, or a whole file, that failed.
    pub(crate) fn failure(entry: Option<u64>, reason: String) -> Self {
        Self { loaded: 0, failures: vec![Failed::one(entry, reason)] }
    }

    pub(crate) fn failed(&self) -> u64 {
        self.failures.iter().map(|failed| failed.resources).sum()
    }
}

/// Judges a response (`Err` holds why the server could not be reached).
pub(crate) fn judge(
    positions: &Positions,
    response: Result<(u16, Option<Value>), String>,
) -> Judged {
    match response {
        Err(reason) => all_failed(positions, &reason, None),
        Ok((status, body)) if !(200..300).contains(&status) => {
            let culprit = body.as_ref().and_then(failing_entry);
            all_failed(positions, &reason(status, body.as_ref()), culprit)
        }
        Ok((_, body)) => match positions {
            Positions::Whole => Judged { loaded: 1, failures: Vec::new() },
            Positions::Entries(entries) => judge_entries(entries, body.as_ref()),
        },
    }
}

/// Fails every resource of a request, reported once for them all; `culprit` is the index of
/// the Bundle entry that failed it, if known.
fn all_failed(positions: &Positions, reason: &str, culprit: Option<usize>) -> Judged {
    let (entry, resources, culprit) = match positions {
        Positions::Whole => (None, 1, None),
        Positions::Entries(entries) => {
            let culprit = culprit.and_then(|index| entries.get(index).copied());
            (entries.first().copied(), entries.len() as u64, culprit)
        }
    };
    let failures = vec![Failed { entry, resources, reason: reason.to_owned(), culprit }];
    Judged { loaded: 0, failures }
}

/// The index of the entry an OperationOutcome locates its first issue in (`Bundle.entry[7]`,
/// or a path through it).
fn failing_entry(outcome: &Value) -> Option<usize> {
    let expression = outcome.pointer("/issue/0/expression/0")?.as_str()?;
    let index = expression.strip_prefix("Bundle.entry[")?.split(']').next()?;
    index.parse().ok()
}

/// Reads a batch or transaction response entry by entry; an entry the server did not answer
/// counts as loaded, since the request as a whole succeeded.
fn judge_entries(positions: &[u64], body: Option<&Value>) -> Judged {
    let answers = body.and_then(|body| body.get("entry")).and_then(Value::as_array);
    let mut judged = Judged::default();
    for (index, &position) in positions.iter().enumerate() {
        match answers.and_then(|answers| answers.get(index)).and_then(entry_failure) {
            Some(reason) => {
                judged.failures.push(Failed::one(Some(position), reason));
            }
            None => judged.loaded += 1,
        }
    }
    judged
}

fn entry_failure(entry: &Value) -> Option<String> {
    let response = entry.get("response")?;
    let status = status_code(response.get("status")?.as_str()?)?;
    (status >= 400).then(|| reason(status, response.get("outcome")))
}

/// Reads the code of a Bundle entry status such as "201 Created".
fn status_code(status: &str) -> Option<u16> {
    status.split_whitespace().next()?.parse().ok()
}

/// Says why a status failed: the first issue's diagnostics, else its details or code.
fn reason(status: u16, outcome: Option<&Value>) -> String {
    let issue = outcome.and_then(|outcome| outcome.pointer("/issue/0"));
    let said = issue.and_then(|issue| {
        let text = |pointer: &str| issue.pointer(pointer).and_then(Value::as_str);
        text("/diagnostics").or_else(|| text("/details/text")).or_else(|| text("/code"))
    });
    let phrase = reqwest::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason());
    match (said, phrase) {
        (Some(said), _) => format!("HTTP {status}: {said}"),
        (None, Some(phrase)) => format!("HTTP {status} {phrase}"),
        (None, None) => format!("HTTP {status}"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn outcome(diagnostics: &str) -> Value {
        let issue = json!({"severity":"error","code":"invalid","diagnostics":diagnostics});
        json!({"resourceType":"OperationOutcome","issue":[issue]})
    }

    fn one(entry: u64, reason: &str) -> Failed {
        Failed::one(Some(entry), reason.to_owned())
    }

    #[test]
    fn a_created_resource_is_loaded() {
        let judged = judge(&Positions::Whole, Ok((201, None)));
        assert_eq!(judged, Judged { loaded: 1, failures: vec![] });
    }

    #[test]
    fn a_rejected_request_fails_all_its_resources_once_with_the_diagnostics() {
        let judged = judge(&Positions::Entries(vec![4, 7]), Ok((400, Some(outcome("bad bundle")))));
        let reason = "HTTP 400: bad bundle".to_owned();
        let expected = Failed { entry: Some(4), resources: 2, reason, culprit: None };
        assert_eq!(judged.failures, [expected]);
        assert_eq!(judged.failed(), 2);
    }

    #[test]
    fn a_rejected_transaction_names_the_entry_its_outcome_locates() {
        let mut outcome = outcome("operations are not supported");
        outcome["issue"][0]["expression"] = json!(["Bundle.entry[2].resource.birthDate"]);
        let judged = judge(&Positions::Entries(vec![4, 5, 6, 7]), Ok((501, Some(outcome))));
        assert_eq!(judged.failures[0].culprit, Some(6));
        assert_eq!(judged.failed(), 4);
    }

    #[test]
    fn a_rejection_without_outcome_names_the_status() {
        let judged = judge(&Positions::Whole, Ok((413, None)));
        assert_eq!(judged, Judged::failure(None, "HTTP 413 Payload Too Large".into()));
    }

    #[test]
    fn failed_entries_of_a_batch_response_fail_alone() {
        let invalid = outcome("Patient.gender: unknown code");
        let not_found = json!({"resourceType":"OperationOutcome","issue":[{"code":"not-found"}]});
        let body = json!({"resourceType":"Bundle","type":"batch-response","entry":[
            {"response":{"status":"201 Created"}},
            {"response":{"status":"422 Unprocessable Entity","outcome":invalid}},
            {"response":{"status":"200"}},
            {"response":{"status":"404","outcome":not_found}}
        ]});
        let judged = judge(&Positions::Entries(vec![3, 5, 8, 9, 10]), Ok((200, Some(body))));
        assert_eq!(judged.loaded, 3);
        let expected =
            [one(5, "HTTP 422: Patient.gender: unknown code"), one(9, "HTTP 404: not-found")];
        assert_eq!(judged.failures, expected);
    }

    #[test]
    fn an_unreachable_server_fails_everything_with_the_cause() {
        let judged = judge(&Positions::Entries(vec![1]), Err("connection refused".into()));
        assert_eq!(judged, Judged::failure(Some(1), "connection refused".into()));
    }
}
