//! The CapabilityStatement: exactly what this server does, and nothing it does not.

use std::sync::OnceLock;

use domain::ResourceType;
use search::{ParamKind, Registry, SearchParam};
use serde_json::{Value, json};
use store::{DEFAULT_SEARCH_COUNT, MAX_SEARCH_COUNT};

/// When this version of the statement was written.
const RELEASE_DATE: &str = "2026-12-03";

pub(crate) fn statement(base: &str) -> Value {
    // The per-type entries never change: built once, they are cloned into each answer.
    static RESOURCES: OnceLock<Vec<Value>> = OnceLock::new();
    let resources = RESOURCES.get_or_init(|| ResourceType::all().map(resource_entry).collect());
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": RELEASE_DATE,
        "kind": "instance",
        "software": {"name": "Panorama", "version": env!("CARGO_PKG_VERSION")},
        "implementation": {"description": "Panorama regional imaging record", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "application/json"],
        "patchFormat": ["application/json-patch+json", "application/fhir+json"],
        "rest": [{
            "mode": "server",
            "documentation": search_documentation(),
            "resource": resources,
            "compartment": COMPARTMENTS
                .map(|c| format!("http://hl7.org/fhir/CompartmentDefinition/{c}")),
            "interaction": [
                {"code": "transaction"},
                {"code": "batch"},
                {"code": "history-system"},
                {"code": "search-system"},
            ],
        }],
    })
}

/// The compartments searches run in (`Patient/[id]/[type]`), as R4 defines them.
const COMPARTMENTS: [&str; 5] = ["patient", "encounter", "practitioner", "relatedperson", "device"];

fn search_documentation() -> String {
    format!(
        "Search takes `_count` (default {DEFAULT_SEARCH_COUNT}, at most {MAX_SEARCH_COUNT}), \
         `_offset`, `_sort` on one or more parameters (`-` for descending; resources without \
         the value come last), `_total=none|estimate|accurate`, `_summary=true|text|data|count|false` \
         and `_elements` (also on read and vread; a cut resource is tagged SUBSETTED), \
         `_include` and `_revinclude` (`Type:parameter[:Target]`, `*`, `:iterate`; at most \
         1000 included resources per page, each resource once). Unknown parameters are ignored \
         and reported in an OperationOutcome entry, or refused with 400 under \
         `Prefer: handling=strict`. Searches also run by POST to `[type]/_search` with a \
         form-encoded body, and within a compartment (`Patient/[id]/[type]`, as R4's \
         CompartmentDefinitions say), and across types (`GET [base]?_type=...`, on the \
         parameters the types share; without `_type`, every type)."
    )
}

fn resource_entry(resource_type: ResourceType) -> Value {
    let interactions: Vec<Value> = [
        "read",
        "vread",
        "update",
        "patch",
        "delete",
        "history-instance",
        "history-type",
        "create",
        "search-type",
    ]
    .iter()
    .map(|code| json!({"code": code}))
    .collect();
    json!({
        "type": resource_type.as_str(),
        "interaction": interactions,
        "versioning": "versioned-update",
        "readHistory": true,
        "updateCreate": true,
        "conditionalCreate": true,
        "conditionalRead": "not-supported",
        "conditionalUpdate": true,
        "conditionalDelete": "single",
        "searchInclude": search_includes(resource_type),
        "searchRevInclude": search_rev_includes(resource_type),
        "searchParam": search_params(resource_type),
    })
}

/// `_include` values for a type: each of its reference parameters, and `*`.
fn search_includes(resource_type: ResourceType) -> Vec<String> {
    let registry = Registry::r4();
    let mut includes: Vec<String> = registry
        .for_type(resource_type.as_str())
        .filter(|p| p.kind == ParamKind::Reference && p.expression.is_some())
        .map(|p| format!("{resource_type}:{}", p.code))
        .collect();
    includes.dedup();
    includes.push("*".into());
    includes
}

