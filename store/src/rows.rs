//! Reading and writing the rows of one resource version: `resources` holds the current version,
//! `resource_history` every version.

use chrono::{DateTime, Utc};
use domain::{Error, ResourceId, ResourceType, VersionId};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::db::{Backend, execute, query_one};

/// How a version came to be, as history's `request.method` tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredMethod {
    Post,
    Put,
    Patch,
    Delete,
}

impl StoredMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            StoredMethod::Post => "POST",
            StoredMethod::Put => "PUT",
            StoredMethod::Patch => "PATCH",
            StoredMethod::Delete => "DELETE",
        }
    }

    fn parse(raw: &str) -> StoredMethod {
        match raw {
            "POST" => StoredMethod::Post,
            "PATCH" => StoredMethod::Patch,
            "DELETE" => StoredMethod::Delete,
            _ => StoredMethod::Put,
        }
    }
}

/// One version of one resource, with the exact bytes to serve (none for a deletion).
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub resource_type: ResourceType,
    pub id: ResourceId,
    pub version: VersionId,
    pub last_updated: DateTime<Utc>,
    pub method: StoredMethod,
    pub body: Option<Vec<u8>>,
}

impl Version {
    pub fn is_deleted(&self) -> bool {
        self.body.is_none()
    }
}

/// The columns every version query selects, in the order `from_row` reads them.
pub(crate) const VERSION_COLUMNS: &str =
    "resource_type, id, version_id, last_updated, method, body";

/// Reads a row selected with `VERSION_COLUMNS`.
pub(crate) fn from_row(row: &QueryResult) -> Result<Version, Error> {
    from_row_at(row, 0)
}

/// Reads `VERSION_COLUMNS` starting at column `first`.
pub(crate) fn from_row_at(row: &QueryResult, first: usize) -> Result<Version, Error> {
    let get_text = |i| row.try_get_by_index::<String>(first + i).map_err(column_error);
    let resource_type = ResourceType::parse(&get_text(0)?)
        .ok_or_else(|| Error::internal("stored row with an unknown resource type"))?;
    let id = ResourceId::parse(&get_text(1)?)
        .ok_or_else(|| Error::internal("stored row with an invalid id"))?;
    let version = VersionId(row.try_get_by_index::<i64>(first + 2).map_err(column_error)?);
    let micros = row.try_get_by_index::<i64>(first + 3).map_err(column_error)?;
    let last_updated = DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| Error::internal("stored row with an invalid time"))?;
    let method = StoredMethod::parse(&get_text(4)?);
    let body = row.try_get_by_index::<Option<Vec<u8>>>(first + 5).map_err(column_error)?;
    Ok(Version { resource_type, id, version, last_updated, method, body })
}

fn column_error(error: sea_orm::DbErr) -> Error {
    Error::internal(format!("unreadable stored row: {error}"))
}

/// The current version of a resource, deleted or not.
pub(crate) async fn current(
    conn: &impl ConnectionTrait,
    backend: Backend,
    resource_type: ResourceType,
    id: &ResourceId,
) -> Result<Option<Version>, Error> {
    // The current row lacks `method`; the history row of the same version has it.
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM resource_history WHERE resource_type = ? AND id = ? \
         AND version_id = (SELECT version_id FROM resources WHERE resource_type = ? AND id = ?)"
    );
    let values = vec![
        resource_type.as_str().into(),
        id.as_str().into(),
        resource_type.as_str().into(),
        id.as_str().into(),
    ];
    query_one(conn, backend, &sql, values).await?.as_ref().map(from_row).transpose()
}

/// The body of the current version only: the hot path of a read.
pub(crate) async fn current_body(
    conn: &impl ConnectionTrait,
    backend: Backend,
    resource_type: ResourceType,
    id: &ResourceId,
) -> Result<Option<(VersionId, i64, Option<Vec<u8>>)>, Error> {
    let sql =
        "SELECT version_id, last_updated, body FROM resources WHERE resource_type = ? AND id = ?";
    let values = vec![resource_type.as_str().into(), id.as_str().into()];
    let Some(row) = query_one(conn, backend, sql, values).await? else { return Ok(None) };
    let version = row.try_get_by_index::<i64>(0).map_err(column_error)?;
    let micros = row.try_get_by_index::<i64>(1).map_err(column_error)?;
    let body = row.try_get_by_index::<Option<Vec<u8>>>(2).map_err(column_error)?;
    Ok(Some((VersionId(version), micros, body)))
}

/// One given version.
pub(crate) async fn version(
    conn: &impl ConnectionTrait,
    backend: Backend,
    resource_type: ResourceType,
    id: &ResourceId,
    version: VersionId,
) -> Result<Option<Version>, Error> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM resource_history \
         WHERE resource_type = ? AND id = ? AND version_id = ?"
    );
    let values = vec![resource_type.as_str().into(), id.as_str().into(), version.0.into()];
    query_one(conn, backend, &sql, values).await?.as_ref().map(from_row).transpose()
}

/// Writes `version` as the current one and appends it to the history.
pub(crate) async fn write(
    conn: &impl ConnectionTrait,
    backend: Backend,
    v: &Version,
) -> Result<(), Error> {
    let micros = v.last_updated.timestamp_micros();
    let deleted = v.body.is_none();
    let upsert = "INSERT INTO resources (resource_type, id, version_id, last_updated, deleted, body) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (resource_type, id) DO UPDATE SET \
         version_id = excluded.version_id, last_updated = excluded.last_updated, \
         deleted = excluded.deleted, body = excluded.body";
    let values = vec![
        v.resource_type.as_str().into(),
        v.id.as_str().into(),
        v.version.0.into(),
        micros.into(),
        deleted.into(),
        v.body.clone().into(),
    ];
    execute(conn, backend, upsert, values).await?;

    let append = "INSERT INTO resource_history \
         (resource_type, id, version_id, last_updated, method, deleted, body) \
         VALUES (?, ?, ?, ?, ?, ?, ?)";
    let values = vec![
        v.resource_type.as_str().into(),
        v.id.as_str().into(),
        v.version.0.into(),
        micros.into(),
        v.method.as_str().into(),
        deleted.into(),
        v.body.clone().into(),
    ];
    execute(conn, backend, append, values).await
}
