//! Types of the `weft/v1` document. JSON is canonical; field names are camelCase.
//!
//! Every struct denies unknown fields so that a typo (`retires`) is reported with its location
//! instead of being silently ignored. Free-form editor data lives under `ui`.

use crate::duration::Millis;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// The only document version this build understands.
pub const API_VERSION: &str = "weft/v1";

/// A workflow: a named graph of nodes joined by edges, with triggers and variables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Workflow {
    /// Always `weft/v1`.
    pub api_version: String,
    /// Human name of the workflow.
    pub name: String,
    /// Longer description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Free tags for search and filtering.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Workflow variables, readable in expressions as `$vars`.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub variables: Map<String, Value>,
    /// Run-level settings.
    #[serde(default, skip_serializing_if = "RunSettings::is_default")]
    pub settings: RunSettings,
    /// How runs start. With none, every node without incoming edges is an entry node.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<Trigger>,
    /// The steps of the workflow.
    pub nodes: Vec<Node>,
    /// Connections from output ports to input ports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edges: Vec<Edge>,
    /// Editor-only data (sticky notes, viewport); kept as is, never interpreted.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub ui: Value,
}

/// Settings that apply to a whole run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunSettings {
    /// The run fails with a timeout error when it has not finished after this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Millis>,
    /// Maximum number of steps of one run executing at the same time (default 16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    /// The workflow started when a run of this one fails: a stored workflow version id, or a
    /// whole `weft/v1` document inline. Its input is one item describing the failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_workflow: Option<Value>,
}

impl RunSettings {
    fn is_default(&self) -> bool {
        *self == RunSettings::default()
    }
    /// The step concurrency of a run, with the default applied.
    pub fn concurrency_or_default(&self) -> usize {
        self.concurrency.unwrap_or(16).max(1) as usize
    }
}

/// A way to start runs of this workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Trigger {
    /// Unique among the triggers of the workflow.
    pub id: String,
    /// `manual`, `webhook`, `cron`, `runCompleted` or `error`.
    #[serde(rename = "type")]
    pub kind: TriggerKind,
    /// The node that receives the trigger's payload as its input items.
    pub node: String,
    /// Trigger configuration (webhook path and method, cron expression and time zone, …).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub params: Map<String, Value>,
}

/// The kinds of trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TriggerKind {
    /// Started by hand, from the CLI or the API.
    Manual,
    /// Started by an HTTP request to the workflow's webhook path.
    Webhook,
    /// Started on a cron schedule.
    Cron,
    /// Started when a run of another workflow finishes.
    RunCompleted,
    /// Started when a run of another workflow fails (an error workflow).
    Error,
}

/// One step of the workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Node {
    /// Unique, stable id; edges and expressions refer to it.
    pub id: String,
    /// Node type with version, e.g. `http.request@1`.
    #[serde(rename = "type")]
    pub node_type: NodeTypeRef,
    /// Display name; `$node["Name"]` in expressions looks nodes up by name, then by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Parameters, validated by the node type's JSON Schema; strings may hold `{{ }}` expressions.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub params: Map<String, Value>,
    /// Position on the canvas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    /// Execution settings.
    #[serde(default, skip_serializing_if = "NodeSettings::is_default")]
    pub settings: NodeSettings,
    /// Free text shown on the canvas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// A disabled node passes its input through unchanged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
}

impl Node {
    /// The name shown to people: the name when set, else the id.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

/// A node type name with its version: `name@version`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeTypeRef {
    /// Dotted name, e.g. `http.request`.
    pub name: String,
    /// Major version of the type's contract.
    pub version: u32,
}

impl NodeTypeRef {
    /// Builds a reference from its parts.
    pub fn new(name: impl Into<String>, version: u32) -> Self {
        NodeTypeRef {
            name: name.into(),
            version,
        }
    }
}

impl fmt::Display for NodeTypeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.version)
    }
}

impl std::str::FromStr for NodeTypeRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, version) = s
            .split_once('@')
            .ok_or_else(|| format!("node type {s:?} has no version: write it as \"{s}@1\""))?;
        let valid_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'));
        if !valid_name {
            return Err(format!(
                "node type name {name:?} may only hold letters, digits, '.', '_', '-' and '/'"
            ));
        }
        let version = version
            .parse::<u32>()
            .map_err(|_| format!("node type version {version:?} in {s:?} is not a whole number"))?;
        Ok(NodeTypeRef::new(name, version))
    }
}

