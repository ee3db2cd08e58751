//! `data.validate@1`: routes items by whether they match a JSON Schema (2020-12).

use crate::fields::{check_field, read_field};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::sync::OnceLock;
use weft_node_api::{
    NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, PortSpec, PortType, Purity,
    ResolvedPorts, StepContext, StepResult,
};
use weft_nodes::common::{PartialParams, escape_pointer, node_info, object_schema};

/// The output of items that match.
pub const VALID: &str = "valid";
/// The output of items that do not match, as `{item, violations}`.
pub const INVALID: &str = "invalid";
/// Default cap on the violations listed per item.
pub const DEFAULT_MAX_VIOLATIONS: usize = 50;

/// `data.validate@1`: compiles `schema` once per step and sends each item to `valid` or to
/// `invalid` (as `{item, violations}`), or fails the step at the first invalid item with
/// `failOnInvalid`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidateNode;

/// Per-item params (everything but `schema`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ItemParams {
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    fail_on_invalid: bool,
    #[serde(default = "default_max_violations")]
    max_violations: usize,
    #[serde(default)]
    validate_formats: bool,
}

fn default_max_violations() -> usize {
    DEFAULT_MAX_VIOLATIONS
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({
            "schema": {
                "type": "object",
                "properties": {
                    "email": { "type": "string", "minLength": 3 },
                    "age": { "type": "integer", "minimum": 0 },
                },
                "required": ["email"],
            },
        });
        let field_example = json!({
            "schema": { "type": "array", "items": { "type": "number" } },
            "field": "payload.values",
            "failOnInvalid": true,
        });
        let schema = object_schema(
            "data.validate params",
            json!({
                "schema": {
                    "type": ["object", "boolean"],
                    "description": "A JSON Schema (draft 2020-12) each item (or its `field`) must match. Compiled once per step (rendered with the first item when it holds expressions); external $refs are not fetched.",
                    "examples": [{ "type": "object", "required": ["id"] }],
                },
                "field": {
                    "type": "string",
                    "minLength": 1,
                    "description": "Validate this field of each item instead of the whole item (a dotted name such as \"a.b\" reaches a nested field); a missing field is validated as null.",
                    "examples": ["payload", "body.data"],
                },
                "failOnInvalid": {
                    "type": "boolean",
                    "description": "true: the first invalid item fails the step (error validate.invalid, with the item index and violations); false: invalid items go to the `invalid` output.",
                    "default": false,
                },
                "maxViolations": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "At most this many violations are listed per item.",
                    "default": DEFAULT_MAX_VIOLATIONS,
                },
                "validateFormats": {
                    "type": "boolean",
                    "description": "Check `format` keywords (email, date-time, uuid, …) as assertions; off, as draft 2020-12 says by default, they are annotations only.",
                    "default": false,
                },
            }),
            &["schema"],
            vec![example.clone(), field_example],
        );
        node_info(
            "data.validate",
            "Data Validator",
            "Data",
            &format!(
                "Validates each item (or one field of it) against a JSON Schema (draft 2020-12). \
                 Matching items go to `valid` unchanged; the others go to `invalid` as \
                 {{\"item\": <original item>, \"violations\": [{{\"instancePath\", \"schemaPath\", \
                 \"message\"}}]}}: instancePath points into the validated value, schemaPath at the \
                 failing keyword in the schema (through $refs). Only \
                 outputs that receive items are taken. A schema that is not valid 2020-12 fails \
                 the step naming the place in it. Example params: {example}"
            ),
            Purity::Pure,
            schema,
        )
    })
}

#[async_trait]
impl NodeType for ValidateNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, _params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        Ok(ResolvedPorts {
            inputs: vec![PortSpec::new("main", PortType::Any)],
            outputs: vec![
                PortSpec::new(VALID, PortType::Object).describe("Items that match, unchanged."),
                PortSpec::new(INVALID, PortType::Object)
                    .describe("{item, violations} for each item that does not match."),
            ],
        })
    }

    async fn execute(
        &self,
        ctx: &StepContext,
        mut input: NodeInput,
    ) -> Result<StepResult, NodeError> {
        let items = input.take("main");
        let item_params = PartialParams::new(ctx, &["schema"])?;
        let mut out = NodeOutput::default();
        if items.is_empty() {
            return Ok(StepResult::Done(out));
        }
        let schema = schema_param(ctx, &items)?;
        let first: ItemParams = item_params.read(ctx, &items, 0)?;
        let validator = compile(&schema, first.validate_formats)?;
        let mut first = Some(first);
        let mut routes = Vec::with_capacity(items.len());
        for i in 0..items.len() {
            let p = match first.take() {
                Some(p) => p,
                None => item_params.read::<ItemParams>(ctx, &items, i)?,
            };
            if let Some(f) = &p.field {
                check_field(f, "/params/field")?;
            }
            let null = Value::Null;
            let value = match &p.field {
                Some(f) => read_field(&items[i], f).unwrap_or(&null),
                None => &items[i],
            };
            let violations: Vec<Value> = validator
                .iter_errors(value)
                .take(p.max_violations.max(1))
                .map(|e| {
                    json!({
                        "instancePath": e.instance_path().as_str(),
                        "schemaPath": e.schema_path().as_str(),
                        "message": e.to_string(),
                    })
                })
                .collect();
            if violations.is_empty() {
                routes.push(None);
                continue;
            }
            if p.fail_on_invalid {
                return Err(invalid_item_error(i, p.field.as_deref(), violations));
            }
            routes.push(Some(violations));
        }
        for (item, route) in items.into_iter().zip(routes) {
            match route {
                None => out.push(VALID, item),
                Some(violations) => {
                    out.push(INVALID, json!({ "item": item, "violations": violations }))
                }
            }
        }
        Ok(StepResult::Done(out))
    }
}

