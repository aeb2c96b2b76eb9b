//! Finding the shared FHIR R4 data for the integration tests, with the skip rule: missing
//! data skips a test with a printed note, except under `CI=true`, where it fails it.

use std::path::{Path, PathBuf};

/// The shared `fhir-r4` data folder holding `probe`, from `PANORAMA_FHIR_R4_DATA`, else
/// `shared/data/fhir-r4` beside the workspace; `None` (after the note) when absent.
pub(crate) fn fhir_r4_data(probe: &str) -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("PANORAMA_FHIR_R4_DATA").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/fhir-r4")),
    ];
    let found = candidates.into_iter().flatten().find(|dir| dir.join(probe).exists());
    if found.is_none() {
        skip_or_fail(&format!("the shared FHIR R4 data ({probe})"));
    }
    found
}

/// The unpacked npm package `hl7.fhir.r4.examples` from `PANORAMA_R4_EXAMPLES`, if set;
/// unset is not a failure, even in CI.
#[allow(dead_code)] // reason: each test binary compiles this module and uses part of it
pub(crate) fn r4_examples() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("PANORAMA_R4_EXAMPLES")?);
    assert!(dir.is_dir(), "PANORAMA_R4_EXAMPLES does not name a folder");
    Some(dir)
}

fn skip_or_fail(what: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{what} is missing, and CI=true requires it");
    }
    eprintln!("note: skipping: {what} is missing");
}
