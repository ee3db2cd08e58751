//! `ai.agent@1` params: what the user writes, its JSON Schema and documentation.

use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::OnceLock;
use weft_model::{Millis, NodeTypeInfo, Purity};
use weft_nodes::common::{node_info, object_schema};

/// Which API a model is reached through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ProviderKind {
    /// OpenAI-compatible chat completions.
    Openai,
    /// Anthropic messages.
    Anthropic,
}

/// How tools are offered to the model and how it calls them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ToolMode {
    /// Native tools; calls written as JSON in the text are accepted too.
    #[default]
    Auto,
    /// Native tools only in the request (the tolerant parser still reads the text).
    Native,
    /// Tools described in the system prompt; the model answers with a JSON tool call.
    Json,
    /// Like `json`, and every turn is constrained by `response_format` to a valid tool call
    /// (or `finish`): the dependable route with small local models.
    Structured,
}

/// Where a model is served.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelParams {
    /// Model name.
    pub model: String,
    /// API kind; from the credential's kind when absent, else OpenAI.
    #[serde(default)]
    pub provider: Option<ProviderKind>,
    /// API root.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Credential id.
    #[serde(default)]
    pub credential: Option<String>,
}

/// Conversation memory.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemoryParams {
    /// The thread: one conversation per id in the organization.
    pub thread_id: String,
    /// Window or summary.
    #[serde(default)]
    pub policy: MemoryPolicy,
    /// Messages of history kept verbatim.
    #[serde(default = "default_window")]
    pub window: usize,
}

/// What happens to history beyond the window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MemoryPolicy {
    /// Only the last `window` messages are sent.
    #[default]
    Window,
    /// Older messages are summarized by the model; the summary is sent with the window.
    Summary,
}

fn default_window() -> usize {
    20
}

/// What to do when the iterations run out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OnMaxIterations {
    /// One last turn without tools, asking for the final answer.
    #[default]
    Answer,
    /// Fail the step (error port) with the transcript so far.
    Error,
}

/// What a tool's failure does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ToolErrors {
    /// The error becomes the tool's result: the model may try something else.
    #[default]
    Tell,
    /// The step fails.
    Fail,
}

/// Call-level retries.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RetryParams {
    /// Attempts per model call.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// First delay.
    #[serde(default = "default_initial")]
    pub initial_interval: Millis,
    /// Longest delay.
    #[serde(default = "default_max_interval")]
    pub max_interval: Millis,
}

fn default_attempts() -> u32 {
    3
}
fn default_initial() -> Millis {
    Millis(500)
}
fn default_max_interval() -> Millis {
    Millis(30_000)
}

impl Default for RetryParams {
    fn default() -> Self {
        RetryParams {
            max_attempts: default_attempts(),
            initial_interval: default_initial(),
            max_interval: default_max_interval(),
        }
    }
}

