//! The Bundles the server writes: searchset and history pages with their links, and the
//! responses to batches and transactions.

use std::borrow::Cow;

use axum::http::StatusCode;
use domain::bundle::{BundleKind, Entry, Method, RequestBundle};
use domain::interaction::Params;
use domain::json::Spellings;
use domain::outcome::{Issue, IssueType, Severity, operation_outcome};
use domain::resource::format_instant;
use domain::{Error, Subset};
use serde_json::{Map, Value, json};
use store::{EntryOutcome, EntryResult, HistoryPage, Outcome, SearchPage, StoredMethod, Version};

use super::errors::status_of;
use super::request::{FhirRequest, Return};
use super::respond;

/// A searchset Bundle for one page of results, each resource cut to `subset`.
pub(crate) fn searchset(
    page: &SearchPage,
    request: &FhirRequest,
    subset: Option<&Subset>,
) -> Vec<u8> {
    let mut spellings = Spellings::default();
    let bundle = searchset_value(page, request, subset, &mut spellings);
    domain::json::write(&Value::Object(bundle), &spellings)
}

fn searchset_value(
    page: &SearchPage,
    request: &FhirRequest,
    subset: Option<&Subset>,
    spellings: &mut Spellings,
) -> Map<String, Value> {
    let mut entry = |v: &Version, mode: &str, subset: Option<&Subset>| {
        let resource = resource_json(&cut(v, subset), spellings);
        json!({"fullUrl": full_url(request, v), "resource": resource, "search": {"mode": mode}})
    };
    let mut entries: Vec<Value> = page.matches.iter().map(|v| entry(v, "match", subset)).collect();
    let included_subset = subset.and_then(Subset::for_included);
    entries.extend(page.included.iter().map(|v| entry(v, "include", included_subset)));
    entries.extend(ignored_outcome(&page.ignored, "search parameters"));
    let mut bundle = frame("searchset", entries);
    if let Some(total) = page.total {
        bundle.insert("total".into(), json!(total));
    }
    let applied = link_params(request, &page.ignored, store::MAX_SEARCH_COUNT);
    let mut links = vec![json!({"relation": "self", "url": page_url(request, &applied, &[])})];
    let paging = |name: &str| name == "_offset" || name == store::CURSOR_PARAM;
    let first: Params = applied.iter().filter(|(name, _)| !paging(name)).cloned().collect();
    links.push(json!({"relation": "first", "url": page_url(request, &first, &[])}));
    let pages = [
        ("previous", page.previous_offset, &page.previous_cursor),
        ("next", page.next_offset, &page.next_cursor),
    ];
    for (relation, offset, cursor) in pages {
        let Some(offset) = offset else { continue };
        let mut replace = vec![("_offset", offset.to_string())];
        replace.extend(cursor.clone().map(|cursor| (store::CURSOR_PARAM, cursor)));
        links.push(json!({"relation": relation, "url": page_url(request, &applied, &replace)}));
    }
    bundle.insert("link".into(), Value::Array(links));
    bundle
}

/// The entry that tells a lenient search's client which parameters were not applied (names
/// only: values are health data).
fn ignored_outcome(ignored: &[String], what: &str) -> Option<Value> {
    if ignored.is_empty() {
        return None;
    }
    let issue = Issue {
        severity: Severity::Warning,
        code: IssueType::NotSupported,
        diagnostics: format!("{what} ignored: {}", ignored.join(", ")),
        expression: vec![],
    };
    Some(json!({"resource": operation_outcome(&[issue]), "search": {"mode": "outcome"}}))
}

/// A history Bundle for one page of versions, warning of the `ignored` parameters.
pub(crate) fn history(page: &HistoryPage, request: &FhirRequest, ignored: &[String]) -> Vec<u8> {
    let mut spellings = Spellings::default();
    let mut bundle = history_value(page, request, ignored, &mut spellings);
    if let Some(warning) = ignored_history_outcome(request, ignored) {
        let entries = bundle.entry("entry").or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(entries) = entries {
            entries.insert(0, warning);
        }
    }
    domain::json::write(&Value::Object(bundle), &spellings)
}

/// The entry that tells a lenient history request's client which parameters were not applied.
/// A history Bundle's entries all carry a request and a response (R4 bdl-3, bdl-4): this one
/// stands for the history request itself, its warning in `response.outcome`.
fn ignored_history_outcome(request: &FhirRequest, ignored: &[String]) -> Option<Value> {
    let outcome = ignored_outcome(ignored, "history parameters")?.get("resource").cloned()?;
    let url = request.path.trim_start_matches('/');
    Some(json!({"request": {"method": "GET", "url": url},
        "response": {"status": "200 OK", "outcome": outcome}}))
}

