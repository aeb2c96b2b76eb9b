//! The validator runs on every write, so it must stay cheap: well under 50 µs for a typical
//! 3 KB Observation in a release build (`cargo test --release -p domain --test speed`).

use std::path::Path;
use std::time::{Duration, Instant};

use domain::validation::validate;
use serde_json::Value;

const BATCHES: u32 = 20;
const PER_BATCH: u32 = 200;

/// The mean cost of one validation in the fastest batch: the minimum shrugs off the noise of a
/// shared machine, which only ever adds time.
fn best_batch_mean(resource: &Value) -> Duration {
    (0..BATCHES)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..PER_BATCH {
                assert!(validate(std::hint::black_box(resource)).is_ok());
            }
            start.elapsed() / PER_BATCH
        })
        .min()
        .unwrap_or_default()
}

#[test]
fn validating_a_3_kb_observation_takes_well_under_50_microseconds() {
    if cfg!(debug_assertions) {
        println!("skipped: timing is only meaningful in a release build");
        return;
    }
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/fhir-r4/examples/Observation-satO2.json");
    let Ok(text) = std::fs::read_to_string(&file) else {
        println!("skipped: {} is absent", file.display());
        return;
    };
    let observation: Value = serde_json::from_str(&text).expect("example is JSON");
    let start = Instant::now();
    let _ = validate(&observation); // loads the schema, once per process
    println!("first validation, schema load included: {:?}", start.elapsed());
    let cost = best_batch_mean(&observation);
    println!("{} bytes validated in {cost:?}", text.len());
    assert!(cost < Duration::from_micros(50), "validation took {cost:?}");
}
