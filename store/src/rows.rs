//! Reading and writing the rows of one resource version: `resources` holds the current version,
//! `resource_history` every version.

use chrono::{DateTime, Utc};
use domain::outcome::IssueType;
use domain::{Error, ErrorKind, ResourceId, ResourceType, VersionId};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::db::{Backend, WriteTx, execute, query_one};

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

/// The columns every version query selects from `resource_history`, in the order `from_row`
/// reads them.
pub(crate) const VERSION_COLUMNS: &str =
    "resource_type, id, version_id, last_updated, method, body";

/// `VERSION_COLUMNS` of the history row `alias`.
pub(crate) fn version_columns(alias: &str) -> String {
    VERSION_COLUMNS.split(", ").map(|c| format!("{alias}.{c}")).collect::<Vec<_>>().join(", ")
}

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

/// Where a resource stands, from its `resources` row alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    /// The key every other table uses for this resource.
    pub(crate) rid: i64,
    pub(crate) version: VersionId,
    pub(crate) deleted: bool,
}

/// The row of a resource ever written, deleted or not.
pub(crate) async fn head(
    conn: &impl ConnectionTrait,
    backend: Backend,
    resource_type: ResourceType,
    id: &ResourceId,
) -> Result<Option<Head>, Error> {
    let sql = "SELECT rid, version_id, deleted FROM resources WHERE resource_type = ? AND id = ?";
    let values = vec![resource_type.as_str().into(), id.as_str().into()];
    let Some(row) = query_one(conn, backend, sql, values).await? else { return Ok(None) };
    let rid = row.try_get_by_index::<i64>(0).map_err(column_error)?;
    let version = VersionId(row.try_get_by_index::<i64>(1).map_err(column_error)?);
    let deleted = row.try_get_by_index::<bool>(2).map_err(column_error)?;
    Ok(Some(Head { rid, version, deleted }))
}

/// The current version of a resource, deleted or not.
pub(crate) async fn current(
    conn: &impl ConnectionTrait,
    backend: Backend,
    resource_type: ResourceType,
    id: &ResourceId,
) -> Result<Option<Version>, Error> {
    let sql = format!(
        "SELECT {} FROM resources r JOIN resource_history h \
         ON h.rid = r.rid AND h.version_id = r.version_id \
         WHERE r.resource_type = ? AND r.id = ?",
        version_columns("h")
    );
    let values = vec![resource_type.as_str().into(), id.as_str().into()];
    query_one(conn, backend, &sql, values).await?.as_ref().map(from_row).transpose()
}

/// The body of the current version only: the hot path of a read.
pub(crate) async fn current_body(
    conn: &impl ConnectionTrait,
    backend: Backend,
    resource_type: ResourceType,
    id: &ResourceId,
) -> Result<Option<(VersionId, i64, Option<Vec<u8>>)>, Error> {
    let sql = "SELECT r.version_id, r.last_updated, h.body FROM resources r \
         JOIN resource_history h ON h.rid = r.rid AND h.version_id = r.version_id \
         WHERE r.resource_type = ? AND r.id = ?";
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
        "SELECT {} FROM resources r JOIN resource_history h ON h.rid = r.rid \
         WHERE r.resource_type = ? AND r.id = ? AND h.version_id = ?",
        version_columns("h")
    );
    let values = vec![resource_type.as_str().into(), id.as_str().into(), version.0.into()];
    query_one(conn, backend, &sql, values).await?.as_ref().map(from_row).transpose()
}

/// Writes `version` as the current one and stages its history row. `rid` is the resource's key
/// when it has a row already; a new row is made otherwise. Returns the key.
pub(crate) async fn write(
    tx: &mut WriteTx<'_>,
    v: &Version,
    rid: Option<i64>,
) -> Result<i64, Error> {
    let micros = v.last_updated.timestamp_micros();
    let deleted = v.body.is_none();
    let (conn, backend) = (&tx.tx, tx.backend);
    let rid = match rid {
        Some(rid) => {
            let sql = "UPDATE resources SET version_id = ?, last_updated = ?, deleted = ? \
                 WHERE rid = ?";
            let values = vec![v.version.0.into(), micros.into(), deleted.into(), rid.into()];
            execute(conn, backend, sql, values).await?;
            rid
        }
        None => insert(conn, backend, v, micros).await?,
    };
    tx.staged.add_version(rid, v);
    tx.changed.push((v.resource_type, v.id.clone()));
    Ok(rid)
}

/// The INSERT that unpacks a JSON array of history rows (as `history_row` writes them).
pub(crate) fn insert_history_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "INSERT INTO resource_history \
             (rid, resource_type, id, version_id, last_updated, method, deleted, body) \
             SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, \
             value ->> 5, value ->> 6, CAST(value ->> 7 AS BLOB) FROM jsonb_each(?)"
        }
        Backend::Postgres => {
            "INSERT INTO resource_history \
             (rid, resource_type, id, version_id, last_updated, method, deleted, body) \
             SELECT CAST(e ->> 0 AS BIGINT), e ->> 1, e ->> 2, CAST(e ->> 3 AS BIGINT), \
             CAST(e ->> 4 AS BIGINT), e ->> 5, CAST(e ->> 6 AS BOOLEAN), \
             convert_to(e ->> 7, 'UTF8') FROM json_array_elements(CAST(? AS JSON)) AS e"
        }
    }
}

/// A version's history row as a JSON array, in the columns of `insert_history_sql`. The body is
/// JSON text, which travels as a JSON string and lands as the same bytes.
pub(crate) fn history_row(rid: i64, v: &Version) -> serde_json::Value {
    let body = v.body.as_deref().map(String::from_utf8_lossy);
    serde_json::json!([
        rid,
        v.resource_type.as_str(),
        v.id.as_str(),
        v.version.0,
        v.last_updated.timestamp_micros(),
        v.method.as_str(),
        v.body.is_none(),
        body,
    ])
}

/// The row of a resource written for the first time; a conflict when its id is taken.
async fn insert(
    conn: &impl ConnectionTrait,
    backend: Backend,
    v: &Version,
    micros: i64,
) -> Result<i64, Error> {
    let sql = "INSERT INTO resources (resource_type, id, version_id, last_updated, deleted) \
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (resource_type, id) DO NOTHING RETURNING rid";
    let values = vec![
        v.resource_type.as_str().into(),
        v.id.as_str().into(),
        v.version.0.into(),
        micros.into(),
        v.body.is_none().into(),
    ];
    let row = query_one(conn, backend, sql, values).await?;
    let row =
        row.ok_or_else(|| Error::new(ErrorKind::Conflict, IssueType::Conflict, "the id is taken"))?;
    row.try_get_by_index::<i64>(0).map_err(column_error)
}
