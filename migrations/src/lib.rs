//! Panorama's database schema as sea-orm migrations, one per file, never edited once landed.
//!
//! Migrations speak plain SQL per backend because the two backends differ in the types that
//! matter here (bytes, auto-increment keys); the store is the only other place that knows SQL.

use sea_orm_migration::prelude::*;

mod m20261203_000001_create_resources;
mod m20261203_000002_create_search_indexes;
mod m20261204_000003_sqlite_planner_hint;

/// Every migration, in the order they apply.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261203_000001_create_resources::Migration),
            Box::new(m20261203_000002_create_search_indexes::Migration),
            Box::new(m20261204_000003_sqlite_planner_hint::Migration),
        ]
    }
}

/// Runs each statement of a `;`-separated script.
async fn run_script(manager: &SchemaManager<'_>, script: &str) -> Result<(), DbErr> {
    let connection = manager.get_connection();
    for statement in script.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        connection.execute_unprepared(statement).await?;
    }
    Ok(())
}

/// Picks the script written for the connected backend.
fn for_backend<'a>(manager: &SchemaManager<'_>, sqlite: &'a str, postgres: &'a str) -> &'a str {
    match manager.get_database_backend() {
        sea_orm_migration::sea_orm::DatabaseBackend::Postgres => postgres,
        _ => sqlite,
    }
}

pub use sea_orm_migration::MigratorTrait;
