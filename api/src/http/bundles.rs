//! The Bundles the server writes: searchset and history pages with their links, and the
//! responses to batches and transactions.

use axum::http::StatusCode;
use domain::bundle::{BundleKind, Entry, RequestBundle};
use domain::outcome::{Issue, IssueType, Severity, operation_outcome};
use domain::resource::format_instant;
use domain::{Error, Subset};
use serde_json::{Map, Value, json};
use store::{EntryOutcome, EntryResult, HistoryPage, Outcome, SearchPage, StoredMethod, Version};

use super::errors::status_of;
use super::request::{FhirRequest, Return};

/// A searchset Bundle for one page of results, each resource cut to `subset`.
pub(crate) fn searchset(
    page: &SearchPage,
    request: &FhirRequest,
    subset: Option<&Subset>,
) -> Vec<u8> {
    let entry = |v: &Version, mode: &str, subset: Option<&Subset>| {
        let mut resource = resource_json(v);
        cut(subset, resource.as_mut());
        json!({"fullUrl": full_url(request, v), "resource": resource, "search": {"mode": mode}})
    };
    let mut entries: Vec<Value> = page.matches.iter().map(|v| entry(v, "match", subset)).collect();
    let included_subset = subset.and_then(Subset::for_included);
    entries.extend(page.included.iter().map(|v| entry(v, "include", included_subset)));
    entries.extend(ignored_outcome(&page.ignored));
    let mut bundle = frame("searchset", entries);
    if let Some(total) = page.total {
        bundle.insert("total".into(), json!(total));
    }
    let mut links = vec![json!({"relation": "self", "url": page_url(request, &[])})];
    if let Some(offset) = page.next_offset {
        let mut replace = vec![("_offset", offset.to_string())];
        replace.extend(page.next_cursor.clone().map(|cursor| (store::CURSOR_PARAM, cursor)));
        links.push(json!({"relation": "next", "url": page_url(request, &replace)}));
    }
    bundle.insert("link".into(), Value::Array(links));
    to_bytes(bundle)
}

/// The entry that tells a lenient search's client which parameters were not applied (names
/// only: values are health data).
fn ignored_outcome(ignored: &[String]) -> Option<Value> {
    if ignored.is_empty() {
        return None;
    }
    let issue = Issue {
        severity: Severity::Warning,
        code: IssueType::NotSupported,
        diagnostics: format!("search parameters ignored: {}", ignored.join(", ")),
        expression: vec![],
    };
    Some(json!({"resource": operation_outcome(&[issue]), "search": {"mode": "outcome"}}))
}

/// A history Bundle for one page of versions.
pub(crate) fn history(page: &HistoryPage, request: &FhirRequest) -> Vec<u8> {
    let entries: Vec<Value> = page.versions.iter().map(|v| history_entry(v, request)).collect();
    let mut bundle = frame("history", entries);
    bundle.insert("total".into(), json!(page.total));
    let mut links = vec![json!({"relation": "self", "url": page_url(request, &[])})];
    if let Some(cursor) = page.next_cursor {
        let next = page_url(request, &[("_cursor", cursor.to_string())]);
        links.push(json!({"relation": "next", "url": next}));
    }
    bundle.insert("link".into(), Value::Array(links));
    to_bytes(bundle)
}

fn history_entry(version: &Version, request: &FhirRequest) -> Value {
    let url = match version.method {
        StoredMethod::Post => version.resource_type.to_string(),
        _ => format!("{}/{}", version.resource_type, version.id),
    };
    let status = match (version.method, version.version.0) {
        (StoredMethod::Delete, _) => "204",
        (_, 1) => "201",
        _ => "200",
    };
    let mut entry = Map::new();
    entry.insert("fullUrl".into(), json!(full_url(request, version)));
    if let Some(resource) = resource_json(version) {
        entry.insert("resource".into(), resource);
    }
    entry.insert("request".into(), json!({"method": version.method.as_str(), "url": url}));
    entry.insert(
        "response".into(),
        json!({"status": status, "etag": version.version.etag(),
        "lastModified": format_instant(version.last_updated)}),
    );
    Value::Object(entry)
}

/// Cuts a resource to what `_summary` and `_elements` asked, when they asked anything.
fn cut(subset: Option<&Subset>, resource: Option<&mut Value>) {
    if let (Some(subset), Some(resource)) = (subset, resource) {
        subset.apply(resource);
    }
}

/// What `_summary` and `_elements` ask of each entry of a request Bundle, by entry index.
pub(crate) struct EntrySubsets(Vec<Result<Option<Subset>, Error>>);

impl EntrySubsets {
    /// Reads each entry's subset. A transaction with a refused one fails whole before anything
    /// runs; a batch fails that entry only (see [`EntrySubsets::refuse_entries`]).
    pub(crate) fn of(bundle: &RequestBundle) -> Result<Self, Error> {
        let subsets: Vec<_> = bundle.entries.iter().map(Entry::subset).collect();
        let refused = subsets.iter().find_map(|subset| subset.as_ref().err());
        if let (BundleKind::Transaction, Some(error)) = (bundle.kind, refused) {
            return Err(error.clone());
        }
        Ok(EntrySubsets(subsets))
    }

    /// Turns the outcome of each entry whose subset was refused into that refusal. Only read
    /// and search entries have one, so nothing was changed by them.
    pub(crate) fn refuse_entries(&self, outcomes: &mut [EntryOutcome]) {
        for outcome in outcomes {
            if let Some(Err(error)) = self.0.get(outcome.index) {
                outcome.result = Err(error.clone());
            }
        }
    }

