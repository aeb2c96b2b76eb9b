//! Search index rows: every value `search::extract` finds in a version, staged in the write
//! transaction and written to the table of its parameter type with one statement per table, and
//! removed when the version stops being current.
//!
//! Staging turns the hundreds of resources of a transaction Bundle into a handful of
//! statements: the rows travel as one JSON array per table, which the database unpacks
//! (`json_each` on SQLite, `json_array_elements` on PostgreSQL). Whatever reads the index
//! inside the transaction writes the staged rows first (`WriteTx::flushed`).

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};

use domain::{Error, ResourceType};

use crate::rows::Version;
use sea_orm::ConnectionTrait;
use search::{IndexEntry, IndexValue, ParamKind};
use serde_json::Value;

use crate::db::{Backend, execute};

/// Whether new versions get search index rows: always, except in a server started with
/// `panorama serve --no-search-index`, for the benchmark that measures what indexing costs.
static INDEXING: AtomicBool = AtomicBool::new(true);

/// For benchmarks only: from now on, versions written by this process get no search index rows,
/// so searches no longer find them: data loaded so is for measuring, not for searching.
pub fn disable_search_index_for_benchmarks() {
    INDEXING.store(false, Ordering::Relaxed);
}

/// Whether this process writes search index rows (see `disable_search_index_for_benchmarks`).
pub(crate) fn indexing() -> bool {
    INDEXING.load(Ordering::Relaxed)
}

/// Parameters read from `resources` itself (`id`, `last_updated`), so they get no index rows.
pub(crate) const FROM_RESOURCES: [&str; 2] = ["_id", "_lastUpdated"];

/// The index tables, one per search-parameter type, plus `:of-type` identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Table {
    Token,
    OfType,
    String,
    Reference,
    Date,
    Number,
    Quantity,
    Uri,
    Composite,
}

/// How a column's values travel in JSON and land in their column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Text,
    Integer,
    Real,
}

impl Table {
    pub(crate) const ALL: [Table; 9] = [
        Table::Token,
        Table::OfType,
        Table::String,
        Table::Reference,
        Table::Date,
        Table::Number,
        Table::Quantity,
        Table::Uri,
        Table::Composite,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Table::Token => "search_token",
            Table::OfType => "search_of_type",
            Table::String => "search_string",
            Table::Reference => "search_reference",
            Table::Date => "search_date",
            Table::Number => "search_number",
            Table::Quantity => "search_quantity",
            Table::Uri => "search_uri",
            Table::Composite => "search_composite",
        }
    }

    /// The table holding the values of a parameter type (`:of-type` rows aside).
    pub(crate) fn for_kind(kind: ParamKind) -> Option<Table> {
        Some(match kind {
            ParamKind::Token => Table::Token,
            ParamKind::String => Table::String,
            ParamKind::Reference => Table::Reference,
            ParamKind::Date => Table::Date,
            ParamKind::Number => Table::Number,
            ParamKind::Quantity => Table::Quantity,
            ParamKind::Uri => Table::Uri,
            ParamKind::Composite => Table::Composite,
            ParamKind::Special => return None,
        })
    }

    fn position(self) -> usize {
        Table::ALL.iter().position(|t| *t == self).unwrap_or_default()
    }

    /// The value columns, after `rid, n, resource_type, param`, in the order `row_values`
    /// gives them.
    fn columns(self) -> &'static [(&'static str, Column)] {
        use Column::{Integer, Real, Text};
        match self {
            Table::Token => &[("system", Text), ("code", Text), ("text", Text)],
            Table::OfType => &[("type_system", Text), ("type_code", Text), ("value", Text)],
            Table::String => &[("normalized", Text), ("exact", Text)],
            Table::Reference => &[
                ("target_type", Text),
                ("target_id", Text),
                ("url", Text),
                ("identifier_system", Text),
                ("identifier_value", Text),
            ],
            Table::Date => &[("low", Integer), ("high", Integer)],
            Table::Number => &[("low", Real), ("high", Real), ("value", Text)],
            Table::Quantity => &[
                ("low", Real),
                ("high", Real),
                ("value", Text),
                ("system", Text),
                ("code", Text),
                ("unit", Text),
                ("canonical_low", Real),
                ("canonical_high", Real),
                ("canonical_unit", Text),
            ],
            Table::Uri => &[("value", Text)],
            Table::Composite => &COMPOSITE_COLUMNS,
        }
    }

    /// Every column a row carries, keys first.
    fn all_columns(self) -> impl Iterator<Item = (&'static str, Column)> {
        let keys = [
            ("rid", Column::Integer),
            ("n", Column::Integer),
            ("resource_type", Column::Text),
            ("param", Column::Text),
        ];
        keys.into_iter().chain(self.columns().iter().copied())
    }

    fn width(self) -> usize {
        self.all_columns().count()
    }

    /// The INSERT that unpacks a JSON array of rows (arrays of column values) into the table.
    fn insert_sql(self, backend: Backend) -> String {
        let names: Vec<&str> = self.all_columns().map(|(name, _)| name).collect();
        let values: Vec<String> = self
            .all_columns()
            .enumerate()
            .map(|(i, (_, column))| match (backend, column) {
                (Backend::Sqlite, _) => format!("value ->> {i}"),
                (Backend::Postgres, Column::Text) => format!("e ->> {i}"),
                (Backend::Postgres, Column::Integer) => format!("CAST(e ->> {i} AS BIGINT)"),
                (Backend::Postgres, Column::Real) => {
                    format!("CAST(e ->> {i} AS DOUBLE PRECISION)")
                }
            })
            .collect();
        let rows = match backend {
            // `jsonb_each` hands each row over in SQLite's binary JSON, which `->>` reads
            // without parsing the row's text again for every column.
            Backend::Sqlite => "jsonb_each(?)",
            Backend::Postgres => "json_array_elements(CAST(? AS JSON)) AS e",
        };
        format!(
            "INSERT INTO {} ({}) SELECT {} FROM {rows}",
            self.name(),
            names.join(", "),
            values.join(", ")
        )
    }

    /// The DELETE of the rows of the resources listed in a JSON array of keys.
    fn delete_sql(self, backend: Backend) -> String {
        let keys = match backend {
            Backend::Sqlite => "SELECT value FROM json_each(?)",
            Backend::Postgres => {
                "SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST(? AS JSON))"
            }
        };
        format!("DELETE FROM {} WHERE rid IN ({keys})", self.name())
    }
}

