//! `core.if@1`: routes each item to `true` or `false`.

use crate::common::{any_port, node_info, object_schema, truthy};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use weft_node_api::{
    NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, Purity, ResolvedPorts, StepContext,
    StepResult,
};

/// `core.if@1`: evaluates `condition` per item with JavaScript truthiness and routes the item to
/// the `true` or `false` port; a port that received no item is not emitted.
#[derive(Debug, Clone, Copy, Default)]
pub struct IfNode;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct IfParams {
    #[serde(default)]
    condition: Value,
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({ "condition": "{{ $json.amount > 100 }}" });
        let schema = object_schema(
            "core.if params",
            json!({
                "condition": {
                    "description": "Evaluated per item, usually an expression such as \"{{ $json.x > 3 }}\". JavaScript truthiness: false, 0, \"\", null and missing values are false; everything else is true.",
                },
            }),
            &["condition"],
            vec![example.clone(), json!({ "condition": true })],
        );
        node_info(
            "core.if",
            "If",
            "Flow",
            &format!(
                "Routes each item to the `true` or `false` output by a condition. Only outputs that \
                 receive items are taken; the other branch is skipped. Example params: {example}"
            ),
            Purity::Pure,
            schema,
        )
    })
}

#[async_trait]
impl NodeType for IfNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, _params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        Ok(ResolvedPorts {
            inputs: vec![any_port("main")],
            outputs: vec![
                any_port("true").describe("Items whose condition is truthy."),
                any_port("false").describe("Items whose condition is falsy."),
            ],
        })
    }

    async fn execute(&self, ctx: &StepContext, input: NodeInput) -> Result<StepResult, NodeError> {
        let items = input.main_items();
        let mut out = NodeOutput::default();
        for (i, item) in items.iter().enumerate() {
            let p: IfParams = ctx.params_for(items, i)?;
            out.push(
                if truthy(&p.condition) {
                    "true"
                } else {
                    "false"
                },
                item.clone(),
            );
        }
        Ok(StepResult::Done(out))
    }
}
