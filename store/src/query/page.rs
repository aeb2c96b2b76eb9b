//! One page of a search: `_sort` keys as columns, the order they give (resources without the
//! value last in both directions, then in the order they were first written), and the keyset cursor that lets the next page
//! start right after the last resource served, so that writes between pages neither repeat
//! nor skip a resource.

use domain::Error;
use sea_orm::{ConnectionTrait, QueryResult, Value};
use search::ParamKind;
use search::query::SortKey;

use super::sql::Sql;
use crate::db::{Backend, query_all, query_one};
use crate::index::Table;
use crate::rows::{VERSION_COLUMNS, Version, from_row, version_columns};

/// How a sort column's values are read, compared and written into a cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortType {
    Text,
    Integer,
    Real,
}

/// One `_sort` key as an expression on the row `r`.
pub(super) struct SortColumn {
    expression: Sql,
    sort_type: SortType,
    descending: bool,
}

/// The `_sort` keys of a search on `resource_type`, as columns.
pub(super) fn sort_columns(resource_type: &str, keys: &[SortKey]) -> Vec<SortColumn> {
    keys.iter().filter_map(|key| sort_column(resource_type, key)).collect()
}

fn sort_column(resource_type: &str, key: &SortKey) -> Option<SortColumn> {
    let descending = key.descending;
    let (expression, sort_type) = match key.param.as_str() {
        "_id" => (Sql::new("r.id"), SortType::Text),
        "_lastUpdated" => (Sql::new("r.last_updated"), SortType::Integer),
        param => {
            let kind = search::Registry::r4().get(resource_type, param)?.kind;
            let (column, sort_type) = sorted_column(kind, descending)?;
            (lowest_or_highest(Table::for_kind(kind)?, column, param, descending), sort_type)
        }
    };
    Some(SortColumn { expression, sort_type, descending })
}

/// The column a parameter type sorts by; ranges sort by their low end going up and by their
/// high end going down.
fn sorted_column(kind: ParamKind, descending: bool) -> Option<(&'static str, SortType)> {
    let end = if descending { "high" } else { "low" };
    Some(match kind {
        ParamKind::String => ("normalized", SortType::Text),
        ParamKind::Token => ("code", SortType::Text),
        ParamKind::Reference => ("url", SortType::Text),
        ParamKind::Uri => ("value", SortType::Text),
        ParamKind::Date => (end, SortType::Integer),
        ParamKind::Number | ParamKind::Quantity => (end, SortType::Real),
        ParamKind::Composite | ParamKind::Special => return None,
    })
}

/// A repeating value sorts by its lowest going up and by its highest going down.
fn lowest_or_highest(table: Table, column: &str, param: &str, descending: bool) -> Sql {
    let aggregate = if descending { "MAX" } else { "MIN" };
    let mut sql = Sql::new(&format!("(SELECT {aggregate}(s.{column}) FROM {} s ", table.name()));
    sql.push("WHERE s.rid = r.rid AND s.param = ");
    sql.bind(param).push(")");
    sql
}

/// Where a page starts: after skipping `offset`, right after the resource a cursor names, or
/// (a `previous` page) so that it ends right before that resource.
pub(super) enum Start {
    Offset(u64),
    After(Cursor),
    Before(Cursor),
}

/// The mark of a cursor that a `previous` link carries: the page ends before its resource.
const BEFORE: char = 'p';

impl Start {
    /// The start a `_cursor` value asks for.
    pub(super) fn from_cursor(text: &str, sort: &[SortColumn]) -> Result<Start, Error> {
        match text.strip_prefix(BEFORE) {
            Some(text) => Ok(Start::Before(Cursor::decode(text, sort)?)),
            None => Ok(Start::After(Cursor::decode(text, sort)?)),
        }
    }
}

/// The sort values and key of the last resource of a page.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Cursor {
    values: Vec<Option<String>>,
    rid: i64,
}

