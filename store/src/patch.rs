//! FHIRPath Patch (a Parameters body of `operation`s): add, insert, delete, replace and move,
//! each locating its target with the FHIRPath evaluator of the search crate.

use domain::Error;
use domain::outcome::IssueType;
use search::fhirpath::{self, Item, Mode};
use serde_json::{Map, Value};

/// One step from a JSON value to one of its children.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Applies every operation of `parameters` to `document`, in order.
pub(crate) fn apply(document: &mut Value, parameters: &Value) -> Result<(), Error> {
    let operations = parameters.get("parameter").and_then(Value::as_array);
    for (index, operation) in operations.into_iter().flatten().enumerate() {
        if operation.get("name").and_then(Value::as_str) != Some("operation") {
            return Err(invalid("a FHIRPath Patch parameter must be named operation", index));
        }
        let parts =
            Parts(operation.get("part").and_then(Value::as_array).cloned().unwrap_or_default());
        apply_operation(document, &parts)
            .map_err(|e| e.at(format!("Parameters.parameter[{index}]")))?;
    }
    Ok(())
}

fn apply_operation(document: &mut Value, parts: &Parts) -> Result<(), Error> {
    let path = parts.text("path").ok_or_else(|| unprocessable("the operation has no path"))?;
    let targets = locate(document, &path)?;
    match parts.text("type").as_deref() {
        Some("add") => add(document, &targets, parts),
        Some("insert") => insert(document, &targets, parts),
        Some("delete") => delete(document, &targets),
        Some("replace") => replace(document, &targets, parts),
        Some("move") => move_item(document, &targets, parts),
        _ => Err(unprocessable("the operation type must be add, insert, delete, replace or move")),
    }
}

/// The longest path accepted: the evaluator recurses on nesting, and real paths are short.
const MAX_PATH_LENGTH: usize = 256;

/// The JSON locations of the elements `path` selects.
fn locate(document: &Value, path: &str) -> Result<Vec<Vec<Step>>, Error> {
    if path.len() > MAX_PATH_LENGTH {
        return Err(unprocessable("the operation's path is too long"));
    }
    let expr = fhirpath::parse(path).map_err(|_| {
        unprocessable("the operation's path is not a supported FHIRPath expression")
    })?;
    let items = fhirpath::evaluate(&expr, document, Mode::Strict)
        .map_err(|_| unprocessable("the operation's path cannot be evaluated"))?;
    let mut found = vec![];
    for item in items {
        let Item::Node(node) = item else {
            return Err(unprocessable("the operation's path must select elements"));
        };
        let target = node.value.ok_or_else(|| unprocessable("the path selects no value"))?;
        let mut steps = vec![];
        if find(document, target, &mut steps) {
            found.push(steps);
        }
    }
    Ok(found)
}

/// Finds `target` (by identity) under `value`, recording the steps to it.
fn find(value: &Value, target: &Value, steps: &mut Vec<Step>) -> bool {
    if std::ptr::eq(value, target) {
        return true;
    }
    let children: Box<dyn Iterator<Item = (Step, &Value)>> = match value {
        Value::Object(map) => Box::new(map.iter().map(|(k, v)| (Step::Key(k.clone()), v))),
        Value::Array(items) => Box::new(items.iter().enumerate().map(|(i, v)| (Step::Index(i), v))),
        _ => return false,
    };
    for (step, child) in children {
        steps.push(step);
        if find(child, target, steps) {
            return true;
        }
        steps.pop();
    }
    false
}

fn add(document: &mut Value, targets: &[Vec<Step>], parts: &Parts) -> Result<(), Error> {
    let container = single(targets)?;
    let name = parts.text("name").ok_or_else(|| unprocessable("add needs a name"))?;
    let value = parts.value()?;
    let repeats = repeats(document, container, &name)?;
    let object = object_at(document, container)?;
    match (object.get_mut(&name), repeats) {
        (Some(Value::Array(items)), _) => items.push(value),
        (Some(_), _) => return Err(unprocessable("add targets an element that is already set")),
        (None, true) => {
            object.insert(name, Value::Array(vec![value]));
        }
        (None, false) => {
            object.insert(name, value);
        }
    }
    Ok(())
}

fn insert(document: &mut Value, targets: &[Vec<Step>], parts: &Parts) -> Result<(), Error> {
    let index = parts.integer("index").ok_or_else(|| unprocessable("insert needs an index"))?;
    let value = parts.value()?;
    let list = list_of(document, targets)?;
    if index > list.len() {
        return Err(unprocessable("insert's index is beyond the end of the list"));
    }
    list.insert(index, value);
    Ok(())
}

