//! A differential test of the indexing against fhirpath.js, the HL7 reference FHIRPath engine
//! for JavaScript: over the official R4 examples, for every search parameter of each
//! example's type, our evaluator selects the same nodes as fhirpath.js (R4 model) evaluating
//! the official expression, and the extractor gives an index entry for each node whose type
//! can be indexed.
//!
//! Inputs: the shared FHIR R4 data (`search-parameters.json` and `examples/`, found as
//! `common` says), the npm package `hl7.fhir.r4.examples@4.0.1`, and fhirpath.js at the
//! version `search/tools/fhirpath-js/package.json` pins, both fetched with npm into the target
//! folder on first use. When one is missing, or node cannot run, the test prints `skipped`;
//! under `CI=true` it fails instead. One node process (`tools/fhirpath-js/evaluate.js`)
//! evaluates everything. Understood disagreements are listed in `differential/known.rs`.

mod common;
mod differential;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use differential::fhirpath_js::{Answer, FhirpathJs, Outcome};
use differential::known::{KNOWN, Known};
use differential::ours::{self, Example, Pair, Parsed};
use differential::{Check, Disagreement, Node, compare, indexed};
use search::{IndexValue, ParamKind};
use serde_json::Value;

/// Everything both tests look at, from one run of both engines.
struct Run {
    version: String,
    examples: usize,
    pairs: usize,
    /// Pairs where fhirpath.js selected something.
    selecting: usize,
    /// Pairs that needed `as` read as `ofType` in fhirpath.js.
    lenient: usize,
    disagreements: Vec<Disagreement>,
    /// Nodes the indexing check asks nothing of, by parameter kind and node type.
    unindexable: BTreeMap<String, usize>,
    elapsed: Duration,
}

fn run() -> Option<&'static Run> {
    static RUN: OnceLock<Option<Run>> = OnceLock::new();
    RUN.get_or_init(evaluate_everything).as_ref()
}

fn evaluate_everything() -> Option<Run> {
    let start = Instant::now();
    let data = common::fhir_r4_data("search-parameters.json")?;
    let engine = match FhirpathJs::install() {
        Ok(engine) => engine,
        Err(reason) => {
            common::skip_or_fail(&format!("fhirpath.js ({reason})"));
            return None;
        }
    };
    let npm_examples = common::npm_r4_examples()?;
    let official = ours::official(&read_json(&data.join("search-parameters.json")));
    let files = ours::example_files(&[data.join("examples"), npm_examples]);
    let (examples, answers) = evaluate_both(&engine, &files, &official);
    let mut run = Run::new(engine.version, examples.len());
    for (example, answer) in examples.iter().zip(&answers) {
        for (pair, outcome) in example.pairs.iter().zip(&answer.results) {
            run.add(&example.name, pair, outcome);
        }
    }
    run.elapsed = start.elapsed();
    Some(run)
}

/// Our side of every example, each sent to fhirpath.js as soon as it is done, so that both
/// engines work at once; then fhirpath.js's answers, one per example.
fn evaluate_both(
    engine: &FhirpathJs,
    files: &[PathBuf],
    official: &ours::Official,
) -> (Vec<Example>, Vec<Answer>) {
    let failed = |e: String| -> ! { panic!("fhirpath.js failed: {e}") };
    let mut session = engine.start().unwrap_or_else(|e| failed(e));
    let mut parsed = Parsed::default();
    let mut examples = Vec::new();
    for file in files {
        let Some((example, task)) = ours::example(file, official, &mut parsed) else { continue };
        session.send(&task).unwrap_or_else(|e| failed(e));
        examples.push(example);
    }
    (examples, session.finish().unwrap_or_else(|e| failed(e)))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("JSON")
}

impl Run {
    fn new(version: String, examples: usize) -> Run {
        Run {
            version,
            examples,
            pairs: 0,
            selecting: 0,
            lenient: 0,
            disagreements: Vec::new(),
            unindexable: BTreeMap::new(),
            elapsed: Duration::ZERO,
        }
    }

    fn add(&mut self, example: &str, pair: &Pair, outcome: &Outcome) {
        self.pairs += 1;
        self.selecting += usize::from(!outcome.items.is_empty());
        self.lenient += usize::from(outcome.lenient);
        let disagree = |(check, detail)| Disagreement {
            example: example.to_owned(),
            param: pair.param.id.clone(),
            check,
            detail,
        };
        let found = compare::pair(pair, outcome).into_iter().chain(self.unindexed(pair, outcome));
        let found: Vec<Disagreement> = found.map(disagree).collect();
        self.disagreements.extend(found);
    }

