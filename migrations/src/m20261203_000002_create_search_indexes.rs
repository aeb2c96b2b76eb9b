//! One index table per search-parameter type, filled in the same transaction as the resource.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

// Each row is one value of one search parameter of the current version of one resource. Dates are
// [low, high] ranges in microseconds (UTC); numbers and quantities are [low, high] ranges at the
// precision the value was written with.
const SQLITE: &str = "
CREATE TABLE search_token (
    resource_type TEXT NOT NULL,
    id TEXT NOT NULL,
    param TEXT NOT NULL,
    system TEXT,
    code TEXT,
    text TEXT
);
CREATE INDEX search_token_lookup ON search_token (resource_type, param, code, system);
CREATE INDEX search_token_owner ON search_token (resource_type, id);
CREATE TABLE search_string (
    resource_type TEXT NOT NULL,
    id TEXT NOT NULL,
    param TEXT NOT NULL,
    normalized TEXT,
    exact TEXT
);
CREATE INDEX search_string_lookup ON search_string (resource_type, param, normalized);
CREATE INDEX search_string_owner ON search_string (resource_type, id);
CREATE TABLE search_reference (
    resource_type TEXT NOT NULL,
    id TEXT NOT NULL,
    param TEXT NOT NULL,
    target_type TEXT,
    target_id TEXT,
    url TEXT
);
CREATE INDEX search_reference_lookup ON search_reference (resource_type, param, target_id, target_type);
CREATE INDEX search_reference_owner ON search_reference (resource_type, id);
CREATE TABLE search_date (
    resource_type TEXT NOT NULL,
    id TEXT NOT NULL,
    param TEXT NOT NULL,
    low INTEGER,
    high INTEGER
);
CREATE INDEX search_date_lookup ON search_date (resource_type, param, low, high);
CREATE INDEX search_date_owner ON search_date (resource_type, id);
CREATE TABLE search_number (
    resource_type TEXT NOT NULL,
    id TEXT NOT NULL,
    param TEXT NOT NULL,
    low REAL,
    high REAL,
    value TEXT
);
CREATE INDEX search_number_lookup ON search_number (resource_type, param, low);
CREATE INDEX search_number_owner ON search_number (resource_type, id);
CREATE TABLE search_quantity (
    resource_type TEXT NOT NULL,
    id TEXT NOT NULL,
    param TEXT NOT NULL,
    low REAL,
    high REAL,
    system TEXT,
    code TEXT,
    canonical_low REAL,
    canonical_high REAL,
    canonical_unit TEXT
);
CREATE INDEX search_quantity_lookup ON search_quantity (resource_type, param, code, low);
CREATE INDEX search_quantity_owner ON search_quantity (resource_type, id);
CREATE TABLE search_uri (
    resource_type TEXT NOT NULL,
    id TEXT NOT NULL,
    param TEXT NOT NULL,
    value TEXT
);
CREATE INDEX search_uri_lookup ON search_uri (resource_type, param, value);
CREATE INDEX search_uri_owner ON search_uri (resource_type, id);
CREATE INDEX search_reference_target ON search_reference (target_type, target_id, param)
";

const POSTGRES: &str = "
CREATE TABLE search_token (
    resource_type TEXT NOT NULL,
    id TEXT NOT NULL,
    param TEXT NOT NULL,
    system TEXT,
    code TEXT,
    text TEXT
);
CREATE INDEX search_token_lookup ON search_token (resource_type, param, code, system);
CREATE INDEX search_token_owner ON search_token (resource_type, id);
CREATE TABLE search_string (
    resource_type TEXT NOT NULL,
    id TEXT NOT NULL,
    param TEXT NOT NULL,
    normalized TEXT,
    exact TEXT
);
CREATE INDEX search_string_lookup ON search_string (resource_type, param, normalized);
CREATE INDEX search_string_owner ON search_string (resource_type, id);
CREATE TABLE search_reference (
    resource_type TEXT NOT NULL,
    id TEXT NOT NULL,
    param TEXT NOT NULL,
    target_type TEXT,
    target_id TEXT,
    url TEXT
);
CREATE INDEX search_reference_lookup ON search_reference (resource_type, param, target_id, target_type);
CREATE INDEX search_reference_owner ON search_reference (resource_type, id);
CREATE TABLE search_date (
    resource_type TEXT NOT NULL,
    id TEXT NOT NULL,
    param TEXT NOT NULL,
    low BIGINT,
    high BIGINT
);
CREATE INDEX search_date_lookup ON search_date (resource_type, param, low, high);
CREATE INDEX search_date_owner ON search_date (resource_type, id);
CREATE TABLE search_number (
    resource_type TEXT NOT NULL,
    id TEXT NOT NULL,
    param TEXT NOT NULL,
    low DOUBLE PRECISION,
    high DOUBLE PRECISION,
    value TEXT
);
CREATE INDEX search_number_lookup ON search_number (resource_type, param, low);
CREATE INDEX search_number_owner ON search_number (resource_type, id);
CREATE TABLE search_quantity (
    resource_type TEXT NOT NULL,
    id TEXT NOT NULL,
    param TEXT NOT NULL,
    low DOUBLE PRECISION,
    high DOUBLE PRECISION,
    system TEXT,
    code TEXT,
    canonical_low DOUBLE PRECISION,
    canonical_high DOUBLE PRECISION,
    canonical_unit TEXT
);
CREATE INDEX search_quantity_lookup ON search_quantity (resource_type, param, code, low);
CREATE INDEX search_quantity_owner ON search_quantity (resource_type, id);
CREATE TABLE search_uri (
    resource_type TEXT NOT NULL,
    id TEXT NOT NULL,
    param TEXT NOT NULL,
    value TEXT
);
CREATE INDEX search_uri_lookup ON search_uri (resource_type, param, value);
CREATE INDEX search_uri_owner ON search_uri (resource_type, id);
CREATE INDEX search_reference_target ON search_reference (target_type, target_id, param)
";

const TABLES: [&str; 7] = ["search_token", "search_string", "search_reference", "search_date", "search_number", "search_quantity", "search_uri"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_script(manager, crate::for_backend(manager, SQLITE, POSTGRES)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drops: Vec<String> = TABLES.iter().map(|t| format!("DROP TABLE {t}")).collect();
        crate::run_script(manager, &drops.join(";")).await
    }
}
