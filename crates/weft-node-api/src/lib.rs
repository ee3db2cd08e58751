//! The node-type interface.
//!
//! A node type declares what it is ([`NodeTypeInfo`]: name, version, params schema, purity),
//! which ports it has for given params, and how it executes one step. Built-in nodes
//! (`weft-nodes`) and, later, WebAssembly plugins implement [`NodeType`]; the engine only ever
//! sees `Arc<dyn NodeType>` from a [`NodeRegistry`], so adding a node never changes the engine.
//!
//! Control flow that needs the engine (sub-workflows, map) goes through [`EngineServices`];
//! durable timers are expressed by returning [`StepResult::Sleep`].

mod context;
mod error;
mod llm;
mod registry;
mod threads;

pub use context::{ExprEnv, LogLevel, LogLine, StepContext, StepIdentity, deserialize_params};
pub use error::{ErrorKind, NodeError};
pub use llm::{BUDGET_EXCEEDED, LlmCacheEntry, LlmCallDone, LlmCallPlan, LlmCost, LlmTicket};
pub use registry::NodeRegistry;
pub use threads::{ThreadMessage, ThreadSnapshot};

pub use weft_model::{NodeTypeInfo, NodeTypeRef, PortSpec, PortType, Purity, ResolvedPorts};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Arc;

/// One item flowing between nodes (n8n's `item.json`).
pub type Item = Value;

/// The items a step receives, per input port, in edge order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeInput {
    /// Items per input port name.
    pub ports: Vec<(String, Vec<Item>)>,
}

impl NodeInput {
    /// Input with items on `main` only.
    pub fn main(items: Vec<Item>) -> Self {
        NodeInput {
            ports: vec![(weft_model::Endpoint::MAIN.to_string(), items)],
        }
    }
    /// The items of one port (empty when nothing arrived there).
    pub fn port(&self, name: &str) -> &[Item] {
        self.ports
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }
    /// Whether an edge delivered to this port.
    pub fn has_port(&self, name: &str) -> bool {
        self.ports.iter().any(|(n, _)| n == name)
    }
    /// The items of the `main` port.
    pub fn main_items(&self) -> &[Item] {
        self.port(weft_model::Endpoint::MAIN)
    }
    /// Takes the items of one port out.
    pub fn take(&mut self, name: &str) -> Vec<Item> {
        self.ports
            .iter_mut()
            .find(|(n, _)| n == name)
            .map(|(_, v)| std::mem::take(v))
            .unwrap_or_default()
    }
}

/// The items a step emits, per output port. A port that is absent was not taken: edges leaving
/// it are skipped, and skipping propagates. A port present with no items is taken, empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeOutput {
    /// Items per emitted output port.
    pub ports: Vec<(String, Vec<Item>)>,
}

impl NodeOutput {
    /// Output on `main` only.
    pub fn main(items: Vec<Item>) -> Self {
        Self::port(weft_model::Endpoint::MAIN, items)
    }
    /// Output on one named port.
    pub fn port(name: impl Into<String>, items: Vec<Item>) -> Self {
        NodeOutput {
            ports: vec![(name.into(), items)],
        }
    }
    /// Adds items to a port, creating it when absent.
    pub fn push(&mut self, port: &str, item: Item) {
        match self.ports.iter_mut().find(|(n, _)| n == port) {
            Some((_, items)) => items.push(item),
            None => self.ports.push((port.to_string(), vec![item])),
        }
    }
    /// The items of a port, if it was emitted.
    pub fn get(&self, port: &str) -> Option<&[Item]> {
        self.ports
            .iter()
            .find(|(n, _)| n == port)
            .map(|(_, v)| v.as_slice())
    }
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq)]
pub enum StepResult {
    /// Finished with this output.
    Done(NodeOutput),
    /// Finish later: the engine records a durable timer and completes the step with `output`
    /// at `until`, holding no thread or task in between.
    Sleep {
        /// When the step completes.
        until: DateTime<Utc>,
        /// Its output then.
        output: NodeOutput,
    },
    /// Wait for a person's decision (an approval): the engine keeps the step waiting durably
    /// until someone approves or rejects it through the API, or `until` passes.
    Await {
        /// When to stop waiting and complete with `on_timeout`; `None` waits indefinitely.
        until: Option<DateTime<Utc>>,
        /// The output if the time runs out.
        on_timeout: NodeOutput,
        /// What the person is asked (shown by the API and the UI), e.g. `{"message": …}`.
        request: Value,
        /// The items a decision sends on: out of `approved` or `rejected`, each with an
        /// `approval` field saying who decided what, when, and why.
        items: Vec<Item>,
    },
}

