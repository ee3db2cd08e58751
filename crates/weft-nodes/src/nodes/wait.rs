//! `core.wait@1`: a durable timer.

use crate::common::{main_in_main_out, node_info, object_schema, with_keyword};
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

/// `core.wait@1`: completes after a duration or at a time, passing its `main` items through.
/// The engine keeps the timer durably; nothing is held in memory meanwhile.
#[derive(Debug, Clone, Copy, Default)]
pub struct WaitNode;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WaitParams {
    #[serde(default)]
    duration: Option<Millis>,
    #[serde(default)]
    until: Option<String>,
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({ "duration": "1h 30m" });
        let schema = object_schema(
            "core.wait params",
            json!({
                "duration": {
                    "type": ["string", "number"],
                    "minimum": 0,
                    "description": "How long to wait: a string such as \"5s\", \"10m\" or \"1h 30m\", or a number of milliseconds.",
                },
                "until": {
                    "type": "string",
                    "format": "date-time",
                    "description": "When to continue: an RFC 3339 timestamp such as \"2030-01-01T09:00:00Z\" (may be an expression). A time in the past continues at once.",
                },
            }),
            &[],
            vec![example.clone(), json!({ "duration": 5000 }), json!({ "until": "2030-01-01T09:00:00Z" })],
        );
        let schema = with_keyword(
            schema,
            "oneOf",
            json!([{ "required": ["duration"] }, { "required": ["until"] }]),
        );
        node_info(
            "core.wait",
            "Wait",
            "Flow",
            &format!(
                "Pauses the branch for a duration or until a time, then passes its input items through. \
                 The timer is durable: it survives restarts and holds no resources. Example params: {example}"
            ),
            Purity::Effectful,
            schema,
        )
    })
}

#[async_trait]
impl NodeType for WaitNode {
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
        let p: WaitParams = ctx.params_for(input.main_items(), 0)?;
        let until = match (p.duration, p.until) {
            (Some(d), None) => i64::try_from(d.0)
                .ok()
                .and_then(|ms| ctx.now_ms.checked_add(ms))
                .and_then(DateTime::<Utc>::from_timestamp_millis)
                .ok_or_else(|| NodeError::invalid_params("/params/duration", format!("{d} is too long")))?,
            (None, Some(at)) => DateTime::parse_from_rfc3339(at.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| {
                    NodeError::invalid_params(
                        "/params/until",
                        format!("{at:?} is not an RFC 3339 timestamp such as \"2030-01-01T09:00:00Z\": {e}"),
                    )
                })?,
            (Some(_), Some(_)) => {
                return Err(NodeError::invalid_params("/params", "set only one of `duration` and `until`"));
            }
            (None, None) => return Err(NodeError::invalid_params("/params", "set one of `duration` or `until`")),
        };
        Ok(StepResult::Sleep {
            until,
            output: NodeOutput::main(input.take("main")),
        })
    }
}
