//! One imaging study of a patient: the ImagingStudy (one series, the archive's endpoint), its
//! DiagnosticReport in French, and for X-ray modalities the dose summary Observation of the
//! Radiation Dose Summary IG (LOINC 73569-6) with, for CT, one Observation per irradiation event.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use serde_json::{Value, json};

use super::facilities::{accession_system, endpoint_reference, organization_reference};
use super::patients::Patient;
use super::random::Random;
use super::tables::{CONCLUSIONS, Exam, MODALITY_MIX, exams};
use super::{Record, reference};

pub(super) const DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";
const UCUM: &str = "http://unitsofmeasure.org";
const SNOMED: &str = "http://snomed.info/sct";
const LOINC: &str = "http://loinc.org";
/// The dose summary code of the Radiation Dose Summary IG.
pub(super) const DOSE_SUMMARY: &str = "73569-6";

/// Studies start between these days, inclusive; times are local to the region (UTC+4).
const FIRST_DAY: (i32, u32, u32) = (2015, 1, 1);
const DAYS: u64 = 4352; // to 2026-11-30
const OFFSET: &str = "+04:00";
/// Dose summaries from this year on count as recent (`date=ge2025`).
const RECENT_YEAR: i32 = 2025;

/// What the study's resources share.
struct Study<'a> {
    patient: &'a Patient,
    facility: usize,
    modality: &'static str,
    exam: &'static Exam,
    started: NaiveDateTime,
    full_url: String,
}

pub(super) fn study(patient: &Patient, random: &mut Random, record: &mut Record) {
    let modality = modality(patient, random);
    let study = Study {
        patient,
        facility: *random.pick(&patient.facilities),
        modality,
        exam: random.pick(exams(modality)),
        started: started(random),
        full_url: format!("urn:uuid:{}", random.uuid()),
    };
    let accession = format!("A{:09}", random.below(1_000_000_000));
    let imaging_study = imaging_study(&study, &accession, random);
    record.entries.push((study.full_url.clone(), imaging_study));
    let report = diagnostic_report(&study, &accession, random);
    record.entries.push((format!("urn:uuid:{}", random.uuid()), report));
    if study.exam.typical_dose > 0.0 {
        dose(&study, random, record);
    }
}

/// A modality from the regional mix; mammography is for women, others get a radiograph.
fn modality(patient: &Patient, random: &mut Random) -> &'static str {
    match *random.weighted(&MODALITY_MIX) {
        "MG" if !patient.female || patient.birth_year > 1985 => "DX",
        modality => modality,
    }
}

pub(super) fn started(random: &mut Random) -> NaiveDateTime {
    let (year, month, day) = FIRST_DAY;
    let first = NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default();
    let date = first + Duration::days(random.below(DAYS) as i64);
    let seconds = random.between(7 * 3600, 20 * 3600 - 1) as i64;
    date.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::seconds(seconds)
}

pub(super) fn date_time(at: NaiveDateTime) -> String {
    format!("{}{OFFSET}", at.format("%Y-%m-%dT%H:%M:%S"))
}

fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({"system": system, "code": code, "display": display})
}

fn imaging_study(study: &Study<'_>, accession: &str, random: &mut Random) -> Value {
    let modality = json!({"system": DCM, "code": study.modality});
    let instances = random.between(1, if study.modality == "CT" { 900 } else { 12 });
    let (exam, started) = (study.exam, date_time(study.started));
    json!({
        "resourceType": "ImagingStudy",
        "identifier": [
            {"system": "urn:dicom:uid", "value": format!("urn:oid:{}", random.dicom_uid())},
            {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                  "code": "ACSN"}]},
             "system": accession_system(study.facility), "value": accession},
        ],
        "status": "available",
        "modality": [modality],
        "subject": reference(&study.patient.full_url),
        "started": started,
        "endpoint": [endpoint_reference(study.facility)],
        "numberOfSeries": 1,
        "numberOfInstances": instances,
        "description": exam.title,
        "series": [{
            "uid": random.dicom_uid(),
            "number": 1,
            "modality": modality,
            "description": exam.title,
            "numberOfInstances": instances,
            "bodySite": coding(SNOMED, exam.site_code, exam.site_display),
            "started": started,
        }],
    })
}

fn diagnostic_report(study: &Study<'_>, accession: &str, random: &mut Random) -> Value {
    let issued = study.started + Duration::minutes(random.between(30, 72 * 60) as i64);
    json!({
        "resourceType": "DiagnosticReport",
        "identifier": [{"system": accession_system(study.facility), "value": accession}],
        "status": "final",
        "category": [{"coding": [coding("http://terminology.hl7.org/CodeSystem/v2-0074", "RAD",
                                        "Radiology")]}],
        "code": {"coding": [coding(LOINC, "18748-4", "Diagnostic imaging study")],
                 "text": format!("Compte rendu : {}", study.exam.title)},
        "subject": reference(&study.patient.full_url),
        "effectiveDateTime": date_time(study.started),
        "issued": date_time(issued),
        "performer": [organization_reference(study.facility)],
        "imagingStudy": [reference(&study.full_url)],
        "conclusion": random.pick(&CONCLUSIONS),
    })
}