/// The rendered params of one item (`tools` stays as written: see [`super::tools`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Params {
    /// Model name.
    pub model: String,
    /// API kind.
    #[serde(default)]
    pub provider: Option<ProviderKind>,
    /// API root.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Credential id.
    #[serde(default)]
    pub credential: Option<String>,
    /// Models to try, in order, when the main one fails.
    #[serde(default)]
    pub fallback: Vec<ModelParams>,
    /// System prompt.
    #[serde(default)]
    pub system: Option<String>,
    /// The user message.
    pub message: String,
    /// Tools (read separately, unrendered).
    #[serde(default)]
    pub tools: Value,
    /// How tools are offered.
    #[serde(default)]
    pub tool_mode: ToolMode,
    /// `auto`, `required`, or a tool name forced on the first turn.
    #[serde(default)]
    pub tool_choice: Option<String>,
    /// Most model turns that may call tools.
    #[serde(default = "default_iterations")]
    pub max_iterations: u32,
    /// What happens after the last iteration.
    #[serde(default)]
    pub on_max_iterations: OnMaxIterations,
    /// Offer a `finish` tool that ends the loop with its `answer`.
    #[serde(default = "yes")]
    pub finish_tool: bool,
    /// Stop as soon as the model's text matches this regular expression.
    #[serde(default)]
    pub stop_pattern: Option<String>,
    /// JSON Schema of the final answer (structured output).
    #[serde(default)]
    pub output_schema: Option<Value>,
    /// Sampling temperature.
    #[serde(default)]
    pub temperature: Option<f64>,
    /// Sampling seed.
    #[serde(default)]
    pub seed: Option<i64>,
    /// Most tokens per answer.
    #[serde(default)]
    pub max_tokens: Option<u32>,
    /// Stop sequences.
    #[serde(default)]
    pub stop: Vec<String>,
    /// Conversation memory.
    #[serde(default)]
    pub memory: Option<MemoryParams>,
    /// Stream tokens into the run's live events.
    #[serde(default = "yes")]
    pub stream: bool,
    /// Time allowed per model call.
    #[serde(default = "default_timeout")]
    pub timeout: Millis,
    /// Retries per model call.
    #[serde(default)]
    pub retry: RetryParams,
    /// What a failing tool does.
    #[serde(default)]
    pub tool_errors: ToolErrors,
    /// Longest tool result passed to the model, in characters.
    #[serde(default = "default_result_chars")]
    pub max_tool_result_chars: usize,
    /// Response cache (opt-in).
    #[serde(default)]
    pub cache: Option<CacheParams>,
}

/// The response cache of a node: a model call whose provider, base URL, model, messages, tools
/// and sampling params match an earlier one within the TTL gets its answer without a call.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CacheParams {
    /// How long an answer is served, in seconds.
    pub ttl_seconds: u64,
}

fn yes() -> bool {
    true
}
fn default_iterations() -> u32 {
    8
}
fn default_timeout() -> Millis {
    Millis(120_000)
}
fn default_result_chars() -> usize {
    8000
}

