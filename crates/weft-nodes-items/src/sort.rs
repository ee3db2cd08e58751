//! `items.sort@1`: orders items by fields, reverses them, or shuffles them reproducibly.

use crate::common::{below, path_param, seeded_rng};
use crate::time::{self, InputFormat};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::cmp::Ordering;
use std::sync::OnceLock;
use weft_node_api::{
    NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, Purity, ResolvedPorts, StepContext,
    StepResult,
};
use weft_nodes::common::{get_path, main_in_main_out, node_info, object_schema, with_keyword};

/// `items.sort@1`: a stable sort by one or more fields (each ascending or descending, compared
/// as numbers, text or dates), a reversal, or a shuffle seeded by the step's idempotency key.
#[derive(Debug, Clone, Copy, Default)]
pub struct SortNode;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Params {
    #[serde(default)]
    mode: Mode,
    #[serde(default)]
    fields: Vec<SortKey>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Mode {
    #[default]
    Fields,
    Reverse,
    Random,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SortKey {
    field: String,
    #[serde(default)]
    order: Order,
    #[serde(default)]
    compare: Compare,
    #[serde(default = "yes")]
    case_sensitive: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Order {
    #[default]
    Asc,
    Desc,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Compare {
    #[default]
    Auto,
    Number,
    String,
    Date,
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({
            "mode": "fields",
            "fields": [
                { "field": "customer.country", "compare": "string", "caseSensitive": false },
                { "field": "total", "order": "desc", "compare": "number" },
            ],
        });
        let schema = object_schema(
            "items.sort params",
            json!({
                "mode": {
                    "type": "string",
                    "enum": ["fields", "reverse", "random"],
                    "default": "fields",
                    "description": "fields: sort by `fields`; reverse: reverse the input order; random: shuffle, seeded by the step's idempotency key so a retry of the step gives the same order.",
                },
                "fields": {
                    "type": "array",
                    "minItems": 1,
                    "description": "Sort keys, most significant first (mode fields only). Items that tie on every key keep their input order. Missing and null values sort last, in either order.",
                    "items": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["field"],
                        "properties": {
                            "field": { "type": "string", "minLength": 1, "description": "Field name or dotted path, e.g. \"customer.name\"." },
                            "order": { "type": "string", "enum": ["asc", "desc"], "default": "asc", "description": "asc: smallest first; desc: largest first." },
                            "compare": {
                                "type": "string",
                                "enum": ["auto", "number", "string", "date"],
                                "default": "auto",
                                "description": "auto: numbers and numeric strings by value, then other strings, booleans, arrays, objects; number: by numeric value (non-numbers count as missing); string: as text; date: as instants (ISO 8601, RFC 2822, or Unix milliseconds; unreadable dates count as missing).",
                            },
                            "caseSensitive": { "type": "boolean", "default": true, "description": "When false, text compares ignoring case." },
                        },
                    },
                },
            }),
            &[],
            vec![example.clone(), json!({ "mode": "random" })],
        );
        // `fields` is required by mode fields (the default) and refused by the other modes.
        let schema = with_keyword(
            schema,
            "if",
            json!({ "properties": { "mode": { "enum": ["reverse", "random"] } }, "required": ["mode"] }),
        );
        let schema = with_keyword(schema, "then", json!({ "not": { "required": ["fields"] } }));
        let schema = with_keyword(schema, "else", json!({ "required": ["fields"] }));
        node_info(
            "items.sort",
            "Sort",
            "Data",
            &format!(
                "Sorts items by one or more fields (dotted paths), each ascending or descending \
                 and compared as numbers, text or dates; the sort is stable and puts missing or \
                 null values last. Mode reverse flips the order; mode random shuffles with a \
                 seed taken from the step's idempotency key, so a retried step shuffles the same \
                 way (a `cacheable` random sort also repeats its order for equal input). \
                 Params are read once, with the first item as $json. Example params: {example}"
            ),
            Purity::Pure,
            schema,
        )
    })
}

/// A sort key's value, read from one item; `None` when missing, null or unreadable as the
/// chosen kind.
#[derive(Debug, Clone, PartialEq)]
enum Key {
    Number(f64),
    Text(String),
    Bool(bool),
    Array(String),
    Object(String),
}

impl Key {
    fn rank(&self) -> u8 {
        match self {
            Key::Number(_) => 0,
            Key::Text(_) => 1,
            Key::Bool(_) => 2,
            Key::Array(_) => 3,
            Key::Object(_) => 4,
        }
    }

