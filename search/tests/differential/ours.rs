//! The examples, and for each the parameters of its type: the official expression that
//! fhirpath.js evaluates, and what our evaluator and extractor make of the registry's part of
//! it for that type.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use search::fhirpath::{self, Expr, Item, Mode};
use search::{IndexValue, Registry, SearchParam};
use serde_json::Value;

use super::Node;
use super::fhirpath_js::{Expression, Task};

/// The official expression of each SearchParameter and its components', by id.
pub(crate) type Official = HashMap<String, Expression>;

/// One parameter on one example, as our side sees it.
pub(crate) struct Pair {
    pub(crate) param: &'static SearchParam,
    /// What our evaluator selected, or its error.
    pub(crate) nodes: Result<Vec<Node>, String>,
    /// Per main item, per component, what the component selected on it.
    pub(crate) components: Vec<Vec<Vec<Node>>>,
    /// What the extractor indexes for the parameter, duplicates included.
    pub(crate) indexed: Vec<IndexValue>,
}

/// One example with our side of each of its parameters.
pub(crate) struct Example {
    pub(crate) name: String,
    pub(crate) pairs: Vec<Pair>,
}

/// The official SearchParameter Bundle read into expressions by id.
pub(crate) fn official(bundle: &Value) -> Official {
    let entries = bundle["entry"].as_array().expect("a Bundle with entries");
    let mut out = Official::new();
    for resource in entries.iter().map(|e| &e["resource"]) {
        let (Some(id), Some(expression)) =
            (resource["id"].as_str(), resource["expression"].as_str())
        else {
            continue;
        };
        let components = resource["component"].as_array().into_iter().flatten();
        let components = components.filter_map(|c| c["expression"].as_str().map(str::to_owned));
        let expression =
            Expression { expression: expression.to_owned(), components: components.collect() };
        out.insert(id.to_owned(), expression);
    }
    out
}

/// The JSON files of `dirs`, by file name; a name met again with the same content (the
/// shared examples are copies of the npm package's) is kept once.
pub(crate) fn example_files(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut by_name: HashMap<String, PathBuf> = HashMap::new();
    for dir in dirs {
        for path in
            std::fs::read_dir(dir).expect("examples folder").map(|e| e.expect("entry").path())
        {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let Some(name) = name.filter(|n| n.ends_with(".json")) else { continue };
            match by_name.get(&name) {
                Some(seen) if same_content(seen, &path) => {}
                Some(_) => panic!("two different examples are named {name}"),
                None => drop(by_name.insert(name, path)),
            }
        }
    }
    let mut files: Vec<PathBuf> = by_name.into_values().collect();
    files.sort();
    files
}

fn same_content(a: &Path, b: &Path) -> bool {
    std::fs::read(a).ok() == std::fs::read(b).ok()
}

/// Our side of every parameter of `file`'s resource type, and the task that asks fhirpath.js
/// the same; `None` for a file that is no resource (`package.json`).
pub(crate) fn example(
    file: &Path,
    official: &Official,
    parsed: &mut Parsed,
) -> Option<(Example, Task)> {
    let text = std::fs::read_to_string(file).expect("example readable");
    let resource: Value = serde_json::from_str(&text).expect("example is JSON");
    let resource_type = resource.get("resourceType")?.as_str()?;
    let mut pairs = Vec::new();
    let mut params = Vec::new();
    for param in Registry::r4().for_type(resource_type) {
        let Some(expression) = official_expression(param, official) else { continue };
        pairs.push(pair(param, &resource, parsed));
        params.push(expression);
    }
    let name = file.file_name()?.to_string_lossy().into_owned();
    Some((Example { name, pairs }, Task { file: file.to_owned(), params }))
}

fn official_expression(param: &SearchParam, official: &Official) -> Option<Expression> {
    param.expression.as_ref()?;
    let found = official.get(&param.id)?;
    Some(Expression { expression: found.expression.clone(), components: found.components.clone() })
}

/// Parsed expressions, each parsed once: the registry's expression for a base, and the
/// components.
#[derive(Default)]
pub(crate) struct Parsed(HashMap<String, Result<Expr, String>>);

impl Parsed {
    fn get(&mut self, text: &str) -> &Result<Expr, String> {
        self.0
            .entry(text.to_owned())
            .or_insert_with(|| fhirpath::parse(text).map_err(|e| e.to_string()))
    }
}

fn pair(param: &'static SearchParam, resource: &Value, parsed: &mut Parsed) -> Pair {
    let text = param.expression.as_deref().unwrap_or_default();
    let items = match parsed.get(text) {
        Ok(expr) => fhirpath::evaluate(expr, resource, Mode::Search).map_err(|e| e.to_string()),
        Err(e) => Err(e.clone()),
    };
    let components = match &items {
        Ok(items) if !param.components.is_empty() => components(param, resource, items, parsed),
        _ => Vec::new(),
    };
    let mut indexed = Vec::new();
    search::extract::param_values(param, resource, &mut indexed);
    let nodes = items.map(|items| items.iter().filter_map(node).collect());
    Pair { param, nodes, components, indexed }
}

/// Each component evaluated on each main item that fhirpath.js would also report (a
/// primitive with only extensions is left out of results by both).
fn components<'a>(
    param: &SearchParam,
    resource: &'a Value,
    items: &[Item<'a>],
    parsed: &mut Parsed,
) -> Vec<Vec<Vec<Node>>> {
    let mut out = Vec::new();
    for item in items.iter().filter(|item| node(item).is_some()) {
        let mut parts = Vec::new();
        for (_, text) in &param.components {
            let found = match parsed.get(text) {
                Ok(expr) => {
                    fhirpath::evaluate_on(expr, resource, std::slice::from_ref(item), Mode::Search)
                        .unwrap_or_default()
                }
                Err(_) => Vec::new(),
            };
            parts.push(found.iter().filter_map(node).collect());
        }
        out.push(parts);
    }
    out
}

/// An item as fhirpath.js would report it: an element with a value, or a system value.
/// fhirpath.js leaves out elements without a value (a primitive with only extensions).
pub(crate) fn node(item: &Item<'_>) -> Option<Node> {
    let (type_name, value) = match item {
        Item::Node(node) => (fhir_type(node.type_name), node.value?.clone()),
        Item::Boolean(b) => ("System.Boolean".to_owned(), Value::Bool(*b)),
        Item::String(s) => ("System.String".to_owned(), Value::String(s.clone())),
        Item::Integer(i) => ("System.Integer".to_owned(), Value::from(*i)),
        Item::Decimal(d) => ("System.Decimal".to_owned(), serde_json::from_str(d).ok()?),
        Item::Resolved { type_name, .. } => {
            let resolved = serde_json::json!({ "resourceType": type_name });
            (fhir_type(type_name.unwrap_or_default()), resolved)
        }
    };
    Some(Node { type_name, value })
}

/// Our model names a backbone element by its path (`Patient.contact`); FHIRPath calls it
/// `BackboneElement` in a resource and `Element` in a data type.
fn fhir_type(ours: &str) -> String {
    match ours.split_once('.') {
        _ if ours.is_empty() => "FHIR.?".to_owned(),
        Some((owner, _)) if Registry::r4().is_resource_type(owner) => "FHIR.BackboneElement".into(),
        Some(_) => "FHIR.Element".to_owned(),
        None => format!("FHIR.{ours}"),
    }
}
