//! `core.error@1`: stops the branch with an error.

use crate::common::{any_port, node_info, object_schema};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use weft_node_api::{
    NodeError, NodeInput, NodeType, NodeTypeInfo, Purity, ResolvedPorts, StepContext, StepResult,
};

/// The default error code.
pub const DEFAULT_CODE: &str = "workflow.stopped";

/// `core.error@1` ("Stop and error"): always fails with a permanent error built from its params,
/// rendered with the first input item.
#[derive(Debug, Clone, Copy, Default)]
pub struct ErrorNode;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ErrorParams {
    message: String,
    #[serde(default = "default_code")]
    code: String,
    #[serde(default)]
    details: Value,
}

fn default_code() -> String {
    DEFAULT_CODE.to_string()
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({
            "message": "order {{ $json.id }} has no customer",
            "code": "order.invalid",
            "details": { "orderId": "{{ $json.id }}" },
        });
        let schema = object_schema(
            "core.error params",
            json!({
                "message": {
                    "type": "string",
                    "minLength": 1,
                    "description": "The error message (may hold {{ }} expressions; $json is the first input item).",
                },
                "code": {
                    "type": "string",
                    "minLength": 1,
                    "description": "A stable machine-readable error code.",
                    "default": DEFAULT_CODE,
                },
                "details": {
                    "description": "Any structured details to attach to the error.",
                },
            }),
            &["message"],
            vec![example.clone(), json!({ "message": "stopped by hand" })],
        );
        node_info(
            "core.error",
            "Stop and error",
            "Flow",
            &format!(
                "Fails the step with a permanent (never retried) error carrying a message, a code and \
                 details; route it with the node's `error` output or let it fail the run. \
                 Example params: {example}"
            ),
            Purity::Pure,
            schema,
        )
    })
}

#[async_trait]
impl NodeType for ErrorNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, _params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        Ok(ResolvedPorts {
            inputs: vec![any_port("main")],
            outputs: Vec::new(),
        })
    }

    async fn execute(&self, ctx: &StepContext, input: NodeInput) -> Result<StepResult, NodeError> {
        let p: ErrorParams = ctx.params_for(input.main_items(), 0)?;
        Err(NodeError::permanent(p.code, p.message).with_details(p.details))
    }
}
