//! The second level of the differential test: every node fhirpath.js selects gives the index
//! entry that FHIR's table of search parameter types against data types asks for, where that
//! table has a row for the node's type. These rules are written from the specification, apart
//! from the extractor, and look only at the key of each entry (a code, a url, a range).

use search::{IndexValue, ParamKind, date_range, normalize};
use serde_json::Value;

use super::Node;

const TEXTS: [&str; 10] =
    ["string", "markdown", "code", "id", "uri", "url", "canonical", "oid", "uuid", "xhtml"];
const NUMBERS: [&str; 4] = ["integer", "decimal", "positiveInt", "unsignedInt"];
const DATES: [&str; 3] = ["date", "dateTime", "instant"];
const QUANTITIES: [&str; 7] =
    ["Quantity", "Age", "Count", "Distance", "Duration", "SimpleQuantity", "MoneyQuantity"];
const NAME_PARTS: [&str; 5] = ["family", "given", "text", "prefix", "suffix"];
const ADDRESS_PARTS: [&str; 7] =
    ["line", "city", "district", "state", "postalCode", "country", "text"];

/// An index entry that must exist, by its key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Probe {
    String(String),
    /// `system: None` when the node implies its system (a `code`) and any is accepted.
    Token {
        system: Option<Option<String>>,
        code: String,
    },
    /// A CodeableConcept's `text`, normalized as `:text` searches it.
    TokenText(String),
    ReferenceUrl(String),
    ReferenceIdentifier(Option<String>, String),
    Uri(String),
    /// The exact range of a date or Period.
    Date(i64, i64),
    /// A range that contains this one: a Timing's event.
    DateWithin(i64, i64),
    Number(f64),
    Quantity(f64),
}

impl Probe {
    pub(crate) fn found_in(&self, indexed: &[IndexValue]) -> bool {
        indexed.iter().any(|value| self.matches(value))
    }

    fn matches(&self, value: &IndexValue) -> bool {
        match (self, value) {
            (Probe::String(s), IndexValue::String { exact, .. }) => s == exact,
            (Probe::Token { system, code }, IndexValue::Token { system: s, code: c, .. }) => {
                c.as_ref() == Some(code) && system.as_ref().is_none_or(|want| want == s)
            }
            (Probe::TokenText(t), IndexValue::Token { code: None, text, .. }) => {
                text.as_deref() == Some(normalize(t).as_str())
            }
            (Probe::ReferenceUrl(u), IndexValue::Reference { url, .. }) => url.as_ref() == Some(u),
            (Probe::ReferenceIdentifier(s, v), IndexValue::Reference { identifier, .. }) => {
                identifier.as_ref() == Some(&(s.clone(), v.clone()))
            }
            (Probe::Uri(u), IndexValue::Uri { value }) => u == value,
            (Probe::Date(l, h), IndexValue::Date { low, high }) => (l, h) == (low, high),
            (Probe::DateWithin(l, h), IndexValue::Date { low, high }) => low <= l && high >= h,
            (Probe::Number(n), IndexValue::Number { value, .. }) => same_number(*n, value),
            (Probe::Quantity(n), IndexValue::Quantity { value, .. }) => same_number(*n, value),
            _ => false,
        }
    }
}

fn same_number(n: f64, text: &str) -> bool {
    text.parse::<f64>().is_ok_and(|v| v == n)
}

/// The entries a node must give a parameter of `kind`; `None` when the specification has no
/// row for the node's type under that kind (nothing is asked of the extractor then).
pub(crate) fn probes(kind: ParamKind, node: &Node) -> Option<Vec<Probe>> {
    let type_name = node.type_name.rsplit('.').next().unwrap_or_default();
    let value = &node.value;
    match kind {
        ParamKind::String => strings(type_name, value),
        ParamKind::Token => tokens(type_name, value),
        ParamKind::Reference => references(type_name, value),
        ParamKind::Uri => TEXTS.contains(&type_name).then(|| texts(value, Probe::Uri)),
        ParamKind::Date => dates(type_name, value),
        ParamKind::Number => NUMBERS.contains(&type_name).then(|| numbers(value, Probe::Number)),
        ParamKind::Quantity => quantities(type_name, value),
        ParamKind::Composite | ParamKind::Special => None,
    }
}

