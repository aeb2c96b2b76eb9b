//! Finding the shared FHIR R4 data for the integration tests, with the skip rule: missing
//! data skips a test with a printed note, except under `CI=true`, where it fails it.

use std::path::{Path, PathBuf};
use std::process::Command;

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

/// The unpacked npm package `hl7.fhir.r4.examples@4.0.1` (its `package/` folder): from
/// `PANORAMA_R4_EXAMPLES`, else fetched with `npm pack` into the target folder's `test-data/`
/// the first time (the folder the conformance tests use too). `None` (after the note) when npm
/// cannot fetch it.
#[allow(dead_code)] // reason: each test binary compiles this module and uses part of it
pub(crate) fn npm_r4_examples() -> Option<PathBuf> {
    if let Some(given) = r4_examples() {
        return Some(given);
    }
    let dir = test_data_dir().join("hl7.fhir.r4.examples-4.0.1");
    if !dir.join("package/package.json").exists() {
        let fetched = unpack_into(&dir, |staging| {
            run(
                Command::new("npm").args(["pack", "--silent", "hl7.fhir.r4.examples@4.0.1"]),
                staging,
            )?;
            run(Command::new("tar").args(["xzf", "hl7.fhir.r4.examples-4.0.1.tgz"]), staging)
        });
        if let Err(reason) = fetched {
            skip_or_fail(&format!("the npm package hl7.fhir.r4.examples@4.0.1 ({reason})"));
            return None;
        }
    }
    Some(dir.join("package"))
}

/// `test-data/` under `CARGO_TARGET_DIR`, else under the workspace's `target/`: downloads
/// that tests reuse and that are never committed.
#[allow(dead_code)] // reason: each test binary compiles this module and uses part of it
pub(crate) fn test_data_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("test-data")
}

/// Fills `dir` through `fill`, run in a staging folder beside it that is then renamed, so
/// that concurrent tests never see half of it.
#[allow(dead_code)] // reason: each test binary compiles this module and uses part of it
pub(crate) fn unpack_into(
    dir: &Path,
    fill: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), String> {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let staging = dir.with_file_name(format!("{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| e.to_string())?;
    if let Err(e) = fill(&staging) {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    match std::fs::rename(&staging, dir) {
        Ok(()) => Ok(()),
        // Another test finished first: its copy is as good.
        Err(_) if dir.exists() => {
            let _ = std::fs::remove_dir_all(&staging);
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Runs a command in `dir`; its failure, with what it wrote on stderr, as the error.
#[allow(dead_code)] // reason: each test binary compiles this module and uses part of it
pub(crate) fn run(command: &mut Command, dir: &Path) -> Result<(), String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command.current_dir(dir).output().map_err(|e| format!("{program}: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Err(format!("{program} exited with {}: {}", output.status, stderr.trim()))
}

/// Under `CI=true` a missing input fails the test; elsewhere the test prints `skipped`.
pub(crate) fn skip_or_fail(what: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{what} is missing, and CI=true requires it");
    }
    eprintln!("skipped: {what} is missing");
}
