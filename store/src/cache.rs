//! The current versions of recently read resources, kept in memory so that a read of one
//! finds it without a database round trip. Only a process that is the sole writer of its
//! database may keep them (the server on its own SQLite data dir): a write by another process
//! would leave them stale. Within the process, every committed write forgets what it changed.
//!
//! A read that missed races with writes: it may fetch a version just before a write commits
//! and cache it just after the write forgot it. So each read notes the count of committed
//! writes before it fetches and, after caching, forgets its entry again when that count moved.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use domain::{ResourceId, ResourceType, VersionId};
use quick_cache::Weighter;
use quick_cache::sync::Cache;

/// A resource's identity in the cache.
type Key = (ResourceType, ResourceId);

/// A current version as a read serves it: its number, its time in microseconds and its body.
#[derive(Debug, Clone)]
pub(crate) struct Current {
    pub(crate) version: VersionId,
    pub(crate) micros: i64,
    pub(crate) body: Arc<[u8]>,
}

/// Bytes held for an entry besides its body (key, bookkeeping), for the memory budget.
const ENTRY_OVERHEAD: u64 = 96;

#[derive(Debug, Clone)]
struct Bytes;

impl Weighter<Key, Current> for Bytes {
    fn weight(&self, _key: &Key, value: &Current) -> u64 {
        value.body.len() as u64 + ENTRY_OVERHEAD
    }
}

#[derive(Debug)]
pub(crate) struct CurrentVersions {
    entries: Cache<Key, Current, Bytes>,
    /// Writes committed so far, for reads racing with them.
    writes: AtomicU64,
}

/// A read that missed: where it will cache what it fetched.
#[derive(Debug)]
pub(crate) struct Miss<'a> {
    cache: &'a CurrentVersions,
    key: Key,
    writes_before: u64,
}

impl CurrentVersions {
    /// A cache holding at most about `budget` bytes of bodies.
    pub(crate) fn new(budget: u64) -> CurrentVersions {
        // Synthea's resources average a few kilobytes.
        let items = usize::try_from(budget / 4096).unwrap_or(usize::MAX).max(16);
        CurrentVersions {
            entries: Cache::with_weighter(items, budget, Bytes),
            writes: AtomicU64::new(0),
        }
    }

    /// The cached current version, or the `Miss` through which to cache it once fetched.
    pub(crate) fn get(
        &self,
        resource_type: ResourceType,
        id: &ResourceId,
    ) -> Result<Current, Miss<'_>> {
        let writes_before = self.writes.load(Ordering::SeqCst);
        let key = (resource_type, id.clone());
        match self.entries.get(&key) {
            Some(current) => Ok(current),
            None => Err(Miss { cache: self, key, writes_before }),
        }
    }

    /// Forgets the resources a transaction changed, once it has committed.
    pub(crate) fn committed<'k>(&self, changed: impl IntoIterator<Item = &'k Key>) {
        self.writes.fetch_add(1, Ordering::SeqCst);
        for key in changed {
            self.entries.remove(key);
        }
    }
}

impl Miss<'_> {
    /// Caches `current`, fetched from the database after the miss, unless a write committed
    /// meanwhile (it may be older than that write).
    pub(crate) fn fill(self, current: Current) {
        let Miss { cache, key, writes_before } = self;
        cache.entries.insert(key.clone(), current);
        if cache.writes.load(Ordering::SeqCst) != writes_before {
            cache.entries.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    // reason: a test reports its failure by panicking
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn version(n: i64) -> Current {
        Current { version: VersionId(n), micros: n, body: Arc::from(&b"{}"[..]) }
    }

    fn patient(id: &str) -> (ResourceType, ResourceId) {
        (ResourceType::parse("Patient").unwrap(), ResourceId::parse(id).unwrap())
    }

    #[test]
    fn a_filled_miss_is_found_until_a_write_changes_it() {
        let cache = CurrentVersions::new(1 << 20);
        let (patient_type, id) = patient("a");
        let miss = cache.get(patient_type, &id).unwrap_err();
        miss.fill(version(1));
        assert_eq!(cache.get(patient_type, &id).unwrap().version, VersionId(1));
        cache.committed([&(patient_type, id.clone())]);
        assert!(cache.get(patient_type, &id).is_err());
    }

    #[test]
    fn a_version_fetched_before_a_write_committed_is_not_kept() {
        let cache = CurrentVersions::new(1 << 20);
        let (patient_type, id) = patient("a");
        let miss = cache.get(patient_type, &id).unwrap_err();
        // The write commits and forgets the resource before the read caches its older copy.
        cache.committed([&(patient_type, id.clone())]);
        miss.fill(version(1));
        assert!(cache.get(patient_type, &id).is_err(), "version 1 is stale");
    }

    #[test]
    fn the_budget_bounds_what_is_kept() {
        let cache = CurrentVersions::new(64 * 1024);
        for n in 0..1000 {
            let (patient_type, id) = patient(&format!("p{n}"));
            let body: Arc<[u8]> = vec![b' '; 1024].into();
            let miss = cache.get(patient_type, &id).unwrap_err();
            miss.fill(Current { version: VersionId(1), micros: 0, body });
        }
        assert!(cache.entries.weight() <= 64 * 1024, "{}", cache.entries.weight());
    }
}
