//! fhir-sdk's typed FHIR models (R4B) for the domain logic that builds or reads resources
//! (dose, screening, workflow, the benchmark's region), behind two non-generic functions:
//! [`read`] and [`write`]. It depends on no other crate of the workspace.
//!
//! Why a crate of its own: serde's code for fhir-sdk's `Resource` enum (about 145 resource
//! types) is generated in the crate that calls serde on it, which made every release rebuild
//! of that crate cost about 4 minutes. Here it is generated once, in a crate that rarely
//! changes, with one deserializer entry point (`serde_json::from_value`) and one serializer
//! (`serde_json::to_vec`); callers link to two plain functions and rebuild in seconds.
//!
//! Why what the server stores and serves never goes through it: the typed models are a model,
//! not the resource a client sent. They silently drop unknown elements, drop a choice element
//! (`value[x]`) whose value is invalid, turn decimals into f64 (`412.30` comes back as `412.3`,
//! `128` as `128.0`), write a date-time at `+00:00` as `Z` and base64 without its line breaks,
//! accept empty arrays, `null` and empty ids, and know no R4 type that R4B dropped (the
//! MedicinalProduct family, EffectEvidenceSynthesis...). Stored JSON is the client's bytes,
//! read by `domain`; the typed models serve code that makes or reads a few elements of a
//! resource, where those losses do not matter.
//!
//! Numbers: the workspace's serde_json runs with `arbitrary_precision`. fhir-sdk's models read
//! through serde's buffering (the `Resource` enum is tagged by `resourceType`, choice elements
//! are flattened), and under `arbitrary_precision` a buffered number that is not an integer
//! reaches the model as a map that an f64 refuses (from a `serde_json::Value`, only one spelled
//! otherwise than its f64 is written, like `412.30` or `1e2`). Read straight from bytes, every
//! `valueQuantity` vanished without an error. [`read`] therefore parses the bytes into a
//! `Value` first and respells every such number as its f64.

use serde_json::{Number, Value};

pub use fhir_sdk::r4b::{codes, resources, types};
pub use fhir_sdk::{
    Base64Binary, BuilderError, Date, DateFormatError, DateTime, Instant, Integer64, Time, time,
};

pub use fhir_sdk::r4b::resources::Resource;

/// Why a resource could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The bytes are not JSON.
    #[error("not JSON")]
    Json(#[source] serde_json::Error),
    /// JSON the typed model refuses: not a resource, an unknown `resourceType` or code, a
    /// missing required element, a primitive of the wrong type.
    #[error("not a resource the typed model reads")]
    Refused(#[source] serde_json::Error),
    /// A value the model cannot write, such as a date whose year has more than 4 digits.
    #[error("not a resource the typed model writes")]
    Unwritable(#[source] serde_json::Error),
}

/// Reads a resource from JSON bytes, with the losses the crate documentation lists.
pub fn read(bytes: &[u8]) -> Result<Resource, ModelError> {
    let mut json: Value = serde_json::from_slice(bytes).map_err(ModelError::Json)?;
    respell_numbers(&mut json);
    serde_json::from_value(json).map_err(ModelError::Refused)
}

/// Writes a resource as compact JSON, elements in the model's order.
pub fn write(resource: &Resource) -> Result<Vec<u8>, ModelError> {
    serde_json::to_vec(resource).map_err(ModelError::Unwritable)
}

/// Respells every number that is not an integer as its f64, which serde_json's
/// `arbitrary_precision` hands to a buffered f64 as a number rather than as a map. A number
/// out of f64's range stays as it is (and the model refuses it).
fn respell_numbers(json: &mut Value) {
    match json {
        Value::Number(number) if number.as_u64().is_none() && number.as_i64().is_none() => {
            if let Some(float) = number.as_f64().and_then(Number::from_f64) {
                *number = float;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(respell_numbers),
        Value::Object(members) => members.values_mut().for_each(respell_numbers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(json: &str) -> Value {
        let resource = read(json.as_bytes()).expect("reads");
        let bytes = write(&resource).expect("writes");
        serde_json::from_slice(&bytes).expect("JSON")
    }

    #[test]
    fn an_unknown_element_is_dropped() {
        let json = round_trip(r#"{"resourceType": "Patient", "favouriteColour": "blue"}"#);
        assert_eq!(json, serde_json::json!({"resourceType": "Patient"}));
    }

    #[test]
    fn decimals_come_back_as_f64_412_30_as_412_3_and_128_as_128_0() {
        let json = r#"{"resourceType": "Observation", "status": "final", "code": {"text": "x"},
            "valueQuantity": {"value": 412.30}, "referenceRange": [{"low": {"value": 128}}]}"#;
        let text = round_trip(json).to_string();
        assert!(text.contains(r#""valueQuantity":{"value":412.3}"#), "{text}");
        assert!(text.contains(r#""low":{"value":128.0}"#), "{text}");
    }

    #[test]
    fn numbers_in_any_spelling_reach_the_model_despite_arbitrary_precision() {
        let json = r#"{"resourceType": "Observation", "status": "final", "code": {"text": "x"},
            "valueQuantity": {"value": 1E2}, "component": [{"code": {"text": "y"},
            "valueQuantity": {"value": -0.000}}]}"#;
        let text = round_trip(json).to_string();
        assert!(text.contains(r#""valueQuantity":{"value":100.0}"#), "{text}");
        assert!(text.contains(r#""valueQuantity":{"value":-0.0}"#), "{text}");
    }

    #[test]
    fn empty_arrays_are_accepted_and_not_written() {
        let json = round_trip(r#"{"resourceType": "Patient", "identifier": [], "name": []}"#);
        assert_eq!(json, serde_json::json!({"resourceType": "Patient"}));
    }

    #[test]
    fn a_missing_required_element_is_refused() {
        let refused = read(br#"{"resourceType": "Observation", "code": {"text": "x"}}"#);
        assert!(matches!(refused, Err(ModelError::Refused(_))), "{refused:?}");
        assert!(matches!(read(b"{"), Err(ModelError::Json(_))));
    }
}
