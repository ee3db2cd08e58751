//! `core.aggregate@1`: turns all input items into one item.

use crate::common::{main_in_main_out, node_info, object_schema};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use weft_node_api::{
    NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, Purity, ResolvedPorts, StepContext,
    StepResult,
};

/// `core.aggregate@1`: computes fields over all input items at once (`$input.all()`) and emits
/// a single item; optionally collects the items themselves into a list.
#[derive(Debug, Clone, Copy, Default)]
pub struct AggregateNode;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Params {
    #[serde(default)]
    fields: Map<String, Value>,
    #[serde(default)]
    collect: Option<String>,
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        node_info(
            "core.aggregate",
            "Aggregate",
            "Data",
            "Emits one item computed over all input items. Expressions are evaluated once, with \
             `$input.all()` holding every item and `$json` the first. Example: \
             {\"fields\": {\"total\": \"{{ $input.all().reduce((s, i) => s + i.json.amount, 0) }}\"}, \"collect\": \"orders\"}",
            Purity::Pure,
            object_schema(
                "core.aggregate params",
                json!({
                    "fields": {"type": "object", "description": "Output fields; values may be expressions over $input.all().", "default": {}},
                    "collect": {"type": "string", "minLength": 1, "description": "Also put every input item, as a list, under this field."}
                }),
                &[],
                vec![json!({"fields": {"count": "{{ $input.all().length }}"}, "collect": "items"})],
            ),
        )
    })
}

#[async_trait]
impl NodeType for AggregateNode {
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
        let items = input.take("main");
        let params: Params = ctx.params_for(&items, 0)?;
        let mut out = params.fields;
        if let Some(field) = params.collect {
            out.insert(field, Value::Array(items));
        }
        Ok(StepResult::Done(NodeOutput::main(vec![Value::Object(out)])))
    }
}
