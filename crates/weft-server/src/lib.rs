//! `weft serve`: the engine as a service.
//!
//! - [`app`] builds the axum router: `/api/v1/…` (authenticated, see [`auth`]), `/webhook/…`
//!   (public, per published workflow), `/api/openapi.json` (generated from the handlers by
//!   utoipa), `/healthz`, `/readyz`, `/metrics`.
//! - [`serve`] runs it with the background loops of a server process: the engine's worker
//!   loop (claims queued, orphaned and due runs), the cron [`scheduler`], the event pump that
//!   feeds live streams and metrics, and run-completed triggers. Graceful shutdown stops
//!   accepting requests, stops taking new work and gives running steps a bounded time to finish.
//!
//! The server talks to storage only through [`Store`] (runs, journals, credentials) and
//! [`ControlPlane`] (organizations, keys, workflows, triggers), so the same code runs on the
//! embedded SQLite store and on PostgreSQL.

pub mod api;
pub mod auth;
pub mod error;
pub mod events;
pub mod health;
pub mod metrics;
pub mod openapi;
pub mod run_completed;
pub mod scheduler;
pub mod trigger_cache;
pub mod triggers;
pub mod webhooks;

use axum::Router;
use chrono::Utc;
use serde_json::Value;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use weft_engine::{Engine, WorkerMode};
use weft_store_api::Store;
use weft_store_api::control::{ControlPlane, KeyKind, Org, Role, User};

/// Settings of a server process.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The URL clients reach this server at (for login links and webhook URLs).
    pub public_url: String,
    /// Largest JSON body the API accepts.
    pub max_body_bytes: usize,
    /// Largest webhook body (a trigger's `maxBodyBytes` may lower it).
    pub max_webhook_body_bytes: usize,
    /// How long running steps may take to finish on shutdown.
    pub shutdown_grace: Duration,
    /// Drive runs in this process.
    pub workers: bool,
    /// Fire cron schedules from this process (when it is the leader).
    pub scheduler: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            public_url: "http://127.0.0.1:8080".into(),
            max_body_bytes: 8 * 1024 * 1024,
            max_webhook_body_bytes: 16 * 1024 * 1024,
            shutdown_grace: Duration::from_secs(30),
            workers: true,
            scheduler: true,
        }
    }
}

/// Decides which of several processes fires cron ticks. Firing is exactly-once without a
/// leader too (ticks are idempotent and advanced by compare-and-set); a leader only saves the
/// others the work.
#[async_trait::async_trait]
pub trait Leadership: Send + Sync + 'static {
    /// Tries to become the leader for `name`; the guard holds it until dropped.
    async fn try_acquire(&self, name: &str) -> Option<Box<dyn Send + Sync>>;
}

/// Everything a request handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The engine of this process.
    pub engine: Engine,
    /// Runs, journals, credentials.
    pub store: Arc<dyn Store>,
    /// Organizations, keys, workflows, triggers.
    pub control: Arc<dyn ControlPlane>,
    /// Seals credentials written through the API.
    pub vault: Option<Arc<weft_secrets::Vault>>,
    /// Settings.
    pub config: Arc<ServerConfig>,
    /// Prometheus metrics.
    pub metrics: Arc<metrics::Metrics>,
    /// Live events for streams.
    pub hub: Arc<events::EventHub>,
    /// Webhook routes and run-completed listeners, cached.
    pub triggers: Arc<trigger_cache::TriggerCache>,
    /// The node catalog as served (same data as `weft nodes --json`).
    pub catalog: Arc<Vec<Value>>,
    /// Cancelled when the process starts shutting down.
    pub shutdown: CancellationToken,
    /// Scheduler leadership, when several processes share the database.
    pub leadership: Option<Arc<dyn Leadership>>,
    /// Wakes the scheduler (after a publish or a resumed schedule).
    pub schedule_wake: Arc<tokio::sync::Notify>,
}

impl AppState {
    /// State over an engine whose store also implements the control plane.
    pub fn new(
        engine: Engine,
        control: Arc<dyn ControlPlane>,
        vault: Option<Arc<weft_secrets::Vault>>,
        config: ServerConfig,
    ) -> AppState {
        let registry = engine.registry().clone();
        let triggers = Arc::new(trigger_cache::TriggerCache::default());
        let metrics = Arc::new(metrics::Metrics::new());
        engine.on_run_completed(Arc::new(run_completed::RunCompletedTriggers::new(
            control.clone(),
            triggers.clone(),
            Some(metrics.clone()),
        )));
        let catalog = registry
            .all()
            .into_iter()
            .map(|info| registry.catalog_entry(info))
            .collect();
        AppState {
            store: engine.store().clone(),
            engine,
            control,
            vault,
            config: Arc::new(config),
            metrics,
            hub: Arc::new(events::EventHub::new(4096)),
            triggers,
            catalog: Arc::new(catalog),
            shutdown: CancellationToken::new(),
            leadership: None,
            schedule_wake: Arc::new(tokio::sync::Notify::new()),
        }
    }
}

