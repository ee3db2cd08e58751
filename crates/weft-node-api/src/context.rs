//! What a step sees while it executes.

use crate::{Credential, EngineServices, Item, NodeError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;
use weft_expr::{CompiledValue, NodeLookup, Scope};

/// The run-wide names expressions can see, provided by the engine.
pub trait ExprEnv: NodeLookup + Send + Sync {
    /// Workflow variables (`$vars`).
    fn vars(&self) -> &Map<String, Value>;
    /// Facts about the run (`$run`).
    fn run_info(&self) -> &Value;
    /// An environment variable, if it is on the allow-list (`$env`).
    fn env_var(&self, name: &str) -> Option<String>;
}

/// Severity of a step log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Diagnostic detail.
    Debug,
    /// Normal progress.
    Info,
    /// Something odd that did not stop the step.
    Warn,
    /// A failure.
    Error,
}

/// One line of a step's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// Severity.
    pub level: LogLevel,
    /// Text.
    pub message: String,
}

/// Everything a node needs to execute one step, built by the engine.
pub struct StepContext {
    /// The run.
    pub run_id: String,
    /// The node's id in the workflow.
    pub node_id: String,
    /// The node's display name.
    pub node_name: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// Stable across attempts and crash recovery; pass it to remote systems that deduplicate.
    pub idempotency_key: String,
    /// Cancelled when the run is cancelled, the step times out, or the process shuts down.
    pub cancel: CancellationToken,
    /// The step's clock, in milliseconds since the Unix epoch.
    pub now_ms: i64,
    /// The node's params as written, expressions unrendered.
    pub params: Arc<Map<String, Value>>,
    compiled: Arc<CompiledValue>,
    env: Arc<dyn ExprEnv>,
    services: Arc<dyn EngineServices>,
    logs: Mutex<Vec<LogLine>>,
    secrets: Mutex<Vec<String>>,
    /// Prefix of this context's checkpoint keys: empty for a step, a path for a node type run
    /// inside it ([`StepContext::nested`]), so their keys never collide.
    checkpoint_scope: String,
}

/// The parts of a [`StepContext`] that identify the step.
pub struct StepIdentity {
    /// The run.
    pub run_id: String,
    /// The node id.
    pub node_id: String,
    /// The node's display name.
    pub node_name: String,
    /// Attempt number from 1.
    pub attempt: u32,
    /// Idempotency key.
    pub idempotency_key: String,
}

