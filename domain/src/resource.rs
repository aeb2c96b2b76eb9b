//! Incoming resource bodies: parsed as JSON that keeps every byte of meaning (decimal text, key
//! order), checked, and stamped with the server-managed `id` and `meta`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use crate::json::Spellings;
use crate::outcome::IssueType;
use crate::{Error, ErrorKind, ResourceId, ResourceType, Result, VersionId};

/// A parsed resource body: a JSON object with a known `resourceType`.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    resource_type: ResourceType,
    // Always a JSON object.
    json: Value,
    /// How the client wrote the numbers serde_json would write otherwise.
    spellings: Spellings,
}

impl Resource {
    /// Parses a request body: 400 when it is not JSON, not an object or has no known type.
    pub fn parse(body: &[u8]) -> Result<Self> {
        let value = crate::json::parse(body).map_err(|e| {
            // serde's message holds a line and column, never the content itself.
            Error::bad_request(format!("the body is not valid JSON: {}", describe_json_error(&e)))
        })?;
        Ok(Resource::from_value(value)?.with_spellings(Spellings::scan(body)))
    }

    /// Takes a resource already parsed as part of a larger document (a Bundle entry).
    pub fn from_value(json: Value) -> Result<Self> {
        if !json.is_object() {
            return Err(Error::bad_request("a resource must be a JSON object"));
        }
        let Some(Value::String(name)) = json.get("resourceType") else {
            return Err(Error::new(
                ErrorKind::BadRequest,
                IssueType::Required,
                "the resource has no resourceType",
            ));
        };
        let Some(resource_type) = ResourceType::parse(name) else {
            return Err(Error::new(
                ErrorKind::BadRequest,
                IssueType::NotSupported,
                "resourceType is not an R4 resource type",
            ));
        };
        Ok(Resource { resource_type, json, spellings: Spellings::default() })
    }

    /// The same resource, written with the number spellings of the document it came from.
    pub fn with_spellings(mut self, spellings: Spellings) -> Self {
        self.spellings = spellings;
        self
    }

    pub fn spellings(&self) -> &Spellings {
        &self.spellings
    }

    pub fn resource_type(&self) -> ResourceType {
        self.resource_type
    }

    /// The `id` in the body, if any (not yet checked).
    pub fn id(&self) -> Option<&Value> {
        self.json.get("id")
    }

    /// The resource as JSON (an object).
    pub fn json(&self) -> &Value {
        &self.json
    }

    pub fn into_value(self) -> Value {
        self.json
    }

    /// Checks that the body's type is the one the URL names.
    pub fn expect_type(&self, expected: ResourceType) -> Result<()> {
        if self.resource_type == expected {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::BadRequest,
            IssueType::Invalid,
            format!(
                "the body is {} {} but the URL names {expected}",
                article(self.resource_type.as_str()),
                self.resource_type
            ),
        )
        .at("resourceType"))
    }

    /// Checks the body's `id` against the one in an update URL (required and equal, as R4 says).
    pub fn expect_id(&self, expected: &ResourceId) -> Result<()> {
        match self.id() {
            Some(Value::String(id)) if id == expected.as_str() => Ok(()),
            Some(_) => Err(Error::bad_request("the id in the body differs from the id in the URL")
                .at(format!("{}.id", self.resource_type))),
            None => Err(Error::bad_request("an update must carry the resource's id in the body")
                .at(format!("{}.id", self.resource_type))),
        }
    }

    /// Sets the server-managed `id`, `meta.versionId` and `meta.lastUpdated`, keeping every other
    /// `meta` element (source, profile, security, tag, extensions) as sent.
    pub fn stamp(&mut self, id: &ResourceId, version: VersionId, last_updated: DateTime<Utc>) {
        let Value::Object(json) = &mut self.json else { return };
        let mut meta = match json.shift_remove("meta") {
            Some(Value::Object(meta)) => meta,
            _ => Map::new(),
        };
        meta.insert("versionId".into(), Value::String(version.to_string()));
        meta.insert("lastUpdated".into(), Value::String(format_instant(last_updated)));

        let mut stamped = Map::with_capacity(json.len() + 2);
        stamped.insert("resourceType".into(), Value::String(self.resource_type.to_string()));
        stamped.insert("id".into(), Value::String(id.to_string()));
        stamped.insert("meta".into(), Value::Object(meta));
        for (key, value) in std::mem::take(json) {
            if key != "resourceType" && key != "id" {
                stamped.insert(key, value);
            }
        }
        *json = stamped;
    }

    /// The bytes to store and serve.
    pub fn to_bytes(&self) -> Vec<u8> {
        crate::json::write(&self.json, &self.spellings)
    }
}

