//! Index values with a range: dates (date, dateTime, instant, Period, Timing), numbers and
//! quantities (Quantity and its profiles, Money, Range).

use serde_json::Value;

use super::IndexValue;
use crate::datetime::date_range;
use crate::decimal::parse_decimal;
use crate::model::Model;
use crate::ucum;

const UCUM: &str = "http://unitsofmeasure.org";
const CURRENCIES: &str = "urn:iso:std:iso:4217";

pub(super) fn dates(type_name: &str, value: &Value, out: &mut Vec<IndexValue>) {
    let range = match type_name {
        "Period" => period(value),
        "Timing" => timing(value),
        _ => value.as_str().and_then(date_range),
    };
    out.extend(range.map(|(low, high)| IndexValue::Date { low, high }));
}

/// From the start's low bound to the end's high bound; a missing side is open.
fn period(value: &Value) -> Option<(i64, i64)> {
    let start = value.get("start").and_then(Value::as_str).and_then(date_range);
    let end = value.get("end").and_then(Value::as_str).and_then(date_range);
    if start.is_none() && end.is_none() {
        return None;
    }
    Some((start.map_or(i64::MIN, |s| s.0), end.map_or(i64::MAX, |e| e.1)))
}

/// The span of the events and of the repeat's bounds; the schedule itself is not expanded.
fn timing(value: &Value) -> Option<(i64, i64)> {
    let events = value.get("event").and_then(Value::as_array).into_iter().flatten();
    let mut ranges: Vec<(i64, i64)> =
        events.filter_map(|e| e.as_str().and_then(date_range)).collect();
    let bounds = value.get("repeat").and_then(|r| r.get("boundsPeriod"));
    ranges.extend(bounds.and_then(period));
    let low = ranges.iter().map(|r| r.0).min()?;
    let high = ranges.iter().map(|r| r.1).max()?;
    Some((low, high))
}

pub(super) fn numbers(value: &Value, out: &mut Vec<IndexValue>) {
    let Some(number) = number_text(value).and_then(|t| parse_decimal(&t)) else { return };
    out.push(IndexValue::Number { value: number.text, low: number.low, high: number.high });
}

/// A JSON number's exact text (the workspace keeps numbers as written).
fn number_text(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(super) fn quantities(type_name: &str, value: &Value, out: &mut Vec<IndexValue>) {
    let entry = match type_name {
        "Range" => range(value),
        "Money" => money(value),
        name if Model::r4().is_a(name, "Quantity") => quantity(value),
        // FIXME(#3): SampledData (`combo-value-quantity`) is a series, not one quantity;
        // it is skipped, as most servers do, rather than indexed by its origin.
        _ => None,
    };
    out.extend(entry);
}

fn quantity(value: &Value) -> Option<IndexValue> {
    let number = parse_decimal(&number_text(value.get("value")?)?)?;
    let system = value.get("system").and_then(Value::as_str);
    let code = value.get("code").and_then(Value::as_str);
    let ucum = system.is_none_or(|s| s == UCUM);
    let canonical = code.filter(|_| ucum).and_then(|c| ucum::canonical(number.value, c));
    let (low, high) = match value.get("comparator").and_then(Value::as_str) {
        Some("<" | "<=") => (f64::NEG_INFINITY, number.high),
        Some(">" | ">=") => (number.low, f64::INFINITY),
        _ => (number.low, number.high),
    };
    Some(IndexValue::Quantity {
        value: number.text,
        low,
        high,
        system: system.map(str::to_owned),
        code: code.map(str::to_owned),
        unit: value.get("unit").and_then(Value::as_str).map(str::to_owned),
        canonical,
    })
}

fn money(value: &Value) -> Option<IndexValue> {
    let number = parse_decimal(&number_text(value.get("value")?)?)?;
    let currency = value.get("currency").and_then(Value::as_str).map(str::to_owned);
    Some(IndexValue::Quantity {
        value: number.text,
        low: number.low,
        high: number.high,
        system: currency.as_ref().map(|_| CURRENCIES.to_owned()),
        code: currency.clone(),
        unit: currency,
        canonical: None,
    })
}

/// A Range as one quantity spanning its bounds; units come from whichever bound has them.
fn range(value: &Value) -> Option<IndexValue> {
    let low = value.get("low").and_then(quantity);
    let high = value.get("high").and_then(quantity);
    let lower = match &low {
        Some(IndexValue::Quantity { low, .. }) => *low,
        _ => f64::NEG_INFINITY,
    };
    let upper = match &high {
        Some(IndexValue::Quantity { high, .. }) => *high,
        _ => f64::INFINITY,
    };
    let Some(IndexValue::Quantity { value, system, code, unit, .. }) = low.or(high) else {
        return None;
    };
    Some(IndexValue::Quantity {
        value,
        low: lower,
        high: upper,
        system,
        code,
        unit,
        canonical: None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn one(
        kind: fn(&str, &Value, &mut Vec<IndexValue>),
        type_name: &str,
        value: Value,
    ) -> IndexValue {
        let mut out = Vec::new();
        kind(type_name, &value, &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        out.remove(0)
    }

    #[test]
    fn a_period_without_end_is_open_ended() {
        let (low, _) = date_range("2020-01-01").expect("valid");
        let value = one(dates, "Period", json!({"start": "2020-01-01"}));
        assert_eq!(value, IndexValue::Date { low, high: i64::MAX });
    }

    #[test]
    fn a_timing_spans_its_events() {
        let value = one(dates, "Timing", json!({"event": ["2020-03-01", "2020-01-01"]}));
        let (low, _) = date_range("2020-01-01").expect("valid");
        let (_, high) = date_range("2020-03-01").expect("valid");
        assert_eq!(value, IndexValue::Date { low, high });
    }

    #[test]
    fn a_ucum_quantity_carries_its_canonical_form() {
        let value = one(
            quantities,
            "Quantity",
            json!({"value": 5.4, "unit": "mg", "system": UCUM, "code": "mg"}),
        );
        let IndexValue::Quantity { value, canonical, code, .. } = value else {
            panic!("not a quantity")
        };
        assert_eq!(value, "5.4");
        assert_eq!(code.as_deref(), Some("mg"));
        assert_eq!(canonical, Some((0.0054, "g".to_owned())));
    }

    #[test]
    fn a_comparator_opens_the_quantity_range() {
        let value = one(
            quantities,
            "Age",
            json!({"value": 5, "comparator": "<", "code": "a", "system": UCUM}),
        );
        let IndexValue::Quantity { low, high, .. } = value else { panic!("not a quantity") };
        assert_eq!((low, high), (f64::NEG_INFINITY, 5.5));
    }

    #[test]
    fn a_range_spans_its_bounds() {
        let value = one(
            quantities,
            "Range",
            json!({"low": {"value": 2, "code": "a"}, "high": {"value": 5, "code": "a"}}),
        );
        let IndexValue::Quantity { value, low, high, code, .. } = value else {
            panic!("not a quantity")
        };
        assert_eq!((value.as_str(), low, high, code.as_deref()), ("2", 1.5, 5.5, Some("a")));
    }

    #[test]
    fn a_number_keeps_its_exact_text() {
        let mut out = Vec::new();
        numbers(&serde_json::from_str("150").expect("json"), &mut out);
        assert_eq!(out, [IndexValue::Number { value: "150".into(), low: 149.5, high: 150.5 }]);
    }
}
