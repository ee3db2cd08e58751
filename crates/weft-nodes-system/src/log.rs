//! `util.log@1`: the Logger. Writes a message to the step log and the server log and passes
//! its items through.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use weft_node_api::{
    LogLevel, NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, Purity, ResolvedPorts,
    StepContext, StepResult,
};
use weft_nodes::common::{main_in_main_out, node_info, object_schema};

/// Default `maxItemLength`: how much of an item's JSON is appended to the message.
pub const DEFAULT_MAX_ITEM_LENGTH: usize = 1000;
/// Largest `maxItemLength` accepted.
pub const MAX_MAX_ITEM_LENGTH: usize = 100_000;

/// `util.log@1`: per item (or once per step) renders `message` and writes it at `level` to the
/// step's log ([`StepContext::log`]) and to the server's log (`tracing`, target `weft::workflow`,
/// fields `run_id` and `node_id`). Emits its input items unchanged.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogNode;

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Level {
    Debug,
    #[default]
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Mode {
    #[default]
    PerItem,
    Once,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LogParams {
    message: Value,
    #[serde(default)]
    level: Level,
    #[serde(default)]
    mode: Mode,
    #[serde(default)]
    include_item: bool,
    #[serde(default = "default_max_item_length")]
    max_item_length: usize,
}

fn default_max_item_length() -> usize {
    DEFAULT_MAX_ITEM_LENGTH
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({
            "message": "order {{ $json.id }} total {{ $json.total }}",
            "level": "info",
            "mode": "perItem",
            "includeItem": true,
            "maxItemLength": 200,
        });
        let once = json!({ "message": "received {{ $input.all().length }} orders", "level": "debug", "mode": "once" });
        let schema = object_schema(
            "util.log params",
            json!({
                "message": {
                    "description": "The text to log; {{ }} expressions see the item as $json (in mode once: the first item). A value that is not a string is logged as its JSON text.",
                },
                "level": {
                    "type": "string",
                    "enum": ["debug", "info", "warn", "error"],
                    "default": "info",
                    "description": "Severity in the step log and in the server log.",
                },
                "mode": {
                    "type": "string",
                    "enum": ["perItem", "once"],
                    "default": "perItem",
                    "description": "perItem: one line per input item (none when there are no items); once: one line per step.",
                },
                "includeItem": {
                    "type": "boolean",
                    "default": false,
                    "description": "Append the item's JSON to the message (in mode once: the first item), cut at maxItemLength bytes.",
                },
                "maxItemLength": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": MAX_MAX_ITEM_LENGTH,
                    "default": DEFAULT_MAX_ITEM_LENGTH,
                    "description": "Most bytes of item JSON appended by includeItem; longer JSON is cut and marked.",
                },
            }),
            &["message"],
            vec![example.clone(), once],
        );
        node_info(
            "util.log",
            "Logger",
            "Utilities",
            &format!(
                "Writes a message at a level (debug, info, warn, error) to the step log and the \
                 server log (with run_id and node_id), per item or once per step, optionally with \
                 the item's JSON; items pass through unchanged. Example params: {example}"
            ),
            Purity::Pure,
            schema,
        )
    })
}

/// `s` cut to at most `max` bytes on a character boundary, marked when cut.
fn truncate(s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes, truncated)", &s[..end], s.len())
}

fn emit(ctx: &StepContext, level: Level, text: String) {
    let (run_id, node_id) = (ctx.run_id.as_str(), ctx.node_id.as_str());
    // `tracing` needs the level at compile time.
    let step_level = match level {
        Level::Debug => {
            tracing::debug!(target: "weft::workflow", run_id, node_id, "{text}");
            LogLevel::Debug
        }
        Level::Info => {
            tracing::info!(target: "weft::workflow", run_id, node_id, "{text}");
            LogLevel::Info
        }
        Level::Warn => {
            tracing::warn!(target: "weft::workflow", run_id, node_id, "{text}");
            LogLevel::Warn
        }
        Level::Error => {
            tracing::error!(target: "weft::workflow", run_id, node_id, "{text}");
            LogLevel::Error
        }
    };
    ctx.log(step_level, text);
}

fn line(p: LogParams, item: Option<&Value>) -> Result<(Level, String), NodeError> {
    if p.max_item_length > MAX_MAX_ITEM_LENGTH {
        return Err(NodeError::invalid_params(
            "/params/maxItemLength",
            format!("must be at most {MAX_MAX_ITEM_LENGTH}"),
        ));
    }
    let mut text = match p.message {
        Value::String(s) => s,
        other => other.to_string(),
    };
    if p.include_item {
        let json = item.map_or_else(|| "null".to_string(), Value::to_string);
        text.push(' ');
        text.push_str(&truncate(json, p.max_item_length));
    }
    Ok((p.level, text))
}

#[async_trait]
impl NodeType for LogNode {
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
        let items = input.take("main");
        // The mode is normally written literally; only an expression needs rendering (with the
        // first item), so a per-item logger with no items renders nothing and cannot fail.
        let once = match ctx.params.get("mode") {
            None => false,
            Some(Value::String(s)) if s == "perItem" => false,
            Some(Value::String(s)) if s == "once" => true,
            Some(_) => matches!(ctx.params_for::<LogParams>(&items, 0)?.mode, Mode::Once),
        };
        // Render every line before writing any, so a failing expression logs nothing.
        let lines = if once {
            vec![line(ctx.params_for(&items, 0)?, items.first())?]
        } else {
            items
                .iter()
                .enumerate()
                .map(|(i, item)| line(ctx.params_for(&items, i)?, Some(item)))
                .collect::<Result<Vec<_>, _>>()?
        };
        for (level, text) in lines {
            emit(ctx, level, text);
        }
        Ok(StepResult::Done(NodeOutput::main(items)))
    }
}
