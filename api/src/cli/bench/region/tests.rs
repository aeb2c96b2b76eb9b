//! The region generator is deterministic, makes the counts it is asked for, and makes
//! resources the server accepts.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use serde_json::Value;

use super::*;

/// 40 patients, 200 studies, 26 documents.
const SMALL: f64 = 0.0002;

fn resources(region: &Region) -> Vec<Value> {
    let counts = region.counts();
    let records = (0..counts.patients).map(|index| region.record(index));
    records.flat_map(|record| record.entries.into_iter().map(|(_, resource)| resource)).collect()
}

fn count_by_type(resources: &[Value]) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for resource in resources {
        let name = resource["resourceType"].as_str().unwrap_or_default().to_owned();
        *counts.entry(name).or_default() += 1;
    }
    counts
}

#[test]
fn one_seed_gives_the_same_region_and_another_seed_another() {
    let batch = |seed| Region::new(seed, SMALL).patients_batch(0..5).body;
    assert_eq!(batch(11), batch(11));
    assert_ne!(batch(11), batch(12));
}

#[test]
fn a_small_region_holds_the_counts_of_its_scale() {
    let region = Region::new(5, SMALL);
    let expected = Counts { facilities: 20, patients: 40, studies: 200, documents: 26 };
    assert_eq!(region.counts(), expected);
    let counts = count_by_type(&resources(&region));
    assert_eq!(counts["Patient"], 40);
    assert_eq!(counts["ImagingStudy"], 200);
    assert_eq!(counts["DiagnosticReport"], 200);
    assert_eq!(counts["DocumentReference"], 26);
    assert!(counts["Observation"] > 100, "{counts:?}");
}

#[test]
fn the_full_region_splits_its_studies_exactly_among_patients() {
    let region = Region::new(1, 1.0);
    let counts = region.counts();
    let studies: u64 = (0..counts.patients).map(|index| region.studies_of(index)).sum();
    let documents: u64 = (0..counts.patients).map(|index| region.documents_of(index)).sum();
    assert_eq!((studies, documents), (1_000_000, 130_000));
    let most = (0..counts.patients).map(|index| region.studies_of(index)).max();
    assert!(most.is_some_and(|most| (9..=11).contains(&most)), "{most:?}");
}

#[test]
fn every_generated_resource_passes_the_server_validation() {
    let region = Region::new(3, SMALL);
    let all = resources(&region).into_iter().chain(facilities::resources());
    for resource in all {
        let parsed = domain::Resource::from_value(resource.clone());
        let valid = parsed.and_then(|parsed| domain::validate(&parsed));
        assert!(valid.is_ok(), "{valid:?}\n{resource:#}");
    }
}

#[test]
fn regional_identifiers_are_unique_and_name_their_patient() {
    let region = Region::new(9, 0.01);
    let values: HashSet<String> =
        (0..region.counts().patients).map(|i| region.regional_identifier(i).1).collect();
    assert_eq!(values.len(), 2000);
    let patient = region.record(17).entries.remove(0).1;
    let (system, value) = region.regional_identifier(17);
    assert_eq!(patient["identifier"][0]["system"], system);
    assert_eq!(patient["identifier"][0]["value"], value.as_str());
}

#[test]
fn dose_summaries_carry_the_loinc_code_ucum_units_and_the_study() {
    let region = Region::new(4, SMALL);
    let all = resources(&region);
    let summaries: Vec<&Value> =
        all.iter().filter(|r| r["code"]["coding"][0]["code"] == imaging::DOSE_SUMMARY).collect();
    assert!(!summaries.is_empty());
    for summary in summaries {
        assert_eq!(summary["code"]["coding"][0]["system"], "http://loinc.org");
        assert_eq!(summary["valueQuantity"]["system"], "http://unitsofmeasure.org");
        let unit = summary["valueQuantity"]["code"].as_str().unwrap_or_default();
        assert!(["mGy.cm", "mGy.cm2", "mGy"].contains(&unit), "{unit}");
        let part_of = summary["partOf"][0]["reference"].as_str().unwrap_or_default();
        assert!(part_of.starts_with("urn:uuid:"), "{summary}");
        assert!(summary["effectiveDateTime"].is_string());
    }
}

#[tokio::test]
async fn a_small_region_loads_through_the_server_and_its_recent_doses_are_counted()
-> anyhow::Result<()> {
    use crate::load::{Method, RouterSink, Sink};
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("region.sqlite").display());
    let store = Arc::new(store::Store::open(&url, 2).await?);
    store.migrate().await?;
    let state = crate::AppState { store, config: Arc::new(crate::Config::default()) };
    let sink = RouterSink(crate::app(state));

    let region = Region::new(21, SMALL);
    let mut recent = 0;
    for batch in [region.facilities_batch(), region.patients_batch(0..40)] {
        recent += batch.recent_dose_summaries;
        let (status, body) = sink.send(Method::Post, "", batch.body.into()).await?;
        assert_eq!(status, 200, "{body:?}");
    }
    let count = "Observation?code=http://loinc.org|73569-6&date=ge2025&_summary=count";
    let answer = get(&sink, count).await?;
    assert_eq!(answer["total"], recent);
    assert!(recent > 0);
    Ok(())
}

async fn get(sink: &crate::load::RouterSink, path: &str) -> anyhow::Result<Value> {
    use tower::ServiceExt;
    let request =
        axum::http::Request::get(format!("/fhir/{path}")).body(axum::body::Body::empty())?;
    let response = sink.0.clone().oneshot(request).await?;
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
    Ok(serde_json::from_slice(&bytes)?)
}
