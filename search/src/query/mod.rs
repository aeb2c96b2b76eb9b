//! Parsing a search request (`name=value` pairs) into typed clauses: repeated parameters
//! are AND, comma-separated values OR; chains (`subject:Patient.name`) and `_has` are
//! resolved against the registry; result parameters (`_sort`, `_count`...) are read apart.
//!
//! A malformed value is an error that names the parameter and never repeats the value:
//! values are health data. Parameter names the registry does not know (for the type, or
//! that have no index, such as `_text`, `_content` or `near`) are listed in `unknown`.

mod escape;
mod matching;
mod predicate;
mod result;

pub use matching::{date_matches, matches, number_matches};
pub use predicate::{
    Modifier, Predicate, Prefix, ReferenceMatch, StringMode, SystemMatch, UriMode,
};
pub use result::{Include, SortKey, Summary, TotalMode};

use crate::registry::{ParamKind, Registry, SearchParam};
use escape::split_unescaped;
use predicate::{ValueContext, parse_value};

/// A parsed search request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchQuery {
    /// The type searched, `None` for a search across all types.
    pub resource_type: Option<String>,
    /// `_type`, for a search across types.
    pub types: Vec<String>,
    /// All must hold.
    pub clauses: Vec<Clause>,
    pub sort: Vec<SortKey>,
    pub count: Option<usize>,
    pub offset: Option<usize>,
    pub total: Option<TotalMode>,
    pub summary: Option<Summary>,
    pub elements: Vec<String>,
    pub includes: Vec<Include>,
    pub revincludes: Vec<Include>,
    /// Parameter names ignored because they are unknown or have no index.
    pub unknown: Vec<String>,
}

/// One search parameter occurrence: any of `values` must hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    /// The parameter tested: for `patient.name`, `name` (of Patient); for `_has`, `_has`.
    pub param: String,
    /// Its type; `Special` for `_has`.
    pub kind: ParamKind,
    /// The references followed before testing `param`, from the searched type outwards.
    pub chain: Vec<ChainLink>,
    pub modifier: Option<Modifier>,
    pub values: Vec<Predicate>,
}

/// One hop of a chain: a reference parameter and the types it may lead to here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainLink {
    /// A reference parameter of the previous type (`subject`).
    pub param: String,
    /// Its targets that define the next parameter, or the one named by `subject:Patient`.
    pub target_types: Vec<String>,
}

/// `_has:Observation:patient:code=...`: some `source_type` resource whose
/// `reference_param` points to the resource, and that matches `clause`.
#[derive(Debug, Clone, PartialEq)]
pub struct HasClause {
    pub source_type: String,
    pub reference_param: String,
    pub clause: Clause,
}

