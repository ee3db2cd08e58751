//! The expression environment of one run: `$node`, `$vars`, `$run`, `$env`.

use crate::graph::CompiledWorkflow;
use serde_json::{Map, Value};
use std::sync::{Arc, OnceLock};
use weft_expr::NodeLookup;
use weft_node_api::{ExprEnv, NodeOutput};

/// Node outputs become visible to expressions as steps finish; each is set once per run.
pub struct RunEnv {
    workflow: Arc<CompiledWorkflow>,
    outputs: Vec<OnceLock<Arc<NodeOutput>>>,
    run_info: Value,
    env_allow: Arc<Vec<String>>,
}

impl RunEnv {
    /// A fresh environment for a run.
    pub fn new(
        workflow: Arc<CompiledWorkflow>,
        run_info: Value,
        env_allow: Arc<Vec<String>>,
    ) -> Self {
        let outputs = (0..workflow.nodes.len()).map(|_| OnceLock::new()).collect();
        RunEnv {
            workflow,
            outputs,
            run_info,
            env_allow,
        }
    }

    /// Publishes a node's output to later expressions.
    pub fn set_output(&self, node: usize, output: Arc<NodeOutput>) {
        let _ = self.outputs[node].set(output);
    }
}

impl NodeLookup for RunEnv {
    fn items(&self, name_or_id: &str) -> Option<&[Value]> {
        let &i = self.workflow.lookup.get(name_or_id)?;
        let out = self.outputs[i].get()?;
        out.get("main")
            .or_else(|| out.ports.first().map(|(_, v)| v.as_slice()))
    }
}

impl ExprEnv for RunEnv {
    fn vars(&self) -> &Map<String, Value> {
        &self.workflow.document.variables
    }
    fn run_info(&self) -> &Value {
        &self.run_info
    }
    fn env_var(&self, name: &str) -> Option<String> {
        if self.env_allow.iter().any(|n| n == name) {
            std::env::var(name).ok()
        } else {
            None
        }
    }
}
