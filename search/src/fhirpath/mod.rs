//! A FHIRPath evaluator over `serde_json::Value` for the subset that the R4 search-parameter
//! expressions use: paths (choice types included), `|`, `where`, `exists`, `empty`, `first`,
//! `not`, `is`/`as`/`ofType`, `resolve()`, `extension(url)`, `=`, `!=`, `and`, `or`, literals,
//! indexers, `$this` and `%resource`.
//!
//! `parse` reads the whole FHIRPath grammar, then refuses what lies outside the subset with
//! [`FhirPathError::Unsupported`], so that callers can tell "not supported" from "malformed".
//! Elements carry their FHIR type, found through the R4 element model.

mod eval;
mod item;
mod lexer;
mod parser;
mod supported;

use serde_json::Value;

pub use item::{Item, Node};
pub use parser::{BinaryOp, Expr, Literal, TypeOp, TypeSpec};

use crate::model::Model;

/// Why an expression could not be parsed or evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FhirPathError {
    /// The text is not FHIRPath.
    #[error("fhirpath syntax error: {0}")]
    Syntax(String),
    /// Valid FHIRPath that this evaluator does not run.
    #[error("fhirpath feature not supported: {0}")]
    Unsupported(String),
    /// A run-time error that FHIRPath defines, such as `not()` on several items.
    #[error("fhirpath evaluation error: {0}")]
    Evaluation(String),
}

/// How strictly to apply FHIRPath's singleton rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// As the specification says: `as` or `and` on several items is an error.
    Strict,
    /// As search parameters need: `value.as(Quantity)` filters a repeating element, and
    /// `as(DateTime)` accepts the FHIR `dateTime` it means.
    Search,
}

/// Parses an expression and checks it stays within the supported subset.
pub fn parse(text: &str) -> Result<Expr, FhirPathError> {
    let expr = parser::parse_any(text)?;
    supported::check(&expr)?;
    Ok(expr)
}

/// The resource itself as an item, typed by its `resourceType`.
pub fn root(resource: &Value) -> Item<'_> {
    let model = Model::r4();
    let resource_type = resource.get("resourceType").and_then(Value::as_str);
    let type_name = resource_type.and_then(|t| model.type_name(t)).unwrap_or("");
    Item::Node(Node::new(Some(resource), None, type_name))
}

/// Evaluates `expr` with the resource as its context.
pub fn evaluate<'a>(
    expr: &Expr,
    resource: &'a Value,
    mode: Mode,
) -> Result<Vec<Item<'a>>, FhirPathError> {
    evaluate_on(expr, resource, &[root(resource)], mode)
}

/// Evaluates `expr` on `focus`, items taken from `resource` (a composite's components are
/// evaluated on the items its main expression found).
pub fn evaluate_on<'a>(
    expr: &Expr,
    resource: &'a Value,
    focus: &[Item<'a>],
    mode: Mode,
) -> Result<Vec<Item<'a>>, FhirPathError> {
    let evaluator = eval::Evaluator { root: resource, mode, model: Model::r4() };
    evaluator.eval(expr, focus)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn texts(expression: &str, resource: &Value) -> Vec<String> {
        let expr = parse(expression).expect("parses");
        let items = evaluate(&expr, resource, Mode::Search).expect("evaluates");
        items.iter().filter_map(Item::primitive_text).collect()
    }

    fn observation() -> Value {
        json!({
            "resourceType": "Observation",
            "status": "final",
            "subject": {"reference": "Patient/p1"},
            "performer": [{"reference": "Practitioner/d1"}, {"reference": "Patient/p1"}],
            "valueQuantity": {"value": 185, "unit": "lbs"},
            "component": [{"code": {"text": "a"}, "valueString": "x"}]
        })
    }

    #[test]
    fn choice_navigation_finds_value_quantity() {
        assert_eq!(texts("Observation.value.unit", &observation()), ["lbs"]);
        assert_eq!(texts("(Observation.value as Quantity).value", &observation()), ["185"]);
        assert!(texts("Observation.value.as(Period).start", &observation()).is_empty());
    }

    #[test]
    fn resolve_is_tests_the_type_written_in_the_reference() {
        let expr = "Observation.performer.where(resolve() is Patient).reference";
        assert_eq!(texts(expr, &observation()), ["Patient/p1"]);
    }

    #[test]
    fn union_keeps_each_branch_and_drops_duplicates() {
        let expr = "Observation.subject.reference | Observation.performer.reference";
        assert_eq!(texts(expr, &observation()), ["Patient/p1", "Practitioner/d1"]);
    }

    #[test]
    fn relative_paths_start_at_the_resource_and_components_at_their_item() {
        assert_eq!(texts("status", &observation()), ["final"]);
        assert_eq!(texts("Observation.component.value.as(string)", &observation()), ["x"]);
    }

    #[test]
    fn deceased_expression_yields_a_boolean() {
        let patient = json!({"resourceType": "Patient", "deceasedBoolean": false});
        let expr = "Patient.deceased.exists() and Patient.deceased != false";
        assert_eq!(texts(expr, &patient), ["false"]);
        let dead = json!({"resourceType": "Patient", "deceasedDateTime": "2020-01-01"});
        assert_eq!(texts(expr, &dead), ["true"]);
    }

    #[test]
    fn indexer_and_where_with_equality_select_items() {
        let bundle = json!({"resourceType": "Bundle", "entry": [
            {"resource": {"resourceType": "Composition", "id": "c"}},
            {"resource": {"resourceType": "Patient", "id": "p"}}
        ]});
        assert_eq!(texts("Bundle.entry[0].resource.id", &bundle), ["c"]);
        let org = json!({"resourceType": "Organization", "telecom": [
            {"system": "phone", "value": "1"}, {"system": "email", "value": "a@b"}
        ]});
        assert_eq!(texts("Organization.telecom.where(system='email').value", &org), ["a@b"]);
    }

    #[test]
    fn primitive_extensions_are_read_from_the_underscore_sibling() {
        let patient = json!({"resourceType": "Patient", "birthDate": "1974-12-25",
            "_birthDate": {"extension": [
                {"url": "http://x/birthTime", "valueDateTime": "1974-12-25T14:35:45-05:00"}
            ]}
        });
        let expr = "Patient.birthDate.extension('http://x/birthTime').value";
        assert_eq!(texts(expr, &patient), ["1974-12-25T14:35:45-05:00"]);
    }

    #[test]
    fn not_on_two_items_is_an_evaluation_error() {
        let expr = parse("(1 | 2).not()").expect("parses");
        let resource = observation();
        let result = evaluate(&expr, &resource, Mode::Strict);
        assert!(matches!(result, Err(FhirPathError::Evaluation(_))));
    }
}
