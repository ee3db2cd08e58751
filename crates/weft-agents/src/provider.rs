//! The one interface every model provider implements, and what a call needs besides the
//! request: cancellation, a token sink for streaming, a time limit.

use crate::chat::{ChatRequest, ChatResponse};
use async_trait::async_trait;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use weft_node_api::NodeError;

/// Receives the text of an answer piece by piece as the model streams it.
pub type TokenSink<'a> = &'a (dyn Fn(&str) + Send + Sync);

/// How one call runs.
#[derive(Clone, Copy)]
pub struct CallOptions<'a> {
    /// Stops the call promptly (a stream is dropped mid-way).
    pub cancel: &'a CancellationToken,
    /// Streams the answer when set (`stream: true`); otherwise one response body.
    pub on_token: Option<TokenSink<'a>>,
    /// The whole call, first byte to last.
    pub timeout: Duration,
}

/// A chat model behind some API.
#[async_trait]
pub trait ChatProvider: Send + Sync {
    /// The provider kind, e.g. `openai` or `anthropic`; part of cassette keys.
    fn kind(&self) -> &str;
    /// Where requests go, for messages (never a secret).
    fn endpoint(&self) -> &str;
    /// Sends one request. Errors are [`NodeError`]s: transient for network failures, timeouts,
    /// HTTP 429 and 5xx (with `retry_after` from `Retry-After`), permanent otherwise;
    /// `cancelled` when `options.cancel` fired.
    async fn chat(
        &self,
        request: &ChatRequest,
        options: CallOptions<'_>,
    ) -> Result<ChatResponse, NodeError>;
}
