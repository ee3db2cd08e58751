//! What a step tells the engine about its model calls: a call's worst case before it is made
//! (for budgets), what it cost after (for accounting), and the response cache.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A model call about to be made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LlmCallPlan {
    /// Provider kind (`openai`, `anthropic`).
    pub provider: String,
    /// The model asked.
    pub model: String,
    /// Prompt tokens, estimated from the messages and tools.
    pub prompt_tokens: u64,
    /// The most completion tokens the call may produce (its `max_tokens`).
    pub max_completion_tokens: u64,
}

/// What the engine reserved for a planned call; hand it back with the call's outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LlmTicket {
    /// The budget reservation, when a budget applied.
    pub reservation: Option<String>,
    /// The model's price (dollars per million tokens, input and output), when known.
    pub price: Option<(f64, f64)>,
}

/// A model call that was made (or answered from the cache).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LlmCallDone {
    /// Provider kind.
    pub provider: String,
    /// The model that answered (or was asked, when the call failed).
    pub model: String,
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Completion tokens.
    pub completion_tokens: u64,
    /// Wall time.
    pub latency_ms: u64,
    /// Answered from the response cache (costs nothing).
    pub cached: bool,
    /// Whether the cache was consulted: `Some(true)` hit, `Some(false)` miss, `None` not used.
    pub cache: Option<bool>,
    /// False when the call failed.
    pub ok: bool,
}

/// What a call cost, as accounted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LlmCost {
    /// Nano-dollars (1e-9 USD).
    pub cost_nanos: i64,
    /// False when the model has no price (the cost is then 0, not guessed).
    pub priced: bool,
}

impl LlmCost {
    /// Dollars.
    pub fn usd(&self) -> f64 {
        self.cost_nanos as f64 / 1e9
    }
}

/// A cached response and how long to keep it.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmCacheEntry {
    /// The response.
    pub response: Value,
    /// Seconds it is served.
    pub ttl_seconds: u64,
}

/// The error code of a call refused by a budget.
pub const BUDGET_EXCEEDED: &str = "budget_exceeded";
