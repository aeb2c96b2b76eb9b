//! The CapabilityStatement: exactly what this server does, and nothing it does not.

use domain::ResourceType;
use serde_json::{Value, json};

/// Search parameters every type supports today.
// FIXME(#3): only `_id` and `identifier` are searchable until the search crate is wired in.
const SEARCH_PARAMS: [(&str, &str, &str); 2] = [
    ("_id", "token", "logical id of the resource"),
    ("identifier", "token", "business identifier: system|value, |value, system| or value"),
];

/// When this version of the statement was written.
const RELEASE_DATE: &str = "2026-12-03";

pub(crate) fn statement(base: &str) -> Value {
    let resources: Vec<Value> = ResourceType::all().map(resource_entry).collect();
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": RELEASE_DATE,
        "kind": "instance",
        "software": {"name": "Panorama", "version": env!("CARGO_PKG_VERSION")},
        "implementation": {"description": "Panorama regional imaging record", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "application/json"],
        "patchFormat": ["application/json-patch+json"],
        "rest": [{
            "mode": "server",
            "resource": resources,
            "interaction": [
                {"code": "transaction"},
                {"code": "batch"},
                {"code": "history-system"},
            ],
        }],
    })
}

fn resource_entry(resource_type: ResourceType) -> Value {
    let interactions: Vec<Value> = [
        "read", "vread", "update", "patch", "delete", "history-instance", "history-type",
        "create", "search-type",
    ]
    .iter()
    .map(|code| json!({"code": code}))
    .collect();
    let params: Vec<Value> = SEARCH_PARAMS
        .iter()
        .map(|(name, kind, doc)| json!({"name": name, "type": kind, "documentation": doc}))
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
        "searchParam": params,
    })
}
