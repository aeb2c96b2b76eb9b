//! The FHIR REST handlers: each reads its request into an interaction, runs it on the store,
//! and writes the outcome back.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::bundle::RequestBundle;
use domain::interaction::{Interaction, Patch, PatchFormat, parse_condition};
use domain::json::Spellings;
use domain::{Error, Resource, ResourceId, ResourceType, Subset, VersionId};

use super::AppState;
use super::errors::ApiError;
use super::format::BodyKind;
use super::request::{FhirBody, FhirRequest};
use super::respond::{self, parse_date};
use super::{bundles, capability};

pub(super) type Reply = Result<Response, ApiError>;

pub(super) const SUMMARY_DOC: &str = "true (summary elements), text (narrative and mandatory elements), \
    data (all but the narrative), count (searches only: the total, no entries) or false; \
    a cut resource is tagged SUBSETTED";
pub(super) const ELEMENTS_DOC: &str = "comma-separated top-level elements to return (with id, meta and \
    the mandatory elements); not together with _summary=true|text|data";

pub(super) fn resource_type(name: &str) -> Result<ResourceType, Error> {
    ResourceType::parse(name).ok_or_else(|| Error::not_found("no such resource type"))
}

pub(super) fn resource_id(raw: &str) -> Result<ResourceId, Error> {
    ResourceId::parse(raw).ok_or_else(|| Error::bad_request("the id is not a valid FHIR id"))
}

fn version_id(raw: &str) -> Result<VersionId, Error> {
    VersionId::parse(raw).ok_or_else(|| Error::bad_request("the version id is not valid"))
}

fn json_resource(body: &FhirBody) -> Result<Resource, Error> {
    if body.kind != BodyKind::Json {
        return Err(Error::new(
            domain::ErrorKind::UnsupportedMediaType,
            domain::outcome::IssueType::NotSupported,
            "this interaction takes application/fhir+json",
        ));
    }
    store::cpu_bound(body.bytes.len(), || Resource::parse(&body.bytes))
}

async fn run(state: &AppState, request: &FhirRequest, interaction: Interaction) -> Reply {
    let write = interaction.is_write();
    let outcome = state.store.execute(interaction).await?;
    Ok(respond::outcome(outcome, request, write))
}

/// Runs a vread or a search, whose resources are cut to what `_summary` and `_elements` ask.
pub(super) async fn run_read(
    state: &AppState,
    request: &FhirRequest,
    interaction: Interaction,
    subset: Option<Subset>,
) -> Reply {
    let outcome = state.store.execute(interaction).await?;
    Ok(respond::read(outcome, request, subset.as_ref()))
}

/// The server's CapabilityStatement.
#[utoipa::path(get, path = "/fhir/metadata", tag = "system",
    responses((status = 200, description = "CapabilityStatement (FHIR 4.0.1)")))]
pub(crate) async fn metadata(request: FhirRequest) -> Response {
    let statement = capability::statement(&request.base);
    let bytes = serde_json::to_vec(&statement).unwrap_or_default();
    respond::body(StatusCode::OK, bytes, request.format)
}

/// Runs a batch or transaction Bundle.
#[utoipa::path(post, path = "/fhir", tag = "system",
    request_body(content = String, content_type = "application/fhir+json",
        description = "a Bundle of type batch or transaction"),
    responses((status = 200, description = "batch-response or transaction-response Bundle"),
        (status = 400, description = "the Bundle cannot be read"),
        (status = 412, description = "a transaction entry's condition failed; nothing stored")))]
pub(crate) async fn system_bundle(
    State(state): State<AppState>,
    request: FhirRequest,
    body: FhirBody,
) -> Reply {
    let resource = json_resource(&body)?;
    resource.expect_type(resource_type("Bundle")?)?;
    let spellings = resource.spellings().clone();
    let bundle = RequestBundle::parse(resource.into_value(), spellings)?;
    let kind = bundle.kind;
    let subsets = bundles::EntrySubsets::of(&bundle)?;
    let mut outcomes = state.store.process_bundle(bundle).await?;
    subsets.refuse_entries(&mut outcomes);
    let response = bundles::bundle_response(kind, &outcomes, &request, &subsets);
    let bytes = serde_json::to_vec(&response).unwrap_or_default();
    Ok(respond::body(StatusCode::OK, bytes, request.format))
}

/// History of every resource.
#[utoipa::path(get, path = "/fhir/_history", tag = "system",
    params(("_count" = Option<u32>, Query, description = "entries per page (default 50, max 1000)"),
        ("_since" = Option<String>, Query, description = "only versions from this instant on")),
    responses((status = 200, description = "history Bundle")))]
pub(crate) async fn system_history(State(state): State<AppState>, request: FhirRequest) -> Reply {
    let outcome = state.store.history_interaction(None, None, &request.params).await?;
    Ok(respond::outcome(outcome, &request, false))
}

