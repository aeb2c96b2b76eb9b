//! The FHIR RESTful interactions, as one enum that HTTP requests and Bundle entries both become.

use serde_json::Value;

use crate::json::Spellings;
use crate::resource::Resource;
use crate::{Error, NoneMatch, ResourceId, ResourceType, Result, VersionId};

/// Search or condition parameters as `(name, value)` pairs, in the order sent.
pub type Params = Vec<(String, String)>;

/// A patch document, in one of the two formats R4 defines for JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Patch {
    pub format: PatchFormat,
    pub document: Value,
    /// How the patch document spelled its numbers, for the values it brings in.
    pub spellings: Spellings,
}

impl Patch {
    /// A FHIRPath Patch: a Parameters resource with at least one operation. Anything else sent
    /// as FHIR JSON to PATCH is refused rather than applied as an empty change.
    pub fn fhirpath(document: Value, spellings: Spellings) -> Result<Self> {
        if document.get("resourceType").and_then(Value::as_str) != Some("Parameters") {
            return Err(Error::bad_request(
                "a PATCH in FHIR JSON must be a FHIRPath Patch (a Parameters resource); \
                 send a JSON Patch as application/json-patch+json",
            ));
        }
        let operations = document.get("parameter").and_then(Value::as_array);
        if operations.is_none_or(Vec::is_empty) {
            return Err(Error::unprocessable("the FHIRPath Patch has no operation")
                .at("Parameters.parameter"));
        }
        Ok(Patch { format: PatchFormat::FhirPath, document, spellings })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchFormat {
    /// RFC 6902 JSON Patch (`application/json-patch+json`).
    Json,
    /// FHIRPath Patch: a Parameters resource.
    FhirPath,
}

/// One interaction to carry out.
#[derive(Debug, Clone, PartialEq)]
pub enum Interaction {
    Read {
        resource_type: ResourceType,
        id: ResourceId,
    },
    VRead {
        resource_type: ResourceType,
        id: ResourceId,
        version: VersionId,
    },
    Create {
        resource: Resource,
        if_none_exist: Option<Params>,
    },
    Update {
        id: ResourceId,
        resource: Resource,
        if_match: Option<VersionId>,
        /// `If-None-Match`: checked in the write's transaction, so `*` only ever creates.
        if_none_match: Option<NoneMatch>,
    },
    ConditionalUpdate {
        conditions: Params,
        resource: Resource,
        if_match: Option<VersionId>,
    },
    Patch {
        resource_type: ResourceType,
        id: ResourceId,
        patch: Patch,
        if_match: Option<VersionId>,
    },
    Delete {
        resource_type: ResourceType,
        id: ResourceId,
        if_match: Option<VersionId>,
    },
    ConditionalDelete {
        resource_type: ResourceType,
        conditions: Params,
    },
    /// `strict`: unknown or unsupported parameters are an error (`Prefer: handling=strict`)
    /// rather than ignored and reported.
    Search {
        resource_type: Option<ResourceType>,
        params: Params,
        strict: bool,
        /// `Patient/1/Observation?...`: only resources in that compartment.
        compartment: Option<Compartment>,
    },
    History {
        resource_type: Option<ResourceType>,
        id: Option<ResourceId>,
        params: Params,
    },
}

impl Interaction {
    /// Whether this interaction changes the store.
    pub fn is_write(&self) -> bool {
        !matches!(
            self,
            Interaction::Read { .. }
                | Interaction::VRead { .. }
                | Interaction::Search { .. }
                | Interaction::History { .. }
        )
    }
}

/// A compartment: the resources that belong to one patient, encounter, practitioner...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compartment {
    /// The compartment's type (`Patient`).
    pub resource_type: ResourceType,
    /// The resource whose compartment it is.
    pub id: ResourceId,
}

/// What a relative request URL (`Patient/1/_history/2`, `Observation?code=x`) addresses.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    System {
        params: Params,
    },
    SystemHistory {
        params: Params,
    },
    Type {
        resource_type: ResourceType,
        params: Params,
    },
    TypeHistory {
        resource_type: ResourceType,
        params: Params,
    },
    Instance {
        resource_type: ResourceType,
        id: ResourceId,
    },
    /// A search in a compartment: `Patient/1/Observation?code=x`.
    Compartment {
        compartment: Compartment,
        resource_type: ResourceType,
        params: Params,
    },
    InstanceHistory {
        resource_type: ResourceType,
        id: ResourceId,
        params: Params,
    },
    Version {
        resource_type: ResourceType,
        id: ResourceId,
        version: VersionId,
    },
}

