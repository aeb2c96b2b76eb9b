//! The OpenAPI description of every route (utoipa), served at `/openapi.json`, and the
//! interactive documentation page at `/docs`, whose assets are served by this server.

use axum::Router;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use super::AppState;
use super::{health, interactions as fhir, searches};

#[derive(OpenApi)]
#[openapi(
    info(title = "Panorama", description = "FHIR R4 server for a region's shared imaging record"),
    tags((name = "system", description = "whole-server interactions"),
        (name = "type", description = "interactions on one resource type"),
        (name = "instance", description = "interactions on one resource"),
        (name = "health", description = "liveness and readiness"))
)]
struct ApiDoc;

/// Every documented route.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(fhir::metadata))
        .routes(routes!(fhir::system_bundle, searches::system_search))
        .routes(routes!(searches::system_search_post))
        .routes(routes!(fhir::system_history))
        .routes(routes!(
            fhir::search,
            fhir::create,
            fhir::conditional_update,
            fhir::conditional_delete
        ))
        .routes(routes!(fhir::type_history))
        .routes(routes!(searches::search_post))
        .routes(routes!(searches::compartment_search))
        .routes(routes!(searches::compartment_search_post))
        .routes(routes!(fhir::read, fhir::update, fhir::patch, fhir::delete))
        .routes(routes!(fhir::instance_history))
        .routes(routes!(fhir::vread))
        .routes(routes!(health::live))
        .routes(routes!(health::ready))
}

/// `/openapi.json` and the `/docs` page.
pub(crate) fn docs(doc: OpenApiDoc) -> Router<AppState> {
    // No validator badge: it would send the document's address to a host outside the region.
    let config = utoipa_swagger_ui::Config::from("/openapi.json").validator_url("none");
    SwaggerUi::new("/docs").url("/openapi.json", doc).config(config).into()
}

/// The OpenAPI document as pretty JSON, as kept in `openapi/openapi.json`.
pub fn openapi_json() -> String {
    let (_, doc) = router().split_for_parts();
    doc.to_pretty_json().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Run with `UPDATE_OPENAPI=1` to rewrite the file after changing a route.
    #[test]
    fn the_openapi_document_in_the_repo_is_up_to_date() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/openapi.json");
        let current = super::openapi_json();
        if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
            std::fs::write(&path, &current).expect("write openapi.json");
        }
        let kept = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            kept == current,
            "openapi/openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test -p api openapi`"
        );
    }
}
