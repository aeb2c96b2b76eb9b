//! Items of FHIRPath collections: elements of the resource (with their FHIR type) and the
//! system values that literals and operators make, plus equality and truth between them.

use serde_json::Value;

use super::FhirPathError;

/// One value in a FHIRPath collection.
#[derive(Debug, Clone, PartialEq)]
pub enum Item<'a> {
    /// An element of the resource.
    Node(Node<'a>),
    Boolean(bool),
    String(String),
    Integer(i64),
    /// A decimal, as written.
    Decimal(String),
    /// What `resolve()` made of a reference: the resource type it points to, read from the
    /// reference itself since this evaluator has no access to other resources.
    Resolved {
        reference: Node<'a>,
        type_name: Option<&'a str>,
    },
}

/// An element of the resource: its JSON value and, for primitives, the `_name` sibling
/// that holds its id and extensions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Node<'a> {
    /// `None` for a primitive that has only extensions.
    pub value: Option<&'a Value>,
    pub shadow: Option<&'a Value>,
    /// The FHIR type (`HumanName`, `code`, `Observation.component`), `""` when unknown.
    pub type_name: &'static str,
    /// The code system a `code` element implies through a required binding.
    pub implicit_system: Option<&'static str>,
}

impl<'a> Node<'a> {
    pub(crate) fn new(
        value: Option<&'a Value>,
        shadow: Option<&'a Value>,
        ty: &'static str,
    ) -> Self {
        Node { value, shadow, type_name: ty, implicit_system: None }
    }

    /// The object holding this element's children: the value, or for a primitive its shadow.
    pub(crate) fn object(&self) -> Option<&'a serde_json::Map<String, Value>> {
        self.value.and_then(Value::as_object).or_else(|| self.shadow.and_then(Value::as_object))
    }
}

/// A primitive seen the way FHIRPath compares it.
#[derive(Debug, PartialEq)]
enum Scalar<'x> {
    Boolean(bool),
    String(&'x str),
    Number(String),
    Complex(&'x Value),
}

impl Item<'_> {
    fn scalar(&self) -> Option<Scalar<'_>> {
        match self {
            Item::Boolean(b) => Some(Scalar::Boolean(*b)),
            Item::String(s) => Some(Scalar::String(s)),
            Item::Integer(i) => Some(Scalar::Number(i.to_string())),
            Item::Decimal(d) => Some(Scalar::Number(d.clone())),
            Item::Node(node) => node.value.map(json_scalar),
            Item::Resolved { .. } => None,
        }
    }

    /// The text of a primitive item: a string's value, a number as written, `true`/`false`.
    pub fn primitive_text(&self) -> Option<String> {
        match self.scalar()? {
            Scalar::Boolean(b) => Some(b.to_string()),
            Scalar::String(s) => Some(s.to_owned()),
            Scalar::Number(n) => Some(n),
            Scalar::Complex(_) => None,
        }
    }

    /// The boolean value of a boolean item.
    pub(crate) fn as_boolean(&self) -> Option<bool> {
        match self.scalar()? {
            Scalar::Boolean(b) => Some(b),
            _ => None,
        }
    }
}

fn json_scalar(value: &Value) -> Scalar<'_> {
    match value {
        Value::Bool(b) => Scalar::Boolean(*b),
        Value::String(s) => Scalar::String(s),
        Value::Number(n) => Scalar::Number(n.to_string()),
        other => Scalar::Complex(other),
    }
}

/// FHIRPath `=` on two single items; numbers compare by value (`1.10 = 1.1`, `0.0 = 0`).
pub(crate) fn items_equal(a: &Item<'_>, b: &Item<'_>) -> bool {
    match (a.scalar(), b.scalar()) {
        (Some(Scalar::Number(x)), Some(Scalar::Number(y))) => decimals_equal(&x, &y),
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// FHIRPath `=` on collections: empty when either is empty, else item by item in order.
pub(crate) fn collections_equal(a: &[Item<'_>], b: &[Item<'_>]) -> Option<bool> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    Some(a.len() == b.len() && a.iter().zip(b).all(|(x, y)| items_equal(x, y)))
}

fn decimals_equal(a: &str, b: &str) -> bool {
    match (canonical_decimal(a), canonical_decimal(b)) {
        (Some(x), Some(y)) => x == y,
        // Exponent notation only comes from JSON numbers; a float comparison is enough there.
        _ => a.parse::<f64>().ok() == b.parse::<f64>().ok(),
    }
}

/// `-01.50` -> `-1.5`; `None` for text with an exponent.
fn canonical_decimal(text: &str) -> Option<String> {
    if text.contains(['e', 'E']) {
        return None;
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let whole = whole.trim_start_matches('0');
    let fraction = fraction.trim_end_matches('0');
    let body = match (whole.is_empty(), fraction.is_empty()) {
        (true, true) => return Some("0".into()),
        (_, true) => whole.to_owned(),
        (true, false) => format!("0.{fraction}"),
        (false, false) => format!("{whole}.{fraction}"),
    };
    Some(if negative { format!("-{body}") } else { body })
}

/// Singleton evaluation to a boolean: empty is unknown, a boolean is itself, any other single
/// item is true, and more than one item is an error.
pub(crate) fn truth(items: &[Item<'_>]) -> Result<Option<bool>, FhirPathError> {
    match items {
        [] => Ok(None),
        [item] => Ok(Some(item.as_boolean().unwrap_or(true))),
        _ => Err(FhirPathError::Evaluation("expected a single boolean, got a collection".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_equal_regardless_of_trailing_zeros() {
        assert!(decimals_equal("1.10", "1.1"));
        assert!(decimals_equal("0.0", "0"));
        assert!(decimals_equal("-01.50", "-1.5"));
        assert!(!decimals_equal("1.1", "1.2"));
    }

    #[test]
    fn a_string_never_equals_a_number() {
        assert!(!items_equal(&Item::String("1".into()), &Item::Integer(1)));
    }

    #[test]
    fn a_single_non_boolean_item_is_true() {
        assert_eq!(truth(&[Item::String("foo".into())]), Ok(Some(true)));
        assert_eq!(truth(&[]), Ok(None));
        assert!(truth(&[Item::Integer(1), Item::Integer(2)]).is_err());
    }
}
