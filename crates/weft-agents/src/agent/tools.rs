//! An agent's tools: other node types run in-process, whole workflows run as child runs, and
//! HTTP endpoints (run as `http.request@1`). Each has a JSON Schema for its arguments; in a
//! tool's params, `{{ $json }}` is the call's arguments.

use crate::chat::{ToolCall, ToolSpec};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use weft_expr::CompiledValue;
use weft_model::NodeTypeRef;
use weft_node_api::{
    ChildRequest, NodeError, NodeInput, NodeType, StepContext, StepResult, WorkflowSource,
};

/// What a tool runs.
#[derive(Clone)]
enum Target {
    /// A node type with these params (templates over the arguments).
    Node {
        node_type: Arc<dyn NodeType>,
        params: Arc<Map<String, Value>>,
        compiled: Arc<CompiledValue>,
    },
    /// A child run of a workflow.
    Workflow(WorkflowSource),
}

/// One tool, ready to call.
#[derive(Clone)]
pub struct Tool {
    /// What the model sees.
    pub spec: ToolSpec,
    target: Target,
}

fn bad(pointer: String, message: impl std::fmt::Display) -> NodeError {
    NodeError::invalid_params(&pointer, message)
}

/// The node type behind `http` tools.
const HTTP_NODE: &str = "http.request@1";

/// Reads the `tools` param as written (it is never rendered as a whole: its templates belong
/// to each call). Errors name the tool by JSON pointer.
pub fn parse_tools(ctx: &StepContext, raw: &Value) -> Result<Vec<Tool>, NodeError> {
    let items = match raw {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        _ => return Err(bad("/params/tools".into(), "must be a list of tools")),
    };
    let mut tools: Vec<Tool> = Vec::with_capacity(items.len());
    for (i, t) in items.iter().enumerate() {
        let at = |k: &str| format!("/params/tools/{i}{k}");
        let Value::Object(m) = t else {
            return Err(bad(at(""), "must be an object"));
        };
        let name = m.get("name").and_then(Value::as_str).unwrap_or("");
        if name.is_empty()
            || name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(bad(
                at("/name"),
                "must be 1 to 64 letters, digits, `_` or `-`",
            ));
        }
        if tools.iter().any(|x| x.spec.name == name) {
            return Err(bad(
                at("/name"),
                format!("a tool named {name:?} comes twice"),
            ));
        }
        let description = m
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let parameters = match m.get("parameters") {
            None => json!({ "type": "object" }),
            Some(p @ Value::Object(_)) => {
                if let Err(e) = jsonschema::validator_for(p) {
                    return Err(bad(
                        at("/parameters"),
                        format!("is not a valid JSON Schema: {e}"),
                    ));
                }
                p.clone()
            }
            Some(_) => return Err(bad(at("/parameters"), "must be a JSON Schema object")),
        };
        let kinds: Vec<&str> = ["node", "workflow", "workflowVersion", "http"]
            .into_iter()
            .filter(|k| m.contains_key(*k))
            .collect();
        if kinds.len() != 1 {
            return Err(bad(
                at(""),
                "needs exactly one of `node`, `workflow`, `workflowVersion` and `http`",
            ));
        }
        let target = match kinds[0] {
            "node" => {
                let node = m
                    .get("node")
                    .and_then(Value::as_object)
                    .ok_or_else(|| bad(at("/node"), "must be an object {type, params}"))?;
                let type_name = node.get("type").and_then(Value::as_str).unwrap_or("");
                let params = match node.get("params") {
                    None => Map::new(),
                    Some(Value::Object(p)) => p.clone(),
                    Some(_) => return Err(bad(at("/node/params"), "must be an object")),
                };
                node_target(ctx, type_name, params, &at("/node"))?
            }
            "http" => {
                let http = m
                    .get("http")
                    .and_then(Value::as_object)
                    .ok_or_else(|| bad(at("/http"), "must be an object {method, url, …}"))?;
                node_target(ctx, HTTP_NODE, http_params(http), &at("/http"))?
            }
            "workflow" => match m.get("workflow") {
                Some(doc @ Value::Object(_)) => {
                    Target::Workflow(WorkflowSource::Inline(doc.clone()))
                }
                _ => return Err(bad(at("/workflow"), "must be an inline weft/v1 document")),
            },
            _ => match m.get("workflowVersion").and_then(Value::as_str) {
                Some(v) if !v.trim().is_empty() => {
                    Target::Workflow(WorkflowSource::Version(v.to_owned()))
                }
                _ => return Err(bad(at("/workflowVersion"), "must be a workflow version id")),
            },
        };
        tools.push(Tool {
            spec: ToolSpec {
                name: name.to_owned(),
                description,
                parameters,
            },
            target,
        });
    }
    Ok(tools)
}

