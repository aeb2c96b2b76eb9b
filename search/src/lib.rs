//! FHIR search semantics for Panorama: the R4 search-parameter registry, a FHIRPath evaluator
//! for the expressions those parameters use, extraction of index values from resources, and
//! parsing of search requests into typed clauses.
//!
//! This crate knows no SQL and no HTTP: the store turns its output into index rows and
//! queries, and the api hands it the request's parameters. It does no I/O and must not
//! depend on `domain` or `store`.

pub mod extract;
pub mod fhirpath;
pub mod query;
pub mod registry;

mod datetime;
mod decimal;
mod model;
mod normalize;
mod reference;
mod ucum;

pub use datetime::date_range;
pub use decimal::{Decimal, parse_decimal};
pub use extract::{IndexEntry, IndexValue, extract};
pub use normalize::normalize;
pub use query::{SearchQuery, parse};
pub use registry::{ParamKind, Registry, SearchParam};
pub use ucum::canonical as canonical_quantity;
