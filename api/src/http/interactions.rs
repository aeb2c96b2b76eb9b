//! The FHIR REST handlers: each reads its request into an interaction, runs it on the store,
//! and writes the outcome back.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::bundle::RequestBundle;
use domain::interaction::{Interaction, Patch, PatchFormat, check_conditions, parse_condition};
use domain::json::Spellings;
use domain::outcome::IssueType;
use domain::{Error, ErrorKind, NoneMatch, Resource, ResourceId, ResourceType, Subset, VersionId};
use store::Outcome;

use super::AppState;
use super::errors::ApiError;
use super::format::BodyKind;
use super::request::{FhirBody, FhirRequest};
use super::respond;
use super::{bundles, capability, history};

pub(super) type Reply = Result<Response, ApiError>;

pub(super) const SUMMARY_DOC: &str = "true (summary elements), text (narrative and mandatory elements), \
    data (all but the narrative), count (searches only: the total, no entries) or false; \
    a cut resource is tagged SUBSETTED";
const COUNT_DOC: &str = "entries per page (default 50, max 1000); 0 gives the total alone";
const SINCE_DOC: &str = "only versions from this instant on";
const AT_DOC: &str = "only versions that were current at some moment of this date's range \
    (2024 covers the year)";
const HISTORY_DOC: &str = "history Bundle; other parameters (_list) are not applied and are \
    named in a warning entry";
pub(super) const ELEMENTS_DOC: &str = "comma-separated top-level elements to return (with id, meta and \
    the mandatory elements); not together with _summary=true|text|data";

pub(super) fn resource_type(name: &str) -> Result<ResourceType, Error> {
    ResourceType::parse(name).ok_or_else(|| Error::not_found("no such resource type"))
}

/// The id in a URL, located as the id of the resource it names when it is not valid.
pub(super) fn resource_id(resource_type: ResourceType, raw: &str) -> Result<ResourceId, Error> {
    ResourceId::parse(raw).ok_or_else(|| {
        Error::bad_request("the id in the URL is not a valid FHIR id (1 to 64 of A-Z a-z 0-9 - .)")
            .at(format!("{resource_type}.id"))
    })
}

fn version_id(resource_type: ResourceType, raw: &str) -> Result<VersionId, Error> {
    VersionId::parse(raw).ok_or_else(|| {
        Error::bad_request("the version id in the URL is not valid (a positive integer)")
            .at(format!("{resource_type}.meta.versionId"))
    })
}

fn json_resource(body: &FhirBody) -> Result<Resource, Error> {
    if body.kind != BodyKind::Json {
        return Err(Error::new(
            ErrorKind::UnsupportedMediaType,
            IssueType::NotSupported,
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
    if resource.resource_type().as_str() != "Bundle" {
        let found = resource.resource_type();
        let message = format!(
            "the base URL takes only batch and transaction Bundles, not {} {found}",
            domain::resource::article(found.as_str())
        );
        return Err(Error::bad_request(message).at("resourceType").into());
    }
    let spellings = resource.spellings().clone();
    let bundle = RequestBundle::parse(resource.into_value(), spellings)?;
    let kind = bundle.kind;
    let shapes = bundles::EntryShapes::of(&bundle)?;
    let mut outcomes = state.store.process_bundle(bundle).await?;
    shapes.refuse_entries(&mut outcomes);
    let bytes = bundles::bundle_response(kind, &outcomes, &request, &shapes);
    Ok(respond::body(StatusCode::OK, bytes, request.format))
}

/// History of every resource.
#[utoipa::path(get, path = "/fhir/_history", tag = "system",
    params(("_count" = Option<u32>, Query, description = COUNT_DOC),
        ("_since" = Option<String>, Query, description = SINCE_DOC),
        ("_at" = Option<String>, Query, description = AT_DOC)),
    responses((status = 200, description = HISTORY_DOC),
        (status = 400, description = "a parameter is invalid, or not supported under Prefer: handling=strict")))]
pub(crate) async fn system_history(State(state): State<AppState>, request: FhirRequest) -> Reply {
    history::history(&state, &request, None, None).await
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
    if let Some(conditions) = &if_none_exist {
        check_conditions(conditions)?;
    }
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
    check_conditions(&conditions)?;
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
    check_conditions(&conditions)?;
    run(&state, &request, Interaction::ConditionalDelete { resource_type, conditions }).await
}

/// History of every resource of one type.
#[utoipa::path(get, path = "/fhir/{type}/_history", tag = "type",
    params(("type" = String, Path, description = "an R4 resource type"),
        ("_count" = Option<u32>, Query, description = COUNT_DOC),
        ("_since" = Option<String>, Query, description = SINCE_DOC),
        ("_at" = Option<String>, Query, description = AT_DOC)),
    responses((status = 200, description = HISTORY_DOC),
        (status = 400, description = "a parameter is invalid, or not supported under Prefer: handling=strict")))]
pub(crate) async fn type_history(
    State(state): State<AppState>,
    Path(type_name): Path<String>,
    request: FhirRequest,
) -> Reply {
    let resource_type = Some(resource_type(&type_name)?);
    history::history(&state, &request, resource_type, None).await
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
    let id = resource_id(resource_type, &id)?;
    let subset = Subset::for_read(&request.params)?;
    let (version, last_updated, body) = state.store.read_current(resource_type, &id).await?;
    let mut response = if request.not_modified(version, last_updated) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        respond::body(StatusCode::OK, respond::cut(body, subset.as_ref()), request.format)
    };
    respond::set_version_headers(&mut response, version, last_updated);
    Ok(response)
}

