//! A deterministic synthetic region for the search benchmark: facilities, patients, their
//! imaging studies with reports and dose Observations, and their documents.
//!
//! Everything comes from a seed and a scale (1.0 = 200,000 patients, 1,000,000 studies,
//! 130,000 documents, about 3.4 million resources). Each patient is made from its own
//! generator, derived from the seed and its index, so a patient and its resources can be
//! rebuilt alone (the bench does so to know whom to search for) and bundles come in any order.
//! The imaging and document resources are built with the typed FHIR models (`typed.rs`), the
//! patients and facilities as plain JSON.

mod documents;
mod facilities;
mod imaging;
mod patients;
mod random;
mod tables;
mod typed;

use std::ops::Range;

use serde_json::{Value, json};

use random::Random;

pub(super) use patients::REGIONAL_SYSTEM;

/// Patients, studies and documents of the full-size region.
const FULL_PATIENTS: f64 = 200_000.0;
const FULL_STUDIES: f64 = 1_000_000.0;
const FULL_DOCUMENTS: f64 = 130_000.0;

/// Building a resource fails only on a missing required element, and writing it only on a
/// year past 9999: mistakes of this generator, which the region tests would meet.
const BUILT: &str = "the region's resources have their required elements and years 2015-2026";

/// The streams of the seed: one generator per patient, one for choosing whom to search.
const PATIENT_STREAM: u64 = 1;
const SAMPLE_STREAM: u64 = 2;

/// How many of each the region holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Counts {
    pub(super) facilities: u64,
    pub(super) patients: u64,
    pub(super) studies: u64,
    pub(super) documents: u64,
}

/// A region: a seed and a scale.
#[derive(Debug, Clone, Copy)]
pub(super) struct Region {
    seed: u64,
    counts: Counts,
    /// Spreads the patients with many studies over the whole index range.
    stride: u64,
}

/// One transaction Bundle, serialized, and what it holds.
#[derive(Debug, Clone)]
pub(super) struct Batch {
    pub(super) body: Vec<u8>,
    pub(super) resources: u64,
    /// Dose summary Observations (LOINC 73569-6) with an effective date in 2025 or later.
    pub(super) recent_dose_summaries: u64,
}

/// The resources of one patient, with the fullUrl each has in a transaction.
#[derive(Debug, Clone, Default)]
pub(super) struct Record {
    pub(super) entries: Vec<(String, Value)>,
    pub(super) recent_dose_summaries: u64,
}

impl Region {
    /// The region of `seed` at `scale` (at least one patient).
    pub(super) fn new(seed: u64, scale: f64) -> Self {
        let count = |full: f64| (full * scale).round().max(0.0) as u64;
        let patients = count(FULL_PATIENTS).max(1);
        let counts = Counts {
            facilities: tables::FACILITIES.len() as u64,
            patients,
            studies: count(FULL_STUDIES),
            documents: count(FULL_DOCUMENTS),
        };
        Region { seed, counts, stride: coprime_stride(patients) }
    }

    pub(super) fn counts(&self) -> Counts {
        self.counts
    }

    pub(super) fn seed(&self) -> u64 {
        self.seed
    }

    /// A transaction Bundle that creates (PUT, fixed ids) each facility and its DICOMweb
    /// endpoint, which every patient's resources refer to.
    pub(super) fn facilities_batch(&self) -> Batch {
        let entries = facilities::resources();
        let resources = entries.len() as u64;
        let entries: Vec<Value> = entries.into_iter().map(facilities::put_entry).collect();
        let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": entries});
        Batch { body: bundle.to_string().into_bytes(), resources, recent_dose_summaries: 0 }
    }

    /// A transaction Bundle that creates (POST, `urn:uuid:` references) every resource of the
    /// patients in `patients`.
    pub(super) fn patients_batch(&self, patients: Range<u64>) -> Batch {
        let mut entries = Vec::new();
        let mut recent_dose_summaries = 0;
        for index in patients {
            let record = self.record(index);
            recent_dose_summaries += record.recent_dose_summaries;
            entries.extend(
                record.entries.into_iter().map(|(url, resource)| post_entry(url, resource)),
            );
        }
        let resources = entries.len() as u64;
        let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": entries});
        Batch { body: bundle.to_string().into_bytes(), resources, recent_dose_summaries }
    }

    /// Every resource of the patient `index`: the Patient first, then its studies (each with
    /// its report and dose Observations), then its documents.
    pub(super) fn record(&self, index: u64) -> Record {
        let mut random = Random::for_item(self.seed, PATIENT_STREAM, index);
        let patient = patients::patient(self, index, &mut random);
        let mut record = Record::default();
        let (studies, documents) = (self.studies_of(index), self.documents_of(index));
        for _ in 0..studies {
            imaging::study(&patient, &mut random, &mut record).expect(BUILT);
        }
        for _ in 0..documents {
            documents::document(&patient, &mut random, &mut record).expect(BUILT);
        }
        record.entries.insert(0, (patient.full_url.clone(), patient.resource));
        record
    }

    /// `size` patient indexes drawn from the whole region (repeats possible), the same for a
    /// seed: whom the bench searches for.
    pub(super) fn sample(&self, size: u64) -> Vec<u64> {
        let mut random = Random::for_item(self.seed, SAMPLE_STREAM, 0);
        (0..size).map(|_| random.below(self.counts.patients)).collect()
    }

    /// The regional identifier (`system`, `value`) of the patient `index`.
    pub(super) fn regional_identifier(&self, index: u64) -> (&'static str, String) {
        (REGIONAL_SYSTEM, patients::regional_value(self.seed, index))
    }

    /// Studies of the patient `index`: from 0 to about 10, 5 on average, adding up exactly to
    /// the region's count. The patient's rank along `stride` sets where it lies on a rising
    /// curve, so heavy and light patients alternate through the index range.
    fn studies_of(&self, index: u64) -> u64 {
        let rank = u128::from(index * self.stride % self.counts.patients);
        let (total, patients) = (u128::from(self.counts.studies), u128::from(self.counts.patients));
        let cumulative = |r: u128| total * r * r / (patients * patients);
        (cumulative(rank + 1) - cumulative(rank)) as u64
    }

    /// Documents of the patient `index`, spread evenly and adding up exactly to the count.
    fn documents_of(&self, index: u64) -> u64 {
        let (total, patients) = (self.counts.documents, self.counts.patients);
        let cumulative = |i: u64| (u128::from(total) * u128::from(i) / u128::from(patients)) as u64;
        cumulative(index + 1) - cumulative(index)
    }
}

/// A multiplier near 0.618 × `n` that shares no factor with `n`, so that `i × stride mod n`
/// visits every rank once.
fn coprime_stride(n: u64) -> u64 {
    let start = ((n as f64 * 0.618) as u64).max(1);
    (start..).find(|&s| gcd(s, n) == 1).unwrap_or(1)
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn post_entry(full_url: String, resource: Value) -> Value {
    let url = resource["resourceType"].clone();
    json!({"fullUrl": full_url, "resource": resource, "request": {"method": "POST", "url": url}})
}

#[cfg(test)]
mod tests;
