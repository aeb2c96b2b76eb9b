//! Turning one FHIRPath item into the index values of one parameter type: strings, tokens,
//! references and uris here; dates, numbers and quantities in `quantity`.

use serde_json::Value;

use super::IndexValue;
use super::quantity;
use crate::fhirpath::{Item, Node};
use crate::normalize::normalize;
use crate::reference::target_of;
use crate::registry::ParamKind;

const NAME_PARTS: [&str; 5] = ["family", "given", "text", "prefix", "suffix"];
const ADDRESS_PARTS: [&str; 7] =
    ["line", "city", "district", "state", "postalCode", "country", "text"];

/// Appends the values `item` gives a parameter of `kind`.
pub(super) fn push(kind: ParamKind, item: &Item<'_>, out: &mut Vec<IndexValue>) {
    let node = match item {
        Item::Node(node) => node,
        Item::Boolean(b) => return push_system_token(kind, &b.to_string(), out),
        Item::String(s) => return push_system_token(kind, s, out),
        _ => return,
    };
    let Some(value) = node.value else { return };
    match kind {
        ParamKind::String => strings(type_of(node), value, out),
        ParamKind::Token => tokens(node, value, out),
        ParamKind::Reference => references(type_of(node), value, out),
        ParamKind::Uri => out.extend(text(value).map(|v| IndexValue::Uri { value: v.to_owned() })),
        ParamKind::Date => quantity::dates(type_of(node), value, out),
        ParamKind::Number => quantity::numbers(value, out),
        ParamKind::Quantity => quantity::quantities(type_of(node), value, out),
        ParamKind::Composite | ParamKind::Special => {}
    }
}

/// A boolean or string that an expression computed (`deceased`), indexed as a token code.
fn push_system_token(kind: ParamKind, code: &str, out: &mut Vec<IndexValue>) {
    if kind == ParamKind::Token {
        out.push(token(None, Some(code), None));
    }
}

/// The node's FHIR type, or a guess from its shape when the model could not tell.
pub(super) fn type_of<'n>(node: &Node<'n>) -> &'n str {
    if !node.type_name.is_empty() {
        return node.type_name;
    }
    let Some(value) = node.value else { return "" };
    let has = |key: &str| value.get(key).is_some();
    match value {
        Value::String(_) => "string",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "decimal",
        _ if has("coding") => "CodeableConcept",
        _ if has("reference") => "Reference",
        _ if has("family") || has("given") => "HumanName",
        _ if has("line") || has("city") || has("postalCode") => "Address",
        _ if has("start") || has("end") => "Period",
        _ if has("code") && (has("system") || has("display")) && !has("value") => "Coding",
        _ if has("value") && (has("unit") || has("code")) => "Quantity",
        _ if has("value") && (has("system") || has("type")) => "Identifier",
        _ if has("resourceType") => "Resource",
        _ => "",
    }
}

fn text(value: &Value) -> Option<&str> {
    value.as_str().filter(|s| !s.is_empty())
}

fn field<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(text)
}

/// Each string of `value[key]`, whether it is one string or a list of them.
fn each<'v>(value: &'v Value, key: &str) -> impl Iterator<Item = &'v str> {
    let found = value.get(key);
    let list = found.and_then(Value::as_array).map(|a| a.iter()).into_iter().flatten();
    found.filter(|v| v.is_string()).into_iter().chain(list).filter_map(text)
}

fn strings(type_name: &str, value: &Value, out: &mut Vec<IndexValue>) {
    let parts: &[&str] = match type_name {
        "HumanName" => &NAME_PARTS,
        "Address" => &ADDRESS_PARTS,
        _ => return out.extend(text(value).map(string_value)),
    };
    for part in parts {
        out.extend(each(value, part).map(string_value));
    }
}

fn string_value(exact: &str) -> IndexValue {
    IndexValue::String { normalized: normalize(exact), exact: exact.to_owned() }
}

