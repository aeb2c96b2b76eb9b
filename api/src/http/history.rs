//! History requests: the parameters the store applies and those it does not (an error under
//! `Prefer: handling=strict`, a warning otherwise), 404 for an instance that never existed, and
//! `_count=0` as the total alone.

use axum::http::StatusCode;
use axum::response::Response;
use domain::{Error, ErrorKind, ResourceId, ResourceType};
use store::Outcome;

use super::AppState;
use super::bundles;
use super::errors::ApiError;
use super::request::FhirRequest;
use super::respond;

/// The parameters a history request may carry that the store applies (`_cursor` is the one a
/// `next` link carries) or that shape the response.
const APPLIED: &[&str] = &["_count", "_since", "_cursor", "_format", "_pretty"];

/// History of the system, a type (`id` none) or an instance.
// FIXME(#2): `_at` and `_list` are not implemented, and a history entry of a batch (run by the
// store alone) gets neither the 404 of an unknown instance nor `_count=0`.
pub(crate) async fn history(
    state: &AppState,
    request: &FhirRequest,
    resource_type: Option<ResourceType>,
    id: Option<ResourceId>,
) -> Result<Response, ApiError> {
    let ignored = not_applied(&request.params);
    if request.strict && !ignored.is_empty() {
        let names = ignored.join(", ");
        return Err(Error::bad_request(format!("history parameters not supported: {names}")).into());
    }
    if let (Some(resource_type), Some(id)) = (resource_type, &id) {
        ensure_existed(state, resource_type, id).await?;
    }
    let outcome = state.store.history_interaction(resource_type, id, &request.params).await?;
    let Outcome::History(mut page) = outcome else {
        return Err(Error::internal("history gave no history page").into());
    };
    if asks_total_only(&request.params) {
        page.versions.clear();
        page.next_cursor = None;
    }
    let bytes = bundles::history(&page, request, &ignored);
    Ok(respond::body(StatusCode::OK, bytes, request.format))
}

/// The names of the parameters this history request would not apply, each once.
fn not_applied(params: &[(String, String)]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (name, _) in params {
        if !APPLIED.contains(&name.as_str()) && !names.contains(name) {
            names.push(name.clone());
        }
    }
    names
}

/// A deleted resource has a history; one that never existed has none: 404.
async fn ensure_existed(
    state: &AppState,
    resource_type: ResourceType,
    id: &ResourceId,
) -> Result<(), Error> {
    match state.store.read_current(resource_type, id).await {
        Ok(_) => Ok(()),
        Err(error) if error.kind == ErrorKind::Gone => Ok(()),
        Err(error) => Err(error),
    }
}

/// `_count=0`: the total, and no entries (the store pages by at least one).
fn asks_total_only(params: &[(String, String)]) -> bool {
    let count = params.iter().rev().find(|(name, _)| name == "_count");
    count.is_some_and(|(_, value)| value.parse::<u32>() == Ok(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn at_list_and_unknown_parameters_are_not_applied_the_paging_ones_are() {
        let given = params(&[("_count", "1"), ("_at", "2020"), ("_list", "x"), ("_at", "2021")]);
        assert_eq!(not_applied(&given), ["_at", "_list"]);
        assert!(
            not_applied(&params(&[("_since", "2020-01-01T00:00:00Z"), ("_pretty", "true")]))
                .is_empty()
        );
    }

    #[test]
    fn only_a_last_count_of_zero_asks_for_the_total_alone() {
        assert!(asks_total_only(&params(&[("_count", "5"), ("_count", "0")])));
        assert!(!asks_total_only(&params(&[("_count", "0"), ("_count", "5")])));
        assert!(!asks_total_only(&params(&[])));
    }
}
