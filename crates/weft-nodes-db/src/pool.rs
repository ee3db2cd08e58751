//! Small connection pools, one per credential, kept by the node between steps.
//!
//! Deliberately not sqlx's `Pool`: it retries refused connections until its acquire timeout
//! and then reports only "pool timed out", while a step should fail at once with the real
//! cause and leave retrying to the node's retry policy.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Most connections one pool holds open (idle or in use) at once.
pub const MAX_CONNECTIONS_PER_POOL: usize = 4;
/// Most pools the node keeps; the least recently used is dropped past this.
pub const MAX_POOLS: usize = 32;
/// An idle connection older than this is closed rather than reused.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// Idle connections plus a bound on how many exist.
pub(crate) struct ConnPool<C> {
    idle: Mutex<Vec<(C, Instant)>>,
    permits: Arc<Semaphore>,
}

impl<C> Default for ConnPool<C> {
    fn default() -> Self {
        ConnPool {
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(MAX_CONNECTIONS_PER_POOL)),
        }
    }
}

/// The right to hold one connection of a pool; the connection comes back with [`Lease::keep`].
pub(crate) struct Lease<C> {
    pool: Arc<ConnPool<C>>,
    _permit: OwnedSemaphorePermit,
}

impl<C> ConnPool<C> {
    /// Waits for a free slot, then hands out an idle connection if there is a fresh one.
    /// `None` means: open a new one.
    pub async fn acquire(self: &Arc<Self>) -> (Lease<C>, Option<C>) {
        let permit = match self.permits.clone().acquire_owned().await {
            Ok(p) => p,
            // The semaphore is never closed; a fresh one keeps this total.
            Err(_) => Arc::new(Semaphore::new(1))
                .acquire_owned()
                .await
                .unwrap_or_else(|_| unreachable!("a new semaphore is open")),
        };
        let now = Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        idle.retain(|(_, since)| now.duration_since(*since) < IDLE_TIMEOUT);
        let conn = idle.pop().map(|(c, _)| c);
        drop(idle);
        (
            Lease {
                pool: self.clone(),
                _permit: permit,
            },
            conn,
        )
    }
}

impl<C> Lease<C> {
    /// Returns a healthy connection to the pool. A connection that is not kept (an error left
    /// it in an unknown state) is simply dropped, which closes it.
    pub fn keep(self, conn: C) {
        self.pool
            .idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((conn, Instant::now()));
    }
}

/// Pools by key (backend, credential id and a digest of its fields), least recently used
/// dropped first.
pub(crate) struct PoolMap<P> {
    pools: Mutex<HashMap<String, (Arc<P>, Instant)>>,
}

impl<P> Default for PoolMap<P> {
    fn default() -> Self {
        PoolMap {
            pools: Mutex::new(HashMap::new()),
        }
    }
}

impl<P> PoolMap<P> {
    /// The pool under `key`, made by `make` when absent.
    pub fn get_or_insert(&self, key: &str, make: impl FnOnce() -> P) -> Arc<P> {
        let mut pools = self.pools.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if let Some((pool, used)) = pools.get_mut(key) {
            *used = now;
            return pool.clone();
        }
        if pools.len() >= MAX_POOLS
            && let Some(oldest) = pools
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
        {
            pools.remove(&oldest);
        }
        let pool = Arc::new(make());
        pools.insert(key.to_string(), (pool.clone(), now));
        pool
    }

    /// How many pools are kept.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.pools.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connections_come_back_and_pools_are_bounded() {
        let pool: Arc<ConnPool<u32>> = Arc::default();
        let (lease, conn) = pool.acquire().await;
        assert!(conn.is_none());
        lease.keep(7);
        let (lease, conn) = pool.acquire().await;
        assert_eq!(conn, Some(7));
        drop(lease); // not kept: gone
        let (_lease, conn) = pool.acquire().await;
        assert_eq!(conn, None);

        let map: PoolMap<u32> = PoolMap::default();
        for i in 0..(MAX_POOLS + 5) {
            map.get_or_insert(&format!("k{i}"), || i as u32);
        }
        assert_eq!(map.len(), MAX_POOLS);
        assert_eq!(*map.get_or_insert("k40", || 0), 0);
    }
}
