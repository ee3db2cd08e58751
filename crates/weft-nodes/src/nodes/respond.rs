//! `core.respond@1`: the HTTP response a webhook-triggered run sends back.

use crate::common::{any_port, node_info, object_schema};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use weft_model::{PortSpec, PortType};
use weft_node_api::{
    NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, Purity, ResolvedPorts, StepContext,
    StepResult,
};

/// The output port that carries the response: one item `{status, headers, body}`. The webhook
/// endpoint of `weft serve` answers with the first one a run produces.
pub const RESPONSE_PORT: &str = "response";

/// `core.respond@1` ("Respond to webhook"): builds the response of a webhook call from its
/// params (rendered with the first input item) and passes its input through.
#[derive(Debug, Clone, Copy, Default)]
pub struct RespondNode;

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
enum RespondWith {
    /// The first input item as JSON.
    #[default]
    FirstItem,
    /// Every input item, as a JSON array.
    AllItems,
    /// The `body` param as JSON.
    Json,
    /// The `body` param as text.
    Text,
    /// An empty body.
    NoData,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RespondParams {
    #[serde(default)]
    respond_with: RespondWith,
    #[serde(default = "default_status")]
    status: u16,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: Option<Value>,
}

fn default_status() -> u16 {
    200
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({
            "respondWith": "json",
            "status": 201,
            "headers": { "Location": "/orders/{{ $json.id }}" },
            "body": { "id": "{{ $json.id }}", "accepted": true },
        });
        let schema = object_schema(
            "core.respond params",
            json!({
                "respondWith": {
                    "type": "string",
                    "enum": ["firstItem", "allItems", "json", "text", "noData"],
                    "default": "firstItem",
                    "description": "What the body is: the first input item, all input items, the `body` param as JSON or as text, or nothing.",
                },
                "status": {
                    "type": "integer",
                    "minimum": 100,
                    "maximum": 599,
                    "default": 200,
                    "description": "The HTTP status code.",
                },
                "headers": {
                    "type": "object",
                    "additionalProperties": { "type": "string" },
                    "description": "Response headers (values may hold {{ }} expressions).",
                },
                "body": {
                    "description": "The body for `json` (any JSON) or `text` (a string).",
                },
            }),
            &[],
            vec![example.clone(), json!({ "respondWith": "allItems" })],
        );
        node_info(
            "core.respond",
            "Respond to webhook",
            "Flow",
            &format!(
                "Sets the HTTP response of the webhook call that started the run, when the \
                 workflow's webhook trigger responds from a node: status, headers and a body \
                 made of the first input item, all items, or the `body` param (JSON or text). \
                 Params are rendered with the first input item. The input items pass through on \
                 `main`; the response is the one item on `response`. Example params: {example}"
            ),
            Purity::Pure,
            schema,
        )
    })
}

#[async_trait]
impl NodeType for RespondNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, _params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        Ok(ResolvedPorts {
            inputs: vec![any_port("main")],
            outputs: vec![
                any_port("main"),
                PortSpec::new(RESPONSE_PORT, PortType::Object),
            ],
        })
    }

    async fn execute(
        &self,
        ctx: &StepContext,
        mut input: NodeInput,
    ) -> Result<StepResult, NodeError> {
        let items = input.take("main");
        let p: RespondParams = ctx.params_for(&items, 0)?;
        if !(100..=599).contains(&p.status) {
            return Err(NodeError::permanent(
                "params.invalid",
                format!(
                    "/params/status: {} is not an HTTP status code (100–599)",
                    p.status
                ),
            ));
        }
        let mut headers = p.headers;
        let body = match p.respond_with {
            RespondWith::FirstItem => items.first().cloned().unwrap_or(Value::Null),
            RespondWith::AllItems => Value::Array(items.clone()),
            RespondWith::Json => p.body.unwrap_or(Value::Null),
            RespondWith::Text => {
                let text = match p.body {
                    Some(Value::String(s)) => s,
                    Some(Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                };
                if !headers
                    .keys()
                    .any(|k| k.eq_ignore_ascii_case("content-type"))
                {
                    headers.insert("content-type".into(), "text/plain; charset=utf-8".into());
                }
                Value::String(text)
            }
            RespondWith::NoData => Value::Null,
        };
        if matches!(
            p.respond_with,
            RespondWith::FirstItem | RespondWith::AllItems | RespondWith::Json
        ) && !headers
            .keys()
            .any(|k| k.eq_ignore_ascii_case("content-type"))
        {
            headers.insert("content-type".into(), "application/json".into());
        }
        let response = json!({
            "status": p.status,
            "headers": headers,
            "body": body,
            "empty": p.respond_with == RespondWith::NoData,
        });
        let mut out = NodeOutput::main(items);
        out.push(RESPONSE_PORT, response);
        Ok(StepResult::Done(out))
    }
}
