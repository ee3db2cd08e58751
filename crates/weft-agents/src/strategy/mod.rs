//! Multi-agent strategies as durable node types: `ai.sequential@1` (hand-off),
//! `ai.parallel@1` (fan-out with a join: all, any, first N), `ai.consensus@1` (majority vote
//! with a quorum, ties broken by a judge, the vote table in the output), `ai.supervisor@1`
//! (a router picks the next agent or finishes, with a hop limit) and `ai.debate@1` (rounds of
//! critique, then a judge).
//!
//! Each member is an agent run ([`crate::agent::run::run_agent`]) under its own scope in the
//! step, so every completed model call of every member is checkpointed: a crash or a retry in
//! the middle of a strategy resumes without paying again for the calls already made.

mod consensus;
mod flows;
mod schema;

use crate::agent::AgentNode;
use crate::agent::params::Params;
use crate::agent::run::{Invocation, run_agent};
use async_trait::async_trait;
use serde_json::{Map, Value, json};
use weft_node_api::{
    NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, ResolvedPorts, StepContext,
    StepResult, deserialize_params,
};

pub use consensus::{Tally, normalize, tally};

/// Params every member may set, and the strategy node sets for all of them.
pub const MEMBER_KEYS: &[&str] = &[
    "model",
    "provider",
    "baseUrl",
    "credential",
    "fallback",
    "system",
    "temperature",
    "seed",
    "maxTokens",
    "stop",
    "timeout",
    "retry",
    "stream",
    "cache",
];

/// Which strategy a node runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Each agent's answer is the next one's message.
    Sequential,
    /// One message to every agent, joined.
    Parallel,
    /// Every voter answers; the majority wins.
    Consensus,
    /// A router picks the next agent or finishes.
    Supervisor,
    /// Rounds of critique, then a judge.
    Debate,
}

/// A strategy node type.
pub struct StrategyNode {
    kind: Kind,
    agent: AgentNode,
}

impl StrategyNode {
    /// The node type of `kind`, its model calls live, recorded or replayed as `mode` says.
    pub fn new(kind: Kind, mode: crate::LlmMode) -> Self {
        StrategyNode {
            kind,
            agent: AgentNode::new(mode),
        }
    }
}

/// One member of a strategy: its name and the params it sets.
#[derive(Debug, Clone)]
pub struct Member {
    /// Its name (unique in the strategy).
    pub name: String,
    /// What the user wrote for it.
    pub spec: Map<String, Value>,
}

/// Reads a list of members at `/params/{key}`.
pub fn members(params: &Value, key: &str) -> Result<Vec<Member>, NodeError> {
    let Some(list) = params.get(key).and_then(Value::as_array) else {
        return Err(NodeError::invalid_params(
            &format!("/params/{key}"),
            "must be a list of agents",
        ));
    };
    let mut out: Vec<Member> = Vec::with_capacity(list.len());
    for (i, m) in list.iter().enumerate() {
        let spec = m.as_object().cloned().ok_or_else(|| {
            NodeError::invalid_params(&format!("/params/{key}/{i}"), "must be an object")
        })?;
        out.push(member(
            spec,
            &format!("/params/{key}/{i}"),
            &format!("{key}-{}", i + 1),
        )?);
        if out[..i].iter().any(|o| o.name == out[i].name) {
            return Err(NodeError::invalid_params(
                &format!("/params/{key}/{i}/name"),
                format!("the name {:?} is used twice", out[i].name),
            ));
        }
    }
    Ok(out)
}

/// Reads one member (its name defaults to `fallback_name`).
pub fn member(
    spec: Map<String, Value>,
    at: &str,
    fallback_name: &str,
) -> Result<Member, NodeError> {
    for k in spec.keys() {
        if k != "name" && k != "description" && !MEMBER_KEYS.contains(&k.as_str()) {
            return Err(NodeError::invalid_params(
                &format!("{at}/{k}"),
                format!(
                    "an agent takes name, description and {}",
                    MEMBER_KEYS.join(", ")
                ),
            ));
        }
    }
    let name = match spec.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        None => fallback_name.to_owned(),
        Some(_) => {
            return Err(NodeError::invalid_params(
                &format!("{at}/name"),
                "must be a non-empty string",
            ));
        }
    };
    Ok(Member { name, spec })
}

