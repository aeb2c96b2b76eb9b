//! Documents of a patient: a DocumentReference with a short French note carried inline, as the
//! regional document-sharing service holds them.

use serde_json::json;

use super::facilities::organization_reference;
use super::imaging::{date_time, started};
use super::patients::Patient;
use super::random::Random;
use super::tables::{DOCUMENT_TYPES, FACILITIES, NOTE_SENTENCES};
use super::{Record, reference};
use crate::cli::bench::document::base64;

pub(super) fn document(patient: &Patient, random: &mut Random, record: &mut Record) {
    let (code, display, title) = *random.pick(&DOCUMENT_TYPES);
    let facility = *random.pick(&patient.facilities);
    let written = date_time(started(random));
    let sentences = random.between(2, 4) as usize;
    let first = random.below(NOTE_SENTENCES.len() as u64) as usize;
    let note: Vec<&str> =
        NOTE_SENTENCES.iter().cycle().skip(first).take(sentences).copied().collect();
    let note = format!("{title}, {}.\n{}\n", FACILITIES[facility].name, note.join(" "));
    let document = json!({
        "resourceType": "DocumentReference",
        "status": "current",
        "docStatus": "final",
        "type": {"coding": [{"system": "http://loinc.org", "code": code, "display": display}],
                 "text": title},
        "subject": reference(&patient.full_url),
        "date": written,
        "author": [organization_reference(facility)],
        "custodian": organization_reference(facility),
        "description": title,
        "content": [{"attachment": {
            "contentType": "text/plain; charset=utf-8",
            "language": "fr",
            "data": base64(note.as_bytes()),
            "size": note.len(),
            "title": title,
            "creation": written,
        }}],
    });
    record.entries.push((format!("urn:uuid:{}", random.uuid()), document));
}
