//! The current version of each resource and the full history of every version.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

// `body` holds the JSON exactly as it will be served, as bytes on both backends, so what a client
// sent is never re-serialized by the database. Times are microseconds since the Unix epoch (UTC).
const SQLITE: &str = "
CREATE TABLE resources (
    resource_type TEXT NOT NULL,
    id TEXT NOT NULL,
    version_id INTEGER NOT NULL,
    last_updated INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    body BLOB,
    PRIMARY KEY (resource_type, id)
) WITHOUT ROWID;
CREATE TABLE resource_history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_type TEXT NOT NULL,
    id TEXT NOT NULL,
    version_id INTEGER NOT NULL,
    last_updated INTEGER NOT NULL,
    method TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    body BLOB,
    UNIQUE (resource_type, id, version_id)
);
CREATE INDEX resource_history_type_seq ON resource_history (resource_type, seq);
CREATE INDEX resource_history_last_updated ON resource_history (last_updated)
";

const POSTGRES: &str = "
CREATE TABLE resources (
    resource_type TEXT NOT NULL,
    id TEXT NOT NULL,
    version_id BIGINT NOT NULL,
    last_updated BIGINT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    body BYTEA,
    PRIMARY KEY (resource_type, id)
);
CREATE TABLE resource_history (
    seq BIGSERIAL PRIMARY KEY,
    resource_type TEXT NOT NULL,
    id TEXT NOT NULL,
    version_id BIGINT NOT NULL,
    last_updated BIGINT NOT NULL,
    method TEXT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    body BYTEA,
    UNIQUE (resource_type, id, version_id)
);
CREATE INDEX resource_history_type_seq ON resource_history (resource_type, seq);
CREATE INDEX resource_history_last_updated ON resource_history (last_updated)
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_script(manager, crate::for_backend(manager, SQLITE, POSTGRES)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_script(manager, "DROP TABLE resource_history; DROP TABLE resources").await
    }
}
