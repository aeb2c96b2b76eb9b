//! The typed FHIR models (crate `model`) that the imaging and document resources are built
//! with: shorthands for their builders, dates in the region's time zone, and the step from a
//! built resource to the JSON a Bundle carries.

use anyhow::Result;
use chrono::NaiveDateTime;
use model::types::{CodeableConcept, Coding, Reference};
use model::{DateTime, Instant, Resource};
use serde_json::Value;

/// Times are local to the region, at UTC+4.
const OFFSET: &str = "+04:00";

/// A reference to `url`: `Type/id`, or an entry of the same transaction.
pub(super) fn reference(url: &str) -> Result<Reference> {
    Ok(Reference::builder().reference(url.to_owned()).build()?)
}

pub(super) fn coding(system: &str, code: &str, display: &str) -> Result<Coding> {
    let coding = Coding::builder().system(system.to_owned()).code(code.to_owned());
    Ok(coding.display(display.to_owned()).build()?)
}

/// A coding with no display.
pub(super) fn bare_coding(system: &str, code: &str) -> Result<Coding> {
    Ok(Coding::builder().system(system.to_owned()).code(code.to_owned()).build()?)
}

/// A concept of one coding and no text.
pub(super) fn concept(coding: Coding) -> Result<CodeableConcept> {
    Ok(CodeableConcept::builder().coding(vec![Some(coding)]).build()?)
}

/// `at`, local to the region, as a FHIR dateTime to the second.
pub(super) fn date_time(at: NaiveDateTime) -> Result<DateTime> {
    Ok(local(at).parse()?)
}

/// `at`, local to the region, as a FHIR instant.
pub(super) fn instant(at: NaiveDateTime) -> Result<Instant> {
    Ok(local(at).parse()?)
}

fn local(at: NaiveDateTime) -> String {
    format!("{}{OFFSET}", at.format("%Y-%m-%dT%H:%M:%S"))
}

/// A built resource as `model::write` writes it, a decimal as its f64.
pub(super) fn json(resource: impl Into<Resource>) -> Result<Value> {
    let bytes = model::write(&resource.into())?;
    Ok(serde_json::from_slice(&bytes)?)
}
