//! Batch and transaction Bundles: reading their entries, the order a transaction runs them in,
//! and rewriting the references between entries.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::json::Spellings;
use base64::Engine as _;

use crate::interaction::{
    Interaction, Patch, PatchFormat, Target, check_conditions, parse_condition, parse_query,
};
use crate::{Error, NoneMatch, Resource, Result, Subset, VersionId};

/// The kind of request Bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleKind {
    Batch,
    Transaction,
}

/// The HTTP method of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    // The declaration order is the order in which a transaction processes its entries.
    Delete,
    Post,
    Put,
    Patch,
    Get,
    Head,
}

impl Method {
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "DELETE" => Method::Delete,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            _ => return None,
        })
    }

    /// The rank that orders a transaction: deletes, creates, updates and patches, then reads.
    fn rank(self) -> u8 {
        match self {
            Method::Delete => 0,
            Method::Post => 1,
            Method::Put | Method::Patch => 2,
            Method::Get | Method::Head => 3,
        }
    }
}

/// One entry's `request`, as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryRequest {
    pub method: Method,
    pub url: String,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    pub if_match: Option<String>,
    pub if_none_exist: Option<String>,
}

/// One entry of a request Bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Position in the Bundle as sent, for error locations and the response order.
    pub index: usize,
    pub full_url: Option<String>,
    pub resource: Option<Value>,
    pub request: EntryRequest,
    /// How the Bundle spelled its numbers, for this entry's resource.
    pub spellings: Spellings,
}

/// A batch or transaction Bundle, read into its entries.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestBundle {
    pub kind: BundleKind,
    pub entries: Vec<Entry>,
}

impl RequestBundle {
    /// Reads a Bundle posted to the base URL; other Bundle types are refused.
    pub fn parse(bundle: Value, spellings: Spellings) -> Result<Self> {
        let Value::Object(mut bundle) = bundle else {
            return Err(Error::bad_request("a Bundle must be a JSON object"));
        };
        let kind = match bundle.get("type").and_then(Value::as_str) {
            Some("batch") => BundleKind::Batch,
            Some("transaction") => BundleKind::Transaction,
            _ => {
                return Err(Error::unprocessable(
                    "only batch and transaction Bundles can be posted to the base URL",
                )
                .at("Bundle.type"));
            }
        };
        let entries = match bundle.remove("entry") {
            None => vec![],
            Some(Value::Array(entries)) => entries,
            Some(_) => return Err(Error::bad_request("Bundle.entry must be an array")),
        };
        let entries = entries.into_iter().enumerate().map(|(i, e)| read_entry(i, e));
        let mut entries: Vec<Entry> = entries.collect::<Result<_>>()?;
        if !spellings.is_empty() {
            entries.iter_mut().for_each(|entry| entry.spellings = spellings.clone());
        }
        Ok(RequestBundle { kind, entries })
    }

    /// The entries in the order a transaction processes them (stable within each method).
    pub fn processing_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.entries.len()).collect();
        order.sort_by_key(|&i| self.entries[i].request.method.rank());
        order
    }
}

impl Entry {
    /// Whether this entry posts a whole Bundle to the base URL (a batch or transaction nested in
    /// a batch).
    pub fn is_nested_bundle(&self) -> bool {
        let posts_to_base = self.request.method == Method::Post
            && matches!(Target::parse(&self.request.url), Ok(Target::System { .. }));
        let is_bundle = self.resource.as_ref().and_then(|r| r.get("resourceType"))
            == Some(&Value::String("Bundle".into()));
        posts_to_base && is_bundle
    }

    /// What `_summary` and `_elements` in the url of a read or search entry ask for, located at
    /// the entry when the request is refused.
    pub fn subset(&self) -> Result<Option<Subset>> {
        let at = |e: Error| e.at(format!("Bundle.entry[{}]", self.index));
        if !matches!(self.request.method, Method::Get | Method::Head) {
            return Ok(None);
        }
        let Some((_, query)) = self.request.url.split_once('?') else { return Ok(None) };
        let params = parse_query(query);
        match Target::parse(&self.request.url) {
            Ok(Target::Instance { .. } | Target::Version { .. }) => {
                Subset::for_read(&params).map_err(at)
            }
            Ok(Target::Type { .. } | Target::System { .. }) => {
                Subset::for_search(&params).map_err(at)
            }
            _ => Ok(None),
        }
    }

