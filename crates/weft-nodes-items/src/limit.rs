//! `items.limit@1`: keeps the first or last N items.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use weft_node_api::{
    NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, Purity, ResolvedPorts, StepContext,
    StepResult,
};
use weft_nodes::common::{main_in_main_out, node_info, object_schema};

/// `items.limit@1`: passes at most `maxItems` items, from the start or the end of the input,
/// in their input order.
#[derive(Debug, Clone, Copy, Default)]
pub struct LimitNode;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Params {
    max_items: usize,
    #[serde(default)]
    keep: Keep,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Keep {
    #[default]
    First,
    Last,
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({ "maxItems": 10, "keep": "first" });
        node_info(
            "items.limit",
            "Limit",
            "Data",
            &format!(
                "Keeps the first or the last N items and drops the rest; fewer items pass \
                 through unchanged. Params are read once, with the first item as $json. \
                 Example params: {example}"
            ),
            Purity::Pure,
            object_schema(
                "items.limit params",
                json!({
                    "maxItems": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "The most items to keep (0 keeps none).",
                        "examples": [1, 10, 100],
                    },
                    "keep": {
                        "type": "string",
                        "enum": ["first", "last"],
                        "default": "first",
                        "description": "first: the first maxItems items; last: the last maxItems items. Either way they stay in input order.",
                    },
                }),
                &["maxItems"],
                vec![example.clone(), json!({ "maxItems": 1, "keep": "last" })],
            ),
        )
    })
}

#[async_trait]
impl NodeType for LimitNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, _params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        Ok(main_in_main_out())
    }

    async fn execute(
        &self,
        ctx: &StepContext,
        mut input: NodeInput,
    ) -> Result<StepResult, NodeError> {
        let mut items = input.take("main");
        let p: Params = ctx.params_for(&items, 0)?;
        if items.len() > p.max_items {
            match p.keep {
                Keep::First => items.truncate(p.max_items),
                Keep::Last => {
                    items.drain(..items.len() - p.max_items);
                }
            }
        }
        Ok(StepResult::Done(NodeOutput::main(items)))
    }
}
