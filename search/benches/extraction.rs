//! The cost of extracting the search index values of a resource, which runs on every write:
//! `cargo bench -p search`. Prints the mean cost per resource for a few official examples; the
//! target is well under 100 µs for an Observation.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value;

const ROUNDS: u32 = 20_000;
const EXAMPLES: [&str; 4] = [
    "Observation-example.json",
    "Observation-satO2.json",
    "Observation-f202.json",
    "DiagnosticReport-ultrasound.json",
];

fn main() {
    let Some(dir) = examples_dir() else {
        eprintln!("extraction bench: shared/data/fhir-r4/examples not found beside the workspace");
        std::process::exit(2);
    };
    for name in EXAMPLES {
        let Some(resource) = read(&dir.join(name)) else {
            println!("{name}: absent or not JSON");
            continue;
        };
        let _ = search::extract(&resource); // compiles the expressions, once per process
        let start = Instant::now();
        for _ in 0..ROUNDS {
            black_box(search::extract(black_box(&resource)));
        }
        let each = start.elapsed() / ROUNDS;
        println!("{name}: {each:?} per extraction (target for an Observation: < 100 µs)");
    }
}

fn read(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

fn examples_dir() -> Option<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("shared/data/fhir-r4/examples"))
        .find(|dir| dir.is_dir())
}
