//! `data.json@1`: parses JSON text, writes values as JSON text, and selects parts of values by
//! JSON Pointer (RFC 6901) or JSONPath (RFC 9535).

use crate::fields::{check_field, literal, read_field, type_name, write_field};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use serde_json_path::JsonPath;
use std::sync::OnceLock;
use weft_node_api::{
    NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, PortSpec, PortType, Purity,
    ResolvedPorts, StepContext, StepResult,
};
use weft_nodes::common::{node_info, object_schema, with_keyword};

/// Params only `stringify` reads.
const STRINGIFY_ONLY: [&str; 1] = ["pretty"];
/// Params only `select` reads.
const SELECT_ONLY: [&str; 3] = ["pointer", "jsonPath", "firstMatch"];

/// `data.json@1`: per item, reads `field` (or the whole item), applies `operation` and writes
/// the result to `outputField` (default: where it was read; the whole item when no field).
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonNode;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct JsonParams {
    operation: JsonOperation,
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    output_field: Option<String>,
    #[serde(default)]
    pretty: bool,
    #[serde(default)]
    pointer: Option<String>,
    #[serde(default)]
    json_path: Option<String>,
    #[serde(default)]
    first_match: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum JsonOperation {
    Parse,
    Stringify,
    Select,
}

impl JsonOperation {
    fn name(self) -> &'static str {
        match self {
            JsonOperation::Parse => "parse",
            JsonOperation::Stringify => "stringify",
            JsonOperation::Select => "select",
        }
    }
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let parse_example = json!({ "operation": "parse", "field": "body", "outputField": "data" });
        let pointer_example = json!({ "operation": "select", "pointer": "/data/items/0/id", "outputField": "firstId" });
        let path_example = json!({ "operation": "select", "jsonPath": "$.orders[?@.total > 100].id", "outputField": "bigOrders" });
        let stringify_example = json!({ "operation": "stringify", "field": "payload", "outputField": "payloadText", "pretty": true });
        let schema = object_schema(
            "data.json params",
            json!({
                "operation": {
                    "type": "string",
                    "enum": ["parse", "stringify", "select"],
                    "description": "parse: JSON text → value; stringify: value → JSON text; select: part of a value by `pointer` or `jsonPath`.",
                    "examples": ["parse", "select"],
                },
                "field": {
                    "type": "string",
                    "minLength": 1,
                    "description": "The field of each item to read (a dotted name such as \"a.b\" reaches a nested field). Default: the whole item. A missing field is an error naming the item.",
                    "examples": ["body", "response.text"],
                },
                "outputField": {
                    "type": "string",
                    "minLength": 1,
                    "description": "Where the result goes (dotted names create nested objects). Default: back where it was read; with neither field nor outputField the result replaces the whole item.",
                    "examples": ["data", "result.value"],
                },
                "pretty": {
                    "type": "boolean",
                    "description": "stringify only: indent with two spaces and break lines; off: compact.",
                    "default": false,
                },
                "pointer": {
                    "type": "string",
                    "pattern": "^(/([^~]|~[01])*)*$",
                    "description": "select only: a JSON Pointer (RFC 6901) such as \"/items/0/name\"; \"\" is the whole value. Nothing there gives null.",
                    "examples": ["/items/0/name", "/a~1b"],
                },
                "jsonPath": {
                    "type": "string",
                    "minLength": 1,
                    "description": "select only: a JSONPath query (RFC 9535) such as \"$.items[*].name\". Gives an array of every match ([] when none), or with `firstMatch` the first match (null when none).",
                    "examples": ["$.items[*].name", "$..id"],
                },
                "firstMatch": {
                    "type": "boolean",
                    "description": "select with jsonPath only: give the first match (null when none) instead of the array of matches.",
                    "default": false,
                },
            }),
            &["operation"],
            vec![
                parse_example.clone(),
                pointer_example.clone(),
                path_example,
                stringify_example,
                json!({ "operation": "stringify" }),
            ],
        );
        let forbid = |keys: &[&str]| -> Value {
            Value::Array(
                keys.iter()
                    .map(|k| json!({ "not": { "required": [k] } }))
                    .collect(),
            )
        };
        let schema = with_keyword(
            schema,
            "allOf",
            json!([
                {
                    "if": { "properties": { "operation": { "const": "select" } } },
                    "then": {
                        "oneOf": [
                            { "required": ["pointer"], "not": { "required": ["jsonPath"] } },
                            { "required": ["jsonPath"], "not": { "required": ["pointer"] } },
                        ],
                        "allOf": forbid(&STRINGIFY_ONLY),
                    },
                    "else": { "allOf": forbid(&SELECT_ONLY) },
                },
                {
                    "if": { "properties": { "operation": { "const": "stringify" } } },
                    "else": { "allOf": forbid(&STRINGIFY_ONLY) },
                },
                {
                    "if": { "required": ["firstMatch"] },
                    "then": { "required": ["jsonPath"] },
                },
            ]),
        );
        node_info(
            "data.json",
            "JSON Parser",
            "Data",
            &format!(
                "Per item: parses JSON text (an error names the item and the line and column), \
                 writes a value as JSON text (compact or pretty), or selects part of a value by \
                 JSON Pointer (RFC 6901; nothing at the pointer gives null) or JSONPath \
                 (RFC 9535; an array of matches, or the first with firstMatch). Reads `field` \
                 (default the whole item) and writes `outputField` (default where it read). \
                 Example params: {parse_example}; to select: {pointer_example}"
            ),
            Purity::Pure,
            schema,
        )
    })
}

