//! The journal protocol: what happened in a run, as an append-only list of events.
//!
//! A run's state is the fold of its journal ([`crate::state::RunState::apply`]). Decisions that
//! follow deterministically from the journal (skips, join failures) are not journaled: replay
//! derives them again.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use weft_node_api::{LogLine, NodeError, NodeOutput};

/// One event of a run's journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Event {
    /// The run began executing.
    #[serde(rename_all = "camelCase")]
    RunStarted {
        /// When.
        #[serde(with = "weft_store_api::rfc3339")]
        at: DateTime<Utc>,
    },
    /// An effectful step began an attempt (pure steps are not journaled until they finish).
    #[serde(rename_all = "camelCase")]
    StepStarted {
        /// Node id.
        node: String,
        /// Attempt number from 1.
        attempt: u32,
        /// When.
        #[serde(with = "weft_store_api::rfc3339")]
        at: DateTime<Utc>,
    },
    /// An attempt failed with an error that will be retried.
    #[serde(rename_all = "camelCase")]
    StepAttemptFailed {
        /// Node id.
        node: String,
        /// The attempt that failed.
        attempt: u32,
        /// Why.
        error: NodeError,
        /// When the next attempt starts.
        #[serde(with = "weft_store_api::rfc3339")]
        retry_at: DateTime<Utc>,
        /// Log lines of the attempt.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        logs: Vec<LogLine>,
    },
    /// The step finished and emitted this output.
    #[serde(rename_all = "camelCase")]
    StepSucceeded {
        /// Node id.
        node: String,
        /// Attempt that succeeded.
        attempt: u32,
        /// Emitted ports and items.
        output: NodeOutput,
        /// When the attempt started.
        #[serde(with = "weft_store_api::rfc3339")]
        started_at: DateTime<Utc>,
        /// When it finished.
        #[serde(with = "weft_store_api::rfc3339")]
        finished_at: DateTime<Utc>,
        /// Log lines.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        logs: Vec<LogLine>,
        /// Indices of the incoming edges whose items made the input (join any / first N).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        used_edges: Option<Vec<usize>>,
    },
    /// The step failed for good.
    #[serde(rename_all = "camelCase")]
    StepFailed {
        /// Node id.
        node: String,
        /// Last attempt.
        attempt: u32,
        /// Why.
        error: NodeError,
        /// When the last attempt started.
        #[serde(with = "weft_store_api::rfc3339")]
        started_at: DateTime<Utc>,
        /// When it failed.
        #[serde(with = "weft_store_api::rfc3339")]
        finished_at: DateTime<Utc>,
        /// Log lines.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        logs: Vec<LogLine>,
    },
    /// The step asked to sleep until a time (a durable timer).
    #[serde(rename_all = "camelCase")]
    StepSleeping {
        /// Node id.
        node: String,
        /// Attempt.
        attempt: u32,
        /// When it completes.
        #[serde(with = "weft_store_api::rfc3339")]
        until: DateTime<Utc>,
        /// Its output then.
        output: NodeOutput,
        /// When the attempt started.
        #[serde(with = "weft_store_api::rfc3339")]
        started_at: DateTime<Utc>,
        /// Set when the step waits for a person's decision; `until` is then its time limit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        awaiting: Option<Awaiting>,
    },
    /// A running step recorded a value (e.g. a completed model call) so that a later attempt
    /// of it — after a crash or a failed attempt — finds the value instead of redoing the work
    /// (`StepContext::checkpoint`). Keys are the step's own; the last value of a key wins.
    #[serde(rename_all = "camelCase")]
    StepCheckpoint {
        /// Node id.
        node: String,
        /// The attempt that recorded it.
        attempt: u32,
        /// The step's key.
        key: String,
        /// The value.
        value: Value,
    },
    /// Nothing can progress until the earliest timer; the run was unloaded.
    #[serde(rename_all = "camelCase")]
    RunWaiting {
        /// The earliest timer.
        #[serde(with = "weft_store_api::rfc3339")]
        wake_at: DateTime<Utc>,
    },
    /// Paused by request: no new steps start.
    #[serde(rename_all = "camelCase")]
    RunPaused {
        /// When.
        #[serde(with = "weft_store_api::rfc3339")]
        at: DateTime<Utc>,
    },
    /// Resumed after a pause.
    #[serde(rename_all = "camelCase")]
    RunResumed {
        /// When.
        #[serde(with = "weft_store_api::rfc3339")]
        at: DateTime<Utc>,
    },
    /// The run reached a terminal state.
    #[serde(rename_all = "camelCase")]
    RunFinished {
        /// `succeeded`, `failed` or `cancelled`.
        status: weft_store_api::RunStatus,
        /// Output items when succeeded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output: Option<Value>,
        /// Error when failed or cancelled.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<Value>,
        /// When.
        #[serde(with = "weft_store_api::rfc3339")]
        at: DateTime<Utc>,
    },
}

/// The time limit of a decision that has none: the last second of year 9999, which every
/// backend stores.
pub fn no_time_limit() -> DateTime<Utc> {
    DateTime::from_timestamp(253_402_300_799, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// What a step waiting for a decision asked, and the items the decision sends on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Awaiting {
    /// What the person is asked (node-defined, e.g. `{"message": …}`).
    pub request: Value,
    /// The items that leave through `approved` or `rejected`.
    pub items: Vec<Value>,
}

impl Event {
    /// The node an event is about, if any.
    pub fn node(&self) -> Option<&str> {
        match self {
            Event::StepStarted { node, .. }
            | Event::StepAttemptFailed { node, .. }
            | Event::StepSucceeded { node, .. }
            | Event::StepFailed { node, .. }
            | Event::StepSleeping { node, .. }
            | Event::StepCheckpoint { node, .. } => Some(node),
            _ => None,
        }
    }
}
