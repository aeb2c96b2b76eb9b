//! Real test data: `../shared/data` beside the checkout, and the official examples package
//! fetched from npm on first use. Absent data skips a test, except under `CI=true`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A folder of `../shared/data` (e.g. `fhir-r4/examples`), or `None` (test skips) when the
/// checkout has no shared data beside it. Under `CI=true` its absence fails the test.
pub fn shared_data(relative: &str) -> Option<PathBuf> {
    let path = workspace_root().join("../shared/data").join(relative);
    if path.exists() {
        return Some(path);
    }
    assert!(!in_ci(), "CI=true but the shared data is missing: {}", path.display());
    eprintln!("skipped: {} is absent (a fresh clone has no ../shared)", path.display());
    None
}

/// The unpacked npm package `hl7.fhir.r4.examples@4.0.1` (its `package/` folder), fetched with
/// `npm pack` into `target/test-data/` the first time. `None` (test skips) when npm cannot fetch
/// it, except under `CI=true`.
pub fn npm_examples() -> Option<PathBuf> {
    if let Ok(given) = std::env::var("PANORAMA_R4_EXAMPLES") {
        return Some(PathBuf::from(given));
    }
    let dir = workspace_root().join("target/test-data/hl7.fhir.r4.examples-4.0.1");
    let package = dir.join("package");
    if package.join("package.json").exists() {
        return Some(package);
    }
    match fetch_npm_examples(&dir) {
        Ok(()) => Some(package),
        Err(reason) => {
            assert!(!in_ci(), "CI=true but the npm examples could not be fetched: {reason}");
            eprintln!("skipped: the npm examples package could not be fetched: {reason}");
            None
        }
    }
}

fn fetch_npm_examples(dir: &Path) -> Result<(), String> {
    // Unpack beside the final folder, then rename: concurrent tests never see half a package.
    let staging = dir.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::create_dir_all(&staging).map_err(|e| e.to_string())?;
    let packed = Command::new("npm")
        .args(["pack", "--silent", "hl7.fhir.r4.examples@4.0.1"])
        .current_dir(&staging)
        .output()
        .map_err(|e| format!("npm: {e}"))?;
    if !packed.status.success() {
        return Err(format!("npm pack exited with {}", packed.status));
    }
    let untar = Command::new("tar")
        .args(["xzf", "hl7.fhir.r4.examples-4.0.1.tgz"])
        .current_dir(&staging)
        .status()
        .map_err(|e| format!("tar: {e}"))?;
    if !untar.success() {
        return Err(format!("tar exited with {untar}"));
    }
    match std::fs::rename(&staging, dir) {
        Ok(()) => Ok(()),
        // Another test finished first: its copy is as good.
        Err(_) if dir.join("package/package.json").exists() => {
            let _ = std::fs::remove_dir_all(&staging);
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    }
}
