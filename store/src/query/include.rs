//! `_include` and `_revinclude`: the resources a page's matches point to and those that point to
//! them, read from `search_reference`; `:iterate` ones follow again from what was included, until
//! nothing new comes. Each resource is served once, as a match before an include.

use std::collections::HashSet;

use domain::Error;
use sea_orm::ConnectionTrait;
use search::query::Include;

use super::sql::Sql;
use crate::db::{Backend, query_all};
use crate::rows::{VERSION_COLUMNS, Version, from_row, version_columns};

/// The most resources one page includes; the rest are left out.
pub(crate) const MAX_INCLUDED: usize = 1000;

/// Rounds of `:iterate` at most, however deep references chain.
const MAX_ROUNDS: usize = 8;

/// A resource of a page, with its key.
#[derive(Debug, Clone)]
pub(crate) struct Keyed {
    pub(crate) rid: i64,
    pub(crate) version: Version,
}

/// What `includes` and `revincludes` add to `matches`, in the order they were found.
pub(crate) async fn included(
    conn: &impl ConnectionTrait,
    backend: Backend,
    matches: &[Keyed],
    includes: &[Include],
    revincludes: &[Include],
) -> Result<Vec<Version>, Error> {
    let mut seen: HashSet<i64> = matches.iter().map(|m| m.rid).collect();
    let mut found: Vec<Version> = Vec::new();
    let mut frontier: Vec<Keyed> = matches.to_vec();
    for round in 0..MAX_ROUNDS {
        let applies = |include: &&Include| round == 0 || include.iterate;
        let mut next = Vec::new();
        for include in includes.iter().filter(applies) {
            next.extend(forward(conn, backend, &frontier, include).await?);
        }
        for include in revincludes.iter().filter(applies) {
            next.extend(reverse(conn, backend, &frontier, include).await?);
        }
        frontier = next.into_iter().filter(|k| seen.insert(k.rid)).collect();
        frontier.truncate(MAX_INCLUDED - found.len());
        found.extend(frontier.iter().map(|k| k.version.clone()));
        if frontier.is_empty() || found.len() >= MAX_INCLUDED {
            break;
        }
    }
    Ok(found)
}

/// The current resources that `include.param` of the `include.source_type` resources of `from`
/// points to.
async fn forward(
    conn: &impl ConnectionTrait,
    backend: Backend,
    from: &[Keyed],
    include: &Include,
) -> Result<Vec<Keyed>, Error> {
    let sources: Vec<i64> = from.iter().filter(|k| is_source(k, include)).map(|k| k.rid).collect();
    if sources.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = select_versions("t");
    sql.push(" FROM search_reference x JOIN resources t ON t.resource_type = x.target_type");
    sql.push(" AND t.id = x.target_id");
    sql.push(" JOIN resource_history h ON h.rid = t.rid AND h.version_id = t.version_id");
    sql.push(" WHERE x.rid IN ").bind_list(sources);
    restrict(&mut sql, include);
    sql.push(" AND t.deleted = ").bind(false);
    fetch(conn, backend, sql).await
}

/// The current `include.source_type` resources whose `include.param` points to one of `to`.
async fn reverse(
    conn: &impl ConnectionTrait,
    backend: Backend,
    to: &[Keyed],
    include: &Include,
) -> Result<Vec<Keyed>, Error> {
    let mut targets: Vec<&Keyed> = to.iter().collect();
    if let Some(target_type) = &include.target_type {
        targets.retain(|k| k.version.resource_type.as_str() == target_type);
    }
    let mut found = Vec::new();
    // One query per type among the targets, since a reference row names its target by both.
    let mut types: Vec<&str> = targets.iter().map(|k| k.version.resource_type.as_str()).collect();
    types.sort_unstable();
    types.dedup();
    for target_type in types {
        let ids: Vec<&str> = targets
            .iter()
            .filter(|k| k.version.resource_type.as_str() == target_type)
            .map(|k| k.version.id.as_str())
            .collect();
        let mut sql = select_versions("s");
        sql.push(" FROM search_reference x JOIN resources s ON s.rid = x.rid");
        sql.push(" JOIN resource_history h ON h.rid = s.rid AND h.version_id = s.version_id");
        sql.push(" WHERE x.target_type = ").bind(target_type);
        sql.push(" AND x.target_id IN ").bind_list(ids);
        if include.source_type != "*" {
            sql.push(" AND x.resource_type = ").bind(include.source_type.as_str());
        }
        if include.param != "*" {
            sql.push(" AND x.param = ").bind(include.param.as_str());
        }
        sql.push(" AND s.deleted = ").bind(false);
        found.extend(fetch(conn, backend, sql).await?);
    }
    Ok(found)
}

fn is_source(keyed: &Keyed, include: &Include) -> bool {
    include.source_type == "*" || keyed.version.resource_type.as_str() == include.source_type
}

/// The reference parameter and target type an include names, when it names them.
fn restrict(sql: &mut Sql, include: &Include) {
    if include.param != "*" {
        sql.push(" AND x.param = ").bind(include.param.as_str());
    }
    if let Some(target_type) = &include.target_type {
        sql.push(" AND x.target_type = ").bind(target_type.as_str());
    }
}

/// `SELECT` of the history row `h` of the resource row `alias`, and its key.
fn select_versions(alias: &str) -> Sql {
    Sql::new(&format!("SELECT {}, {alias}.rid", version_columns("h")))
}

async fn fetch(
    conn: &impl ConnectionTrait,
    backend: Backend,
    mut sql: Sql,
) -> Result<Vec<Keyed>, Error> {
    sql.push(" ORDER BY h.rid");
    let (text, values) = sql.into_parts();
    let rows = query_all(conn, backend, &text, values).await?;
    let rid_at = VERSION_COLUMNS.split(", ").count();
    rows.iter()
        .map(|row| {
            let rid = row
                .try_get_by_index::<i64>(rid_at)
                .map_err(|e| Error::internal(format!("unreadable included row: {e}")))?;
            Ok(Keyed { rid, version: from_row(row)? })
        })
        .collect()
}
