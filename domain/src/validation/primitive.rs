//! Checks of primitive values: their JSON type, and their text against the formats of the spec.

use serde_json::Value;

use super::schema::{Format, JsonKind, Primitive};
use crate::outcome::IssueType;

/// An issue without its location; diagnostics never quote the value (it may be health data).
pub(super) type Problem = (IssueType, String);

/// Checks one non-null primitive value.
pub(super) fn check(prim: &Primitive, value: &Value) -> Result<(), Problem> {
    match (prim.json, value) {
        (JsonKind::Boolean, Value::Bool(_)) | (JsonKind::Decimal, Value::Number(_)) => Ok(()),
        (JsonKind::Integer, Value::Number(n)) => integer(prim, n.as_str()),
        (JsonKind::String, Value::String(s)) => text(prim, s),
        _ => Err(wrong_json_type(prim)),
    }
}

fn wrong_json_type(prim: &Primitive) -> Problem {
    let expected = match prim.json {
        JsonKind::Boolean => "a JSON boolean",
        JsonKind::Integer => "a JSON number without fraction",
        JsonKind::Decimal => "a JSON number",
        JsonKind::String => "a JSON string",
    };
    (IssueType::Structure, format!("A value of type {} must be {expected}", prim.name))
}

/// Integers are judged by their text as sent (serde_json keeps it: `arbitrary_precision`), so
/// `1.0` and `1e2` are refused even though they denote integers.
fn integer(prim: &Primitive, text: &str) -> Result<(), Problem> {
    let Format::Integer { min } = prim.format else { return Ok(()) };
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        let message = format!("A value of type {} must be an integer without fraction", prim.name);
        return Err((IssueType::Value, message));
    }
    // Ten digits are enough for 32 bits; longer text is out of range and could overflow i64.
    let in_range = digits.len() <= 10
        && text.parse::<i64>().is_ok_and(|v| v >= min && v <= i64::from(i32::MAX));
    if in_range {
        return Ok(());
    }
    Err((IssueType::Value, format!("Value is out of the range of type {}", prim.name)))
}

fn text(prim: &Primitive, s: &str) -> Result<(), Problem> {
    if s.is_empty() {
        return Err((IssueType::Value, format!("A value of type {} must not be empty", prim.name)));
    }
    if s.chars().any(is_forbidden_control) {
        let message = format!(
            "A value of type {} must not hold control characters (below U+0020, only tab, \
             carriage return and line feed are allowed)",
            prim.name
        );
        return Err((IssueType::Value, message));
    }
    let valid = match &prim.format {
        // The spec's regex for string and markdown, `[ \r\n\t\S]+`, only says "not empty" (in
        // XML Schema, `\S` is anything but those four blanks), so it is not worth running on
        // the commonest type. The JSON format adds that strings hold non-whitespace content.
        Format::Free => !s.trim().is_empty(),
        Format::Xhtml => {
            return super::xhtml::check(s).map_err(|why| (IssueType::Value, why.to_owned()));
        }
        Format::Pattern(re) => re.is_match(s),
        Format::Calendar(re) => re.is_match(s) && day_exists(s),
        Format::Integer { .. } | Format::None => true,
    };
    if valid {
        return Ok(());
    }
    Err((IssueType::Value, format_message(prim)))
}

/// R4 strings hold no character below U+0020 but tab, CR and LF (and PostgreSQL text cannot
/// hold U+0000 at all).
fn is_forbidden_control(c: char) -> bool {
    c < ' ' && !matches!(c, '\t' | '\r' | '\n')
}

fn format_message(prim: &Primitive) -> String {
    match prim.format {
        Format::Free => format!("A value of type {} must not be only whitespace", prim.name),
        _ => format!("Value does not have the format of type {}", prim.name),
    }
}

/// The date regexes let any month have 31 days; the spec wants real dates.
fn day_exists(s: &str) -> bool {
    let (Some(year), Some(month), Some(day)) = (s.get(0..4), s.get(5..7), s.get(8..10)) else {
        return true; // a year, or a year and month: the regex has said all
    };
    match (year.parse(), month.parse(), day.parse()) {
        (Ok(y), Ok(m), Ok(d)) => chrono::NaiveDate::from_ymd_opt(y, m, d).is_some(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::schema;
    use serde_json::json;

    fn check_as(type_name: &str, value: Value) -> Result<(), Problem> {
        let schema = schema::get();
        let prim = (0..=u8::MAX)
            .map(|i| schema.primitive(i))
            .find(|p| &*p.name == type_name)
            .expect("known primitive type");
        check(prim, &value)
    }

    fn number(text: &str) -> Value {
        serde_json::from_str(text).expect("a JSON number")
    }

    #[test]
    fn integers_are_judged_by_their_text_and_range() {
        assert!(check_as("integer", number("-2147483648")).is_ok());
        assert!(check_as("integer", number("2147483648")).is_err());
        assert!(check_as("integer", number("1.0")).is_err());
        assert!(check_as("integer", number("1e2")).is_err());
        assert!(check_as("positiveInt", number("0")).is_err());
        assert!(check_as("unsignedInt", number("0")).is_ok());
        assert!(check_as("unsignedInt", number("-1")).is_err());
        assert!(check_as("integer", number("123456789012345678901234567890")).is_err());
    }

    #[test]
    fn json_types_follow_the_primitive() {
        assert!(check_as("boolean", json!("true")).is_err());
        assert!(check_as("decimal", json!("1.5")).is_err());
        assert!(check_as("decimal", number("1.50")).is_ok());
        assert!(check_as("string", json!(1)).is_err());
        assert!(check_as("integer", json!(true)).is_err());
    }

    #[test]
    fn dates_must_match_the_regex_and_exist() {
        assert!(check_as("date", json!("2024")).is_ok());
        assert!(check_as("date", json!("2024-02-29")).is_ok());
        assert!(check_as("date", json!("2023-02-29")).is_err());
        assert!(check_as("date", json!("2024-13")).is_err());
        assert!(check_as("dateTime", json!("2024-01-01T10:00:00+01:00")).is_ok());
        assert!(check_as("dateTime", json!("2024-01-01T10:00")).is_err());
        assert!(check_as("instant", json!("2024-01-01")).is_err());
    }

    #[test]
    fn strings_need_content_but_may_hold_any_unicode() {
        assert!(check_as("string", json!("a\u{a0}b")).is_ok());
        assert!(check_as("string", json!("")).is_err());
        assert!(check_as("string", json!("  ")).is_err());
        assert!(check_as("code", json!("a b")).is_ok());
        assert!(check_as("code", json!("a  b")).is_err());
        assert!(check_as("code", json!("a\u{a0}")).is_ok(), "only ASCII blanks are blanks");
        assert!(check_as("id", json!("a".repeat(64))).is_ok());
        assert!(check_as("id", json!("a".repeat(65))).is_err());
    }

    #[test]
    fn control_characters_other_than_tab_cr_and_lf_are_refused_in_every_string_type() {
        for text in ["a\u{0}b", "\u{1}", "a\u{1b}[31m", "x\u{1f}"] {
            for type_name in ["string", "code", "uri", "markdown", "xhtml"] {
                let (code, _) = check_as(type_name, json!(text)).expect_err(type_name);
                assert_eq!(code, IssueType::Value, "{type_name}");
            }
        }
        assert!(check_as("string", json!("line one\r\n\tline two")).is_ok());
    }

    #[test]
    fn diagnostics_never_quote_the_value() {
        let (_, message) = check_as("date", json!("1970-13-01")).expect_err("bad date");
        assert!(!message.contains("1970"), "{message}");
    }
}