fn history_value(
    page: &HistoryPage,
    request: &FhirRequest,
    ignored: &[String],
    spellings: &mut Spellings,
) -> Map<String, Value> {
    let entries: Vec<Value> =
        page.versions.iter().map(|v| history_entry(v, request, spellings)).collect();
    let mut bundle = frame("history", entries);
    bundle.insert("total".into(), json!(page.total));
    let applied = link_params(request, ignored, u64::from(store::MAX_COUNT));
    let mut links = vec![json!({"relation": "self", "url": page_url(request, &applied, &[])})];
    if let Some(cursor) = page.next_cursor {
        let next = page_url(request, &applied, &[("_cursor", cursor.to_string())]);
        links.push(json!({"relation": "next", "url": next}));
    }
    bundle.insert("link".into(), Value::Array(links));
    bundle
}

fn history_entry(version: &Version, request: &FhirRequest, spellings: &mut Spellings) -> Value {
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
    if let Some(resource) = resource_json(version, spellings) {
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

/// How each entry of a request Bundle is answered, by entry index: whether it asks for a write
/// (which gets a `location` and follows `Prefer: return`) and what `_summary` and `_elements`
/// cut from a read.
#[derive(Default)]
pub(crate) struct EntryShapes(Vec<EntryShape>);

struct EntryShape {
    write: bool,
    subset: Result<Option<Subset>, Error>,
    /// The entries of a Bundle this entry posts (a batch or transaction nested in a batch).
    nested: EntryShapes,
}

impl EntryShapes {
    /// Reads each entry's shape. A transaction with a refused subset fails whole before
    /// anything runs; a batch fails that entry only (see [`EntryShapes::refuse_entries`]).
    pub(crate) fn of(bundle: &RequestBundle) -> Result<Self, Error> {
        let shapes: Vec<EntryShape> = bundle.entries.iter().map(EntryShape::of).collect();
        let refused = shapes.iter().find_map(|shape| shape.subset.as_ref().err());
        if let (BundleKind::Transaction, Some(error)) = (bundle.kind, refused) {
            return Err(error.clone());
        }
        Ok(EntryShapes(shapes))
    }

    /// The shapes of a nested Bundle's entries: writes only.
    // FIXME(#3): the entries of a Bundle nested in a batch are served whole: their
    // `_summary` and `_elements` are not read.
    fn nested(entry: &Entry) -> Self {
        let bundle = entry.resource.clone().map(|r| RequestBundle::parse(r, Spellings::default()));
        let Some(Ok(bundle)) = bundle else { return EntryShapes::default() };
        let shape = |e: &Entry| EntryShape {
            write: is_write(e),
            subset: Ok(None),
            nested: EntryShapes::default(),
        };
        EntryShapes(bundle.entries.iter().map(shape).collect())
    }

    /// Turns the outcome of each entry whose subset was refused into that refusal. Only read
    /// and search entries have one, so nothing was changed by them.
    pub(crate) fn refuse_entries(&self, outcomes: &mut [EntryOutcome]) {
        for outcome in outcomes {
            if let Some(Err(error)) = self.0.get(outcome.index).map(|shape| &shape.subset) {
                outcome.result = Err(error.clone());
            }
        }
    }

    fn subset(&self, index: usize) -> Option<&Subset> {
        self.0.get(index).and_then(|shape| shape.subset.as_ref().ok()).and_then(Option::as_ref)
    }

    fn is_write(&self, index: usize) -> bool {
        self.0.get(index).is_some_and(|shape| shape.write)
    }

    fn nested_of(&self, index: usize) -> Option<&EntryShapes> {
        self.0.get(index).map(|shape| &shape.nested)
    }
}

impl EntryShape {
    fn of(entry: &Entry) -> Self {
        let nested = if entry.is_nested_bundle() {
            EntryShapes::nested(entry)
        } else {
            EntryShapes::default()
        };
        EntryShape { write: is_write(entry), subset: entry.subset(), nested }
    }
}

fn is_write(entry: &Entry) -> bool {
    !matches!(entry.request.method, Method::Get | Method::Head)
}

/// The response Bundle of a batch or transaction.
pub(crate) fn bundle_response(
    kind: BundleKind,
    outcomes: &[EntryOutcome],
    request: &FhirRequest,
    shapes: &EntryShapes,
) -> Vec<u8> {
    let mut spellings = Spellings::default();
    let bundle = response_value(kind, outcomes, request, shapes, &mut spellings);
    domain::json::write(&bundle, &spellings)
}

fn response_value(
    kind: BundleKind,
    outcomes: &[EntryOutcome],
    request: &FhirRequest,
    shapes: &EntryShapes,
    spellings: &mut Spellings,
) -> Value {
    let entries = outcomes.iter().map(|o| response_entry(o, request, shapes, spellings)).collect();
    let kind = match kind {
        BundleKind::Batch => "batch-response",
        BundleKind::Transaction => "transaction-response",
    };
    Value::Object(frame(kind, entries))
}

fn response_entry(
    outcome: &EntryOutcome,
    request: &FhirRequest,
    shapes: &EntryShapes,
    spellings: &mut Spellings,
) -> Value {
    let index = outcome.index;
    match &outcome.result {
        Err(error) => json!({"response": {
            "status": status_text(status_of(error.kind)),
            "outcome": domain::outcome::operation_outcome(&error.issues),
        }}),
        Ok(EntryResult::Bundle(kind, nested)) => {
            let no_shapes = EntryShapes::default();
            let nested_shapes = shapes.nested_of(index).unwrap_or(&no_shapes);
            json!({
                "resource": response_value(*kind, nested, request, nested_shapes, spellings),
                "response": {"status": "200 OK"},
            })
        }
        Ok(EntryResult::Outcome(result)) => {
            let shape = (shapes.subset(index), shapes.is_write(index));
            outcome_entry(result, request, shape, spellings)
        }
    }
}

/// A response entry; the subset is only ever set for reads and searches, and the flag says
/// whether the entry asked for a change.
fn outcome_entry(
    outcome: &Outcome,
    request: &FhirRequest,
    (subset, write): (Option<&Subset>, bool),
    spellings: &mut Spellings,
) -> Value {
    match outcome {
        Outcome::Resource { version, created } => {
            let status = if *created { StatusCode::CREATED } else { StatusCode::OK };
            version_entry(&cut(version, subset), status, request, write, spellings)
        }
        Outcome::Existing { version } => {
            version_entry(version, StatusCode::OK, request, false, spellings)
        }
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
        Outcome::Search(page) => embedded(searchset_value(page, request, subset, spellings)),
        Outcome::History(page) => embedded(history_value(page, request, &[], spellings)),
    }
}

fn embedded(bundle: Map<String, Value>) -> Value {
    json!({"resource": Value::Object(bundle), "response": {"status": "200 OK"}})
}

fn version_entry(
    version: &Version,
    status: StatusCode,
    request: &FhirRequest,
    write: bool,
    spellings: &mut Spellings,
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
    if let (true, Some(resource)) = (wants_resource, resource_json(version, spellings)) {
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

/// A version with its body cut to what `_summary` and `_elements` ask (the very version when
/// they ask nothing). The cut body is written out, so that its number spellings are read from
/// what is served.
fn cut<'v>(version: &'v Version, subset: Option<&Subset>) -> Cow<'v, Version> {
    let Some(subset) = subset else { return Cow::Borrowed(version) };
    let mut cut = version.clone();
    cut.body = cut.body.take().map(|bytes| respond::cut(bytes, Some(subset)));
    Cow::Owned(cut)
}

/// A version's stored body as JSON, its number spellings added to `spellings`.
fn resource_json(version: &Version, spellings: &mut Spellings) -> Option<Value> {
    version.body.as_deref().and_then(|bytes| parsed(bytes, spellings))
}

fn parsed(bytes: &[u8], spellings: &mut Spellings) -> Option<Value> {
    let value = serde_json::from_slice(bytes).ok()?;
    spellings.extend(&Spellings::scan(bytes));
    Some(value)
}

/// The parameters a page link repeats: those applied (not the `ignored` ones), with `_count`
/// as applied (at most `max_count`).
fn link_params(request: &FhirRequest, ignored: &[String], max_count: u64) -> Params {
    let is_ignored = |name: &str| {
        let base = name.split(':').next().unwrap_or(name);
        ignored.iter().any(|i| i == name || i == base)
    };
    let applied = |(name, value): &(String, String)| {
        let value = match (name.as_str(), value.parse::<u64>()) {
            ("_count", Ok(count)) => count.min(max_count).to_string(),
            _ => value.clone(),
        };
        (name.clone(), value)
    };
    request.params.iter().filter(|(name, _)| !is_ignored(name)).map(applied).collect()
}

/// The URL of this page (`params`), or of another page when `replace` sets paging parameters.
fn page_url(request: &FhirRequest, params: &Params, replace: &[(&str, String)]) -> String {
    let mut params = params.clone();
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
