//! `core.merge@1`: combines the items of several inputs.

use crate::common::{
    any_port, as_object, get_path, node_info, object_schema, static_param, with_keyword,
};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::OnceLock;
use weft_node_api::{
    Item, NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, Purity, ResolvedPorts,
    StepContext, StepResult,
};

/// Fewest inputs.
pub const MIN_INPUTS: u64 = 2;
/// Most inputs.
pub const MAX_INPUTS: u64 = 10;

/// `core.merge@1`: inputs `in1`…`inN` combined by appending, by position or by a key.
#[derive(Debug, Clone, Copy, Default)]
pub struct MergeNode;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MergeParams {
    #[serde(default = "two")]
    inputs: u64,
    #[serde(default)]
    mode: Mode,
    #[serde(default)]
    by_position_mode: ByPositionMode,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    join: Join,
}

fn two() -> u64 {
    MIN_INPUTS
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Mode {
    #[default]
    Append,
    ByPosition,
    ByKey,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum ByPositionMode {
    #[default]
    Longest,
    Shortest,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Join {
    #[default]
    Inner,
    Left,
    Outer,
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({ "inputs": 2, "mode": "byKey", "key": "customer.id", "join": "left" });
        let schema = object_schema(
            "core.merge params",
            json!({
                "inputs": {
                    "type": "integer",
                    "minimum": MIN_INPUTS,
                    "maximum": MAX_INPUTS,
                    "description": "Number of input ports, named in1 … inN. Must be written literally: it decides the ports.",
                    "default": MIN_INPUTS,
                },
                "mode": {
                    "type": "string",
                    "enum": ["append", "byPosition", "byKey"],
                    "description": "append: in1's items, then in2's, …; byPosition: item i of every input merged into one object (shallow, later inputs win); byKey: items of in1 and in2 (then in3 …) joined on equal `key` values and merged shallow.",
                    "default": "append",
                },
                "byPositionMode": {
                    "type": "string",
                    "enum": ["longest", "shortest"],
                    "description": "byPosition only: emit as many items as the longest input, or as the shortest input that received items.",
                    "default": "longest",
                },
                "key": {
                    "type": "string",
                    "minLength": 1,
                    "description": "byKey only: the field name or dotted path compared between items (strict equality; null and missing never match).",
                },
                "join": {
                    "type": "string",
                    "enum": ["inner", "left", "outer"],
                    "description": "byKey only: inner keeps matched pairs; left also keeps unmatched items of the left side; outer also keeps unmatched items of both sides.",
                    "default": "inner",
                },
            }),
            &[],
            vec![example.clone(), json!({ "inputs": 3 }), json!({ "mode": "byPosition", "byPositionMode": "shortest" })],
        );
        let schema = with_keyword(
            schema,
            "if",
            json!({ "properties": { "mode": { "const": "byKey" } }, "required": ["mode"] }),
        );
        let schema = with_keyword(schema, "then", json!({ "required": ["key"] }));
        node_info(
            "core.merge",
            "Merge",
            "Flow",
            &format!(
                "Combines the items of inputs in1 … inN: append them, merge them by position, or join \
                 them on a key (inner, left or outer). Non-object items are merged as {{\"value\": item}}. \
                 Example params: {example}"
            ),
            Purity::Pure,
            schema,
        )
    })
}

fn input_count(params: &Map<String, Value>) -> Result<u64, String> {
    match static_param(params, "inputs")? {
        None => Ok(MIN_INPUTS),
        Some(v) => match v.as_u64() {
            Some(n) if (MIN_INPUTS..=MAX_INPUTS).contains(&n) => Ok(n),
            _ => Err(format!(
                "inputs: must be a whole number from {MIN_INPUTS} to {MAX_INPUTS}, not {v}"
            )),
        },
    }
}

#[async_trait]
impl NodeType for MergeNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        let n = input_count(params)?;
        if params.get("mode").and_then(Value::as_str) == Some("byKey")
            && !params.contains_key("key")
        {
            return Err("key: required when mode is \"byKey\"".into());
        }
        Ok(ResolvedPorts {
            inputs: (1..=n).map(|i| any_port(&format!("in{i}"))).collect(),
            outputs: vec![any_port("main")],
        })
    }

    async fn execute(&self, ctx: &StepContext, input: NodeInput) -> Result<StepResult, NodeError> {
        let p: MergeParams = ctx.params_for(input.port("in1"), 0)?;
        if !(MIN_INPUTS..=MAX_INPUTS).contains(&p.inputs) {
            return Err(NodeError::invalid_params(
                "/params/inputs",
                format!("must be a whole number from {MIN_INPUTS} to {MAX_INPUTS}"),
            ));
        }
        let inputs: Vec<Option<&[Item]>> = (1..=p.inputs)
            .map(|i| {
                let name = format!("in{i}");
                input.has_port(&name).then(|| input.port(&name))
            })
            .collect();
        let items = match p.mode {
            Mode::Append => inputs
                .iter()
                .flatten()
                .flat_map(|items| items.iter().cloned())
                .collect(),
            Mode::ByPosition => by_position(&inputs, p.by_position_mode),
            Mode::ByKey => {
                let key = p.key.as_deref().filter(|k| !k.is_empty()).ok_or_else(|| {
                    NodeError::invalid_params("/params/key", "required when mode is \"byKey\"")
                })?;
                let mut sides = inputs.iter().map(|i| i.unwrap_or(&[]));
                let mut acc: Vec<Item> = sides.next().unwrap_or(&[]).to_vec();
                for right in sides {
                    acc = join(acc, right, key, p.join);
                }
                acc
            }
        };
        Ok(StepResult::Done(NodeOutput::main(items)))
    }
}

