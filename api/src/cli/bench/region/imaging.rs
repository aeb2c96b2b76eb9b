//! One imaging study of a patient: the ImagingStudy (one series, the archive's endpoint), its
//! DiagnosticReport in French, and for X-ray modalities the dose summary Observation of the
//! Radiation Dose Summary IG (LOINC 73569-6) with, for CT, one Observation per irradiation event.

use anyhow::Result;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use model::codes::{DiagnosticReportStatus, ImagingStudyStatus, ObservationStatus};
use model::resources::{
    DiagnosticReport, DiagnosticReportEffective, ImagingStudy, ImagingStudySeries, Observation,
    ObservationComponent, ObservationComponentValue as ComponentValue, ObservationEffective,
    ObservationValue,
};
use model::types::{CodeableConcept, Identifier, Quantity, Reference};
use serde_json::Value;

use super::Record;
use super::facilities::{accession_system, endpoint_path, organization_path};
use super::patients::Patient;
use super::random::Random;
use super::tables::{CONCLUSIONS, Exam, MODALITY_MIX, exams};
use super::typed::{bare_coding, coding, concept, date_time, instant, json, reference};

pub(super) const DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";
const UCUM: &str = "http://unitsofmeasure.org";
const SNOMED: &str = "http://snomed.info/sct";
const LOINC: &str = "http://loinc.org";
const V2_0203: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";
const V2_0074: &str = "http://terminology.hl7.org/CodeSystem/v2-0074";
const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
/// The dose summary code of the Radiation Dose Summary IG.
pub(super) const DOSE_SUMMARY: &str = "73569-6";

/// Studies start between these days, inclusive, at local times of the region.
const FIRST_DAY: (i32, u32, u32) = (2015, 1, 1);
const DAYS: u64 = 4352; // to 2026-11-30
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

