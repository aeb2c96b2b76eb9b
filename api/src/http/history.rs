//! History requests: the parameters the store applies and those it does not (an error under
//! `Prefer: handling=strict`, a warning otherwise).

use axum::http::StatusCode;
use axum::response::Response;
use domain::{Error, ResourceId, ResourceType};
use store::Outcome;

use super::AppState;
use super::bundles;
use super::errors::ApiError;
use super::request::FhirRequest;
use super::respond;

/// The parameters a history request may carry that the store applies (`_cursor` is the one a
/// `next` link carries) or that shape the response.
const APPLIED: &[&str] = &["_count", "_since", "_at", "_cursor", "_format", "_pretty"];

/// History of the system, a type (`id` none) or an instance.
// FIXME(#2): `_list` (history of the resources of a List) is not implemented.
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
    let outcome = state.store.history_interaction(resource_type, id, &request.params).await?;
    let Outcome::History(page) = outcome else {
        return Err(Error::internal("history gave no history page").into());
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn list_and_unknown_parameters_are_not_applied_the_paging_ones_are() {
        let given = params(&[("_count", "1"), ("_list", "x"), ("_at", "2020"), ("_list", "y")]);
        assert_eq!(not_applied(&given), ["_list"]);
        assert!(
            not_applied(&params(&[("_since", "2020-01-01T00:00:00Z"), ("_pretty", "true")]))
                .is_empty()
        );
    }
}
