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
use async_trait::async_trait;
use chrono::Utc;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use weft_node_api::{
    ChildOutcome, ChildRequest, Credential, EngineServices, NodeError, NodeType, NodeTypeRef,
    StepContext, ThreadMessage, ThreadSnapshot,
};
use weft_store_api::{TenantScope, ThreadQuery};

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
    pub(crate) node: usize,
    pub(crate) attempt: u32,
    /// Checkpoints of earlier attempts.
    pub(crate) seeded: Arc<BTreeMap<String, Value>>,
    pub(crate) tx: mpsc::UnboundedSender<StepMessage>,
}

fn store_error(what: &str, e: impl std::fmt::Display) -> NodeError {
    NodeError::transient("engine.store", format!("{what}: {e}"))
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
}
