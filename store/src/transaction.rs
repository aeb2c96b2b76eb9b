//! Batch and transaction Bundles: a transaction runs all its entries in one database
//! transaction, in the order R4 sets, after giving every created resource its id and rewriting
//! the references that point at it; a batch runs each entry on its own.

use std::collections::{BTreeSet, HashMap};

use domain::bundle::{BundleKind, Entry, Method, RequestBundle, conditional_references};
use domain::interaction::{Interaction, Patch, PatchFormat, Target, parse_condition};
use domain::json::Spellings;
use domain::{Error, ErrorKind, Resource, ResourceId, ResourceType};
use futures::future::BoxFuture;

use crate::Store;
use crate::db::WriteTx;
use crate::engine::{
    Outcome, Write, instance_key, matching_ids, read_interaction, write_interaction,
};

/// What one entry of a batch or transaction produced, by its position in the request Bundle.
#[derive(Debug, Clone)]
pub struct EntryOutcome {
    pub index: usize,
    pub result: Result<EntryResult, Error>,
}

/// An entry's result: an interaction's outcome, or the response of a nested Bundle.
#[derive(Debug, Clone)]
pub enum EntryResult {
    Outcome(Outcome),
    Bundle(BundleKind, Vec<EntryOutcome>),
}

impl Store {
    /// Runs a batch (each entry alone) or a transaction (all or nothing). A transaction that
    /// fails returns the first error, located at its entry; nothing of it is stored.
    pub fn process_bundle(
        &self,
        bundle: RequestBundle,
    ) -> BoxFuture<'_, Result<Vec<EntryOutcome>, Error>> {
        // Boxed because a batch may hold a nested Bundle, which recurses.
        Box::pin(async move {
            match bundle.kind {
                BundleKind::Batch => Ok(self.batch(bundle).await),
                BundleKind::Transaction => self.transaction(bundle).await,
            }
        })
    }

    async fn batch(&self, bundle: RequestBundle) -> Vec<EntryOutcome> {
        let mut outcomes = Vec::with_capacity(bundle.entries.len());
        for entry in bundle.entries {
            let index = entry.index;
            let result = self.batch_entry(entry).await;
            outcomes.push(EntryOutcome { index, result });
        }
        outcomes
    }

    async fn batch_entry(&self, entry: Entry) -> Result<EntryResult, Error> {
        if entry.is_nested_bundle() {
            let nested = RequestBundle::parse(entry.resource.unwrap_or_default(), entry.spellings)?;
            let kind = nested.kind;
            return Ok(EntryResult::Bundle(kind, self.process_bundle(nested).await?));
        }
        let interaction = entry.interaction()?;
        let outcome = self.run(interaction).await?;
        Ok(EntryResult::Outcome(unless_unchanged(outcome, &entry)))
    }

    /// One interaction, reads included, as the REST layer would run it.
    async fn run(&self, interaction: Interaction) -> Result<Outcome, Error> {
        match interaction {
            Interaction::History { resource_type, id, params } => {
                self.history_interaction(resource_type, id, &params).await
            }
            other => self.execute(other).await,
        }
    }

    async fn transaction(&self, bundle: RequestBundle) -> Result<Vec<EntryOutcome>, Error> {
        let order = bundle.processing_order();
        let mut entries = bundle.entries;
        if let Some(nested) = entries.iter().find(|e| e.is_nested_bundle()) {
            return Err(Error::bad_request("a transaction cannot hold another Bundle to process")
                .at(format!("Bundle.entry[{}]", nested.index)));
        }
        let mut tx = self.begin_write().await?;
        let assigned = assign_ids(&mut tx, &entries).await?;
        lock_targets(&mut tx, &entries, &assigned).await?;
        resolve_references(&mut tx, &mut entries, &assigned).await?;

        let mut outcomes = Vec::with_capacity(entries.len());
        for index in order {
            let entry = &entries[index];
            let at = |e: Error| e.at(format!("Bundle.entry[{index}]"));
            let interaction = entry.interaction()?;
            let outcome = match interaction {
                Interaction::History { .. } => {
                    return Err(at(Error::not_supported("history inside a transaction")));
                }
                i if i.is_write() => {
                    let id = assigned.ids.get(&index).cloned();
                    write_interaction(&mut tx, Write::unchecked(i, id)).await.map_err(at)?
                }
                read => {
                    let backend = tx.backend;
                    let conn = tx.flushed().await.map_err(at)?;
                    let outcome = read_interaction(conn, backend, read).await.map_err(at)?;
                    unless_unchanged(outcome, entry)
                }
            };
            outcomes.push(EntryOutcome { index, result: Ok(EntryResult::Outcome(outcome)) });
        }
        tx.commit().await?;
        outcomes.sort_by_key(|o| o.index);
        Ok(outcomes)
    }
}