const COMPOSITE_COLUMNS: [(&str, Column); 21] = {
    use Column::{Real, Text};
    [
        ("c1_system", Text),
        ("c1_code", Text),
        ("c1_text", Text),
        ("c1_low", Real),
        ("c1_high", Real),
        ("c1_canonical", Real),
        ("c1_canonical_unit", Text),
        ("c2_system", Text),
        ("c2_code", Text),
        ("c2_text", Text),
        ("c2_low", Real),
        ("c2_high", Real),
        ("c2_canonical", Real),
        ("c2_canonical_unit", Text),
        ("c3_system", Text),
        ("c3_code", Text),
        ("c3_text", Text),
        ("c3_low", Real),
        ("c3_high", Real),
        ("c3_canonical", Real),
        ("c3_canonical_unit", Text),
    ]
};

/// Component positions `search_composite` has room for; R4's composites have two or three.
const COMPOSITE_SLOTS: usize = 3;

/// History rows and index changes staged in a write transaction and not yet written.
#[derive(Debug, Default)]
pub(crate) struct Staged {
    /// New history rows (`rows::history_row`).
    versions: Vec<Value>,
    /// Resources whose stored rows go, before the staged rows are written.
    removed: Vec<i64>,
    /// Rows to write, per table (in the order of `Table::ALL`), with their resource's key.
    rows: [Vec<(i64, Value)>; 9],
    /// The resources that have rows in `rows`.
    staged_for: HashSet<i64>,
}

impl Staged {
    /// Stages the removal of every index row of the resource `rid`, staged ones included.
    pub(crate) fn remove(&mut self, rid: i64) {
        if self.staged_for.remove(&rid) {
            for rows in &mut self.rows {
                rows.retain(|(owner, _)| *owner != rid);
            }
        }
        self.removed.push(rid);
    }

    /// Stages the index rows of a resource's new current version: the `entries` that
    /// `search::extract` found in it.
    pub(crate) fn add(&mut self, resource_type: ResourceType, entries: Vec<IndexEntry>, rid: i64) {
        if !indexing() {
            return;
        }
        let resource_type = resource_type.as_str();
        let mut n = 0;
        for IndexEntry { param, value } in entries {
            if FROM_RESOURCES.contains(&param.as_str()) {
                continue;
            }
            let Some((table, values)) = row_values(&value) else { continue };
            let mut row = Vec::with_capacity(table.width());
            row.extend([rid.into(), n.into(), resource_type.into(), param.into()]);
            row.extend(values);
            self.rows[table.position()].push((rid, Value::Array(row)));
            n += 1;
        }
        if n > 0 {
            self.staged_for.insert(rid);
        }
    }

