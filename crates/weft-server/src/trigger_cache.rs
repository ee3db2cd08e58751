//! The published triggers a process consults on hot paths, cached in memory: the webhook
//! routing table (every request) and run-completed listeners (every finished run).
//!
//! Both are reloaded when the store's routes generation changes, which every change to routes
//! or listeners moves; the generation is read at most every 500 ms, and at once after a
//! publish in this process ([`TriggerCache::invalidate`]). A change made by another process is
//! seen within that half second.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use weft_store_api::control::{ControlPlane, ListenerEntry, RouteEntry};
use weft_store_api::{StoreResult, TenantScope};

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
    stale: AtomicBool,
    checked: Mutex<Option<Instant>>,
    reload: tokio::sync::Mutex<()>,
}

impl Default for TriggerCache {
    fn default() -> Self {
        TriggerCache {
            routes: RwLock::new(Arc::new(Vec::new())),
            listeners: Mutex::new(HashMap::new()),
            generation: AtomicI64::new(i64::MIN),
            stale: AtomicBool::new(true),
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
        self.stale.store(true, Ordering::Release);
    }

    /// Reloads the routes and forgets the listeners when the generation moved.
    async fn refresh(&self, control: &dyn ControlPlane) -> StoreResult<()> {
        let due = {
            let mut checked = lock(&self.checked);
            let due = checked.is_none_or(|t| t.elapsed() > CHECK_EVERY);
            if due {
                *checked = Some(Instant::now());
            }
            due
        };
        if due || self.stale.load(Ordering::Acquire) {
            let _guard = self.reload.lock().await;
            let generation = control.routes_generation().await?;
            if self.stale.swap(false, Ordering::AcqRel)
                || generation != self.generation.load(Ordering::Acquire)
            {
                let routes = control.webhook_routes().await?;
                *self.routes.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(routes);
                // The generation first: a listener look-up that read the older table then
                // either sees it moved or is cleared here.
                self.generation.store(generation, Ordering::Release);
                lock(&self.listeners).clear();
            }
        }
        Ok(())
    }

    /// Every webhook route of every published workflow.
    pub async fn routes(&self, control: &dyn ControlPlane) -> StoreResult<Arc<Vec<RouteEntry>>> {
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
        control: &dyn ControlPlane,
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
        if self.generation.load(Ordering::Acquire) == generation
            && !self.stale.load(Ordering::Acquire)
        {
            listeners.insert(key, found.clone());
        }
        Ok(found)
    }
}