/// A read entry's outcome, or 304 when its `ifNoneMatch` or `ifModifiedSince` says the client
/// has that version already.
fn unless_unchanged(outcome: Outcome, entry: &Entry) -> Outcome {
    let Outcome::Resource { version, created: false } = outcome else { return outcome };
    let request = &entry.request;
    let unchanged = match (&request.if_none_match, &request.if_modified_since) {
        (Some(tags), _) => domain::NoneMatch::parse(tags).names(version.version),
        (None, Some(since)) => parse_instant(since)
            .is_some_and(|since| version.last_updated.timestamp() <= since.timestamp()),
        (None, None) => false,
    };
    if unchanged {
        Outcome::NotModified { version }
    } else {
        Outcome::Resource { version, created: false }
    }
}

fn parse_instant(raw: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(raw)
        .or_else(|_| chrono::DateTime::parse_from_rfc2822(raw))
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// The ids a transaction gives its creates, the resource each update writes, and what each
/// entry's fullUrl now points at.
struct Assigned {
    ids: HashMap<usize, ResourceId>,
    updates: HashMap<usize, (ResourceType, ResourceId)>,
    full_urls: HashMap<String, String>,
}

async fn assign_ids(tx: &mut WriteTx<'_>, entries: &[Entry]) -> Result<Assigned, Error> {
    let mut assigned =
        Assigned { ids: HashMap::new(), updates: HashMap::new(), full_urls: HashMap::new() };
    for entry in entries {
        let at = |e: Error| e.at(format!("Bundle.entry[{}]", entry.index));
        let target = match entry.request.method {
            Method::Post => post_target(tx, entry).await.map_err(at)?,
            Method::Put => put_target(tx, entry).await.map_err(at)?,
            _ => None,
        };
        let Some((resource_type, id, fresh)) = target else { continue };
        if fresh {
            assigned.ids.insert(entry.index, id.clone());
        }
        if entry.request.method == Method::Put {
            assigned.updates.insert(entry.index, (resource_type, id.clone()));
        }
        if let Some(full_url) = &entry.full_url {
            let points_to = format!("{resource_type}/{id}");
            if assigned.full_urls.insert(full_url.clone(), points_to.clone()).is_some() {
                return Err(at(Error::bad_request("two entries share one fullUrl")));
            }
            // A relative reference (`Patient/a2`) in an entry resolves against the fullUrl's
            // base, so it names this entry too when the fullUrl is `<base>/Patient/a2`.
            if let Some(relative) = relative_tail(full_url) {
                assigned.full_urls.entry(relative).or_insert(points_to);
            }
        }
    }
    Ok(assigned)
}

/// Takes the locks of every resource the transaction changes, in one order, so that concurrent
/// transactions over the same resources take turns rather than deadlock; and refuses a
/// transaction that changes one resource twice, which R4 forbids.
async fn lock_targets(
    tx: &mut WriteTx<'_>,
    entries: &[Entry],
    assigned: &Assigned,
) -> Result<(), Error> {
    let mut keys = BTreeSet::new();
    for entry in entries {
        let target = match (entry.request.method, Target::parse(&entry.request.url)) {
            (Method::Put, _) => assigned.updates.get(&entry.index).cloned(),
            (Method::Patch | Method::Delete, Ok(Target::Instance { resource_type, id })) => {
                Some((resource_type, id))
            }
            _ => None,
        };
        let Some((resource_type, id)) = target else { continue };
        if !keys.insert(instance_key(resource_type, &id)) {
            return Err(Error::bad_request("two entries of the transaction change one resource")
                .at(format!("Bundle.entry[{}]", entry.index)));
        }
    }
    for key in keys {
        tx.lock_key(&key).await?;
    }
    Ok(())
}

/// `Type/id` from an absolute `http(s)://.../Type/id` fullUrl.
fn relative_tail(full_url: &str) -> Option<String> {
    if !full_url.starts_with("http://") && !full_url.starts_with("https://") {
        return None;
    }
    let mut segments = full_url.rsplit('/');
    let (id, type_name) = (segments.next()?, segments.next()?);
    ResourceType::parse(type_name)?;
    ResourceId::parse(id)?;
    Some(format!("{type_name}/{id}"))
}

/// A create's type and id: the existing match of its `ifNoneExist`, or a new id (`fresh`).
async fn post_target(
    tx: &mut WriteTx<'_>,
    entry: &Entry,
) -> Result<Option<(ResourceType, ResourceId, bool)>, Error> {
    let Ok(Target::Type { resource_type, .. }) = Target::parse(&entry.request.url) else {
        return Ok(None);
    };
    if let Some(condition) = &entry.request.if_none_exist {
        let conditions = parse_condition(condition);
        match matching_ids(tx, resource_type, &conditions).await?.as_slice() {
            [] => {}
            [id] => return Ok(Some((resource_type, id.clone(), false))),
            _ => return Err(multiple(resource_type)),
        }
    }
    Ok(Some((resource_type, ResourceId::generate(), true)))
}

/// An update's type and id: from its URL, or for a conditional update from its match.
async fn put_target(
    tx: &mut WriteTx<'_>,
    entry: &Entry,
) -> Result<Option<(ResourceType, ResourceId, bool)>, Error> {
    match Target::parse(&entry.request.url) {
        Ok(Target::Instance { resource_type, id }) => Ok(Some((resource_type, id, false))),
        Ok(Target::Type { resource_type, params }) if !params.is_empty() => {
            match matching_ids(tx, resource_type, &params).await?.as_slice() {
                [] => Ok(Some((resource_type, ResourceId::generate(), true))),
                [id] => Ok(Some((resource_type, id.clone(), false))),
                _ => Err(multiple(resource_type)),
            }
        }
        _ => Ok(None),
    }
}

/// Points every reference at its target: fullUrls of this Bundle's entries, and conditional
/// references (`Type?params`), each of which must match exactly one resource.
async fn resolve_references(
    tx: &mut WriteTx<'_>,
    entries: &mut [Entry],
    assigned: &Assigned,
) -> Result<(), Error> {
    let mut targets = assigned.full_urls.clone();
    for entry in entries.iter() {
        let Some(resource) = &entry.resource else { continue };
        let mut conditional = vec![];
        conditional_references(resource, &mut conditional);
        for reference in conditional {
            if targets.contains_key(&reference) {
                continue;
            }
            let resolved = resolve_conditional(tx, &reference)
                .await
                .map_err(|e| e.at(format!("Bundle.entry[{}]", entry.index)))?;
            targets.insert(reference, resolved);
        }
    }
    for entry in entries.iter_mut() {
        if let Some(resource) = &mut entry.resource {
            domain::bundle::rewrite_references(resource, &targets);
            if points_outside_the_bundle(resource) {
                return Err(Error::bad_request(
                    "a reference names a urn:uuid that no entry of the Bundle has as fullUrl",
                )
                .at(format!("Bundle.entry[{}]", entry.index)));
            }
        }
    }
    Ok(())
}

/// Whether a `reference` still names a `urn:uuid:` after rewriting: it pointed at no entry.
fn points_outside_the_bundle(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Array(items) => items.iter().any(points_outside_the_bundle),
        Value::Object(map) => map.iter().any(|(key, item)| match (key.as_str(), item) {
            ("reference", Value::String(r)) => r.starts_with("urn:uuid:"),
            _ => points_outside_the_bundle(item),
        }),
        _ => false,
    }
}

