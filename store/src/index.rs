//! Search index rows: written with each version, removed when a version stops being current.

use domain::{Error, Resource, ResourceId, ResourceType};
use sea_orm::ConnectionTrait;
use serde_json::Value;

use crate::db::{Backend, execute};

const TABLES: [&str; 7] = [
    "search_token",
    "search_string",
    "search_reference",
    "search_date",
    "search_number",
    "search_quantity",
    "search_uri",
];

/// Removes every index row of a resource.
pub(crate) async fn remove(
    conn: &impl ConnectionTrait,
    backend: Backend,
    resource_type: ResourceType,
    id: &ResourceId,
) -> Result<(), Error> {
    for table in TABLES {
        let sql = format!("DELETE FROM {table} WHERE resource_type = ? AND id = ?");
        execute(conn, backend, &sql, vec![resource_type.as_str().into(), id.as_str().into()])
            .await?;
    }
    Ok(())
}

/// Writes the index rows of a resource's new current version.
pub(crate) async fn add(
    conn: &impl ConnectionTrait,
    backend: Backend,
    resource: &Resource,
    id: &ResourceId,
) -> Result<(), Error> {
    // FIXME(#3): only `identifier` is indexed until the search crate extracts every parameter.
    let identifiers = match resource.json().get("identifier") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single @ Value::Object(_)) => vec![single],
        _ => vec![],
    };
    for identifier in identifiers {
        let system = identifier.get("system").and_then(Value::as_str);
        let code = identifier.get("value").and_then(Value::as_str);
        let sql = "INSERT INTO search_token (resource_type, id, param, system, code, text) \
                   VALUES (?, ?, ?, ?, ?, NULL)";
        let values = vec![
            resource.resource_type().as_str().into(),
            id.as_str().into(),
            "identifier".into(),
            system.map(str::to_owned).into(),
            code.map(str::to_owned).into(),
        ];
        execute(conn, backend, sql, values).await?;
    }
    Ok(())
}
