//! Record/replay of model calls for deterministic tests and demos, with the switch
//! `ai.openai` uses ([`LlmMode`]: `WEFT_LLM_MODE` and `WEFT_LLM_CASSETTES`).
//!
//! A cassette is one JSON file per call, named by a digest of the provider kind and the
//! [`ChatRequest`] (what the model sees, not where it is served or with which key). It keeps
//! the response and the pieces it streamed in, so a replay streams the same tokens.

use crate::chat::{ChatRequest, ChatResponse};
use crate::provider::{CallOptions, ChatProvider};
use async_trait::async_trait;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use weft_node_api::NodeError;
pub use weft_nodes_ai::LlmMode;

/// A hex digest of a request as a provider kind sees it.
pub fn request_digest(kind: &str, request: &ChatRequest) -> String {
    let canonical = json!({ "provider": kind, "request": request }).to_string();
    Sha256::digest(canonical.as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn file(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("chat-{key}.json"))
}

fn cassette_error(message: String) -> NodeError {
    NodeError::permanent("ai.cassette", message)
}

/// A provider that records every call to a directory, or answers only from it.
pub struct Cassette {
    inner: Arc<dyn ChatProvider>,
    mode: LlmMode,
}

impl Cassette {
    /// Wraps `inner`; with [`LlmMode::Live`] it is passed through untouched.
    pub fn wrap(inner: Arc<dyn ChatProvider>, mode: LlmMode) -> Arc<dyn ChatProvider> {
        match mode {
            LlmMode::Live => inner,
            mode => Arc::new(Cassette { inner, mode }),
        }
    }
}

#[async_trait]
impl ChatProvider for Cassette {
    fn kind(&self) -> &str {
        self.inner.kind()
    }

    fn endpoint(&self) -> &str {
        self.inner.endpoint()
    }

    async fn chat(
        &self,
        request: &ChatRequest,
        options: CallOptions<'_>,
    ) -> Result<ChatResponse, NodeError> {
        let key = request_digest(self.inner.kind(), request);
        match &self.mode {
            LlmMode::Replay(dir) => {
                let path = file(dir, &key);
                let text = match std::fs::read_to_string(&path) {
                    Ok(t) => t,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        return Err(cassette_error(format!(
                            "no recorded answer for this request (key {key}) in {}; record it with WEFT_LLM_MODE=record",
                            dir.display()
                        )));
                    }
                    Err(e) => {
                        return Err(cassette_error(format!(
                            "cannot read cassette {}: {e}",
                            path.display()
                        )));
                    }
                };
                let v: Value = serde_json::from_str(&text).map_err(|e| {
                    cassette_error(format!("cassette {} is damaged: {e}", path.display()))
                })?;
                let response: ChatResponse = serde_json::from_value(v["response"].clone())
                    .map_err(|e| {
                        cassette_error(format!("cassette {} is damaged: {e}", path.display()))
                    })?;
                if options.cancel.is_cancelled() {
                    return Err(crate::http::cancelled());
                }
                if let Some(sink) = options.on_token {
                    match v["chunks"].as_array() {
                        Some(chunks) => chunks.iter().filter_map(Value::as_str).for_each(sink),
                        None => sink(&response.content),
                    }
                }
                Ok(response)
            }
            LlmMode::Record(dir) => {
                let chunks = Mutex::new(Vec::<String>::new());
                let record = |t: &str| {
                    chunks
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(t.to_owned());
                    if let Some(sink) = options.on_token {
                        sink(t);
                    }
                };
                let opts = CallOptions {
                    on_token: options.on_token.map(|_| &record as _),
                    ..options
                };
                let response = self.inner.chat(request, opts).await?;
                let chunks = chunks.into_inner().unwrap_or_else(|p| p.into_inner());
                let text = serde_json::to_string_pretty(&json!({
                    "provider": self.inner.kind(),
                    "request": request,
                    "response": response,
                    "chunks": if options.on_token.is_some() { json!(chunks) } else { Value::Null },
                }))
                .map_err(|e| cassette_error(e.to_string()))?;
                std::fs::create_dir_all(dir)
                    .and_then(|()| std::fs::write(file(dir, &key), text))
                    .map_err(|e| {
                        cassette_error(format!("cannot write a cassette in {}: {e}", dir.display()))
                    })?;
                Ok(response)
            }
            LlmMode::Live => self.inner.chat(request, options).await,
        }
    }
}