    /// What fhirpath.js selected that the extractor left out of the index.
    fn unindexed(&mut self, pair: &Pair, outcome: &Outcome) -> Vec<(Check, String)> {
        let kind = pair.param.kind;
        if kind == ParamKind::Composite {
            return unindexed_composite(pair, outcome).into_iter().collect();
        }
        let mut missing = Vec::new();
        for node in &outcome.items {
            let Some(probes) = indexed::probes(kind, node) else {
                let key = format!("{kind:?} {} {}", pair.param.id, node.type_name);
                *self.unindexable.entry(key).or_default() += 1;
                continue;
            };
            for probe in probes.iter().filter(|p| !p.found_in(&pair.indexed)) {
                let shown = compare::show(std::slice::from_ref(node));
                missing.push((Check::Indexed, format!("no entry {probe:?} for {shown}")));
            }
        }
        missing
    }
}

/// A composite gives an entry when some main item has, for every component, a node that
/// gives that component's kind a value.
fn unindexed_composite(pair: &Pair, outcome: &Outcome) -> Option<(Check, String)> {
    let kinds = &pair.param.component_kinds;
    let gives_value = |kind: ParamKind, nodes: &[Node]| {
        nodes.iter().any(|node| indexed::probes(kind, node).is_some_and(|p| !p.is_empty()))
    };
    let complete = outcome.components.iter().any(|parts| {
        parts.len() == kinds.len() && parts.iter().zip(kinds).all(|(n, k)| gives_value(*k, n))
    });
    let indexed = pair.indexed.iter().any(|v| matches!(v, IndexValue::Composite(_)));
    (complete && !indexed).then(|| (Check::Indexed, "no composite entry".to_owned()))
}

/// Fails on the disagreements of `checks` that `KNOWN` does not list, and on the entries of
/// `KNOWN` for those checks that match nothing.
fn assert_only_known(run: &Run, checks: &[Check]) {
    let ours = |d: &&Disagreement| checks.contains(&d.check);
    let found: Vec<&Disagreement> = run.disagreements.iter().filter(ours).collect();
    let known = |d: &Disagreement| KNOWN.iter().find(|k| k.covers(d));
    let unknown: Vec<&Disagreement> =
        found.iter().copied().filter(|d| known(d).is_none()).collect();
    let stale: Vec<&Known> = KNOWN
        .iter()
        .filter(|k| checks.contains(&k.check) && !found.iter().any(|d| k.covers(d)))
        .collect();
    println!("{}", summary(run, found.len(), found.len() - unknown.len()));
    for known in KNOWN.iter().filter(|k| checks.contains(&k.check)) {
        let count = found.iter().filter(|d| known.covers(d)).count();
        let (check, param, example) = (known.check, known.param, known.example);
        println!("  known: {check:?} {param} on {example}: {count}: {}", known.reason);
    }
    let stale_text: Vec<String> =
        stale.iter().map(|k| format!("{:?} {} on {}", k.check, k.param, k.example)).collect();
    assert!(stale.is_empty(), "known disagreements that no longer occur: {stale_text:#?}");
    assert!(unknown.is_empty(), "disagreements with fhirpath.js:\n{}", grouped(&unknown));
}

fn summary(run: &Run, found: usize, known: usize) -> String {
    format!(
        "fhirpath.js {}: {} examples, {} (example, parameter) pairs, {} with nodes, {} read `as` \
         as ofType; {found} disagreements, {known} of them known; {:.1}s",
        run.version,
        run.examples,
        run.pairs,
        run.selecting,
        run.lenient,
        run.elapsed.as_secs_f64()
    )
}

/// Disagreements grouped by check and parameter, with the first two examples of each.
fn grouped(disagreements: &[&Disagreement]) -> String {
    let mut groups: BTreeMap<(Check, &str), Vec<&Disagreement>> = BTreeMap::new();
    for d in disagreements {
        groups.entry((d.check, d.param.as_str())).or_default().push(d);
    }
    let mut out = String::new();
    for ((check, param), list) in &groups {
        out.push_str(&format!("{check:?} {param}: {} examples\n", list.len()));
        for d in list.iter().take(2) {
            out.push_str(&format!("    {}: {}\n", d.example, d.detail));
        }
    }
    out
}

#[test]
fn our_evaluator_selects_what_fhirpath_js_selects_for_every_parameter_of_every_example() {
    let Some(run) = run() else { return };
    assert!(run.pairs > 100_000, "only {} pairs compared", run.pairs);
    assert_only_known(run, &[Check::Error, Check::Nodes, Check::Types, Check::Components]);
}

#[test]
fn the_extractor_indexes_every_node_fhirpath_js_selects_whose_type_it_can_index() {
    let Some(run) = run() else { return };
    println!("nodes of a type the indexing check asks nothing of: {:#?}", run.unindexable);
    assert_only_known(run, &[Check::Indexed]);
}
