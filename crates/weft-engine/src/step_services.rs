//! What a running step gets from the engine beyond child runs and credentials: checkpoints,
//! live progress events, in-process node types (an agent's tools) and conversation threads.
//!
//! **Checkpoints** let a step keep work it has done and paid for — a model's answer, a tool's
//! side effect — across a crash or a failed attempt: `StepContext::record_checkpoint` sends the
//! value to the run's executor, which journals it as [`Event::StepCheckpoint`] (the executor
//! is the run's only journal writer: it numbers the entries) and answers once the entry is
//! durable. Folding the journal collects the unfinished step's checkpoints in its
//! [`crate::state::StepState`]; the next attempt gets them back through
//! `StepContext::checkpoint`. A finished step's checkpoints are dropped from memory.
//!
//! **Progress** events go the same way and become live [`RunEventKind::StepProgress`] events,
//! never journaled.
//!
//! [`Event::StepCheckpoint`]: crate::journal::Event::StepCheckpoint
//! [`RunEventKind::StepProgress`]: crate::events::RunEventKind::StepProgress

use crate::engine::Inner;
use crate::events::RunEventKind;
use async_trait::async_trait;
use chrono::Utc;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use weft_node_api::{
    BUDGET_EXCEEDED, ChildOutcome, ChildRequest, Credential, EngineServices, LlmCacheEntry,
    LlmCallDone, LlmCallPlan, LlmCost, LlmTicket, NodeError, NodeType, NodeTypeRef, StepContext,
    ThreadMessage, ThreadSnapshot,
};
use weft_store_api::llm::{
    self as acct, LlmCall, LlmCaller, LlmPrice, Reservation, ReserveOutcome, ReserveRequest,
};
use weft_store_api::{RunId, TenantScope, ThreadQuery};

/// A request from a running step to its run's executor.
pub(crate) enum StepMessage {
    /// Journal a checkpoint and answer once it is durable.
    Checkpoint {
        /// Node index.
        node: usize,
        /// The attempt recording it.
        attempt: u32,
        /// The step's key.
        key: String,
        /// The value (already redacted).
        value: Value,
        /// Where the commit's outcome goes.
        reply: oneshot::Sender<Result<(), NodeError>>,
    },
    /// Emit a live event about the step, made from its node's event id.
    Emit {
        /// Node index.
        node: usize,
        /// Builds the event.
        kind: Box<dyn FnOnce(Arc<str>) -> RunEventKind + Send>,
    },
    /// Emit a live progress event.
    Progress {
        /// Node index.
        node: usize,
        /// The attempt reporting.
        attempt: u32,
        /// What to report.
        data: Value,
    },
}

/// [`EngineServices`] for one attempt of one step: the run's services plus checkpoints,
/// progress, node types and threads.
pub(crate) struct StepServices {
    pub(crate) base: Arc<dyn EngineServices>,
    pub(crate) inner: Arc<Inner>,
    pub(crate) scope: Arc<TenantScope>,
    pub(crate) run_meta: Arc<RunMeta>,
    pub(crate) node: usize,
    pub(crate) attempt: u32,
    /// Checkpoints of earlier attempts.
    pub(crate) seeded: Arc<BTreeMap<String, Value>>,
    pub(crate) tx: mpsc::UnboundedSender<StepMessage>,
}

/// What a run's model calls are accounted under, besides its scope and id.
pub(crate) struct RunMeta {
    pub(crate) workflow_id: Option<String>,
    pub(crate) workflow_name: String,
}

fn store_error(what: &str, e: impl std::fmt::Display) -> NodeError {
    NodeError::transient("engine.store", format!("{what}: {e}"))
}

impl StepServices {
    fn caller(&self, ctx: &StepContext) -> LlmCaller {
        LlmCaller {
            team_id: self.scope.team_id.clone(),
            workflow_id: self.run_meta.workflow_id.clone(),
            workflow_name: self.run_meta.workflow_name.clone(),
            run_id: ctx.run_id.clone(),
            node_id: ctx.node_id.clone(),
            attempt: ctx.attempt,
        }
    }