impl Cursor {
    /// The key of the resource the cursor stands after.
    pub(super) fn rid(&self) -> i64 {
        self.rid
    }

    /// The opaque text a `next` link carries (hex, so that it needs no escaping).
    pub(super) fn encode(&self) -> String {
        let mut parts: Vec<serde_json::Value> = self
            .values
            .iter()
            .map(|v| v.clone().map_or(serde_json::Value::Null, Into::into))
            .collect();
        parts.push(self.rid.to_string().into());
        let json = serde_json::Value::Array(parts).to_string();
        json.bytes().map(|b| format!("{b:02x}")).collect()
    }

    /// The text a `previous` link carries: the page that ends right before this resource.
    pub(super) fn encode_before(&self) -> String {
        format!("{BEFORE}{}", self.encode())
    }

    /// Reads a cursor given for `sort`; an error names `_cursor` only.
    pub(super) fn decode(text: &str, sort: &[SortColumn]) -> Result<Cursor, Error> {
        let invalid = || Error::bad_request("`_cursor` is not a cursor this search gave");
        let bytes: Option<Vec<u8>> = (0..text.len())
            .step_by(2)
            .map(|i| text.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
            .collect();
        let parts: Vec<Option<String>> =
            serde_json::from_slice(&bytes.ok_or_else(invalid)?).map_err(|_| invalid())?;
        let Some((Some(rid), values)) = parts.split_last() else { return Err(invalid()) };
        let rid = rid.parse().map_err(|_| invalid())?;
        let typed = values.len() == sort.len()
            && values.iter().zip(sort).all(|(v, c)| v.as_deref().is_none_or(|v| parses(v, c)));
        match typed {
            true => Ok(Cursor { values: values.to_vec(), rid }),
            false => Err(invalid()),
        }
    }
}

fn parses(value: &str, column: &SortColumn) -> bool {
    match column.sort_type {
        SortType::Text => true,
        SortType::Integer => value.parse::<i64>().is_ok(),
        SortType::Real => value.parse::<f64>().is_ok(),
    }
}

fn typed_value(value: &str, sort_type: SortType) -> Value {
    match sort_type {
        SortType::Text => value.into(),
        SortType::Integer => value.parse::<i64>().unwrap_or_default().into(),
        SortType::Real => value.parse::<f64>().unwrap_or_default().into(),
    }
}

/// At most `limit` matches of `filter` from `start` on (for `Start::Before`, the last `limit`
/// before it), in the order of `sort`, each with the cursor that starts right after it.
pub(super) async fn fetch(
    conn: &impl ConnectionTrait,
    backend: Backend,
    filter: &Sql,
    sort: &[SortColumn],
    start: &Start,
    limit: u64,
) -> Result<Vec<(Version, Cursor)>, Error> {
    let (text, values) = page_sql(filter, sort, start, limit).into_parts();
    let rows = query_all(conn, backend, &text, values).await?;
    rows.iter()
        .map(|row| {
            let version = from_row(row)?;
            let cursor = cursor_of(row, sort)?;
            Ok((version, cursor))
        })
        .collect()
}

/// How many current resources satisfy `filter`.
pub(super) async fn count(
    conn: &impl ConnectionTrait,
    backend: Backend,
    filter: &Sql,
) -> Result<u64, Error> {
    let mut sql = Sql::new("SELECT COUNT(*) FROM resources r WHERE ");
    sql.append(filter);
    let (text, values) = sql.into_parts();
    let row = query_one(conn, backend, &text, values).await?;
    let count = row.map(|r| r.try_get_by_index::<i64>(0)).transpose().map_err(column_error)?;
    Ok(count.unwrap_or(0).try_into().unwrap_or(0))
}

/// The page's versions: the matches are ordered and cut in `q`/`p`, then joined to their
/// history rows, which hold the bodies and say how each version was written.
fn page_sql(filter: &Sql, sort: &[SortColumn], start: &Start, limit: u64) -> Sql {
    let keys: String = (0..sort.len()).map(|i| format!(", q.s{i}")).collect();
    let history = version_columns("h");
    let mut sql = Sql::new(&format!("SELECT {history}{}, p.rid", keys.replace("q.", "p.")));
    sql.push(&format!(" FROM (SELECT q.rid, q.version_id{keys}"));
    sql.push(" FROM (SELECT r.rid, r.version_id");
    for (i, column) in sort.iter().enumerate() {
        sql.push(", ").append(&column.expression).push(&format!(" AS s{i}"));
    }
    sql.push(" FROM resources r WHERE ").append(filter).push(") q");
    let (offset, backwards) = match start {
        Start::Offset(offset) => (*offset, false),
        Start::After(cursor) => {
            sql.push(" WHERE ").append(&after(sort, cursor));
            (0, false)
        }
        Start::Before(cursor) => {
            sql.push(" WHERE ").append(&before(sort, cursor));
            (0, true)
        }
    };
    let inner_order = if backwards { reverse_order("q", sort) } else { order("q", sort) };
    sql.push(" ORDER BY ").push(&inner_order);
    sql.push(" LIMIT ").bind(limit as i64).push(" OFFSET ").bind(offset as i64);
    sql.push(") p JOIN resource_history h ON h.rid = p.rid AND h.version_id = p.version_id");
    sql.push(" ORDER BY ").push(&order("p", sort));
    sql
}

fn order(table: &str, sort: &[SortColumn]) -> String {
    let mut keys: Vec<String> = sort
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let direction = if c.descending { "DESC" } else { "ASC" };
            format!("{table}.s{i} {direction} NULLS LAST")
        })
        .collect();
    keys.push(format!("{table}.rid ASC"));
    keys.join(", ")
}

