//! Search: a request parsed by `search::query` into typed clauses, compiled into one SQL query
//! over `resources` and the index tables per page (plus a COUNT for the total), for searches
//! and for the conditions of conditional interactions.

mod clause;
mod include;
mod page;
mod predicate;
mod sql;

use domain::interaction::{Compartment, Params};
use domain::outcome::IssueType;
use domain::{Error, ErrorKind, ResourceId, ResourceType};
use sea_orm::ConnectionTrait;
use search::query::{QueryError, SearchQuery, Summary, TotalMode};

use crate::db::{Backend, query_all};
use crate::engine::SearchPage;
use clause::Compiler;
use include::Keyed;
use page::Start;
use sql::Sql;

/// Matches per page when the request gives no `_count`.
pub const DEFAULT_SEARCH_COUNT: u64 = 20;
/// The most matches one page holds, whatever `_count` asks.
pub const MAX_SEARCH_COUNT: u64 = 1000;

/// The parameter a `next` link uses to carry its cursor.
pub const CURSOR_PARAM: &str = "_cursor";

/// The ids of current resources of `resource_type` matching `params`, at most `limit`.
/// Conditions must be understood whole: an unknown parameter is an error, never ignored,
/// since ignoring it would widen what a conditional write touches.
pub(crate) async fn matching_ids(
    conn: &impl ConnectionTrait,
    backend: Backend,
    resource_type: ResourceType,
    params: &Params,
    limit: u32,
) -> Result<Vec<ResourceId>, Error> {
    let query = parse(resource_type, params)?;
    if !query.unknown.is_empty() {
        let names = query.unknown.join(", ");
        return Err(unsupported(format!("the conditions use unknown parameters: {names}")));
    }
    if query.clauses.is_empty() {
        return Err(Error::bad_request("a conditional interaction needs search parameters"));
    }
    let mut sql = Sql::new("SELECT r.id FROM resources r WHERE ");
    sql.append(&Compiler::default().filter(resource_type.as_str(), "r", &query.clauses));
    sql.push(" ORDER BY r.id LIMIT ").bind(i64::from(limit));
    let (text, values) = sql.into_parts();
    let rows = query_all(conn, backend, &text, values).await?;
    rows.iter()
        .map(|row| {
            let id =
                row.try_get_by_index::<String>(0).map_err(|e| Error::internal(e.to_string()))?;
            ResourceId::parse(&id).ok_or_else(|| Error::internal("stored row with an invalid id"))
        })
        .collect()
}

/// What a search looks through: a type, or the resources of a type in one compartment.
pub(crate) struct Scope<'a> {
    pub(crate) resource_type: Option<ResourceType>,
    pub(crate) compartment: Option<&'a Compartment>,
}

/// A page of search results. Under `strict` handling, a parameter the server would ignore is
/// an error instead.
#[tracing::instrument(skip_all, fields(resource_type = scope.resource_type.map(|t| t.as_str())))]
pub(crate) async fn search(
    conn: &impl ConnectionTrait,
    backend: Backend,
    scope: Scope<'_>,
    params: &Params,
    strict: bool,
) -> Result<SearchPage, Error> {
    let (params, cursor) = take_cursor(params);
    let query = search::query::parse(scope.resource_type.map(ResourceType::as_str), &params)
        .map_err(invalid_query)?;
    let ignored = ignored(&query);
    if strict && !ignored.is_empty() {
        let names = ignored.join(", ");
        return Err(unsupported(format!("unknown or unsupported search parameters: {names}")));
    }
    let types = searched_types(scope.resource_type, &query);
    let mut filter = filter_over(&types, &query);
    if let (Some(compartment), Some(resource_type)) = (scope.compartment, scope.resource_type) {
        filter.push(" AND ").append(&clause::in_compartment(resource_type, "r", compartment));
    }
    let mut page = run(conn, backend, types[0], &query, &filter, cursor.as_deref()).await?;
    page.ignored = ignored;
    Ok(page)
}

/// The types a search looks through: its own, those `_type` lists, or every type (`Resource`).
fn searched_types(resource_type: Option<ResourceType>, query: &SearchQuery) -> Vec<&str> {
    match resource_type {
        Some(resource_type) => vec![resource_type.as_str()],
        None if query.types.is_empty() => vec![clause::ANY_TYPE],
        None => query.types.iter().map(String::as_str).collect(),
    }
}

