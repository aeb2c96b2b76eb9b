//! The searches the bench times, built for the patients it drew, and the checks made before
//! timing them: every search answers 200, and the counts it reports are printed.

use anyhow::{Context, bail};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use super::super::generator::{Call, Workload};
use super::super::region::Region;
use super::super::server::Server;

/// The dose summary count of issue #3, over the whole region.
pub(super) const DOSE_COUNT: &str =
    "/fhir/Observation?code=http%3A%2F%2Floinc.org%7C73569-6&date=ge2025&_summary=count";
/// The chained count on the Synthea set.
pub(super) const MALE_OBSERVATIONS: &str = "/fhir/Observation?patient.gender=male&_summary=count";

/// Patients of the region to search for: their server ids and their regional identifiers.
pub(super) struct Sample {
    pub(super) ids: Vec<String>,
    pub(super) identifiers: Vec<String>,
}

fn encoded(text: &str) -> String {
    utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
}

fn gets(paths: impl Iterator<Item = String>) -> Workload {
    Workload { method: "GET", calls: paths.map(|path| Call { path, body: None }).collect() }
}

/// Draws `size` patients and finds each one's id by its regional identifier.
pub(super) async fn sample(server: &Server, region: &Region, size: u64) -> anyhow::Result<Sample> {
    let mut sample = Sample { ids: vec![], identifiers: vec![] };
    for index in region.sample(size) {
        let (system, value) = region.regional_identifier(index);
        let token = encoded(&format!("{system}|{value}"));
        let page = get(server, &format!("/fhir/Patient?identifier={token}&_elements=id")).await?;
        let id = page["entry"][0]["resource"]["id"].as_str();
        let id = id.with_context(|| format!("no Patient has the regional identifier {value}"))?;
        sample.ids.push(id.to_owned());
        sample.identifiers.push(token);
    }
    Ok(sample)
}

/// A portal listing a patient's latest reports.
pub(super) fn latest_reports(ids: &[String]) -> Workload {
    gets(ids.iter().map(|id| format!("/fhir/DiagnosticReport?patient={id}&_sort=-date&_count=20")))
}

/// A radiologist looking for a patient's recent CT studies from the regional identifier.
pub(super) fn recent_ct(identifiers: &[String]) -> Workload {
    gets(identifiers.iter().map(|token| {
        format!("/fhir/ImagingStudy?patient.identifier={token}&modality=CT&started=ge2025-01-01")
    }))
}

/// One path, sent over and over.
pub(super) fn one(path: &str) -> Workload {
    gets(std::iter::once(path.to_owned()))
}

/// A patient's observations on the Synthea set.
pub(super) fn observations(ids: &[String]) -> Workload {
    gets(ids.iter().map(|id| format!("/fhir/Observation?patient={id}&_count=20")))
}

/// GETs `path` (from the server's root) and returns the JSON answer; anything but 200 fails.
pub(super) async fn get(server: &Server, path: &str) -> anyhow::Result<Value> {
    server.get_json(&format!("{}{path}", server.origin())).await
}

/// The `total` of a `_summary=count` answer.
pub(super) async fn count(server: &Server, path: &str) -> anyhow::Result<u64> {
    let answer = get(server, path).await?;
    answer["total"].as_u64().with_context(|| format!("no total in the answer to {path}"))
}

/// Sends every call of `workload` once; returns the number of entries found in all.
pub(super) async fn entries_found(server: &Server, workload: &Workload) -> anyhow::Result<u64> {
    let mut found = 0;
    for call in &workload.calls {
        let page = get(server, &call.path).await?;
        if page["resourceType"] != "Bundle" {
            bail!("{} did not answer a Bundle", call.path);
        }
        found += page["entry"].as_array().map_or(0, Vec::len) as u64;
    }
    Ok(found)
}
