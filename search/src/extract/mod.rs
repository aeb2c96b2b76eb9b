//! Index values of a resource: every search parameter of its type evaluated on it, each
//! result turned into the value its parameter type indexes.
//!
//! Conventions the store relies on:
//! - an Identifier gives a `Token` (system, value, `type.text` as text) and, per coding of
//!   its `type`, an `OfType` entry under the same parameter code, for `:of-type`;
//! - a `code` element with a required binding to one code system carries that system;
//! - a CodeableConcept gives a `Token` per coding (its display as text) and, when it has
//!   `text`, a `Token` with only that text;
//! - `Reference.url` is the reference as written; `#contained` references give nothing;
//! - a composite parameter gives one `Composite` entry per combination of its components'
//!   values, in the order of the definition's components;
//! - identical entries of one parameter are given once.

mod quantity;
mod values;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use serde_json::Value;

use crate::fhirpath::{self, Item, Mode};
use crate::registry::{ParamKind, Registry, SearchParam};

/// One index row: a parameter code and one of its values.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexEntry {
    /// The parameter code (`birthdate`, `_id`).
    pub param: String,
    pub value: IndexValue,
}

/// A value as a search parameter type indexes it.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexValue {
    /// `normalized`: case folded and accents removed (`Müller` -> `muller`); `exact`: as written.
    String {
        normalized: String,
        exact: String,
    },
    /// `text` is the display or text, normalized like strings, for `:text`.
    Token {
        system: Option<String>,
        code: Option<String>,
        text: Option<String>,
    },
    /// An Identifier's `type` coding and its value, for `identifier:of-type=system|code|value`.
    OfType {
        type_system: Option<String>,
        type_code: String,
        value: String,
    },
    /// `url` is the reference as written (absent for a reference by identifier only);
    /// `target_type`/`target_id` come from its last two segments, or from `Reference.type`.
    // FIXME(#3): an absolute URL to another server gets the same type/id as a local
    // reference; telling them apart needs the server's base URL, which this crate lacks.
    Reference {
        target_type: Option<String>,
        target_id: Option<String>,
        url: Option<String>,
        identifier: Option<(Option<String>, String)>,
    },
    /// Epoch microseconds UTC, both bounds inclusive, at the value's own precision; an open
    /// Period end is `i64::MAX`, an open start `i64::MIN`.
    Date {
        low: i64,
        high: i64,
    },
    /// `value` is the exact decimal text; `low`/`high` the range its precision implies.
    Number {
        value: String,
        low: f64,
        high: f64,
    },
    /// `canonical` is the value and unit in canonical UCUM when the unit is a known one.
    /// A Range gives its low value as `value` and its bounds as `low`/`high`; a comparator
    /// (`<5`) opens the range on its side.
    Quantity {
        value: String,
        low: f64,
        high: f64,
        system: Option<String>,
        code: Option<String>,
        unit: Option<String>,
        canonical: Option<(f64, String)>,
    },
    Uri {
        value: String,
    },
    /// One value per component, in the order of the definition's components.
    Composite(Vec<IndexValue>),
}

/// The index entries of `resource` for every search parameter of its type.
pub fn extract(resource: &Value) -> Vec<IndexEntry> {
    let Some(resource_type) = resource.get("resourceType").and_then(Value::as_str) else {
        return Vec::new();
    };
    let mut entries: Vec<IndexEntry> = Vec::new();
    let mut found = Vec::new();
    // Entries of the current parameter by the hash of their value, to give identical values
    // once in linear time (a resource may repeat an element thousands of times).
    let mut seen: HashMap<u64, Vec<usize>> = HashMap::new();
    let root = [fhirpath::root(resource)];
    for param in Registry::r4().for_type(resource_type) {
        found.clear();
        values_on(param, resource, &root, &mut found);
        seen.clear();
        for value in found.drain(..) {
            let same = seen.entry(value_hash(&value)).or_default();
            if !same.iter().any(|&at| entries[at].value == value) {
                same.push(entries.len());
                entries.push(IndexEntry { param: param.code.clone(), value });
            }
        }
    }
    entries
}

/// A hash under which equal values collide: doubles hash by their bits, `-0.0` as `0.0`.
fn value_hash(value: &IndexValue) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    hash_value(value, &mut hasher);
    hasher.finish()
}

fn hash_value(value: &IndexValue, state: &mut impl Hasher) {
    let real = |x: f64, state: &mut _| Hash::hash(&(if x == 0.0 { 0 } else { x.to_bits() }), state);
    std::mem::discriminant(value).hash(state);
    match value {
        IndexValue::String { normalized, exact } => (normalized, exact).hash(state),
        IndexValue::Token { system, code, text } => (system, code, text).hash(state),
        IndexValue::OfType { type_system, type_code, value } => {
            (type_system, type_code, value).hash(state);
        }
        IndexValue::Reference { target_type, target_id, url, identifier } => {
            (target_type, target_id, url, identifier).hash(state);
        }
        IndexValue::Date { low, high } => (low, high).hash(state),
        IndexValue::Number { value, low, high } => {
            value.hash(state);
            real(*low, state);
            real(*high, state);
        }
        IndexValue::Quantity { value, low, high, system, code, unit, canonical } => {
            (value, system, code, unit).hash(state);
            real(*low, state);
            real(*high, state);
            if let Some((amount, unit)) = canonical {
                real(*amount, state);
                unit.hash(state);
            }
        }
        IndexValue::Uri { value } => value.hash(state),
        IndexValue::Composite(parts) => parts.iter().for_each(|part| hash_value(part, state)),
    }
}

/// The values of one parameter on `resource`, duplicates included.
pub fn param_values(param: &SearchParam, resource: &Value, out: &mut Vec<IndexValue>) {
    values_on(param, resource, &[fhirpath::root(resource)], out);
}