pub(super) fn study(patient: &Patient, random: &mut Random, record: &mut Record) -> Result<()> {
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
    let imaging_study = imaging_study(&study, &accession, random)?;
    record.entries.push((study.full_url.clone(), json(imaging_study)?));
    let report = diagnostic_report(&study, &accession, random)?;
    record.entries.push((format!("urn:uuid:{}", random.uuid()), json(report)?));
    if study.exam.typical_dose > 0.0 {
        dose(&study, random, record)?;
    }
    Ok(())
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

/// A DICOM UID as an identifier (of a study, or of the dose report an Observation comes from).
fn dicom_identifier(random: &mut Random) -> Result<Identifier> {
    let value = format!("urn:oid:{}", random.dicom_uid());
    Ok(Identifier::builder().system("urn:dicom:uid".to_owned()).value(value).build()?)
}

fn imaging_study(study: &Study<'_>, accession: &str, random: &mut Random) -> Result<ImagingStudy> {
    let modality = bare_coding(DCM, study.modality)?;
    let most = if study.modality == "CT" { 900 } else { 12 };
    let instances = u32::try_from(random.between(1, most))?;
    let (exam, started) = (study.exam, date_time(study.started)?);
    // The study's UID is drawn before its series': a seed keeps giving the same region.
    let study_uid = dicom_identifier(random)?;
    let accession = Identifier::builder()
        .r#type(concept(bare_coding(V2_0203, "ACSN")?)?)
        .system(accession_system(study.facility))
        .value(accession.to_owned())
        .build()?;
    let series = ImagingStudySeries::builder()
        .uid(random.dicom_uid())
        .number(1)
        .modality(modality.clone())
        .description(exam.title.to_owned())
        .number_of_instances(instances)
        .body_site(coding(SNOMED, exam.site_code, exam.site_display)?)
        .started(started.clone())
        .build()?;

    Ok(ImagingStudy::builder()
        .identifier(vec![Some(study_uid), Some(accession)])
        .status(ImagingStudyStatus::Available)
        .modality(vec![Some(modality)])
        .subject(reference(&study.patient.full_url)?)
        .started(started)
        .endpoint(vec![Some(reference(&endpoint_path(study.facility))?)])
        .number_of_series(1)
        .number_of_instances(instances)
        .description(exam.title.to_owned())
        .series(vec![Some(series)])
        .build()?)
}

fn diagnostic_report(
    study: &Study<'_>,
    accession: &str,
    random: &mut Random,
) -> Result<DiagnosticReport> {
    let issued = study.started + Duration::minutes(random.between(30, 72 * 60) as i64);
    let identifier = Identifier::builder()
        .system(accession_system(study.facility))
        .value(accession.to_owned())
        .build()?;
    let code = CodeableConcept::builder()
        .coding(vec![Some(coding(LOINC, "18748-4", "Diagnostic imaging study")?)])
        .text(format!("Compte rendu : {}", study.exam.title))
        .build()?;

    Ok(DiagnosticReport::builder()
        .identifier(vec![Some(identifier)])
        .status(DiagnosticReportStatus::Final)
        .category(vec![Some(concept(coding(V2_0074, "RAD", "Radiology")?)?)])
        .code(code)
        .subject(reference(&study.patient.full_url)?)
        .effective(DiagnosticReportEffective::DateTime(date_time(study.started)?))
        .issued(instant(issued)?)
        .performer(vec![Some(reference(&organization_path(study.facility))?)])
        .imaging_study(vec![Some(reference(&study.full_url)?)])
        .conclusion(random.pick(&CONCLUSIONS).to_string())
        .build()?)
}

/// The study's dose summary, and for CT its irradiation events.
fn dose(study: &Study<'_>, random: &mut Random, record: &mut Record) -> Result<()> {
    let total = study.exam.typical_dose * (0.5 + random.unit());
    let events = if study.modality == "CT" { ct_events(study, total, random)? } else { vec![] };
    let members = events.iter().map(|(url, _)| reference(url)).collect::<Result<_>>()?;
    let summary = dose_summary(study, total, events.len(), members, random)?;
    record.entries.push((format!("urn:uuid:{}", random.uuid()), json(summary)?));
    record.entries.extend(events);
    if study.started.year() >= RECENT_YEAR {
        record.recent_dose_summaries += 1;
    }
    Ok(())
}

/// A quantity in UCUM `unit`, rounded to two decimals.
fn quantity(value: f64, unit: &str) -> Result<Quantity> {
    let rounded = (value * 100.0).round() / 100.0;
    let quantity = Quantity::builder().value(rounded).unit(unit.to_owned());
    Ok(quantity.system(UCUM.to_owned()).code(unit.to_owned()).build()?)
}

/// A component coded in DICOM.
fn component(code: &str, display: &str, value: ComponentValue) -> Result<ObservationComponent> {
    let code = concept(coding(DCM, code, display)?)?;
    Ok(ObservationComponent::builder().code(code).value(value).build()?)
}

/// A component coded in DICOM whose value is a quantity.
fn measured(code: &str, display: &str, quantity: Quantity) -> Result<ObservationComponent> {
    component(code, display, ComponentValue::Quantity(quantity))
}

fn dose_summary(
    study: &Study<'_>,
    total: f64,
    events: usize,
    members: Vec<Reference>,
    random: &mut Random,
) -> Result<Observation> {
    let (value, mut components) = match study.modality {
        "CT" => {
            let dlp = quantity(total, "mGy.cm")?;
            let count = ComponentValue::Integer(i32::try_from(events)?);
            let components = vec![
                measured("113813", "CT Dose Length Product Total", dlp.clone())?,
                component("113812", "Total Number of Irradiation Events", count)?,
            ];
            (dlp, components)
        }
        "MG" => {
            let agd = quantity(total, "mGy")?;
            (agd.clone(), vec![measured("111637", "Accumulated Average Glandular Dose", agd)?])
        }
        _ => {
            let dap = quantity(total, "mGy.cm2")?;
            let rp = quantity(total / 200.0, "mGy")?;
            let components = vec![
                measured("113722", "Dose Area Product Total", dap.clone())?,
                measured("113725", "Dose (RP) Total", rp)?,
            ];
            (dap, components)
        }
    };
    if study.modality == "XA" {
        let fluoro = quantity(random.between(60, 1800) as f64, "s")?;
        components.push(measured("113730", "Total Fluoro Time", fluoro)?);
    }
    let category = concept(coding(OBSERVATION_CATEGORY, "imaging", "Imaging")?)?;
    let code = coding(LOINC, DOSE_SUMMARY, "Radiation exposure and protection information")?;

    Ok(Observation::builder()
        .identifier(vec![Some(dicom_identifier(random)?)])
        .part_of(vec![Some(reference(&study.full_url)?)])
        .status(ObservationStatus::Final)
        .category(vec![Some(category)])
        .code(concept(code)?)
        .subject(reference(&study.patient.full_url)?)
        .effective(ObservationEffective::DateTime(date_time(study.started)?))
        .performer(vec![Some(reference(&organization_path(study.facility))?)])
        .value(ObservationValue::Quantity(value))
        .has_member(members.into_iter().map(Some).collect())
        .component(components.into_iter().map(Some).collect())
        .build()?)
}

/// One to three irradiation events (two to four for chest-abdomen-pelvis), sharing `total`.
fn ct_events(study: &Study<'_>, total: f64, random: &mut Random) -> Result<Vec<(String, Value)>> {
    let extra = u64::from(study.exam.site_code == "416775004");
    let count = random.between(1, 3) + extra;
    (0..count)
        .map(|n| {
            let dlp = total / count as f64;
            let length_cm = random.between(15, 60) as f64;
            let at = study.started + Duration::seconds(40 * n as i64);
            let event = ct_event(study, dlp, length_cm, at, random)?;
            Ok((format!("urn:uuid:{}", random.uuid()), json(event)?))
        })
        .collect()
}

/// One irradiation event: its dose length product, mean CTDIvol and target region.
fn ct_event(
    study: &Study<'_>,
    dlp: f64,
    length_cm: f64,
    at: NaiveDateTime,
    random: &mut Random,
) -> Result<Observation> {
    let ctdivol = quantity(dlp / length_cm, "mGy")?;
    let region = concept(coding(SNOMED, study.exam.site_code, study.exam.site_display)?)?;

    Ok(Observation::builder()
        .identifier(vec![Some(dicom_identifier(random)?)])
        .part_of(vec![Some(reference(&study.full_url)?)])
        .status(ObservationStatus::Final)
        .code(concept(coding(DCM, "113838", "DLP")?)?)
        .subject(reference(&study.patient.full_url)?)
        .effective(ObservationEffective::DateTime(date_time(at)?))
        .value(ObservationValue::Quantity(quantity(dlp, "mGy.cm")?))
        .component(vec![
            Some(measured("113830", "Mean CTDIvol", ctdivol)?),
            Some(component("123014", "Target Region", ComponentValue::CodeableConcept(region))?),
        ])
        .build()?)
}