/// The order of `sort` backwards, to take the rows just before a cursor.
fn reverse_order(table: &str, sort: &[SortColumn]) -> String {
    let mut keys: Vec<String> = sort
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let direction = if c.descending { "ASC" } else { "DESC" };
            format!("{table}.s{i} {direction} NULLS FIRST")
        })
        .collect();
    keys.push(format!("{table}.rid DESC"));
    keys.join(", ")
}

/// Rows that come before `cursor` in the order of `sort`: equal on the first keys and before
/// it on the next one, or equal on all keys with a smaller key. Every value comes before a
/// missing one.
fn before(sort: &[SortColumn], cursor: &Cursor) -> Sql {
    let mut alternatives = Vec::with_capacity(sort.len() + 1);
    for i in 0..=sort.len() {
        let mut parts: Vec<Sql> =
            (0..i).map(|j| equal(j, sort[j].sort_type, &cursor.values[j])).collect();
        parts.push(match sort.get(i) {
            Some(column) => short_of(i, column, &cursor.values[i]),
            None => {
                let mut sql = Sql::new("q.rid < ");
                sql.bind(cursor.rid);
                sql
            }
        });
        let mut alternative = Sql::default();
        alternative.join(&parts, " AND ");
        alternatives.push(alternative);
    }
    let mut sql = Sql::default();
    sql.join(&alternatives, " OR ");
    sql
}

fn short_of(i: usize, column: &SortColumn, value: &Option<String>) -> Sql {
    let mut sql = Sql::new(&format!("q.s{i} IS NOT NULL"));
    if let Some(value) = value {
        let op = if column.descending { ">" } else { "<" };
        sql.push(&format!(" AND q.s{i} {op} ")).bind(typed_value(value, column.sort_type));
    }
    sql
}