impl Target {
    /// Parses a URL relative to the FHIR base; a leading `/` is allowed.
    pub fn parse(url: &str) -> Result<Self> {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let params = parse_query(query);
        let segments: Vec<&str> =
            path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
        let type_of = |name: &str| {
            ResourceType::parse(name)
                .ok_or_else(|| Error::not_found("the URL names no R4 resource type"))
        };
        let id_of = |raw: &str| {
            ResourceId::parse(raw).ok_or_else(|| Error::bad_request("the URL holds an invalid id"))
        };
        if segments.iter().any(|s| s.starts_with('$')) {
            return Err(Error::not_supported("operations are not supported in this request"));
        }
        Ok(match segments.as_slice() {
            [] => Target::System { params },
            ["_history"] => Target::SystemHistory { params },
            [t] => Target::Type { resource_type: type_of(t)?, params },
            [t, "_history"] => Target::TypeHistory { resource_type: type_of(t)?, params },
            [t, id] => Target::Instance { resource_type: type_of(t)?, id: id_of(id)? },
            [t, id, "_history"] => {
                Target::InstanceHistory { resource_type: type_of(t)?, id: id_of(id)?, params }
            }
            [t, id, searched] => Target::Compartment {
                compartment: Compartment { resource_type: type_of(t)?, id: id_of(id)? },
                resource_type: type_of(searched)?,
                params,
            },
            [t, id, "_history", v] => Target::Version {
                resource_type: type_of(t)?,
                id: id_of(id)?,
                version: VersionId::parse(v)
                    .ok_or_else(|| Error::bad_request("the URL holds an invalid version id"))?,
            },
            _ => return Err(Error::not_found("the URL addresses nothing this server serves")),
        })
    }
}

/// Decodes a query string into pairs (`+` is a space, `%xx` escapes are decoded).
pub fn parse_query(query: &str) -> Params {
    url::form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// Refuses conditions (of a conditional create, update or delete) that hold a control
/// character: no FHIR string holds one, so nothing can match, and the store must not take a
/// lock keyed by such text (PostgreSQL text cannot hold U+0000). Names no value.
pub fn check_conditions(conditions: &Params) -> Result<()> {
    let is_control = |c: char| c < ' ' && !matches!(c, '\t' | '\r' | '\n');
    let bad = conditions.iter().any(|(n, v)| n.chars().chain(v.chars()).any(is_control));
    match bad {
        true => Err(Error::bad_request("the conditions hold a control character")),
        false => Ok(()),
    }
}

/// Reads an `If-None-Exist` condition, with or without a leading `Type?`.
pub fn parse_condition(raw: &str) -> Params {
    let query = raw.split_once('?').map_or(raw, |(_, q)| q);
    parse_query(query)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patient() -> ResourceType {
        ResourceType::parse("Patient").unwrap()
    }

    #[test]
    fn relative_urls_address_the_right_level() {
        assert!(matches!(Target::parse("").unwrap(), Target::System { .. }));
        assert!(matches!(Target::parse("_history").unwrap(), Target::SystemHistory { .. }));
        assert_eq!(
            Target::parse("Patient?identifier=a%7Cb").unwrap(),
            Target::Type {
                resource_type: patient(),
                params: vec![("identifier".into(), "a|b".into())]
            }
        );
        assert!(matches!(Target::parse("/Patient/1").unwrap(), Target::Instance { .. }));
        assert!(matches!(
            Target::parse("Patient/1/_history/2").unwrap(),
            Target::Version { version: VersionId(2), .. }
        ));
    }

    #[test]
    fn bad_urls_are_refused() {
        assert!(Target::parse("Nope/1").is_err());
        assert!(Target::parse("Patient/..%2Fx/_history/x").is_err());
        assert!(Target::parse("Patient/1/_history/x").is_err());
        assert!(Target::parse("Patient/1/2/3/4").is_err());
        assert!(Target::parse("ValueSet/$lookup").is_err());
    }

    #[test]
    fn a_fhirpath_patch_must_be_a_parameters_resource_with_operations() {
        let fhirpath = |v: Value| Patch::fhirpath(v, Spellings::default());
        for body in [json!([]), json!({"foo": 1}), json!({"resourceType": "Patient"})] {
            assert_eq!(fhirpath(body).unwrap_err().kind, crate::ErrorKind::BadRequest);
        }
        let empty = fhirpath(json!({"resourceType": "Parameters"})).unwrap_err();
        assert_eq!(empty.kind, crate::ErrorKind::Unprocessable);
        let operation = json!({"name": "operation", "part": []});
        assert!(fhirpath(json!({"resourceType": "Parameters", "parameter": [operation]})).is_ok());
    }

    #[test]
    fn conditions_with_control_characters_are_refused() {
        assert!(check_conditions(&parse_condition("identifier=%00")).is_err());
        assert!(check_conditions(&parse_condition("identifier=a%09b")).is_ok());
    }

    #[test]
    fn conditions_read_with_or_without_their_type() {
        let expected = vec![("identifier".to_string(), "s|v".to_string())];
        assert_eq!(parse_condition("identifier=s|v"), expected);
        assert_eq!(parse_condition("Patient?identifier=s|v"), expected);
    }
}
