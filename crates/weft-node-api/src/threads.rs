//! Conversation threads as nodes see them (agent memory).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One stored message of a thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadMessage {
    /// Position in the thread, from 1.
    pub seq: u64,
    /// The step that saved it (e.g. `{run}/{node}/{item}`).
    pub source: String,
    /// The message (role, content, tool calls or results), as the agent stored it.
    pub message: Value,
}

/// What a thread holds for the next turn: the summary of older messages and those after it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadSnapshot {
    /// A summary of every message up to `summarized_through`.
    pub summary: Option<String>,
    /// The last seq the summary covers (0 when none).
    pub summarized_through: u64,
    /// The messages after the summary, in order.
    pub messages: Vec<ThreadMessage>,
}
