//! Prometheus metrics (`/metrics`, text exposition format).

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::time::Instant;
use weft_engine::{RunEvent, RunEventKind};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WorkflowLabel {
    workflow: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FinishedLabels {
    workflow: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NodeTypeLabel {
    node_type: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WebhookLabels {
    status: u16,
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    runs_started: Family<WorkflowLabel, Counter>,
    runs_finished: Family<FinishedLabels, Counter>,
    step_duration: Family<NodeTypeLabel, Histogram>,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: Family<HttpLabels, Histogram>,
    webhook_latency: Family<WebhookLabels, Histogram>,
    /// Runs this process drives now.
    pub active_runs: Gauge,
    /// Runs waiting to be claimed (queued, orphaned or due), up to 10 000.
    pub queue_depth: Gauge,
    /// Engine processes alive on the database (`weft serve` and `weft worker`, this one
    /// included).
    pub live_workers: Gauge,
    /// Schedule ticks fired.
    pub schedule_ticks: Counter,
}

fn seconds_histogram() -> Histogram {
    // 0.1 ms to ~52 s.
    Histogram::new(exponential_buckets(0.0001, 2.5, 15))
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("weft");
        let runs_started = Family::<WorkflowLabel, Counter>::default();
        let runs_finished = Family::<FinishedLabels, Counter>::default();
        let step_duration = Family::<NodeTypeLabel, Histogram>::new_with_constructor(
            seconds_histogram as fn() -> Histogram,
        );
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_duration = Family::<HttpLabels, Histogram>::new_with_constructor(
            seconds_histogram as fn() -> Histogram,
        );
        let webhook_latency = Family::<WebhookLabels, Histogram>::new_with_constructor(
            seconds_histogram as fn() -> Histogram,
        );
        let active_runs = Gauge::default();
        let queue_depth = Gauge::default();
        let live_workers = Gauge::default();
        let schedule_ticks = Counter::default();
        registry.register(
            "runs_started",
            "Runs started, by workflow",
            runs_started.clone(),
        );
        registry.register(
            "runs_finished",
            "Runs finished, by workflow and status",
            runs_finished.clone(),
        );
        registry.register(
            "step_duration_seconds",
            "Duration of successful and failed steps, by node type",
            step_duration.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests, by method, route and status",
            http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request duration, by method, route and status",
            http_duration.clone(),
        );
        registry.register(
            "webhook_latency_seconds",
            "Time from a webhook request arriving to its response, by status",
            webhook_latency.clone(),
        );
        registry.register(
            "active_runs",
            "Runs this process drives now",
            active_runs.clone(),
        );
        registry.register(
            "queue_depth",
            "Runs waiting to be claimed (queued, orphaned or due), capped at 10000",
            queue_depth.clone(),
        );
        registry.register(
            "live_workers",
            "Engine processes (weft serve, weft worker) alive on the database",
            live_workers.clone(),
        );
        registry.register("schedule_ticks", "Cron ticks fired", schedule_ticks.clone());
        Metrics {
            registry,
            runs_started,
            runs_finished,
            step_duration,
            http_requests,
            http_duration,
            webhook_latency,
            active_runs,
            queue_depth,
            live_workers,
            schedule_ticks,
        }
    }

    /// Counts a run start.
    pub fn run_started(&self, workflow: &str) {
        self.runs_started
            .get_or_create(&WorkflowLabel {
                workflow: workflow.to_string(),
            })
            .inc();
    }

    /// Records a webhook's latency.
    pub fn webhook(&self, status: u16, seconds: f64) {
        self.webhook_latency
            .get_or_create(&WebhookLabels { status })
            .observe(seconds);
    }

    /// Records what an engine event says.
    pub fn observe(&self, e: &RunEvent) {
        match &e.kind {
            RunEventKind::RunFinished { status, .. } => {
                self.runs_finished
                    .get_or_create(&FinishedLabels {
                        workflow: e.workflow_name.clone(),
                        status: status.as_str().to_string(),
                    })
                    .inc();
            }
            RunEventKind::StepSucceeded {
                node_type,
                duration_ms,
                ..
            } => {
                self.step_duration
                    .get_or_create(&NodeTypeLabel {
                        node_type: node_type.clone(),
                    })
                    .observe(*duration_ms as f64 / 1000.0);
            }
            _ => {}
        }
    }

    /// The text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Middleware: counts and times every request by its route template (never the raw path, so
/// ids do not explode the label set).
pub async fn track_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let resp = next.run(req).await;
    let labels = HttpLabels {
        method,
        route,
        status: resp.status().as_u16(),
    };
    state.metrics.http_requests.get_or_create(&labels).inc();
    state
        .metrics
        .http_duration
        .get_or_create(&labels)
        .observe(start.elapsed().as_secs_f64());
    resp
}