/// Why a search request cannot be run. Messages name parameters, never values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The type in the URL is not an R4 resource type.
    #[error("unknown resource type `{0}`")]
    UnknownResourceType(String),
    /// A value that does not parse for its parameter's type.
    #[error("invalid value for search parameter `{param}`: {reason}")]
    InvalidValue { param: String, reason: &'static str },
    /// A modifier the parameter's type does not allow.
    #[error("modifier `{modifier}` is not allowed on search parameter `{param}`")]
    ModifierNotAllowed { param: String, modifier: String },
    /// A modifier R4 allows that this server does not implement.
    #[error("modifier `{modifier}` on search parameter `{param}` is not supported")]
    ModifierNotSupported { param: String, modifier: String },
    /// A chain or `_has` that does not lead anywhere.
    #[error("invalid chain in search parameter `{param}`: {reason}")]
    InvalidChain { param: String, reason: &'static str },
    /// More parameters, or more alternatives in one, than a search may hold.
    #[error("a search holds at most {MAX_PARAMS} parameters of at most {MAX_VALUES} values each")]
    TooLarge,
    /// A name or value holding a control character (below U+0020 but tab, CR and LF), which
    /// no FHIR string holds; the name is shown with such characters as `?`.
    #[error("search parameter `{param}` holds a control character")]
    ControlCharacter { param: String },
}

/// The most parameters one search holds (result parameters included).
pub const MAX_PARAMS: usize = 100;
/// The most comma-separated alternatives one parameter holds.
pub const MAX_VALUES: usize = 200;

/// Parses a search on `resource_type` (`None` across all types), taking now as the
/// reference for `ap` dates.
pub fn parse(
    resource_type: Option<&str>,
    params: &[(String, String)],
) -> Result<SearchQuery, QueryError> {
    parse_at(resource_type, params, chrono::Utc::now().timestamp_micros())
}

/// `parse`, with now given in epoch microseconds.
pub fn parse_at(
    resource_type: Option<&str>,
    params: &[(String, String)],
    now: i64,
) -> Result<SearchQuery, QueryError> {
    let registry = Registry::r4();
    if let Some(t) = resource_type.filter(|t| !registry.is_resource_type(t)) {
        return Err(QueryError::UnknownResourceType(t.to_owned()));
    }
    if params.len() > MAX_PARAMS || params.iter().any(|(_, v)| v.matches(',').count() >= MAX_VALUES)
    {
        return Err(QueryError::TooLarge);
    }
    params.iter().try_for_each(|(name, value)| refuse_controls(name, value))?;
    let mut query =
        SearchQuery { resource_type: resource_type.map(str::to_owned), ..SearchQuery::default() };
    result::read_types(&mut query, params)?;
    let scope = Scope { types: search_types(&query), now };
    for (name, value) in params {
        if result::read(&mut query, name, value)? || value.is_empty() {
            continue;
        }
        match clause(&scope, name, value)? {
            Some(clause) => query.clauses.push(clause),
            None => query.unknown.push(name.clone()),
        }
    }
    Ok(query)
}

fn refuse_controls(name: &str, value: &str) -> Result<(), QueryError> {
    let is_control = |c: char| c < ' ' && !matches!(c, '\t' | '\r' | '\n');
    if !name.chars().chain(value.chars()).any(is_control) {
        return Ok(());
    }
    let param = name.chars().map(|c| if is_control(c) { '?' } else { c }).collect();
    Err(QueryError::ControlCharacter { param })
}

/// The types a parameter name is looked up on: the searched type, the `_type` list, or
/// `Resource` for the parameters every type has.
fn search_types(query: &SearchQuery) -> Vec<String> {
    match (&query.resource_type, query.types.is_empty()) {
        (Some(t), _) => vec![t.clone()],
        (None, false) => query.types.clone(),
        (None, true) => vec!["Resource".to_owned()],
    }
}

struct Scope {
    types: Vec<String>,
    now: i64,
}

/// The parameter `code` on every type of `types`, when all of them define it.
fn lookup(types: &[String], code: &str) -> Option<&'static SearchParam> {
    let registry = Registry::r4();
    let found: Vec<&SearchParam> = types.iter().filter_map(|t| registry.get(t, code)).collect();
    let first = *found.first()?;
    let consistent = found.len() == types.len() && found.iter().all(|p| p.kind == first.kind);
    consistent.then_some(first)
}

/// `None` when the parameter is unknown here.
fn clause(scope: &Scope, name: &str, value: &str) -> Result<Option<Clause>, QueryError> {
    if let Some(rest) = name.strip_prefix("_has:") {
        return has_clause(scope, name, rest, value);
    }
    let segments: Vec<&str> = name.split('.').collect();
    let (last, hops) = segments.split_last().ok_or_else(|| chain_error(name, "empty name"))?;
    let (chain, types) = follow_chain(scope, name, hops, last)?;
    let (code, modifier_text) = last.split_once(':').map_or((*last, None), |(c, m)| (c, Some(m)));
    let Some(param) = lookup(&types, code) else { return Ok(None) };
    // FIXME(#3): `_text`, `_content`, `_query` (no expression) and `near` (special) have
    // no index, so they are reported as unknown rather than searched.
    if param.parsed.is_none() || param.kind == ParamKind::Special {
        return Ok(None);
    }
    let modifier = modifier_text.map(|m| check_modifier(param, m)).transpose()?;
    let values = values(scope, param, modifier.as_ref(), value)?;
    Ok(Some(Clause { param: code.to_owned(), kind: param.kind, chain, modifier, values }))
}

