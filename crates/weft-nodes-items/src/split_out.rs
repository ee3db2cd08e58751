//! `items.split_out@1`: one item per element of an array field.

use crate::common::{describe, path_param, segs};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use weft_node_api::{
    NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, Purity, ResolvedPorts, StepContext,
    StepResult,
};
use weft_nodes::common::{
    as_object, get_path, main_in_main_out, node_info, object_schema, remove_path, set_path,
    with_keyword,
};

/// `items.split_out@1`: turns each input item into one item per element of one of its array
/// fields, keeping none, all or some of its other fields.
#[derive(Debug, Clone, Copy, Default)]
pub struct SplitOutNode;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Params {
    field: String,
    #[serde(default)]
    destination: Option<String>,
    #[serde(default)]
    include: Include,
    #[serde(default)]
    other_fields: Vec<String>,
    #[serde(default)]
    on_missing: OnMissing,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Include {
    #[default]
    #[serde(rename = "noOtherFields")]
    None,
    #[serde(rename = "allOtherFields")]
    All,
    #[serde(rename = "selectedOtherFields")]
    Selected,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum OnMissing {
    #[default]
    Error,
    Skip,
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({
            "field": "order.lines",
            "destination": "line",
            "include": "selectedOtherFields",
            "otherFields": ["order.id", "customer"],
        });
        let schema = object_schema(
            "items.split_out params",
            json!({
                "field": {
                    "type": "string",
                    "minLength": 1,
                    "description": "The array field to split, by name or dotted path.",
                    "examples": ["tags", "order.lines"],
                },
                "destination": {
                    "type": "string",
                    "minLength": 1,
                    "description": "Field (name or dotted path) that receives each element. Without it the element goes back under `field`, except that with include noOtherFields an element that is an object becomes the item itself.",
                },
                "include": {
                    "type": "string",
                    "enum": ["noOtherFields", "allOtherFields", "selectedOtherFields"],
                    "default": "noOtherFields",
                    "description": "What else each new item carries: nothing; every other field of the input item (the split array itself removed); or the fields named in otherFields.",
                },
                "otherFields": {
                    "type": "array",
                    "minItems": 1,
                    "items": { "type": "string", "minLength": 1 },
                    "description": "Fields copied into each new item with include selectedOtherFields, by name or dotted path; a missing one is left out.",
                },
                "onMissing": {
                    "type": "string",
                    "enum": ["error", "skip"],
                    "default": "error",
                    "description": "When an item's field is missing or not an array: error fails the step naming the item; skip drops the item. An empty array gives no items either way.",
                },
            }),
            &["field"],
            vec![example.clone(), json!({ "field": "tags", "destination": "tag", "include": "allOtherFields", "onMissing": "skip" })],
        );
        let schema = with_keyword(
            schema,
            "if",
            json!({ "properties": { "include": { "const": "selectedOtherFields" } }, "required": ["include"] }),
        );
        let schema = with_keyword(schema, "then", json!({ "required": ["otherFields"] }));
        let schema = with_keyword(schema, "else", json!({ "not": { "required": ["otherFields"] } }));
        node_info(
            "items.split_out",
            "Split out",
            "Data",
            &format!(
                "Emits one item per element of an array field, in order; the other fields of \
                 the input item can be kept. Params are read per item ($json is that item). \
                 Example params: {example} turns {{\"order\": {{\"id\": 7, \"lines\": [{{\"sku\": \"a\"}}, \
                 {{\"sku\": \"b\"}}]}}, \"customer\": \"Ada\"}} into two items such as \
                 {{\"order\": {{\"id\": 7}}, \"customer\": \"Ada\", \"line\": {{\"sku\": \"a\"}}}}."
            ),
            Purity::Pure,
            schema,
        )
    })
}

#[async_trait]
impl NodeType for SplitOutNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, _params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        Ok(main_in_main_out())
    }

    async fn execute(&self, ctx: &StepContext, input: NodeInput) -> Result<StepResult, NodeError> {
        let items = input.main_items();
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p: Params = ctx.params_for(items, i)?;
            let field = path_param(&p.field, "/params/field")?;
            let destination = match &p.destination {
                Some(d) => Some(path_param(d, "/params/destination")?),
                None => None,
            };
            if p.include == Include::Selected && p.other_fields.is_empty() {
                return Err(NodeError::invalid_params(
                    "/params/otherFields",
                    "include selectedOtherFields needs at least one field name",
                ));
            }
            let elements = match get_path(item, &p.field) {
                Some(Value::Array(a)) => a,
                found => {
                    if p.on_missing == OnMissing::Skip {
                        continue;
                    }
                    let what = match found {
                        None => "is missing".to_string(),
                        Some(v) => format!("is {}, not an array", describe(v)),
                    };
                    return Err(NodeError::permanent(
                        "split_out.not_array",
                        format!(
                            "item {i}: field {:?} {what}; set onMissing to \"skip\" to drop such items",
                            p.field
                        ),
                    )
                    .with_details(json!({ "itemIndex": i, "field": p.field })));
                }
            };
            let base = match p.include {
                Include::None => Map::new(),
                Include::All => {
                    let mut obj = as_object(item.clone());
                    // The exact name first, as get_path reads it.
                    if obj.shift_remove(&p.field).is_none() {
                        remove_path(&mut obj, &segs(&field));
                    }
                    obj
                }
                Include::Selected => {
                    let mut obj = Map::new();
                    for (k, name) in p.other_fields.iter().enumerate() {
                        let path = path_param(name, &format!("/params/otherFields/{k}"))?;
                        if let Some(v) = get_path(item, name) {
                            set_path(&mut obj, &segs(&path), v.clone());
                        }
                    }
                    obj
                }
            };
            for element in elements {
                let new_item = match (&destination, p.include, element) {
                    (None, Include::None, Value::Object(m)) => m.clone(),
                    _ => {
                        let mut obj = base.clone();
                        let target = destination.as_deref().unwrap_or(&field);
                        set_path(&mut obj, &segs(target), element.clone());
                        obj
                    }
                };
                out.push(Value::Object(new_item));
            }
        }
        Ok(StepResult::Done(NodeOutput::main(out)))
    }
}
