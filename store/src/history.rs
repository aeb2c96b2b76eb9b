//! History of an instance, a type or the whole system, newest first, paged by a cursor on the
//! history sequence so that writes during paging never shift a page.

use chrono::{DateTime, Utc};
use domain::{Error, ResourceId, ResourceType};
use sea_orm::Value;

use crate::Store;
use crate::db::query_all;
use crate::rows::{VERSION_COLUMNS, Version};

/// Whose history.
#[derive(Debug, Clone, PartialEq)]
pub enum HistoryScope {
    System,
    Type(ResourceType),
    Instance(ResourceType, ResourceId),
}

/// Which versions of the scope: changed at or after `since`, or current at some moment of `at`
/// (a range of epoch microseconds, both ends included).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HistoryWindow {
    pub since: Option<DateTime<Utc>>,
    pub at: Option<(i64, i64)>,
}

/// One page of history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPage {
    pub versions: Vec<Version>,
    /// Versions in the whole history (all pages) matching the scope and `since`.
    pub total: u64,
    /// The cursor of the next page, when there is one.
    pub next_cursor: Option<i64>,
}

impl Store {
    /// Versions in `scope` within `window`, newest first, `count` at a time (none: the total
    /// alone), starting below `cursor` (a history sequence number from an earlier page). The
    /// history of an instance that never existed is a 404; a deleted one still has its history.
    pub async fn history(
        &self,
        scope: &HistoryScope,
        window: HistoryWindow,
        count: u32,
        cursor: Option<i64>,
    ) -> Result<HistoryPage, Error> {
        let rid = match scope {
            HistoryScope::Instance(resource_type, id) => Some(self.rid(*resource_type, id).await?),
            _ => None,
        };
        let (filter, values) = filter(scope, rid, window);
        let total = self.count_history(&filter, values.clone()).await?;
        if count == 0 {
            return Ok(HistoryPage { versions: Vec::new(), total, next_cursor: None });
        }

        let mut sql = format!("SELECT seq, {VERSION_COLUMNS} FROM resource_history WHERE {filter}");
        let mut values = values;
        if let Some(cursor) = cursor {
            sql.push_str(" AND seq < ?");
            values.push(cursor.into());
        }
        sql.push_str(" ORDER BY seq DESC LIMIT ?");
        values.push(i64::from(count + 1).into());

        let rows = query_all(&self.db, self.backend, &sql, values).await?;
        let mut versions = Vec::with_capacity(rows.len());
        let mut last_seq = None;
        for row in rows.iter().take(count as usize) {
            last_seq = Some(row.try_get_by_index::<i64>(0).map_err(unreadable)?);
            versions.push(from_row_after_seq(row)?);
        }
        let next_cursor = if rows.len() > count as usize { last_seq } else { None };
        Ok(HistoryPage { versions, total, next_cursor })
    }

    async fn rid(&self, resource_type: ResourceType, id: &ResourceId) -> Result<i64, Error> {
        let sql = "SELECT rid FROM resources WHERE resource_type = ? AND id = ?";
        let values = vec![resource_type.as_str().into(), id.as_str().into()];
        let rows = query_all(&self.db, self.backend, sql, values).await?;
        let rid = rows.first().map(|row| row.try_get_by_index::<i64>(0)).transpose();
        rid.map_err(unreadable)?.ok_or_else(|| crate::engine::not_found(resource_type))
    }

    async fn count_history(&self, filter: &str, values: Vec<Value>) -> Result<u64, Error> {
        let sql = format!("SELECT COUNT(*) FROM resource_history WHERE {filter}");
        let rows = query_all(&self.db, self.backend, &sql, values).await?;
        let count = rows.first().map(|r| r.try_get_by_index::<i64>(0)).transpose();
        Ok(count.map_err(unreadable)?.unwrap_or(0).max(0) as u64)
    }
}

fn filter(scope: &HistoryScope, rid: Option<i64>, window: HistoryWindow) -> (String, Vec<Value>) {
    let (mut sql, mut values): (String, Vec<Value>) = match (scope, rid) {
        (HistoryScope::Type(t), _) => ("resource_type = ?".into(), vec![t.as_str().into()]),
        (HistoryScope::Instance(..), Some(rid)) => ("rid = ?".into(), vec![rid.into()]),
        _ => ("1 = 1".into(), vec![]),
    };
    if let Some(since) = window.since {
        sql.push_str(" AND last_updated >= ?");
        values.push(since.timestamp_micros().into());
    }
    if let Some((low, high)) = window.at {
        // Current from its own lastUpdated until the next version's: it was current during
        // [low, high] unless it began after `high` or was replaced by `low`.
        sql.push_str(
            " AND last_updated <= ? AND NOT EXISTS (SELECT 1 FROM resource_history later \
             WHERE later.rid = resource_history.rid \
             AND later.version_id = resource_history.version_id + 1 AND later.last_updated <= ?)",
        );
        values.push(high.into());
        values.push(low.into());
    }
    (sql, values)
}

/// Reads a version from a row whose first column is `seq`.
fn from_row_after_seq(row: &sea_orm::QueryResult) -> Result<Version, Error> {
    crate::rows::from_row_at(row, 1)
}

fn unreadable(error: sea_orm::DbErr) -> Error {
    Error::internal(format!("unreadable history row: {error}"))
}

impl Store {
    /// The history interaction with its parameters (`_count`, `_since`, `_at`, `_cursor`).
    pub async fn history_interaction(
        &self,
        resource_type: Option<ResourceType>,
        id: Option<ResourceId>,
        params: &[(String, String)],
    ) -> Result<crate::Outcome, Error> {
        let scope = match (resource_type, id) {
            (Some(t), Some(id)) => HistoryScope::Instance(t, id),
            (Some(t), None) => HistoryScope::Type(t),
            _ => HistoryScope::System,
        };
        let mut count = DEFAULT_COUNT;
        let mut window = HistoryWindow::default();
        let mut cursor = None;
        for (name, value) in params {
            match name.as_str() {
                "_count" => count = parse_count(value)?,
                "_since" => window.since = Some(parse_instant(value)?),
                "_at" => window.at = Some(search::date_range(value).ok_or_else(|| bad("_at"))?),
                "_cursor" => cursor = Some(value.parse().map_err(|_| bad("_cursor"))?),
                _ => {}
            }
        }
        let page = self.history(&scope, window, count, cursor).await?;
        Ok(crate::Outcome::History(page))
    }
}

/// Entries per history page when the client does not say.
pub const DEFAULT_COUNT: u32 = 50;
/// The most entries a history page holds.
pub const MAX_COUNT: u32 = 1000;

/// `_count`, at most `MAX_COUNT`; 0 asks for the total alone.
fn parse_count(raw: &str) -> Result<u32, Error> {
    let count: u32 = raw.parse().map_err(|_| bad("_count"))?;
    Ok(count.min(MAX_COUNT))
}

fn parse_instant(raw: &str) -> Result<DateTime<Utc>, Error> {
    DateTime::parse_from_rfc3339(raw).map(|t| t.with_timezone(&Utc)).map_err(|_| bad("_since"))
}

fn bad(name: &str) -> Error {
    Error::bad_request(format!("the value of {name} is not valid"))
}
