//! Live events for progress displays and streams. Not the journal: these may be dropped by a
//! slow subscriber; the journal is the truth.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;
use weft_store_api::{RunId, RunStatus};

/// Something that happened in a run, as it happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunEvent {
    /// The run.
    pub run_id: RunId,
    /// The parent run, for children.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_run_id: Option<RunId>,
    /// The run's organization (streams filter by it).
    #[serde(skip)]
    pub org_id: Arc<str>,
    /// The stored workflow, when the run has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow_id: Option<Arc<str>>,
    /// The workflow's name.
    pub workflow_name: Arc<str>,
    /// When.
    pub at: DateTime<Utc>,
    /// What.
    #[serde(flatten)]
    pub kind: RunEventKind,
}

/// The kinds of live event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum RunEventKind {
    /// The run started or was resumed by this process.
    #[serde(rename_all = "camelCase")]
    RunStarted {
        /// Workflow name.
        workflow: Arc<str>,
        /// True when continuing a run begun earlier.
        resumed: bool,
    },
    /// A step began an attempt.
    #[serde(rename_all = "camelCase")]
    StepStarted {
        /// Node id.
        node: Arc<str>,
        /// Attempt from 1.
        attempt: u32,
    },
    /// An attempt failed and will be retried.
    #[serde(rename_all = "camelCase")]
    StepRetrying {
        /// Node id.
        node: Arc<str>,
        /// The failed attempt.
        attempt: u32,
        /// Error message.
        error: String,
        /// When the next attempt starts.
        retry_at: DateTime<Utc>,
    },
    /// A step finished.
    #[serde(rename_all = "camelCase")]
    StepSucceeded {
        /// Node id.
        node: Arc<str>,
        /// Node type, e.g. `http.request@1`.
        node_type: Arc<str>,
        /// Items emitted, over all ports.
        items: usize,
        /// Ports emitted.
        ports: Vec<String>,
        /// Duration of the successful attempt in milliseconds.
        duration_ms: i64,
    },
    /// A step failed for good.
    #[serde(rename_all = "camelCase")]
    StepFailed {
        /// Node id.
        node: Arc<str>,
        /// Node type, e.g. `http.request@1`.
        node_type: Arc<str>,
        /// Error code.
        code: String,
        /// Error message.
        error: String,
        /// True when the error was routed on (error port or continue-on-fail).
        handled: bool,
    },
    /// A running step reported progress (e.g. tokens of a model's answer as they stream in).
    /// Live only: never journaled, and a slow subscriber may miss some.
    #[serde(rename_all = "camelCase")]
    StepProgress {
        /// Node id.
        node: Arc<str>,
        /// The attempt reporting.
        attempt: u32,
        /// Node-defined, e.g. `{"type": "token", "text": "…"}`.
        data: Value,
    },
    /// A model call of a step was accounted (live only, never journaled; the call itself is
    /// stored with the run's LLM usage).
    #[serde(rename_all = "camelCase")]
    LlmCall {
        /// Node id.
        node: Arc<str>,
        /// The attempt.
        attempt: u32,
        /// Provider kind.
        provider: String,
        /// Model.
        model: String,
        /// Prompt tokens.
        prompt_tokens: u64,
        /// Completion tokens.
        completion_tokens: u64,
        /// Dollars (0 when cached or unpriced).
        cost_usd: f64,
        /// False when the model has no price.
        priced: bool,
        /// Answered from the response cache.
        cached: bool,
        /// `hit` or `miss` when the node caches responses.
        #[serde(skip_serializing_if = "Option::is_none")]
        cache: Option<&'static str>,
        /// False when the call failed.
        ok: bool,
    },
    /// A budget's window reached 50, 75, 90 or 100 % for the first time (live only; each
    /// threshold once per window).
    #[serde(rename_all = "camelCase")]
    BudgetThreshold {
        /// The step whose call crossed it.
        node: Arc<str>,
        /// Budget id.
        budget_id: String,
        /// Budget name.
        budget_name: String,
        /// The window (`d:2026-12-06`, `m:2026-12`, `r:{run}`).
        window: String,
        /// Percent.
        threshold: u8,
        /// Tokens spent in the window.
        spent_tokens: u64,
        /// Dollars spent in the window.
        spent_usd: f64,
        /// The token limit.
        #[serde(skip_serializing_if = "Option::is_none")]
        max_tokens: Option<u64>,
        /// The money limit in dollars.
        #[serde(skip_serializing_if = "Option::is_none")]
        max_usd: Option<f64>,
    },
    /// A step was skipped.
    #[serde(rename_all = "camelCase")]
    StepSkipped {
        /// Node id.
        node: Arc<str>,
    },
    /// A step sleeps on a durable timer.
    #[serde(rename_all = "camelCase")]
    StepSleeping {
        /// Node id.
        node: Arc<str>,
        /// Until when.
        until: DateTime<Utc>,
    },
    /// A step waits for a person's decision (approve or reject through the API).
    #[serde(rename_all = "camelCase")]
    StepAwaiting {
        /// Node id.
        node: Arc<str>,
        /// What the person is asked.
        request: Value,
        /// When the step stops waiting, if ever.
        #[serde(skip_serializing_if = "Option::is_none")]
        until: Option<DateTime<Utc>>,
    },
    /// The run was unloaded until its earliest timer.
    #[serde(rename_all = "camelCase")]
    RunWaiting {
        /// When it wakes.
        wake_at: DateTime<Utc>,
    },
    /// The run was paused.
    RunPaused,
    /// The run was resumed.
    RunResumed,
    /// The run finished.
    #[serde(rename_all = "camelCase")]
    RunFinished {
        /// Terminal status.
        status: RunStatus,
        /// Output when succeeded.
        #[serde(skip_serializing_if = "Option::is_none")]
        output: Option<Value>,
        /// Error otherwise.
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<Value>,
    },
}