/// The study's dose summary, and for CT its irradiation events.
fn dose(study: &Study<'_>, random: &mut Random, record: &mut Record) {
    let total = study.exam.typical_dose * (0.5 + random.unit());
    let events = if study.modality == "CT" { ct_events(study, total, random) } else { vec![] };
    let members: Vec<Value> = events.iter().map(|(url, _)| reference(url)).collect();
    let summary = dose_summary(study, total, events.len(), members, random);
    record.entries.push((format!("urn:uuid:{}", random.uuid()), summary));
    record.entries.extend(events);
    if study.started.year() >= RECENT_YEAR {
        record.recent_dose_summaries += 1;
    }
}

fn quantity(value: f64, unit: &str) -> Value {
    let rounded = (value * 100.0).round() / 100.0;
    json!({"value": rounded, "unit": unit, "system": UCUM, "code": unit})
}

fn component(code: &str, display: &str, value: Value) -> Value {
    json!({"code": {"coding": [coding(DCM, code, display)]}, "valueQuantity": value})
}

fn dose_summary(
    study: &Study<'_>,
    total: f64,
    events: usize,
    members: Vec<Value>,
    random: &mut Random,
) -> Value {
    let (value, mut components) = match study.modality {
        "CT" => {
            let dlp = quantity(total, "mGy.cm");
            let count = json!({"code": {"coding": [coding(DCM, "113812",
                                   "Total Number of Irradiation Events")]},
                               "valueInteger": events});
            (dlp.clone(), vec![component("113813", "CT Dose Length Product Total", dlp), count])
        }
        "MG" => {
            let agd = quantity(total, "mGy");
            (agd.clone(), vec![component("111637", "Accumulated Average Glandular Dose", agd)])
        }
        _ => {
            let dap = quantity(total, "mGy.cm2");
            let rp = quantity(total / 200.0, "mGy");
            let components = vec![
                component("113722", "Dose Area Product Total", dap.clone()),
                component("113725", "Dose (RP) Total", rp),
            ];
            (dap, components)
        }
    };
    if study.modality == "XA" {
        let fluoro = quantity(random.between(60, 1800) as f64, "s");
        components.push(component("113730", "Total Fluoro Time", fluoro));
    }
    let mut summary = json!({
        "resourceType": "Observation",
        "identifier": [{"system": "urn:dicom:uid",
                        "value": format!("urn:oid:{}", random.dicom_uid())}],
        "partOf": [reference(&study.full_url)],
        "status": "final",
        "category": [{"coding": [coding(
            "http://terminology.hl7.org/CodeSystem/observation-category", "imaging", "Imaging")]}],
        "code": {"coding": [coding(LOINC, DOSE_SUMMARY,
                                   "Radiation exposure and protection information")]},
        "subject": reference(&study.patient.full_url),
        "effectiveDateTime": date_time(study.started),
        "performer": [organization_reference(study.facility)],
        "valueQuantity": value,
        "component": components,
    });
    if !members.is_empty() {
        summary["hasMember"] = Value::Array(members);
    }
    summary
}

/// One to three irradiation events (two to four for chest-abdomen-pelvis), sharing `total`.
fn ct_events(study: &Study<'_>, total: f64, random: &mut Random) -> Vec<(String, Value)> {
    let extra = u64::from(study.exam.site_code == "416775004");
    let count = random.between(1, 3) + extra;
    (0..count)
        .map(|n| {
            let dlp = total / count as f64;
            let length_cm = random.between(15, 60) as f64;
            let at = study.started + Duration::seconds(40 * n as i64);
            let event = json!({
                "resourceType": "Observation",
                "identifier": [{"system": "urn:dicom:uid",
                                "value": format!("urn:oid:{}", random.dicom_uid())}],
                "partOf": [reference(&study.full_url)],
                "status": "final",
                "code": {"coding": [coding(DCM, "113838", "DLP")]},
                "subject": reference(&study.patient.full_url),
                "effectiveDateTime": date_time(at),
                "valueQuantity": quantity(dlp, "mGy.cm"),
                "component": [
                    component("113830", "Mean CTDIvol", quantity(dlp / length_cm, "mGy")),
                    {"code": {"coding": [coding(DCM, "123014", "Target Region")]},
                     "valueCodeableConcept": {"coding": [coding(SNOMED, study.exam.site_code,
                                                                study.exam.site_display)]}},
                ],
            });
            (format!("urn:uuid:{}", random.uuid()), event)
        })
        .collect()
}
