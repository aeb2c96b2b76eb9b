//! FHIR R4 semantics for Panorama: resource types, identifiers, structural validation, bundle
//! processing rules and OperationOutcome issues.
//!
//! This crate does no I/O: no database, no HTTP, no files at run time. Everything here is a pure
//! function of its inputs, so the store and the API can share it.

pub mod bundle;
pub mod error;
pub mod id;
pub mod interaction;
pub mod json;
pub mod outcome;
pub mod resource;
pub mod resource_type;
pub mod subset;
pub mod validation;

pub use error::{Error, ErrorKind, Result};
pub use id::{NoneMatch, ResourceId, VersionId};
pub use resource::Resource;
pub use resource_type::ResourceType;
pub use subset::Subset;

/// Checks a resource against the R4 structure definitions: 422 with every issue when invalid.
pub fn validate(resource: &Resource) -> Result<()> {
    validation::validate(resource.json())
        .map_err(|issues| Error::with_issues(ErrorKind::Unprocessable, issues))
}
