//! FHIR search semantics for Panorama: the R4 search-parameter registry, a FHIRPath evaluator
//! for the expressions those parameters use, extraction of index values from resources, and
//! parsing of search requests into typed clauses.
//!
//! This crate knows no SQL and no HTTP: the store turns its output into index rows and
//! queries, and the api hands it the request's parameters. It does no I/O and must not
//! depend on `domain` or `store`.

pub mod fhirpath;

mod model;
mod reference;