fn values_on<'a>(
    param: &SearchParam,
    resource: &'a Value,
    root: &[Item<'a>],
    out: &mut Vec<IndexValue>,
) {
    let Some(expr) = &param.parsed else { return };
    // An evaluation error means the resource does not have the shape R4 gives it; such a
    // resource simply has no value for this parameter.
    let Ok(items) = fhirpath::evaluate_on(expr, resource, root, Mode::Search) else { return };
    match param.kind {
        ParamKind::Composite => composite_values(param, resource, &items, out),
        kind => items.iter().for_each(|item| values::push(kind, item, out)),
    }
}

fn composite_values(
    param: &SearchParam,
    resource: &Value,
    roots: &[Item<'_>],
    out: &mut Vec<IndexValue>,
) {
    let complete = param.parsed_components.len() == param.components.len()
        && param.component_kinds.len() == param.components.len();
    if !complete {
        return;
    }
    for root in roots {
        let focus = std::slice::from_ref(root);
        let mut found = Vec::with_capacity(param.components.len());
        for expr in &param.parsed_components {
            let items =
                fhirpath::evaluate_on(expr, resource, focus, Mode::Search).unwrap_or_default();
            // A component without values leaves no combination; skip building the others.
            if items.is_empty() {
                break;
            }
            found.push(items);
        }
        if found.len() < param.components.len() {
            continue;
        }
        let mut combinations: Vec<Vec<IndexValue>> = vec![Vec::new()];
        for (items, kind) in found.iter().zip(&param.component_kinds) {
            let mut component = Vec::new();
            items.iter().for_each(|item| values::push(*kind, item, &mut component));
            combinations = product(combinations, &component);
        }
        out.extend(combinations.into_iter().filter(|c| !c.is_empty()).map(IndexValue::Composite));
    }
}

/// Every combination extended by every value of the next component.
fn product(combinations: Vec<Vec<IndexValue>>, component: &[IndexValue]) -> Vec<Vec<IndexValue>> {
    let mut out = Vec::with_capacity(combinations.len() * component.len());
    for combination in &combinations {
        for value in component {
            let mut next = combination.clone();
            next.push(value.clone());
            out.push(next);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn values_of<'e>(entries: &'e [IndexEntry], param: &str) -> Vec<&'e IndexValue> {
        entries.iter().filter(|e| e.param == param).map(|e| &e.value).collect()
    }

    #[test]
    fn identical_values_of_a_parameter_are_given_once_however_many_there_are() {
        let identifiers: Vec<_> = (0..20_000)
            .map(|i| json!({"system": "urn:s", "value": format!("v{}", i % 5_000)}))
            .collect();
        let entries =
            extract(&json!({"resourceType": "Patient", "identifier": identifiers, "active": true}));
        assert_eq!(values_of(&entries, "identifier").len(), 5_000);
        assert_eq!(values_of(&entries, "active").len(), 1);
    }

    #[test]
    fn patient_gender_carries_its_implicit_system() {
        let entries = extract(&json!({"resourceType": "Patient", "gender": "female"}));
        let expected = IndexValue::Token {
            system: Some("http://hl7.org/fhir/administrative-gender".into()),
            code: Some("female".into()),
            text: None,
        };
        assert_eq!(values_of(&entries, "gender"), [&expected]);
    }

    #[test]
    fn resource_level_parameters_come_from_id_and_meta() {
        let entries = extract(&json!({"resourceType": "Observation", "id": "o1",
            "meta": {
                "lastUpdated": "2020-01-01T00:00:00Z",
                "source": "http://src",
                "tag": [{"system": "s", "code": "t"}]
            }
        }));
        assert_eq!(
            values_of(&entries, "_id"),
            [&IndexValue::Token { system: None, code: Some("o1".into()), text: None }]
        );
        assert_eq!(
            values_of(&entries, "_source"),
            [&IndexValue::Uri { value: "http://src".into() }]
        );
        assert_eq!(values_of(&entries, "_tag").len(), 1);
        let (low, high) = crate::datetime::date_range("2020-01-01T00:00:00Z").expect("valid");
        assert_eq!(values_of(&entries, "_lastUpdated"), [&IndexValue::Date { low, high }]);
    }

    #[test]
    fn composite_gives_one_entry_per_combination() {
        let observation = json!({"resourceType": "Observation",
            "code": {"coding": [
                {"system": "http://loinc.org", "code": "29463-7"},
                {"system": "http://snomed.info/sct", "code": "27113001"}
            ]},
            "valueQuantity": {
                "value": 185,
                "unit": "lbs",
                "system": "http://unitsofmeasure.org",
                "code": "[lb_av]"
            }
        });
        let entries = extract(&observation);
        let composites = values_of(&entries, "code-value-quantity");
        assert_eq!(composites.len(), 2);
        let IndexValue::Composite(parts) = composites[0] else { panic!("not a composite") };
        assert!(matches!(&parts[0], IndexValue::Token { code: Some(c), .. } if c == "29463-7"));
        assert!(matches!(&parts[1], IndexValue::Quantity { value, .. } if value == "185"));
    }

    #[test]
    fn identical_values_are_given_once() {
        let names = json!([{"family": "Chalmers"}, {"family": "Chalmers"}]);
        let patient = json!({"resourceType": "Patient", "name": names});
        let entries = extract(&patient);
        assert_eq!(values_of(&entries, "family").len(), 1);
    }

    #[test]
    fn a_resource_without_a_type_gives_nothing() {
        assert!(extract(&json!({"id": "x"})).is_empty());
        assert!(extract(&json!("not an object")).is_empty());
    }
}
