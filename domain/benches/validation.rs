//! The cost of structural validation, which runs on every write: `cargo bench -p domain`.
//! Prints the mean cost per resource of the fastest batch for a few official examples; the
//! target is well under 50 µs for a 3 KB Observation.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use domain::validation::validate;
use serde_json::Value;

const BATCHES: u32 = 20;
const PER_BATCH: u32 = 500;
const EXAMPLES: [&str; 4] = [
    "Observation-satO2.json",
    "Patient-example.json",
    "DiagnosticReport-ultrasound.json",
    "ImagingStudy-example.json",
];

fn main() {
    let Some(dir) = examples_dir() else {
        eprintln!("validation bench: shared/data/fhir-r4/examples not found beside the workspace");
        std::process::exit(2);
    };
    let start = Instant::now();
    let _ = validate(&Value::Null); // loads the schema, once per process
    println!("schema load: {:?}", start.elapsed());
    for name in EXAMPLES {
        let Ok(text) = std::fs::read_to_string(dir.join(name)) else {
            println!("{name}: absent");
            continue;
        };
        let Ok(resource) = serde_json::from_str::<Value>(&text) else {
            println!("{name}: not JSON");
            continue;
        };
        let cost = best_batch_mean(&resource);
        println!(
            "{name} ({} bytes): {cost:?} per validation (target for a 3 KB Observation: < 50 µs)",
            text.len()
        );
    }
}

/// The mean cost of one validation in the fastest batch: the minimum shrugs off the noise of a
/// shared machine, which only ever adds time.
fn best_batch_mean(resource: &Value) -> Duration {
    (0..BATCHES)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..PER_BATCH {
                let _ = black_box(validate(black_box(resource)));
            }
            start.elapsed() / PER_BATCH
        })
        .min()
        .unwrap_or_default()
}

fn examples_dir() -> Option<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("shared/data/fhir-r4/examples"))
        .find(|dir| dir.is_dir())
}
