//! The region's facilities: an Organization (with its FINESS number) and the DICOMweb
//! Endpoint of its archive for each, under fixed ids that every patient's resources name.

use serde_json::{Value, json};

use super::tables::FACILITIES;

const FINESS_SYSTEM: &str = "urn:oid:1.2.250.1.71.4.2.2";
const WADO_RS: &str = "dicom-wado-rs";

fn organization_id(facility: usize) -> String {
    format!("region-{}", FACILITIES[facility].slug)
}

fn endpoint_id(facility: usize) -> String {
    format!("region-{}-wado", FACILITIES[facility].slug)
}

/// What references to the facility's Organization say.
pub(super) fn organization_path(facility: usize) -> String {
    format!("Organization/{}", organization_id(facility))
}

/// What references to the facility's archive Endpoint say.
pub(super) fn endpoint_path(facility: usize) -> String {
    format!("Endpoint/{}", endpoint_id(facility))
}

pub(super) fn organization_reference(facility: usize) -> Value {
    json!({"reference": organization_path(facility)})
}

fn endpoint_reference(facility: usize) -> Value {
    json!({"reference": endpoint_path(facility)})
}

/// The system of the facility's patient numbers (IPP).
pub(super) fn ipp_system(facility: usize) -> String {
    format!("https://{}.example.fr/fhir/sid/ipp", FACILITIES[facility].slug)
}

/// The system of the facility's accession numbers.
pub(super) fn accession_system(facility: usize) -> String {
    format!("https://{}.example.fr/fhir/sid/accession", FACILITIES[facility].slug)
}

/// Every facility's Organization, then every facility's Endpoint.
pub(super) fn resources() -> Vec<Value> {
    let organizations = (0..FACILITIES.len()).map(organization);
    organizations.chain((0..FACILITIES.len()).map(endpoint)).collect()
}

/// A transaction entry that creates or replaces `resource` under its own id.
pub(super) fn put_entry(resource: Value) -> Value {
    let url = format!("{}/{}", text(&resource["resourceType"]), text(&resource["id"]));
    json!({"fullUrl": url, "resource": resource, "request": {"method": "PUT", "url": url}})
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

fn organization(facility: usize) -> Value {
    let site = &FACILITIES[facility];
    json!({
        "resourceType": "Organization",
        "id": organization_id(facility),
        "identifier": [{"system": FINESS_SYSTEM, "value": site.finess}],
        "active": true,
        "type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/organization-type",
                              "code": "prov", "display": "Healthcare Provider"}]}],
        "name": site.name,
        "address": [{"city": site.town, "country": "FR"}],
        "endpoint": [endpoint_reference(facility)],
    })
}

fn endpoint(facility: usize) -> Value {
    let site = &FACILITIES[facility];
    json!({
        "resourceType": "Endpoint",
        "id": endpoint_id(facility),
        "status": "active",
        "connectionType": {
            "system": "http://terminology.hl7.org/CodeSystem/endpoint-connection-type",
            "code": WADO_RS,
        },
        "name": format!("PACS {}", site.name),
        "managingOrganization": organization_reference(facility),
        "payloadType": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/endpoint-payload-type",
            "code": "any", "display": "Any"}]}],
        "payloadMimeType": ["application/dicom"],
        "address": format!("https://pacs.{}.example.fr/dicom-web", site.slug),
    })
}
