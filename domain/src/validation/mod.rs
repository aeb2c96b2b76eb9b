//! Structural validation of FHIR R4 resources against the official StructureDefinitions.
//!
//! What is checked: the resource type, that every property is an element of its type (choice
//! variants and `_name` companions of primitives included), cardinalities and the JSON shapes
//! they imply (arrays, no empty values, no `null` except as a placeholder lined up with a
//! companion array), the JSON type and format of every primitive, nested types, backbone
//! elements and `contentReference`s, contained and bundled resources as their own type, and the
//! codes of required bindings whose value sets the package lets us expand.
//!
//! FIXME(#2): invariants (the FHIRPath constraints such as `ele-1`, `dom-2`) are not evaluated,
//! and XHTML narrative is only checked to start with `<div`.
//!
//! The schema is generated from the R4 definitions by `schema/generate.py` and embedded in the
//! binary; see that script to regenerate it.

mod primitive;
pub(crate) mod schema;
mod terminology;
mod walk;
mod xhtml;

use serde_json::Value;

use crate::outcome::Issue;

/// Checks a resource (already parsed JSON) against the R4 StructureDefinitions.
///
/// Returns every issue found, up to 100, each located by a FHIRPath expression such as
/// `Patient.name[0].given[1]`. Diagnostics name elements and types but never quote values.
pub fn validate(resource: &Value) -> Result<(), Vec<Issue>> {
    // FIXME(#2): invariants (FHIRPath constraints such as ele-1, dom-2) are not evaluated.
    let mut walker = walk::Walker::new(schema::get());
    walker.resource(resource);
    walker.finish()
}

/// Whether the element `name`, in the object reached from a `resource_type` root through the
/// JSON member names `path` (array positions left out), repeats (max `*`). `None` when the
/// path or the name is not an element there. FHIRPath Patch needs it to add an element that
/// is not present yet.
pub fn element_repeats(resource_type: &str, path: &[&str], name: &str) -> Option<bool> {
    let schema = schema::get();
    let mut node = schema.resource(resource_type)?;
    for key in path {
        node = child_node(schema, node, key)?;
    }
    let prop = schema.node(node).props.get(name)?;
    Some(schema.node(node).elements[usize::from(prop.element)].many)
}

