//! Live events for progress displays and streams. Not the journal: these may be dropped by a
//! slow subscriber; the journal is the truth.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
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
    pub org_id: String,
    /// The stored workflow, when the run has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow_id: Option<String>,
    /// The workflow's name.
    pub workflow_name: String,
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
        workflow: String,
        /// True when continuing a run begun earlier.
        resumed: bool,
    },
    /// A step began an attempt.
    #[serde(rename_all = "camelCase")]
    StepStarted {
        /// Node id.
        node: String,
        /// Attempt from 1.
        attempt: u32,
    },
    /// An attempt failed and will be retried.
    #[serde(rename_all = "camelCase")]
    StepRetrying {
        /// Node id.
        node: String,
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
        node: String,
        /// Node type, e.g. `http.request@1`.
        node_type: String,
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
        node: String,
        /// Node type, e.g. `http.request@1`.
        node_type: String,
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
        node: String,
        /// The attempt reporting.
        attempt: u32,
        /// Node-defined, e.g. `{"type": "token", "text": "…"}`.
        data: Value,
    },
    /// A step was skipped.
    #[serde(rename_all = "camelCase")]
    StepSkipped {
        /// Node id.
        node: String,
    },
    /// A step sleeps on a durable timer.
    #[serde(rename_all = "camelCase")]
    StepSleeping {
        /// Node id.
        node: String,
        /// Until when.
        until: DateTime<Utc>,
    },
    /// A step waits for a person's decision (approve or reject through the API).
    #[serde(rename_all = "camelCase")]
    StepAwaiting {
        /// Node id.
        node: String,
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
