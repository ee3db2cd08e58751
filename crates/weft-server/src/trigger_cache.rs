//! The published triggers a process consults on hot paths, cached in memory: the webhook
//! routing table (every request) and run-completed listeners (every finished run).
//!
//! Both are reloaded when the store's routes generation changes, which every change to routes
//! or listeners moves; the generation is read at most every 500 ms, and at once after a
//! publish in this process ([`TriggerCache::invalidate`]). A change made by another process is
//! seen within that half second.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use weft_store_api::control::{ControlPlane, ListenerEntry, RouteEntry};
use weft_store_api::{StoreResult, TenantScope};

/// What the cache reads: the three trigger queries of [`ControlPlane`].
#[async_trait::async_trait]
pub trait TriggerSource: Send + Sync {
    /// See [`ControlPlane::routes_generation`].
    async fn routes_generation(&self) -> StoreResult<i64>;
    /// See [`ControlPlane::webhook_routes`].
    async fn webhook_routes(&self) -> StoreResult<Vec<RouteEntry>>;
    /// See [`ControlPlane::listeners_of`].
    async fn listeners_of(
        &self,
        scope: &TenantScope,
        source: &str,
    ) -> StoreResult<Vec<ListenerEntry>>;
}

#[async_trait::async_trait]
impl<T: ControlPlane + ?Sized> TriggerSource for T {
    async fn routes_generation(&self) -> StoreResult<i64> {
        ControlPlane::routes_generation(self).await
    }
    async fn webhook_routes(&self) -> StoreResult<Vec<RouteEntry>> {
        ControlPlane::webhook_routes(self).await
    }
    async fn listeners_of(
        &self,
        scope: &TenantScope,
        source: &str,
    ) -> StoreResult<Vec<ListenerEntry>> {
        ControlPlane::listeners_of(self, scope, source).await
    }
}

/// How long a generation read is trusted.
const CHECK_EVERY: Duration = Duration::from_millis(500);

/// Listeners by (organization, watched workflow).
type ListenerMap = HashMap<(String, String), Arc<Vec<ListenerEntry>>>;

/// Routes and listeners, valid for one routes generation.
pub struct TriggerCache {
    routes: RwLock<Arc<Vec<RouteEntry>>>,
    /// Listeners by (organization, watched workflow), filled as runs finish.
    listeners: Mutex<ListenerMap>,
    generation: AtomicI64,
    /// Bumped by [`TriggerCache::invalidate`].
    invalidations: AtomicU64,
    /// The invalidations the loaded tables reflect (`u64::MAX`: nothing loaded yet).
    loaded: AtomicU64,
    checked: Mutex<Option<Instant>>,
    reload: tokio::sync::Mutex<()>,
}

