//! What one search value asks for: the predicate types, prefixes and modifiers, and the
//! parsing of one value (one alternative of a comma list) by parameter type.

use super::QueryError;
use super::escape::{split_unescaped, unescape};
use crate::datetime::date_range;
use crate::decimal::parse_decimal;
use crate::normalize::normalize;
use crate::reference::target_of;
use crate::registry::{ParamKind, Registry};
use crate::ucum;

const UCUM: &str = "http://unitsofmeasure.org";

/// A comparison prefix of date, number and quantity values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prefix {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Sa,
    Eb,
    Ap,
}

impl Prefix {
    const ALL: [Prefix; 9] = [
        Prefix::Eq,
        Prefix::Ne,
        Prefix::Gt,
        Prefix::Lt,
        Prefix::Ge,
        Prefix::Le,
        Prefix::Sa,
        Prefix::Eb,
        Prefix::Ap,
    ];

    /// `gt` -> `Prefix::Gt`.
    pub fn from_code(code: &str) -> Option<Prefix> {
        Prefix::ALL.into_iter().find(|p| p.code() == code)
    }

    pub fn code(self) -> &'static str {
        match self {
            Prefix::Eq => "eq",
            Prefix::Ne => "ne",
            Prefix::Gt => "gt",
            Prefix::Lt => "lt",
            Prefix::Ge => "ge",
            Prefix::Le => "le",
            Prefix::Sa => "sa",
            Prefix::Eb => "eb",
            Prefix::Ap => "ap",
        }
    }
}

/// A modifier after the parameter name (`name:exact`, `subject:Patient`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Modifier {
    Missing,
    Exact,
    Contains,
    Text,
    Not,
    Above,
    Below,
    In,
    NotIn,
    OfType,
    Identifier,
    /// `:[type]` on a reference.
    Type(String),
}

impl Modifier {
    /// The modifier named `text`, if R4 has one by that name (or it is a resource type).
    pub fn parse(text: &str) -> Option<Modifier> {
        Some(match text {
            "missing" => Modifier::Missing,
            "exact" => Modifier::Exact,
            "contains" => Modifier::Contains,
            "text" => Modifier::Text,
            "not" => Modifier::Not,
            "above" => Modifier::Above,
            "below" => Modifier::Below,
            "in" => Modifier::In,
            "not-in" => Modifier::NotIn,
            "of-type" => Modifier::OfType,
            "identifier" => Modifier::Identifier,
            other if Registry::r4().is_resource_type(other) => Modifier::Type(other.to_owned()),
            _ => return None,
        })
    }

    /// The name the registry lists it under (`type` for `:[type]`).
    pub fn name(&self) -> &str {
        match self {
            Modifier::Missing => "missing",
            Modifier::Exact => "exact",
            Modifier::Contains => "contains",
            Modifier::Text => "text",
            Modifier::Not => "not",
            Modifier::Above => "above",
            Modifier::Below => "below",
            Modifier::In => "in",
            Modifier::NotIn => "not-in",
            Modifier::OfType => "of-type",
            Modifier::Identifier => "identifier",
            Modifier::Type(_) => "type",
        }
    }
}

/// How a string value matches the normalized (or, for `Exact`, the written) text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringMode {
    /// The default: the normalized text starts with the normalized value.
    Prefix,
    /// `:exact`: the text as written equals the value as written.
    Exact,
    /// `:contains`: the normalized text contains the normalized value.
    Contains,
}

/// The system part of a token or quantity value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SystemMatch {
    /// `code`: any system, or none.
    Any,
    /// `|code`: no system.
    None,
    /// `system|code`
    Is(String),
}

/// What a reference value names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceMatch {
    /// `Patient/123`, or `123` with the type from `:Patient` or the parameter's only target.
    Local { target_type: Option<String>, id: String },
    /// An absolute URL or canonical, matched against the reference as written.
    Url(String),
    /// `:identifier` with `system|value`.
    Identifier { system: SystemMatch, value: String },
}

/// How a uri value matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriMode {
    Exact,
    /// `:below`: the indexed uri starts with the value.
    Below,
    /// `:above`: the value starts with the indexed uri.
    Above,
}

