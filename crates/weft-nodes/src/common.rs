//! Helpers shared by the node types: schema and port building, params rendering, JavaScript
//! truthiness, dotted paths and child-run plumbing.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use weft_expr::{CompiledValue, Scope};
use weft_node_api::{
    Item, NodeError, NodeTypeInfo, NodeTypeRef, PortSpec, PortType, Purity, ResolvedPorts,
    StepContext, WorkflowSource,
};

/// The JSON Schema dialect of every params schema.
pub const SCHEMA_DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// Builds a node type's catalog entry.
pub fn node_info(
    name: &str,
    display_name: &str,
    category: &str,
    description: &str,
    purity: Purity,
    params_schema: Value,
) -> NodeTypeInfo {
    NodeTypeInfo {
        type_ref: NodeTypeRef::new(name, 1),
        display_name: display_name.to_string(),
        category: category.to_string(),
        description: description.to_string(),
        purity,
        params_schema,
    }
}

/// A closed object schema (`additionalProperties: false`) with documented examples.
pub fn object_schema(
    title: &str,
    properties: Value,
    required: &[&str],
    examples: Vec<Value>,
) -> Value {
    json!({
        "$schema": SCHEMA_DIALECT,
        "title": title,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
        "examples": examples,
    })
}

/// Adds one keyword to a schema built by [`object_schema`].
pub fn with_keyword(mut schema: Value, key: &str, value: Value) -> Value {
    if let Value::Object(m) = &mut schema {
        m.insert(key.to_string(), value);
    }
    schema
}

/// A port that carries anything.
pub fn any_port(name: &str) -> PortSpec {
    PortSpec::new(name, PortType::Any)
}

/// One `main` input and one `main` output.
pub fn main_in_main_out() -> ResolvedPorts {
    ResolvedPorts {
        inputs: vec![any_port("main")],
        outputs: vec![any_port("main")],
    }
}

/// Reads a param that decides the node's ports: it must be written literally, because ports are
/// known before anything runs.
pub fn static_param<'a>(
    params: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a Value>, String> {
    match params.get(key) {
        Some(Value::String(s)) if weft_expr::contains_expression(s) => Err(format!(
            "{key}: must be written as a fixed value, not an expression, because it decides the node's ports"
        )),
        other => Ok(other),
    }
}

/// "an array", "a string", … for messages.
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// JavaScript truthiness: `false`, `0`, `""` and `null` are false, everything else is true.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Escapes one JSON pointer segment.
pub fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Splits a dotted path (`a.b.c`); `None` when a segment is empty.
pub fn split_path(path: &str) -> Option<Vec<&str>> {
    let segs: Vec<&str> = path.split('.').collect();
    (!segs.iter().any(|s| s.is_empty())).then_some(segs)
}

