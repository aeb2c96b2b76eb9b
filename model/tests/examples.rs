//! Every official R4 example of the types the domain logic builds or reads goes through the
//! typed model: it reads, what `write` makes of it holds the example's content but for the
//! documented losses, and reads back to the same resource.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The resource types whose examples must read, as file name prefixes.
const TYPES: &[&str] =
    &["Patient", "ImagingStudy", "DiagnosticReport", "DocumentReference", "Observation", "Consent"];

fn shared_examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/fhir-r4/examples")
}

/// The examples of `TYPES`, sorted so that failures are reported in a stable order.
fn examples(folder: &Path) -> Vec<PathBuf> {
    let entries = fs::read_dir(folder).expect("examples folder is readable");
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| TYPES.contains(&resource_type(path)))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

/// The type an example's file name starts with (`Observation-bmi.json`).
fn resource_type(path: &Path) -> &str {
    let name = path.file_name().and_then(|name| name.to_str()).expect("UTF-8 file name");
    name.split('-').next().unwrap_or_default()
}

/// Where `written` differs from `original` beyond the documented losses: numbers compare as
/// f64, a date-time in UTC may be written `Z` for `+00:00`, base64 loses its line breaks.
fn differences(original: &Value, written: &Value, path: &str, out: &mut Vec<String>) {
    match (original, written) {
        (Value::Object(original), Value::Object(written)) => {
            for key in original.keys().chain(written.keys().filter(|k| !original.contains_key(*k)))
            {
                let (before, after) = (&original[key], written.get(key).unwrap_or(&Value::Null));
                differences(before, after, &format!("{path}.{key}"), out);
            }
        }
        (Value::Array(original), Value::Array(written)) if original.len() == written.len() => {
            for (n, (before, after)) in original.iter().zip(written).enumerate() {
                differences(before, after, &format!("{path}[{n}]"), out);
            }
        }
        (Value::Number(before), Value::Number(after)) if before.as_f64() == after.as_f64() => {}
        (Value::String(before), Value::String(after)) if same_text(path, before, after) => {}
        _ if original == written => {}
        _ => out.push(format!("{path}: {original} became {written}")),
    }
}

fn same_text(path: &str, before: &str, after: &str) -> bool {
    let utc = before.strip_suffix("+00:00").zip(after.strip_suffix('Z'));
    let base64 =
        || path.ends_with(".data") && before.split_whitespace().collect::<String>() == after;
    utc.is_some_and(|(before, after)| before == after) || base64()
}

/// Reads `path`, checks what it writes, reads that again: `Err` says what went wrong.
fn round_trip(path: &Path) -> Result<(), String> {
    let bytes = fs::read(path).map_err(|error| error.to_string())?;
    let resource = model::read(&bytes).map_err(|error| format!("read: {error:?}"))?;
    let written = model::write(&resource).map_err(|error| format!("write: {error:?}"))?;
    let again = model::read(&written).map_err(|error| format!("read again: {error:?}"))?;

    let original: Value = serde_json::from_slice(&bytes).expect("example JSON");
    let mut lost = Vec::new();
    differences(&original, &serde_json::from_slice(&written).expect("written JSON"), "", &mut lost);
    if !lost.is_empty() {
        return Err(lost.join("; "));
    }
    if again != resource {
        return Err("written and read again, it differs".to_owned());
    }
    Ok(())
}

#[test]
fn official_examples_read_and_round_trip_through_write() {
    let folder = shared_examples();
    if !folder.is_dir() {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{} is missing", folder.display());
        println!("skipped: {} is absent", folder.display());
        return;
    }
    let files = examples(&folder);
    for kind in TYPES {
        assert!(files.iter().any(|path| resource_type(path) == *kind), "no {kind} example");
    }
    let failures: Vec<String> = files
        .iter()
        .filter_map(|path| round_trip(path).err().map(|error| format!("{path:?}: {error}")))
        .collect();
    assert!(failures.is_empty(), "{} of {} failed:\n{}", failures.len(), files.len(), {
        failures.join("\n")
    });
}