/// One search value, typed; the values of a clause are alternatives (OR).
#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    /// `:missing=true` (no value indexed) or `:missing=false`.
    Missing(bool),
    /// `value` is normalized, except for `StringMode::Exact`.
    String {
        value: String,
        mode: StringMode,
    },
    /// `code` is `None` for `system|`; `not` for `:not`, which matches resources that have
    /// no value equal to this one.
    Token {
        system: SystemMatch,
        code: Option<String>,
        not: bool,
    },
    /// `:text`: the normalized text the code's display or text starts with.
    TokenText {
        text: String,
    },
    /// `:of-type=system|code|value` on an identifier.
    OfType {
        type_system: String,
        type_code: String,
        value: String,
    },
    Reference(ReferenceMatch),
    /// The search range; for `ap` already widened by 10 % of its distance from now.
    Date {
        prefix: Prefix,
        low: i64,
        high: i64,
    },
    /// The search range the value's precision implies; for `ap`, ±10 % of the value.
    Number {
        prefix: Prefix,
        value: String,
        low: f64,
        high: f64,
    },
    /// As `Number`, plus the unit; `canonical` is the range in canonical UCUM when the unit
    /// is a known one and the system is UCUM or unspecified.
    Quantity {
        prefix: Prefix,
        value: String,
        low: f64,
        high: f64,
        system: SystemMatch,
        code: Option<String>,
        canonical: Option<(f64, f64, String)>,
    },
    Uri {
        value: String,
        mode: UriMode,
    },
    /// One predicate per component, in the definition's order.
    Composite(Vec<Predicate>),
    /// `_has`: resources of another type that point here and match the inner clause.
    Has(Box<super::HasClause>),
}

/// What parsing one value needs besides the text.
pub(super) struct ValueContext<'p> {
    pub(super) code: &'p str,
    pub(super) kind: ParamKind,
    pub(super) modifier: Option<&'p Modifier>,
    pub(super) targets: &'p [String],
    pub(super) component_kinds: &'p [ParamKind],
    /// Now, in epoch microseconds, for `ap`.
    pub(super) now: i64,
}

impl ValueContext<'_> {
    fn invalid(&self, reason: &'static str) -> QueryError {
        QueryError::InvalidValue { param: self.code.to_owned(), reason }
    }
}

/// Parses one alternative of a search value (still escaped).
pub(super) fn parse_value(ctx: &ValueContext<'_>, raw: &str) -> Result<Predicate, QueryError> {
    if ctx.modifier == Some(&Modifier::Missing) {
        return match raw {
            "true" => Ok(Predicate::Missing(true)),
            "false" => Ok(Predicate::Missing(false)),
            _ => Err(ctx.invalid(":missing takes true or false")),
        };
    }
    match ctx.kind {
        ParamKind::String => Ok(string(ctx, &unescape(raw))),
        ParamKind::Token => token(ctx, raw),
        ParamKind::Reference => reference(ctx, raw),
        ParamKind::Date => date(ctx, &unescape(raw)),
        ParamKind::Number => number(ctx, &unescape(raw)),
        ParamKind::Quantity => quantity(ctx, raw),
        ParamKind::Uri => uri(ctx, &unescape(raw)),
        ParamKind::Composite => composite(ctx, raw),
        ParamKind::Special => Err(ctx.invalid("special parameters are not supported")),
    }
}

fn string(ctx: &ValueContext<'_>, value: &str) -> Predicate {
    match ctx.modifier {
        Some(Modifier::Exact) => {
            Predicate::String { value: value.to_owned(), mode: StringMode::Exact }
        }
        Some(Modifier::Contains) => {
            Predicate::String { value: normalize(value), mode: StringMode::Contains }
        }
        _ => Predicate::String { value: normalize(value), mode: StringMode::Prefix },
    }
}

fn token(ctx: &ValueContext<'_>, raw: &str) -> Result<Predicate, QueryError> {
    match ctx.modifier {
        Some(Modifier::Text) => {
            return Ok(Predicate::TokenText { text: normalize(&unescape(raw)) });
        }
        Some(Modifier::OfType) => return of_type(ctx, raw),
        _ => {}
    }
    let (system, code) = system_and_code(raw);
    if system == SystemMatch::Any && code.is_none() {
        return Err(ctx.invalid("a token needs a code or a system"));
    }
    Ok(Predicate::Token { system, code, not: ctx.modifier == Some(&Modifier::Not) })
}

/// `code`, `|code`, `system|`, `system|code`.
fn system_and_code(raw: &str) -> (SystemMatch, Option<String>) {
    let parts = split_unescaped(raw, '|');
    let code = |text: &str| Some(unescape(text)).filter(|c| !c.is_empty());
    match parts.as_slice() {
        [only] => (SystemMatch::Any, code(only)),
        [system, rest @ ..] => {
            let system = match system.is_empty() {
                true => SystemMatch::None,
                false => SystemMatch::Is(unescape(system)),
            };
            (system, code(&rest.join("|")))
        }
        [] => (SystemMatch::Any, None),
    }
}

