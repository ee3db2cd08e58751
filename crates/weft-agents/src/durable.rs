//! Durable work within one step: every completed model call (and tool call) of an agent is
//! checkpointed in the run's journal, under a key made of its position in the step and a digest
//! of what it asked. When the step runs again — after a crash, or as a retry — the same calls
//! in the same order find their answers and are not paid for twice; the first call that differs
//! (or was never completed) goes to the model.

use crate::cassette::request_digest;
use crate::chat::{CallRecord, ChatRequest, ChatResponse, Usage};
use crate::provider::CallOptions;
use crate::resilience::{CallHook, Fallback, Link};
use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use weft_node_api::{
    LlmCacheEntry, LlmCallDone, LlmCallPlan, LlmCost, LlmTicket, NodeError, StepContext,
};

/// Checkpointed model and tool calls of one step (or one item of it).
pub struct DurableCalls<'a> {
    ctx: &'a StepContext,
    scope: String,
    next_call: AtomicU32,
    next_effect: AtomicU32,
    calls: Mutex<Vec<CallRecord>>,
    cache_ttl: Option<u64>,
}

/// Where a checkpointed answer keeps what it cost.
const ACCOUNTING: &str = "weftAccounting";

/// Completion tokens assumed for a call's worst case when it sets no `maxTokens`.
pub const ASSUMED_MAX_TOKENS: u64 = 1024;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Prompt tokens of a request, estimated from its text (about four characters a token, plus
/// a few per message): what a budget reserves before the provider counts them.
pub fn estimate_prompt_tokens(request: &ChatRequest) -> u64 {
    let mut chars = 0usize;
    for m in &request.messages {
        chars += m.content.len();
        for c in &m.tool_calls {
            chars += c.name.len() + c.arguments.to_string().len();
        }
    }
    for t in &request.tools {
        chars += t.name.len() + t.description.len() + t.parameters.to_string().len();
    }
    if let Some(f) = &request.response_format {
        chars += f.schema.to_string().len();
    }
    (chars as u64).div_ceil(4) + 4 * request.messages.len() as u64 + 8
}

/// The response cache's key: what the model sees and where it is served.
pub fn cache_key(link: &Link, request: &ChatRequest) -> String {
    let mut req = request.clone();
    req.model = link.model.clone();
    let canonical = json!({
        "provider": link.provider.kind(),
        "baseUrl": link.provider.endpoint(),
        "request": req,
    });
    Sha256::digest(canonical.to_string().as_bytes())
        .iter()
        .take(20)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Meters each provider call of one chat: reserves before, settles after.
struct Meter<'c, 'a> {
    calls: &'c DurableCalls<'a>,
    cache: bool,
    /// The reservation of the call in flight, with its provider and model.
    ticket: Mutex<Option<(LlmTicket, String, String)>>,
    cost: Mutex<Option<LlmCost>>,
}

impl Drop for Meter<'_, '_> {
    /// A chat dropped mid-call (its caller stopped waiting) gives its reservation back.
    fn drop(&mut self) {
        if let Some((ticket, provider, model)) = lock(&self.ticket).take() {
            let ctx = self.calls.ctx;
            ctx.services().llm_abandon(ctx, ticket, &provider, &model);
        }
    }
}

#[async_trait]
impl CallHook for Meter<'_, '_> {
    async fn before(&self, link: &Link, request: &ChatRequest) -> Result<(), NodeError> {
        let plan = LlmCallPlan {
            provider: link.provider.kind().to_owned(),
            model: request.model.clone(),
            prompt_tokens: estimate_prompt_tokens(request),
            max_completion_tokens: request
                .max_tokens
                .map(u64::from)
                .unwrap_or(ASSUMED_MAX_TOKENS),
        };
        let ctx = self.calls.ctx;
        let ticket = ctx.services().llm_reserve(ctx, &plan).await?;
        *lock(&self.ticket) = Some((ticket, plan.provider, plan.model));
        Ok(())
    }

    async fn after(
        &self,
        link: &Link,
        request: &ChatRequest,
        result: Result<&ChatResponse, &NodeError>,
        elapsed_ms: u64,
    ) -> Result<(), NodeError> {
        let ticket = lock(&self.ticket)
            .take()
            .map(|(t, _, _)| t)
            .unwrap_or_default();
        let cache = self.cache.then_some(false);
        let done = match result {
            Ok(r) => LlmCallDone {
                provider: r.provider.clone(),
                model: r.model.clone(),
                prompt_tokens: r.usage.prompt_tokens,
                completion_tokens: r.usage.completion_tokens,
                latency_ms: r.latency_ms,
                cached: false,
                cache,
                ok: true,
            },
            Err(_) => LlmCallDone {
                provider: link.provider.kind().to_owned(),
                model: request.model.clone(),
                prompt_tokens: 0,
                completion_tokens: 0,
                latency_ms: elapsed_ms,
                cached: false,
                cache,
                ok: false,
            },
        };
        let ctx = self.calls.ctx;
        let cost = ctx.services().llm_settle(ctx, ticket, &done).await?;
        if result.is_ok() {
            *lock(&self.cost) = Some(cost);
        }
        Ok(())
    }
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
            cache_ttl: None,
        }
    }

    /// The step context.
    pub fn ctx(&self) -> &'a StepContext {
        self.ctx
    }

    /// Answers identical requests from the organization's response cache for `ttl_seconds`
    /// (none: no cache).
    pub fn with_cache(mut self, ttl_seconds: Option<u64>) -> Self {
        self.cache_ttl = ttl_seconds;
        self
    }

    /// Sends a request down a fallback chain, or takes the answer an earlier attempt got for
    /// the same request at the same position. A replayed answer is handed to the token sink
    /// whole, so live views still see it.
    ///
    /// Every provider call is metered through the step's services: its worst case is reserved
    /// against the budgets before it is made (a refusal fails with `budget_exceeded` and no
    /// later link is tried), and it is recorded with its cost after, failed or not. A
    /// checkpointed answer carries its accounting and is never recorded again; a cached one is
    /// recorded as cached, at no cost.
    pub async fn chat(
        &self,
        chain: &Fallback,
        request: &ChatRequest,
        options: CallOptions<'_>,
    ) -> Result<ChatResponse, NodeError> {
        let n = self.next_call.fetch_add(1, Ordering::Relaxed);
        let key = format!("{}/llm/{n}/{}", self.scope, request_digest("chat", request));
        if let Some(v) = self.ctx.checkpoint(&key)
            && let Ok(response) = serde_json::from_value::<ChatResponse>(v.clone())
        {
            if let Some(sink) = options.on_token
                && !response.content.is_empty()
            {
                sink(&response.content);
            }
            let mut record = CallRecord::of(&response, true);
            let acct = &v[ACCOUNTING];
            record.cost_usd = acct["costUsd"].as_f64().unwrap_or(0.0);
            record.priced = acct["priced"].as_bool().unwrap_or(false);
            record.cached = acct["cached"].as_bool().unwrap_or(false);
            self.push(record);
            return Ok(response);
        }
        let services = self.ctx.services();
        let cache_key = match (self.cache_ttl, chain.links().first()) {
            (Some(_), Some(link)) => Some(cache_key(link, request)),
            _ => None,
        };
        if let Some(ck) = &cache_key
            && let Some(v) = services.llm_cache_get(self.ctx, ck).await
            && let Ok(response) = serde_json::from_value::<ChatResponse>(v)
        {
            if let Some(sink) = options.on_token
                && !response.content.is_empty()
            {
                sink(&response.content);
            }
            let done = LlmCallDone {
                provider: response.provider.clone(),
                model: response.model.clone(),
                prompt_tokens: response.usage.prompt_tokens,
                completion_tokens: response.usage.completion_tokens,
                latency_ms: 0,
                cached: true,
                cache: Some(true),
                ok: true,
            };
            let cost = services
                .llm_settle(self.ctx, LlmTicket::default(), &done)
                .await?;
            let mut record = CallRecord::of(&response, false);
            record.cached = true;
            record.priced = cost.priced;
            return self.keep(&key, response, record).await;
        }
        let meter = Meter {
            calls: self,
            cache: cache_key.is_some(),
            ticket: Mutex::new(None),
            cost: Mutex::new(None),
        };
        let response = chain.chat_with(request, options, Some(&meter)).await?;
        let cost = lock(&meter.cost).take().unwrap_or_default();
        let mut record = CallRecord::of(&response, false);
        record.cost_usd = cost.usd();
        record.priced = cost.priced;
        if let (Some(ck), Some(ttl)) = (&cache_key, self.cache_ttl) {
            let entry = LlmCacheEntry {
                response: serde_json::to_value(&response).unwrap_or(Value::Null),
                ttl_seconds: ttl,
            };
            services.llm_cache_put(self.ctx, ck, entry).await;
        }
        self.keep(&key, response, record).await
    }

    /// Accounts for an answer in the step's usage and checkpoints it with its accounting.
    async fn keep(
        &self,
        key: &str,
        response: ChatResponse,
        record: CallRecord,
    ) -> Result<ChatResponse, NodeError> {
        let mut value = serde_json::to_value(&response).unwrap_or(Value::Null);
        if let Some(m) = value.as_object_mut() {
            m.insert(
                ACCOUNTING.into(),
                json!({ "costUsd": record.cost_usd, "priced": record.priced, "cached": record.cached }),
            );
        }
        // Accounted before the checkpoint: a failure to record does not hide what was spent.
        self.push(record);
        self.ctx.record_checkpoint(key, value).await?;
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
        let calls = self.calls();
        let cost: f64 = calls.iter().map(|c| c.cost_usd).sum();
        json!({
            "promptTokens": u.prompt_tokens,
            "completionTokens": u.completion_tokens,
            "totalTokens": u.total(),
            "costUsd": cost,
            "calls": calls,
        })
    }
}
