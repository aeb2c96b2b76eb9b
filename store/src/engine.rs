//! The FHIR interactions on top of the rows: read, vread, create, update, patch, delete, their
//! conditional forms, search and history. Writes run in one database transaction each.

use chrono::Utc;
use domain::interaction::{Interaction, Params, Patch};
use domain::outcome::IssueType;
use domain::{Error, ErrorKind, NoneMatch, Resource, ResourceId, ResourceType, VersionId};
use sea_orm::ConnectionTrait;

use search::IndexEntry;

use crate::blocking::cpu_bound;
use crate::cache::Current;
use crate::db::{Backend, WriteTx};
use crate::history::HistoryPage;
use crate::rows::{self, Head, StoredMethod, Version};
use crate::{Store, query};

/// What an interaction produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A resource version: read, vread, or the result of a write (`created` for 201).
    Resource {
        version: Version,
        created: bool,
    },
    /// A conditional create found its match: 200 with that resource, nothing written.
    Existing {
        version: Version,
    },
    /// A read whose `ifNoneMatch` or `ifModifiedSince` says the client has it already: 304.
    NotModified {
        version: Version,
    },
    /// A delete: the deletion version, or none when there was nothing to delete.
    Deleted {
        version: Option<Version>,
    },
    Search(SearchPage),
    History(HistoryPage),
}

/// One page of search results.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    pub matches: Vec<Version>,
    pub total: Option<u64>,
    /// Where the next page starts, when there is one: `_offset` for a client that pages by
    /// offset, and the cursor a `next` link carries so that writes between pages neither
    /// repeat nor skip a match.
    pub next_offset: Option<u64>,
    pub next_cursor: Option<String>,
    /// Where the previous page starts, when this one is not the first: its `_offset`, and
    /// the cursor of a page that ends right before this one's first match.
    pub previous_offset: Option<u64>,
    pub previous_cursor: Option<String>,
    /// Parameters the server ignored (reported under lenient handling).
    pub ignored: Vec<String>,
    /// Resources `_include` and `_revinclude` add, none of them a match.
    pub included: Vec<Version>,
}

impl Store {
    /// Carries out one interaction. A write's resource is checked first, then the write waits
    /// for its turn: on SQLite, it is committed together with the writes that waited with it.
    pub async fn execute(&self, interaction: Interaction) -> Result<Outcome, Error> {
        if !interaction.is_write() {
            return read_interaction(&self.db, self.backend, interaction).await;
        }
        let write = Write::checked(interaction)?;
        if let Some(group) = &self.group {
            return group.write(write).await;
        }
        let mut tx = self.begin_write().await?;
        let outcome = write_interaction(&mut tx, write).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// The body and version of a resource's current version: the hot path of a read, served
    /// from memory when the store keeps current versions.
    pub async fn read_current(
        &self,
        resource_type: ResourceType,
        id: &ResourceId,
    ) -> Result<(VersionId, chrono::DateTime<Utc>, Vec<u8>), Error> {
        let miss = match self.cache.get().map(|cache| cache.get(resource_type, id)) {
            Some(Ok(Current { version, micros, body })) => {
                return served(version, micros, body.to_vec());
            }
            Some(Err(miss)) => Some(miss),
            None => None,
        };
        match rows::current_body(&self.db, self.backend, resource_type, id).await? {
            None => Err(not_found(resource_type)),
            Some((_, _, None)) => Err(gone(resource_type)),
            Some((version, micros, Some(body))) => {
                if let Some(miss) = miss {
                    miss.fill(Current { version, micros, body: body.as_slice().into() });
                }
                served(version, micros, body)
            }
        }
    }
}

fn served(
    version: VersionId,
    micros: i64,
    body: Vec<u8>,
) -> Result<(VersionId, chrono::DateTime<Utc>, Vec<u8>), Error> {
    let at = chrono::DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| Error::internal("stored row with an invalid time"))?;
    Ok((version, at, body))
}

