//! `/healthz` (the process answers), `/readyz` (the database is reachable and its schema is
//! current; false while shutting down), `/metrics`.

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