/// Walks `subject:Patient.organization.name` up to its last segment.
fn follow_chain(
    scope: &Scope,
    name: &str,
    hops: &[&str],
    last: &str,
) -> Result<(Vec<ChainLink>, Vec<String>), QueryError> {
    let mut types = scope.types.clone();
    let mut chain = Vec::with_capacity(hops.len());
    for (i, hop) in hops.iter().enumerate() {
        let (code, target) = hop.split_once(':').map_or((*hop, None), |(c, t)| (c, Some(t)));
        let param =
            lookup(&types, code).ok_or_else(|| chain_error(name, "unknown parameter in chain"))?;
        if param.kind != ParamKind::Reference {
            return Err(chain_error(name, "only reference parameters can be chained"));
        }
        let next = hops.get(i + 1).unwrap_or(&last);
        let next_code = next.split(':').next().unwrap_or(next);
        let candidates: Vec<String> = match target {
            Some(t) if param.targets.iter().any(|p| p == t) => vec![t.to_owned()],
            Some(_) => return Err(chain_error(name, "type not among the reference's targets")),
            None => param
                .targets
                .iter()
                .filter(|t| Registry::r4().get(t, next_code).is_some())
                .cloned()
                .collect(),
        };
        if candidates.is_empty() {
            return Err(chain_error(name, "no target type has the chained parameter"));
        }
        chain.push(ChainLink { param: code.to_owned(), target_types: candidates.clone() });
        types = candidates;
    }
    Ok((chain, types))
}

/// `_has:Type:reference:rest`, where `rest` is a parameter of `Type` or another `_has`.
fn has_clause(
    scope: &Scope,
    name: &str,
    rest: &str,
    value: &str,
) -> Result<Option<Clause>, QueryError> {
    let mut parts = rest.splitn(3, ':');
    let (Some(source), Some(reference), Some(inner)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(chain_error(name, "_has takes Type:reference:parameter"));
    };
    if !Registry::r4().is_resource_type(source) {
        return Err(chain_error(name, "unknown resource type in _has"));
    }
    let param = Registry::r4().get(source, reference);
    let points_here = param.is_some_and(|p| {
        p.kind == ParamKind::Reference
            && scope.types.iter().any(|t| t == "Resource" || p.targets.contains(t))
    });
    if !points_here {
        return Err(chain_error(name, "the _has reference does not point to the searched type"));
    }
    let inner_scope = Scope { types: vec![source.to_owned()], now: scope.now };
    let Some(clause) = clause(&inner_scope, inner, value)? else { return Ok(None) };
    let has =
        HasClause { source_type: source.to_owned(), reference_param: reference.to_owned(), clause };
    let values = vec![Predicate::Has(Box::new(has))];
    Ok(Some(Clause {
        param: "_has".to_owned(),
        kind: ParamKind::Special,
        chain: Vec::new(),
        modifier: None,
        values,
    }))
}

fn chain_error(name: &str, reason: &'static str) -> QueryError {
    QueryError::InvalidChain { param: name.to_owned(), reason }
}

fn check_modifier(param: &SearchParam, text: &str) -> Result<Modifier, QueryError> {
    let not_allowed =
        || QueryError::ModifierNotAllowed { param: param.code.clone(), modifier: text.to_owned() };
    let modifier = Modifier::parse(text).ok_or_else(not_allowed)?;
    if !param.allows_modifier(modifier.name()) {
        return Err(not_allowed());
    }
    if let Modifier::Type(t) = &modifier
        && !param.targets.contains(t)
    {
        return Err(not_allowed());
    }
    let unsupported = match param.kind {
        ParamKind::Token => {
            matches!(modifier, Modifier::Above | Modifier::Below | Modifier::In | Modifier::NotIn)
        }
        ParamKind::Reference => matches!(modifier, Modifier::Above | Modifier::Below),
        _ => false,
    };
    match unsupported {
        // FIXME(#3): token :above/:below/:in/:not-in need a terminology service, and
        // reference :above/:below canonical version ordering; neither exists yet.
        true => Err(QueryError::ModifierNotSupported {
            param: param.code.clone(),
            modifier: text.to_owned(),
        }),
        false => Ok(modifier),
    }
}

