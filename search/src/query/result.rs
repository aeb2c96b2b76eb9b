//! Result parameters: `_sort`, `_count`, `_offset`, `_total`, `_summary`, `_elements`,
//! `_include`, `_revinclude` and `_type`; they shape the answer rather than filter it.

use super::escape::split_unescaped;
use super::{QueryError, SearchQuery};
use crate::registry::{ParamKind, Registry};

/// Parameters that concern the HTTP exchange, not the search; the api reads them.
const TRANSPORT: [&str; 2] = ["_format", "_pretty"];

/// One `_sort` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub param: String,
    pub descending: bool,
}

/// `_total`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotalMode {
    None,
    Estimate,
    Accurate,
}

/// `_summary`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Summary {
    True,
    Text,
    Data,
    Count,
    False,
}

/// `_include=Source:param[:Target]` (or `_revinclude`); `param` is `*` for every reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include {
    pub source_type: String,
    pub param: String,
    pub target_type: Option<String>,
    /// `:iterate` (or R4's older `:recurse`).
    pub iterate: bool,
}

fn invalid(param: &str, reason: &'static str) -> QueryError {
    QueryError::InvalidValue { param: param.to_owned(), reason }
}

/// Reads `_type` first, since it decides which parameters the other names refer to.
pub(super) fn read_types(
    query: &mut SearchQuery,
    params: &[(String, String)],
) -> Result<(), QueryError> {
    for (_, value) in params.iter().filter(|(name, _)| name == "_type") {
        for name in value.split(',').filter(|n| !n.is_empty()) {
            if !Registry::r4().is_resource_type(name) {
                return Err(invalid("_type", "not a resource type"));
            }
            query.types.push(name.to_owned());
        }
    }
    Ok(())
}

/// Reads `name` if it is a result parameter; `false` when it is a search parameter.
pub(super) fn read(query: &mut SearchQuery, name: &str, value: &str) -> Result<bool, QueryError> {
    let (base, modifier) = name.split_once(':').map_or((name, None), |(b, m)| (b, Some(m)));
    match base {
        "_type" => {}
        "_sort" => query.sort = sort_keys(query, value)?,
        "_count" => query.count = Some(count(name, value)?),
        "_offset" => query.offset = Some(count(name, value)?),
        "_total" => query.total = Some(total(value)?),
        "_summary" => query.summary = Some(summary(value)?),
        "_elements" => {
            query.elements = value.split(',').filter(|e| !e.is_empty()).map(str::to_owned).collect()
        }
        "_include" => query.includes.push(include(name, modifier, value)?),
        "_revinclude" => query.revincludes.push(include(name, modifier, value)?),
        other if TRANSPORT.contains(&other) => {}
        _ => return Ok(false),
    }
    Ok(true)
}

fn count(name: &str, value: &str) -> Result<usize, QueryError> {
    value.parse().map_err(|_| invalid(name, "not a non-negative integer"))
}

fn total(value: &str) -> Result<TotalMode, QueryError> {
    Ok(match value {
        "none" => TotalMode::None,
        "estimate" => TotalMode::Estimate,
        "accurate" => TotalMode::Accurate,
        _ => return Err(invalid("_total", "expected none, estimate or accurate")),
    })
}

fn summary(value: &str) -> Result<Summary, QueryError> {
    Ok(match value {
        "true" => Summary::True,
        "text" => Summary::Text,
        "data" => Summary::Data,
        "count" => Summary::Count,
        "false" => Summary::False,
        _ => return Err(invalid("_summary", "expected true, text, data, count or false")),
    })
}

/// `-date,name`: each key a parameter of the searched types, `-` for descending.
fn sort_keys(query: &SearchQuery, value: &str) -> Result<Vec<SortKey>, QueryError> {
    let types = super::search_types(query);
    let mut keys = Vec::new();
    for key in value.split(',').filter(|k| !k.is_empty()) {
        let (param, descending) = key.strip_prefix('-').map_or((key, false), |p| (p, true));
        let known = super::lookup(&types, param)
            .is_some_and(|p| !matches!(p.kind, ParamKind::Composite | ParamKind::Special));
        if !known {
            return Err(invalid("_sort", "not a sortable parameter of the searched type"));
        }
        keys.push(SortKey { param: param.to_owned(), descending });
    }
    Ok(keys)
}

fn include(name: &str, modifier: Option<&str>, value: &str) -> Result<Include, QueryError> {
    let iterate = match modifier {
        None => false,
        Some("iterate" | "recurse") => true,
        Some(other) => {
            return Err(QueryError::ModifierNotAllowed {
                param: name.to_owned(),
                modifier: other.to_owned(),
            });
        }
    };
    let parts = split_unescaped(value, ':');
    let registry = Registry::r4();
    let (source, param, target) = match parts.as_slice() {
        ["*"] => {
            return Ok(Include {
                source_type: "*".into(),
                param: "*".into(),
                target_type: None,
                iterate,
            });
        }
        [source, param] => (*source, *param, None),
        [source, param, target] => (*source, *param, Some(*target)),
        _ => return Err(invalid(name, "expected Type:parameter[:Target]")),
    };
    if !registry.is_resource_type(source) || target.is_some_and(|t| !registry.is_resource_type(t)) {
        return Err(invalid(name, "names an unknown resource type"));
    }
    let is_reference = registry.get(source, param).is_some_and(|p| p.kind == ParamKind::Reference);
    if param != "*" && !is_reference {
        return Err(invalid(name, "names no reference parameter of the type"));
    }
    Ok(Include {
        source_type: source.to_owned(),
        param: param.to_owned(),
        target_type: target.map(str::to_owned),
        iterate,
    })
}