/// "a" or "an", for a resource type name (R4 has none that starts with a silent consonant).
pub fn article(type_name: &str) -> &'static str {
    if type_name.starts_with(['A', 'E', 'I', 'O', 'U']) { "an" } else { "a" }
}

/// An instant as FHIR writes it, with microseconds and `Z`.
pub fn format_instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Says what is wrong with a JSON document without quoting any of it.
fn describe_json_error(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match error.classify() {
        Category::Io => "unreadable input",
        Category::Syntax => "syntax error",
        Category::Data => "unexpected data",
        Category::Eof => "unexpected end of input",
    };
    let message = error.to_string();
    let what = if message.contains("recursion limit") {
        "nesting too deep"
    } else if message.contains("same member twice") {
        "an object names the same member twice"
    } else {
        what
    };
    format!("{what} at line {} column {}", error.line(), error.column())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn parse(text: &str) -> Result<Resource> {
        Resource::parse(text.as_bytes())
    }

    #[test]
    fn decimals_keep_their_exact_text_through_parse_and_stamp() {
        let mut r =
            parse(r#"{"resourceType":"Observation","valueQuantity":{"value":412.30},"x":128}"#)
                .unwrap();
        r.stamp(&ResourceId::parse("a").unwrap(), VersionId(1), Utc::now());
        let text = String::from_utf8(r.to_bytes()).unwrap();
        assert!(text.contains("412.30"), "{text}");
        assert!(text.contains(":128,") || text.contains(":128}"), "{text}");
    }

    #[test]
    fn stamp_keeps_meta_elements_and_puts_id_and_meta_first() {
        let mut r = parse(
            r#"{"resourceType":"Patient","active":true,"meta":{"source":"s","tag":[{"code":"t"}],
            "versionId":"99"}}"#,
        )
        .unwrap();
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        r.stamp(&ResourceId::parse("p1").unwrap(), VersionId(2), at);
        let keys: Vec<&str> = r.json().as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["resourceType", "id", "meta", "active"]);
        let meta = &r.json()["meta"];
        assert_eq!(meta["source"], "s");
        assert_eq!(meta["tag"][0]["code"], "t");
        assert_eq!(meta["versionId"], "2");
        assert_eq!(meta["lastUpdated"], "2026-01-02T03:04:05.000000Z");
    }

    #[test]
    fn stamping_keeps_the_order_of_the_members_after_meta() {
        let mut r = parse(
            r#"{"resourceType":"Patient","meta":{"source":"s"},"active":true,
            "name":[{"family":"A"}],"gender":"female","birthDate":"1970"}"#,
        )
        .unwrap();
        r.stamp(&ResourceId::parse("p").unwrap(), VersionId(1), Utc::now());
        let keys: Vec<&str> = r.json().as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["resourceType", "id", "meta", "active", "name", "gender", "birthDate"]);
    }

    #[test]
    fn bodies_that_are_not_resources_are_bad_requests() {
        for body in ["", "[]", "{", "{}", r#"{"resourceType":"Nope"}"#, r#"{"resourceType":1}"#] {
            assert_eq!(parse(body).unwrap_err().kind, ErrorKind::BadRequest, "{body}");
        }
        let err = Resource::parse(&[0xff, 0xfe]).unwrap_err();
        assert_eq!(err.kind, ErrorKind::BadRequest);
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack() {
        let body = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let err = parse(&body).unwrap_err();
        assert!(err.issues[0].diagnostics.contains("nesting too deep"), "{err}");
    }

    #[test]
    fn a_body_of_another_type_is_named_with_its_article() {
        let observation = parse(r#"{"resourceType":"Observation"}"#).unwrap();
        let err = observation.expect_type(ResourceType::parse("Patient").unwrap()).unwrap_err();
        let message = &err.issues[0].diagnostics;
        assert_eq!(message, "the body is an Observation but the URL names Patient");
        assert_eq!(article("Patient"), "a");
    }

    #[test]
    fn update_bodies_must_carry_the_url_id() {
        let id = ResourceId::parse("a").unwrap();
        assert!(parse(r#"{"resourceType":"Patient","id":"a"}"#).unwrap().expect_id(&id).is_ok());
        assert!(parse(r#"{"resourceType":"Patient","id":"b"}"#).unwrap().expect_id(&id).is_err());
        assert!(parse(r#"{"resourceType":"Patient"}"#).unwrap().expect_id(&id).is_err());
    }
}
