//! Search by POST (`_search` with a form body), across types (`GET /fhir?_type=...`) and in a
//! compartment (`/Patient/{id}/Observation`), besides the plain `GET /{type}` of
//! `interactions`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use domain::interaction::{Compartment, Interaction, parse_query};
use domain::outcome::IssueType;
use domain::{Error, ErrorKind, ResourceType, Subset};

use super::AppState;
use super::interactions::{ELEMENTS_DOC, Reply, SUMMARY_DOC, resource_id, resource_type, run_read};
use super::request::FhirRequest;

/// Runs a search of `resource_type` (every type, or those `_type` lists, when `None`; in
/// `compartment`, when given) with the request's parameters; its resources are cut to what
/// `_summary` and `_elements` ask.
pub(super) async fn run(
    state: &AppState,
    request: &FhirRequest,
    resource_type: Option<ResourceType>,
    compartment: Option<Compartment>,
) -> Reply {
    let subset = Subset::for_search(&request.params)?;
    let interaction = Interaction::Search {
        resource_type,
        params: request.params.clone(),
        strict: request.strict,
        compartment,
    };
    run_read(state, request, interaction, subset).await
}

/// Searches one resource type with parameters in a form body (and the URL).
#[utoipa::path(post, path = "/fhir/{type}/_search", tag = "type",
    params(("type" = String, Path, description = "an R4 resource type")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "search parameters, as in the query string of a GET search"),
    responses((status = 200, description = "searchset Bundle; its links use the GET form"),
        (status = 415, description = "the body is not form-encoded")))]
pub(crate) async fn search_post(
    State(state): State<AppState>,
    Path(type_name): Path<String>,
    mut request: FhirRequest,
    body: Bytes,
) -> Reply {
    let resource_type = resource_type(&type_name)?;
    take_form(&mut request, &body)?;
    run(&state, &request, Some(resource_type), None).await
}

/// Searches across resource types: every type, or those `_type` lists, on the parameters they
/// share (`_id`, `_lastUpdated`, `_tag`...; with `_type`, any parameter all listed types have).
#[utoipa::path(get, path = "/fhir", tag = "system",
    params(("_type" = Option<String>, Query, description = "comma-separated resource types"),
        ("_summary" = Option<String>, Query, description = SUMMARY_DOC),
        ("_elements" = Option<String>, Query, description = ELEMENTS_DOC)),
    responses((status = 200, description = "searchset Bundle")))]
pub(crate) async fn system_search(State(state): State<AppState>, request: FhirRequest) -> Reply {
    run(&state, &request, None, None).await
}

/// Searches across resource types with parameters in a form body (and the URL).
#[utoipa::path(post, path = "/fhir/_search", tag = "system",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "search parameters, as in the query string of a GET search"),
    responses((status = 200, description = "searchset Bundle; its links use the GET form"),
        (status = 415, description = "the body is not form-encoded")))]
pub(crate) async fn system_search_post(
    State(state): State<AppState>,
    mut request: FhirRequest,
    body: Bytes,
) -> Reply {
    take_form(&mut request, &body)?;
    run(&state, &request, None, None).await
}

/// Searches the resources of one type in a compartment: `Patient/{id}/DiagnosticReport` finds
/// the DiagnosticReports whose compartment parameters (R4's CompartmentDefinition) point to the
/// patient.
#[utoipa::path(get, path = "/fhir/{compartment}/{id}/{type}", tag = "type",
    params(("compartment" = String, Path, description = "Patient, Encounter, Practitioner, RelatedPerson or Device"),
        ("id" = String, Path, description = "the id of the compartment's resource"),
        ("type" = String, Path, description = "the resource type searched"),
        ("_summary" = Option<String>, Query, description = SUMMARY_DOC),
        ("_elements" = Option<String>, Query, description = ELEMENTS_DOC)),
    responses((status = 200, description = "searchset Bundle")))]
pub(crate) async fn compartment_search(
    State(state): State<AppState>,
    Path((owner, id, type_name)): Path<(String, String, String)>,
    request: FhirRequest,
) -> Reply {
    let owner = resource_type(&owner)?;
    let compartment = Compartment { resource_type: owner, id: resource_id(owner, &id)? };
    run(&state, &request, Some(resource_type(&type_name)?), Some(compartment)).await
}

/// Searches a compartment with parameters in a form body (and the URL).
#[utoipa::path(post, path = "/fhir/{compartment}/{id}/{type}/_search", tag = "type",
    params(("compartment" = String, Path, description = "Patient, Encounter, Practitioner, RelatedPerson or Device"),
        ("id" = String, Path, description = "the id of the compartment's resource"),
        ("type" = String, Path, description = "the resource type searched")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "search parameters, as in the query string of a GET search"),
    responses((status = 200, description = "searchset Bundle; its links use the GET form"),
        (status = 415, description = "the body is not form-encoded")))]
pub(crate) async fn compartment_search_post(
    State(state): State<AppState>,
    Path((owner, id, type_name)): Path<(String, String, String)>,
    mut request: FhirRequest,
    body: Bytes,
) -> Reply {
    let owner = resource_type(&owner)?;
    let compartment = Compartment { resource_type: owner, id: resource_id(owner, &id)? };
    take_form(&mut request, &body)?;
    run(&state, &request, Some(resource_type(&type_name)?), Some(compartment)).await
}

/// Adds a form body's parameters to those of the URL, and points the request (whose path the
/// Bundle's links repeat) at the GET form of the search.
fn take_form(request: &mut FhirRequest, body: &[u8]) -> Result<(), Error> {
    let media = request.header(CONTENT_TYPE.as_str()).unwrap_or("");
    let media = media.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(Error::new(
            ErrorKind::UnsupportedMediaType,
            IssueType::NotSupported,
            "a _search POST takes its parameters as application/x-www-form-urlencoded",
        ));
    }
    let form =
        std::str::from_utf8(body).map_err(|_| Error::bad_request("the form body is not UTF-8"))?;
    request.params.extend(parse_query(form));
    if let Some(path) = request.path.strip_suffix("/_search") {
        request.path = path.to_owned();
    }
    Ok(())
}
