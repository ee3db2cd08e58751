//! Prometheus metrics (`/metrics`, text exposition format).

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Instant;
use weft_engine::{RunEvent, RunEventKind};

/// A label value shared with the event or route it comes from: looking a series up costs no
/// copy of the text.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Text(Arc<str>);

impl EncodeLabelValue for Text {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> std::fmt::Result {
        std::fmt::Write::write_str(encoder, &self.0)
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WorkflowLabel {
    workflow: Text,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FinishedLabels {
    workflow: Text,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NodeTypeLabel {
    node_type: Text,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: Text,
    route: Text,
    status: u16,
}

/// The few distinct method and route texts requests carry, each allocated once.
#[derive(Default)]
struct Interned(std::sync::RwLock<std::collections::HashSet<Arc<str>>>);

impl Interned {
    fn get(&self, text: &str) -> Arc<str> {
        if let Some(found) = self.0.read().unwrap_or_else(|p| p.into_inner()).get(text) {
            return found.clone();
        }
        let mut set = self.0.write().unwrap_or_else(|p| p.into_inner());
        // Routes are a fixed set; anything else (never expected) is not kept.
        if set.len() >= 1024 {
            return Arc::from(text);
        }
        if let Some(found) = set.get(text) {
            return found.clone();
        }
        let interned: Arc<str> = Arc::from(text);
        set.insert(interned.clone());
        interned
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabel {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TokenLabel {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WebhookLabels {
    status: u16,
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    interned: Interned,
    runs_started: Family<WorkflowLabel, Counter>,
    runs_finished: Family<FinishedLabels, Counter>,
    step_duration: Family<NodeTypeLabel, Histogram>,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: Family<HttpLabels, Histogram>,
    webhook_latency: Family<WebhookLabels, Histogram>,
    llm_cache: Family<CacheLabel, Counter>,
    llm_calls: Counter,
    llm_tokens: Family<TokenLabel, Counter>,
    budget_thresholds: Counter,
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
        let llm_cache = Family::<CacheLabel, Counter>::default();
        let llm_calls = Counter::default();
        let llm_tokens = Family::<TokenLabel, Counter>::default();
        let budget_thresholds = Counter::default();
        registry.register(
            "llm_cache_requests",
            "Model calls of nodes with a response cache, by result (hit, miss)",
            llm_cache.clone(),
        );
        registry.register(
            "llm_calls",
            "Model calls accounted by this process",
            llm_calls.clone(),
        );
        registry.register(
            "llm_tokens",
            "Tokens of model calls accounted by this process, by kind (prompt, completion)",
            llm_tokens.clone(),
        );
        registry.register(
            "budget_thresholds",
            "Budget thresholds (50/75/90/100 %) crossed",
            budget_thresholds.clone(),
        );
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
            interned: Interned::default(),
            runs_started,
            runs_finished,
            step_duration,
            http_requests,
            http_duration,
            webhook_latency,
            llm_cache,
            llm_calls,
            llm_tokens,
            budget_thresholds,
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
                workflow: Text(self.interned.get(workflow)),
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
                        workflow: Text(e.workflow_name.clone()),
                        status: status.as_str(),
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
                        node_type: Text(node_type.clone()),
                    })
                    .observe(*duration_ms as f64 / 1000.0);
            }
            RunEventKind::LlmCall {
                cache,
                prompt_tokens,
                completion_tokens,
                ..
            } => {
                self.llm_calls.inc();
                if let Some(result) = cache {
                    self.llm_cache.get_or_create(&CacheLabel { result }).inc();
                }
                self.llm_tokens
                    .get_or_create(&TokenLabel { kind: "prompt" })
                    .inc_by(*prompt_tokens);
                self.llm_tokens
                    .get_or_create(&TokenLabel { kind: "completion" })
                    .inc_by(*completion_tokens);
            }
            RunEventKind::BudgetThreshold { .. } => {
                self.budget_thresholds.inc();
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
    let metrics = &state.metrics;
    let method = metrics.interned.get(req.method().as_str());
    let route = metrics.interned.get(
        req.extensions()
            .get::<MatchedPath>()
            .map_or("unmatched", MatchedPath::as_str),
    );
    let resp = next.run(req).await;
    let labels = HttpLabels {
        method: Text(method),
        route: Text(route),
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

#[cfg(test)]
mod tests {
    use super::*;
    use weft_store_api::RunId;

    fn event(kind: RunEventKind) -> RunEvent {
        RunEvent {
            run_id: RunId::new(),
            parent_run_id: None,
            org_id: "org".into(),
            workflow_id: None,
            workflow_name: "w".into(),
            at: chrono::Utc::now(),
            kind,
        }
    }

    fn call(cache: Option<&'static str>) -> RunEventKind {
        RunEventKind::LlmCall {
            node: "a".into(),
            attempt: 1,
            provider: "openai".into(),
            model: "m".into(),
            prompt_tokens: 12,
            completion_tokens: 3,
            cost_usd: 0.0,
            priced: false,
            cached: cache == Some("hit"),
            cache,
            ok: true,
        }
    }

    #[test]
    fn llm_calls_count_tokens_cache_hits_misses_and_thresholds() {
        let m = Metrics::new();
        m.observe(&event(call(Some("miss"))));
        m.observe(&event(call(Some("hit"))));
        m.observe(&event(call(Some("hit"))));
        m.observe(&event(call(None)));
        m.observe(&event(RunEventKind::BudgetThreshold {
            node: "a".into(),
            budget_id: "b".into(),
            budget_name: "b".into(),
            window: "d:2026-12-06".into(),
            threshold: 50,
            spent_tokens: 50,
            spent_usd: 0.0,
            max_tokens: Some(100),
            max_usd: None,
        }));
        let text = m.encode();
        for line in [
            "weft_llm_cache_requests_total{result=\"hit\"} 2",
            "weft_llm_cache_requests_total{result=\"miss\"} 1",
            "weft_llm_calls_total 4",
            "weft_llm_tokens_total{kind=\"prompt\"} 48",
            "weft_llm_tokens_total{kind=\"completion\"} 12",
            "weft_budget_thresholds_total 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing in:\n{text}"
            );
        }
    }
}