fn text(value: &Value) -> Option<String> {
    value.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

fn texts(value: &Value, probe: fn(String) -> Probe) -> Vec<Probe> {
    text(value).map(probe).into_iter().collect()
}

fn numbers(value: &Value, probe: fn(f64) -> Probe) -> Vec<Probe> {
    value
        .to_string()
        .parse::<f64>()
        .ok()
        .filter(|_| value.is_number())
        .map(probe)
        .into_iter()
        .collect()
}

/// Each string of `value[key]`, one string or a list of them.
fn each(value: &Value, key: &str) -> Vec<String> {
    match &value[key] {
        Value::Array(items) => items.iter().filter_map(text).collect(),
        single => text(single).into_iter().collect(),
    }
}

fn strings(type_name: &str, value: &Value) -> Option<Vec<Probe>> {
    let parts: &[&str] = match type_name {
        "HumanName" => &NAME_PARTS,
        "Address" => &ADDRESS_PARTS,
        name if TEXTS.contains(&name) => return Some(texts(value, Probe::String)),
        "String" => return Some(texts(value, Probe::String)),
        _ => return None,
    };
    Some(parts.iter().flat_map(|part| each(value, part)).map(Probe::String).collect())
}

fn tokens(type_name: &str, value: &Value) -> Option<Vec<Probe>> {
    let code = |code: String| Probe::Token { system: None, code };
    Some(match type_name {
        "Coding" => coding(value).into_iter().collect(),
        "CodeableConcept" => {
            let codings = value["coding"].as_array().into_iter().flatten().filter_map(coding);
            codings.chain(text(&value["text"]).map(Probe::TokenText)).collect()
        }
        "Identifier" => match (text(&value["system"]), text(&value["value"])) {
            (system, Some(code)) => vec![Probe::Token { system: Some(system), code }],
            _ => Vec::new(),
        },
        "ContactPoint" => text(&value["value"]).map(code).into_iter().collect(),
        "boolean" | "Boolean" => value.as_bool().map(|b| code(b.to_string())).into_iter().collect(),
        name if TEXTS.contains(&name) || name == "String" => texts(value, code),
        _ => return None,
    })
}

fn coding(value: &Value) -> Option<Probe> {
    let code = text(&value["code"])?;
    Some(Probe::Token { system: Some(text(&value["system"])), code })
}

fn references(type_name: &str, value: &Value) -> Option<Vec<Probe>> {
    if type_name == "Reference" {
        // A `#id` reference points inside the resource itself: nothing to search for.
        let url = text(&value["reference"]).filter(|r| !r.starts_with('#'));
        let identifier = text(&value["identifier"]["value"])
            .map(|v| Probe::ReferenceIdentifier(text(&value["identifier"]["system"]), v));
        return Some(url.map(Probe::ReferenceUrl).into_iter().chain(identifier).collect());
    }
    if TEXTS.contains(&type_name) {
        return Some(texts(value, Probe::ReferenceUrl));
    }
    // A resource itself (`Bundle.entry[0].resource`) is referred to by its type and id.
    let resource_type = value["resourceType"].as_str()?;
    let id = text(&value["id"]);
    Some(id.map(|id| Probe::ReferenceUrl(format!("{resource_type}/{id}"))).into_iter().collect())
}

fn dates(type_name: &str, value: &Value) -> Option<Vec<Probe>> {
    let range = |v: &Value| v.as_str().and_then(date_range);
    Some(match type_name {
        name if DATES.contains(&name) => {
            range(value).map(|(l, h)| Probe::Date(l, h)).into_iter().collect()
        }
        "Period" => match (range(&value["start"]), range(&value["end"])) {
            (None, None) => Vec::new(),
            (start, end) => {
                vec![Probe::Date(start.map_or(i64::MIN, |s| s.0), end.map_or(i64::MAX, |e| e.1))]
            }
        },
        "Timing" => {
            let events = value["event"].as_array().into_iter().flatten().filter_map(range);
            events.map(|(l, h)| Probe::DateWithin(l, h)).collect()
        }
        _ => return None,
    })
}

fn quantities(type_name: &str, value: &Value) -> Option<Vec<Probe>> {
    Some(match type_name {
        name if QUANTITIES.contains(&name) || name == "Money" => {
            numbers(&value["value"], Probe::Quantity)
        }
        "Range" => {
            let bound = [&value["low"]["value"], &value["high"]["value"]]
                .into_iter()
                .find(|v| v.is_number());
            bound.map(|v| numbers(v, Probe::Quantity)).unwrap_or_default()
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn node(type_name: &str, value: Value) -> Node {
        Node { type_name: type_name.into(), value }
    }

    #[test]
    fn a_coding_asks_for_its_system_and_code() {
        let coding = node("FHIR.Coding", json!({"system": "http://loinc.org", "code": "1-8"}));
        let probes = probes(ParamKind::Token, &coding).expect("a row for Coding");
        let want =
            Probe::Token { system: Some(Some("http://loinc.org".into())), code: "1-8".into() };
        assert_eq!(probes, std::slice::from_ref(&want));
        let other_system = IndexValue::Token { system: None, code: Some("1-8".into()), text: None };
        assert!(!want.found_in(&[other_system]));
    }

    #[test]
    fn a_type_without_a_row_asks_nothing() {
        assert_eq!(probes(ParamKind::Token, &node("FHIR.Reference", json!({}))), None);
        let display_only = node("FHIR.Reference", json!({"display": "Dr Who"}));
        assert_eq!(probes(ParamKind::Reference, &display_only), Some(Vec::new()));
    }

    #[test]
    fn a_period_asks_for_its_range_open_where_it_has_no_end() {
        let period = node("FHIR.Period", json!({"start": "2020"}));
        let (low, _) = date_range("2020").expect("valid");
        assert_eq!(probes(ParamKind::Date, &period), Some(vec![Probe::Date(low, i64::MAX)]));
    }
}
