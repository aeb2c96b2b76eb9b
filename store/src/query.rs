//! Search: search parameters compiled into SQL over the index tables.

use domain::interaction::Params;
use domain::{Error, ResourceId, ResourceType};
use sea_orm::{ConnectionTrait, Value};

use crate::db::{Backend, query_all};
use crate::engine::SearchPage;
use crate::rows::{VERSION_COLUMNS, from_row};

/// The ids of current resources of `resource_type` matching `params`, at most `limit`.
pub(crate) async fn matching_ids(
    conn: &impl ConnectionTrait,
    backend: Backend,
    resource_type: ResourceType,
    params: &Params,
    limit: u32,
) -> Result<Vec<ResourceId>, Error> {
    let (filter, mut values) = compile(resource_type, params)?;
    let sql = format!("SELECT r.id FROM resources r WHERE {filter} ORDER BY r.id LIMIT ?");
    values.push(i64::from(limit).into());
    let rows = query_all(conn, backend, &sql, values).await?;
    rows.iter()
        .map(|row| {
            let id = row.try_get_by_index::<String>(0).map_err(|e| Error::internal(e.to_string()))?;
            ResourceId::parse(&id).ok_or_else(|| Error::internal("stored row with an invalid id"))
        })
        .collect()
}

/// A page of search results.
pub(crate) async fn search(
    conn: &impl ConnectionTrait,
    backend: Backend,
    resource_type: Option<ResourceType>,
    params: &Params,
) -> Result<SearchPage, Error> {
    // FIXME(#3): system-wide search and most parameters wait for the search crate.
    let resource_type =
        resource_type.ok_or_else(|| Error::not_supported("system-wide search is not supported yet"))?;
    let (filter, values) = compile(resource_type, params)?;
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM resource_history h WHERE EXISTS (SELECT 1 FROM resources r \
         WHERE {filter} AND h.resource_type = r.resource_type AND h.id = r.id \
         AND h.version_id = r.version_id) ORDER BY h.id LIMIT 100"
    );
    let rows = query_all(conn, backend, &sql, values).await?;
    let matches = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    let total = Some(matches.len() as u64);
    Ok(SearchPage { matches, total, next_offset: None, ignored: vec![] })
}

fn compile(resource_type: ResourceType, params: &Params) -> Result<(String, Vec<Value>), Error> {
    let mut sql = String::from("r.resource_type = ? AND r.deleted = ?");
    let mut values: Vec<Value> = vec![resource_type.as_str().into(), false.into()];
    for (name, value) in params {
        match name.as_str() {
            "_id" => {
                let ids: Vec<&str> = value.split(',').collect();
                let marks = vec!["?"; ids.len()].join(", ");
                sql.push_str(&format!(" AND r.id IN ({marks})"));
                values.extend(ids.into_iter().map(|id| Value::from(id.to_owned())));
            }
            "identifier" => {
                let (clause, token_values) = token_clause(name, value);
                sql.push_str(&clause);
                values.extend(token_values);
            }
            _ => {}
        }
    }
    Ok((sql, values))
}

fn token_clause(param: &str, value: &str) -> (String, Vec<Value>) {
    let mut clause = String::from(
        " AND EXISTS (SELECT 1 FROM search_token t WHERE t.resource_type = r.resource_type \
         AND t.id = r.id AND t.param = ?",
    );
    let mut values: Vec<Value> = vec![param.into()];
    match value.split_once('|') {
        Some(("", code)) => {
            clause.push_str(" AND t.system IS NULL AND t.code = ?");
            values.push(code.into());
        }
        Some((system, "")) => {
            clause.push_str(" AND t.system = ?");
            values.push(system.into());
        }
        Some((system, code)) => {
            clause.push_str(" AND t.system = ? AND t.code = ?");
            values.extend([Value::from(system.to_owned()), Value::from(code.to_owned())]);
        }
        None => {
            clause.push_str(" AND t.code = ?");
            values.push(value.into());
        }
    }
    clause.push(')');
    (clause, values)
}
