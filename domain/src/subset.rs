//! `_summary` and `_elements`: a resource cut down to the elements a client asked for, as the
//! R4 definitions mark them (`isSummary`, `min`), and tagged SUBSETTED when anything was cut.
//!
//! Cutting works on the parsed JSON and only removes members: what is kept keeps its text
//! (decimals) and its order. It applies to any resource, matches and included ones alike.

use serde_json::{Map, Value, json};

use crate::validation::schema::{self, NodeId, Schema, Ty};
use crate::{Error, Result};

/// The system of the SUBSETTED tag R4 asks servers to put on resources they cut.
pub const SUBSETTED_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";
pub const SUBSETTED_CODE: &str = "SUBSETTED";

type Object = Map<String, Value>;

/// What part of each resource a client asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subset {
    /// `_summary=true`: the elements marked `isSummary`, at every level, plus `id` and `meta`.
    Summary,
    /// `_summary=text`: `text`, `id`, `meta` and the mandatory top-level elements.
    Text,
    /// `_summary=data`: everything but `text`.
    Data,
    /// `_elements`: these top-level elements, plus `id`, `meta` and the mandatory ones. Names
    /// that are no element of the resource are ignored.
    Elements(Vec<String>),
}

impl Subset {
    /// The subset a search asks for; `None` for whole resources (`_summary=count` included,
    /// since a count has no entries to cut).
    pub fn for_search(params: &[(String, String)]) -> Result<Option<Subset>> {
        requested(params, true)
    }

    /// The subset a read or vread asks for; `_summary=count` is for searches only.
    pub fn for_read(params: &[(String, String)]) -> Result<Option<Subset>> {
        requested(params, false)
    }

    /// The subset for the resources a search includes: R4 applies `_elements` to the matches
    /// only, and `_summary` to every resource.
    pub fn for_included(&self) -> Option<&Subset> {
        match self {
            Subset::Elements(_) => None,
            other => Some(other),
        }
    }

    /// Cuts `resource` (a resource's JSON) down to this subset and tags it SUBSETTED when
    /// anything was removed; returns whether it was. A value that is no R4 resource is left
    /// as it is.
    pub fn apply(&self, resource: &mut Value) -> bool {
        let schema = schema::get();
        let Some(obj) = resource.as_object_mut() else { return false };
        let node = obj.get("resourceType").and_then(Value::as_str).and_then(|t| schema.resource(t));
        let Some(node) = node else { return false };
        let cut = match self {
            Subset::Summary => summarize(schema, node, obj, true),
            Subset::Text => keep_top_level(schema, node, obj, |name, _| name == "text"),
            Subset::Data => obj.shift_remove("text").is_some(),
            Subset::Elements(names) => {
                let resource_type = obj.get("resourceType").and_then(Value::as_str);
                let wanted = top_level_names(names, resource_type.unwrap_or_default());
                keep_top_level(schema, node, obj, |name, json| {
                    wanted.iter().any(|w| w == name || w == json)
                })
            }
        };
        if cut {
            tag_subsetted(obj);
        }
        cut
    }
}

fn requested(params: &[(String, String)], search: bool) -> Result<Option<Subset>> {
    let summary = params.iter().rev().find(|(name, _)| name == "_summary");
    let summary = match summary.map(|(_, value)| value.as_str()) {
        None | Some("false") => None,
        Some("true") => Some(Subset::Summary),
        Some("text") => Some(Subset::Text),
        Some("data") => Some(Subset::Data),
        Some("count") if search => return Ok(None),
        Some("count") => {
            return Err(Error::bad_request("`_summary=count` applies to searches only"));
        }
        Some(_) => {
            return Err(Error::bad_request(
                "invalid value for `_summary`: expected true, text, data, count or false",
            ));
        }
    };
    let elements: Vec<String> = params
        .iter()
        .filter(|(name, _)| name == "_elements")
        .flat_map(|(_, value)| value.split(','))
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    match (summary, elements.is_empty()) {
        (Some(_), false) => Err(Error::bad_request(
            "`_summary=true|text|data` and `_elements` cannot be used together",
        )),
        (Some(summary), true) => Ok(Some(summary)),
        (None, false) => Ok(Some(Subset::Elements(elements))),
        (None, true) => Ok(None),
    }
}

