//! Documents of a patient: a DocumentReference with a short French note carried inline, as the
//! regional document-sharing service holds them.

use anyhow::Result;
use model::Base64Binary;
use model::codes::{CompositionStatus, DocumentReferenceStatus};
use model::resources::{DocumentReference, DocumentReferenceContent};
use model::types::{Attachment, CodeableConcept};

use super::Record;
use super::facilities::organization_path;
use super::imaging::started;
use super::patients::Patient;
use super::random::Random;
use super::tables::{DOCUMENT_TYPES, FACILITIES, NOTE_SENTENCES};
use super::typed::{coding, date_time, instant, json, reference};

pub(super) fn document(patient: &Patient, random: &mut Random, record: &mut Record) -> Result<()> {
    let (code, display, title) = *random.pick(&DOCUMENT_TYPES);
    let facility = *random.pick(&patient.facilities);
    let written = started(random);
    let sentences = random.between(2, 4) as usize;
    let first = random.below(NOTE_SENTENCES.len() as u64) as usize;
    let note: Vec<&str> =
        NOTE_SENTENCES.iter().cycle().skip(first).take(sentences).copied().collect();
    let note = format!("{title}, {}.\n{}\n", FACILITIES[facility].name, note.join(" "));

    let attachment = Attachment::builder()
        .content_type("text/plain; charset=utf-8".to_owned())
        .language("fr".to_owned())
        .size(u32::try_from(note.len())?)
        .data(Base64Binary(note.into_bytes()))
        .title(title.to_owned())
        .creation(date_time(written)?)
        .build()?;
    let kind = CodeableConcept::builder()
        .coding(vec![Some(coding("http://loinc.org", code, display)?)])
        .text(title.to_owned())
        .build()?;
    let organization = reference(&organization_path(facility))?;

    let document = DocumentReference::builder()
        .status(DocumentReferenceStatus::Current)
        .doc_status(CompositionStatus::Final)
        .r#type(kind)
        .subject(reference(&patient.full_url)?)
        .date(instant(written)?)
        .author(vec![Some(organization.clone())])
        .custodian(organization)
        .description(title.to_owned())
        .content(vec![Some(DocumentReferenceContent::builder().attachment(attachment).build()?)])
        .build()?;
    record.entries.push((format!("urn:uuid:{}", random.uuid()), json(document)?));
    Ok(())
}
