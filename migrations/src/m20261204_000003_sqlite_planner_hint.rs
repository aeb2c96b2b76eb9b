//! SQLite's query planner, without statistics, guesses that `resources.resource_type = ?`
//! selects a handful of rows, so a search for one patient's reports walked every report and
//! tested each against the patient's index rows. One statistics row tells it the truth that
//! matters (a type has many resources, an id one): it then starts from the index rows and
//! finds each resource by its key. `ANALYZE` or `PRAGMA optimize` later replace it with
//! measured statistics, which say the same. PostgreSQL gathers its own statistics.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

// `ANALYZE` of the empty `resources` table creates `sqlite_stat1`, which cannot be created
// otherwise; `ANALYZE sqlite_schema` then loads the row written into this connection's planner
// (connections opened later read it when they open).
const HINT: &str = "
PRAGMA analysis_limit = 100;
ANALYZE resources;
DELETE FROM sqlite_stat1 WHERE tbl = 'resources';
INSERT INTO sqlite_stat1 (tbl, idx, stat)
    VALUES ('resources', 'sqlite_autoindex_resources_1', '1000000 100000 1');
ANALYZE sqlite_schema";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => crate::run_script(manager, HINT).await,
            _ => Ok(()),
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                crate::run_script(manager, "DELETE FROM sqlite_stat1 WHERE tbl = 'resources'").await
            }
            _ => Ok(()),
        }
    }
}