/// Searches one resource type.
#[utoipa::path(get, path = "/fhir/{type}", tag = "type",
    params(("type" = String, Path, description = "an R4 resource type"),
        ("_summary" = Option<String>, Query, description = SUMMARY_DOC),
        ("_elements" = Option<String>, Query, description = ELEMENTS_DOC)),
    responses((status = 200, description = "searchset Bundle")))]
pub(crate) async fn search(
    State(state): State<AppState>,
    Path(type_name): Path<String>,
    request: FhirRequest,
) -> Reply {
    let resource_type = resource_type(&type_name)?;
    super::searches::run(&state, &request, Some(resource_type), None).await
}

/// Creates a resource; `If-None-Exist` makes it conditional.
#[utoipa::path(post, path = "/fhir/{type}", tag = "type",
    params(("type" = String, Path, description = "an R4 resource type"),
        ("If-None-Exist" = Option<String>, Header, description = "search parameters; create only when nothing matches")),
    request_body(content = String, content_type = "application/fhir+json"),
    responses((status = 201, description = "created"), (status = 200, description = "a match already existed"),
        (status = 400, description = "unreadable body"), (status = 422, description = "invalid resource"),
        (status = 412, description = "the condition matches several resources")))]
pub(crate) async fn create(
    State(state): State<AppState>,
    Path(type_name): Path<String>,
    request: FhirRequest,
    body: FhirBody,
) -> Reply {
    let resource_type = resource_type(&type_name)?;
    let resource = json_resource(&body)?;
    resource.expect_type(resource_type)?;
    let if_none_exist = request.header("if-none-exist").map(parse_condition);
    run(&state, &request, Interaction::Create { resource, if_none_exist }).await
}

/// Updates the one resource matching the search parameters (conditional update).
#[utoipa::path(put, path = "/fhir/{type}", tag = "type",
    params(("type" = String, Path, description = "an R4 resource type")),
    request_body(content = String, content_type = "application/fhir+json"),
    responses((status = 200, description = "updated"), (status = 201, description = "created"),
        (status = 412, description = "several resources match")))]
pub(crate) async fn conditional_update(
    State(state): State<AppState>,
    Path(type_name): Path<String>,
    request: FhirRequest,
    body: FhirBody,
) -> Reply {
    let resource_type = resource_type(&type_name)?;
    let resource = json_resource(&body)?;
    resource.expect_type(resource_type)?;
    let conditions = request.params.clone();
    let if_match = request.if_match()?;
    run(&state, &request, Interaction::ConditionalUpdate { conditions, resource, if_match }).await
}

/// Deletes the one resource matching the search parameters (conditional delete).
#[utoipa::path(delete, path = "/fhir/{type}", tag = "type",
    params(("type" = String, Path, description = "an R4 resource type")),
    responses((status = 204, description = "deleted, or nothing matched"),
        (status = 412, description = "several resources match")))]
pub(crate) async fn conditional_delete(
    State(state): State<AppState>,
    Path(type_name): Path<String>,
    request: FhirRequest,
) -> Reply {
    let resource_type = resource_type(&type_name)?;
    let conditions = request.params.clone();
    run(&state, &request, Interaction::ConditionalDelete { resource_type, conditions }).await
}

/// History of every resource of one type.
#[utoipa::path(get, path = "/fhir/{type}/_history", tag = "type",
    params(("type" = String, Path, description = "an R4 resource type")),
    responses((status = 200, description = "history Bundle")))]
pub(crate) async fn type_history(
    State(state): State<AppState>,
    Path(type_name): Path<String>,
    request: FhirRequest,
) -> Reply {
    let resource_type = Some(resource_type(&type_name)?);
    let outcome = state.store.history_interaction(resource_type, None, &request.params).await?;
    Ok(respond::outcome(outcome, &request, false))
}

/// Reads the current version of a resource.
#[utoipa::path(get, path = "/fhir/{type}/{id}", tag = "instance",
    params(("type" = String, Path, description = "an R4 resource type"), ("id" = String, Path),
        ("_summary" = Option<String>, Query, description = SUMMARY_DOC),
        ("_elements" = Option<String>, Query, description = ELEMENTS_DOC)),
    responses((status = 200, description = "the resource"), (status = 304, description = "not modified"),
        (status = 404, description = "no such resource"), (status = 410, description = "deleted")))]
pub(crate) async fn read(
    State(state): State<AppState>,
    Path((type_name, id)): Path<(String, String)>,
    request: FhirRequest,
) -> Reply {
    let resource_type = resource_type(&type_name)?;
    let id = resource_id(&id)?;
    let subset = Subset::for_read(&request.params)?;
    let (version, last_updated, body) = state.store.read_current(resource_type, &id).await?;
    let mut response = if not_modified(&request, version, last_updated) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        respond::body(StatusCode::OK, respond::cut(body, subset.as_ref()), request.format)
    };
    respond::set_version_headers(&mut response, version, last_updated);
    Ok(response)
}

