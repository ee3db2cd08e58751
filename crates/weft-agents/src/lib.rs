//! AI agents.
//!
//! - Providers behind one interface ([`provider::ChatProvider`]): OpenAI-compatible chat
//!   completions ([`openai`]) and the Anthropic messages API ([`anthropic`]), both streaming;
//!   retries with backoff and a fallback chain ([`resilience`]); record/replay ([`cassette`]).
//! - Tolerant tool-call parsing ([`toolcall`]): native calls, or bare, fenced or tagged JSON in
//!   the text, checked against each tool's JSON Schema.
//! - Durable calls within a step ([`durable`]): completed model and tool calls are
//!   checkpointed in the run's journal and not repeated after a crash or retry.
//! - The `ai.agent@1` node ([`agent`]) and the multi-agent strategies ([`strategy`]):
//!   `ai.sequential`, `ai.parallel`, `ai.consensus`, `ai.supervisor`, `ai.debate`.
#![warn(missing_docs)]

pub mod agent;
pub mod anthropic;
pub mod cassette;
pub mod chat;
pub mod durable;
pub mod http;
pub mod openai;
pub mod provider;
pub mod resilience;
pub mod sse;
pub mod strategy;
pub mod toolcall;

pub use agent::AgentNode;
pub use cassette::LlmMode;

use std::sync::Arc;
use weft_node_api::NodeRegistry;

/// Registers the agent node types; model calls are live, recorded or replayed as `mode` says.
pub fn register(registry: &mut NodeRegistry, mode: LlmMode) {
    registry.register(Arc::new(AgentNode::new(mode.clone())));
    use strategy::{Kind, StrategyNode};
    for kind in [
        Kind::Sequential,
        Kind::Parallel,
        Kind::Consensus,
        Kind::Supervisor,
        Kind::Debate,
    ] {
        registry.register(Arc::new(StrategyNode::new(kind, mode.clone())));
    }
}
