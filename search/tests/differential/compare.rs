//! The comparison of what the two engines selected: values as JSON, numbers by their value
//! (fhirpath.js reads JSON numbers as doubles, so `185.0` comes back as `185`), in order, then
//! their types.

use serde_json::Value;

use super::fhirpath_js::Outcome;
use super::ours::Pair;
use super::{Check, Node};

/// The disagreements on one parameter of one example, the indexing aside.
pub(crate) fn pair(ours: &Pair, theirs: &Outcome) -> Vec<(Check, String)> {
    let nodes = match (&ours.nodes, &theirs.error) {
        (Ok(nodes), None) => nodes,
        (Err(e), None) => return vec![(Check::Error, format!("ours: {e}"))],
        (Ok(nodes), Some(e)) if nodes.is_empty() => {
            return vec![(Check::Error, format!("fhirpath.js: {e}"))];
        }
        (Ok(nodes), Some(e)) => {
            return vec![(Check::Error, format!("fhirpath.js: {e}; ours: {}", show(nodes)))];
        }
        (Err(_), Some(_)) => return Vec::new(),
    };
    let mut found: Vec<(Check, String)> = lists(nodes, &theirs.items).into_iter().collect();
    if found.is_empty() {
        found.extend(components(&ours.components, &theirs.components));
    }
    found
}

/// The difference between two node lists: values first, then types.
pub(crate) fn lists(ours: &[Node], theirs: &[Node]) -> Option<(Check, String)> {
    let values = |nodes: &[Node]| nodes.iter().map(|n| comparable(&n.value)).collect::<Vec<_>>();
    if values(ours) != values(theirs) {
        let detail = format!("ours {} / fhirpath.js {}", show(ours), show(theirs));
        return Some((Check::Nodes, detail));
    }
    let types = |nodes: &[Node]| nodes.iter().map(|n| n.type_name.clone()).collect::<Vec<_>>();
    let (ours, theirs) = (types(ours), types(theirs));
    (ours != theirs).then(|| (Check::Types, format!("ours {ours:?} / fhirpath.js {theirs:?}")))
}

fn components(ours: &[Vec<Vec<Node>>], theirs: &[Vec<Vec<Node>>]) -> Option<(Check, String)> {
    if ours.len() != theirs.len() {
        let detail = format!("{} main items / fhirpath.js {}", ours.len(), theirs.len());
        return Some((Check::Components, detail));
    }
    for (i, (our_parts, their_parts)) in ours.iter().zip(theirs).enumerate() {
        for (j, (our_nodes, their_nodes)) in our_parts.iter().zip(their_parts).enumerate() {
            if let Some((_, detail)) = lists(our_nodes, their_nodes) {
                return Some((Check::Components, format!("item {i}, component {j}: {detail}")));
            }
        }
    }
    None
}

/// The value with every number replaced by its value as a double, written out.
pub(crate) fn comparable(value: &Value) -> Value {
    match value {
        Value::Number(n) => {
            let number = n.to_string().parse::<f64>().unwrap_or(f64::NAN);
            Value::String(format!("number {number}"))
        }
        Value::Array(items) => Value::Array(items.iter().map(comparable).collect()),
        Value::Object(members) => {
            Value::Object(members.iter().map(|(k, v)| (k.clone(), comparable(v))).collect())
        }
        other => other.clone(),
    }
}

/// A node list in a line, cut to a readable length.
pub(crate) fn show(nodes: &[Node]) -> String {
    let items: Vec<String> = nodes.iter().map(|n| format!("{} {}", n.type_name, n.value)).collect();
    let text = format!("[{}]", items.join(", "));
    match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn node(type_name: &str, value: Value) -> Node {
        Node { type_name: type_name.into(), value }
    }

    #[test]
    fn numbers_compare_by_value_whatever_their_spelling() {
        let ours = [node("FHIR.decimal", serde_json::from_str("185.0").expect("number"))];
        let theirs = [node("FHIR.decimal", json!(185))];
        assert_eq!(lists(&ours, &theirs), None);
    }

    #[test]
    fn a_changed_value_is_a_nodes_disagreement() {
        let ours = [node("FHIR.code", json!("male"))];
        let theirs = [node("FHIR.code", json!("female"))];
        assert!(matches!(lists(&ours, &theirs), Some((Check::Nodes, _))));
        assert!(matches!(lists(&[], &theirs), Some((Check::Nodes, _))));
    }

    #[test]
    fn the_same_value_with_another_type_is_a_types_disagreement() {
        let ours = [node("FHIR.string", json!("male"))];
        let theirs = [node("FHIR.code", json!("male"))];
        assert!(matches!(lists(&ours, &theirs), Some((Check::Types, _))));
    }
}