impl RunEventKind {
    /// The event's name as serialized in its `event` field (`runStarted`, `stepSucceeded`, …).
    pub fn name(&self) -> &'static str {
        match self {
            RunEventKind::RunStarted { .. } => "runStarted",
            RunEventKind::StepStarted { .. } => "stepStarted",
            RunEventKind::StepRetrying { .. } => "stepRetrying",
            RunEventKind::StepSucceeded { .. } => "stepSucceeded",
            RunEventKind::StepFailed { .. } => "stepFailed",
            RunEventKind::StepProgress { .. } => "stepProgress",
            RunEventKind::LlmCall { .. } => "llmCall",
            RunEventKind::BudgetThreshold { .. } => "budgetThreshold",
            RunEventKind::StepSkipped { .. } => "stepSkipped",
            RunEventKind::StepSleeping { .. } => "stepSleeping",
            RunEventKind::StepAwaiting { .. } => "stepAwaiting",
            RunEventKind::RunWaiting { .. } => "runWaiting",
            RunEventKind::RunPaused => "runPaused",
            RunEventKind::RunResumed => "runResumed",
            RunEventKind::RunFinished { .. } => "runFinished",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_the_serialized_event_tags() {
        let at = Utc::now();
        let kinds = [
            RunEventKind::RunStarted {
                workflow: "w".into(),
                resumed: false,
            },
            RunEventKind::StepStarted {
                node: "n".into(),
                attempt: 1,
            },
            RunEventKind::StepRetrying {
                node: "n".into(),
                attempt: 1,
                error: "e".into(),
                retry_at: at,
            },
            RunEventKind::StepSucceeded {
                node: "n".into(),
                node_type: "core.noop@1".into(),
                items: 0,
                ports: vec![],
                duration_ms: 0,
            },
            RunEventKind::StepFailed {
                node: "n".into(),
                node_type: "core.noop@1".into(),
                code: "c".into(),
                error: "e".into(),
                handled: false,
            },
            RunEventKind::StepProgress {
                node: "n".into(),
                attempt: 1,
                data: json!({"type": "token", "text": "hi"}),
            },
            RunEventKind::StepSkipped { node: "n".into() },
            RunEventKind::StepSleeping {
                node: "n".into(),
                until: at,
            },
            RunEventKind::StepAwaiting {
                node: "n".into(),
                request: json!({}),
                until: None,
            },
            RunEventKind::RunWaiting { wake_at: at },
            RunEventKind::RunPaused,
            RunEventKind::RunResumed,
            RunEventKind::RunFinished {
                status: RunStatus::Succeeded,
                output: None,
                error: None,
            },
        ];
        for kind in kinds {
            let tag = serde_json::to_value(&kind).expect("serializes")["event"].clone();
            assert_eq!(tag, json!(kind.name()));
        }
    }
}

/// The run-level fields of a run's live events, built once per run so that each event shares
/// them instead of copying them.
#[derive(Debug, Clone)]
pub(crate) struct EventSource {
    run_id: RunId,
    parent_run_id: Option<RunId>,
    org_id: Arc<str>,
    workflow_id: Option<Arc<str>>,
    pub(crate) workflow_name: Arc<str>,
}

impl EventSource {
    /// The source of `run`'s events.
    pub(crate) fn of(scope: &weft_store_api::TenantScope, run: &weft_store_api::RunRecord) -> Self {
        EventSource {
            run_id: run.id,
            parent_run_id: run.parent.as_ref().map(|p| p.run_id),
            org_id: Arc::from(scope.org_id.as_str()),
            workflow_id: run.workflow_id.as_deref().map(Arc::from),
            workflow_name: Arc::from(run.workflow_name.as_str()),
        }
    }

    /// An event of the run, now.
    pub(crate) fn event(&self, kind: RunEventKind) -> RunEvent {
        RunEvent {
            run_id: self.run_id,
            parent_run_id: self.parent_run_id,
            org_id: self.org_id.clone(),
            workflow_id: self.workflow_id.clone(),
            workflow_name: self.workflow_name.clone(),
            at: Utc::now(),
            kind,
        }
    }
}
