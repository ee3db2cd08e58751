//! `code.js@1`: the Code node. User JavaScript, once for all items or once per item, in the
//! QuickJS sandbox of `weft-js`.

use crate::common::{cancelled, main_in_main_out, node_info, object_schema};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use weft_model::Millis;
use weft_node_api::{
    LogLevel, NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, Purity, ResolvedPorts,
    StepContext, StepResult, deserialize_params,
};

/// `code.js@1`: runs JavaScript that returns items.
#[derive(Debug, Clone, Copy, Default)]
pub struct CodeNode;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CodeParams {
    code: String,
    #[serde(default)]
    mode: Mode,
    #[serde(default = "default_timeout")]
    timeout: Millis,
    #[serde(default = "default_memory")]
    memory_mb: u32,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Mode {
    #[default]
    AllItems,
    EachItem,
}

fn default_timeout() -> Millis {
    Millis(5_000)
}
fn default_memory() -> u32 {
    64
}

/// Largest memory limit a node may ask for.
const MAX_MEMORY_MB: u32 = 1024;

/// Builds the n8n-style helpers from the plain data the host passes in.
const SETUP: &str = r#"
(() => {
  const all = globalThis.__items;
  const index = globalThis.__index;
  delete globalThis.__items;
  delete globalThis.__index;
  const wrap = (json) => ({ json });
  globalThis.$input = Object.freeze({
    all: () => all.map(wrap),
    first: () => (all.length ? wrap(all[0]) : undefined),
    last: () => (all.length ? wrap(all[all.length - 1]) : undefined),
    item: index === null ? undefined : wrap(all[index]),
  });
  globalThis.items = all.map(wrap);
  if (index !== null) { globalThis.$json = all[index]; globalThis.$itemIndex = index; }
})();
"#;

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({
            "mode": "allItems",
            "code": "return $input.all().map(({ json }) => ({ ...json, total: json.price * json.qty }));",
        });
        let schema = object_schema(
            "code.js params",
            json!({
                "code": {
                    "type": "string",
                    "minLength": 1,
                    "description": "JavaScript, the body of a function: `return` the output. allItems: return an array of items (objects, or n8n-style {json} wrappers). eachItem: return one object (or an array, or null to drop the item). Sees $input.all(), $input.first(), $input.last(), items, $vars, $run, and in eachItem mode $json, $input.item and $itemIndex. console.log goes to the step's log. No I/O, timers or modules; code runs synchronously.",
                    "x-weft-editor": "javascript",
                    "x-weft-raw": true,
                },
                "mode": {
                    "type": "string",
                    "enum": ["allItems", "eachItem"],
                    "description": "Run once for all items, or once per item.",
                    "default": "allItems",
                },
                "timeout": {
                    "type": ["string", "integer"],
                    "description": "Time allowed per run of the code, e.g. \"5s\" (default) or milliseconds.",
                    "default": "5s",
                },
                "memoryMb": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_MEMORY_MB,
                    "description": "Heap limit of the sandbox in MB.",
                    "default": 64,
                },
            }),
            &["code"],
            vec![example.clone(), json!({ "mode": "eachItem", "code": "return { ...$json, seen: true };" })],
        );
        node_info(
            "code.js",
            "Code",
            "Data",
            &format!(
                "Runs JavaScript in a sandbox (QuickJS: no file system, network, process or timers; \
                 memory and time caps; a fresh engine per run). Example params: {example}"
            ),
            Purity::Pure,
            schema,
        )
    })
}

/// Turns what the code returned into items.
fn to_items(value: Value, mode: Mode, at: &str) -> Result<Vec<Value>, NodeError> {
    let unwrap = |v: Value| -> Value {
        match v {
            Value::Object(mut m)
                if m.get("json").is_some_and(Value::is_object)
                    && m.keys()
                        .all(|k| k == "json" || k == "binary" || k == "pairedItem") =>
            {
                m.remove("json").unwrap_or(Value::Null)
            }
            other => other,
        }
    };
    let list = match value {
        Value::Array(a) => a,
        Value::Null if mode == Mode::EachItem => return Ok(Vec::new()),
        Value::Object(_) => vec![value],
        other => {
            return Err(NodeError::permanent(
                "code.bad_return",
                format!(
                    "the code {at}returned {}, but it must return {}",
                    crate::common::json_kind(&other),
                    if mode == Mode::AllItems {
                        "an array of items (objects)"
                    } else {
                        "an object, an array of objects, or null"
                    }
                ),
            ));
        }
    };
    list.into_iter()
        .enumerate()
        .map(|(i, v)| match unwrap(v) {
            v @ Value::Object(_) => Ok(v),
            other => Err(NodeError::permanent(
                "code.bad_return",
                format!(
                    "the code {at}returned {} at index {i}; every item must be an object",
                    crate::common::json_kind(&other)
                ),
            )),
        })
        .collect()
}