    /// Stages the history row of a version of the resource `rid`.
    pub(crate) fn add_version(&mut self, rid: i64, version: &Version) {
        self.versions.push(crate::rows::history_row(rid, version));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.versions.is_empty() && self.removed.is_empty() && self.rows.iter().all(Vec::is_empty)
    }

    /// Writes what is staged: history rows, index removals, then new index rows, one
    /// statement per table.
    pub(crate) async fn write(
        &mut self,
        conn: &impl ConnectionTrait,
        backend: Backend,
    ) -> Result<(), Error> {
        let versions = std::mem::take(&mut self.versions);
        if !versions.is_empty() {
            let json = Value::Array(versions).to_string();
            execute(conn, backend, crate::rows::insert_history_sql(backend), vec![json.into()])
                .await?;
        }
        self.staged_for.clear();
        let removed = std::mem::take(&mut self.removed);
        if !removed.is_empty() {
            let keys = Value::from(removed).to_string();
            for table in Table::ALL {
                execute(conn, backend, &table.delete_sql(backend), vec![keys.clone().into()])
                    .await?;
            }
        }
        for table in Table::ALL {
            let rows = std::mem::take(&mut self.rows[table.position()]);
            if rows.is_empty() {
                continue;
            }
            let json = Value::Array(rows.into_iter().map(|(_, row)| row).collect()).to_string();
            execute(conn, backend, &table.insert_sql(backend), vec![json.into()]).await?;
        }
        Ok(())
    }
}

/// The longest text, in bytes, a column of a `lookup` index holds: PostgreSQL refuses index
/// entries of more than about 2.7 KB. Longer values are indexed by their start, and searches
/// compare that start (`capped`), so a value is found by its first 1,000 bytes.
// FIXME(#3): two texts equal in their first 1,000 bytes match each other, and `:contains`
// does not see past them.
const MAX_INDEXED_TEXT: usize = 1000;

/// `text` as a `lookup` index column holds it: cut to `MAX_INDEXED_TEXT` bytes at a character
/// boundary.
pub(crate) fn capped(text: &str) -> &str {
    if text.len() <= MAX_INDEXED_TEXT {
        return text;
    }
    let end = (0..=MAX_INDEXED_TEXT).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
    &text[..end]
}

/// The table of a value and its columns' values, in the order of `Table::columns`.
fn row_values(value: &IndexValue) -> Option<(Table, Vec<Value>)> {
    let text = |s: &Option<String>| s.clone().map_or(Value::Null, Value::String);
    let owned = |s: &String| Value::String(s.clone());
    let key = |s: &Option<String>| s.as_deref().map_or(Value::Null, |s| capped(s).into());
    let owned_key = |s: &String| Value::String(capped(s).to_owned());
    Some(match value {
        IndexValue::Token { system, code, text: display } => {
            (Table::Token, vec![key(system), key(code), text(display)])
        }
        IndexValue::OfType { type_system, type_code, value } => {
            (Table::OfType, vec![text(type_system), owned(type_code), owned_key(value)])
        }
        IndexValue::String { normalized, exact } => {
            (Table::String, vec![owned_key(normalized), owned(exact)])
        }
        IndexValue::Reference { target_type, target_id, url, identifier } => {
            let (id_system, id_value) =
                identifier.clone().map_or((None, None), |(s, v)| (s, Some(v)));
            let values =
                vec![key(target_type), key(target_id), text(url), key(&id_system), key(&id_value)];
            (Table::Reference, values)
        }
        IndexValue::Date { low, high } => (Table::Date, vec![(*low).into(), (*high).into()]),
        IndexValue::Number { value, low, high } => {
            (Table::Number, vec![real(*low), real(*high), owned(value)])
        }
        IndexValue::Quantity { .. } => (Table::Quantity, quantity_values(value)),
        IndexValue::Uri { value } => (Table::Uri, vec![owned_key(value)]),
        IndexValue::Composite(parts) => (Table::Composite, composite_values(parts)?),
    })
}

/// A double as JSON. JSON has no infinities, which stand for the open end of a range (a
/// quantity with a comparator): the largest doubles take their place, which no value a search
/// compares with goes beyond.
fn real(value: f64) -> Value {
    let value = value.clamp(f64::MIN, f64::MAX);
    serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
}

fn optional_real(value: Option<f64>) -> Value {
    value.map_or(Value::Null, real)
}