/// A node type: built-in or plugin.
#[async_trait]
pub trait NodeType: Send + Sync + 'static {
    /// Name, version, params schema, purity, documentation.
    fn info(&self) -> &NodeTypeInfo;
    /// The ports of a node with these params, or a message naming the wrong param.
    fn ports(&self, params: &Map<String, Value>) -> Result<ResolvedPorts, String>;
    /// Executes one step. Must return promptly once `ctx.cancel` is cancelled.
    async fn execute(&self, ctx: &StepContext, input: NodeInput) -> Result<StepResult, NodeError>;
}

/// Where a child workflow comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WorkflowSource {
    /// A full `weft/v1` document given inline.
    Inline(Value),
    /// A stored workflow version.
    Version(String),
}

/// A child run to start (or find, when it already started before a crash).
#[derive(Debug, Clone, PartialEq)]
pub struct ChildRequest {
    /// Unique within the step (e.g. `item/3`); the same key always names the same child run.
    pub key: String,
    /// The workflow to run.
    pub workflow: WorkflowSource,
    /// Its input items.
    pub input: Vec<Item>,
}

/// How a child run ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChildOutcome {
    /// The child run's id.
    pub run_id: String,
    /// Its output items when it succeeded.
    pub output: Vec<Item>,
    /// Its error when it failed or was cancelled.
    pub error: Option<Value>,
}

/// Credential fields that locate or name things rather than prove identity: they are not
/// redacted from run data (redacting "postgres" or "127.0.0.1" everywhere would destroy data).
/// Every other string field is secret.
pub const NON_SECRET_CREDENTIAL_FIELDS: &[&str] = &[
    "host", "port", "user", "username", "database", "path", "in", "name", "tokenUrl", "clientId",
    "scope", "readOnly", "baseUrl", "sslMode",
];

/// A decrypted credential, fetched with [`StepContext::credential`]. `Debug` never shows its
/// fields.
#[derive(Clone, PartialEq)]
pub struct Credential {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind, e.g. `bearer`, `basic`, `apiKey`, `header`.
    pub kind: String,
    /// The secret fields, e.g. `{"token": "…"}` or `{"username": "…", "password": "…"}`.
    pub fields: Map<String, Value>,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("fields", &"«redacted»")
            .finish()
    }
}

impl Credential {
    /// A text field, or an error naming the credential and the missing field.
    pub fn text(&self, field: &str) -> Result<&str, NodeError> {
        self.fields
            .get(field)
            .and_then(Value::as_str)
            .ok_or_else(|| {
                NodeError::permanent(
                    "credential.field_missing",
                    format!(
                        "credential {:?} ({}) has no text field {field:?}",
                        self.name, self.kind
                    ),
                )
            })
    }
}

/// What the engine offers nodes beyond their input.
#[async_trait]
pub trait EngineServices: Send + Sync {
    /// Starts a child run of a workflow (or finds the one started under the same key) and
    /// waits for it to finish.
    async fn run_child(
        &self,
        ctx: &StepContext,
        request: ChildRequest,
    ) -> Result<ChildOutcome, NodeError>;

    /// Decrypts a credential of the run's organization. Use [`StepContext::credential`], which
    /// also registers the values for redaction.
    async fn credential(&self, _ctx: &StepContext, id: &str) -> Result<Credential, NodeError> {
        Err(NodeError::permanent(
            "credential.unavailable",
            format!("credential {id:?} cannot be used here: this engine has no credential store"),
        ))
    }

