//! Search index rows: every value `search::extract` finds in a version, written to the table of
//! its parameter type with that version, and removed when the version stops being current.

use domain::{Error, Resource, ResourceId, ResourceType};
use sea_orm::{ConnectionTrait, Value};
use search::{IndexEntry, IndexValue, ParamKind};

use crate::db::{Backend, execute};

/// Parameters read from `resources` itself (`id`, `last_updated`), so they get no index rows.
pub(crate) const FROM_RESOURCES: [&str; 2] = ["_id", "_lastUpdated"];

/// SQLite refuses statements with more bound parameters than this.
const MAX_BOUND: usize = 32_766;

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

impl Table {
    const ALL: [Table; 9] = [
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

    /// The value columns, after `resource_type, id, param`, in the order `row_values` gives them.
    fn columns(self) -> &'static str {
        match self {
            Table::Token => "system, code, text",
            Table::OfType => "type_system, type_code, value",
            Table::String => "normalized, exact",
            Table::Reference => "target_type, target_id, url, identifier_system, identifier_value",
            Table::Date => "low, high",
            Table::Number => "low, high, value",
            Table::Quantity => {
                "low, high, value, system, code, unit, canonical_low, canonical_high, canonical_unit"
            }
            Table::Uri => "value",
            Table::Composite => COMPOSITE_COLUMNS,
        }
    }

    fn width(self) -> usize {
        3 + self.columns().split(',').count()
    }
}

const COMPOSITE_COLUMNS: &str = "\
    c1_system, c1_code, c1_text, c1_low, c1_high, c1_canonical, c1_canonical_unit, \
    c2_system, c2_code, c2_text, c2_low, c2_high, c2_canonical, c2_canonical_unit, \
    c3_system, c3_code, c3_text, c3_low, c3_high, c3_canonical, c3_canonical_unit";

/// Component positions `search_composite` has room for; R4's composites have two or three.
const COMPOSITE_SLOTS: usize = 3;

/// Removes every index row of a resource.
pub(crate) async fn remove(
    conn: &impl ConnectionTrait,
    backend: Backend,
    resource_type: ResourceType,
    id: &ResourceId,
) -> Result<(), Error> {
    for table in Table::ALL {
        let sql = format!("DELETE FROM {} WHERE resource_type = ? AND id = ?", table.name());
        execute(conn, backend, &sql, vec![resource_type.as_str().into(), id.as_str().into()])
            .await?;
    }
    Ok(())
}

/// Writes the index rows of a resource's new current version: one multi-row INSERT per table.
pub(crate) async fn add(
    conn: &impl ConnectionTrait,
    backend: Backend,
    resource: &Resource,
    id: &ResourceId,
) -> Result<(), Error> {
    let mut rows: Vec<(Table, Vec<Value>)> = Vec::new();
    for IndexEntry { param, value } in search::extract(resource.json()) {
        if FROM_RESOURCES.contains(&param.as_str()) {
            continue;
        }
        let Some((table, values)) = row_values(&value) else { continue };
        let mut row = Vec::with_capacity(table.width());
        row.extend([resource.resource_type().as_str().into(), id.as_str().into(), param.into()]);
        row.extend(values);
        match rows.iter_mut().find(|(t, _)| *t == table) {
            Some((_, all)) => all.extend(row),
            None => rows.push((table, row)),
        }
    }
    for (table, values) in rows {
        insert(conn, backend, table, values).await?;
    }
    Ok(())
}

/// INSERTs the rows (flattened `values`) into `table`, as few statements as SQLite allows.
async fn insert(
    conn: &impl ConnectionTrait,
    backend: Backend,
    table: Table,
    mut values: Vec<Value>,
) -> Result<(), Error> {
    let width = table.width();
    let per_statement = MAX_BOUND / width;
    let row = format!("({})", vec!["?"; width].join(", "));
    while !values.is_empty() {
        let rest = values.split_off(values.len().min(per_statement * width));
        let count = values.len() / width;
        let sql = format!(
            "INSERT INTO {} (resource_type, id, param, {}) VALUES {}",
            table.name(),
            table.columns(),
            vec![row.as_str(); count].join(", ")
        );
        execute(conn, backend, &sql, std::mem::replace(&mut values, rest)).await?;
    }
    Ok(())
}

/// The table of a value and its columns' values, in the order of `Table::columns`.
fn row_values(value: &IndexValue) -> Option<(Table, Vec<Value>)> {
    let text = |s: &Option<String>| Value::String(s.clone());
    let owned = |s: &String| Value::String(Some(s.clone()));
    Some(match value {
        IndexValue::Token { system, code, text: display } => {
            (Table::Token, vec![text(system), text(code), text(display)])
        }
        IndexValue::OfType { type_system, type_code, value } => {
            (Table::OfType, vec![text(type_system), owned(type_code), owned(value)])
        }
        IndexValue::String { normalized, exact } => {
            (Table::String, vec![owned(normalized), owned(exact)])
        }
        IndexValue::Reference { target_type, target_id, url, identifier } => {
            let (id_system, id_value) =
                identifier.clone().map_or((None, None), |(s, v)| (s, Some(v)));
            let values = vec![
                text(target_type),
                text(target_id),
                text(url),
                Value::String(id_system),
                Value::String(id_value),
            ];
            (Table::Reference, values)
        }
        IndexValue::Date { low, high } => (Table::Date, vec![(*low).into(), (*high).into()]),
        IndexValue::Number { value, low, high } => {
            (Table::Number, vec![(*low).into(), (*high).into(), owned(value)])
        }
        IndexValue::Quantity { .. } => (Table::Quantity, quantity_values(value)),
        IndexValue::Uri { value } => (Table::Uri, vec![owned(value)]),
        IndexValue::Composite(parts) => (Table::Composite, composite_values(parts)?),
    })
}

fn quantity_values(value: &IndexValue) -> Vec<Value> {
    let IndexValue::Quantity { value, low, high, system, code, unit, canonical } = value else {
        return Vec::new();
    };
    // The resource's canonical value is taken as exact, as `search::query::matches` does.
    let (canonical_value, canonical_unit) = canonical.clone().unzip();
    vec![
        (*low).into(),
        (*high).into(),
        Value::String(Some(value.clone())),
        Value::String(system.clone()),
        Value::String(code.clone()),
        Value::String(unit.clone()),
        Value::Double(canonical_value),
        Value::Double(canonical_value),
        Value::String(canonical_unit),
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
        Value::String(system),
        Value::String(code),
        Value::String(text),
        Value::Double(low),
        Value::Double(high),
        Value::Double(canonical_value),
        Value::String(canonical_unit),
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
            assert_eq!(row.len() + 3, table.width(), "{table:?}");
        }
    }

    #[test]
    fn a_composite_with_more_components_than_slots_is_not_indexed() {
        let part = IndexValue::Uri { value: "u".into() };
        assert!(composite_values(&vec![part; COMPOSITE_SLOTS + 1]).is_none());
    }
}