fn token(system: Option<&str>, code: Option<&str>, text: Option<&str>) -> IndexValue {
    IndexValue::Token {
        system: system.map(str::to_owned),
        code: code.map(str::to_owned),
        text: text.map(normalize),
    }
}

fn tokens(node: &Node<'_>, value: &Value, out: &mut Vec<IndexValue>) {
    match type_of(node) {
        "Coding" => coding(value, out),
        "CodeableConcept" => {
            value
                .get("coding")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .for_each(|c| coding(c, out));
            out.extend(field(value, "text").map(|t| token(None, None, Some(t))));
        }
        "Identifier" => identifier(value, out),
        "ContactPoint" => out.extend(field(value, "value").map(|v| token(None, Some(v), None))),
        "boolean" => out.extend(value.as_bool().map(|b| token(None, Some(&b.to_string()), None))),
        "code" => out.extend(text(value).map(|c| token(node.implicit_system, Some(c), None))),
        _ => out.extend(text(value).map(|c| token(None, Some(c), None))),
    }
}

fn coding(value: &Value, out: &mut Vec<IndexValue>) {
    let (system, code, display) =
        (field(value, "system"), field(value, "code"), field(value, "display"));
    if system.is_some() || code.is_some() || display.is_some() {
        out.push(token(system, code, display));
    }
}

fn identifier(value: &Value, out: &mut Vec<IndexValue>) {
    let (system, code) = (field(value, "system"), field(value, "value"));
    let type_text = value.get("type").and_then(|t| field(t, "text"));
    if system.is_some() || code.is_some() {
        out.push(token(system, code, type_text));
    }
    let (Some(code), Some(kind)) = (code, value.get("type")) else { return };
    for coding in kind.get("coding").and_then(Value::as_array).into_iter().flatten() {
        let Some(type_code) = field(coding, "code") else { continue };
        out.push(IndexValue::OfType {
            type_system: field(coding, "system").map(str::to_owned),
            type_code: type_code.to_owned(),
            value: code.to_owned(),
        });
    }
}

fn references(type_name: &str, value: &Value, out: &mut Vec<IndexValue>) {
    if let Some(url) = text(value) {
        return out.push(reference_to(url));
    }
    if let Some(resource_type) = field(value, "resourceType") {
        return out.extend(contained_resource(resource_type, value));
    }
    if type_name == "Reference"
        || value.get("reference").is_some()
        || value.get("identifier").is_some()
    {
        out.extend(reference_value(value));
    }
}

/// A reference, canonical or uri written as text.
fn reference_to(url: &str) -> IndexValue {
    let target = target_of(url);
    IndexValue::Reference {
        target_type: target.map(|(t, _)| t.to_owned()),
        target_id: target.map(|(_, id)| id.to_owned()),
        url: Some(url.to_owned()),
        identifier: None,
    }
}

/// A resource an expression reached directly (`Bundle.entry[0].resource`).
fn contained_resource(resource_type: &str, value: &Value) -> Option<IndexValue> {
    let id = field(value, "id")?;
    Some(IndexValue::Reference {
        target_type: Some(resource_type.to_owned()),
        target_id: Some(id.to_owned()),
        url: Some(format!("{resource_type}/{id}")),
        identifier: None,
    })
}