/// `Patient.name` and `name.family` both name the top-level element `name` of a Patient: the
/// whole of it is kept, which R4 allows (servers may return more than was asked).
fn top_level_names(names: &[String], resource_type: &str) -> Vec<String> {
    let names = names.iter().map(|name| {
        let name =
            name.strip_prefix(resource_type).and_then(|n| n.strip_prefix('.')).unwrap_or(name);
        name.split('.').next().unwrap_or(name).to_owned()
    });
    names.collect()
}

/// Keeps `resourceType`, `id`, `meta`, the mandatory elements and those `wanted` accepts (by
/// element name, `value`, or JSON name, `valueQuantity`); a primitive's `_name` companion goes
/// with it. True when anything was removed.
fn keep_top_level(
    schema: &Schema,
    node: NodeId,
    obj: &mut Object,
    wanted: impl Fn(&str, &str) -> bool,
) -> bool {
    let node = schema.node(node);
    let before = obj.len();
    obj.retain(|key, _| {
        if matches!(key.as_str(), "resourceType" | "id" | "meta") {
            return true;
        }
        let Some(prop) = node.props.get(key.as_str()) else { return false };
        let element = &node.elements[usize::from(prop.element)];
        let json = &element.variants[usize::from(prop.variant)].json;
        node.required.contains(&prop.element) || wanted(&element.name, json)
    });
    obj.len() < before
}

/// Keeps the members of `obj` whose element is marked `isSummary`, and inside those the summary
/// members of complex values, at every level; `resourceType`, `id` and `meta` of the resource
/// are kept whole. True when anything was removed.
///
/// Primitives (with their `_name` companions), extensions and nested resources are kept whole
/// when their element is: an extension is defined by its own profile, not the base definitions
/// (whose `Extension.url` is not a summary element), and a nested resource is not the one asked
/// for. The recursion goes no deeper than the JSON, which the parser bounds.
fn summarize(schema: &Schema, node: NodeId, obj: &mut Object, is_resource: bool) -> bool {
    let node = schema.node(node);
    let before = obj.len();
    let mut nested_cut = false;
    obj.retain(|key, value| {
        if is_resource && matches!(key.as_str(), "resourceType" | "id" | "meta") {
            return true;
        }
        let Some(prop) = node.props.get(key.as_str()) else { return false };
        let element = &node.elements[usize::from(prop.element)];
        if !element.summary {
            return false;
        }
        match element.variants[usize::from(prop.variant)].ty {
            Ty::Complex(child) if child != schema.extension_node => {
                let (cut, empty) = summarize_value(schema, child, value);
                nested_cut |= cut;
                !empty
            }
            _ => true,
        }
    });
    obj.len() < before || nested_cut
}

/// Summarizes a complex value or an array of them; (anything removed, nothing left).
fn summarize_value(schema: &Schema, node: NodeId, value: &mut Value) -> (bool, bool) {
    match value {
        Value::Object(obj) => {
            let cut = summarize(schema, node, obj, false);
            (cut, obj.is_empty())
        }
        Value::Array(items) => {
            let before = items.len();
            let mut cut = false;
            items.retain_mut(|item| {
                let (item_cut, empty) = summarize_value(schema, node, item);
                cut |= item_cut;
                !empty
            });
            (cut || items.len() < before, items.is_empty())
        }
        _ => (false, false),
    }
}

