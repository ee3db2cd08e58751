//! `core.noop@1`: passes its input through.

use crate::common::{main_in_main_out, node_info, object_schema};
use async_trait::async_trait;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use weft_node_api::{
    NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, Purity, ResolvedPorts, StepContext,
    StepResult,
};

/// `core.noop@1`: emits its `main` items unchanged.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopNode;

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        node_info(
            "core.noop",
            "No operation",
            "Utilities",
            "Passes its input items through unchanged. Useful as a junction or a placeholder. \
             Takes no params: {}",
            Purity::Pure,
            object_schema("core.noop params", json!({}), &[], vec![json!({})]),
        )
    })
}

#[async_trait]
impl NodeType for NoopNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, _params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        Ok(main_in_main_out())
    }

    async fn execute(
        &self,
        _ctx: &StepContext,
        mut input: NodeInput,
    ) -> Result<StepResult, NodeError> {
        Ok(StepResult::Done(NodeOutput::main(input.take("main"))))
    }
}
