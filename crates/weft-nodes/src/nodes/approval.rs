//! `core.approval@1`: waits for a person to approve or reject.

use crate::common::{any_port, node_info, object_schema};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use weft_model::Millis;
use weft_node_api::{
    NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, Purity, ResolvedPorts, StepContext,
    StepResult,
};

/// `core.approval@1`: the branch waits, durably and holding nothing, until someone approves or
/// rejects it through the API (`POST /api/v1/runs/{id}/steps/{node}/approve` or `/reject`), or
/// its time limit passes. Its items leave through `approved` or `rejected`, each with an
/// `approval` field: `{decision, by, comment, decidedAt}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApprovalNode;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ApprovalParams {
    message: String,
    #[serde(default)]
    details: Option<Value>,
    #[serde(default)]
    timeout: Option<Millis>,
    #[serde(default)]
    on_timeout: OnTimeout,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
enum OnTimeout {
    #[default]
    Reject,
    Approve,
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({
            "message": "Refund {{ $json.amount }} EUR to {{ $json.customer }}?",
            "timeout": "2d",
            "onTimeout": "reject"
        });
        let schema = object_schema(
            "core.approval params",
            json!({
                "message": {
                    "type": "string",
                    "minLength": 1,
                    "description": "What the approver is asked (may use expressions over the first item).",
                },
                "details": {
                    "description": "Anything else to show the approver, e.g. \"{{ $json }}\".",
                },
                "timeout": {
                    "type": ["string", "number"],
                    "minimum": 0,
                    "description": "How long to wait for a decision, e.g. \"2d\" or \"4h\"; without it the step waits until someone decides.",
                },
                "onTimeout": {
                    "enum": ["reject", "approve"],
                    "default": "reject",
                    "description": "What the time limit decides.",
                },
            }),
            &["message"],
            vec![example.clone(), json!({ "message": "Publish the post?" })],
        );
        node_info(
            "core.approval",
            "Wait for approval",
            "Flow",
            &format!(
                "Pauses the branch until a person approves or rejects it (API: POST \
                 /api/v1/runs/{{id}}/steps/{{node}}/approve or /reject, with an optional comment), \
                 or its time limit passes. The input items leave through `approved` or \
                 `rejected`, each with an `approval` field {{decision, by, comment, decidedAt}}. \
                 The wait is durable: it survives restarts and holds no resources. Example \
                 params: {example}"
            ),
            Purity::Effectful,
            schema,
        )
    })
}

#[async_trait]
impl NodeType for ApprovalNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, _params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        Ok(ResolvedPorts {
            inputs: vec![any_port("main")],
            outputs: vec![
                any_port("approved").describe("The items, once approved."),
                any_port("rejected").describe("The items, once rejected (or timed out)."),
            ],
        })
    }

    async fn execute(
        &self,
        ctx: &StepContext,
        mut input: NodeInput,
    ) -> Result<StepResult, NodeError> {
        let p: ApprovalParams = ctx.params_for(input.main_items(), 0)?;
        if p.message.trim().is_empty() {
            return Err(NodeError::invalid_params(
                "/params/message",
                "say what the approver is asked",
            ));
        }
        let until = p
            .timeout
            .map(|d| {
                i64::try_from(d.0)
                    .ok()
                    .and_then(|ms| ctx.now_ms.checked_add(ms))
                    .and_then(DateTime::<Utc>::from_timestamp_millis)
                    .ok_or_else(|| {
                        NodeError::invalid_params("/params/timeout", format!("{d} is too long"))
                    })
            })
            .transpose()?;
        let items = input.take("main");
        let (port, decision) = match p.on_timeout {
            OnTimeout::Reject => ("rejected", "rejected"),
            OnTimeout::Approve => ("approved", "approved"),
        };
        let timed_out = json!({
            "decision": decision,
            "by": "timeout",
            "comment": Value::Null,
            "decidedAt": until.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        });
        let on_timeout = items
            .iter()
            .map(|item| {
                let mut item = match item {
                    Value::Object(_) => item.clone(),
                    other => json!({ "value": other }),
                };
                if let Value::Object(map) = &mut item {
                    map.insert("approval".into(), timed_out.clone());
                }
                item
            })
            .collect();
        let mut request = json!({ "message": p.message, "items": items.len() });
        if let Some(details) = p.details {
            request["details"] = details;
        }
        Ok(StepResult::Await {
            until,
            on_timeout: NodeOutput::port(port, on_timeout),
            request,
            items,
        })
    }
}
