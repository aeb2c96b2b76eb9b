//! Puts the files in load order: every batch Bundle first (Synthea's hospital and practitioner
//! files, which the patients' transactions reference), then everything else, each in path order.

use futures::{StreamExt, TryStreamExt};

use super::scan::{self, Depth};
use super::source::{Layout, SourceFile};

/// The files of each phase; a phase finishes before the next one starts.
#[derive(Debug, Default)]
pub(crate) struct Phases {
    pub(crate) batches: Vec<SourceFile>,
    pub(crate) rest: Vec<SourceFile>,
}

impl Phases {
    pub(crate) fn len(&self) -> usize {
        self.batches.len() + self.rest.len()
    }
}

/// Sorts files into phases, reading only the start of each JSON file, `concurrency` at a time.
pub(crate) async fn phases(files: Vec<SourceFile>, concurrency: usize) -> anyhow::Result<Phases> {
    let sniffed: Vec<(SourceFile, bool)> = futures::stream::iter(files)
        .map(|file| tokio::task::spawn_blocking(move || (is_batch(&file), file)))
        .buffered(concurrency.max(1))
        .map_ok(|(batch, file)| (file, batch))
        .try_collect()
        .await?;
    let mut phases = Phases::default();
    for (file, batch) in sniffed {
        if batch { phases.batches.push(file) } else { phases.rest.push(file) }
    }
    Ok(phases)
}

/// Whether a file holds a Bundle of type batch; a file that cannot be read is not, and its error
/// is reported when it is loaded.
fn is_batch(file: &SourceFile) -> bool {
    if file.layout != Layout::Json {
        return false;
    }
    let Ok(reader) = file.open() else { return false };
    match scan::scan(reader, Depth::Sniff) {
        Ok(header) => header.is_bundle() && header.bundle_type.as_deref() == Some("batch"),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::load::source::discover;

    fn names(files: &[SourceFile]) -> Vec<String> {
        let name =
            |file: &SourceFile| file.path.file_name().map(|n| n.to_string_lossy().into_owned());
        files.iter().filter_map(name).collect()
    }

    #[tokio::test]
    async fn batch_bundles_come_first_and_each_phase_keeps_path_order() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let bundle =
            |kind: &str| format!(r#"{{"resourceType":"Bundle","type":"{kind}","entry":[]}}"#);
        std::fs::write(dir.path().join("a-tx.json"), bundle("transaction"))?;
        std::fs::write(dir.path().join("b.ndjson"), "{}\n")?;
        std::fs::write(dir.path().join("c-batch.json"), bundle("batch"))?;
        std::fs::write(dir.path().join("d-broken.json"), "not json")?;
        std::fs::write(dir.path().join("e-batch.json"), bundle("batch"))?;
        let phases = phases(discover(&[dir.path().to_path_buf()])?, 3).await?;
        assert_eq!(names(&phases.batches), ["c-batch.json", "e-batch.json"]);
        assert_eq!(names(&phases.rest), ["a-tx.json", "b.ndjson", "d-broken.json"]);
        Ok(())
    }

    /// The Synthea sample ships with the shared data, found by walking up from this crate
    /// (or named by `PANORAMA_SYNTHEA_DIR`).
    fn synthea_folder() -> Option<PathBuf> {
        let named = std::env::var_os("PANORAMA_SYNTHEA_DIR").map(PathBuf::from);
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut candidates = match named {
            Some(dir) => vec![dir],
            None => here.ancestors().map(|dir| dir.join("shared/data/synthea")).collect(),
        };
        candidates.retain(|dir| dir.is_dir());
        candidates.into_iter().next()
    }

    #[tokio::test]
    async fn synthea_hospital_and_practitioner_batches_load_first() -> anyhow::Result<()> {
        let Some(folder) = synthea_folder() else {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "shared/data/synthea is missing");
            println!("note: shared/data/synthea not found, skipping the Synthea ordering test");
            return Ok(());
        };
        let files = discover(&[folder])?;
        assert_eq!(files.len(), 122);
        let phases = phases(files, 4).await?;
        let batches = names(&phases.batches);
        assert_eq!(batches.len(), 2, "{batches:?}");
        assert!(batches[0].starts_with("0-hospitalInformation"), "{batches:?}");
        assert!(batches[1].starts_with("0-practitionerInformation"), "{batches:?}");
        assert_eq!(phases.rest.len(), 120);
        Ok(())
    }
}