/// The `http.request@1` params of an `http` tool: the arguments go in the body (POST, PUT,
/// PATCH) or the query (a GET whose url takes nothing from them) unless given explicitly.
fn http_params(http: &Map<String, Value>) -> Map<String, Value> {
    let mut p = http.clone();
    let method = p
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or("GET")
        .to_ascii_uppercase();
    p.insert("method".into(), json!(method));
    let url_uses_args = p
        .get("url")
        .and_then(Value::as_str)
        .is_some_and(weft_expr::contains_expression);
    match method.as_str() {
        "POST" | "PUT" | "PATCH" if !p.contains_key("body") => {
            p.insert("body".into(), json!("{{ $json }}"));
        }
        "GET" if !p.contains_key("query") && !url_uses_args => {
            p.insert("query".into(), json!("{{ $json }}"));
        }
        _ => {}
    }
    p
}

fn node_target(
    ctx: &StepContext,
    type_name: &str,
    params: Map<String, Value>,
    at: &str,
) -> Result<Target, NodeError> {
    let type_ref: NodeTypeRef = type_name.parse().map_err(|e| {
        bad(
            format!("{at}/type"),
            format!("{type_name:?} is not a node type reference (name@version): {e}"),
        )
    })?;
    let node_type = ctx.node_type(&type_ref).ok_or_else(|| {
        bad(
            format!("{at}/type"),
            format!("there is no node type {type_ref} here"),
        )
    })?;
    let raw = weft_model::catalog::raw_param_keys(&node_type.info().params_schema);
    let value = Value::Object(params.clone());
    let compiled = CompiledValue::compile_except(&value, &raw).map_err(|(pointer, e)| {
        bad(
            format!("{at}/params{pointer}"),
            format!("malformed expression: {e}"),
        )
    })?;
    if let Err(e) = node_type.ports(&params) {
        return Err(bad(format!("{at}/params"), e));
    }
    Ok(Target::Node {
        node_type,
        params: Arc::new(params),
        compiled: Arc::new(compiled),
    })
}

impl Tool {
    /// Runs one call: `slot` is unique within the step (it names the call's nested step and
    /// child run). Returns what the tool produced, as JSON.
    pub async fn call(
        &self,
        ctx: &StepContext,
        slot: &str,
        call: &ToolCall,
    ) -> Result<Value, NodeError> {
        match &self.target {
            Target::Node {
                node_type,
                params,
                compiled,
            } => {
                let nested = ctx.nested(
                    format!("{}/{slot}", ctx.node_id),
                    format!("{}/{slot}", ctx.idempotency_key),
                    params.clone(),
                    compiled.clone(),
                );
                let result = node_type
                    .execute(&nested, NodeInput::main(vec![call.arguments.clone()]))
                    .await;
                ctx.absorb(&nested);
                match result? {
                    StepResult::Done(out) => {
                        let is_http = node_type.info().type_ref.to_string() == HTTP_NODE;
                        Ok(result_value(out.ports, is_http))
                    }
                    StepResult::Sleep { .. } | StepResult::Await { .. } => {
                        Err(NodeError::permanent(
                            "agent.tool_waits",
                            format!(
                                "tool {:?} ({}) wants to wait (a timer or an approval); a tool must finish while the agent runs",
                                self.spec.name,
                                node_type.info().type_ref
                            ),
                        ))
                    }
                }
            }
            Target::Workflow(source) => {
                let outcome = ctx
                    .services()
                    .run_child(
                        ctx,
                        ChildRequest {
                            key: slot.to_owned(),
                            workflow: source.clone(),
                            input: vec![call.arguments.clone()],
                        },
                    )
                    .await?;
                match outcome.error {
                    Some(error) => Err(NodeError::permanent(
                        "agent.tool_failed",
                        format!(
                            "workflow tool {:?} failed (run {}): {}",
                            self.spec.name,
                            outcome.run_id,
                            weft_nodes::common::child_error_message(&error)
                        ),
                    )
                    .with_details(json!({ "runId": outcome.run_id, "error": error }))),
                    None => Ok(match outcome.output.len() {
                        1 => outcome.output.into_iter().next().unwrap_or(Value::Null),
                        _ => Value::Array(outcome.output),
                    }),
                }
            }
        }
    }
}