fn delete(document: &mut Value, targets: &[Vec<Step>]) -> Result<(), Error> {
    let Some(steps) = targets.first() else { return Ok(()) };
    if targets.len() > 1 {
        return Err(unprocessable("delete's path selects more than one element"));
    }
    let (last, parent) =
        steps.split_last().ok_or_else(|| unprocessable("cannot delete the resource"))?;
    let parent_steps = parent.to_vec();
    match (value_at(document, &parent_steps)?, last) {
        (Value::Object(map), Step::Key(key)) => {
            map.shift_remove(key);
        }
        (Value::Array(items), Step::Index(i)) => {
            items.remove(*i);
            if items.is_empty() {
                // An empty array is not valid FHIR: the element goes away with its last item.
                return delete(document, &[parent_steps]);
            }
        }
        _ => return Err(unprocessable("delete's path does not select an element")),
    }
    Ok(())
}

fn replace(document: &mut Value, targets: &[Vec<Step>], parts: &Parts) -> Result<(), Error> {
    let steps = single(targets)?;
    *value_at(document, steps)? = parts.value()?;
    Ok(())
}

fn move_item(document: &mut Value, targets: &[Vec<Step>], parts: &Parts) -> Result<(), Error> {
    let source = parts.integer("source").ok_or_else(|| unprocessable("move needs a source"))?;
    let destination =
        parts.integer("destination").ok_or_else(|| unprocessable("move needs a destination"))?;
    let list = list_of(document, targets)?;
    if source >= list.len() || destination >= list.len() {
        return Err(unprocessable("move's source or destination is beyond the list"));
    }
    let item = list.remove(source);
    list.insert(destination, item);
    Ok(())
}

/// The array that holds the elements a path selected (`Patient.identifier`).
fn list_of<'d>(
    document: &'d mut Value,
    targets: &[Vec<Step>],
) -> Result<&'d mut Vec<Value>, Error> {
    let first = targets.first().ok_or_else(|| unprocessable("the path selects no list"))?;
    let parent = match first.split_last() {
        Some((Step::Index(_), parent)) => parent.to_vec(),
        _ => return Err(unprocessable("the path does not select the items of a list")),
    };
    match value_at(document, &parent)? {
        Value::Array(items) => Ok(items),
        _ => Err(unprocessable("the path does not select the items of a list")),
    }
}

fn single(targets: &[Vec<Step>]) -> Result<&Vec<Step>, Error> {
    match targets {
        [one] => Ok(one),
        [] => Err(unprocessable("the operation's path selects nothing")),
        _ => Err(unprocessable("the operation's path selects more than one element")),
    }
}

fn value_at<'d>(document: &'d mut Value, steps: &[Step]) -> Result<&'d mut Value, Error> {
    let mut value = document;
    for step in steps {
        value = match (value, step) {
            (Value::Object(map), Step::Key(key)) => map.get_mut(key),
            (Value::Array(items), Step::Index(i)) => items.get_mut(*i),
            _ => None,
        }
        .ok_or_else(|| Error::internal("a located element moved"))?;
    }
    Ok(value)
}

fn object_at<'d>(
    document: &'d mut Value,
    steps: &[Step],
) -> Result<&'d mut Map<String, Value>, Error> {
    value_at(document, steps)?
        .as_object_mut()
        .ok_or_else(|| unprocessable("add's path must select an element with children"))
}

/// Whether `name` repeats in the object at `steps`, from the R4 definitions.
fn repeats(document: &Value, steps: &[Step], name: &str) -> Result<bool, Error> {
    let resource_type = document.get("resourceType").and_then(Value::as_str).unwrap_or("");
    let keys: Vec<&str> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Key(k) => Some(k.as_str()),
            Step::Index(_) => None,
        })
        .collect();
    domain::validation::element_repeats(resource_type, &keys, name)
        .ok_or_else(|| unprocessable("add names an element its target does not have"))
}

/// The parts of one operation.
struct Parts(Vec<Value>);

impl Parts {
    fn part(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|p| p.get("name").and_then(Value::as_str) == Some(name))
    }

    fn text(&self, name: &str) -> Option<String> {
        let part = self.part(name)?;
        let value = part.get("valueCode").or_else(|| part.get("valueString"))?;
        value.as_str().map(str::to_owned)
    }

    fn integer(&self, name: &str) -> Option<usize> {
        let value = self.part(name)?.get("valueInteger")?;
        value.as_u64().and_then(|n| usize::try_from(n).ok())
    }

    fn value(&self) -> Result<Value, Error> {
        let part = self.part("value").ok_or_else(|| unprocessable("the operation has no value"))?;
        part_value(part).ok_or_else(|| unprocessable("the operation's value is empty"))
    }
}

/// A part's `value[x]`, or the object its own parts make (for complex values).
fn part_value(part: &Value) -> Option<Value> {
    let object = part.as_object()?;
    if let Some((_, value)) = object.iter().find(|(k, _)| k.starts_with("value")) {
        return Some(value.clone());
    }
    let mut built = Map::new();
    for child in object.get("part")?.as_array()? {
        let name = child.get("name")?.as_str()?.to_owned();
        built.insert(name, part_value(child)?);
    }
    Some(Value::Object(built))
}

fn unprocessable(diagnostics: &str) -> Error {
    Error::new(domain::ErrorKind::Unprocessable, IssueType::Processing, diagnostics)
}