fn of_type(ctx: &ValueContext<'_>, raw: &str) -> Result<Predicate, QueryError> {
    let parts: Vec<String> = split_unescaped(raw, '|').iter().map(|p| unescape(p)).collect();
    match parts.as_slice() {
        [type_system, type_code, value] if parts.iter().all(|p| !p.is_empty()) => {
            Ok(Predicate::OfType {
                type_system: type_system.clone(),
                type_code: type_code.clone(),
                value: value.clone(),
            })
        }
        _ => Err(ctx.invalid(":of-type takes system|code|value")),
    }
}

fn reference(ctx: &ValueContext<'_>, raw: &str) -> Result<Predicate, QueryError> {
    if ctx.modifier == Some(&Modifier::Identifier) {
        let (system, value) = system_and_code(raw);
        let value = value.ok_or_else(|| ctx.invalid(":identifier needs a value"))?;
        return Ok(Predicate::Reference(ReferenceMatch::Identifier { system, value }));
    }
    let value = unescape(raw);
    let typed = match ctx.modifier {
        Some(Modifier::Type(t)) => Some(t.clone()),
        _ => None,
    };
    if value.contains("://") || value.starts_with("urn:") {
        return Ok(Predicate::Reference(ReferenceMatch::Url(value)));
    }
    let (target_type, id) = match value.split_once('/') {
        Some(_) => {
            let (t, id) =
                target_of(&value).ok_or_else(|| ctx.invalid("not a Type/id reference"))?;
            (Some(t.to_owned()), id.to_owned())
        }
        None => (typed.clone().or_else(|| single(ctx.targets)), value.clone()),
    };
    if typed.is_some() && target_type != typed {
        return Err(ctx.invalid("the reference's type differs from the type modifier"));
    }
    if !valid_id(&id) {
        return Err(ctx.invalid("not a valid resource id"));
    }
    Ok(Predicate::Reference(ReferenceMatch::Local { target_type, id }))
}

