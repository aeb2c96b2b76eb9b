//! The DocumentReference the write run creates: a valid R4 clinical note of about 2 KB, whose
//! plain-text attachment is carried inline as about 1.4 KB of base64.

use serde_json::json;

/// Bytes of note text; base64 makes 1,400 characters of them.
const NOTE_BYTES: usize = 1050;

const NOTE_SENTENCE: &str = "Follow-up visit. Imaging reviewed with the patient; no new findings \
    since the previous study. Continue the current plan and schedule the next screening. ";

/// A DocumentReference about `patient_id`, serialized compactly.
pub(super) fn document_reference(patient_id: &str) -> String {
    let note = note_text();
    let document = json!({
        "resourceType": "DocumentReference",
        "status": "current",
        "docStatus": "final",
        "type": {
            "coding": [{"system": "http://loinc.org", "code": "11506-3",
                        "display": "Progress note"}],
            "text": "Progress note"
        },
        "category": [{"coding": [{
            "system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
            "code": "clinical-note", "display": "Clinical Note"}]}],
        "subject": {"reference": format!("Patient/{patient_id}")},
        "date": "2024-05-02T10:15:00Z",
        "description": "Follow-up note written by the panorama benchmark",
        "content": [{
            "attachment": {"contentType": "text/plain", "language": "en",
                           "data": base64(note.as_bytes()), "size": note.len(),
                           "title": "Progress note", "creation": "2024-05-02T10:15:00Z"}
        }]
    });
    document.to_string()
}

fn note_text() -> String {
    NOTE_SENTENCE.chars().cycle().take(NOTE_BYTES).collect()
}

/// Standard base64 with padding (RFC 4648 §4).
pub(super) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let word =
            chunk.iter().enumerate().fold(0u32, |w, (i, b)| w | u32::from(*b) << (16 - 8 * i));
        for position in 0..4 {
            let sextet = (word >> (18 - 6 * position)) & 0x3f;
            let present = position <= chunk.len();
            out.push(if present { char::from(ALPHABET[sextet as usize]) } else { '=' });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_4648_test_vectors() {
        let cases =
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain}");
        }
    }

    #[test]
    fn the_document_is_about_2_kb_with_1_4_kb_of_base64() -> anyhow::Result<()> {
        let text = document_reference("abc");
        let value: serde_json::Value = serde_json::from_str(&text)?;
        let data = value["content"][0]["attachment"]["data"].as_str().unwrap_or_default();
        assert_eq!(data.len(), 1400);
        assert!((1900..=2300).contains(&text.len()), "{} bytes", text.len());
        assert_eq!(value["subject"]["reference"], "Patient/abc");
        Ok(())
    }
}