/// Reads run on any connection: the pool, or a transaction that must see its own writes.
pub(crate) async fn read_interaction(
    conn: &impl ConnectionTrait,
    backend: Backend,
    interaction: Interaction,
) -> Result<Outcome, Error> {
    match interaction {
        Interaction::Read { resource_type, id } => {
            let version = rows::current(conn, backend, resource_type, &id).await?;
            let version = version.ok_or_else(|| not_found(resource_type))?;
            if version.is_deleted() {
                return Err(gone(resource_type));
            }
            Ok(Outcome::Resource { version, created: false })
        }
        Interaction::VRead { resource_type, id, version } => {
            let found = rows::version(conn, backend, resource_type, &id, version).await?;
            let found = found.ok_or_else(|| not_found(resource_type))?;
            if found.is_deleted() {
                return Err(gone(resource_type));
            }
            Ok(Outcome::Resource { version: found, created: false })
        }
        Interaction::Search { resource_type, params, strict, compartment } => {
            let scope = query::Scope { resource_type, compartment: compartment.as_ref() };
            query::search(conn, backend, scope, &params, strict).await.map(Outcome::Search)
        }
        Interaction::History { .. } => Err(Error::internal("history runs through Store::history")),
        _ => Err(Error::internal("a write reached the read path")),
    }
}

/// A write on its way to the database: the interaction; the id a create gets, when chosen in
/// advance (a transaction rewrites the references to it first); and, once checked, the search
/// values of the resource it writes.
#[derive(Debug, Clone)]
pub(crate) struct Write {
    pub(crate) interaction: Interaction,
    pub(crate) assigned_id: Option<ResourceId>,
    checked: Option<Vec<IndexEntry>>,
}

impl Write {
    /// A write whose resource is validated when it is written.
    pub(crate) fn unchecked(interaction: Interaction, assigned_id: Option<ResourceId>) -> Write {
        Write { interaction, assigned_id, checked: None }
    }

    /// A write whose resource (for a create or an update) is validated and indexed now, before
    /// the writer's turn: an invalid one never waits for it, and the turn is shorter.
    pub(crate) fn checked(interaction: Interaction) -> Result<Write, Error> {
        let mut write = Write::unchecked(interaction, None);
        match &mut write.interaction {
            Interaction::Create { resource, .. } => {
                let id = ResourceId::generate();
                write.checked = Some(check(resource, &id)?);
                write.assigned_id = Some(id);
            }
            Interaction::Update { id, resource, .. } => {
                resource.expect_id(id)?;
                write.checked = Some(check(resource, id)?);
            }
            _ => {}
        }
        Ok(write)
    }
}

/// Validates `resource` as it will be stored (stamped with `id`; the version and time it gets
/// when written change nothing that is validated or indexed) and extracts its search values.
fn check(resource: &mut Resource, id: &ResourceId) -> Result<Vec<IndexEntry>, Error> {
    resource.stamp(id, VersionId::FIRST, Utc::now());
    let bytes = resource.to_bytes().len();
    cpu_bound(bytes, || domain::validate(resource).map(|()| index_values(resource)))
}

/// The search values of a resource, unless this process writes no search index (benchmarks).
fn index_values(resource: &Resource) -> Vec<IndexEntry> {
    if crate::index::indexing() { search::extract(resource.json()) } else { Vec::new() }
}

/// Carries out a write inside `tx`.
pub(crate) async fn write_interaction(
    tx: &mut WriteTx<'_>,
    write: Write,
) -> Result<Outcome, Error> {
    let Write { interaction, assigned_id, checked } = write;
    match interaction {
        Interaction::Create { resource, if_none_exist } => {
            if let Some(conditions) = if_none_exist {
                let resource_type = resource.resource_type();
                tx.lock_key(&condition_key(resource_type, &conditions)).await?;
                if let Some(existing) = single_match(tx, resource_type, &conditions).await? {
                    return Ok(Outcome::Existing { version: existing });
                }
            }
            let id = assigned_id.unwrap_or_else(ResourceId::generate);
            create(tx, resource, id, checked).await
        }
        Interaction::Update { id, resource, if_match, if_none_match } => {
            let preconditions = Preconditions { if_match, if_none_match };
            update(tx, id, resource, preconditions, StoredMethod::Put, checked).await
        }
        Interaction::ConditionalUpdate { conditions, resource, if_match } => {
            conditional_update(tx, conditions, resource, if_match, assigned_id).await
        }
        Interaction::Patch { resource_type, id, patch, if_match } => {
            patch_resource(tx, resource_type, id, patch, if_match).await
        }
        Interaction::Delete { resource_type, id, if_match } => {
            delete(tx, resource_type, id, if_match).await
        }
        Interaction::ConditionalDelete { resource_type, conditions } => {
            match matching_ids(tx, resource_type, &conditions).await?.as_slice() {
                [] => Ok(Outcome::Deleted { version: None }),
                [id] => delete(tx, resource_type, id.clone(), None).await,
                _ => Err(multiple_matches(resource_type)),
            }
        }
        read => {
            let backend = tx.backend;
            read_interaction(tx.flushed().await?, backend, read).await
        }
    }
}