/// What one member run needs beyond the member.
pub struct Ask<'a> {
    /// The strategy's rendered params (defaults for every member).
    pub base: &'a Value,
    /// The user message.
    pub message: String,
    /// A system prompt added after the member's own.
    pub instructions: Option<String>,
    /// Structured output.
    pub output_schema: Option<Value>,
    /// The scope in the step (unique).
    pub scope: String,
    /// The input item.
    pub item: usize,
}

/// Runs one member as an agent; returns its `ai.agent` output.
pub async fn ask(
    node: &AgentNode,
    ctx: &StepContext,
    member: &Member,
    a: Ask<'_>,
) -> Result<Value, NodeError> {
    let mut p = Map::new();
    for k in MEMBER_KEYS {
        if let Some(v) = a.base.get(*k) {
            p.insert((*k).to_owned(), v.clone());
        }
    }
    for (k, v) in &member.spec {
        if k != "name" && k != "description" {
            p.insert(k.clone(), v.clone());
        }
    }
    if let Some(extra) = a.instructions {
        let system = match p.get("system").and_then(Value::as_str) {
            Some(s) if !s.is_empty() => format!("{s}\n\n{extra}"),
            _ => extra,
        };
        p.insert("system".into(), json!(system));
    }
    p.insert("message".into(), json!(a.message));
    if let Some(s) = a.output_schema {
        p.insert("outputSchema".into(), s);
    }
    let params: Params = deserialize_params(Value::Object(p))?;
    let inv = Invocation {
        item: a.item,
        scope: a.scope,
        agent: Some(member.name.clone()),
    };
    run_agent(node, ctx, &params, &[], &inv)
        .await
        .map_err(|mut e| {
            e.message = format!("agent {:?}: {}", member.name, e.message);
            e
        })
}

/// Sums the usage of agent outputs, keeping every call tagged with its agent.
#[derive(Debug, Default)]
pub struct UsageSum {
    prompt: u64,
    completion: u64,
    cost: f64,
    calls: Vec<Value>,
}

impl UsageSum {
    /// Adds an agent output's usage.
    pub fn add(&mut self, agent: &str, output: &Value) {
        let u = &output["usage"];
        self.prompt += u["promptTokens"].as_u64().unwrap_or(0);
        self.completion += u["completionTokens"].as_u64().unwrap_or(0);
        self.cost += u["costUsd"].as_f64().unwrap_or(0.0);
        for c in u["calls"].as_array().into_iter().flatten() {
            let mut c = c.clone();
            if let Some(m) = c.as_object_mut() {
                m.insert("agent".into(), json!(agent));
            }
            self.calls.push(c);
        }
    }
    /// Adds the partial usage of a failed agent (from its error's details).
    pub fn add_error(&mut self, agent: &str, e: &NodeError) {
        self.add(agent, &e.details["partial"]);
    }
    /// As the step reports it.
    pub fn json(&self) -> Value {
        json!({
            "promptTokens": self.prompt,
            "completionTokens": self.completion,
            "totalTokens": self.prompt + self.completion,
            "costUsd": self.cost,
            "calls": self.calls,
        })
    }
}

/// The text of an agent output's answer.
pub fn answer(output: &Value) -> String {
    output["answer"].as_str().unwrap_or_default().to_owned()
}

#[async_trait]
impl NodeType for StrategyNode {
    fn info(&self) -> &NodeTypeInfo {
        schema::info(self.kind)
    }

    fn ports(&self, _params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        Ok(weft_nodes::common::main_in_main_out())
    }

    async fn execute(&self, ctx: &StepContext, input: NodeInput) -> Result<StepResult, NodeError> {
        let items = input.main_items();
        let mut out = Vec::new();
        for i in 0..items.len().max(1) {
            let p = ctx.render_params(items, i)?;
            let message = match p.get("message") {
                Some(Value::String(s)) => s.clone(),
                _ => {
                    return Err(NodeError::invalid_params(
                        "/params/message",
                        "is required (a string)",
                    ));
                }
            };
            let node = &self.agent;
            out.push(match self.kind {
                Kind::Consensus => consensus::run(node, ctx, &p, message, i).await?,
                Kind::Sequential => flows::sequential(node, ctx, &p, message, i).await?,
                Kind::Parallel => flows::parallel(node, ctx, &p, message, i).await?,
                Kind::Supervisor => flows::supervisor(node, ctx, &p, message, i).await?,
                Kind::Debate => flows::debate(node, ctx, &p, message, i).await?,
            });
        }
        Ok(StepResult::Done(NodeOutput::main(out)))
    }
}