/// `_revinclude` values for a type: every reference parameter that may point to it.
fn search_rev_includes(resource_type: ResourceType) -> Vec<String> {
    let registry = Registry::r4();
    let mut includes = Vec::new();
    for source in registry.resource_types() {
        for param in registry.for_type(source) {
            let points_here = param.targets.iter().any(|t| t == resource_type.as_str());
            if param.kind == ParamKind::Reference && param.expression.is_some() && points_here {
                includes.push(format!("{source}:{}", param.code));
            }
        }
    }
    includes.dedup();
    includes
}

/// The type's searchable parameters, its own first; those without an index (`_text`,
/// `_content`, `_query`, `near`) are left out since the server ignores them.
fn search_params(resource_type: ResourceType) -> Vec<Value> {
    let mut seen: Vec<&str> = Vec::new();
    let mut params = Vec::new();
    for param in Registry::r4().for_type(resource_type.as_str()) {
        let indexed = param.expression.is_some() && param.kind != ParamKind::Special;
        if !indexed || seen.contains(&param.code.as_str()) {
            continue;
        }
        seen.push(&param.code);
        params.push(json!({
            "name": param.code,
            "definition": param.url(),
            "type": kind_name(param.kind),
            "documentation": documentation(param),
        }));
    }
    params
}

fn kind_name(kind: ParamKind) -> &'static str {
    match kind {
        ParamKind::Number => "number",
        ParamKind::Date => "date",
        ParamKind::String => "string",
        ParamKind::Token => "token",
        ParamKind::Reference => "reference",
        ParamKind::Composite => "composite",
        ParamKind::Quantity => "quantity",
        ParamKind::Uri => "uri",
        ParamKind::Special => "special",
    }
}

/// The modifiers the server implements for a parameter type, as R4 spells them.
fn implemented_modifiers(kind: ParamKind) -> &'static [&'static str] {
    match kind {
        ParamKind::String => &["missing", "exact", "contains"],
        ParamKind::Token => &["missing", "not", "text", "of-type"],
        ParamKind::Reference => &["missing", "[type]", "identifier"],
        ParamKind::Uri => &["missing", "above", "below"],
        ParamKind::Number
        | ParamKind::Date
        | ParamKind::Quantity
        | ParamKind::Composite
        | ParamKind::Special => &["missing"],
    }
}

fn documentation(param: &SearchParam) -> String {
    let modifiers: Vec<String> =
        implemented_modifiers(param.kind).iter().map(|m| format!(":{m}")).collect();
    let mut text = format!("Modifiers: {}.", modifiers.join(", "));
    if !param.comparators.is_empty() {
        let prefixes: Vec<&str> = param.comparators.iter().map(|p| p.code()).collect();
        text.push_str(&format!(" Prefixes: {}.", prefixes.join(", ")));
    }
    if param.kind == ParamKind::Reference {
        text.push_str(" Chains (`param.name`, `param:Type.name`) to any depth; `_has` too.");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params_of(type_name: &str) -> Vec<Value> {
        search_params(ResourceType::parse(type_name).expect("a type"))
    }

    #[test]
    fn patient_lists_its_own_and_the_resource_parameters_once_each() {
        let params = params_of("Patient");
        let names: Vec<&str> = params.iter().filter_map(|p| p["name"].as_str()).collect();
        for name in ["gender", "birthdate", "name", "_id", "_lastUpdated", "_tag"] {
            assert_eq!(names.iter().filter(|n| **n == name).count(), 1, "{name}");
        }
        assert!(!names.contains(&"_content"), "parameters without an index are left out");
    }

    #[test]
    fn string_parameters_state_only_the_modifiers_implemented() {
        let params = params_of("Patient");
        let family = params.iter().find(|p| p["name"] == "family").expect("family");
        assert_eq!(family["type"], "string");
        assert_eq!(family["documentation"], "Modifiers: :missing, :exact, :contains.");
    }
}