fn not_modified(
    request: &FhirRequest,
    version: VersionId,
    at: chrono::DateTime<chrono::Utc>,
) -> bool {
    if let Some(tag) = request.header("if-none-match") {
        return VersionId::parse_etag(tag) == Some(version);
    }
    let since = request.header("if-modified-since").and_then(parse_date);
    since.is_some_and(|since| at.timestamp() <= since.timestamp())
}

/// Updates a resource, or creates it with this id.
#[utoipa::path(put, path = "/fhir/{type}/{id}", tag = "instance",
    params(("type" = String, Path, description = "an R4 resource type"), ("id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "W/\"versionId\": update only that version")),
    request_body(content = String, content_type = "application/fhir+json"),
    responses((status = 200, description = "updated"), (status = 201, description = "created"),
        (status = 412, description = "If-Match names another version")))]
pub(crate) async fn update(
    State(state): State<AppState>,
    Path((type_name, id)): Path<(String, String)>,
    request: FhirRequest,
    body: FhirBody,
) -> Reply {
    let resource_type = resource_type(&type_name)?;
    let id = resource_id(&id)?;
    let resource = json_resource(&body)?;
    resource.expect_type(resource_type)?;
    let if_match = request.if_match()?;
    run(&state, &request, Interaction::Update { id, resource, if_match }).await
}

/// Patches a resource with JSON Patch.
#[utoipa::path(patch, path = "/fhir/{type}/{id}", tag = "instance",
    params(("type" = String, Path, description = "an R4 resource type"), ("id" = String, Path)),
    request_body(content = String, content_type = "application/json-patch+json"),
    responses((status = 200, description = "patched"), (status = 422, description = "the patch does not apply")))]
pub(crate) async fn patch(
    State(state): State<AppState>,
    Path((type_name, id)): Path<(String, String)>,
    request: FhirRequest,
    body: FhirBody,
) -> Reply {
    let resource_type = resource_type(&type_name)?;
    let id = resource_id(&id)?;
    let document = domain::json::parse(&body.bytes)
        .map_err(|_| Error::bad_request("the patch body is not valid JSON"))?;
    let format = match body.kind {
        BodyKind::JsonPatch => PatchFormat::Json,
        BodyKind::Json => PatchFormat::FhirPath,
    };
    let patch = Patch { format, document, spellings: Spellings::scan(&body.bytes) };
    let if_match = request.if_match()?;
    run(&state, &request, Interaction::Patch { resource_type, id, patch, if_match }).await
}

/// Deletes a resource; a later read answers 410 Gone.
#[utoipa::path(delete, path = "/fhir/{type}/{id}", tag = "instance",
    params(("type" = String, Path, description = "an R4 resource type"), ("id" = String, Path)),
    responses((status = 204, description = "deleted (or already absent)")))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path((type_name, id)): Path<(String, String)>,
    request: FhirRequest,
) -> Reply {
    let resource_type = resource_type(&type_name)?;
    let id = resource_id(&id)?;
    run(&state, &request, Interaction::Delete { resource_type, id }).await
}

/// History of one resource.
#[utoipa::path(get, path = "/fhir/{type}/{id}/_history", tag = "instance",
    params(("type" = String, Path, description = "an R4 resource type"), ("id" = String, Path)),
    responses((status = 200, description = "history Bundle")))]
pub(crate) async fn instance_history(
    State(state): State<AppState>,
    Path((type_name, id)): Path<(String, String)>,
    request: FhirRequest,
) -> Reply {
    let resource_type = Some(resource_type(&type_name)?);
    let id = Some(resource_id(&id)?);
    let outcome = state.store.history_interaction(resource_type, id, &request.params).await?;
    Ok(respond::outcome(outcome, &request, false))
}

/// Reads one version of a resource.
#[utoipa::path(get, path = "/fhir/{type}/{id}/_history/{vid}", tag = "instance",
    params(("type" = String, Path, description = "an R4 resource type"), ("id" = String, Path),
        ("vid" = String, Path, description = "the version id"),
        ("_summary" = Option<String>, Query, description = SUMMARY_DOC),
        ("_elements" = Option<String>, Query, description = ELEMENTS_DOC)),
    responses((status = 200, description = "that version"), (status = 404, description = "no such version"),
        (status = 410, description = "that version is a deletion")))]
pub(crate) async fn vread(
    State(state): State<AppState>,
    Path((type_name, id, vid)): Path<(String, String, String)>,
    request: FhirRequest,
) -> Reply {
    let resource_type = resource_type(&type_name)?;
    let id = resource_id(&id)?;
    let version = version_id(&vid)?;
    let subset = Subset::for_read(&request.params)?;
    run_read(&state, &request, Interaction::VRead { resource_type, id, version }, subset).await
}