/// The router of the whole server.
pub fn app(state: AppState) -> Router {
    let (api, _doc) = openapi::api_router().split_for_parts();
    let max_body = state.config.max_body_bytes;
    Router::new()
        .merge(api)
        .merge(health::router())
        .merge(webhooks::router(state.config.max_webhook_body_bytes))
        .merge(weft_apidocs::router("/api/openapi.json"))
        .route(
            "/api/openapi.json",
            axum::routing::get(openapi::serve_document),
        )
        .fallback(api::fallback)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track_requests,
        ))
        .with_state(state)
}

/// What the first start prints once.
#[derive(Debug, Clone)]
pub struct Bootstrapped {
    /// The organization created.
    pub org: Org,
    /// Its admin.
    pub admin: User,
    /// An API key with every scope.
    pub api_key: String,
    /// A one-time sign-in link for the browser (valid 24 hours).
    pub login_url: String,
}

/// On the first start (no organization yet), creates one with an admin, an API key and a
/// sign-in link. `None` when the database was already set up.
pub async fn bootstrap(
    control: &dyn ControlPlane,
    public_url: &str,
) -> anyhow::Result<Option<Bootstrapped>> {
    let now = Utc::now();
    let org = Org {
        id: format!("org_{}", uuid::Uuid::now_v7().simple()),
        name: "Default".into(),
        created_at: now,
    };
    let admin = User {
        id: format!("usr_{}", uuid::Uuid::now_v7().simple()),
        org_id: org.id.clone(),
        email: "admin@localhost".into(),
        name: "Admin".into(),
        role: Role::Admin,
        created_at: now,
    };
    let Some((org, admin)) = control.bootstrap(org, admin).await? else {
        return Ok(None);
    };
    let scope = weft_store_api::TenantScope::org(org.id.clone());
    let (key, api_key) =
        auth::mint_key(&admin.id, KeyKind::Api, "bootstrap", vec!["*".into()], None);
    control.create_key(&scope, key).await?;
    let login_url = login_link(control, &scope, &admin, public_url).await?;
    Ok(Some(Bootstrapped {
        org,
        admin,
        api_key,
        login_url,
    }))
}

/// Creates a one-time sign-in link for a user, valid 24 hours.
pub async fn login_link(
    control: &dyn ControlPlane,
    scope: &weft_store_api::TenantScope,
    user: &User,
    public_url: &str,
) -> anyhow::Result<String> {
    let (key, secret) = auth::mint_key(
        &user.id,
        KeyKind::Login,
        "sign-in link",
        vec!["*".into()],
        Some(Utc::now() + chrono::Duration::hours(24)),
    );
    control.create_key(scope, key).await?;
    Ok(format!(
        "{}/api/v1/auth/login?token={secret}",
        public_url.trim_end_matches('/')
    ))
}

/// Serves `state` on `listener` until `shutdown` resolves, with the background loops of a
/// server process. Returns after a graceful shutdown.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(events::pump(state.clone()));
    if let Some(relay) = state.store.event_relay() {
        tasks.spawn(events::relay_in(state.clone(), relay));
    }
    if state.config.workers {
        let engine = state.engine.clone();
        tasks.spawn(async move {
            if let Err(e) = engine.run_worker(WorkerMode::Forever).await {
                tracing::error!(error = %e, "the worker loop stopped");
            }
        });
    }
    if state.config.scheduler {
        tasks.spawn(scheduler::run(state.clone()));
    }
    tracing::info!(%addr, "weft is listening");
    let token = state.shutdown.clone();
    let app = app(state.clone());
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown({
        let token = token.clone();
        async move {
            tokio::select! {
                () = shutdown => {}
                () = token.cancelled() => {}
            }
            tracing::info!("shutting down: no new requests or work");
            token.cancel();
        }
    });
    let result = server.await;
    token.cancel();
    // In-flight steps get the grace period; runs that did not finish stay claimable.
    if !state.engine.drain(state.config.shutdown_grace).await {
        tracing::warn!(
            grace = ?state.config.shutdown_grace,
            "steps still running after the grace period; their runs resume in the next process"
        );
    }
    tasks.abort_all();
    result?;
    Ok(())
}
