//! `items.dedupe@1`: removes duplicate items.

use crate::common::{canonical, path_param, segs};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::OnceLock;
use weft_node_api::{
    NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, Purity, ResolvedPorts, StepContext,
    StepResult,
};
use weft_nodes::common::{
    as_object, get_path, main_in_main_out, node_info, object_schema, remove_path, with_keyword,
};

/// `items.dedupe@1`: items count as duplicates when they are equal as JSON data (key order and
/// `1` vs `1.0` do not matter), whole or on selected fields; the first or the last of each
/// group is kept, in input order.
#[derive(Debug, Clone, Copy, Default)]
pub struct DedupeNode;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Params {
    #[serde(default)]
    compare: Compare,
    #[serde(default)]
    fields: Vec<String>,
    #[serde(default)]
    keep: Keep,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Compare {
    #[default]
    AllFields,
    SelectedFields,
    AllFieldsExcept,
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
        let example = json!({ "compare": "selectedFields", "fields": ["email", "address.zip"], "keep": "last" });
        let schema = object_schema(
            "items.dedupe params",
            json!({
                "compare": {
                    "type": "string",
                    "enum": ["allFields", "selectedFields", "allFieldsExcept"],
                    "default": "allFields",
                    "description": "allFields: whole items must be equal; selectedFields: only `fields` must be equal (a missing field equals only another missing field, not null); allFieldsExcept: whole items minus `fields`.",
                },
                "fields": {
                    "type": "array",
                    "minItems": 1,
                    "items": { "type": "string", "minLength": 1 },
                    "description": "Field names or dotted paths, for selectedFields and allFieldsExcept.",
                    "examples": [["email"], ["customer.id", "sku"]],
                },
                "keep": {
                    "type": "string",
                    "enum": ["first", "last"],
                    "default": "first",
                    "description": "Which item of each group of duplicates is kept. Kept items stay in input order.",
                },
            }),
            &[],
            vec![example.clone(), json!({}), json!({ "compare": "allFieldsExcept", "fields": ["receivedAt"] })],
        );
        let schema = with_keyword(
            schema,
            "if",
            json!({ "properties": { "compare": { "enum": ["selectedFields", "allFieldsExcept"] } }, "required": ["compare"] }),
        );
        let schema = with_keyword(schema, "then", json!({ "required": ["fields"] }));
        let schema = with_keyword(schema, "else", json!({ "not": { "required": ["fields"] } }));
        node_info(
            "items.dedupe",
            "Remove duplicates",
            "Data",
            &format!(
                "Removes items that repeat an earlier (or, with keep last, a later) item, \
                 comparing whole items, selected fields, or all fields but some. Values compare \
                 as JSON data: object key order and 1 vs 1.0 do not matter, \"1\" and 1 differ. \
                 Params are read once, with the first item as $json. Example params: {example}"
            ),
            Purity::Pure,
            schema,
        )
    })
}

#[async_trait]
impl NodeType for DedupeNode {
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
        let p: Params = ctx.params_for(&items, 0)?;
        if p.compare != Compare::AllFields && p.fields.is_empty() {
            return Err(NodeError::invalid_params(
                "/params/fields",
                "name at least one field to compare (or exclude)",
            ));
        }
        let mut paths = Vec::with_capacity(p.fields.len());
        for (k, f) in p.fields.iter().enumerate() {
            paths.push(path_param(f, &format!("/params/fields/{k}"))?);
        }
        let key = |item: &Value| -> String {
            let v = match p.compare {
                Compare::AllFields => canonical(item),
                Compare::SelectedFields => Value::Array(
                    p.fields
                        .iter()
                        // A missing field is told apart from null by wrapping present values.
                        .map(|f| match get_path(item, f) {
                            Some(v) => json!([canonical(v)]),
                            None => json!([]),
                        })
                        .collect(),
                ),
                Compare::AllFieldsExcept => {
                    let mut obj = as_object(item.clone());
                    for path in &paths {
                        remove_path(&mut obj, &segs(path));
                    }
                    canonical(&Value::Object(obj))
                }
            };
            v.to_string()
        };
        // For each key, the index of the item that survives.
        let mut survivor: HashMap<String, usize> = HashMap::new();
        let keys: Vec<String> = items.iter().map(key).collect();
        for (i, k) in keys.iter().enumerate() {
            match p.keep {
                Keep::First => {
                    survivor.entry(k.clone()).or_insert(i);
                }
                Keep::Last => {
                    survivor.insert(k.clone(), i);
                }
            }
        }
        let out: Vec<Value> = items
            .into_iter()
            .zip(keys)
            .enumerate()
            .filter(|(i, (_, k))| survivor.get(k) == Some(i))
            .map(|(_, (item, _))| item)
            .collect();
        Ok(StepResult::Done(NodeOutput::main(out)))
    }
}
