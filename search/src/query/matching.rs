//! The meaning of predicates against index values, written once here so that the store's
//! SQL can mirror it: range comparison for dates, numbers and quantities, and `matches`,
//! which runs a whole query against one resource in memory.

use serde_json::Value;

use super::predicate::{Predicate, Prefix, ReferenceMatch, StringMode, SystemMatch, UriMode};
use super::{Clause, SearchQuery};
use crate::extract::{IndexEntry, IndexValue, extract};

/// Date comparison (R4 search §3.1.1.4.2), both ranges inclusive:
/// - `eq`: the resource range lies within the search range; `ne`: it does not;
/// - `gt`: the resource range goes beyond the search high; `lt`: it starts before the low;
/// - `ge`: `gt` or `eq`; `le`: `lt` or `eq`;
/// - `sa`: the resource range starts after the search high; `eb`: it ends before the low;
/// - `ap`: the ranges overlap (the parser has widened the search range by 10 % of its
///   distance from now).
pub fn date_matches(
    prefix: Prefix,
    search_low: i64,
    search_high: i64,
    res_low: i64,
    res_high: i64,
) -> bool {
    range_matches(prefix, (search_low, search_high), (res_low, res_high))
}

/// Number comparison, the same rules as `date_matches` on the implicit precision ranges
/// (`100` is [99.5, 100.5]); for `ap` the parser has widened the search range to ±10 %.
pub fn number_matches(
    prefix: Prefix,
    search_low: f64,
    search_high: f64,
    res_low: f64,
    res_high: f64,
) -> bool {
    range_matches(prefix, (search_low, search_high), (res_low, res_high))
}

fn range_matches<T: PartialOrd>(prefix: Prefix, search: (T, T), resource: (T, T)) -> bool {
    let ((low, high), (res_low, res_high)) = (search, resource);
    let within = res_low >= low && res_high <= high;
    match prefix {
        Prefix::Eq => within,
        Prefix::Ne => !within,
        Prefix::Gt => res_high > high,
        Prefix::Lt => res_low < low,
        Prefix::Ge => res_high > high || within,
        Prefix::Le => res_low < low || within,
        Prefix::Sa => res_low > high,
        Prefix::Eb => res_high < low,
        Prefix::Ap => res_low <= high && res_high >= low,
    }
}

/// Whether `resource` satisfies every clause of `query`. Clauses with a chain or `_has`
/// need other resources and never match here.
pub fn matches(resource: &Value, query: &SearchQuery) -> bool {
    let resource_type = resource.get("resourceType").and_then(Value::as_str);
    if query.resource_type.is_some() && query.resource_type.as_deref() != resource_type {
        return false;
    }
    let entries = extract(resource);
    query.clauses.iter().all(|clause| clause_matches(clause, &entries))
}

fn clause_matches(clause: &Clause, entries: &[IndexEntry]) -> bool {
    if !clause.chain.is_empty() {
        return false;
    }
    let values: Vec<&IndexValue> =
        entries.iter().filter(|e| e.param == clause.param).map(|e| &e.value).collect();
    clause.values.iter().any(|predicate| predicate_matches(predicate, &values))
}

fn predicate_matches(predicate: &Predicate, values: &[&IndexValue]) -> bool {
    match predicate {
        Predicate::Missing(missing) => values.is_empty() == *missing,
        Predicate::Has(_) => false,
        Predicate::Token { not: true, system, code } => {
            let positive =
                Predicate::Token { system: system.clone(), code: code.clone(), not: false };
            !values.iter().any(|v| value_matches(&positive, v))
        }
        _ => values.iter().any(|v| value_matches(predicate, v)),
    }
}

/// Whether one predicate holds for one index value.
pub(crate) fn value_matches(predicate: &Predicate, value: &IndexValue) -> bool {
    match (predicate, value) {
        (Predicate::String { value: wanted, mode }, IndexValue::String { normalized, exact }) => {
            match mode {
                StringMode::Prefix => normalized.starts_with(wanted.as_str()),
                StringMode::Contains => normalized.contains(wanted.as_str()),
                StringMode::Exact => exact == wanted,
            }
        }
        (Predicate::Token { system, code, .. }, IndexValue::Token { system: s, code: c, .. }) => {
            system_matches(system, s.as_deref()) && (code.is_none() || code == c)
        }
        (Predicate::TokenText { text }, IndexValue::Token { text: Some(t), .. }) => {
            t.starts_with(text.as_str())
        }
        (
            Predicate::OfType { type_system, type_code, value },
            IndexValue::OfType { type_system: s, type_code: c, value: v },
        ) => s.as_deref() == Some(type_system.as_str()) && type_code == c && value == v,
        (Predicate::Reference(wanted), IndexValue::Reference { .. }) => {
            reference_matches(wanted, value)
        }
        (Predicate::Date { prefix, low, high }, IndexValue::Date { low: rl, high: rh }) => {
            date_matches(*prefix, *low, *high, *rl, *rh)
        }
        (
            Predicate::Number { prefix, low, high, .. },
            IndexValue::Number { low: rl, high: rh, .. },
        ) => number_matches(*prefix, *low, *high, *rl, *rh),
        (Predicate::Quantity { .. }, IndexValue::Quantity { .. }) => {
            quantity_matches(predicate, value)
        }
        (Predicate::Uri { value: wanted, mode }, IndexValue::Uri { value: v }) => match mode {
            UriMode::Exact => v == wanted,
            UriMode::Below => v.starts_with(wanted.as_str()),
            UriMode::Above => wanted.starts_with(v.as_str()),
        },
        (Predicate::Composite(parts), IndexValue::Composite(values)) => {
            parts.len() == values.len()
                && parts.iter().zip(values).all(|(p, v)| value_matches(p, v))
        }
        _ => false,
    }
}