/// A node's output as a tool result: the single `main` item, or the `main` items, or every
/// port by name. For HTTP, the response body (with the status when it is not 2xx).
fn result_value(ports: Vec<(String, Vec<Value>)>, http: bool) -> Value {
    let mut ports = ports;
    if ports.len() == 1 && ports[0].0 == "main" {
        let mut items = std::mem::take(&mut ports[0].1);
        if http {
            items = items
                .into_iter()
                .map(|i| {
                    let ok = i["status"]
                        .as_u64()
                        .is_some_and(|s| (200..300).contains(&s));
                    if ok {
                        i.get("body").cloned().unwrap_or(Value::Null)
                    } else {
                        json!({ "status": i["status"], "body": i["body"] })
                    }
                })
                .collect();
        }
        return match items.len() {
            1 => items.into_iter().next().unwrap_or(Value::Null),
            _ => Value::Array(items),
        };
    }
    Value::Object(
        ports
            .into_iter()
            .map(|(p, items)| (p, Value::Array(items)))
            .collect(),
    )
}

/// A tool result as text for the model, cut to `max` characters.
pub fn result_text(v: &Value, max: usize) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max).collect();
    format!(
        "{cut}… (cut: the result had {} characters)",
        text.chars().count()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_tools_put_arguments_in_the_body_or_the_query() {
        let p = |v: Value| http_params(v.as_object().unwrap());
        let post = p(json!({"method": "post", "url": "http://x/y"}));
        assert_eq!(post["method"], "POST");
        assert_eq!(post["body"], "{{ $json }}");
        let get = p(json!({"url": "http://x/search"}));
        assert_eq!(get["query"], "{{ $json }}");
        let templated = p(json!({"url": "http://x/orders/{{ $json.id }}"}));
        assert!(templated.get("query").is_none());
        let explicit = p(json!({"method": "PUT", "url": "http://x", "body": {"a": 1}}));
        assert_eq!(explicit["body"], json!({"a": 1}));
    }

    #[test]
    fn results_are_the_useful_part_and_cut_when_long() {
        let one = result_value(vec![("main".into(), vec![json!({"a": 1})])], false);
        assert_eq!(one, json!({"a": 1}));
        let many = result_value(vec![("main".into(), vec![json!(1), json!(2)])], false);
        assert_eq!(many, json!([1, 2]));
        let routed = result_value(
            vec![("true".into(), vec![json!(1)]), ("false".into(), vec![])],
            false,
        );
        assert_eq!(routed, json!({"true": [1], "false": []}));
        let http = result_value(
            vec![(
                "main".into(),
                vec![json!({"status": 200, "headers": {}, "body": {"ok": true}})],
            )],
            true,
        );
        assert_eq!(http, json!({"ok": true}));
        let http_err = result_value(
            vec![(
                "main".into(),
                vec![json!({"status": 404, "headers": {}, "body": "nope"})],
            )],
            true,
        );
        assert_eq!(http_err, json!({"status": 404, "body": "nope"}));
        assert_eq!(result_text(&json!("abc"), 10), "abc");
        let long = result_text(&json!("x".repeat(50)), 10);
        assert!(
            long.starts_with("xxxxxxxxxx…") && long.contains("50 characters"),
            "{long}"
        );
    }
}