    /// The interaction this entry asks for.
    pub fn interaction(&self) -> Result<Interaction> {
        let at = |e: Error| e.at(format!("Bundle.entry[{}]", self.index));
        self.read_interaction().map_err(at)
    }

    fn read_interaction(&self) -> Result<Interaction> {
        let target = Target::parse(&self.request.url)?;
        let if_match = self.request.if_match.as_deref().map(parse_if_match).transpose()?;
        if let Some(condition) = &self.request.if_none_exist {
            check_conditions(&parse_condition(condition))?;
        }
        if let (Method::Put | Method::Delete, Target::Type { params, .. }) =
            (self.request.method, &target)
        {
            check_conditions(params)?;
        }
        match (self.request.method, target) {
            (Method::Get | Method::Head, target) => read_target(target),
            (Method::Post, Target::Type { resource_type, params }) if params.is_empty() => {
                let resource = self.resource()?;
                resource.expect_type(resource_type)?;
                let if_none_exist = self.request.if_none_exist.as_deref().map(parse_condition);
                Ok(Interaction::Create { resource, if_none_exist })
            }
            (Method::Put, Target::Instance { resource_type, id }) => {
                let resource = self.resource()?;
                resource.expect_type(resource_type)?;
                let if_none_match = self.request.if_none_match.as_deref().map(NoneMatch::parse);
                Ok(Interaction::Update { id, resource, if_match, if_none_match })
            }
            (Method::Put, Target::Type { resource_type, params }) if !params.is_empty() => {
                let resource = self.resource()?;
                resource.expect_type(resource_type)?;
                Ok(Interaction::ConditionalUpdate { conditions: params, resource, if_match })
            }
            (Method::Patch, Target::Instance { resource_type, id }) => {
                Ok(Interaction::Patch { resource_type, id, patch: self.patch()?, if_match })
            }
            (Method::Delete, Target::Instance { resource_type, id }) => {
                Ok(Interaction::Delete { resource_type, id, if_match })
            }
            (Method::Delete, Target::Type { resource_type, params }) if !params.is_empty() => {
                Ok(Interaction::ConditionalDelete { resource_type, conditions: params })
            }
            _ => Err(Error::bad_request("the entry's method does not apply to its url")),
        }
    }

    fn resource(&self) -> Result<Resource> {
        let resource =
            self.resource.clone().ok_or_else(|| Error::bad_request("the entry has no resource"))?;
        Ok(Resource::from_value(resource)?.with_spellings(self.spellings.clone()))
    }

    fn patch(&self) -> Result<Patch> {
        let Some(resource) = &self.resource else {
            return Err(Error::bad_request("a PATCH entry needs a Parameters or Binary resource"));
        };
        match resource.get("resourceType").and_then(Value::as_str) {
            Some("Parameters") => Patch::fhirpath(resource.clone(), self.spellings.clone()),
            Some("Binary") => json_patch_of_binary(resource),
            _ => Err(Error::bad_request(
                "a PATCH entry takes a FHIRPath Patch Parameters or a JSON Patch Binary",
            )),
        }
    }
}

/// A JSON Patch sent in a Binary, as R4 carries one in a Bundle: base64 `data` whose
/// `contentType` is `application/json-patch+json`.
fn json_patch_of_binary(binary: &Value) -> Result<Patch> {
    let content_type = binary.get("contentType").and_then(Value::as_str).unwrap_or_default();
    if content_type.split(';').next().map(str::trim) != Some("application/json-patch+json") {
        return Err(Error::bad_request("a PATCH Binary must be application/json-patch+json")
            .at("Binary.contentType"));
    }
    let data = binary.get("data").and_then(Value::as_str).unwrap_or_default();
    let bytes = base64::engine::general_purpose::STANDARD.decode(data.trim()).map_err(|_| {
        Error::bad_request("the PATCH Binary's data is not base64").at("Binary.data")
    })?;
    let document = crate::json::parse(&bytes).map_err(|_| {
        Error::bad_request("the PATCH Binary's data is not a JSON document").at("Binary.data")
    })?;
    Ok(Patch { format: PatchFormat::Json, document, spellings: Spellings::scan(&bytes) })
}