    fn get(&self, index: usize) -> Option<&Subset> {
        self.0.get(index).and_then(|subset| subset.as_ref().ok()).and_then(Option::as_ref)
    }
}

/// The response Bundle of a batch or transaction.
pub(crate) fn bundle_response(
    kind: BundleKind,
    outcomes: &[EntryOutcome],
    request: &FhirRequest,
    subsets: &EntrySubsets,
) -> Value {
    let entries = outcomes.iter().map(|o| response_entry(o, request, subsets)).collect();
    let kind = match kind {
        BundleKind::Batch => "batch-response",
        BundleKind::Transaction => "transaction-response",
    };
    Value::Object(frame(kind, entries))
}

fn response_entry(outcome: &EntryOutcome, request: &FhirRequest, subsets: &EntrySubsets) -> Value {
    match &outcome.result {
        Err(error) => json!({"response": {
            "status": status_text(status_of(error.kind)),
            "outcome": domain::outcome::operation_outcome(&error.issues),
        }}),
        // FIXME(#3): the entries of a Bundle nested in a batch are served whole: their
        // `_summary` and `_elements` are not read.
        Ok(EntryResult::Bundle(kind, nested)) => json!({
            "resource": bundle_response(*kind, nested, request, &EntrySubsets(Vec::new())),
            "response": {"status": "200 OK"},
        }),
        Ok(EntryResult::Outcome(result)) => {
            outcome_entry(result, request, subsets.get(outcome.index))
        }
    }
}

/// A response entry; `subset` is only ever set for reads and searches.
fn outcome_entry(outcome: &Outcome, request: &FhirRequest, subset: Option<&Subset>) -> Value {
    match outcome {
        Outcome::Resource { version, created } => {
            let status = if *created { StatusCode::CREATED } else { StatusCode::OK };
            let mut entry =
                version_entry(version, status, request, *created || version.version.0 > 1);
            cut(subset, entry.get_mut("resource"));
            entry
        }
        Outcome::Existing { version } => version_entry(version, StatusCode::OK, request, false),
        Outcome::NotModified { version } => json!({"response": {
            "status": status_text(StatusCode::NOT_MODIFIED),
            "etag": version.version.etag(),
            "lastModified": format_instant(version.last_updated),
        }}),
        Outcome::Deleted { version } => {
            let mut response = json!({"status": "204 No Content"});
            if let Some(v) = version {
                response["etag"] = json!(v.version.etag());
                response["lastModified"] = json!(format_instant(v.last_updated));
            }
            json!({"response": response})
        }
        Outcome::Search(page) => embedded(searchset(page, request, subset)),
        Outcome::History(page) => embedded(history(page, request)),
    }
}

fn embedded(bundle: Vec<u8>) -> Value {
    let resource: Value = serde_json::from_slice(&bundle).unwrap_or(Value::Null);
    json!({"resource": resource, "response": {"status": "200 OK"}})
}

fn version_entry(
    version: &Version,
    status: StatusCode,
    request: &FhirRequest,
    write: bool,
) -> Value {
    let mut response = Map::new();
    response.insert("status".into(), json!(status_text(status)));
    if write {
        let location =
            format!("{}/{}/_history/{}", version.resource_type, version.id, version.version);
        response.insert("location".into(), json!(location));
    }
    response.insert("etag".into(), json!(version.version.etag()));
    response.insert("lastModified".into(), json!(format_instant(version.last_updated)));
    let mut entry = Map::new();
    entry.insert("fullUrl".into(), json!(full_url(request, version)));
    let wants_resource = !write || request.prefer_return == Return::Representation;
    if let (true, Some(resource)) = (wants_resource, resource_json(version)) {
        entry.insert("resource".into(), resource);
    }
    entry.insert("response".into(), Value::Object(response));
    Value::Object(entry)
}

fn status_text(status: StatusCode) -> String {
    format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or(""))
}

fn frame(kind: &str, entries: Vec<Value>) -> Map<String, Value> {
    let mut bundle = Map::new();
    bundle.insert("resourceType".into(), json!("Bundle"));
    bundle.insert("id".into(), json!(uuid::Uuid::new_v4().to_string()));
    bundle.insert("meta".into(), json!({"lastUpdated": format_instant(chrono::Utc::now())}));
    bundle.insert("type".into(), json!(kind));
    if !entries.is_empty() {
        bundle.insert("entry".into(), Value::Array(entries));
    }
    bundle
}

fn full_url(request: &FhirRequest, version: &Version) -> String {
    format!("{}/{}/{}", request.base, version.resource_type, version.id)
}

fn resource_json(version: &Version) -> Option<Value> {
    version.body.as_deref().and_then(|b| serde_json::from_slice(b).ok())
}

/// The URL of this page, or of another page when `replace` sets paging parameters.
fn page_url(request: &FhirRequest, replace: &[(&str, String)]) -> String {
    let mut params: Vec<(String, String)> = request.params.clone();
    for (name, value) in replace {
        params.retain(|(n, _)| n != name);
        params.push(((*name).to_owned(), value.clone()));
    }
    let path = &request.path;
    let query = serde_urlencoded::to_string(&params).unwrap_or_default();
    if query.is_empty() {
        format!("{}{}", request.base, path)
    } else {
        format!("{}{}?{}", request.base, path, query)
    }
}

fn to_bytes(bundle: Map<String, Value>) -> Vec<u8> {
    serde_json::to_vec(&bundle).unwrap_or_default()
}