/// The catalog entry of `ai.agent@1`.
pub fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({
            "provider": "openai",
            "baseUrl": "https://api.openai.com/v1",
            "model": "gpt-4o-mini",
            "credential": "cred-openai",
            "fallback": [{ "model": "claude-3-5-haiku-latest", "provider": "anthropic", "credential": "cred-anthropic" }],
            "system": "You are a support assistant. Use the tools to look things up.",
            "message": "{{ $json.question }}",
            "tools": [
                {
                    "name": "order_status",
                    "description": "The status of an order by its id.",
                    "parameters": { "type": "object", "properties": { "orderId": { "type": "string" } }, "required": ["orderId"] },
                    "http": { "method": "GET", "url": "https://shop.example.com/api/orders/{{ $json.orderId }}", "credential": "cred-shop" }
                },
                {
                    "name": "refund",
                    "description": "Starts a refund.",
                    "parameters": { "type": "object", "properties": { "orderId": { "type": "string" }, "amount": { "type": "number" } }, "required": ["orderId", "amount"] },
                    "workflowVersion": "wfv-refund"
                }
            ],
            "maxIterations": 6,
            "outputSchema": { "type": "object", "properties": { "reply": { "type": "string" }, "escalate": { "type": "boolean" } }, "required": ["reply", "escalate"] },
            "memory": { "threadId": "{{ $json.customerId }}", "policy": "summary", "window": 12 },
        });
        let model_props = json!({
            "model": { "type": "string", "minLength": 1, "description": "Model name at the provider." },
            "provider": { "enum": ["openai", "anthropic"], "description": "openai: any OpenAI-compatible chat-completions API (OpenAI, vLLM, llama.cpp, Ollama, Groq…); anthropic: the Anthropic messages API. Default: the credential's kind, else openai." },
            "baseUrl": { "type": "string", "pattern": "^[hH][tT][tT][pP][sS]?://", "description": "API root: …/v1 for OpenAI-compatible servers, https://api.anthropic.com for Anthropic. Default: the credential's baseUrl, else the provider's public API." },
            "credential": { "type": "string", "minLength": 1, "description": "Id of a credential of kind openai {apiKey, baseUrl?}, anthropic {apiKey, baseUrl?} or bearer {token}; optional for local servers." },
        });
        let mut props = model_props.as_object().cloned().unwrap_or_default();
        let extra = json!({
            "fallback": {
                "type": "array",
                "description": "Models tried in order when the main one fails (after its retries): a rate limit, an outage, a model that is gone.",
                "items": { "type": "object", "additionalProperties": false, "required": ["model"], "properties": model_props },
            },
            "system": { "type": "string", "description": "System prompt." },
            "message": { "type": "string", "description": "The user message, usually built with expressions ({{ $json.question }})." },
            "tools": {
                "type": "array",
                "x-weft-raw": true,
                "description": "Tools the model may call. Each has a name, a description, a JSON Schema of its arguments (`parameters`), and exactly one of: `node` (another node type run in-process: {type, params}), `workflow`/`workflowVersion` (a whole workflow run as a child run), `http` (an HTTP endpoint: {method, url, query, headers, body, credential}). In a tool's params, {{ $json }} is the call's arguments; the arguments are also the tool's one input item (a workflow's input).",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["name", "description"],
                    "properties": {
                        "name": { "type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$", "description": "Name the model calls it by." },
                        "description": { "type": "string", "description": "What it does, for the model." },
                        "parameters": { "type": "object", "description": "JSON Schema of its arguments (an object schema). Default: any object." },
                        "node": {
                            "type": "object", "additionalProperties": false, "required": ["type"],
                            "description": "Run a node type in-process.",
                            "properties": {
                                "type": { "type": "string", "description": "Node type, e.g. http.request@1 or code.js@1." },
                                "params": { "type": "object", "description": "Its params; {{ $json }} is the call's arguments." },
                            },
                        },
                        "workflow": { "type": "object", "description": "An inline weft/v1 workflow run as a child run with the arguments as its input item; its output items are the result." },
                        "workflowVersion": { "type": "string", "minLength": 1, "description": "A stored workflow version run as a child run." },
                        "http": {
                            "type": "object", "additionalProperties": false, "required": ["url"],
                            "description": "Call an HTTP endpoint (as http.request@1). Without `body`, POST/PUT/PATCH send the arguments as JSON; without `query`, a GET whose url has no {{ }} sends them as query parameters. The response body is the result.",
                            "properties": {
                                "method": { "enum": ["GET", "POST", "PUT", "PATCH", "DELETE"], "description": "HTTP method (default GET)." },
                                "url": { "type": "string", "description": "URL; may use {{ $json.arg }}." },
                                "query": { "type": "object", "description": "Query parameters." },
                                "headers": { "type": "object", "description": "Request headers." },
                                "body": { "description": "JSON body." },
                                "credential": { "type": "string", "description": "Credential id for authentication." },
                                "timeout": { "type": ["string", "integer"], "description": "Time allowed." },
                            },
                        },
                    },
                },
            },
            "toolMode": { "enum": ["auto", "native", "json", "structured"], "default": "auto", "description": "auto/native: tools sent natively (calls written as JSON in the text are accepted too); json: tools described in the system prompt, calls answered as JSON; structured: like json, with every turn constrained to a valid tool call by response_format — the dependable route with small local models." },
            "toolChoice": { "type": "string", "minLength": 1, "description": "auto (default), required (every turn calls a tool, finish included), or a tool's name: that tool is called on the first turn." },
            "maxIterations": { "type": "integer", "minimum": 1, "maximum": 100, "default": 8, "description": "Most model turns that may call tools." },
            "onMaxIterations": { "enum": ["answer", "error"], "default": "answer", "description": "When the iterations run out: answer = one more turn without tools asking for the final answer; error = fail to the error port." },
            "finishTool": { "type": "boolean", "default": true, "description": "Offer a `finish` tool whose `answer` ends the loop (always on in structured mode). Without it the loop ends when a turn calls no tool." },
            "stopPattern": { "type": "string", "description": "A regular expression: the loop stops as soon as the model's text matches it; that text is the answer." },
            "outputSchema": { "type": "object", "description": "JSON Schema of the final answer (structured output); the parsed answer is in `json`." },
            "temperature": { "type": "number", "minimum": 0, "maximum": 2, "description": "Sampling temperature." },
            "seed": { "type": "integer", "description": "Sampling seed, where supported." },
            "maxTokens": { "type": "integer", "minimum": 1, "description": "Most tokens per model answer." },
            "stop": { "type": "array", "items": { "type": "string" }, "description": "Stop sequences." },
            "memory": {
                "type": "object", "additionalProperties": false, "required": ["threadId"],
                "description": "Conversation memory: the thread's earlier messages (tool calls and results included) are sent before the message, and this turn's messages are saved to it.",
                "properties": {
                    "threadId": { "type": "string", "minLength": 1, "description": "The conversation (per organization), e.g. {{ $json.userId }}." },
                    "policy": { "enum": ["window", "summary"], "default": "window", "description": "window: only the last `window` messages are sent; summary: older messages are summarized by the model and the summary is sent too." },
                    "window": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 20, "description": "Messages of history sent verbatim." },
                },
            },
            "stream": { "type": "boolean", "default": true, "description": "Stream the answer's tokens into the run's live events (stepProgress)." },
            "timeout": { "type": ["string", "integer"], "default": "2m", "description": "Time allowed per model call." },
            "retry": {
                "type": "object", "additionalProperties": false,
                "description": "Retries of one model call on 429, 5xx, timeouts and network errors (exponential backoff with jitter, honouring Retry-After).",
                "properties": {
                    "maxAttempts": { "type": "integer", "minimum": 1, "maximum": 20, "default": 3, "description": "Attempts per call." },
                    "initialInterval": { "type": ["string", "integer"], "default": "500ms", "description": "First delay." },
                    "maxInterval": { "type": ["string", "integer"], "default": "30s", "description": "Longest delay." },
                },
            },
            "toolErrors": { "enum": ["tell", "fail"], "default": "tell", "description": "tell: a failing tool's error is its result, so the model can react; fail: the step fails." },
            "maxToolResultChars": { "type": "integer", "minimum": 100, "default": 8000, "description": "Longest tool result given to the model; longer ones are cut." },
            "cache": {
                "type": "object", "additionalProperties": false, "required": ["ttlSeconds"],
                "description": "Response cache (opt-in): a model call identical to an earlier one of the organization (same provider, base URL, model, messages, tools and sampling params) within ttlSeconds is answered from the cache, costs nothing and is flagged cached in the usage. Use with temperature 0 or a seed.",
                "properties": {
                    "ttlSeconds": { "type": "integer", "minimum": 1, "maximum": 31536000, "description": "How long an answer is served." },
                },
            },
        });
        if let Some(extra) = extra.as_object() {
            props.extend(extra.clone());
        }
        let schema = object_schema(
            "ai.agent params",
            Value::Object(props),
            &["model", "message"],
            vec![
                example.clone(),
                json!({ "baseUrl": "http://127.0.0.1:8080/v1", "model": "local", "message": "Summarize: {{ $json.text }}", "maxTokens": 200 }),
            ],
        );
        node_info(
            "ai.agent",
            "AI Agent",
            "AI",
            &format!(
                "A tool-using agent, per item: sends the system prompt, the thread's memory and \
                 the message to a model (OpenAI-compatible or Anthropic, with retries and a \
                 fallback chain), runs the tools it calls (node types, workflows, HTTP \
                 endpoints) and loops until it answers, calls `finish`, matches `stopPattern` \
                 or runs out of iterations. Tool calls are accepted natively or as bare, \
                 fenced or tagged JSON in the text; a malformed call gets one repair prompt, \
                 then the step fails to its error port with the transcript. Every completed \
                 model and tool call is checkpointed: a crash or retry does not pay for it \
                 again. Tokens stream into the run's live events. Emits {{answer, json, \
                 stopReason, iterations, toolCalls, transcript, usage, model, threadId}}. \
                 Example params: {example}"
            ),
            Purity::Effectful,
            schema,
        )
    })
}