fn by_position(inputs: &[Option<&[Item]>], mode: ByPositionMode) -> Vec<Item> {
    let len = match mode {
        ByPositionMode::Longest => inputs.iter().flatten().map(|i| i.len()).max().unwrap_or(0),
        ByPositionMode::Shortest => inputs.iter().flatten().map(|i| i.len()).min().unwrap_or(0),
    };
    (0..len)
        .map(|i| {
            let mut merged = Map::new();
            for item in inputs.iter().flatten().filter_map(|items| items.get(i)) {
                merged.extend(as_object(item.clone()));
            }
            Value::Object(merged)
        })
        .collect()
}

/// A value's identity for key comparison: strict equality, with 1 and 1.0 equal; null never matches.
fn key_repr(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(format!("b:{b}")),
        Value::Number(n) => Some(if let Some(i) = n.as_i64() {
            format!("n:{i}")
        } else if let Some(u) = n.as_u64() {
            format!("n:{u}")
        } else {
            match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => format!("n:{}", f as i64),
                Some(f) => format!("n:{f}"),
                None => format!("n:{n}"),
            }
        }),
        Value::String(s) => Some(format!("s:{s}")),
        other => Some(format!("j:{other}")),
    }
}

fn join(left: Vec<Item>, right: &[Item], key: &str, how: Join) -> Vec<Item> {
    let mut index: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, item) in right.iter().enumerate() {
        if let Some(k) = get_path(item, key).and_then(key_repr) {
            index.entry(k).or_default().push(i);
        }
    }
    let mut right_used = vec![false; right.len()];
    let mut out = Vec::new();
    for l in left {
        let matches = get_path(&l, key)
            .and_then(key_repr)
            .and_then(|k| index.get(&k));
        match matches {
            Some(rs) => {
                for &r in rs {
                    right_used[r] = true;
                    let mut merged = as_object(l.clone());
                    merged.extend(as_object(right[r].clone()));
                    out.push(Value::Object(merged));
                }
            }
            None if how != Join::Inner => out.push(l),
            None => {}
        }
    }
    if how == Join::Outer {
        out.extend(
            right
                .iter()
                .zip(&right_used)
                .filter(|(_, used)| !**used)
                .map(|(r, _)| r.clone()),
        );
    }
    out
}
