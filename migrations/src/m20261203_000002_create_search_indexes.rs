//! One index table per search-parameter type, filled in the same transaction as the resource.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

// Each row is one value of one search parameter of the current version of one resource (`rid`
// in `resources`; `n` numbers the rows of one resource). `_id` and `_lastUpdated` are not indexed,
// the store reads them from `resources`. Dates are [low, high] ranges in microseconds (UTC);
// numbers and quantities are [low, high] ranges at the precision the value was written with.
//
// Rows are keyed by `(rid, n)`: on SQLite the table is clustered on that key (`WITHOUT ROWID`),
// so the rows of a new resource are appended together and removed together. Each `lookup` index
// ends with `rid`, so that a search reads the matching resources from the index alone.
//
// One script for both backends, so that they cannot drift apart: `INT64`, `FLOAT64`,
// `ORDERED_TEXT` and `CLUSTERED` become each backend's words. `ORDERED_TEXT` is compared by byte
// on both (`COLLATE "C"` on PostgreSQL, SQLite's default), because prefix searches are written as
// ranges (`normalized >= 'mul' AND normalized < 'mum'`) that only hold under that order.
//
// `search_composite` holds one row per combination of a composite parameter's component values,
// each component in the columns of its position (`c1_`, `c2_`, `c3_`): a token as system and
// code, a string as its normalized text in `code`, a reference as target type, id and url in
// `system`, `code` and `text`, a uri in `code`, a quantity with its unit in `text`, and dates
// and numbers as [low, high] (dates as doubles, exact to the microsecond until the year 2255).
const SCHEMA: &str = "
CREATE TABLE search_token (
    rid INT64 NOT NULL,
    n INTEGER NOT NULL,
    resource_type TEXT NOT NULL,
    param TEXT NOT NULL,
    system TEXT,
    code TEXT,
    text ORDERED_TEXT,
    PRIMARY KEY (rid, n)
)CLUSTERED;
CREATE INDEX search_token_lookup ON search_token (resource_type, param, code, system, rid);
CREATE TABLE search_of_type (
    rid INT64 NOT NULL,
    n INTEGER NOT NULL,
    resource_type TEXT NOT NULL,
    param TEXT NOT NULL,
    type_system TEXT,
    type_code TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (rid, n)
)CLUSTERED;
CREATE INDEX search_of_type_lookup ON search_of_type (resource_type, param, value, rid);
CREATE TABLE search_string (
    rid INT64 NOT NULL,
    n INTEGER NOT NULL,
    resource_type TEXT NOT NULL,
    param TEXT NOT NULL,
    normalized ORDERED_TEXT,
    exact TEXT,
    PRIMARY KEY (rid, n)
)CLUSTERED;
CREATE INDEX search_string_lookup ON search_string (resource_type, param, normalized, rid);
CREATE TABLE search_reference (
    rid INT64 NOT NULL,
    n INTEGER NOT NULL,
    resource_type TEXT NOT NULL,
    param TEXT NOT NULL,
    target_type TEXT,
    target_id TEXT,
    url TEXT,
    identifier_system TEXT,
    identifier_value TEXT,
    PRIMARY KEY (rid, n)
)CLUSTERED;
CREATE INDEX search_reference_lookup ON search_reference (resource_type, param, target_id, target_type, rid);
CREATE TABLE search_date (
    rid INT64 NOT NULL,
    n INTEGER NOT NULL,
    resource_type TEXT NOT NULL,
    param TEXT NOT NULL,
    low INT64 NOT NULL,
    high INT64 NOT NULL,
    PRIMARY KEY (rid, n)
)CLUSTERED;
CREATE INDEX search_date_lookup ON search_date (resource_type, param, low, high, rid);
CREATE TABLE search_number (
    rid INT64 NOT NULL,
    n INTEGER NOT NULL,
    resource_type TEXT NOT NULL,
    param TEXT NOT NULL,
    low FLOAT64 NOT NULL,
    high FLOAT64 NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (rid, n)
)CLUSTERED;
CREATE INDEX search_number_lookup ON search_number (resource_type, param, low, rid);
CREATE TABLE search_quantity (
    rid INT64 NOT NULL,
    n INTEGER NOT NULL,
    resource_type TEXT NOT NULL,
    param TEXT NOT NULL,
    low FLOAT64 NOT NULL,
    high FLOAT64 NOT NULL,
    value TEXT NOT NULL,
    system TEXT,
    code TEXT,
    unit TEXT,
    canonical_low FLOAT64,
    canonical_high FLOAT64,
    canonical_unit TEXT,
    PRIMARY KEY (rid, n)
)CLUSTERED;
CREATE INDEX search_quantity_lookup ON search_quantity (resource_type, param, code, low, rid);
CREATE TABLE search_uri (
    rid INT64 NOT NULL,
    n INTEGER NOT NULL,
    resource_type TEXT NOT NULL,
    param TEXT NOT NULL,
    value ORDERED_TEXT NOT NULL,
    PRIMARY KEY (rid, n)
)CLUSTERED;
CREATE INDEX search_uri_lookup ON search_uri (resource_type, param, value, rid);
CREATE TABLE search_composite (
    rid INT64 NOT NULL,
    n INTEGER NOT NULL,
    resource_type TEXT NOT NULL,
    param TEXT NOT NULL,
    c1_system TEXT,
    c1_code ORDERED_TEXT,
    c1_text TEXT,
    c1_low FLOAT64,
    c1_high FLOAT64,
    c1_canonical FLOAT64,
    c1_canonical_unit TEXT,
    c2_system TEXT,
    c2_code ORDERED_TEXT,
    c2_text TEXT,
    c2_low FLOAT64,
    c2_high FLOAT64,
    c2_canonical FLOAT64,
    c2_canonical_unit TEXT,
    c3_system TEXT,
    c3_code ORDERED_TEXT,
    c3_text TEXT,
    c3_low FLOAT64,
    c3_high FLOAT64,
    c3_canonical FLOAT64,
    c3_canonical_unit TEXT,
    PRIMARY KEY (rid, n)
)CLUSTERED;
CREATE INDEX search_composite_lookup ON search_composite (resource_type, param, c1_code, rid)
";