fn single(targets: &[String]) -> Option<String> {
    match targets {
        [only] => Some(only.clone()),
        _ => None,
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

/// Splits `gt2020` into its prefix and the rest; no prefix means `eq`.
fn prefixed<'v>(ctx: &ValueContext<'_>, value: &'v str) -> Result<(Prefix, &'v str), QueryError> {
    let head: String = value.chars().take(2).collect();
    if head.len() == 2 && head.chars().all(|c| c.is_ascii_lowercase()) {
        let prefix = Prefix::from_code(&head).ok_or_else(|| ctx.invalid("unknown prefix"))?;
        return Ok((prefix, &value[2..]));
    }
    Ok((Prefix::Eq, value))
}

fn date(ctx: &ValueContext<'_>, value: &str) -> Result<Predicate, QueryError> {
    let (prefix, text) = prefixed(ctx, value)?;
    let (mut low, mut high) = date_range(text).ok_or_else(|| ctx.invalid("not a valid date"))?;
    if prefix == Prefix::Ap {
        // ±10 % of the distance between the value and now, the usual reading of "approximately".
        let middle = low / 2 + high / 2;
        let margin = (ctx.now.saturating_sub(middle)).saturating_abs() / 10;
        low = low.saturating_sub(margin);
        high = high.saturating_add(margin);
    }
    Ok(Predicate::Date { prefix, low, high })
}

/// The range of a number value; `ap` widens it to ±10 % of the value.
fn number_range(
    ctx: &ValueContext<'_>,
    text: &str,
    prefix: Prefix,
) -> Result<(String, f64, f64), QueryError> {
    let number = parse_decimal(text).ok_or_else(|| ctx.invalid("not a valid number"))?;
    let (mut low, mut high) = (number.low, number.high);
    if prefix == Prefix::Ap {
        let margin = number.value.abs() / 10.0;
        low = low.min(number.value - margin);
        high = high.max(number.value + margin);
    }
    Ok((number.text, low, high))
}

fn number(ctx: &ValueContext<'_>, value: &str) -> Result<Predicate, QueryError> {
    let (prefix, text) = prefixed(ctx, value)?;
    let (value, low, high) = number_range(ctx, text, prefix)?;
    Ok(Predicate::Number { prefix, value, low, high })
}

/// `[prefix]number`, `[prefix]number|system|code`, `[prefix]number||code`.
fn quantity(ctx: &ValueContext<'_>, raw: &str) -> Result<Predicate, QueryError> {
    let parts: Vec<String> = split_unescaped(raw, '|').iter().map(|p| unescape(p)).collect();
    let (number_text, system, code) = match parts.as_slice() {
        [number] => (number.as_str(), SystemMatch::Any, None),
        [number, system, code] => {
            let system =
                if system.is_empty() { SystemMatch::Any } else { SystemMatch::Is(system.clone()) };
            (number.as_str(), system, Some(code.clone()).filter(|c| !c.is_empty()))
        }
        _ => return Err(ctx.invalid("a quantity is number, or number|system|code")),
    };
    let (prefix, text) = prefixed(ctx, number_text)?;
    let (value, low, high) = number_range(ctx, text, prefix)?;
    let ucum = matches!(&system, SystemMatch::Any) || system == SystemMatch::Is(UCUM.to_owned());
    let canonical = code.as_deref().filter(|_| ucum).and_then(|c| {
        let (low, unit) = ucum::canonical(low, c)?;
        Some((low, ucum::canonical(high, c)?.0, unit))
    });
    Ok(Predicate::Quantity { prefix, value, low, high, system, code, canonical })
}

fn uri(ctx: &ValueContext<'_>, value: &str) -> Result<Predicate, QueryError> {
    let mode = match ctx.modifier {
        Some(Modifier::Below) => UriMode::Below,
        Some(Modifier::Above) => UriMode::Above,
        _ => UriMode::Exact,
    };
    Ok(Predicate::Uri { value: value.to_owned(), mode })
}

/// `token$quantity`: each component parsed by its own kind, without modifiers.
fn composite(ctx: &ValueContext<'_>, raw: &str) -> Result<Predicate, QueryError> {
    let parts = split_unescaped(raw, '$');
    if parts.len() != ctx.component_kinds.len() {
        return Err(ctx.invalid("wrong number of composite components"));
    }
    let mut predicates = Vec::with_capacity(parts.len());
    for (part, kind) in parts.iter().zip(ctx.component_kinds) {
        let component = ValueContext {
            kind: *kind,
            modifier: None,
            targets: &[],
            component_kinds: &[],
            ..*ctx
        };
        predicates.push(parse_value(&component, part)?);
    }
    Ok(Predicate::Composite(predicates))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(kind: ParamKind, modifier: Option<&Modifier>) -> ValueContext<'_> {
        ValueContext { code: "p", kind, modifier, targets: &[], component_kinds: &[], now: 0 }
    }

    #[test]
    fn prefixes_round_trip_through_their_codes() {
        for prefix in Prefix::ALL {
            assert_eq!(Prefix::from_code(prefix.code()), Some(prefix));
        }
        assert_eq!(Prefix::from_code("xx"), None);
    }

    #[test]
    fn a_resource_type_is_a_type_modifier() {
        assert_eq!(Modifier::parse("Patient"), Some(Modifier::Type("Patient".into())));
        assert_eq!(Modifier::parse("nonsense"), None);
    }

    #[test]
    fn a_number_keeps_its_text_and_precision_range() {
        let got = parse_value(&ctx(ParamKind::Number, None), "lt100").expect("valid");
        assert_eq!(
            got,
            Predicate::Number { prefix: Prefix::Lt, value: "100".into(), low: 99.5, high: 100.5 }
        );
    }

    #[test]
    fn ap_on_a_number_widens_to_ten_percent() {
        let got = parse_value(&ctx(ParamKind::Number, None), "ap100").expect("valid");
        assert_eq!(
            got,
            Predicate::Number { prefix: Prefix::Ap, value: "100".into(), low: 90.0, high: 110.0 }
        );
    }

    #[test]
    fn uri_below_and_text_token_take_their_modes() {
        let below =
            parse_value(&ctx(ParamKind::Uri, Some(&Modifier::Below)), "http://acme.org/fhir/")
                .expect("valid");
        assert_eq!(
            below,
            Predicate::Uri { value: "http://acme.org/fhir/".into(), mode: UriMode::Below }
        );
        let text = parse_value(&ctx(ParamKind::Token, Some(&Modifier::Text)), "Body Wéight")
            .expect("valid");
        assert_eq!(text, Predicate::TokenText { text: "body weight".into() });
    }

    #[test]
    fn of_type_needs_three_parts() {
        let of_type = ctx(ParamKind::Token, Some(&Modifier::OfType));
        let got = parse_value(&of_type, "http://terminology.hl7.org/CodeSystem/v2-0203|MR|446053")
            .expect("valid");
        assert!(matches!(got, Predicate::OfType { ref type_code, .. } if type_code == "MR"));
        assert!(parse_value(&of_type, "MR|446053").is_err());
    }

    #[test]
    fn an_absolute_reference_is_matched_as_a_url() {
        let got = parse_value(&ctx(ParamKind::Reference, None), "http://x.org/fhir/Patient/1")
            .expect("valid");
        assert_eq!(
            got,
            Predicate::Reference(ReferenceMatch::Url("http://x.org/fhir/Patient/1".into()))
        );
    }
}