fn read_target(target: Target) -> Result<Interaction> {
    Ok(match target {
        Target::System { params } => {
            Interaction::Search { resource_type: None, params, strict: false, compartment: None }
        }
        Target::Type { resource_type, params } => Interaction::Search {
            resource_type: Some(resource_type),
            params,
            strict: false,
            compartment: None,
        },
        Target::Compartment { compartment, resource_type, params } => Interaction::Search {
            resource_type: Some(resource_type),
            params,
            strict: false,
            compartment: Some(compartment),
        },
        Target::Instance { resource_type, id } => Interaction::Read { resource_type, id },
        Target::Version { resource_type, id, version } => {
            Interaction::VRead { resource_type, id, version }
        }
        Target::SystemHistory { params } => {
            Interaction::History { resource_type: None, id: None, params }
        }
        Target::TypeHistory { resource_type, params } => {
            Interaction::History { resource_type: Some(resource_type), id: None, params }
        }
        Target::InstanceHistory { resource_type, id, params } => {
            Interaction::History { resource_type: Some(resource_type), id: Some(id), params }
        }
    })
}

fn parse_if_match(raw: &str) -> Result<VersionId> {
    VersionId::parse_etag(raw).ok_or_else(|| Error::bad_request("ifMatch is not a version ETag"))
}

fn read_entry(index: usize, entry: Value) -> Result<Entry> {
    let at = |e: Error| e.at(format!("Bundle.entry[{index}]"));
    let Value::Object(mut entry) = entry else {
        return Err(at(Error::bad_request("a Bundle entry must be an object")));
    };
    let Some(Value::Object(request)) = entry.remove("request") else {
        return Err(at(Error::bad_request("the entry has no request")));
    };
    let text = |name: &str| request.get(name).and_then(Value::as_str).map(str::to_owned);
    let method = text("method").and_then(|m| Method::parse(&m)).ok_or_else(|| {
        at(Error::bad_request("the entry's request.method is missing or unknown"))
    })?;
    let url = text("url").ok_or_else(|| at(Error::bad_request("the entry has no request.url")))?;
    let request = EntryRequest {
        method,
        url,
        if_none_match: text("ifNoneMatch"),
        if_modified_since: text("ifModifiedSince"),
        if_match: text("ifMatch"),
        if_none_exist: text("ifNoneExist"),
    };
    let full_url = entry.get("fullUrl").and_then(Value::as_str).map(str::to_owned);
    let resource = entry.remove("resource");
    Ok(Entry { index, full_url, resource, request, spellings: Spellings::default() })
}

/// Replaces, anywhere in `value`, each string equal to a key of `targets` (a `urn:uuid:` or an
/// absolute fullUrl) by its value (`Type/id`). Returns how many were replaced.
pub fn rewrite_references(value: &mut Value, targets: &HashMap<String, String>) -> usize {
    match value {
        Value::String(text) => match targets.get(text.as_str()) {
            Some(target) => {
                *text = target.clone();
                1
            }
            None => 0,
        },
        Value::Array(items) => items.iter_mut().map(|v| rewrite_references(v, targets)).sum(),
        Value::Object(map) => rewrite_in_object(map, targets),
        _ => 0,
    }
}

fn rewrite_in_object(map: &mut Map<String, Value>, targets: &HashMap<String, String>) -> usize {
    map.iter_mut().map(|(_, v)| rewrite_references(v, targets)).sum()
}

