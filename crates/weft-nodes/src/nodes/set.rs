//! `core.set@1`: sets, overwrites and removes fields of each item.

use crate::common::{
    as_object, escape_pointer, main_in_main_out, node_info, object_schema, remove_path, set_path,
    split_path,
};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use weft_node_api::{
    NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, Purity, ResolvedPorts, StepContext,
    StepResult,
};

/// `core.set@1`: per item, starts from the item (or `{}`), removes fields, then sets fields.
#[derive(Debug, Clone, Copy, Default)]
pub struct SetNode;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SetParams {
    #[serde(default)]
    fields: Map<String, Value>,
    #[serde(default)]
    mode: SetMode,
    #[serde(default)]
    remove: Vec<String>,
}

#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
enum SetMode {
    #[default]
    Merge,
    Replace,
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({
            "mode": "merge",
            "fields": { "fullName": "{{ $json.first }} {{ $json.last }}", "address.city": "Lyon" },
            "remove": ["first", "last"],
        });
        let schema = object_schema(
            "core.set params",
            json!({
                "fields": {
                    "type": "object",
                    "description": "Field name -> value. Values may hold {{ }} expressions, rendered with $json = the item. A dotted name such as \"a.b\" sets a nested field, creating objects on the way.",
                    "propertyNames": { "minLength": 1 },
                    "default": {},
                },
                "mode": {
                    "type": "string",
                    "enum": ["merge", "replace"],
                    "description": "merge: start from the input item (a non-object item becomes {\"value\": item}); replace: start from an empty object.",
                    "default": "merge",
                },
                "remove": {
                    "type": "array",
                    "items": { "type": "string", "minLength": 1 },
                    "description": "Field names or dotted paths deleted from the starting object before `fields` are set.",
                    "default": [],
                },
            }),
            &[],
            vec![example.clone()],
        );
        node_info(
            "core.set",
            "Set / transform fields",
            "Data",
            &format!(
                "Sets, overwrites and removes fields of each item; values may be expressions. \
                 Removals apply first, then fields are set. Example params: {example}"
            ),
            Purity::Pure,
            schema,
        )
    })
}

/// A field name's path segments; `pointer` (built only on failure) names the parameter.
fn check_name(name: &str, pointer: impl FnOnce() -> String) -> Result<Vec<&str>, NodeError> {
    split_path(name).ok_or_else(|| {
        NodeError::invalid_params(
            &pointer(),
            format!("{name:?} is not a field name or dotted path (a segment is empty)"),
        )
    })
}

#[async_trait]
impl NodeType for SetNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        if let Some(Value::Object(fields)) = params.get("fields") {
            for name in fields.keys() {
                if split_path(name).is_none() {
                    return Err(format!(
                        "fields/{}: {name:?} is not a field name or dotted path (a segment is empty)",
                        escape_pointer(name)
                    ));
                }
            }
        }
        Ok(main_in_main_out())
    }

    async fn execute(&self, ctx: &StepContext, input: NodeInput) -> Result<StepResult, NodeError> {
        let items = input.main_items();
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let p: SetParams = ctx.params_for(items, i)?;
            let mut obj = match p.mode {
                SetMode::Merge => as_object(item.clone()),
                SetMode::Replace => Map::new(),
            };
            for (k, path) in p.remove.iter().enumerate() {
                let segs = check_name(path, || format!("/params/remove/{k}"))?;
                remove_path(&mut obj, &segs);
            }
            for (name, value) in p.fields {
                let segs = check_name(&name, || {
                    format!("/params/fields/{}", escape_pointer(&name))
                })?;
                set_path(&mut obj, &segs, value);
            }
            out.push(Value::Object(obj));
        }
        Ok(StepResult::Done(NodeOutput::main(out)))
    }
}