/// Reads a field by name, or by dotted path when no field has that exact name. Numeric segments
/// index arrays.
pub fn get_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(found) = v.as_object().and_then(|m| m.get(path)) {
        return Some(found);
    }
    let mut cur = v;
    for seg in path.split('.') {
        cur = match cur {
            Value::Object(m) => m.get(seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Sets a nested field, creating objects on the way and replacing non-objects in between.
pub fn set_path(obj: &mut Map<String, Value>, segs: &[&str], value: Value) {
    let Some((last, parents)) = segs.split_last() else {
        return;
    };
    let mut cur = obj;
    for seg in parents {
        let slot = cur
            .entry(seg.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(next) = slot else { return };
        cur = next;
    }
    cur.insert(last.to_string(), value);
}

/// Removes a nested field if it exists.
pub fn remove_path(obj: &mut Map<String, Value>, segs: &[&str]) {
    let Some((last, parents)) = segs.split_last() else {
        return;
    };
    let mut cur = obj;
    for seg in parents {
        match cur.get_mut(*seg) {
            Some(Value::Object(next)) => cur = next,
            _ => return,
        }
    }
    cur.shift_remove(*last);
}

/// An item as an object: objects as they are, anything else as `{"value": item}`.
pub fn as_object(item: Item) -> Map<String, Value> {
    match item {
        Value::Object(m) => m,
        other => {
            let mut m = Map::new();
            m.insert("value".to_string(), other);
            m
        }
    }
}

pub use weft_node_api::deserialize_params;

/// The params of a node minus some top-level keys, compiled for rendering.
///
/// Used by nodes whose params hold a whole child workflow: the child's `{{ }}` expressions
/// belong to the child run and must not be rendered in the parent's scope.
pub struct PartialParams {
    value: Value,
    compiled: CompiledValue,
}

impl PartialParams {
    /// Compiles the step's params without the `skip` keys.
    pub fn new(ctx: &StepContext, skip: &[&str]) -> Result<Self, NodeError> {
        let mut map = (*ctx.params).clone();
        for key in skip {
            map.shift_remove(*key);
        }
        let value = Value::Object(map);
        let compiled = CompiledValue::compile(&value).map_err(|(pointer, e)| {
            NodeError::permanent(
                "expression.failed",
                format!("parameter {pointer} of node {}: {e}", ctx.node_id),
            )
            .with_details(
                json!({ "pointer": pointer, "expression": e.expression, "position": e.position }),
            )
        })?;
        Ok(PartialParams { value, compiled })
    }

    /// Renders for one item (`$json` is that item, `{}` when there is none) and reads into `T`.
    pub fn read<T: DeserializeOwned>(
        &self,
        ctx: &StepContext,
        input: &[Item],
        item_index: usize,
    ) -> Result<T, NodeError> {
        if self.compiled.is_static() {
            return deserialize_params(self.value.clone());
        }
        let empty = Value::Object(Map::new());
        let json = input.get(item_index).unwrap_or(&empty);
        let env = &**ctx.expr_env();
        let env_fn = |name: &str| env.env_var(name);
        let scope = Scope {
            json,
            item_index,
            input,
            nodes: env,
            vars: env.vars(),
            run: env.run_info(),
            now_ms: ctx.now_ms,
            env: &env_fn,
        };
        let rendered = self.compiled.render(&scope).map_err(|(pointer, e)| {
            NodeError::permanent(
                "expression.failed",
                format!("parameter {pointer} of node {}: {e}", ctx.node_id),
            )
            .with_details(
                json!({ "pointer": pointer, "expression": e.expression, "position": e.position }),
            )
        })?;
        deserialize_params(rendered)
    }
}

/// The error returned when the step is cancelled.
pub fn cancelled() -> NodeError {
    NodeError::permanent("cancelled", "the step was cancelled")
}

/// Where the child workflow comes from: exactly one of `workflow` (inline document, taken as
/// written, its expressions left for the child) and `workflowVersion` (rendered).
pub fn workflow_source(
    ctx: &StepContext,
    version: Option<String>,
) -> Result<WorkflowSource, NodeError> {
    let inline = ctx.params.get("workflow");
    match (inline, version) {
        (Some(Value::Object(doc)), None) => Ok(WorkflowSource::Inline(Value::Object(doc.clone()))),
        (Some(_), None) => Err(NodeError::invalid_params(
            "/params/workflow",
            "must be an inline weft/v1 workflow document (an object)",
        )),
        (None, Some(v)) if v.trim().is_empty() => Err(NodeError::invalid_params(
            "/params/workflowVersion",
            "must not be empty",
        )),
        (None, Some(v)) => Ok(WorkflowSource::Version(v)),
        (Some(_), Some(_)) => Err(NodeError::invalid_params(
            "/params",
            "set only one of `workflow` (an inline document) and `workflowVersion` (a stored version id)",
        )),
        (None, None) => Err(NodeError::invalid_params(
            "/params",
            "set one of `workflow` (an inline document) or `workflowVersion` (a stored version id)",
        )),
    }
}

/// A short message out of a child run's error value.
pub fn child_error_message(error: &Value) -> String {
    match error {
        Value::String(s) => s.clone(),
        Value::Object(m) => match m.get("message") {
            Some(Value::String(s)) => s.clone(),
            _ => match m.get("error") {
                Some(inner) => child_error_message(inner),
                None => error.to_string(),
            },
        },
        other => other.to_string(),
    }
}

/// JSON Schema properties shared by `core.map` and `core.subworkflow`.
pub fn child_workflow_properties() -> (Value, Value) {
    (
        json!({
            "type": "object",
            "description": "An inline weft/v1 workflow document run as the child. Its {{ }} expressions are evaluated in the child run, not here.",
            "properties": { "apiVersion": { "const": "weft/v1" } },
            "required": ["apiVersion", "nodes"],
        }),
        json!({
            "type": "string",
            "minLength": 1,
            "description": "The id of a stored workflow version to run as the child (may be an expression).",
        }),
    )
}

/// The `oneOf` that requires exactly one of `workflow` and `workflowVersion`.
pub fn exactly_one_workflow() -> Value {
    json!([
        { "required": ["workflow"], "not": { "required": ["workflowVersion"] } },
        { "required": ["workflowVersion"], "not": { "required": ["workflow"] } },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truthiness_follows_javascript() {
        for v in [json!(false), json!(0), json!(0.0), json!(""), json!(null)] {
            assert!(!truthy(&v), "{v}");
        }
        for v in [
            json!(true),
            json!(1),
            json!(-0.5),
            json!("false"),
            json!("0"),
            json!([]),
            json!({}),
        ] {
            assert!(truthy(&v), "{v}");
        }
    }

    #[test]
    fn paths() {
        let mut m = Map::new();
        set_path(&mut m, &["a", "b", "c"], json!(1));
        set_path(&mut m, &["x"], json!(2));
        assert_eq!(
            Value::Object(m.clone()),
            json!({"a": {"b": {"c": 1}}, "x": 2})
        );
        set_path(&mut m, &["x", "y"], json!(3));
        assert_eq!(m["x"], json!({"y": 3}));
        remove_path(&mut m, &["a", "b", "c"]);
        remove_path(&mut m, &["nope", "deeper"]);
        assert_eq!(
            Value::Object(m.clone()),
            json!({"a": {"b": {}}, "x": {"y": 3}})
        );
        let v = json!({"a.b": 1, "a": {"b": 2, "list": [10, 20]}});
        assert_eq!(get_path(&v, "a.b"), Some(&json!(1)));
        assert_eq!(get_path(&v, "a.list.1"), Some(&json!(20)));
        assert_eq!(get_path(&v, "a.zzz"), None);
        assert_eq!(split_path("a..b"), None);
        assert_eq!(split_path("a.b"), Some(vec!["a", "b"]));
    }

    #[test]
    fn child_messages() {
        assert_eq!(
            child_error_message(&json!({"code": "x", "message": "boom"})),
            "boom"
        );
        assert_eq!(
            child_error_message(&json!({"error": {"message": "deep"}})),
            "deep"
        );
        assert_eq!(child_error_message(&json!("plain")), "plain");
    }
}