    fn cmp(&self, other: &Key) -> Ordering {
        match (self, other) {
            (Key::Number(a), Key::Number(b)) => a.total_cmp(b),
            (Key::Text(a), Key::Text(b))
            | (Key::Array(a), Key::Array(b))
            | (Key::Object(a), Key::Object(b)) => a.cmp(b),
            (Key::Bool(a), Key::Bool(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

fn numeric(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

fn key_of(item: &Value, field: &str, spec: &SortKey) -> Option<Key> {
    let v = get_path(item, field)?;
    if v.is_null() {
        return None;
    }
    let fold = |s: &str| {
        if spec.case_sensitive {
            s.to_string()
        } else {
            s.to_lowercase()
        }
    };
    match spec.compare {
        Compare::Number => numeric(v).map(Key::Number),
        Compare::String => Some(Key::Text(match v {
            Value::String(s) => fold(s),
            other => fold(&other.to_string()),
        })),
        Compare::Date => time::read(v, InputFormat::Auto, None, chrono_tz::Tz::UTC)
            .ok()
            .map(|d| Key::Number(d.timestamp_millis() as f64)),
        Compare::Auto => Some(match v {
            Value::Number(_) => Key::Number(numeric(v)?),
            Value::String(s) => match numeric(v) {
                Some(n) if !s.trim().is_empty() => Key::Number(n),
                _ => Key::Text(fold(s)),
            },
            Value::Bool(b) => Key::Bool(*b),
            Value::Array(_) => Key::Array(v.to_string()),
            Value::Object(_) => Key::Object(v.to_string()),
            Value::Null => return None,
        }),
    }
}

#[async_trait]
impl NodeType for SortNode {
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
        match p.mode {
            Mode::Reverse => items.reverse(),
            Mode::Random => {
                let mut rng = seeded_rng(ctx, "items.sort/random", 0);
                // Fisher–Yates with an unbiased draw.
                for i in (1..items.len()).rev() {
                    let j = below(&mut rng, i + 1);
                    items.swap(i, j);
                }
            }
            Mode::Fields => {
                if p.fields.is_empty() {
                    return Err(NodeError::invalid_params(
                        "/params/fields",
                        "mode fields needs at least one sort key",
                    ));
                }
                let mut paths = Vec::with_capacity(p.fields.len());
                for (k, key) in p.fields.iter().enumerate() {
                    path_param(&key.field, &format!("/params/fields/{k}/field"))?;
                    paths.push(key.field.as_str());
                }
                // Keys are computed once per item, not once per comparison.
                let mut keyed: Vec<(Vec<Option<Key>>, Value)> = items
                    .into_iter()
                    .map(|item| {
                        let keys = p
                            .fields
                            .iter()
                            .zip(&paths)
                            .map(|(spec, path)| key_of(&item, path, spec))
                            .collect();
                        (keys, item)
                    })
                    .collect();
                keyed.sort_by(|(a, _), (b, _)| {
                    for ((ka, kb), spec) in a.iter().zip(b).zip(&p.fields) {
                        let o = match (ka, kb) {
                            (None, None) => Ordering::Equal,
                            (None, Some(_)) => Ordering::Greater,
                            (Some(_), None) => Ordering::Less,
                            (Some(x), Some(y)) => match spec.order {
                                Order::Asc => x.cmp(y),
                                Order::Desc => y.cmp(x),
                            },
                        };
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                    Ordering::Equal
                });
                items = keyed.into_iter().map(|(_, item)| item).collect();
            }
        }
        Ok(StepResult::Done(NodeOutput::main(items)))
    }
}