impl Serialize for NodeTypeRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for NodeTypeRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A point on the canvas.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    /// Horizontal coordinate.
    #[serde(deserialize_with = "finite")]
    pub x: f64,
    /// Vertical coordinate.
    #[serde(deserialize_with = "finite")]
    pub y: f64,
}

fn finite<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(serde::de::Error::custom("must be a finite number"))
    }
}

/// How a node executes: retries, timeout, failure handling, caching, concurrency, join.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeSettings {
    /// Retry policy for transient errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryPolicy>,
    /// Each attempt is cancelled and fails with a timeout error after this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Millis>,
    /// On an error that is not routed to the `error` port, emit the error as an item on `main`
    /// instead of failing the run.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub continue_on_fail: bool,
    /// Pure nodes only: reuse the result of an earlier step with the same type, params and input.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cacheable: bool,
    /// At most this many steps of this node execute at once across all runs of this process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    /// When a node with several incoming edges may start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join: Option<JoinPolicy>,
}

impl NodeSettings {
    fn is_default(&self) -> bool {
        *self == NodeSettings::default()
    }
}

/// Retries with exponential backoff and jitter; only transient errors are retried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RetryPolicy {
    /// Total attempts including the first (1 = no retry).
    pub max_attempts: u32,
    /// Delay before the second attempt.
    #[serde(default = "RetryPolicy::default_initial")]
    pub initial_interval: Millis,
    /// Each delay is the previous one times this.
    #[serde(
        default = "RetryPolicy::default_coefficient",
        deserialize_with = "finite"
    )]
    pub backoff_coefficient: f64,
    /// Upper bound of one delay.
    #[serde(default = "RetryPolicy::default_max")]
    pub max_interval: Millis,
    /// Fraction of each delay that is randomized (0 = none, 1 = full jitter).
    #[serde(default = "RetryPolicy::default_jitter", deserialize_with = "finite")]
    pub jitter: f64,
}

impl RetryPolicy {
    fn default_initial() -> Millis {
        Millis(1000)
    }
    fn default_coefficient() -> f64 {
        2.0
    }
    fn default_max() -> Millis {
        Millis(60_000)
    }
    fn default_jitter() -> f64 {
        0.2
    }
    /// A policy with the given attempts and the default backoff.
    pub fn with_attempts(max_attempts: u32) -> Self {
        RetryPolicy {
            max_attempts,
            initial_interval: Self::default_initial(),
            backoff_coefficient: Self::default_coefficient(),
            max_interval: Self::default_max(),
            jitter: Self::default_jitter(),
        }
    }
}

/// When a node with several incoming edges starts. Edges whose source skipped or did not emit
/// on that port count as skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "mode", deny_unknown_fields)]
pub enum JoinPolicy {
    /// Wait until every incoming edge delivered or skipped; run if at least one delivered,
    /// skip if none did.
    All,
    /// Start as soon as one edge delivered; later deliveries are ignored.
    Any,
    /// Start as soon as `n` edges delivered, with those `n`; skip when `n` can no longer be
    /// reached.
    First {
        /// How many deliveries to wait for.
        n: u32,
    },
    /// Start as soon as `n` edges delivered (default: a majority of the incoming edges); fail
    /// with a "quorum not reached" error when `n` can no longer be reached.
    Quorum {
        /// The quorum; defaults to a majority.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        n: Option<u32>,
    },
}

/// A connection from an output port to an input port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Edge {
    /// Source node and output port.
    pub from: Endpoint,
    /// Target node and input port.
    pub to: Endpoint,
}

/// One end of an edge: a node id and a port name (`main` when left out).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Endpoint {
    /// Node id.
    pub node: String,
    /// Port name.
    #[serde(default = "Endpoint::main_port")]
    pub port: String,
}

impl Endpoint {
    /// The default port name.
    pub const MAIN: &'static str = "main";
    fn main_port() -> String {
        Self::MAIN.to_string()
    }
    /// An endpoint on a named port.
    pub fn new(node: impl Into<String>, port: impl Into<String>) -> Self {
        Endpoint {
            node: node.into(),
            port: port.into(),
        }
    }
}

impl Workflow {
    /// Finds a node by id.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }
    /// Serializes to canonical, pretty JSON.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