fn reference_value(value: &Value) -> Option<IndexValue> {
    let url = field(value, "reference").filter(|r| !r.starts_with('#'));
    let identifier = value.get("identifier").and_then(|i| {
        let id_value = field(i, "value")?;
        Some((field(i, "system").map(str::to_owned), id_value.to_owned()))
    });
    if url.is_none() && identifier.is_none() {
        return None;
    }
    let target = url.and_then(target_of);
    let declared = field(value, "type");
    Some(IndexValue::Reference {
        target_type: target.map(|(t, _)| t).or(declared).map(str::to_owned),
        target_id: target.map(|(_, id)| id.to_owned()),
        url: url.map(str::to_owned),
        identifier,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn node<'v>(value: &'v Value, type_name: &'static str) -> Item<'v> {
        Item::Node(Node { value: Some(value), shadow: None, type_name, implicit_system: None })
    }

    fn values(kind: ParamKind, value: &Value, type_name: &'static str) -> Vec<IndexValue> {
        let mut out = Vec::new();
        push(kind, &node(value, type_name), &mut out);
        out
    }

    #[test]
    fn human_name_gives_each_part_normalized() {
        let name = json!({"family": "Müller", "given": ["Zoë", "Anne"], "prefix": ["Dr"]});
        let got = values(ParamKind::String, &name, "HumanName");
        let normalized: Vec<_> = got
            .iter()
            .map(|v| match v {
                IndexValue::String { normalized, .. } => normalized.as_str(),
                _ => "",
            })
            .collect();
        assert_eq!(normalized, ["muller", "zoe", "anne", "dr"]);
    }

    #[test]
    fn codeable_concept_gives_each_coding_and_its_text() {
        let concept = json!({
            "coding": [{"system": "http://loinc.org", "code": "29463-7", "display": "Body Weight"}],
            "text": "Weight"
        });
        assert_eq!(
            values(ParamKind::Token, &concept, "CodeableConcept"),
            [
                token(Some("http://loinc.org"), Some("29463-7"), Some("Body Weight")),
                token(None, None, Some("Weight")),
            ]
        );
    }

    #[test]
    fn identifier_gives_a_token_and_an_of_type_entry_per_type_coding() {
        let identifier = json!({"system": "urn:oid:1.2.36.146.595.217.0.1", "value": "12345",
            "type": {"coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}
            ]}
        });
        assert_eq!(
            values(ParamKind::Token, &identifier, "Identifier"),
            [
                token(Some("urn:oid:1.2.36.146.595.217.0.1"), Some("12345"), None),
                IndexValue::OfType {
                    type_system: Some("http://terminology.hl7.org/CodeSystem/v2-0203".into()),
                    type_code: "MR".into(),
                    value: "12345".into(),
                },
            ]
        );
    }

    #[test]
    fn absolute_reference_keeps_its_url_and_reads_type_and_id() {
        let reference = json!({"reference": "http://example.org/fhir/Patient/23"});
        assert_eq!(
            values(ParamKind::Reference, &reference, "Reference"),
            [IndexValue::Reference {
                target_type: Some("Patient".into()),
                target_id: Some("23".into()),
                url: Some("http://example.org/fhir/Patient/23".into()),
                identifier: None,
            }]
        );
    }

    #[test]
    fn contained_references_are_skipped_and_identifier_only_ones_kept() {
        assert!(
            values(ParamKind::Reference, &json!({"reference": "#med"}), "Reference").is_empty()
        );
        let by_identifier =
            json!({"type": "Patient", "identifier": {"system": "urn:x", "value": "7"}});
        assert_eq!(
            values(ParamKind::Reference, &by_identifier, "Reference"),
            [IndexValue::Reference {
                target_type: Some("Patient".into()),
                target_id: None,
                url: None,
                identifier: Some((Some("urn:x".into()), "7".into())),
            }]
        );
    }

    #[test]
    fn contact_point_and_boolean_give_plain_codes() {
        let phone = json!({"system": "phone", "value": "555-1234"});
        assert_eq!(
            values(ParamKind::Token, &phone, "ContactPoint"),
            [token(None, Some("555-1234"), None)]
        );
        assert_eq!(
            values(ParamKind::Token, &json!(true), "boolean"),
            [token(None, Some("true"), None)]
        );
    }

    #[test]
    fn shapes_without_a_known_type_are_guessed() {
        let coding = json!({"system": "s", "code": "c"});
        assert_eq!(values(ParamKind::Token, &coding, ""), [token(Some("s"), Some("c"), None)]);
    }
}
