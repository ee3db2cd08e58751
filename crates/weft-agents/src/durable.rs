//! Durable work within one step: every completed model call (and tool call) of an agent is
//! checkpointed in the run's journal, under a key made of its position in the step and a digest
//! of what it asked. When the step runs again — after a crash, or as a retry — the same calls
//! in the same order find their answers and are not paid for twice; the first call that differs
//! (or was never completed) goes to the model.

use crate::cassette::request_digest;
use crate::chat::{CallRecord, ChatRequest, ChatResponse, Usage};
use crate::provider::CallOptions;
use crate::resilience::Fallback;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use weft_node_api::{NodeError, StepContext};

/// Checkpointed model and tool calls of one step (or one item of it).
pub struct DurableCalls<'a> {
    ctx: &'a StepContext,
    scope: String,
    next_call: AtomicU32,
    next_effect: AtomicU32,
    calls: Mutex<Vec<CallRecord>>,
}

fn digest(v: &Value) -> String {
    Sha256::digest(v.to_string().as_bytes())
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl<'a> DurableCalls<'a> {
    /// Calls of `ctx`'s step under `scope` (e.g. `item/0`), which must be unique in the step.
    pub fn new(ctx: &'a StepContext, scope: impl Into<String>) -> Self {
        DurableCalls {
            ctx,
            scope: scope.into(),
            next_call: AtomicU32::new(0),
            next_effect: AtomicU32::new(0),
            calls: Mutex::new(Vec::new()),
        }
    }

    /// The step context.
    pub fn ctx(&self) -> &'a StepContext {
        self.ctx
    }

    /// Sends a request down a fallback chain, or takes the answer an earlier attempt got for
    /// the same request at the same position. A replayed answer is handed to the token sink
    /// whole, so live views still see it.
    pub async fn chat(
        &self,
        chain: &Fallback,
        request: &ChatRequest,
        options: CallOptions<'_>,
    ) -> Result<ChatResponse, NodeError> {
        let n = self.next_call.fetch_add(1, Ordering::Relaxed);
        let key = format!("{}/llm/{n}/{}", self.scope, request_digest("chat", request));
        if let Some(v) = self.ctx.checkpoint(&key)
            && let Ok(response) = serde_json::from_value::<ChatResponse>(v)
        {
            if let Some(sink) = options.on_token
                && !response.content.is_empty()
            {
                sink(&response.content);
            }
            self.push(CallRecord::of(&response, true));
            return Ok(response);
        }
        let response = chain.chat(request, options).await?;
        // Accounted before the checkpoint: a failure to record does not hide what was spent.
        self.push(CallRecord::of(&response, false));
        let value = serde_json::to_value(&response).unwrap_or(Value::Null);
        self.ctx.record_checkpoint(&key, value).await?;
        Ok(response)
    }

    /// Runs a side effect once: its result (success or error) is checkpointed under `name`,
    /// the effect's position and a digest of `fingerprint`; a later attempt gets the same
    /// result back without running it again. Cancellation is not recorded.
    pub async fn effect<T, F>(
        &self,
        name: &str,
        fingerprint: &Value,
        run: F,
    ) -> Result<T, NodeError>
    where
        T: Serialize + DeserializeOwned,
        F: Future<Output = Result<T, NodeError>>,
    {
        let n = self.next_effect.fetch_add(1, Ordering::Relaxed);
        let key = format!(
            "{}/{name}/{n}/{}",
            self.scope,
            digest(&json!({ "name": name, "input": fingerprint }))
        );
        if let Some(v) = self.ctx.checkpoint(&key) {
            if let Some(ok) = v.get("ok")
                && let Ok(ok) = serde_json::from_value::<T>(ok.clone())
            {
                return Ok(ok);
            }
            if let Some(err) = v.get("err")
                && let Ok(err) = serde_json::from_value::<NodeError>(err.clone())
            {
                return Err(err);
            }
        }
        let result = run.await;
        let record = match &result {
            Err(e) if e.code == "cancelled" => return result,
            Ok(v) => json!({ "ok": v }),
            Err(e) => json!({ "err": e }),
        };
        self.ctx.record_checkpoint(&key, record).await?;
        result
    }

    fn push(&self, record: CallRecord) {
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(record);
    }

    /// Every model call so far, replayed ones included.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Tokens of every model call so far.
    pub fn usage(&self) -> Usage {
        let mut u = Usage::default();
        for c in self.calls.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            u += Usage {
                prompt_tokens: c.prompt_tokens,
                completion_tokens: c.completion_tokens,
            };
        }
        u
    }

    /// Usage as the step reports it: totals and every call.
    pub fn usage_json(&self) -> Value {
        let u = self.usage();
        json!({
            "promptTokens": u.prompt_tokens,
            "completionTokens": u.completion_tokens,
            "totalTokens": u.total(),
            "calls": self.calls(),
        })
    }
}
