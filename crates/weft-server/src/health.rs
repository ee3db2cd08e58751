//! `/healthz` (the process answers), `/readyz` (the database is reachable and its schema is
//! current; false while shutting down), `/metrics`.
//!
//! `weft serve` serves them beside the API; a `weft worker` has no API, so [`Ops`] carries what
//! they need and [`serve_operations`] serves them alone on the worker's `--metrics-listen`.

use crate::AppState;
use crate::error::ErrorBody;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;

/// A health answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or what is wrong.
    pub status: String,
}

/// The process is alive.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, body = Health)))]
pub async fn healthz() -> axum::Json<Health> {
    axum::Json(Health {
        status: "ok".into(),
    })
}

/// Ready for traffic: the database answers and its schema is the one this build expects.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = ErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    ready(&state.ops()).await
}

/// What the operations endpoints need, in a `weft serve` or a `weft worker`.
#[derive(Clone)]
pub struct Ops {
    /// The process's engine.
    pub engine: weft_engine::Engine,
    /// Its store.
    pub store: std::sync::Arc<dyn weft_store_api::Store>,
    /// Its metrics.
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// Cancelled when the process starts shutting down.
    pub shutdown: tokio_util::sync::CancellationToken,
}

impl AppState {
    /// The operations view of the server's state.
    pub fn ops(&self) -> Ops {
        Ops {
            engine: self.engine.clone(),
            store: self.store.clone(),
            metrics: self.metrics.clone(),
            shutdown: self.shutdown.clone(),
        }
    }
}

async fn ready(state: &Ops) -> Response {
    if state.shutdown.is_cancelled() {
        return crate::error::ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the server is shutting down",
        )
        .into_response();
    }
    match state.store.ready().await {
        Ok(()) => axum::Json(Health {
            status: "ok".into(),
        })
        .into_response(),
        Err(e) => crate::error::ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            format!("the database is not ready: {e}"),
        )
        .into_response(),
    }
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, content_type = "application/openmetrics-text", body = String)))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    exposition(&state.ops()).await
}

async fn exposition(state: &Ops) -> Response {
    let m = &state.metrics;
    m.active_runs.set(state.engine.active_runs() as i64);
    if let Ok(n) = state.store.live_owners().await {
        m.live_workers.set(i64::try_from(n).unwrap_or(i64::MAX));
    }
    if let Ok(c) = state.store.claimable_runs(Utc::now(), 10_000).await {
        m.queue_depth.set(c.len() as i64);
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        m.encode(),
    )
        .into_response()
}

/// The operations routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// Serves `/healthz`, `/readyz` and `/metrics` alone (a `weft worker`), recording the engine's
/// events into the metrics, until the task is aborted: after `ops.shutdown` is cancelled
/// `/readyz` says so, and metrics keep counting the steps that finish while draining.
pub async fn serve_operations(ops: Ops, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route(
            "/readyz",
            get(|State(ops): State<Ops>| async move { ready(&ops).await }),
        )
        .route(
            "/metrics",
            get(|State(ops): State<Ops>| async move { exposition(&ops).await }),
        )
        .with_state(ops.clone());
    let pump = AbortOnDrop(tokio::spawn(observe_events(ops)));
    let served = axum::serve(listener, app).await;
    drop(pump);
    served
}

/// Aborts a task when dropped (also when the future holding it is).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Records the engine's events into the metrics.
async fn observe_events(ops: Ops) {
    let mut rx = ops.engine.subscribe();
    loop {
        match rx.recv().await {
            Ok(e) => ops.metrics.observe(&e),
            Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "the metrics fell behind the engine's events");
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}