impl Default for TriggerCache {
    fn default() -> Self {
        TriggerCache {
            routes: RwLock::new(Arc::new(Vec::new())),
            listeners: Mutex::new(HashMap::new()),
            generation: AtomicI64::new(i64::MIN),
            invalidations: AtomicU64::new(0),
            loaded: AtomicU64::new(u64::MAX),
            checked: Mutex::new(None),
            reload: tokio::sync::Mutex::new(()),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl TriggerCache {
    /// Forces a reload before the next look-up (after a publish in this process).
    pub fn invalidate(&self) {
        self.invalidations.fetch_add(1, Ordering::AcqRel);
    }

    fn stale(&self) -> bool {
        self.loaded.load(Ordering::Acquire) != self.invalidations.load(Ordering::Acquire)
    }

    /// Reloads the routes and forgets the listeners when the generation moved or the cache
    /// was invalidated. A look-up that finds the cache stale waits for the reload in progress
    /// rather than reading the table it replaces.
    async fn refresh(&self, control: &(impl TriggerSource + ?Sized)) -> StoreResult<()> {
        let due = {
            let mut checked = lock(&self.checked);
            let due = checked.is_none_or(|t| t.elapsed() > CHECK_EVERY);
            if due {
                *checked = Some(Instant::now());
            }
            due
        };
        if !due && !self.stale() {
            return Ok(());
        }
        let _guard = self.reload.lock().await;
        // What this reload will reflect: invalidations made before it reads the tables.
        let invalidations = self.invalidations.load(Ordering::Acquire);
        let stale = self.loaded.load(Ordering::Acquire) != invalidations;
        if !due && !stale {
            // Another look-up reloaded while this one waited.
            return Ok(());
        }
        let generation = control.routes_generation().await?;
        if stale || generation != self.generation.load(Ordering::Acquire) {
            let routes = control.webhook_routes().await?;
            *self.routes.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(routes);
            // The generation first: a listener look-up that read the older table then
            // either sees it moved or is cleared here.
            self.generation.store(generation, Ordering::Release);
            lock(&self.listeners).clear();
            self.loaded.store(invalidations, Ordering::Release);
        }
        Ok(())
    }

    /// Every webhook route of every published workflow.
    pub async fn routes(
        &self,
        control: &(impl TriggerSource + ?Sized),
    ) -> StoreResult<Arc<Vec<RouteEntry>>> {
        self.refresh(control).await?;
        Ok(self
            .routes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone())
    }

    /// The organization's published listeners watching `source`.
    pub async fn listeners_of(
        &self,
        control: &(impl TriggerSource + ?Sized),
        scope: &TenantScope,
        source: &str,
    ) -> StoreResult<Arc<Vec<ListenerEntry>>> {
        self.refresh(control).await?;
        let key = (scope.org_id.clone(), source.to_string());
        if let Some(found) = lock(&self.listeners).get(&key) {
            return Ok(found.clone());
        }
        let generation = self.generation.load(Ordering::Acquire);
        let found = Arc::new(control.listeners_of(scope, source).await?);
        // Kept only if no reload happened meanwhile (it may have read an older table).
        let mut listeners = lock(&self.listeners);
        if self.generation.load(Ordering::Acquire) == generation && !self.stale() {
            listeners.insert(key, found.clone());
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;
    use weft_store_api::control::WebhookRoute;

    /// A table that takes a while to read, like a busy database.
    #[derive(Default)]
    struct SlowTable {
        generation: AtomicI64,
        routes: Mutex<Vec<RouteEntry>>,
        reads: AtomicUsize,
    }

    #[async_trait::async_trait]
    impl TriggerSource for SlowTable {
        async fn routes_generation(&self) -> StoreResult<i64> {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok(self.generation.load(Ordering::Acquire))
        }
        async fn webhook_routes(&self) -> StoreResult<Vec<RouteEntry>> {
            self.reads.fetch_add(1, Ordering::AcqRel);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok(lock(&self.routes).clone())
        }
        async fn listeners_of(&self, _: &TenantScope, _: &str) -> StoreResult<Vec<ListenerEntry>> {
            Ok(Vec::new())
        }
    }

    fn entry(path: &str) -> RouteEntry {
        RouteEntry {
            scope: TenantScope::org("o"),
            workflow_id: "wf".into(),
            version_id: "v".into(),
            route: WebhookRoute {
                trigger_id: "hook".into(),
                path: path.into(),
                method: "POST".into(),
                params: serde_json::json!({}),
            },
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn look_ups_racing_a_reload_wait_for_it() {
        let table = Arc::new(SlowTable::default());
        let cache = Arc::new(TriggerCache::default());
        assert!(
            cache
                .routes(table.as_ref())
                .await
                .expect("routes")
                .is_empty()
        );
        for n in 1..=3 {
            // A publish in this process: the table changes, then the cache is invalidated.
            lock(&table.routes).push(entry(&format!("p{n}")));
            table.generation.fetch_add(1, Ordering::AcqRel);
            cache.invalidate();
            let looks = (0..8).map(|_| {
                let (cache, table) = (cache.clone(), table.clone());
                tokio::spawn(async move { cache.routes(table.as_ref()).await.map(|r| r.len()) })
            });
            for look in futures::future::join_all(looks).await {
                assert_eq!(look.expect("task").expect("routes"), n);
            }
        }
        assert_eq!(
            table.reads.load(Ordering::Acquire),
            4,
            "one reload per change"
        );
    }
}