/// The clauses compiled for each type, any of which a resource satisfies.
fn filter_over(types: &[&str], query: &SearchQuery) -> Sql {
    let mut compiler = Compiler::default();
    let filters: Vec<Sql> = types.iter().map(|t| compiler.filter(t, "r", &query.clauses)).collect();
    let mut sql = Sql::default();
    sql.join(&filters, " OR ");
    sql
}

/// The matches of `filter` for the page `query` and `cursor` ask for, and the total.
async fn run(
    conn: &impl ConnectionTrait,
    backend: Backend,
    resource_type: &str,
    query: &SearchQuery,
    filter: &Sql,
    cursor: Option<&str>,
) -> Result<SearchPage, Error> {
    let count = query.count.map_or(DEFAULT_SEARCH_COUNT, |c| c as u64).min(MAX_SEARCH_COUNT);
    let only_total = count == 0 || query.summary == Some(Summary::Count);
    let wants_total = only_total || query.total != Some(TotalMode::None);
    let mut page = SearchPage {
        matches: vec![],
        total: None,
        next_offset: None,
        next_cursor: None,
        previous_offset: None,
        previous_cursor: None,
        ignored: vec![],
        included: vec![],
    };
    if only_total {
        page.total = Some(page::count(conn, backend, filter).await?);
        return Ok(page);
    }

    let sort = page::sort_columns(resource_type, &query.sort);
    // SQL offsets are signed 64-bit: anything larger is past every result anyway.
    let offset = (query.offset.unwrap_or(0) as u64).min(i64::MAX as u64 / 2);
    let start = match cursor {
        Some(text) => Start::from_cursor(text, &sort)?,
        None => Start::Offset(offset),
    };
    // One more than a page says whether there is another one beyond it.
    let mut rows = page::fetch(conn, backend, filter, &sort, &start, count + 1).await?;
    let beyond = rows.len() as u64 > count;
    let (has_next, has_previous) = match start {
        Start::Before(_) => {
            if beyond {
                rows.remove(0);
            }
            (true, beyond)
        }
        Start::After(_) => {
            rows.truncate(count as usize);
            (beyond, true)
        }
        Start::Offset(offset) => {
            rows.truncate(count as usize);
            (beyond, offset > 0)
        }
    };
    if has_next && let Some((_, last)) = rows.last() {
        page.next_offset = Some(offset.saturating_add(count));
        page.next_cursor = Some(last.encode());
    }
    if has_previous && let Some((_, first)) = rows.first() {
        page.previous_offset = Some(offset.saturating_sub(count));
        page.previous_cursor = Some(first.encode_before());
    }
    let first_and_only = !has_next && matches!(start, Start::Offset(0));
    page.total = match (wants_total, first_and_only) {
        (false, _) => None,
        (true, true) => Some(rows.len() as u64),
        (true, false) => Some(page::count(conn, backend, filter).await?),
    };
    let matches: Vec<Keyed> =
        rows.into_iter().map(|(version, cursor)| Keyed { rid: cursor.rid(), version }).collect();
    if !query.includes.is_empty() || !query.revincludes.is_empty() {
        let (includes, revincludes) = (&query.includes, &query.revincludes);
        page.included = include::included(conn, backend, &matches, includes, revincludes).await?;
    }
    page.matches = matches.into_iter().map(|m| m.version).collect();
    Ok(page)
}

/// The parameters without the cursor a `next` link added, and that cursor.
fn take_cursor(params: &Params) -> (Params, Option<String>) {
    let cursor = params.iter().rev().find(|(name, _)| name == CURSOR_PARAM).map(|(_, v)| v.clone());
    let rest = params.iter().filter(|(name, _)| name != CURSOR_PARAM).cloned().collect();
    (rest, cursor)
}

fn parse(resource_type: ResourceType, params: &Params) -> Result<SearchQuery, Error> {
    search::query::parse(Some(resource_type.as_str()), params).map_err(invalid_query)
}

/// A request the parser refused: 400, naming the parameter and never the value.
fn invalid_query(error: QueryError) -> Error {
    let code = match error {
        QueryError::ModifierNotSupported { .. } => IssueType::NotSupported,
        _ => IssueType::Invalid,
    };
    Error::new(ErrorKind::BadRequest, code, error.to_string())
}

fn unsupported(diagnostics: String) -> Error {
    Error::new(ErrorKind::BadRequest, IssueType::NotSupported, diagnostics)
}

/// The names of the parameters this search does not apply: the unknown ones. (`_summary` and
/// `_elements` are applied by the api, which cuts each resource as it writes the Bundle.)
fn ignored(query: &SearchQuery) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in query.unknown.iter().cloned() {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}
