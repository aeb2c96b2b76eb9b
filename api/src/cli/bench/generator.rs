//! The workloads (reads of patients, creates of DocumentReferences) and the choice of what
//! sends them: wrk, or the built-in generator.

use std::time::Duration;

use anyhow::bail;

use super::stats::Run;
use super::{GeneratorChoice, builtin, document, wrk};

/// One request of a workload; `path` starts at the server's root (`/fhir/...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Call {
    pub(super) path: String,
    pub(super) body: Option<String>,
}

/// Requests sent in turn, over and over, by every connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Workload {
    pub(super) method: &'static str,
    pub(super) calls: Vec<Call>,
}

impl Workload {
    /// `GET /fhir/Patient/{id}` for each id.
    pub(super) fn reads(ids: &[String]) -> Self {
        let call = |id: &String| Call { path: format!("/fhir/Patient/{id}"), body: None };
        Workload { method: "GET", calls: ids.iter().map(call).collect() }
    }

    /// `POST /fhir/DocumentReference` of a note about each patient in turn.
    pub(super) fn writes(ids: &[String]) -> Self {
        let call = |id: &String| Call {
            path: "/fhir/DocumentReference".to_owned(),
            body: Some(document::document_reference(id)),
        };
        Workload { method: "POST", calls: ids.iter().map(call).collect() }
    }
}

/// What sends the requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Generator {
    /// wrk, with its version line.
    Wrk(String),
    Builtin,
}

impl Generator {
    pub(super) fn choose(choice: GeneratorChoice) -> anyhow::Result<Self> {
        match (choice, wrk::version()) {
            (GeneratorChoice::Builtin, _) | (GeneratorChoice::Auto, None) => Ok(Generator::Builtin),
            (_, Some(version)) => Ok(Generator::Wrk(version)),
            (GeneratorChoice::Wrk, None) => bail!("wrk is not installed (apt-get install wrk)"),
        }
    }

    /// Which generator, as the report states it.
    pub(super) fn name(&self) -> String {
        match self {
            Generator::Wrk(version) => format!("{version}, {} threads", wrk::THREADS),
            Generator::Builtin => {
                "built-in generator (tokio + reqwest, a task per connection)".into()
            }
        }
    }

    /// Sends `workload` to `origin` over `connections` keep-alive connections for `duration`.
    pub(super) async fn run(
        &self,
        origin: &str,
        workload: &Workload,
        connections: u64,
        duration: Duration,
    ) -> anyhow::Result<Run> {
        match self {
            Generator::Wrk(_) => wrk::run(origin, workload, connections, duration).await,
            Generator::Builtin => builtin::run(origin, workload, connections, duration).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_visit_each_patient_and_writes_name_each_as_subject() {
        let ids = vec!["p1".to_owned(), "p2".to_owned()];
        let reads = Workload::reads(&ids);
        assert_eq!(reads.method, "GET");
        assert_eq!(reads.calls[1], Call { path: "/fhir/Patient/p2".into(), body: None });
        let writes = Workload::writes(&ids);
        assert_eq!(writes.calls[0].path, "/fhir/DocumentReference");
        let body = writes.calls[1].body.as_deref().unwrap_or_default();
        assert!(body.contains(r#""reference":"Patient/p2""#), "{body}");
    }
}