async fn create(
    tx: &mut WriteTx<'_>,
    resource: Resource,
    id: ResourceId,
    checked: Option<Vec<IndexEntry>>,
) -> Result<Outcome, Error> {
    // The id is new (server-assigned): writing its row finds a collision, were there one.
    let new = Saved { id, version: VersionId::FIRST, method: StoredMethod::Post, rid: None };
    let version = save(tx, resource, new, checked).await?;
    Ok(Outcome::Resource { version, created: true })
}

/// What an update requires of the version it replaces.
struct Preconditions {
    if_match: Option<VersionId>,
    if_none_match: Option<NoneMatch>,
}

impl From<Option<VersionId>> for Preconditions {
    fn from(if_match: Option<VersionId>) -> Self {
        Preconditions { if_match, if_none_match: None }
    }
}

async fn update(
    tx: &mut WriteTx<'_>,
    id: ResourceId,
    resource: Resource,
    preconditions: Preconditions,
    method: StoredMethod,
    checked: Option<Vec<IndexEntry>>,
) -> Result<Outcome, Error> {
    let resource_type = resource.resource_type();
    resource.expect_id(&id)?;
    tx.lock_key(&instance_key(resource_type, &id)).await?;
    let previous = rows::head(&tx.tx, tx.backend, resource_type, &id).await?;
    check_if_match(preconditions.if_match, previous.as_ref())?;
    check_none_match(preconditions.if_none_match.as_ref(), previous.as_ref())?;
    let created = previous.as_ref().is_none_or(|p| p.deleted);
    let next = previous.as_ref().map_or(VersionId::FIRST, |p| p.version.next());
    let new = Saved { id, version: next, method, rid: previous.map(|p| p.rid) };
    let version = save(tx, resource, new, checked).await?;
    Ok(Outcome::Resource { version, created })
}

async fn conditional_update(
    tx: &mut WriteTx<'_>,
    conditions: Params,
    resource: Resource,
    if_match: Option<VersionId>,
    assigned_id: Option<ResourceId>,
) -> Result<Outcome, Error> {
    let resource_type = resource.resource_type();
    tx.lock_key(&condition_key(resource_type, &conditions)).await?;
    let body_id = match resource.id() {
        None => None,
        Some(serde_json::Value::String(raw)) => Some(
            ResourceId::parse(raw)
                .ok_or_else(|| Error::bad_request("the body holds an invalid id"))?,
        ),
        Some(_) => return Err(Error::bad_request("the body's id must be a string")),
    };
    let id = match matching_ids(tx, resource_type, &conditions).await?.as_slice() {
        [] => body_id.or(assigned_id).unwrap_or_else(ResourceId::generate),
        [found] if body_id.as_ref().is_none_or(|b| b == found) => found.clone(),
        [_] => {
            return Err(Error::bad_request("the body's id is not the id of the matching resource"));
        }
        _ => return Err(multiple_matches(resource_type)),
    };
    let resource = with_id(resource, &id)?;
    update(tx, id, resource, if_match.into(), StoredMethod::Put, None).await
}

async fn patch_resource(
    tx: &mut WriteTx<'_>,
    resource_type: ResourceType,
    id: ResourceId,
    patch: Patch,
    if_match: Option<VersionId>,
) -> Result<Outcome, Error> {
    tx.lock_key(&instance_key(resource_type, &id)).await?;
    let backend = tx.backend;
    let current = rows::current(tx.flushed().await?, backend, resource_type, &id).await?;
    let current = current.ok_or_else(|| not_found(resource_type))?;
    let body = current.body.as_deref().ok_or_else(|| gone(resource_type))?;
    let patched = crate::transaction::apply_patch(body, &patch)?;
    patched.expect_type(resource_type)?;
    update(tx, id, patched, if_match.into(), StoredMethod::Patch, None).await
}

async fn delete(
    tx: &mut WriteTx<'_>,
    resource_type: ResourceType,
    id: ResourceId,
    if_match: Option<VersionId>,
) -> Result<Outcome, Error> {
    tx.lock_key(&instance_key(resource_type, &id)).await?;
    let previous = rows::head(&tx.tx, tx.backend, resource_type, &id).await?;
    check_if_match(if_match, previous.as_ref())?;
    let Some(previous) = previous else {
        return Ok(Outcome::Deleted { version: None });
    };
    if previous.deleted {
        return Ok(Outcome::Deleted { version: None });
    }
    let version = Version {
        resource_type,
        id,
        version: previous.version.next(),
        last_updated: Utc::now(),
        method: StoredMethod::Delete,
        body: None,
    };
    rows::write(tx, &version, Some(previous.rid)).await?;
    tx.staged.remove(previous.rid);
    Ok(Outcome::Deleted { version: Some(version) })
}