#[async_trait]
impl NodeType for JsonNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        let operation = match literal(params, "operation", "") {
            Some("") => return Err("operation: required".into()),
            Some(op @ ("parse" | "stringify" | "select")) => Some(op),
            Some(other) => {
                return Err(format!(
                    "operation: unknown value {other:?} (expected parse, stringify or select)"
                ));
            }
            None => None,
        };
        let into_field = params.contains_key("field") || params.contains_key("outputField");
        let output = if into_field {
            PortSpec::new("main", PortType::Object)
                .describe("The items with the result written into a field.")
        } else {
            match operation {
                Some("stringify") => {
                    PortSpec::new("main", PortType::String).describe("Each item as JSON text.")
                }
                _ => PortSpec::new("main", PortType::Any)
                    .describe("The result for each item, in place of the item."),
            }
        };
        Ok(ResolvedPorts {
            inputs: vec![PortSpec::new("main", PortType::Any)],
            outputs: vec![output],
        })
    }

    async fn execute(
        &self,
        ctx: &StepContext,
        mut input: NodeInput,
    ) -> Result<StepResult, NodeError> {
        let items = input.take("main");
        let mut results = Vec::with_capacity(items.len());
        let mut compiled: Option<(String, JsonPath)> = None;
        for i in 0..items.len() {
            let p: JsonParams = ctx.params_for(&items, i)?;
            if i == 0 {
                check_op_params(ctx, p.operation)?;
            }
            if let Some(f) = &p.field {
                check_field(f, "/params/field")?;
            }
            if let Some(f) = &p.output_field {
                check_field(f, "/params/outputField")?;
            }
            let source = match &p.field {
                Some(f) => read_field(&items[i], f).ok_or_else(|| {
                    NodeError::permanent(
                        "json.field_missing",
                        format!("item {i} has no field {f:?} to {}", p.operation.name()),
                    )
                    .with_details(json!({ "itemIndex": i, "field": f }))
                })?,
                None => &items[i],
            };
            let result = match p.operation {
                JsonOperation::Parse => parse(source, i, p.field.as_deref())?,
                JsonOperation::Stringify => stringify(source, p.pretty, i)?,
                JsonOperation::Select => select(source, &p, &mut compiled)?,
            };
            results.push((p.output_field.or(p.field), result));
        }
        // Written after every item's params rendered, so `$input` saw the items as they came.
        let out = items
            .into_iter()
            .zip(results)
            .map(|(item, (target, value))| write_field(item, target.as_deref(), value))
            .collect();
        Ok(StepResult::Done(NodeOutput::main(out)))
    }
}