/// Every `reference` string in `value` that is a conditional reference (`Type?params`).
pub fn conditional_references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| conditional_references(v, found)),
        Value::Object(map) => {
            for (key, item) in map {
                match (key.as_str(), item) {
                    ("reference", Value::String(r)) if is_conditional(r) => found.push(r.clone()),
                    _ => conditional_references(item, found),
                }
            }
        }
        _ => {}
    }
}

fn is_conditional(reference: &str) -> bool {
    match reference.split_once('?') {
        Some((path, _)) => !path.contains('/') && !path.contains(':'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn transactions_run_deletes_then_creates_then_updates_then_reads() {
        let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
            {"request": {"method": "GET", "url": "Patient/1"}},
            {"request": {"method": "PUT", "url": "Patient/2"}, "resource": {}},
            {"request": {"method": "POST", "url": "Patient"}, "resource": {}},
            {"request": {"method": "DELETE", "url": "Patient/3"}},
            {"request": {"method": "POST", "url": "Patient"}, "resource": {}},
        ]});
        let bundle = RequestBundle::parse(bundle, Spellings::default()).unwrap();
        assert_eq!(bundle.processing_order(), [3, 2, 4, 1, 0]);
    }

    #[test]
    fn read_and_search_entries_carry_the_subset_their_url_asks_for() {
        let bundle = json!({"resourceType": "Bundle", "type": "batch", "entry": [
            {"request": {"method": "GET", "url": "Patient/1?_summary=true"}},
            {"request": {"method": "GET", "url": "Patient?_elements=name"}},
            {"request": {"method": "GET", "url": "Patient/1/_history?_summary=true"}},
            {"request": {"method": "DELETE", "url": "Patient?_summary=true"}},
            {"request": {"method": "GET", "url": "Patient/1?_summary=count"}},
        ]});
        let bundle = RequestBundle::parse(bundle, Spellings::default()).unwrap();
        let subsets: Vec<_> = bundle.entries.iter().map(Entry::subset).collect();
        assert_eq!(subsets[0].as_ref().unwrap(), &Some(Subset::Summary));
        assert_eq!(subsets[1].as_ref().unwrap(), &Some(Subset::Elements(vec!["name".into()])));
        assert_eq!(subsets[2].as_ref().unwrap(), &None, "history is not cut");
        assert_eq!(subsets[3].as_ref().unwrap(), &None, "writes are not cut");
        let refused = subsets[4].as_ref().unwrap_err();
        assert_eq!(refused.issues[0].expression, ["Bundle.entry[4]"]);
    }

    #[test]
    fn entries_without_a_request_are_refused_with_their_position() {
        let bundle = json!({"resourceType": "Bundle", "type": "batch", "entry": [
            {"request": {"method": "GET", "url": "Patient/1"}}, {"resource": {}}]});
        let err = RequestBundle::parse(bundle, Spellings::default()).unwrap_err();
        assert_eq!(err.issues[0].expression, ["Bundle.entry[1]"]);
    }

    #[test]
    fn references_to_full_urls_are_rewritten_everywhere() {
        let mut value = json!({"subject": {"reference": "urn:uuid:1"}, "content": [
            {"attachment": {"url": "urn:uuid:2"}}], "note": "urn:uuid:1 in text"});
        let targets = HashMap::from([
            ("urn:uuid:1".to_string(), "Patient/a".to_string()),
            ("urn:uuid:2".to_string(), "Binary/b".to_string()),
        ]);
        assert_eq!(rewrite_references(&mut value, &targets), 2);
        assert_eq!(value["subject"]["reference"], "Patient/a");
        assert_eq!(value["content"][0]["attachment"]["url"], "Binary/b");
        assert_eq!(value["note"], "urn:uuid:1 in text");
    }

    #[test]
    fn conditional_references_are_found_but_not_plain_or_absolute_ones() {
        let value = json!({"a": {"reference": "Practitioner?identifier=x|1"},
            "b": [{"reference": "Patient/1"}, {"reference": "http://x/y?z=1"}]});
        let mut found = vec![];
        conditional_references(&value, &mut found);
        assert_eq!(found, ["Practitioner?identifier=x|1"]);
    }
}
