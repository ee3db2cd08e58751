//! A workflow prepared for execution: node types resolved, params compiled once, the graph
//! in the scheduler's shape.

use crate::state::{Graph, GraphEdge, GraphNode};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use weft_expr::CompiledValue;
use weft_model::{Diagnostic, JoinPolicy, NodeSettings, Purity, Severity, Workflow};
use weft_node_api::{NodeRegistry, NodeType};

/// One node ready to execute.
pub struct CompiledNode {
    /// Node id.
    pub id: String,
    /// The node id as live events carry it (shared, not copied per event).
    pub event_id: Arc<str>,
    /// Its type and version as live events carry it, e.g. `core.set@1`.
    pub type_name: Arc<str>,
    /// Display name.
    pub name: String,
    /// Its implementation.
    pub node_type: Arc<dyn NodeType>,
    /// Pure or effectful.
    pub purity: Purity,
    /// Params as written.
    pub params: Arc<Map<String, Value>>,
    /// Params compiled for rendering.
    pub compiled: Arc<CompiledValue>,
    /// Settings.
    pub settings: NodeSettings,
    /// Passes input through without executing.
    pub disabled: bool,
}

/// A workflow version ready to execute.
pub struct CompiledWorkflow {
    /// The stored version id.
    pub version_id: String,
    /// The document.
    pub document: Workflow,
    /// The scheduler's view.
    pub graph: Arc<Graph>,
    /// Nodes by index, matching `graph.nodes`.
    pub nodes: Vec<Arc<CompiledNode>>,
    /// Node index by name and by id, for `$node[...]`.
    pub lookup: HashMap<String, usize>,
}

/// Why a workflow cannot be prepared.
#[derive(Debug, thiserror::Error)]
#[error("the workflow is invalid:\n{}", .0.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n"))]
pub struct InvalidWorkflow(pub Vec<Diagnostic>);

impl CompiledWorkflow {
    /// Validates and compiles a workflow. Fails with every validation error at once.
    pub fn compile(
        version_id: String,
        document: Workflow,
        registry: &NodeRegistry,
    ) -> Result<Self, InvalidWorkflow> {
        let diagnostics = weft_model::validate(&document, registry);
        let errors: Vec<Diagnostic> = diagnostics
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        if !errors.is_empty() {
            return Err(InvalidWorkflow(errors));
        }
        let index: HashMap<&str, usize> = document
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.as_str(), i))
            .collect();
        let mut nodes = Vec::with_capacity(document.nodes.len());
        let mut gnodes: Vec<GraphNode> = Vec::with_capacity(document.nodes.len());
        for (i, n) in document.nodes.iter().enumerate() {
            let Some(node_type) = registry.get(&n.node_type).cloned() else {
                return Err(InvalidWorkflow(vec![missing(
                    i,
                    &n.id,
                    &n.node_type.to_string(),
                )]));
            };
            let params_value = Value::Object(n.params.clone());
            let raw = weft_model::catalog::raw_param_keys(&node_type.info().params_schema);
            let compiled =
                CompiledValue::compile_except(&params_value, &raw).map_err(|(ptr, e)| {
                    InvalidWorkflow(vec![Diagnostic {
                        severity: Severity::Error,
                        code: "node.params.expression",
                        pointer: format!("/nodes/{i}/params{ptr}"),
                        node_id: Some(n.id.clone()),
                        message: format!("malformed expression: {e}"),
                    }])
                })?;
            nodes.push(Arc::new(CompiledNode {
                id: n.id.clone(),
                event_id: Arc::from(n.id.as_str()),
                type_name: Arc::from(node_type.info().type_ref.to_string()),
                name: n.display_name().to_string(),
                purity: node_type.info().purity,
                node_type,
                params: Arc::new(n.params.clone()),
                compiled: Arc::new(compiled),
                settings: n.settings.clone(),
                disabled: n.disabled,
            }));
            gnodes.push(GraphNode {
                id: n.id.clone(),
                join: n.settings.join.unwrap_or(JoinPolicy::All),
                incoming: Vec::new(),
                outgoing: Vec::new(),
                is_entry: false,
                continue_on_fail: n.settings.continue_on_fail,
            });
        }
        let mut gedges = Vec::with_capacity(document.edges.len());
        for e in &document.edges {
            let (Some(&from), Some(&to)) = (
                index.get(e.from.node.as_str()),
                index.get(e.to.node.as_str()),
            ) else {
                continue; // validation reported it
            };
            if gedges.iter().any(|g: &GraphEdge| {
                g.from == from && g.to == to && g.from_port == e.from.port && g.to_port == e.to.port
            }) {
                continue;
            }
            let idx = gedges.len();
            gnodes[from].outgoing.push(idx);
            gnodes[to].incoming.push(idx);
            gedges.push(GraphEdge {
                from,
                from_port: e.from.port.clone(),
                to,
                to_port: e.to.port.clone(),
            });
        }
        if document.triggers.is_empty() {
            for g in gnodes.iter_mut() {
                g.is_entry = g.incoming.is_empty();
            }
        } else {
            for t in &document.triggers {
                if let Some(&i) = index.get(t.node.as_str()) {
                    gnodes[i].is_entry = true;
                }
            }
        }
        let mut lookup = HashMap::new();
        for (i, n) in nodes.iter().enumerate() {
            lookup.insert(n.id.clone(), i);
        }
        for (i, n) in nodes.iter().enumerate() {
            lookup.insert(n.name.clone(), i);
        }
        let graph = Arc::new(Graph {
            nodes: gnodes,
            edges: gedges,
            concurrency: document.settings.concurrency_or_default(),
        });
        Ok(CompiledWorkflow {
            version_id,
            document,
            graph,
            nodes,
            lookup,
        })
    }
}

fn missing(i: usize, id: &str, ty: &str) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        code: "node.type.unknown",
        pointer: format!("/nodes/{i}/type"),
        node_id: Some(id.to_string()),
        message: format!("unknown node type {ty}"),
    }
}
