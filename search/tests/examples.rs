//! Extraction over every R4 example in the shared data: none panics, and a few hand-checked
//! resources give exactly the values a reader of the resource expects.
//!
//! The examples are found through `PANORAMA_FHIR_R4_DATA`, else `shared/data/fhir-r4`
//! beside the workspace; missing data skips with a note, or fails when `CI=true`.

mod common;

use std::path::{Path, PathBuf};

use search::{IndexEntry, IndexValue, date_range, extract};
use serde_json::Value;

fn examples_dir() -> Option<PathBuf> {
    common::fhir_r4_data("examples/Patient-example.json").map(|d| d.join("examples"))
}

fn load(dir: &Path, name: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(name)).expect("example readable");
    serde_json::from_str(&text).expect("example is JSON")
}

fn values<'e>(entries: &'e [IndexEntry], param: &str) -> Vec<&'e IndexValue> {
    entries.iter().filter(|e| e.param == param).map(|e| &e.value).collect()
}

fn token(system: Option<&str>, code: &str) -> IndexValue {
    IndexValue::Token { system: system.map(str::to_owned), code: Some(code.to_owned()), text: None }
}

#[test]
fn every_example_extracts_without_panicking() {
    let Some(dir) = examples_dir() else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut total = 0;
    for file in &files {
        let resource: Value =
            serde_json::from_str(&std::fs::read_to_string(file).expect("read")).expect("JSON");
        let entries = extract(&resource);
        assert!(!entries.is_empty(), "{} gave no entries", file.display());
        total += entries.len();
    }
    println!("{} examples, {total} index entries", files.len());
}

#[test]
fn patient_example_gives_its_identifier_gender_and_birthdate() {
    let Some(dir) = examples_dir() else { return };
    let entries = extract(&load(&dir, "Patient-example.json"));

    let identifier = values(&entries, "identifier");
    assert!(identifier.contains(&&IndexValue::Token {
        system: Some("urn:oid:1.2.36.146.595.217.0.1".into()),
        code: Some("12345".into()),
        text: None,
    }));
    assert!(identifier.contains(&&IndexValue::OfType {
        type_system: Some("http://terminology.hl7.org/CodeSystem/v2-0203".into()),
        type_code: "MR".into(),
        value: "12345".into(),
    }));

    let gender = token(Some("http://hl7.org/fhir/administrative-gender"), "male");
    assert_eq!(values(&entries, "gender"), [&gender]);

    let (low, high) = date_range("1974-12-25").expect("valid");
    assert_eq!(low, 157_161_600_000_000, "1974-12-25T00:00:00Z");
    assert_eq!(high, low + 86_400_000_000 - 1);
    assert_eq!(values(&entries, "birthdate"), [&IndexValue::Date { low, high }]);

    assert_eq!(values(&entries, "active"), [&token(None, "true")]);
    assert_eq!(values(&entries, "deceased"), [&token(None, "false")]);
    assert_eq!(values(&entries, "_id"), [&token(None, "example")]);
}

#[test]
fn patient_example_names_are_normalized_and_deduplicated() {
    let Some(dir) = examples_dir() else { return };
    let entries = extract(&load(&dir, "Patient-example.json"));
    let family: Vec<&str> = values(&entries, "family")
        .into_iter()
        .filter_map(|v| match v {
            IndexValue::String { normalized, .. } => Some(normalized.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(family, ["chalmers", "windsor"]);
    let given = values(&entries, "given");
    assert_eq!(given.len(), 3, "Peter, James, Jim once each: {given:?}");
    let phone = values(&entries, "phone");
    assert!(phone.contains(&&token(None, "(03) 5555 6473")));
    let city = values(&entries, "address-city");
    assert_eq!(
        city,
        [&IndexValue::String { normalized: "pleasantville".into(), exact: "PleasantVille".into() }]
    );
}

#[test]
fn observation_example_gives_its_code_subject_date_and_quantity() {
    let Some(dir) = examples_dir() else { return };
    let entries = extract(&load(&dir, "Observation-example.json"));

    let codes = values(&entries, "code");
    assert_eq!(codes.len(), 4);
    assert!(codes.contains(&&IndexValue::Token {
        system: Some("http://loinc.org".into()),
        code: Some("29463-7".into()),
        text: Some("body weight".into()),
    }));

    let subject = IndexValue::Reference {
        target_type: Some("Patient".into()),
        target_id: Some("example".into()),
        url: Some("Patient/example".into()),
        identifier: None,
    };
    assert_eq!(values(&entries, "subject"), [&subject]);
    assert_eq!(values(&entries, "patient"), [&subject]);

    let (low, high) = date_range("2016-03-28").expect("valid");
    assert_eq!(values(&entries, "date"), [&IndexValue::Date { low, high }]);

    let [IndexValue::Quantity { value, low, high, code, canonical, .. }] =
        values(&entries, "value-quantity")[..]
    else {
        panic!("one quantity expected");
    };
    assert_eq!(
        (value.as_str(), *low, *high, code.as_deref()),
        ("185", 184.5, 185.5, Some("[lb_av]"))
    );
    let (grams, unit) = canonical.clone().expect("pounds have a canonical form");
    assert_eq!(unit, "g");
    assert!((grams - 83_914.588_45).abs() < 1e-6, "{grams}");
    assert_eq!(values(&entries, "code-value-quantity").len(), 4);
}
