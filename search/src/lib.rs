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
pub use query::SearchQuery;
pub use registry::{ParamKind, Registry, SearchParam};
pub use ucum::canonical as canonical_quantity;

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable source folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn every_source_file_opens_with_a_doc_line() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        rust_files(&root.join("src"), &mut files);
        rust_files(&root.join("tests"), &mut files);
        let missing: Vec<_> = files
            .iter()
            .filter(|f| !std::fs::read_to_string(f).expect("readable").starts_with("//!"))
            .collect();
        assert!(missing.is_empty(), "files without a //! line: {missing:?}");
    }
}