fn js_error(e: weft_js::JsError, node: &str, at: &str) -> NodeError {
    use weft_js::JsError as J;
    let code = match &e {
        J::Syntax { .. } => "code.syntax",
        J::Thrown { .. } => "code.error",
        J::Timeout(_) => "code.timeout",
        J::Cancelled => "cancelled",
        J::OutOfMemory(_) => "code.memory",
        J::OutputTooLarge { .. } => "code.output_too_large",
        J::NotJson(_) => "code.bad_return",
        J::Engine(_) => "code.engine",
    };
    let line = match &e {
        J::Syntax { line, .. } => Some(*line),
        J::Thrown { line, .. } => *line,
        _ => None,
    };
    NodeError::permanent(code, format!("node {node}: {at}{e}"))
        .with_details(json!({ "line": line }))
}

#[async_trait]
impl NodeType for CodeNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, _params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        Ok(main_in_main_out())
    }

    async fn execute(&self, ctx: &StepContext, input: NodeInput) -> Result<StepResult, NodeError> {
        // The code is taken as written: it is JavaScript, not a {{ }} template.
        let p: CodeParams = deserialize_params(Value::Object((*ctx.params).clone()))?;
        if p.memory_mb == 0 || p.memory_mb > MAX_MEMORY_MB {
            return Err(NodeError::invalid_params(
                "/params/memoryMb",
                format!("must be between 1 and {MAX_MEMORY_MB}"),
            ));
        }
        let limits = weft_js::Limits {
            memory_bytes: p.memory_mb as usize * 1024 * 1024,
            time: Duration::from_millis(p.timeout.0.max(1)),
            ..weft_js::Limits::default()
        };
        let items: Vec<Value> = input.main_items().to_vec();
        let env = ctx.expr_env();
        let mut base = Map::new();
        base.insert("$vars".into(), Value::Object(env.vars().clone()));
        base.insert("$run".into(), env.run_info().clone());
        base.insert("__items".into(), Value::Array(items.clone()));

        let cancel = Arc::new(AtomicBool::new(false));
        let watcher = {
            let (flag, token) = (cancel.clone(), ctx.cancel.clone());
            tokio::spawn(async move {
                token.cancelled().await;
                flag.store(true, Ordering::Relaxed);
            })
        };
        let runs: Vec<Option<usize>> = match p.mode {
            Mode::AllItems => vec![None],
            Mode::EachItem => (0..items.len()).map(Some).collect(),
        };
        let mut out = Vec::new();
        let mut result = Ok(());
        for index in runs {
            let mut globals = base.clone();
            globals.insert("__index".into(), index.map_or(Value::Null, Value::from));
            let (code, c) = (p.code.clone(), cancel.clone());
            let outcome = tokio::task::spawn_blocking(move || {
                weft_js::run(&code, &globals, SETUP, &limits, &c)
            })
            .await
            .map_err(|e| NodeError::permanent("code.engine", format!("the sandbox failed: {e}")));
            let at = index.map(|i| format!("for item {i} ")).unwrap_or_default();
            match outcome.and_then(|r| r.map_err(|e| js_error(e, &ctx.node_id, &at))) {
                Ok(o) => {
                    for line in o.logs {
                        let level = match line.level.as_str() {
                            "error" => LogLevel::Error,
                            "warn" => LogLevel::Warn,
                            "debug" => LogLevel::Debug,
                            _ => LogLevel::Info,
                        };
                        ctx.log(level, line.text);
                    }
                    if o.dropped_log_lines > 0 {
                        ctx.log(
                            LogLevel::Warn,
                            format!("{} more console lines were dropped", o.dropped_log_lines),
                        );
                    }
                    match to_items(o.value, p.mode, &at) {
                        Ok(mut items) => out.append(&mut items),
                        Err(e) => {
                            result = Err(e);
                            break;
                        }
                    }
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        watcher.abort();
        if ctx.cancel.is_cancelled() {
            return Err(cancelled());
        }
        result?;
        Ok(StepResult::Done(NodeOutput::main(out)))
    }
}