/// Refuses params the operation does not read.
fn check_op_params(ctx: &StepContext, op: JsonOperation) -> Result<(), NodeError> {
    let unused: &[&str] = match op {
        JsonOperation::Parse => &["pretty", "pointer", "jsonPath", "firstMatch"],
        JsonOperation::Stringify => &SELECT_ONLY,
        JsonOperation::Select => &STRINGIFY_ONLY,
    };
    if let Some(key) = unused.iter().find(|k| ctx.params.contains_key(**k)) {
        return Err(NodeError::invalid_params(
            &format!("/params/{key}"),
            format!("is not used by operation {}; remove it", op.name()),
        ));
    }
    Ok(())
}

fn parse(source: &Value, i: usize, field: Option<&str>) -> Result<Value, NodeError> {
    let what = match field {
        Some(f) => format!("field {f:?} of item {i}"),
        None => format!("item {i}"),
    };
    let Value::String(text) = source else {
        return Err(NodeError::permanent(
            "json.not_text",
            format!(
                "{what} is {}, not JSON text{}",
                type_name(source),
                if field.is_none() {
                    "; set `field` to the field that holds the text"
                } else {
                    ""
                }
            ),
        )
        .with_details(json!({ "itemIndex": i, "field": field })));
    };
    serde_json::from_str(text).map_err(|e| {
        NodeError::permanent(
            "json.parse_failed",
            format!("{what} is not valid JSON: {e}"),
        )
        .with_details(json!({
            "itemIndex": i,
            "field": field,
            "line": e.line(),
            "column": e.column(),
        }))
    })
}

fn stringify(source: &Value, pretty: bool, i: usize) -> Result<Value, NodeError> {
    let text = if pretty {
        serde_json::to_string_pretty(source)
    } else {
        serde_json::to_string(source)
    };
    text.map(Value::String).map_err(|e| {
        NodeError::permanent("json.stringify_failed", format!("item {i}: {e}"))
            .with_details(json!({ "itemIndex": i }))
    })
}

fn select(
    source: &Value,
    p: &JsonParams,
    compiled: &mut Option<(String, JsonPath)>,
) -> Result<Value, NodeError> {
    match (&p.pointer, &p.json_path) {
        (Some(pointer), None) => {
            check_pointer(pointer)?;
            Ok(source.pointer(pointer).cloned().unwrap_or(Value::Null))
        }
        (None, Some(query)) => {
            if compiled.as_ref().is_none_or(|(q, _)| q != query) {
                let path = JsonPath::parse(query).map_err(|e| {
                    NodeError::invalid_params(
                        "/params/jsonPath",
                        format!(
                            "{query:?} is not a JSONPath query (RFC 9535): {} at character {}",
                            e.message(),
                            e.position()
                        ),
                    )
                })?;
                *compiled = Some((query.clone(), path));
            }
            let Some((_, path)) = compiled.as_ref() else {
                return Ok(Value::Null);
            };
            let nodes = path.query(source);
            Ok(if p.first_match {
                nodes.first().cloned().unwrap_or(Value::Null)
            } else {
                Value::Array(nodes.iter().map(|v| (*v).clone()).collect())
            })
        }
        (Some(_), Some(_)) => Err(NodeError::invalid_params(
            "/params/pointer",
            "set either `pointer` or `jsonPath`, not both",
        )),
        (None, None) => Err(NodeError::invalid_params(
            "/params",
            "operation select needs `pointer` (RFC 6901) or `jsonPath` (RFC 9535)",
        )),
    }
}

/// RFC 6901 syntax: empty, or `/`-prefixed segments where `~` is followed by `0` or `1`.
fn check_pointer(pointer: &str) -> Result<(), NodeError> {
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return Err(NodeError::invalid_params(
            "/params/pointer",
            format!("{pointer:?} is not a JSON Pointer: it must be empty or start with \"/\""),
        ));
    }
    let bytes = pointer.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'~' && !matches!(bytes.get(i + 1), Some(b'0' | b'1')) {
            return Err(NodeError::invalid_params(
                "/params/pointer",
                format!(
                    "{pointer:?} is not a JSON Pointer: \"~\" at character {i} must be followed by 0 or 1 (write ~0 for ~ and ~1 for /)"
                ),
            ));
        }
    }
    Ok(())
}