fn child_node(schema: &schema::Schema, node: schema::NodeId, key: &str) -> Option<schema::NodeId> {
    let prop = schema.node(node).props.get(key)?;
    let element = &schema.node(node).elements[usize::from(prop.element)];
    match element.variants[usize::from(prop.variant)].ty {
        schema::Ty::Complex(child) => Some(child),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::IssueType;

    #[test]
    fn element_repeats_follows_the_json_path_through_nested_types() {
        assert_eq!(element_repeats("Patient", &[], "name"), Some(true));
        assert_eq!(element_repeats("Patient", &[], "gender"), Some(false));
        assert_eq!(element_repeats("Patient", &["name"], "given"), Some(true));
        assert_eq!(element_repeats("Patient", &["contact"], "gender"), Some(false));
        assert_eq!(element_repeats("Observation", &["valueQuantity"], "value"), Some(false));
        assert_eq!(element_repeats("Patient", &[], "nothing"), None);
    }
    use serde_json::json;

    /// The (code, expression) of each issue, the two things every test pins down.
    fn issues(resource: Value) -> Vec<(IssueType, String)> {
        let issues = validate(&resource).err().unwrap_or_default();
        issues.into_iter().map(|i| (i.code, i.expression.join(","))).collect()
    }

    fn one(code: IssueType, expression: &str) -> Vec<(IssueType, String)> {
        vec![(code, expression.to_owned())]
    }

    fn number(text: &str) -> Value {
        serde_json::from_str(text).expect("a JSON number")
    }

    #[test]
    fn a_valid_patient_passes() {
        let patient = json!({
            "resourceType": "Patient", "id": "p-1.a",
            "meta": {"lastUpdated": "2024-01-01T00:00:00Z"},
            "text": {"status": "generated",
                     "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},
            "name": [{"family": "Doe", "given": ["Jane", "J"]}],
            "gender": "female", "birthDate": "1970-01-01", "deceasedBoolean": false,
            "multipleBirthInteger": 2,
            "contact": [{"name": {"text": "A"}, "telecom": [{"system": "phone", "value": "1"}]}]
        });
        assert_eq!(validate(&patient), Ok(()));
    }

    #[test]
    fn unknown_element_is_reported_with_its_path() {
        let patient = json!({"resourceType": "Patient", "name": [{"family": "Doe", "nick": "J"}]});
        assert_eq!(issues(patient), one(IssueType::Structure, "Patient.name[0].nick"));
    }

    #[test]
    fn resource_type_is_only_allowed_at_resource_roots() {
        let patient = json!({"resourceType": "Patient", "name": [{"resourceType": "HumanName"}]});
        assert_eq!(issues(patient), one(IssueType::Structure, "Patient.name[0].resourceType"));
    }

    #[test]
    fn a_missing_or_unknown_resource_type_is_invalid() {
        assert_eq!(issues(json!({"id": "x"})), one(IssueType::Invalid, ""));
        assert_eq!(issues(json!({"resourceType": "Patientt"})), one(IssueType::Invalid, ""));
        assert_eq!(issues(json!({"resourceType": "DomainResource"})), one(IssueType::Invalid, ""));
        assert_eq!(issues(json!({"resourceType": 1})), one(IssueType::Invalid, ""));
        assert_eq!(issues(json!(["Patient"])), one(IssueType::Invalid, ""));
    }

    #[test]
    fn a_wrong_json_type_is_reported() {
        let patient =
            json!({"resourceType": "Patient", "active": "true", "name": [{"given": [1]}]});
        let expected = vec![
            (IssueType::Structure, "Patient.active".to_owned()),
            (IssueType::Structure, "Patient.name[0].given[0]".to_owned()),
        ];
        assert_eq!(issues(patient), expected);
    }

    #[test]
    fn an_array_where_max_is_one_is_reported() {
        let patient = json!({"resourceType": "Patient", "gender": ["male"]});
        assert_eq!(issues(patient), one(IssueType::Structure, "Patient.gender"));
    }

    #[test]
    fn a_single_value_where_max_is_many_is_reported_and_still_checked() {
        let patient = json!({"resourceType": "Patient", "name": {"family": "Doe", "x": 1}});
        let expected = vec![
            (IssueType::Structure, "Patient.name".to_owned()),
            (IssueType::Structure, "Patient.name.x".to_owned()),
        ];
        assert_eq!(issues(patient), expected);
    }

    #[test]
    fn a_missing_required_element_is_reported() {
        let link = json!({"resourceType": "Patient", "link": [{"type": "seealso"}]});
        assert_eq!(issues(link), one(IssueType::Required, "Patient.link[0].other"));
        let observation = json!({"resourceType": "Observation", "status": "final"});
        assert_eq!(issues(observation), one(IssueType::Required, "Observation.code"));
    }

    #[test]
    fn a_required_choice_is_present_through_any_variant() {
        let usage = |value: Value| {
            let mut context = json!({"code": {"code": "focus"}});
            if let (Some(obj), Some(extra)) = (context.as_object_mut(), value.as_object()) {
                obj.extend(extra.clone());
            }
            json!({"resourceType": "Library", "status": "draft", "type": {"text": "t"},
                   "useContext": [context]})
        };
        assert_eq!(issues(usage(json!({"valueQuantity": {"value": 1}}))), vec![]);
        let missing = one(IssueType::Required, "Library.useContext[0].value");
        assert_eq!(issues(usage(json!({}))), missing);
    }

    #[test]
    fn a_primitive_with_only_its_companion_counts_as_present() {
        let extension = json!([{"url": "http://example.org/absent", "valueCode": "unknown"}]);
        let observation = json!({"resourceType": "Observation", "_status": {"extension": extension},
                                 "code": {"text": "x"}});
        assert_eq!(issues(observation), vec![]);
    }

    #[test]
    fn empty_arrays_strings_and_objects_are_reported() {
        let patient = json!({"resourceType": "Patient", "name": [], "gender": "",
                             "maritalStatus": {}, "telecom": [{}]});
        let expected = vec![
            (IssueType::Structure, "Patient.name".to_owned()),
            (IssueType::Value, "Patient.gender".to_owned()),
            (IssueType::Structure, "Patient.maritalStatus".to_owned()),
            (IssueType::Structure, "Patient.telecom[0]".to_owned()),
        ];
        assert_eq!(issues(patient), expected);
    }

    #[test]
    fn null_is_reported_unless_it_lines_up_with_a_companion() {
        let patient =
            json!({"resourceType": "Patient", "gender": null, "name": [{"given": ["A", null]}]});
        let expected = vec![
            (IssueType::Structure, "Patient.gender".to_owned()),
            (IssueType::Structure, "Patient.name[0].given[1]".to_owned()),
        ];
        assert_eq!(issues(patient), expected);
    }

    #[test]
    fn null_placeholders_line_up_with_companion_arrays() {
        let ext = json!({"extension": [{"url": "http://example.org/x", "valueBoolean": true}]});
        let ok = json!({"resourceType": "Patient",
                        "name": [{"given": ["A", null], "_given": [null, ext]}]});
        assert_eq!(issues(ok), vec![]);
        let both_null = json!({"resourceType": "Patient",
                               "name": [{"given": ["A", null], "_given": [null, null]}]});
        let expected = vec![
            (IssueType::Structure, "Patient.name[0].given[1]".to_owned()),
            (IssueType::Structure, "Patient.name[0].given[1]".to_owned()),
        ];
        assert_eq!(issues(both_null), expected);
        let misaligned =
            json!({"resourceType": "Patient", "name": [{"given": ["A"], "_given": [null, ext]}]});
        assert_eq!(issues(misaligned), one(IssueType::Structure, "Patient.name[0].given"));
    }

    #[test]
    fn companions_hold_only_id_and_extensions() {
        let companion = json!({"id": "b", "extension": [{"url": "http://e.org/x"}], "value": 1});
        let patient = json!({"resourceType": "Patient", "birthDate": "1970",
                             "_birthDate": companion});
        assert_eq!(issues(patient), one(IssueType::Structure, "Patient.birthDate.value"));
        let complex = json!({"resourceType": "Patient", "_maritalStatus": {"id": "b"}});
        assert_eq!(issues(complex), one(IssueType::Structure, "Patient._maritalStatus"));
    }

    #[test]
    fn bad_resource_ids_are_reported() {
        for id in ["../x".to_owned(), "a".repeat(65), "a b".to_owned()] {
            let patient = json!({"resourceType": "Patient", "id": id});
            assert_eq!(issues(patient), one(IssueType::Value, "Patient.id"));
        }
    }

    #[test]
    fn a_bad_date_format_is_reported() {
        let patient = json!({"resourceType": "Patient", "birthDate": "01/02/1970"});
        assert_eq!(issues(patient), one(IssueType::Value, "Patient.birthDate"));
    }

    #[test]
    fn two_variants_of_a_choice_are_reported() {
        let observation = json!({"resourceType": "Observation", "status": "final",
                                 "code": {"text": "x"},
                                 "valueString": "a", "valueBoolean": true});
        assert_eq!(issues(observation), one(IssueType::Structure, "Observation.valueBoolean"));
        let mixed = json!({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                           "valueQuantity": {"value": 1}, "_valueString": {"id": "a"}});
        assert_eq!(issues(mixed), one(IssueType::Structure, "Observation.valueString"));
    }

    #[test]
    fn a_choice_variant_of_a_type_not_allowed_is_unknown() {
        let observation = json!({"resourceType": "Observation", "status": "final",
                                 "code": {"text": "x"},
                                 "valueUri": "http://x"});
        assert_eq!(issues(observation), one(IssueType::Structure, "Observation.valueUri"));
    }

    #[test]
    fn complex_choice_variants_are_checked_as_their_type() {
        let value = json!({"value": "1", "unit": "mg"});
        let observation = json!({"resourceType": "Observation", "status": "final",
                                 "code": {"text": "x"},
                                 "valueQuantity": value});
        assert_eq!(
            issues(observation),
            one(IssueType::Structure, "Observation.valueQuantity.value")
        );
    }

    #[test]
    fn unknown_code_in_a_required_binding_is_reported() {
        let patient = json!({"resourceType": "Patient", "gender": "mail"});
        assert_eq!(issues(patient), one(IssueType::CodeInvalid, "Patient.gender"));
        let validation = validate(&json!({"resourceType": "Patient", "gender": "mail"}));
        let message = &validation.expect_err("invalid")[0].diagnostics;
        assert!(!message.contains("mail"), "diagnostics quote the value: {message}");
    }

    #[test]
    fn codes_of_value_sets_that_cannot_be_expanded_are_not_checked() {
        let mime = json!({"resourceType": "Binary", "contentType": "no/such-type"});
        assert_eq!(issues(mime), vec![], "MIME types are not in the package");
        let bundle = json!({"resourceType": "Bundle", "type": "collection",
                            "entry": [{"request": {"method": "GETT", "url": "Patient"}}]});
        assert_eq!(issues(bundle), one(IssueType::CodeInvalid, "Bundle.entry[0].request.method"));
    }

    #[test]
    fn a_required_codeable_concept_is_checked_coding_by_coding() {
        let system = "http://terminology.hl7.org/CodeSystem/condition-clinical";
        let condition = |code: &str| {
            json!({"resourceType": "Condition", "subject": {"reference": "Patient/1"},
                   "clinicalStatus": {"coding": [{"system": "http://example.org", "code": "x"},
                                                 {"system": system, "code": code}]}})
        };
        assert_eq!(issues(condition("active")), vec![]);
        let expected = one(IssueType::CodeInvalid, "Condition.clinicalStatus.coding[1].code");
        assert_eq!(issues(condition("nope")), expected);
    }

    #[test]
    fn an_invalid_contained_resource_is_reported_inside_its_container() {
        let patient = json!({"resourceType": "Patient",
            "contained": [{"resourceType": "Organization", "id": "o", "nam": "x"}]});
        assert_eq!(issues(patient), one(IssueType::Structure, "Patient.contained[0].nam"));
        let untyped = json!({"resourceType": "Patient", "contained": [{"id": "o"}]});
        assert_eq!(issues(untyped), one(IssueType::Invalid, "Patient.contained[0]"));
    }

    #[test]
    fn an_invalid_bundled_resource_is_reported_inside_the_bundle() {
        let bundle = json!({"resourceType": "Bundle", "type": "collection",
                            "entry": [{"resource": {"resourceType": "Patient", "gender": "mail"}},
                                      {"resource": {"resourceType": "Patient", "id": "../x"}}]});
        let expected = vec![
            (IssueType::CodeInvalid, "Bundle.entry[0].resource.gender".to_owned()),
            (IssueType::Value, "Bundle.entry[1].resource.id".to_owned()),
        ];
        assert_eq!(issues(bundle), expected);
    }

    #[test]
    fn parameters_resources_and_nested_parts_are_followed() {
        let parameters = json!({"resourceType": "Parameters", "parameter": [
            {"name": "a", "part": [{"name": "b", "valueInteger": number("1.5")}]},
            {"name": "c", "resource": {"resourceType": "Patient", "active": 1}}]});
        let expected = vec![
            (IssueType::Value, "Parameters.parameter[0].part[0].valueInteger".to_owned()),
            (IssueType::Structure, "Parameters.parameter[1].resource.active".to_owned()),
        ];
        assert_eq!(issues(parameters), expected);
    }

    #[test]
    fn questionnaire_items_nest_through_their_content_reference() {
        let questionnaire = json!({"resourceType": "Questionnaire", "status": "draft", "item": [
            {"linkId": "1", "type": "group", "item": [{"type": "string"}]}]});
        let expected = one(IssueType::Required, "Questionnaire.item[0].item[0].linkId");
        assert_eq!(issues(questionnaire), expected);
    }

    #[test]
    fn narrative_must_start_with_a_div() {
        let patient =
            json!({"resourceType": "Patient", "text": {"status": "generated", "div": "<p>x</p>"}});
        assert_eq!(issues(patient), one(IssueType::Value, "Patient.text.div"));
    }

    #[test]
    fn extensions_are_checked_as_extensions() {
        let patient = json!({"resourceType": "Patient", "extension": [
            {"url": "http://e.org/a", "valueDate": "1970-02-30"},
            {"valueBoolean": true}]});
        let expected = vec![
            (IssueType::Value, "Patient.extension[0].valueDate".to_owned()),
            (IssueType::Required, "Patient.extension[1].url".to_owned()),
        ];
        assert_eq!(issues(patient), expected);
    }

    #[test]
    fn deeply_nested_content_is_refused_without_exhausting_the_stack() {
        let mut item = json!({"linkId": "x", "type": "display"});
        for _ in 0..300 {
            item = json!({"linkId": "x", "type": "group", "item": [item]});
        }
        let questionnaire =
            json!({"resourceType": "Questionnaire", "status": "draft", "item": [item]});
        let found = issues(questionnaire);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, IssueType::TooCostly);
    }

    #[test]
    fn issues_are_capped_at_one_hundred() {
        let names: Vec<Value> = (0..300).map(|_| json!({"x": 1})).collect();
        let patient = json!({"resourceType": "Patient", "name": names});
        assert_eq!(issues(patient).len(), 100);
    }
}