    /// The node type registered under this name and version, for nodes that run other node
    /// types in-process (an agent's tools). `None` where no registry is offered.
    fn node_type(&self, _type_ref: &NodeTypeRef) -> Option<Arc<dyn NodeType>> {
        None
    }

    /// The value this step recorded under `key` in an earlier attempt (one that crashed or
    /// failed). Use [`StepContext::checkpoint`], which scopes the key.
    fn checkpoint(&self, _ctx: &StepContext, _key: &str) -> Option<Value> {
        None
    }

    /// Records `value` under `key` for later attempts of this step and returns once it is
    /// durable. Where nothing durable is offered (tests, tools), nothing is kept. Use
    /// [`StepContext::record_checkpoint`].
    async fn record_checkpoint(
        &self,
        _ctx: &StepContext,
        _key: &str,
        _value: Value,
    ) -> Result<(), NodeError> {
        Ok(())
    }

    /// Publishes a live progress event of the step (not journaled; may be dropped), e.g. the
    /// tokens of a model's answer as they stream in. Use [`StepContext::progress`].
    fn progress(&self, _ctx: &StepContext, _data: Value) {}

    /// The conversation thread `thread_id` of the run's organization (agent memory): its
    /// summary and the messages after it, leaving out those saved under `exclude_source` (the
    /// step's own earlier attempt). An unknown thread is empty.
    async fn load_thread(
        &self,
        _ctx: &StepContext,
        thread_id: &str,
        _exclude_source: &str,
    ) -> Result<ThreadSnapshot, NodeError> {
        Err(threads_unavailable(thread_id))
    }

    /// Appends messages to a thread under `source` (a key of the step that wrote them),
    /// replacing what was saved under the same source before, so a repeated step does not
    /// add its messages twice.
    async fn save_thread(
        &self,
        _ctx: &StepContext,
        thread_id: &str,
        _source: &str,
        _messages: Vec<Value>,
    ) -> Result<(), NodeError> {
        Err(threads_unavailable(thread_id))
    }

    /// Sets a thread's summary of every message up to and including seq `through`; older
    /// summaries only move forward.
    async fn summarize_thread(
        &self,
        _ctx: &StepContext,
        thread_id: &str,
        _summary: String,
        _through: u64,
    ) -> Result<(), NodeError> {
        Err(threads_unavailable(thread_id))
    }

    /// Reserves a model call's worst case against the budgets that apply to the run, before
    /// the call is made. Refused with [`BUDGET_EXCEEDED`] (a permanent error naming the
    /// budget) when it would pass one. Where nothing is metered, an empty ticket.
    async fn llm_reserve(
        &self,
        _ctx: &StepContext,
        _plan: &LlmCallPlan,
    ) -> Result<LlmTicket, NodeError> {
        Ok(LlmTicket::default())
    }

    /// Records a call made under `ticket` (successful or not), replacing its reservation by
    /// what it spent; returns its cost. Where nothing is metered, cost 0 and unpriced.
    async fn llm_settle(
        &self,
        _ctx: &StepContext,
        _ticket: LlmTicket,
        _done: &LlmCallDone,
    ) -> Result<LlmCost, NodeError> {
        Ok(LlmCost::default())
    }

    /// Gives back a reservation whose call was abandoned before it ended (its future was
    /// dropped, e.g. a parallel join that had enough answers): recorded as a failed call of
    /// `model` in the background. Must not block.
    fn llm_abandon(&self, _ctx: &StepContext, _ticket: LlmTicket, _provider: &str, _model: &str) {}

    /// A cached model response under `key` (already scoped by the caller to what the model
    /// sees), if one is fresh. `None` where no cache is offered.
    async fn llm_cache_get(&self, _ctx: &StepContext, _key: &str) -> Option<Value> {
        None
    }

    /// Caches a model response under `key`. Failures are not the step's: they are logged.
    async fn llm_cache_put(&self, _ctx: &StepContext, _key: &str, _entry: LlmCacheEntry) {}
}

fn threads_unavailable(thread_id: &str) -> NodeError {
    NodeError::permanent(
        "thread.unavailable",
        format!(
            "conversation thread {thread_id:?} cannot be used here: this engine stores no threads"
        ),
    )
}
