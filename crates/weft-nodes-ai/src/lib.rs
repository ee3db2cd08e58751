//! AI node types. `ai.openai@1` sends one chat completion to any OpenAI-compatible endpoint
//! (OpenAI, llama.cpp, vLLM, Ollama, …) and records token usage; the agent loop is later work.
//! `ai.huggingface@1` generates text or embeddings through the Hugging Face Inference API or
//! self-hosted TGI/TEI servers.
//!
//! [`LlmMode`] makes runs reproducible: `Record` stores every exchange in a cassette directory
//! keyed by a digest of the request, `Replay` answers from it without any network.
#![warn(missing_docs)]

mod cassette;
mod huggingface;
mod openai;
mod transport;

pub use cassette::LlmMode;
pub use huggingface::HuggingFaceNode;
pub use openai::OpenAiNode;

use std::sync::Arc;
use weft_node_api::NodeRegistry;

/// Registers the AI node types.
pub fn register(registry: &mut NodeRegistry, mode: LlmMode) {
    registry.register(Arc::new(OpenAiNode::new(mode.clone())));
    registry.register(Arc::new(HuggingFaceNode::new(mode)));
}