fn optional_text(value: Option<String>) -> Value {
    value.map_or(Value::Null, Value::String)
}

/// A text a search compares with `=`, as `capped` keeps it.
fn optional_key(value: &Option<String>) -> Value {
    value.as_deref().map_or(Value::Null, |v| capped(v).into())
}

fn quantity_values(value: &IndexValue) -> Vec<Value> {
    let IndexValue::Quantity { value, low, high, system, code, unit, canonical } = value else {
        return Vec::new();
    };
    // The resource's canonical value is taken as exact, as `search::query::matches` does.
    let (canonical_value, canonical_unit) = canonical.clone().unzip();
    vec![
        real(*low),
        real(*high),
        Value::String(value.clone()),
        optional_key(system),
        optional_key(code),
        optional_key(unit),
        optional_real(canonical_value),
        optional_real(canonical_value),
        optional_text(canonical_unit),
    ]
}

/// The `c1_` to `c3_` columns of a combination; `None` when it has more components than slots.
fn composite_values(parts: &[IndexValue]) -> Option<Vec<Value>> {
    if parts.len() > COMPOSITE_SLOTS {
        return None;
    }
    let mut values = Vec::with_capacity(COMPOSITE_SLOTS * 7);
    for slot in 0..COMPOSITE_SLOTS {
        values.extend(parts.get(slot).map_or_else(empty_component, component_values));
    }
    Some(values)
}

fn empty_component() -> Vec<Value> {
    component(None, None, None, None, None)
}

/// One component as `system, code, text, low, high, canonical, canonical_unit`.
fn component_values(part: &IndexValue) -> Vec<Value> {
    match part.clone() {
        IndexValue::Token { system, code, .. } => component(system, code, None, None, None),
        IndexValue::String { normalized, .. } => {
            component(None, Some(normalized), None, None, None)
        }
        IndexValue::Reference { target_type, target_id, url, .. } => {
            component(target_type, target_id, url, None, None)
        }
        IndexValue::Uri { value } => component(None, Some(value), None, None, None),
        // Doubles hold every microsecond up to the year 2255 exactly; the open ends of a
        // Period (`i64::MIN`, `i64::MAX`) stay beyond every date.
        IndexValue::Date { low, high } => {
            component(None, None, None, Some((low as f64, high as f64)), None)
        }
        IndexValue::Number { low, high, .. } => {
            component(None, None, None, Some((low, high)), None)
        }
        IndexValue::Quantity { low, high, system, code, unit, canonical, .. } => {
            component(system, code, unit, Some((low, high)), canonical)
        }
        IndexValue::OfType { .. } | IndexValue::Composite(_) => empty_component(),
    }
}

fn component(
    system: Option<String>,
    code: Option<String>,
    text: Option<String>,
    range: Option<(f64, f64)>,
    canonical: Option<(f64, String)>,
) -> Vec<Value> {
    let (low, high) = range.unzip();
    let (canonical_value, canonical_unit) = canonical.unzip();
    vec![
        optional_key(&system),
        optional_key(&code),
        optional_text(text),
        optional_real(low),
        optional_real(high),
        optional_real(canonical_value),
        optional_text(canonical_unit),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_as_many_values_as_its_table_has_columns() {
        let values = [
            IndexValue::Token { system: None, code: Some("c".into()), text: None },
            IndexValue::OfType { type_system: None, type_code: "MR".into(), value: "1".into() },
            IndexValue::String { normalized: "a".into(), exact: "A".into() },
            IndexValue::Reference {
                target_type: None,
                target_id: None,
                url: None,
                identifier: None,
            },
            IndexValue::Date { low: 0, high: 1 },
            IndexValue::Number { value: "1".into(), low: 0.5, high: 1.5 },
            IndexValue::Quantity {
                value: "1".into(),
                low: 0.5,
                high: 1.5,
                system: None,
                code: None,
                unit: None,
                canonical: Some((1.0, "g".into())),
            },
            IndexValue::Uri { value: "u".into() },
            IndexValue::Composite(vec![IndexValue::Uri { value: "u".into() }]),
        ];
        for value in values {
            let (table, row) = row_values(&value).expect("a row");
            assert_eq!(row.len() + 4, table.width(), "{table:?}");
        }
    }

    #[test]
    fn a_composite_with_more_components_than_slots_is_not_indexed() {
        let part = IndexValue::Uri { value: "u".into() };
        assert!(composite_values(&vec![part; COMPOSITE_SLOTS + 1]).is_none());
    }
}
