//! Figures computed from a creator's rollups, kept per instance.
//!
//! Every key holds the creator's `rollup_version` (read with the creator row on every request): any
//! change to any of the creator's sales gives it a new value, on every instance, and it never comes
//! back (migration `rollup_version`). An entry can therefore never be stale; old ones are simply
//! never asked for again and make room for new ones. Concurrent first requests for one key compute
//! it once.

use std::future::Future;
use std::hash::Hash;

use crate::domain::TenantId;
use crate::store::creators::Creator;

pub struct RollupCache<K, V> {
    entries: quick_cache::sync::Cache<(TenantId, i64, K), V>,
}

impl<K: Eq + Hash + Clone, V: Clone> RollupCache<K, V> {
    /// Holds about `capacity` entries (of every creator together).
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: quick_cache::sync::Cache::new(capacity),
        }
    }

    /// The cached value for this creator's current rollups and `key`, or `compute`'s (kept if `Ok`).
    pub async fn get_or_compute<E>(
        &self,
        creator: &Creator,
        key: K,
        compute: impl Future<Output = Result<V, E>>,
    ) -> Result<V, E> {
        self.entries
            .get_or_insert_async(&(creator.id, creator.rollup_version, key), compute)
            .await
    }
}