fn values(
    scope: &Scope,
    param: &SearchParam,
    modifier: Option<&Modifier>,
    value: &str,
) -> Result<Vec<Predicate>, QueryError> {
    let ctx = ValueContext {
        code: &param.code,
        kind: param.kind,
        modifier,
        targets: &param.targets,
        component_kinds: &param.component_kinds,
        now: scope.now,
    };
    split_unescaped(value, ',')
        .into_iter()
        .map(|alternative| parse_value(&ctx, alternative))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-01-01T00:00:00Z, so that `ap` results do not depend on the day the test runs.
    const NOW: i64 = 1_704_067_200_000_000;

    fn query(resource_type: &str, pairs: &[(&str, &str)]) -> Result<SearchQuery, QueryError> {
        let params: Vec<(String, String)> =
            pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        parse_at(Some(resource_type), &params, NOW)
    }

    fn only_clause(resource_type: &str, name: &str, value: &str) -> Clause {
        let mut parsed = query(resource_type, &[(name, value)]).expect("parses");
        assert_eq!(parsed.clauses.len(), 1, "{parsed:?}");
        parsed.clauses.remove(0)
    }

    #[test]
    fn commas_are_or_and_repeated_parameters_are_and() {
        let parsed =
            query("Patient", &[("gender", "male,female"), ("gender", "other")]).expect("parses");
        assert_eq!(parsed.clauses.len(), 2);
        assert_eq!(parsed.clauses[0].values.len(), 2);
        assert_eq!(parsed.clauses[1].values.len(), 1);
    }

    #[test]
    fn an_escaped_comma_stays_in_the_value() {
        let clause = only_clause("Patient", "name:exact", r"Smith\, John");
        assert_eq!(
            clause.values,
            [Predicate::String { value: "Smith, John".into(), mode: StringMode::Exact }]
        );
    }

    #[test]
    fn string_values_are_normalized_for_prefix_search() {
        let clause = only_clause("Patient", "family", "Müller");
        assert_eq!(
            clause.values,
            [Predicate::String { value: "muller".into(), mode: StringMode::Prefix }]
        );
    }

    #[test]
    fn token_forms_give_their_system_matches() {
        let clause = only_clause("Patient", "identifier", "http://x|1,|2,http://y|,3");
        let expected = [
            Predicate::Token {
                system: SystemMatch::Is("http://x".into()),
                code: Some("1".into()),
                not: false,
            },
            Predicate::Token { system: SystemMatch::None, code: Some("2".into()), not: false },
            Predicate::Token { system: SystemMatch::Is("http://y".into()), code: None, not: false },
            Predicate::Token { system: SystemMatch::Any, code: Some("3".into()), not: false },
        ];
        assert_eq!(clause.values, expected);
    }

    #[test]
    fn a_date_value_is_a_range_at_its_precision_with_its_prefix() {
        let clause = only_clause("Patient", "birthdate", "ge1974-12");
        let (low, high) = crate::datetime::date_range("1974-12").expect("valid");
        assert_eq!(clause.values, [Predicate::Date { prefix: Prefix::Ge, low, high }]);
    }

    #[test]
    fn ap_widens_a_date_by_a_tenth_of_its_distance_from_now() {
        let clause = only_clause("Patient", "birthdate", "ap2014-01-01");
        let (low, high) = crate::datetime::date_range("2014-01-01").expect("valid");
        let Predicate::Date { low: l, high: h, .. } = clause.values[0] else {
            panic!("not a date")
        };
        let margin = (NOW - (low / 2 + high / 2)) / 10;
        assert_eq!((l, h), (low - margin, high + margin));
    }

    #[test]
    fn a_bad_date_is_an_error_that_names_the_parameter_but_not_the_value() {
        let err = query("Patient", &[("birthdate", "1974-13-45")]).expect_err("invalid");
        let message = err.to_string();
        assert!(message.contains("birthdate"), "{message}");
        assert!(!message.contains("1974-13-45"), "{message}");
    }

    #[test]
    fn control_characters_in_a_name_or_value_are_an_error_that_quotes_neither() {
        let err = query("Patient", &[("name", "a\u{0}b")]).expect_err("invalid");
        assert_eq!(err, QueryError::ControlCharacter { param: "name".into() });
        let err = query("Patient", &[("na\u{1}me", "x")]).expect_err("invalid");
        assert_eq!(err, QueryError::ControlCharacter { param: "na?me".into() });
        assert!(query("Patient", &[("name", "a\tb")]).is_ok());
    }

    #[test]
    fn an_unknown_prefix_is_an_error() {
        let err = query("Patient", &[("birthdate", "xx1974")]).expect_err("invalid");
        assert_eq!(
            err,
            QueryError::InvalidValue { param: "birthdate".into(), reason: "unknown prefix" }
        );
    }

    #[test]
    fn a_modifier_the_type_does_not_allow_is_an_error() {
        let err = query("Patient", &[("birthdate:exact", "1974")]).expect_err("invalid");
        assert_eq!(
            err,
            QueryError::ModifierNotAllowed { param: "birthdate".into(), modifier: "exact".into() }
        );
    }

    #[test]
    fn token_in_is_allowed_by_r4_but_not_supported() {
        let err = query("Observation", &[("code:in", "http://vs")]).expect_err("unsupported");
        assert_eq!(
            err,
            QueryError::ModifierNotSupported { param: "code".into(), modifier: "in".into() }
        );
    }

    #[test]
    fn unknown_names_are_listed_and_not_errors() {
        let parsed = query("Patient", &[("shoe-size", "42"), ("_content", "x")]).expect("parses");
        assert_eq!(parsed.unknown, ["shoe-size", "_content"]);
        assert!(parsed.clauses.is_empty());
    }

    #[test]
    fn a_chain_follows_the_reference_to_its_only_target() {
        let clause = only_clause("Observation", "patient.gender", "male");
        assert_eq!(clause.param, "gender");
        assert_eq!(
            clause.chain,
            [ChainLink { param: "patient".into(), target_types: vec!["Patient".into()] }]
        );
    }

    #[test]
    fn a_typed_chain_keeps_only_the_named_type() {
        let clause = only_clause("Observation", "subject:Patient.identifier", "urn:x|1");
        assert_eq!(
            clause.chain,
            [ChainLink { param: "subject".into(), target_types: vec!["Patient".into()] }]
        );
        assert_eq!(clause.kind, ParamKind::Token);
    }

    #[test]
    fn chaining_a_non_reference_is_an_error() {
        let err = query("Patient", &[("gender.name", "x")]).expect_err("invalid");
        assert!(matches!(err, QueryError::InvalidChain { .. }));
    }

    #[test]
    fn has_nests_a_clause_on_the_pointing_type() {
        let clause = only_clause("Patient", "_has:Observation:patient:code", "1234-5");
        let [Predicate::Has(has)] = clause.values.as_slice() else { panic!("not a _has") };
        assert_eq!(
            (has.source_type.as_str(), has.reference_param.as_str()),
            ("Observation", "patient")
        );
        assert_eq!(has.clause.param, "code");
    }

    #[test]
    fn has_can_nest_another_has() {
        let clause = only_clause(
            "Patient",
            "_has:Observation:patient:_has:AuditEvent:entity:agent",
            "Practitioner/1",
        );
        let [Predicate::Has(outer)] = clause.values.as_slice() else { panic!("not a _has") };
        let [Predicate::Has(inner)] = outer.clause.values.as_slice() else {
            panic!("not a nested _has")
        };
        assert_eq!(inner.source_type, "AuditEvent");
    }

    #[test]
    fn a_plain_reference_id_takes_the_only_target_type() {
        let clause = only_clause("Observation", "patient", "123");
        let expected =
            ReferenceMatch::Local { target_type: Some("Patient".into()), id: "123".into() };
        assert_eq!(clause.values, [Predicate::Reference(expected)]);
    }

    #[test]
    fn a_reference_type_modifier_must_agree_with_the_value() {
        let err = query("Observation", &[("subject:Patient", "Group/1")]).expect_err("invalid");
        assert!(matches!(err, QueryError::InvalidValue { .. }));
    }

    #[test]
    fn a_quantity_with_ucum_unit_carries_a_canonical_range() {
        let clause =
            only_clause("Observation", "value-quantity", "gt5.4|http://unitsofmeasure.org|mg");
        let [Predicate::Quantity { prefix, value, canonical, .. }] = clause.values.as_slice()
        else {
            panic!("not a quantity")
        };
        assert_eq!((*prefix, value.as_str()), (Prefix::Gt, "5.4"));
        let (low, high, unit) = canonical.clone().expect("canonical");
        assert_eq!(unit, "g");
        assert!((low - 0.00535).abs() < 1e-12 && (high - 0.00545).abs() < 1e-12);
    }

    #[test]
    fn a_composite_value_is_split_on_dollar() {
        let clause =
            only_clause("Observation", "code-value-quantity", "http://loinc.org|8480-6$lt60");
        let [Predicate::Composite(parts)] = clause.values.as_slice() else {
            panic!("not a composite")
        };
        assert!(matches!(parts[1], Predicate::Quantity { prefix: Prefix::Lt, .. }));
    }

    #[test]
    fn missing_takes_only_true_or_false() {
        assert_eq!(
            only_clause("Patient", "gender:missing", "true").values,
            [Predicate::Missing(true)]
        );
        assert!(query("Patient", &[("gender:missing", "maybe")]).is_err());
    }

    #[test]
    fn result_parameters_are_read_apart() {
        let parsed = query(
            "Observation",
            &[
                ("_sort", "-date,code"),
                ("_count", "10"),
                ("_total", "accurate"),
                ("_summary", "count"),
                ("_include", "Observation:patient"),
                ("_revinclude:iterate", "Provenance:target"),
                ("_elements", "id,status"),
            ],
        )
        .expect("parses");
        assert_eq!(parsed.sort[0], SortKey { param: "date".into(), descending: true });
        assert_eq!(
            (parsed.count, parsed.total, parsed.summary),
            (Some(10), Some(TotalMode::Accurate), Some(Summary::Count))
        );
        assert_eq!(parsed.includes[0].param, "patient");
        assert!(parsed.revincludes[0].iterate);
        assert_eq!(parsed.elements, ["id", "status"]);
        assert!(parsed.clauses.is_empty());
    }

    #[test]
    fn a_search_with_too_many_parameters_or_alternatives_is_an_error() {
        let many_values = vec![("name".to_owned(), vec!["x"; MAX_VALUES + 1].join(","))];
        assert!(matches!(parse(Some("Patient"), &many_values), Err(QueryError::TooLarge)));
        let many_params = vec![("name".to_owned(), "x".to_owned()); MAX_PARAMS + 1];
        assert!(matches!(parse(Some("Patient"), &many_params), Err(QueryError::TooLarge)));
        let at_the_limit = vec![("name".to_owned(), vec!["x"; MAX_VALUES].join(",")); MAX_PARAMS];
        assert!(parse(Some("Patient"), &at_the_limit).is_ok());
    }

    #[test]
    fn a_bad_count_or_sort_is_an_error() {
        assert!(query("Patient", &[("_count", "-1")]).is_err());
        assert!(query("Patient", &[("_sort", "shoe-size")]).is_err());
    }

    #[test]
    fn a_search_across_types_knows_the_resource_parameters() {
        let params = vec![
            ("_id".to_owned(), "a".to_owned()),
            ("_type".to_owned(), "Patient,Observation".to_owned()),
        ];
        let parsed = parse_at(None, &params, NOW).expect("parses");
        assert_eq!(parsed.types, ["Patient", "Observation"]);
        assert_eq!(parsed.clauses[0].param, "_id");
    }

    #[test]
    fn an_unknown_resource_type_is_an_error() {
        assert_eq!(query("Foo", &[]), Err(QueryError::UnknownResourceType("Foo".into())));
    }

    #[test]
    fn matches_runs_a_query_against_one_resource() {
        let patient = serde_json::json!({"resourceType": "Patient", "gender": "male",
            "birthDate": "1974-12-25", "name": [{"family": "Müller"}]});
        let check =
            |pairs: &[(&str, &str)]| matches(&patient, &query("Patient", pairs).expect("parses"));
        assert!(check(&[("gender", "http://hl7.org/fhir/administrative-gender|male")]));
        assert!(check(&[("birthdate", "1974"), ("family", "mull")]));
        assert!(!check(&[("birthdate", "gt1974")]));
        assert!(check(&[("gender:not", "female")]));
        assert!(check(&[("deceased", "false")]), "not deceased indexes deceased=false");
        assert!(!check(&[("deceased:missing", "true")]));
    }
}
