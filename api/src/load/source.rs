//! Finds the files to load under the given paths and opens them decompressed, streaming.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// How a file's content is laid out once decompressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// One JSON resource, often a Bundle.
    Json,
    /// One resource per line.
    Ndjson,
}

/// How a file is compressed, told by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    None,
    Gzip,
    Bzip2,
}

/// A file to load, with what its name says about its content.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    pub(crate) path: PathBuf,
    pub(crate) layout: Layout,
    pub(crate) compression: Compression,
}

impl SourceFile {
    /// Reads the file's name; `None` when the extension is not one `load` understands.
    pub(crate) fn from_path(path: PathBuf) -> Option<Self> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let (rest, compression) = match name.rsplit_once('.')? {
            (rest, "gz") => (rest, Compression::Gzip),
            (rest, "bz2") => (rest, Compression::Bzip2),
            _ => (name.as_str(), Compression::None),
        };
        let layout = match rest.rsplit_once('.')?.1 {
            "json" => Layout::Json,
            "ndjson" => Layout::Ndjson,
            _ => return None,
        };
        Some(Self { path, layout, compression })
    }

    /// Opens the file, decompressing on the fly.
    pub(crate) fn open(&self) -> std::io::Result<Box<dyn BufRead + Send>> {
        let file = File::open(&self.path)?;
        let reader: Box<dyn Read + Send> = match self.compression {
            Compression::None => Box::new(file),
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file))),
            Compression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(BufReader::new(file))),
        };
        Ok(Box::new(BufReader::with_capacity(64 * 1024, reader)))
    }

    /// Reads the whole decompressed content.
    pub(crate) fn read_all(&self) -> std::io::Result<Vec<u8>> {
        let mut content = Vec::new();
        self.open()?.read_to_end(&mut content)?;
        Ok(content)
    }
}

/// Lists the files to load: each path in the given order, folders walked recursively and sorted
/// by path so that a load is repeatable.
pub(crate) fn discover(paths: &[PathBuf]) -> anyhow::Result<Vec<SourceFile>> {
    let mut files = Vec::new();
    for path in paths {
        let meta =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.is_dir() {
            files.extend(walk(path)?);
        } else {
            files.push(named_file(path)?);
        }
    }
    Ok(files)
}

fn named_file(path: &Path) -> anyhow::Result<SourceFile> {
    match SourceFile::from_path(path.to_path_buf()) {
        Some(file) => Ok(file),
        None => bail!(
            "{}: not a .json or .ndjson file (optionally .gz or .bz2 compressed)",
            path.display()
        ),
    }
}

/// Collects the loadable files below a folder, skipping hidden entries and other extensions.
/// Symbolic links to files are followed, to folders not (they could loop).
fn walk(folder: &Path) -> anyhow::Result<Vec<SourceFile>> {
    let mut found = Vec::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
            let (path, kind) = (entry.path(), entry.file_type()?);
            if is_hidden(&path) {
                continue;
            }
            if kind.is_dir() {
                pending.push(path);
            } else if path.is_file()
                && let Some(file) = SourceFile::from_path(path)
            {
                found.push(file);
            }
        }
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

fn is_hidden(path: &Path) -> bool {
    path.file_name().and_then(|name| name.to_str()).is_some_and(|name| name.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(name: &str) -> Option<(Layout, Compression)> {
        SourceFile::from_path(PathBuf::from(name)).map(|file| (file.layout, file.compression))
    }

    #[test]
    fn extensions_tell_layout_and_compression() {
        assert_eq!(parsed("a.json"), Some((Layout::Json, Compression::None)));
        assert_eq!(parsed("dir/A.JSON.GZ"), Some((Layout::Json, Compression::Gzip)));
        assert_eq!(parsed("x.json.bz2"), Some((Layout::Json, Compression::Bzip2)));
        assert_eq!(parsed("Patient.ndjson"), Some((Layout::Ndjson, Compression::None)));
        assert_eq!(parsed("Patient.ndjson.gz"), Some((Layout::Ndjson, Compression::Gzip)));
        assert_eq!(parsed("Patient.ndjson.bz2"), Some((Layout::Ndjson, Compression::Bzip2)));
    }

    #[test]
    fn other_extensions_are_not_loadable() {
        for name in ["README.md", "json", "a.gz", "a.txt.bz2", "a.json.zip", ".bz2"] {
            assert_eq!(parsed(name), None, "{name}");
        }
    }

    #[test]
    fn a_folder_is_walked_recursively_in_path_order() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("b/c"))?;
        for name in ["z.json", "b/c/a.ndjson", "b/y.json.gz", "a.json", "notes.md", ".hidden.json"]
        {
            std::fs::write(dir.path().join(name), "{}")?;
        }
        let files = discover(&[dir.path().to_path_buf()])?;
        let names: Vec<_> = files.iter().map(|f| f.path.strip_prefix(dir.path())).collect();
        let expected = ["a.json", "b/c/a.ndjson", "b/y.json.gz", "z.json"];
        assert_eq!(names, expected.map(|name| Ok(Path::new(name))));
        Ok(())
    }

    #[test]
    fn a_named_file_with_another_extension_is_an_error() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("notes.md");
        std::fs::write(&path, "x")?;
        assert!(discover(&[path]).is_err());
        assert!(discover(&[dir.path().join("missing.json")]).is_err());
        Ok(())
    }
}