fn system_matches(wanted: &SystemMatch, system: Option<&str>) -> bool {
    match wanted {
        SystemMatch::Any => true,
        SystemMatch::None => system.is_none(),
        SystemMatch::Is(s) => system == Some(s.as_str()),
    }
}

fn reference_matches(wanted: &ReferenceMatch, value: &IndexValue) -> bool {
    let IndexValue::Reference { target_type, target_id, url, identifier } = value else {
        return false;
    };
    match wanted {
        ReferenceMatch::Local { target_type: wanted_type, id } => {
            target_id.as_deref() == Some(id.as_str())
                && (wanted_type.is_none() || wanted_type == target_type)
        }
        ReferenceMatch::Url(wanted_url) => url.as_deref() == Some(wanted_url.as_str()),
        ReferenceMatch::Identifier { system, value } => identifier
            .as_ref()
            .is_some_and(|(s, v)| v == value && system_matches(system, s.as_deref())),
    }
}

/// Canonical units compare when both sides have them (the resource's canonical value taken
/// as exact); otherwise the system and code must agree (`||code` also accepts the unit).
fn quantity_matches(predicate: &Predicate, value: &IndexValue) -> bool {
    let Predicate::Quantity { prefix, low, high, system, code, canonical, .. } = predicate else {
        return false;
    };
    let IndexValue::Quantity { low: rl, high: rh, system: s, code: c, unit, canonical: rc, .. } =
        value
    else {
        return false;
    };
    if let (Some((cl, ch, cu)), Some((rv, ru))) = (canonical, rc)
        && cu == ru
    {
        return number_matches(*prefix, *cl, *ch, *rv, *rv);
    }
    let unit_ok = match (system, code) {
        (_, None) => system_matches(system, s.as_deref()),
        (SystemMatch::Any, Some(code)) => c.as_ref() == Some(code) || unit.as_ref() == Some(code),
        (system, Some(code)) => system_matches(system, s.as_deref()) && c.as_ref() == Some(code),
    };
    unit_ok && number_matches(*prefix, *low, *high, *rl, *rh)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Resource ranges around the search range [10, 20], named by where they lie.
    const RANGES: [(&str, i64, i64); 8] = [
        ("before", 0, 5),
        ("touching low", 5, 10),
        ("overlapping low", 5, 15),
        ("inside", 12, 18),
        ("equal", 10, 20),
        ("overlapping high", 15, 25),
        ("after", 25, 30),
        ("containing", 5, 25),
    ];

    /// The expected outcome per prefix, in the order of `RANGES`.
    const EXPECTED: [(Prefix, [bool; 8]); 9] = [
        (Prefix::Eq, [false, false, false, true, true, false, false, false]),
        (Prefix::Ne, [true, true, true, false, false, true, true, true]),
        (Prefix::Gt, [false, false, false, false, false, true, true, true]),
        (Prefix::Lt, [true, true, true, false, false, false, false, true]),
        (Prefix::Ge, [false, false, false, true, true, true, true, true]),
        (Prefix::Le, [true, true, true, true, true, false, false, true]),
        (Prefix::Sa, [false, false, false, false, false, false, true, false]),
        (Prefix::Eb, [true, false, false, false, false, false, false, false]),
        (Prefix::Ap, [false, true, true, true, true, true, false, true]),
    ];

    #[test]
    fn date_prefixes_hold_for_every_position_of_the_resource_range() {
        for (prefix, expected) in EXPECTED {
            for ((name, low, high), want) in RANGES.iter().zip(expected) {
                assert_eq!(
                    date_matches(prefix, 10, 20, *low, *high),
                    want,
                    "{} {name}",
                    prefix.code()
                );
            }
        }
    }

    #[test]
    fn number_prefixes_follow_the_same_table() {
        for (prefix, expected) in EXPECTED {
            for ((name, low, high), want) in RANGES.iter().zip(expected) {
                let got = number_matches(prefix, 10.0, 20.0, *low as f64, *high as f64);
                assert_eq!(got, want, "{} {name}", prefix.code());
            }
        }
    }

    #[test]
    fn an_open_ended_period_is_greater_than_any_date() {
        assert!(date_matches(Prefix::Gt, 10, 20, 0, i64::MAX));
        assert!(!date_matches(Prefix::Eq, 10, 20, 15, i64::MAX));
    }

    #[test]
    fn hundred_matches_hundred_point_two_but_not_hundred_point_zero_zero() {
        let (low, high) = (99.5, 100.5);
        assert!(number_matches(Prefix::Eq, low, high, 100.15, 100.25));
        assert!(!number_matches(Prefix::Eq, 99.995, 100.005, 99.5, 100.5));
    }
}
