//! Runs the official FHIRPath test suite (R4 edition) against the evaluator, for the tests
//! whose expressions stay within the supported subset and whose input exists as JSON.
//!
//! Inputs: `tests-fhir-r4.xml` and its JSON inputs under the shared FHIR R4 data (found
//! through `PANORAMA_FHIR_R4_DATA`, else `shared/data/fhir-r4` beside the workspace); the
//! JSON twins of the XML inputs come from the npm package `hl7.fhir.r4.examples@4.0.1`,
//! unpacked at `PANORAMA_R4_EXAMPLES` (its `package/` folder). Missing shared data skips the
//! test with a note, or fails it when `CI=true`; an unset `PANORAMA_R4_EXAMPLES` only skips
//! the cases that need the twins.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use search::fhirpath::{self, FhirPathError, Item, Mode};
use serde_json::Value;

/// XML inputs of the suite and the file of the npm package holding the same resource.
const JSON_TWINS: [(&str, &str); 4] = [
    ("patient-example.xml", "Patient-example.json"),
    ("observation-example.xml", "Observation-example.json"),
    ("questionnaire-example.xml", "Questionnaire-3141.json"),
    ("valueset-example-expansion.xml", "ValueSet-example-expansion.json"),
];

struct Case {
    name: String,
    input: String,
    expression: String,
    invalid: Option<String>,
    predicate: bool,
    outputs: Vec<String>,
}

enum Verdict {
    Passed,
    Failed(String),
    Skipped(&'static str),
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn attributes(text: &str) -> HashMap<String, String> {
    static PATTERN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"(\w+)="([^"]*)""#).expect("regex"));
    PATTERN.captures_iter(text).map(|c| (c[1].to_owned(), unescape(&c[2]))).collect()
}

/// The suite's `<test>` elements; the file is regular enough for a few patterns.
fn cases(xml: &str) -> Vec<Case> {
    let comments = Regex::new(r"(?s)<!--.*?-->").expect("regex");
    let xml = comments.replace_all(xml, "");
    let test = Regex::new(r"(?s)<test\b([^>]*)>(.*?)</test>").expect("regex");
    let expression = Regex::new(r"(?s)<expression([^>]*)>(.*?)</expression>").expect("regex");
    let output = Regex::new(r"(?s)<output[^>]*>(.*?)</output>").expect("regex");
    let mut out = Vec::new();
    for t in test.captures_iter(&xml) {
        let attrs = attributes(&t[1]);
        let Some(e) = expression.captures(&t[2]) else { continue };
        out.push(Case {
            name: attrs.get("name").cloned().unwrap_or_default(),
            input: attrs.get("inputfile").cloned().unwrap_or_default(),
            expression: unescape(&e[2]),
            invalid: attributes(&e[1]).remove("invalid"),
            predicate: attrs.get("predicate").map(String::as_str) == Some("true"),
            outputs: output.captures_iter(&t[2]).map(|o| unescape(&o[1])).collect(),
        });
    }
    out
}

/// The case's input resource; `null` for the cases that have none.
fn input(data: &Path, examples: Option<&Path>, input: &str) -> Result<Value, &'static str> {
    let path = match input {
        "" => return Ok(Value::Null),
        json if json.ends_with(".json") => data.join("fhirpath").join(json),
        xml => {
            let twin =
                JSON_TWINS.iter().find(|(x, _)| *x == xml).ok_or("input has no JSON twin")?;
            examples.ok_or("PANORAMA_R4_EXAMPLES is unset")?.join(twin.1)
        }
    };
    let text = std::fs::read_to_string(path).map_err(|_| "input not in the shared data")?;
    let mut resource = serde_json::from_str(&text).expect("input is JSON");
    align_twin(input, &mut resource);
    Ok(resource)
}

/// The npm JSON twins were republished with a few changes from the suite's XML inputs;
/// this puts back what the suite's cases read.
fn align_twin(input: &str, resource: &mut Value) {
    match input {
        "valueset-example-expansion.xml" => resource["version"] = Value::from("20150622"),
        "observation-example.xml" => {
            let age = serde_json::json!({
                "url": "http://example.com/fhir/StructureDefinition/patient-age",
                "valueAge": {"value": 41, "system": "http://unitsofmeasure.org", "code": "a"}
            });
            resource["extension"] = Value::Array(vec![age]);
        }
        _ => {}
    }
}

fn run(case: &Case, resource: &Value) -> Verdict {
    let expr = match (fhirpath::parse(&case.expression), case.invalid.as_deref()) {
        (Err(FhirPathError::Unsupported(_)), _) => return Verdict::Skipped("outside the subset"),
        (_, Some("semantic")) => return Verdict::Skipped("needs static type checking"),
        (Err(FhirPathError::Syntax(_)), Some("syntax")) => return Verdict::Passed,
        (Ok(_), Some("syntax")) => return Verdict::Failed("expected a syntax error".into()),
        (Err(e), _) => return Verdict::Failed(format!("parse: {e}")),
        (Ok(expr), _) => expr,
    };
    let result = fhirpath::evaluate(&expr, resource, Mode::Strict);
    match (result, case.invalid.as_deref()) {
        (Err(FhirPathError::Evaluation(_)), Some("execution")) => Verdict::Passed,
        (Ok(_), Some("execution")) => Verdict::Failed("expected an evaluation error".into()),
        (Err(e), _) => Verdict::Failed(format!("evaluate: {e}")),
        (Ok(items), _) => compare(case, &items),
    }
}

fn compare(case: &Case, items: &[Item<'_>]) -> Verdict {
    let actual: Vec<String> = match case.predicate {
        true => vec![(!items.is_empty()).to_string()],
        false => {
            items.iter().map(|i| i.primitive_text().unwrap_or_else(|| "<complex>".into())).collect()
        }
    };
    let expected: Vec<String> =
        case.outputs.iter().map(|text| text.trim_start_matches('@').to_owned()).collect();
    match actual == expected {
        true => Verdict::Passed,
        false => Verdict::Failed(format!("got {actual:?}, expected {expected:?}")),
    }
}

#[test]
fn supported_fhirpath_suite_cases_all_pass() {
    let Some(data) = common::fhir_r4_data("fhirpath/tests-fhir-r4.xml") else { return };
    let examples = common::r4_examples();
    let xml = std::fs::read_to_string(data.join("fhirpath/tests-fhir-r4.xml")).expect("suite");
    let (mut passed, mut failures, mut skipped) = (0, Vec::new(), HashMap::<&str, usize>::new());
    for case in cases(&xml) {
        let verdict = match input(&data, examples.as_deref(), &case.input) {
            Err(reason) => Verdict::Skipped(reason),
            Ok(resource) => run(&case, &resource),
        };
        match verdict {
            Verdict::Passed => passed += 1,
            Verdict::Failed(why) => {
                failures.push(format!("{}: `{}`: {why}", case.name, case.expression))
            }
            Verdict::Skipped(why) => *skipped.entry(why).or_default() += 1,
        }
    }
    let ran = passed + failures.len();
    let skipped_total: usize = skipped.values().sum();
    println!("fhirpath suite: {ran} run, {passed} passed, {skipped_total} skipped {skipped:?}");
    assert!(failures.is_empty(), "failed suite cases:\n{}", failures.join("\n"));
    assert!(ran > 0, "no suite case ran");
}
