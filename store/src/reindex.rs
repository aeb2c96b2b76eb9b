//! Rebuilding the search index from the stored resources, after the extraction rules changed
//! (a new server version): every current version's rows are written again from its body.

use domain::{Error, Resource, ResourceType};

use crate::Store;
use crate::db::query_all;

/// Resources rewritten per write transaction: large enough to write few statements, small
/// enough that other writers wait little for their turn.
const BATCH: i64 = 500;

impl Store {
    /// Writes again the index rows of every current resource, `BATCH` at a time, calling
    /// `progress` with the number done so far. Returns how many resources were reindexed.
    pub async fn reindex(&self, progress: impl Fn(u64)) -> Result<u64, Error> {
        let (mut after, mut done) = (0_i64, 0_u64);
        loop {
            let batch = self.next_batch(after).await?;
            let Some(&(last, _, _)) = batch.last() else { return Ok(done) };
            let mut tx = self.begin_write().await?;
            for (rid, resource_type, body) in batch {
                tx.staged.remove(rid);
                if let Some(body) = body {
                    let resource = Resource::parse(&body)?;
                    tx.staged.add(resource_type, search::extract(resource.json()), rid);
                    done += 1;
                }
            }
            tx.commit().await?;
            progress(done);
            after = last;
        }
    }

    /// The next resources after the key `after`, with their type and current body (none for
    /// a deleted resource, whose rows go).
    async fn next_batch(
        &self,
        after: i64,
    ) -> Result<Vec<(i64, ResourceType, Option<Vec<u8>>)>, Error> {
        let sql = "SELECT r.rid, r.resource_type, h.body FROM resources r \
             JOIN resource_history h ON h.rid = r.rid AND h.version_id = r.version_id \
             WHERE r.rid > ? ORDER BY r.rid LIMIT ?";
        let rows = query_all(&self.db, self.backend, sql, vec![after.into(), BATCH.into()]).await?;
        let unreadable = |e: sea_orm::DbErr| Error::internal(format!("unreadable row: {e}"));
        rows.iter()
            .map(|row| {
                let rid = row.try_get_by_index::<i64>(0).map_err(unreadable)?;
                let name = row.try_get_by_index::<String>(1).map_err(unreadable)?;
                let resource_type = ResourceType::parse(&name)
                    .ok_or_else(|| Error::internal("stored row with an unknown resource type"))?;
                let body = row.try_get_by_index::<Option<Vec<u8>>>(2).map_err(unreadable)?;
                Ok((rid, resource_type, body))
            })
            .collect()
    }
}