/// What a new version is: its id, version number and method, and the resource's key when it
/// has a row already.
struct Saved {
    id: ResourceId,
    version: VersionId,
    method: StoredMethod,
    rid: Option<i64>,
}

/// Stamps and writes a new version, validated now unless `checked` holds its search values,
/// and stages its search index rows in place of the previous version's.
async fn save(
    tx: &mut WriteTx<'_>,
    mut resource: Resource,
    new: Saved,
    checked: Option<Vec<IndexEntry>>,
) -> Result<Version, Error> {
    let Saved { id, version, method, rid } = new;
    let last_updated = Utc::now();
    resource.stamp(&id, version, last_updated);
    let body = resource.to_bytes();
    let entries = match checked {
        Some(entries) => entries,
        None => {
            cpu_bound(body.len(), || domain::validate(&resource).map(|()| index_values(&resource)))?
        }
    };
    let version = Version {
        resource_type: resource.resource_type(),
        id,
        version,
        last_updated,
        method,
        body: Some(body),
    };
    let existed = rid.is_some();
    let rid = rows::write(tx, &version, rid).await?;
    if existed {
        tx.staged.remove(rid);
    }
    tx.staged.add(resource.resource_type(), entries, rid);
    Ok(version)
}

fn check_if_match(if_match: Option<VersionId>, current: Option<&Head>) -> Result<(), Error> {
    let Some(expected) = if_match else { return Ok(()) };
    match current {
        Some(current) if !current.deleted && current.version == expected => Ok(()),
        _ => Err(Error::new(
            ErrorKind::PreconditionFailed,
            IssueType::Conflict,
            "the resource is not at the version given in If-Match",
        )),
    }
}

fn check_none_match(none_match: Option<&NoneMatch>, current: Option<&Head>) -> Result<(), Error> {
    let current = current.filter(|c| !c.deleted).map(|c| c.version);
    match (none_match, current) {
        (Some(none_match), Some(current)) if none_match.names(current) => Err(Error::new(
            ErrorKind::PreconditionFailed,
            IssueType::Conflict,
            "the resource exists at a version If-None-Match names (If-None-Match: * only creates)",
        )),
        _ => Ok(()),
    }
}

fn with_id(resource: Resource, id: &ResourceId) -> Result<Resource, Error> {
    let mut value = resource.into_value();
    value["id"] = serde_json::Value::String(id.to_string());
    Resource::from_value(value)
}

/// The one resource matching `conditions`, none, or a 412 when several match.
pub(crate) async fn single_match(
    tx: &mut WriteTx<'_>,
    resource_type: ResourceType,
    conditions: &Params,
) -> Result<Option<Version>, Error> {
    match matching_ids(tx, resource_type, conditions).await?.as_slice() {
        [] => Ok(None),
        [id] => {
            let backend = tx.backend;
            rows::current(tx.flushed().await?, backend, resource_type, id).await
        }
        _ => Err(multiple_matches(resource_type)),
    }
}

pub(crate) async fn matching_ids(
    tx: &mut WriteTx<'_>,
    resource_type: ResourceType,
    conditions: &Params,
) -> Result<Vec<ResourceId>, Error> {
    if conditions.is_empty() {
        return Err(Error::bad_request("a conditional interaction needs search parameters"));
    }
    let backend = tx.backend;
    query::matching_ids(tx.flushed().await?, backend, resource_type, conditions, 2).await
}

/// The lock of one resource (PostgreSQL advisory locks are taken by a hash of this text).
pub(crate) fn instance_key(resource_type: ResourceType, id: &ResourceId) -> String {
    format!("{resource_type}/{id}")
}

fn condition_key(resource_type: ResourceType, conditions: &Params) -> String {
    let mut sorted = conditions.clone();
    sorted.sort();
    let query: Vec<String> = sorted.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{resource_type}?{}", query.join("&"))
}

pub(crate) fn not_found(resource_type: ResourceType) -> Error {
    Error::not_found(format!("no {resource_type} with that id"))
}

fn gone(resource_type: ResourceType) -> Error {
    Error::new(ErrorKind::Gone, IssueType::Deleted, format!("the {resource_type} was deleted"))
}

fn multiple_matches(resource_type: ResourceType) -> Error {
    Error::new(
        ErrorKind::MultipleMatches,
        IssueType::Multiple,
        format!("the conditions match more than one {resource_type}"),
    )
}