const TABLES: [&str; 9] = [
    "search_token",
    "search_of_type",
    "search_string",
    "search_reference",
    "search_date",
    "search_number",
    "search_quantity",
    "search_uri",
    "search_composite",
];

/// The schema with each backend's types.
fn script(backend: DatabaseBackend) -> String {
    let (int64, float64, ordered_text, clustered) = match backend {
        DatabaseBackend::Postgres => ("BIGINT", "DOUBLE PRECISION", "TEXT COLLATE \"C\"", ""),
        _ => ("INTEGER", "REAL", "TEXT", " WITHOUT ROWID"),
    };
    SCHEMA
        .replace("ORDERED_TEXT", ordered_text)
        .replace("INT64", int64)
        .replace("FLOAT64", float64)
        .replace(")CLUSTERED", &format!("){clustered}"))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_script(manager, &script(manager.get_database_backend())).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drops: Vec<String> = TABLES.iter().map(|t| format!("DROP TABLE {t}")).collect();
        crate::run_script(manager, &drops.join(";")).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_backend_gets_its_own_types_and_no_placeholder_is_left() {
        for backend in [DatabaseBackend::Sqlite, DatabaseBackend::Postgres] {
            let text = script(backend);
            for placeholder in ["INT64", "FLOAT64", "ORDERED_TEXT", "CLUSTERED"] {
                assert!(!text.contains(placeholder), "{placeholder} left for {backend:?}");
            }
        }
        assert!(script(DatabaseBackend::Postgres).contains("normalized TEXT COLLATE \"C\""));
    }

    #[test]
    fn every_table_created_is_dropped() {
        let created = SCHEMA.matches("CREATE TABLE").count();
        assert_eq!(created, TABLES.len());
    }
}