/// Updates a resource, or creates it with this id.
#[utoipa::path(put, path = "/fhir/{type}/{id}", tag = "instance",
    params(("type" = String, Path, description = "an R4 resource type"), ("id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "W/\"versionId\": update only that version"),
        ("If-None-Match" = Option<String>, Header, description = "*: create only, 412 when the resource exists")),
    request_body(content = String, content_type = "application/fhir+json"),
    responses((status = 200, description = "updated"), (status = 201, description = "created"),
        (status = 412, description = "If-Match names another version, or If-None-Match the current one")))]
pub(crate) async fn update(
    State(state): State<AppState>,
    Path((type_name, id)): Path<(String, String)>,
    request: FhirRequest,
    body: FhirBody,
) -> Reply {
    let resource_type = resource_type(&type_name)?;
    let id = resource_id(resource_type, &id)?;
    let resource = json_resource(&body)?;
    resource.expect_type(resource_type)?;
    let if_match = request.if_match()?;
    let if_none_match = request.header("if-none-match").map(NoneMatch::parse);
    run(&state, &request, Interaction::Update { id, resource, if_match, if_none_match }).await
}

/// Patches a resource with JSON Patch, or with FHIRPath Patch (a Parameters resource sent as
/// application/fhir+json).
#[utoipa::path(patch, path = "/fhir/{type}/{id}", tag = "instance",
    params(("type" = String, Path, description = "an R4 resource type"), ("id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "W/\"versionId\": patch only that version")),
    request_body(content = String, content_type = "application/json-patch+json"),
    responses((status = 200, description = "patched"),
        (status = 400, description = "the body is not a JSON Patch or a FHIRPath Patch Parameters"),
        (status = 422, description = "the patch does not apply")))]
pub(crate) async fn patch(
    State(state): State<AppState>,
    Path((type_name, id)): Path<(String, String)>,
    request: FhirRequest,
    body: FhirBody,
) -> Reply {
    let resource_type = resource_type(&type_name)?;
    let id = resource_id(resource_type, &id)?;
    let document = domain::json::parse(&body.bytes)
        .map_err(|_| Error::bad_request("the patch body is not valid JSON"))?;
    let spellings = Spellings::scan(&body.bytes);
    let patch = match body.kind {
        BodyKind::JsonPatch => Patch { format: PatchFormat::Json, document, spellings },
        BodyKind::Json => Patch::fhirpath(document, spellings)?,
    };
    let if_match = request.if_match()?;
    run(&state, &request, Interaction::Patch { resource_type, id, patch, if_match }).await
}

/// Deletes a resource; a later read answers 410 Gone.
#[utoipa::path(delete, path = "/fhir/{type}/{id}", tag = "instance",
    params(("type" = String, Path, description = "an R4 resource type"), ("id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "W/\"versionId\": delete only that version")),
    responses((status = 204, description = "deleted (or already absent)"),
        (status = 412, description = "If-Match names another version")))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path((type_name, id)): Path<(String, String)>,
    request: FhirRequest,
) -> Reply {
    let resource_type = resource_type(&type_name)?;
    let id = resource_id(resource_type, &id)?;
    let if_match = request.if_match()?;
    run(&state, &request, Interaction::Delete { resource_type, id, if_match }).await
}

/// History of one resource.
#[utoipa::path(get, path = "/fhir/{type}/{id}/_history", tag = "instance",
    params(("type" = String, Path, description = "an R4 resource type"), ("id" = String, Path),
        ("_count" = Option<u32>, Query, description = COUNT_DOC),
        ("_since" = Option<String>, Query, description = SINCE_DOC),
        ("_at" = Option<String>, Query, description = AT_DOC)),
    responses((status = 200, description = HISTORY_DOC),
        (status = 400, description = "a parameter is invalid, or not supported under Prefer: handling=strict"),
        (status = 404, description = "no such resource (a deleted one has a history)")))]
pub(crate) async fn instance_history(
    State(state): State<AppState>,
    Path((type_name, id)): Path<(String, String)>,
    request: FhirRequest,
) -> Reply {
    let resource_type = resource_type(&type_name)?;
    let id = resource_id(resource_type, &id)?;
    history::history(&state, &request, Some(resource_type), Some(id)).await
}

/// Reads one version of a resource.
#[utoipa::path(get, path = "/fhir/{type}/{id}/_history/{vid}", tag = "instance",
    params(("type" = String, Path, description = "an R4 resource type"), ("id" = String, Path),
        ("vid" = String, Path, description = "the version id"),
        ("_summary" = Option<String>, Query, description = SUMMARY_DOC),
        ("_elements" = Option<String>, Query, description = ELEMENTS_DOC)),
    responses((status = 200, description = "that version"), (status = 304, description = "not modified"),
        (status = 404, description = "no such version"),
        (status = 410, description = "that version is a deletion")))]
pub(crate) async fn vread(
    State(state): State<AppState>,
    Path((type_name, id, vid)): Path<(String, String, String)>,
    request: FhirRequest,
) -> Reply {
    let resource_type = resource_type(&type_name)?;
    let id = resource_id(resource_type, &id)?;
    let version = version_id(resource_type, &vid)?;
    let subset = Subset::for_read(&request.params)?;
    let vread = Interaction::VRead { resource_type, id, version };
    let outcome = state.store.execute(vread).await.map_err(|error| match error.kind {
        ErrorKind::NotFound => Error::not_found(format!(
            "no such version: there is no version {version} of a {resource_type} with that id"
        )),
        _ => error,
    })?;
    let outcome = match outcome {
        Outcome::Resource { version, created: false }
            if request.not_modified(version.version, version.last_updated) =>
        {
            Outcome::NotModified { version }
        }
        other => other,
    };
    Ok(respond::read(outcome, &request, subset.as_ref()))
}