/// The `schema` param: as written when it holds no expression (no copy), else rendered once
/// with the first item.
fn schema_param<'a>(ctx: &'a StepContext, items: &[Value]) -> Result<Cow<'a, Value>, NodeError> {
    let written = ctx.params.get("schema").ok_or_else(|| {
        NodeError::invalid_params(
            "/params/schema",
            "required: the JSON Schema items must match",
        )
    })?;
    if !holds_expression(written) {
        return Ok(Cow::Borrowed(written));
    }
    match ctx.render_params(items, 0)? {
        Value::Object(mut m) => Ok(Cow::Owned(m.remove("schema").unwrap_or(Value::Null))),
        _ => Err(NodeError::invalid_params(
            "/params",
            "params must be an object",
        )),
    }
}

fn holds_expression(v: &Value) -> bool {
    match v {
        Value::String(s) => weft_expr::contains_expression(s),
        Value::Array(a) => a.iter().any(holds_expression),
        Value::Object(m) => m.values().any(holds_expression),
        _ => false,
    }
}

/// Compiles a 2020-12 schema; an invalid one is a params error naming the place in it.
fn compile(schema: &Value, validate_formats: bool) -> Result<jsonschema::Validator, NodeError> {
    if !matches!(schema, Value::Object(_) | Value::Bool(_)) {
        return Err(NodeError::invalid_params(
            "/params/schema",
            format!(
                "must be a JSON Schema (an object or a boolean), not {}",
                crate::fields::type_name(schema)
            ),
        ));
    }
    jsonschema::draft202012::options()
        .should_validate_formats(validate_formats)
        .build(schema)
        .map_err(|e| {
            use jsonschema::ReferencingError as Ref;
            use jsonschema::error::ValidationErrorKind as Kind;
            let mut pointer = format!("/params/schema{}", e.instance_path().as_str());
            // A reference error has no place of its own: point at the `$ref` that caused it.
            let target = match e.kind() {
                Kind::Referencing(Ref::Unretrievable { uri, .. }) => Some(uri.clone()),
                Kind::Referencing(Ref::PointerToNowhere { pointer }) => Some(format!("#{pointer}")),
                _ => None,
            };
            if let Some(at) = target.as_deref().and_then(|t| find_ref(schema, t)) {
                pointer = format!("/params/schema{at}");
            }
            let message = match e.kind() {
                Kind::Referencing(Ref::Unretrievable { uri, .. }) => format!(
                    "$ref {uri:?} points outside the schema, and schemas are never fetched; put the referenced schema under $defs and refer to it as \"#/$defs/…\""
                ),
                _ => format!("not a valid JSON Schema 2020-12: {e}"),
            };
            NodeError::invalid_params(&pointer, message)
                .with_details(json!({
                    "pointer": pointer,
                    "schemaPath": e.schema_path().as_str(),
                }))
        })
}

/// The pointer of the first `$ref` whose value is `target`.
fn find_ref(schema: &Value, target: &str) -> Option<String> {
    match schema {
        Value::Object(m) => {
            if m.get("$ref").and_then(Value::as_str) == Some(target) {
                return Some(String::new());
            }
            m.iter().find_map(|(k, v)| {
                find_ref(v, target).map(|p| format!("/{}{p}", escape_pointer(k)))
            })
        }
        Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_ref(v, target).map(|p| format!("/{i}{p}"))),
        _ => None,
    }
}

fn invalid_item_error(i: usize, field: Option<&str>, violations: Vec<Value>) -> NodeError {
    let first = &violations[0];
    let at = first["instancePath"].as_str().unwrap_or_default();
    let at = if at.is_empty() { "/" } else { at };
    let more = match violations.len() {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    let what = match field {
        Some(f) => format!("field {f:?} of item {i}"),
        None => format!("item {i}"),
    };
    NodeError::permanent(
        "validate.invalid",
        format!(
            "{what} does not match the schema: at {at}: {}{more}",
            first["message"].as_str().unwrap_or_default()
        ),
    )
    .with_details(json!({ "itemIndex": i, "field": field, "violations": violations }))
}