    fn emit(&self, kind: impl FnOnce(Arc<str>) -> RunEventKind + Send + 'static) {
        let _ = self.tx.send(StepMessage::Emit {
            node: self.node,
            kind: Box::new(kind),
        });
    }
}

fn usd(nanos: i64) -> f64 {
    acct::nanos_to_usd(nanos)
}

#[async_trait]
impl EngineServices for StepServices {
    async fn run_child(
        &self,
        ctx: &StepContext,
        request: ChildRequest,
    ) -> Result<ChildOutcome, NodeError> {
        self.base.run_child(ctx, request).await
    }

    async fn credential(&self, ctx: &StepContext, id: &str) -> Result<Credential, NodeError> {
        self.base.credential(ctx, id).await
    }

    fn node_type(&self, type_ref: &NodeTypeRef) -> Option<Arc<dyn NodeType>> {
        self.inner.registry.get(type_ref).cloned()
    }

    fn checkpoint(&self, _ctx: &StepContext, key: &str) -> Option<Value> {
        self.seeded.get(key).cloned()
    }

    async fn record_checkpoint(
        &self,
        ctx: &StepContext,
        key: &str,
        mut value: Value,
    ) -> Result<(), NodeError> {
        // Checkpoints are journaled like step output: without the secrets the step saw.
        let secrets = ctx.secrets();
        if !secrets.is_empty() {
            let mut redactor = weft_secrets::Redactor::new();
            for s in &secrets {
                redactor.add(s);
            }
            redactor.value(&mut value);
        }
        let (reply, answer) = oneshot::channel();
        let gone = || {
            NodeError::transient(
                "engine.stopping",
                "the run stopped before the checkpoint was recorded",
            )
        };
        self.tx
            .send(StepMessage::Checkpoint {
                node: self.node,
                attempt: self.attempt,
                key: key.to_owned(),
                value,
                reply,
            })
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    fn progress(&self, _ctx: &StepContext, data: Value) {
        let _ = self.tx.send(StepMessage::Progress {
            node: self.node,
            attempt: self.attempt,
            data,
        });
    }

    async fn load_thread(
        &self,
        _ctx: &StepContext,
        thread_id: &str,
        exclude_source: &str,
    ) -> Result<ThreadSnapshot, NodeError> {
        let query = ThreadQuery {
            exclude_source: Some(exclude_source.to_owned()),
            last: None,
        };
        let record = self
            .inner
            .store
            .load_thread(&self.scope, thread_id, &query)
            .await
            .map_err(|e| store_error(&format!("could not read thread {thread_id:?}"), e))?;
        Ok(record
            .map(|t| ThreadSnapshot {
                summary: t.summary,
                summarized_through: t.summarized_through,
                messages: t
                    .messages
                    .into_iter()
                    .map(|m| ThreadMessage {
                        seq: m.seq,
                        source: m.source,
                        message: m.message,
                    })
                    .collect(),
            })
            .unwrap_or_default())
    }

    async fn save_thread(
        &self,
        ctx: &StepContext,
        thread_id: &str,
        source: &str,
        mut messages: Vec<Value>,
    ) -> Result<(), NodeError> {
        let secrets = ctx.secrets();
        if !secrets.is_empty() {
            let mut redactor = weft_secrets::Redactor::new();
            for s in &secrets {
                redactor.add(s);
            }
            for m in &mut messages {
                redactor.value(m);
            }
        }
        self.inner
            .store
            .append_thread(&self.scope, thread_id, source, messages, Utc::now())
            .await
            .map(drop)
            .map_err(|e| store_error(&format!("could not save thread {thread_id:?}"), e))
    }

    async fn summarize_thread(
        &self,
        _ctx: &StepContext,
        thread_id: &str,
        summary: String,
        through: u64,
    ) -> Result<(), NodeError> {
        self.inner
            .store
            .summarize_thread(&self.scope, thread_id, &summary, through, Utc::now())
            .await
            .map(drop)
            .map_err(|e| store_error(&format!("could not summarize thread {thread_id:?}"), e))
    }

    async fn llm_reserve(
        &self,
        ctx: &StepContext,
        plan: &LlmCallPlan,
    ) -> Result<LlmTicket, NodeError> {
        let store = &self.inner.store;
        let prices = store
            .list_llm_prices(&self.scope)
            .await
            .map_err(|e| store_error("could not read the price table", e))?;
        let price = acct::price_for(&prices, &plan.model);
        let nanos = price
            .as_ref()
            .map(|p| p.cost_nanos(plan.prompt_tokens, plan.max_completion_tokens))
            .unwrap_or(0);
        let request = ReserveRequest {
            caller: self.caller(ctx),
            tokens: plan.prompt_tokens + plan.max_completion_tokens,
            nanos,
            at: Utc::now(),
        };
        let outcome = store
            .reserve_llm(&self.scope, &request)
            .await
            .map_err(|e| store_error("could not check the budgets", e))?;
        match outcome {
            ReserveOutcome::Reserved(r) => Ok(LlmTicket {
                reservation: r.id,
                price: price.map(|p| (p.input_per_mtok, p.output_per_mtok)),
            }),
            ReserveOutcome::Refused(r) => {
                let b = &r.budget;
                let limit = match (b.max_tokens, b.max_cost_nanos) {
                    (Some(t), Some(n)) => format!("{t} tokens / ${:.6}", usd(n)),
                    (Some(t), None) => format!("{t} tokens"),
                    (None, Some(n)) => format!("${:.6}", usd(n)),
                    (None, None) => "no limit".to_owned(),
                };
                Err(NodeError::permanent(
                    BUDGET_EXCEEDED,
                    format!(
                        "budget {:?} ({}) would be exceeded by this call to {}: window {} has spent {} tokens / ${:.6} with {} tokens / ${:.6} in flight; this call may take {} tokens / ${:.6}",
                        b.name,
                        limit,
                        plan.model,
                        r.window,
                        r.spend.spent_tokens,
                        usd(r.spend.spent_nanos),
                        r.spend.reserved_tokens,
                        usd(r.spend.reserved_nanos),
                        r.wanted_tokens,
                        usd(r.wanted_nanos),
                    ),
                )
                .with_details(serde_json::json!({
                    "budget": { "id": b.id, "name": b.name, "scope": b.scope, "scopeId": b.scope_id,
                        "window": b.window, "maxTokens": b.max_tokens,
                        "maxCostUsd": b.max_cost_nanos.map(usd) },
                    "window": r.window,
                    "spentTokens": r.spend.spent_tokens,
                    "spentUsd": usd(r.spend.spent_nanos),
                    "reservedTokens": r.spend.reserved_tokens,
                    "reservedUsd": usd(r.spend.reserved_nanos),
                    "callTokens": r.wanted_tokens,
                    "callUsd": usd(r.wanted_nanos),
                })))
            }
        }
    }

    async fn llm_settle(
        &self,
        ctx: &StepContext,
        ticket: LlmTicket,
        done: &LlmCallDone,
    ) -> Result<LlmCost, NodeError> {
        let price = match ticket.price {
            Some((i, o)) => Some(LlmPrice {
                model: done.model.clone(),
                input_per_mtok: i,
                output_per_mtok: o,
            }),
            // Nothing was reserved (a cached answer): the price is looked up for the flag.
            None => {
                let prices = self
                    .inner
                    .store
                    .list_llm_prices(&self.scope)
                    .await
                    .map_err(|e| store_error("could not read the price table", e))?;
                acct::price_for(&prices, &done.model)
            }
        };
        let cost = LlmCost {
            cost_nanos: match (&price, done.cached) {
                (Some(p), false) => p.cost_nanos(done.prompt_tokens, done.completion_tokens),
                _ => 0,
            },
            priced: price.is_some(),
        };
        let call = LlmCall {
            id: RunId::new().to_string(),
            caller: self.caller(ctx),
            provider: done.provider.clone(),
            model: done.model.clone(),
            prompt_tokens: done.prompt_tokens,
            completion_tokens: done.completion_tokens,
            latency_ms: done.latency_ms,
            cost_nanos: cost.cost_nanos,
            priced: cost.priced,
            cached: done.cached,
            ok: done.ok,
            at: Utc::now(),
        };
        let crossings = self
            .inner
            .store
            .settle_llm(
                &self.scope,
                &Reservation {
                    id: ticket.reservation,
                },
                &call,
            )
            .await
            .map_err(|e| store_error("could not record the model call", e))?;
        let (attempt, d) = (self.attempt, done.clone());
        self.emit(move |node| RunEventKind::LlmCall {
            node,
            attempt,
            provider: d.provider,
            model: d.model,
            prompt_tokens: d.prompt_tokens,
            completion_tokens: d.completion_tokens,
            cost_usd: usd(cost.cost_nanos),
            priced: cost.priced,
            cached: d.cached,
            cache: d.cache.map(|hit| if hit { "hit" } else { "miss" }),
            ok: d.ok,
        });
        for c in crossings {
            ctx.log(
                weft_node_api::LogLevel::Warn,
                format!(
                    "budget {:?} reached {} % in window {}",
                    c.budget.name, c.threshold, c.window
                ),
            );
            self.emit(move |node| RunEventKind::BudgetThreshold {
                node,
                budget_id: c.budget.id,
                budget_name: c.budget.name,
                window: c.window,
                threshold: c.threshold,
                spent_tokens: c.spend.spent_tokens,
                spent_usd: usd(c.spend.spent_nanos),
                max_tokens: c.budget.max_tokens,
                max_usd: c.budget.max_cost_nanos.map(usd),
            });
        }
        Ok(cost)
    }

    fn llm_abandon(&self, ctx: &StepContext, ticket: LlmTicket, provider: &str, model: &str) {
        let call = LlmCall {
            id: RunId::new().to_string(),
            caller: self.caller(ctx),
            provider: provider.to_owned(),
            model: model.to_owned(),
            prompt_tokens: 0,
            completion_tokens: 0,
            latency_ms: 0,
            cost_nanos: 0,
            priced: ticket.price.is_some(),
            cached: false,
            ok: false,
            at: Utc::now(),
        };
        let (store, scope) = (self.inner.store.clone(), self.scope.clone());
        let reservation = Reservation {
            id: ticket.reservation,
        };
        // Outside a runtime (a process tearing down) the reservation expires on its own.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = store.settle_llm(&scope, &reservation, &call).await {
                    tracing::warn!(error = %e, "could not release an abandoned model call's reservation");
                }
            });
        }
    }

    async fn llm_cache_get(&self, _ctx: &StepContext, key: &str) -> Option<Value> {
        match self
            .inner
            .store
            .get_llm_cache(&self.scope, key, Utc::now())
            .await
        {
            Ok(hit) => hit.map(|c| c.response),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the model cache");
                None
            }
        }
    }

    async fn llm_cache_put(&self, _ctx: &StepContext, key: &str, entry: LlmCacheEntry) {
        let now = Utc::now();
        let ttl = chrono::TimeDelta::seconds(
            i64::try_from(entry.ttl_seconds).unwrap_or(i64::MAX / 2_000),
        );
        let expires = now.checked_add_signed(ttl).unwrap_or(now);
        if let Err(e) = self
            .inner
            .store
            .put_llm_cache(&self.scope, key, &entry.response, expires, now)
            .await
        {
            tracing::warn!(error = %e, "could not write the model cache");
        }
    }
}