async fn resolve_conditional(tx: &mut WriteTx<'_>, reference: &str) -> Result<String, Error> {
    let (type_name, query) = reference.split_once('?').unwrap_or((reference, ""));
    let resource_type = ResourceType::parse(type_name)
        .ok_or_else(|| Error::bad_request("a conditional reference names an unknown type"))?;
    match matching_ids(tx, resource_type, &parse_condition(query)).await?.as_slice() {
        [id] => Ok(format!("{resource_type}/{id}")),
        [] => Err(Error::new(
            ErrorKind::PreconditionFailed,
            domain::outcome::IssueType::NotFound,
            format!("a conditional reference to {resource_type} matches no resource"),
        )),
        _ => Err(multiple(resource_type)),
    }
}

fn multiple(resource_type: ResourceType) -> Error {
    Error::new(
        ErrorKind::MultipleMatches,
        domain::outcome::IssueType::Multiple,
        format!("the conditions match more than one {resource_type}"),
    )
}

/// Applies a patch to a stored body and returns the patched resource.
pub(crate) fn apply_patch(body: &[u8], patch: &Patch) -> Result<Resource, Error> {
    let mut document: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| Error::internal(format!("stored body unreadable: {e}")))?;
    match patch.format {
        PatchFormat::Json => {
            let operations: json_patch::Patch = serde_json::from_value(patch.document.clone())
                .map_err(|_| Error::bad_request("the body is not a JSON Patch document"))?;
            json_patch::patch(&mut document, &operations).map_err(|e| {
                Error::new(
                    ErrorKind::Unprocessable,
                    domain::outcome::IssueType::Processing,
                    format!("the JSON Patch does not apply: {}", describe_patch_error(&e)),
                )
            })?;
        }
        PatchFormat::FhirPath => crate::patch::apply(&mut document, &patch.document)?,
    }
    let spellings = Spellings::scan(body).and(&patch.spellings);
    Ok(Resource::from_value(document)?.with_spellings(spellings))
}

/// Names the failed operation without quoting any value.
fn describe_patch_error(error: &json_patch::PatchError) -> String {
    format!("operation {} ({:?}) failed", error.operation, error.kind)
}
