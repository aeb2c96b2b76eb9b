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

#[cfg(test)]
mod tests {
    // reason: a test reports its failure by panicking
    #![allow(clippy::unwrap_used)]

    use domain::interaction::Interaction;
    use serde_json::json;

    use crate::index::Table;
    use crate::{Outcome, Store};

    async fn matches(store: &Store, family: &str) -> usize {
        let search = Interaction::Search {
            resource_type: ResourceType::parse("Patient"),
            params: vec![("family".into(), family.into())],
            strict: true,
            compartment: None,
        };
        match store.execute(search).await.unwrap() {
            Outcome::Search(page) => page.matches.len(),
            other => panic!("not a search page: {other:?}"),
        }
    }

    use super::*;

    /// An in-memory SQLite database, or a scratch PostgreSQL one (dropped by the caller) when
    /// the suite runs on PostgreSQL.
    async fn scratch_store() -> (Store, Option<(String, String)>) {
        let admin = std::env::var("PANORAMA_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty());
        let (url, scratch) = match admin {
            None => ("sqlite::memory:".to_owned(), None),
            Some(admin) => {
                let nanos = std::time::UNIX_EPOCH.elapsed().unwrap().as_nanos();
                let name = format!("panorama_test_reindex_{}_{nanos}", std::process::id());
                let url = crate::scratch::create_database(&admin, &name).await.unwrap();
                (url, Some((admin, name)))
            }
        };
        let store = Store::open(&url, 1).await.unwrap();
        store.migrate().await.unwrap();
        (store, scratch)
    }

    #[tokio::test]
    async fn lost_index_rows_are_written_again() {
        let (store, scratch) = scratch_store().await;
        for (family, id) in [("Müller", "a"), ("Zoë", "b"), ("Dupont", "c")] {
            let body = json!({"resourceType": "Patient", "id": id, "name": [{"family": family}]});
            let resource = Resource::parse(body.to_string().as_bytes()).unwrap();
            let update = Interaction::Update {
                id: domain::ResourceId::parse(id).unwrap(),
                resource,
                if_match: None,
                if_none_match: None,
            };
            store.execute(update).await.unwrap();
        }
        let delete = Interaction::Delete {
            resource_type: ResourceType::parse("Patient").unwrap(),
            id: domain::ResourceId::parse("c").unwrap(),
            if_match: None,
        };
        store.execute(delete).await.unwrap();
        assert_eq!(matches(&store, "muller").await, 1);
        for table in Table::ALL {
            crate::db::execute(
                &store.db,
                store.backend,
                &format!("DELETE FROM {}", table.name()),
                vec![],
            )
            .await
            .unwrap();
        }
        assert_eq!(matches(&store, "muller").await, 0);

        let seen = std::sync::Mutex::new(Vec::new());
        let done = store.reindex(|done| seen.lock().unwrap().push(done)).await.unwrap();

        assert_eq!(done, 2, "the deleted resource gets no rows");
        assert_eq!(*seen.lock().unwrap(), vec![2]);
        assert_eq!(matches(&store, "muller").await, 1);
        assert_eq!(matches(&store, "zoe").await, 1);
        assert_eq!(matches(&store, "dupont").await, 0);
        if let Some((admin, name)) = scratch {
            drop(store);
            crate::scratch::drop_database(&admin, &name).await.unwrap();
        }
    }
}