/// Adds the SUBSETTED tag to `meta.tag`, once.
fn tag_subsetted(obj: &mut Object) {
    let meta = obj.entry("meta").or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(meta) = meta else { return };
    let tags = meta.entry("tag").or_insert_with(|| Value::Array(Vec::new()));
    let Value::Array(tags) = tags else { return };
    let present =
        tags.iter().any(|tag| tag["system"] == SUBSETTED_SYSTEM && tag["code"] == SUBSETTED_CODE);
    if !present {
        tags.push(json!({"system": SUBSETTED_SYSTEM, "code": SUBSETTED_CODE}));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    /// `resource` cut to `subset`, written compactly, so that order and number text show.
    fn cut(subset: &Subset, resource: &str) -> String {
        let mut value = crate::json::parse(resource.as_bytes()).unwrap();
        subset.apply(&mut value);
        serde_json::to_string(&value).unwrap()
    }

    const TAG: &str = r#"{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationValue","code":"SUBSETTED"}"#;

    const PATIENT: &str = r#"{"resourceType":"Patient","id":"p","meta":{"versionId":"1"},
        "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},
        "extension":[{"url":"http://e","valueString":"x"}],
        "active":true,"name":[{"extension":[{"url":"http://e","valueString":"y"}],"family":"Doe",
        "_family":{"extension":[{"url":"http://e","valueString":"z"}]}}],"gender":"female",
        "photo":[{"contentType":"image/png"}],"contact":[{"name":{"family":"Roe"}}],
        "link":[{"modifierExtension":[{"url":"http://m","valueBoolean":true}],
        "other":{"reference":"Patient/q","extension":[{"url":"http://e","valueString":"w"}]},
        "type":"seealso"}]}"#;

    #[test]
    fn summary_keeps_the_summary_elements_at_every_level_and_tags_the_result() {
        let expected = format!(
            concat!(
                r#"{{"resourceType":"Patient","id":"p","meta":{{"versionId":"1","tag":[{}]}},"#,
                r#""active":true,"name":[{{"family":"Doe","_family":{{"extension":"#,
                r#"[{{"url":"http://e","valueString":"z"}}]}}}}],"gender":"female","#,
                r#""link":[{{"modifierExtension":[{{"url":"http://m","valueBoolean":true}}],"#,
                r#""other":{{"reference":"Patient/q"}},"type":"seealso"}}]}}"#
            ),
            TAG
        );
        assert_eq!(cut(&Subset::Summary, PATIENT), expected);
    }

    #[test]
    fn summary_drops_the_non_summary_children_of_backbone_elements() {
        let observation = r#"{"resourceType":"Observation","id":"o","meta":{},"status":"final",
            "code":{"text":"dose"},"referenceRange":[{"text":"normal"}],
            "component":[{"code":{"text":"ctdi"},"valueQuantity":{"value":12.50,"unit":"mGy"},
            "interpretation":[{"text":"high"}]}]}"#;
        let expected = format!(
            concat!(
                r#"{{"resourceType":"Observation","id":"o","meta":{{"tag":[{}]}},"#,
                r#""status":"final","code":{{"text":"dose"}},"component":[{{"code":"#,
                r#"{{"text":"ctdi"}},"valueQuantity":{{"value":12.50,"unit":"mGy"}}}}]}}"#
            ),
            TAG
        );
        assert_eq!(cut(&Subset::Summary, observation), expected);
    }

    #[test]
    fn text_keeps_the_narrative_id_meta_and_mandatory_top_level_elements() {
        let observation = r#"{"resourceType":"Observation","id":"o","meta":{"versionId":"2"},
            "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},
            "status":"final","_status":{"id":"s"},"code":{"text":"dose"},"subject":{"reference":"Patient/p"},
            "valueQuantity":{"value":1.0}}"#;
        let expected = format!(
            concat!(
                r#"{{"resourceType":"Observation","id":"o","meta":{{"versionId":"2","tag":[{}]}},"#,
                r#""text":{{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}},"#,
                r#""status":"final","_status":{{"id":"s"}},"code":{{"text":"dose"}}}}"#
            ),
            TAG
        );
        assert_eq!(cut(&Subset::Text, observation), expected);
    }

    #[test]
    fn data_removes_the_narrative_and_nothing_else() {
        let patient = r#"{"resourceType":"Patient","id":"p","meta":{"tag":[{"code":"t"}]},
            "text":{"status":"empty","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"/>"},"gender":"male"}"#;
        let expected = format!(
            r#"{{"resourceType":"Patient","id":"p","meta":{{"tag":[{{"code":"t"}},{TAG}]}},"gender":"male"}}"#
        );
        assert_eq!(cut(&Subset::Data, patient), expected);
    }

    #[test]
    fn a_resource_with_nothing_to_cut_is_served_whole_and_untagged() {
        let patient = r#"{"resourceType":"Patient","id":"p","meta":{},"gender":"male"}"#;
        let compact = r#"{"resourceType":"Patient","id":"p","meta":{},"gender":"male"}"#;
        assert_eq!(cut(&Subset::Data, patient), compact);
        assert_eq!(cut(&Subset::Summary, patient), compact);
        assert_eq!(cut(&Subset::Elements(vec!["gender".into()]), patient), compact);
    }

    #[test]
    fn elements_keep_the_named_and_mandatory_top_level_elements_whole() {
        let observation = r#"{"resourceType":"Observation","id":"o","meta":{},"status":"final",
            "code":{"text":"dose","coding":[{"code":"x"}]},"subject":{"reference":"Patient/p"},
            "valueQuantity":{"value":1.50},"note":[{"text":"n"}]}"#;
        let names = vec!["value".to_owned(), "Observation.subject".to_owned(), "nope".to_owned()];
        let expected = format!(
            concat!(
                r#"{{"resourceType":"Observation","id":"o","meta":{{"tag":[{}]}},"#,
                r#""status":"final","code":{{"text":"dose","coding":[{{"code":"x"}}]}},"#,
                r#""subject":{{"reference":"Patient/p"}},"valueQuantity":{{"value":1.50}}}}"#
            ),
            TAG
        );
        assert_eq!(cut(&Subset::Elements(names), observation), expected);
    }

    #[test]
    fn elements_name_choice_variants_by_their_json_name_too() {
        let observation = r#"{"resourceType":"Observation","id":"o","status":"final",
            "code":{"text":"c"},"valueQuantity":{"value":2}}"#;
        let kept = cut(&Subset::Elements(vec!["valueQuantity".into()]), observation);
        assert!(kept.contains(r#""valueQuantity":{"value":2}"#), "{kept}");
        let cut_away = cut(&Subset::Elements(vec!["valueString".into()]), observation);
        assert!(!cut_away.contains("valueQuantity"), "{cut_away}");
    }

    #[test]
    fn nested_paths_in_elements_keep_their_whole_top_level_element() {
        let patient = r#"{"resourceType":"Patient","id":"p","name":[{"family":"Doe","given":["J"]}],
            "gender":"male"}"#;
        let kept = cut(&Subset::Elements(vec!["name.family".into()]), patient);
        assert!(kept.contains(r#""name":[{"family":"Doe","given":["J"]}]"#), "{kept}");
        assert!(!kept.contains("gender"), "{kept}");
    }

    #[test]
    fn the_subsetted_tag_is_added_once_and_meta_is_created_when_missing() {
        let tagged = format!(
            r#"{{"resourceType":"Patient","meta":{{"tag":[{TAG}]}},"gender":"male","text":{{}}}}"#
        );
        let once = cut(&Subset::Data, &tagged);
        assert_eq!(once.matches("SUBSETTED").count(), 1, "{once}");
        let bare = r#"{"resourceType":"Patient","gender":"male","text":{}}"#;
        let created = cut(&Subset::Data, bare);
        assert_eq!(
            created,
            format!(r#"{{"resourceType":"Patient","gender":"male","meta":{{"tag":[{TAG}]}}}}"#)
        );
    }

    #[test]
    fn values_that_are_not_resources_are_left_as_they_are() {
        for text in [r#"{"resourceType":"Nope","text":1}"#, r#"{"text":1}"#, "[1]"] {
            let mut value = crate::json::parse(text.as_bytes()).unwrap();
            assert!(!Subset::Data.apply(&mut value));
            assert_eq!(serde_json::to_string(&value).unwrap(), text);
        }
    }

    #[test]
    fn summary_and_elements_are_read_from_request_parameters() {
        assert_eq!(Subset::for_read(&params(&[])).unwrap(), None);
        assert_eq!(Subset::for_read(&params(&[("_summary", "false")])).unwrap(), None);
        assert_eq!(
            Subset::for_read(&params(&[("_summary", "true")])).unwrap(),
            Some(Subset::Summary)
        );
        assert_eq!(
            Subset::for_search(&params(&[("_summary", "text")])).unwrap(),
            Some(Subset::Text)
        );
        assert_eq!(
            Subset::for_search(&params(&[("_summary", "data")])).unwrap(),
            Some(Subset::Data)
        );
        assert_eq!(Subset::for_search(&params(&[("_summary", "count")])).unwrap(), None);
        let elements = params(&[("_elements", "name, gender"), ("_elements", ",birthDate")]);
        let expected = Subset::Elements(vec!["name".into(), "gender".into(), "birthDate".into()]);
        assert_eq!(Subset::for_search(&elements).unwrap(), Some(expected));
        let elements_only = params(&[("_summary", "false"), ("_elements", "name")]);
        assert_eq!(
            Subset::for_read(&elements_only).unwrap(),
            Some(Subset::Elements(vec!["name".into()]))
        );
    }

    #[test]
    fn bad_summary_requests_are_refused() {
        assert!(Subset::for_read(&params(&[("_summary", "count")])).is_err());
        assert!(Subset::for_search(&params(&[("_summary", "yes")])).is_err());
        let both = params(&[("_summary", "true"), ("_elements", "name")]);
        assert!(Subset::for_search(&both).is_err());
    }

    #[test]
    fn included_resources_get_the_summary_but_not_the_elements() {
        assert_eq!(Subset::Summary.for_included(), Some(&Subset::Summary));
        assert_eq!(Subset::Elements(vec!["name".into()]).for_included(), None);
    }
}