impl StepContext {
    /// Builds a context; `compiled` must be the compiled form of `params`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: StepIdentity,
        cancel: CancellationToken,
        now_ms: i64,
        params: Arc<Map<String, Value>>,
        compiled: Arc<CompiledValue>,
        env: Arc<dyn ExprEnv>,
        services: Arc<dyn EngineServices>,
    ) -> Self {
        StepContext {
            run_id: id.run_id,
            node_id: id.node_id,
            node_name: id.node_name,
            attempt: id.attempt,
            idempotency_key: id.idempotency_key,
            cancel,
            now_ms,
            params,
            compiled,
            env,
            services,
            logs: Mutex::new(Vec::new()),
            secrets: Mutex::new(Vec::new()),
            checkpoint_scope: String::new(),
        }
    }

    /// A context for running another node type inside this step (e.g. an agent's tool):
    /// `node_id` must be unique within the step (it names the nested step's child runs) and
    /// `params`/`compiled` are the nested node's. It shares the run, attempt, clock,
    /// expression environment and services; it is cancelled with this step; its checkpoints
    /// live under their own prefix. Call [`StepContext::absorb`] afterwards to keep its logs
    /// and secrets.
    pub fn nested(
        &self,
        node_id: String,
        idempotency_key: String,
        params: Arc<Map<String, Value>>,
        compiled: Arc<CompiledValue>,
    ) -> StepContext {
        let checkpoint_scope = format!("{}{node_id}/", self.checkpoint_scope);
        StepContext {
            run_id: self.run_id.clone(),
            node_name: node_id.clone(),
            node_id,
            attempt: self.attempt,
            idempotency_key,
            cancel: self.cancel.child_token(),
            now_ms: self.now_ms,
            params,
            compiled,
            env: self.env.clone(),
            services: self.services.clone(),
            logs: Mutex::new(Vec::new()),
            secrets: Mutex::new(self.secrets()),
            checkpoint_scope,
        }
    }

    /// Takes a nested context's log lines (prefixed with its node id) and the secrets it saw.
    pub fn absorb(&self, nested: &StepContext) {
        for mut line in nested.take_logs() {
            line.message = format!("[{}] {}", nested.node_id, line.message);
            match self.logs.lock() {
                Ok(mut logs) => logs.push(line),
                Err(poisoned) => poisoned.into_inner().push(line),
            }
        }
        for s in nested.take_secrets() {
            self.remember_secret(&s);
        }
    }

    /// The value recorded under `key` by an earlier attempt of this step (one that crashed
    /// or failed), so work already done and paid for — a model call, a tool's side effect —
    /// is not done again.
    pub fn checkpoint(&self, key: &str) -> Option<Value> {
        self.services
            .checkpoint(self, &format!("{}{key}", self.checkpoint_scope))
    }

    /// Records `value` under `key` durably for later attempts of this step; returns once it is
    /// committed. Secret values this step has seen are redacted from it by the engine.
    pub async fn record_checkpoint(&self, key: &str, value: Value) -> Result<(), NodeError> {
        self.services
            .record_checkpoint(self, &format!("{}{key}", self.checkpoint_scope), value)
            .await
    }

    /// Publishes a live progress event for the step (not stored; a slow listener may miss
    /// it), e.g. `{"type": "token", "text": "…"}` while a model streams its answer.
    pub fn progress(&self, data: Value) {
        self.services.progress(self, data)
    }

    /// The secret values this step has seen so far (kept for redaction).
    pub fn secrets(&self) -> Vec<String> {
        self.secrets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The node type registered under this reference, if the engine offers a registry.
    pub fn node_type(&self, type_ref: &crate::NodeTypeRef) -> Option<Arc<dyn crate::NodeType>> {
        self.services.node_type(type_ref)
    }

    /// Renders the params for one item of `input` (`$json` is that item; `{}` when there is none).
    pub fn render_params(&self, input: &[Item], item_index: usize) -> Result<Value, NodeError> {
        if self.compiled.is_static() {
            return Ok(Value::Object((*self.params).clone()));
        }
        let empty = Value::Object(Map::new());
        let json = input.get(item_index).unwrap_or(&empty);
        let env = &*self.env;
        let env_fn = |name: &str| env.env_var(name);
        let scope = Scope {
            json,
            item_index,
            input,
            nodes: env,
            vars: env.vars(),
            run: env.run_info(),
            now_ms: self.now_ms,
            env: &env_fn,
        };
        self.compiled.render(&scope).map_err(|(pointer, e)| {
            NodeError::permanent(
                "expression.failed",
                format!("parameter {pointer} of node {}: {e}", self.node_id),
            )
            .with_details(serde_json::json!({
                "pointer": pointer,
                "expression": e.expression,
                "position": e.position,
            }))
        })
    }

    /// Renders the params for one item and reads them into `T`, naming the parameter on error.
    pub fn params_for<T: DeserializeOwned>(
        &self,
        input: &[Item],
        item_index: usize,
    ) -> Result<T, NodeError> {
        // The plain read first: tracking the path costs on every field, and is only needed to
        // name what is wrong, so a failure renders again and reads with it.
        match serde_json::from_value(self.render_params(input, item_index)?) {
            Ok(params) => Ok(params),
            Err(_) => deserialize_params(self.render_params(input, item_index)?),
        }
    }

    /// Appends a line to the step's log.
    pub fn log(&self, level: LogLevel, message: impl Into<String>) {
        let line = LogLine {
            at_ms: chrono::Utc::now().timestamp_millis(),
            level,
            message: message.into(),
        };
        match self.logs.lock() {
            Ok(mut logs) => logs.push(line),
            Err(poisoned) => poisoned.into_inner().push(line),
        }
    }

    /// Takes the log lines written so far.
    pub fn take_logs(&self) -> Vec<LogLine> {
        match self.logs.lock() {
            Ok(mut logs) => std::mem::take(&mut *logs),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }

    /// Fetches a credential by id for this step. Every secret value in it is remembered, and
    /// the engine removes those values from the step's output, logs and error before anything
    /// is stored. The id usually comes from a `credential` param.
    pub async fn credential(&self, id: &str) -> Result<Credential, NodeError> {
        let credential = self.services.credential(self, id).await?;
        let mut stack: Vec<&Value> = credential
            .fields
            .iter()
            .filter(|(k, _)| !crate::NON_SECRET_CREDENTIAL_FIELDS.contains(&k.as_str()))
            .map(|(_, v)| v)
            .collect();
        while let Some(v) = stack.pop() {
            match v {
                Value::String(s) => self.remember_secret(s),
                Value::Array(a) => stack.extend(a),
                Value::Object(m) => stack.extend(m.values()),
                _ => {}
            }
        }
        Ok(credential)
    }

    /// Marks a value derived from a secret (e.g. `user:password` before base64) as secret too.
    pub fn remember_secret(&self, value: &str) {
        let mut secrets = self.secrets.lock().unwrap_or_else(|p| p.into_inner());
        if !secrets.iter().any(|s| s == value) {
            secrets.push(value.to_string());
        }
    }

    /// The secret values this step has seen, for redaction.
    pub fn take_secrets(&self) -> Vec<String> {
        std::mem::take(&mut *self.secrets.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Engine services: child runs, credentials, checkpoints, threads.
    pub fn services(&self) -> &dyn EngineServices {
        &*self.services
    }

    /// The expression environment of the run.
    pub fn expr_env(&self) -> &Arc<dyn ExprEnv> {
        &self.env
    }
}

/// Reads rendered params into `T`; an error names the wrong parameter by JSON pointer
/// (`/params/headers/0`).
pub fn deserialize_params<T: DeserializeOwned>(value: Value) -> Result<T, NodeError> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        use serde_path_to_error::Segment;
        let mut pointer = String::from("/params");
        for seg in e.path().iter() {
            match seg {
                Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
                Segment::Map { key } => {
                    pointer.push_str(&format!("/{}", key.replace('~', "~0").replace('/', "~1")))
                }
                Segment::Enum { variant } => pointer.push_str(&format!("/{variant}")),
                Segment::Unknown => {}
            }
        }
        NodeError::invalid_params(&pointer, e.inner())
    })
}