fn invalid(diagnostics: &str, index: usize) -> Error {
    Error::bad_request(diagnostics).at(format!("Parameters.parameter[{index}]"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn operation(parts: Value) -> Value {
        json!({"resourceType": "Parameters", "parameter": [{"name": "operation", "part": parts}]})
    }

    fn patient() -> Value {
        json!({"resourceType": "Patient", "id": "p", "name": [{"family": "A", "given": ["x"]}],
            "identifier": [{"value": "1"}, {"value": "2"}, {"value": "3"}]})
    }

    #[test]
    fn add_sets_a_single_element_and_appends_to_a_list() {
        let mut doc = patient();
        apply(&mut doc, &operation(json!([{"name": "type", "valueCode": "add"},
            {"name": "path", "valueString": "Patient"}, {"name": "name", "valueString": "birthDate"},
            {"name": "value", "valueDate": "1930-01-01"}]))).unwrap();
        assert_eq!(doc["birthDate"], "1930-01-01");
        apply(
            &mut doc,
            &operation(json!([{"name": "type", "valueCode": "add"},
            {"name": "path", "valueString": "Patient"}, {"name": "name", "valueString": "telecom"},
            {"name": "value", "part": [{"name": "system", "valueCode": "phone"},
                {"name": "value", "valueString": "555"}]}])),
        )
        .unwrap();
        assert_eq!(doc["telecom"], json!([{"system": "phone", "value": "555"}]));
        apply(&mut doc, &operation(json!([{"name": "type", "valueCode": "add"},
            {"name": "path", "valueString": "Patient.name[0]"}, {"name": "name", "valueString": "given"},
            {"name": "value", "valueString": "y"}]))).unwrap();
        assert_eq!(doc["name"][0]["given"], json!(["x", "y"]));
    }

    #[test]
    fn replace_delete_insert_and_move_change_what_the_path_selects() {
        let mut doc = patient();
        let replace = json!([{"name": "type", "valueCode": "replace"},
            {"name": "path", "valueString": "Patient.name[0].family"}, {"name": "value", "valueString": "B"}]);
        apply(&mut doc, &operation(replace)).unwrap();
        assert_eq!(doc["name"][0]["family"], "B");
        let delete = json!([{"name": "type", "valueCode": "delete"},
            {"name": "path", "valueString": "Patient.identifier.where(value = '2')"}]);
        apply(&mut doc, &operation(delete)).unwrap();
        assert_eq!(doc["identifier"], json!([{"value": "1"}, {"value": "3"}]));
        let insert = json!([{"name": "type", "valueCode": "insert"},
            {"name": "path", "valueString": "Patient.identifier"}, {"name": "index", "valueInteger": 0},
            {"name": "value", "part": [{"name": "value", "valueString": "0"}]}]);
        apply(&mut doc, &operation(insert)).unwrap();
        let moved = json!([{"name": "type", "valueCode": "move"},
            {"name": "path", "valueString": "Patient.identifier"}, {"name": "source", "valueInteger": 0},
            {"name": "destination", "valueInteger": 2}]);
        apply(&mut doc, &operation(moved)).unwrap();
        assert_eq!(doc["identifier"], json!([{"value": "1"}, {"value": "3"}, {"value": "0"}]));
    }

    #[test]
    fn deleting_the_last_item_removes_the_element_and_a_missing_target_is_a_no_op() {
        let mut doc = json!({"resourceType": "Patient", "name": [{"family": "A"}]});
        let delete = |path: &str| {
            operation(json!([{"name": "type", "valueCode": "delete"},
            {"name": "path", "valueString": path}]))
        };
        apply(&mut doc, &delete("Patient.name[0]")).unwrap();
        assert_eq!(doc, json!({"resourceType": "Patient"}));
        apply(&mut doc, &delete("Patient.birthDate")).unwrap();
    }

    #[test]
    fn a_deeply_nested_path_is_refused_without_evaluating_it() {
        let mut doc = patient();
        let path = format!("{}Patient.name{}", "(".repeat(1000), ")".repeat(1000));
        let delete = json!([{"name": "type", "valueCode": "delete"},
            {"name": "path", "valueString": path}]);
        let error = apply(&mut doc, &operation(delete)).unwrap_err();
        assert_eq!(error.kind, domain::ErrorKind::Unprocessable);
    }

    #[test]
    fn operations_that_cannot_apply_are_unprocessable() {
        let mut doc = patient();
        let several = json!([{"name": "type", "valueCode": "replace"},
            {"name": "path", "valueString": "Patient.identifier"}, {"name": "value", "valueString": "x"}]);
        let error = apply(&mut doc, &operation(several)).unwrap_err();
        assert_eq!(error.kind, domain::ErrorKind::Unprocessable);
        let unknown = json!([{"name": "type", "valueCode": "add"},
            {"name": "path", "valueString": "Patient"}, {"name": "name", "valueString": "nope"},
            {"name": "value", "valueString": "x"}]);
        assert!(apply(&mut doc, &operation(unknown)).is_err());
    }
}
