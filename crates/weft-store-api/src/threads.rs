//! Conversation threads: the durable memory of AI agents, per organization and thread id.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Which messages [`crate::Store::load_thread`] returns: always only those after the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadQuery {
    /// Leave out messages appended under this source (a step's own earlier attempt).
    pub exclude_source: Option<String>,
    /// Only the last this many.
    pub last: Option<usize>,
}

/// One stored message of a thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadStoredMessage {
    /// Position in the thread, from 1.
    pub seq: u64,
    /// Who appended it (a step key such as `{run}/{node}/{item}`).
    pub source: String,
    /// The message as the agent stored it (role, content, tool calls or results).
    pub message: Value,
    /// When it was appended.
    pub created_at: DateTime<Utc>,
}

/// A thread as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadRecord {
    /// Thread id, unique in the organization.
    pub id: String,
    /// The summary of every message up to `summarized_through`.
    pub summary: Option<String>,
    /// The last seq the summary covers (0 when none).
    pub summarized_through: u64,
    /// The seq of the last message ever appended.
    pub last_seq: u64,
    /// When the thread was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The messages the query asked for, oldest first.
    pub messages: Vec<ThreadStoredMessage>,
}