/// Rows that come after `cursor` in the order of `sort`: equal on the first keys and after it
/// on the next one, or equal on all keys with a greater key. No value comes after a missing one.
fn after(sort: &[SortColumn], cursor: &Cursor) -> Sql {
    let mut alternatives = Vec::with_capacity(sort.len() + 1);
    for i in 0..=sort.len() {
        let mut parts: Vec<Sql> =
            (0..i).map(|j| equal(j, sort[j].sort_type, &cursor.values[j])).collect();
        let beyond = match sort.get(i) {
            Some(column) => beyond(i, column, &cursor.values[i]),
            None => {
                let mut sql = Sql::new("q.rid > ");
                sql.bind(cursor.rid);
                Some(sql)
            }
        };
        let Some(beyond) = beyond else { continue };
        parts.push(beyond);
        let mut alternative = Sql::default();
        alternative.join(&parts, " AND ");
        alternatives.push(alternative);
    }
    let mut sql = Sql::default();
    sql.join(&alternatives, " OR ");
    sql
}

fn equal(i: usize, sort_type: SortType, value: &Option<String>) -> Sql {
    let mut sql = Sql::new(&format!("q.s{i}"));
    match value {
        None => sql.push(" IS NULL"),
        Some(value) => sql.push(" = ").bind(typed_value(value, sort_type)),
    };
    sql
}

fn beyond(i: usize, column: &SortColumn, value: &Option<String>) -> Option<Sql> {
    let value = value.as_deref()?;
    let op = if column.descending { "<" } else { ">" };
    let mut sql = Sql::new(&format!("(q.s{i} IS NULL OR q.s{i} {op} "));
    sql.bind(typed_value(value, column.sort_type)).push(")");
    Some(sql)
}

/// The cursor right after a row, from the sort values and key it carries after the version.
fn cursor_of(row: &QueryResult, sort: &[SortColumn]) -> Result<Cursor, Error> {
    let first = VERSION_COLUMNS.split(", ").count();
    let values = sort
        .iter()
        .enumerate()
        .map(|(i, column)| sort_value(row, first + i, column.sort_type))
        .collect::<Result<Vec<_>, _>>()?;
    let rid = row.try_get_by_index::<i64>(first + sort.len()).map_err(column_error)?;
    Ok(Cursor { values, rid })
}

fn sort_value(
    row: &QueryResult,
    index: usize,
    sort_type: SortType,
) -> Result<Option<String>, Error> {
    let text = match sort_type {
        SortType::Text => row.try_get_by_index::<Option<String>>(index).map_err(column_error)?,
        SortType::Integer => {
            row.try_get_by_index::<Option<i64>>(index).map_err(column_error)?.map(|v| v.to_string())
        }
        // Rust prints the shortest text that parses back to the same double.
        SortType::Real => {
            row.try_get_by_index::<Option<f64>>(index).map_err(column_error)?.map(|v| v.to_string())
        }
    };
    Ok(text)
}

fn column_error(error: sea_orm::DbErr) -> Error {
    Error::internal(format!("unreadable search row: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(sort_type: SortType) -> SortColumn {
        SortColumn { expression: Sql::default(), sort_type, descending: false }
    }

    #[test]
    fn a_cursor_reads_back_what_it_wrote() {
        let sort = [column(SortType::Text), column(SortType::Real), column(SortType::Integer)];
        let cursor =
            Cursor { values: vec![Some("müller".into()), Some("0.1".into()), None], rid: 41 };
        assert_eq!(Cursor::decode(&cursor.encode(), &sort).expect("valid"), cursor);
    }

    #[test]
    fn a_cursor_for_other_sort_keys_is_refused() {
        let cursor = Cursor { values: vec![Some("x".into())], rid: 1 };
        assert!(Cursor::decode(&cursor.encode(), &[column(SortType::Integer)]).is_err());
        assert!(Cursor::decode(&cursor.encode(), &[]).is_err());
        assert!(Cursor::decode("zz", &[]).is_err());
    }

    #[test]
    fn the_keyset_condition_skips_keys_after_a_missing_value() {
        let sort = [column(SortType::Text)];
        let cursor = Cursor { values: vec![None], rid: 1 };
        let (text, values) = after(&sort, &cursor).into_parts();
        assert_eq!(text, "((q.s0 IS NULL AND q.rid > ?))");
        assert_eq!(values.len(), 1);
    }
}
