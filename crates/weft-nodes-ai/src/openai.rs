//! `ai.openai@1`: one chat completion against an OpenAI-compatible endpoint.

use crate::cassette::{self, LlmMode};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use std::time::Duration;
use weft_model::Millis;
use weft_node_api::{
    LogLevel, NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, Purity, ResolvedPorts,
    StepContext, StepResult,
};
use weft_nodes::common::{cancelled, main_in_main_out, node_info, object_schema};

/// The default endpoint.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// `ai.openai@1`: per input item, one chat completion; emits the answer and token usage.
#[derive(Debug)]
pub struct OpenAiNode {
    client: Result<reqwest::Client, String>,
    mode: LlmMode,
}

impl OpenAiNode {
    /// A node type that gets completions as `mode` says.
    pub fn new(mode: LlmMode) -> Self {
        let client = reqwest::Client::builder()
            .user_agent(concat!("weft/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("could not set up the HTTP client: {e}"));
        OpenAiNode { client, mode }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Params {
    #[serde(default)]
    credential: Option<String>,
    #[serde(default = "default_base_url")]
    base_url: String,
    model: String,
    #[serde(default)]
    system: Option<String>,
    #[serde(default)]
    prompt: Option<String>,
    #[serde(default)]
    messages: Option<Vec<Message>>,
    #[serde(default)]
    temperature: Option<f64>,
    #[serde(default)]
    max_tokens: Option<u32>,
    #[serde(default)]
    seed: Option<i64>,
    #[serde(default)]
    response_schema: Option<Value>,
    #[serde(default = "default_timeout")]
    timeout: Millis,
}

#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct Message {
    role: String,
    content: String,
}

fn default_base_url() -> String {
    DEFAULT_BASE_URL.into()
}
fn default_timeout() -> Millis {
    Millis(120_000)
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({
            "baseUrl": "http://127.0.0.1:8080/v1",
            "model": "gpt-4o-mini",
            "system": "You extract data.",
            "prompt": "City and country of: {{ $json.address }}",
            "temperature": 0,
            "maxTokens": 200,
            "responseSchema": {
                "type": "object",
                "properties": { "city": { "type": "string" }, "country": { "type": "string" } },
                "required": ["city", "country"],
            },
            "credential": "cred-openai",
        });
        let schema = object_schema(
            "ai.openai params",
            json!({
                "credential": { "type": "string", "minLength": 1, "description": "Id of a credential of kind openai {apiKey} or bearer {token}; optional for local servers." },
                "baseUrl": { "type": "string", "pattern": "^[hH][tT][tT][pP][sS]?://", "default": DEFAULT_BASE_URL, "description": "The OpenAI-compatible API root (ending in /v1)." },
                "model": { "type": "string", "minLength": 1, "description": "Model name." },
                "system": { "type": "string", "description": "System message (with prompt)." },
                "prompt": { "type": "string", "description": "The user message. Use either prompt or messages." },
                "messages": {
                    "type": "array",
                    "minItems": 1,
                    "description": "The whole conversation, instead of system + prompt.",
                    "items": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["role", "content"],
                        "properties": {
                            "role": { "enum": ["system", "user", "assistant"], "description": "Who speaks." },
                            "content": { "type": "string", "description": "What is said." },
                        },
                    },
                },
                "temperature": { "type": "number", "minimum": 0, "maximum": 2, "description": "Sampling temperature; 0 is (near) deterministic." },
                "maxTokens": { "type": "integer", "minimum": 1, "description": "Most tokens in the answer." },
                "seed": { "type": "integer", "description": "Seed for repeatable sampling where supported." },
                "responseSchema": { "type": "object", "description": "A JSON Schema the answer must follow (structured output); the parsed answer is in `json`." },
                "timeout": { "type": ["string", "integer"], "default": "2m", "description": "Time allowed for the request." },
            }),
            &["model"],
            vec![example.clone(), json!({ "model": "gpt-4o-mini", "prompt": "Say hello" })],
        );
        let schema = weft_nodes::common::with_keyword(
            schema,
            "oneOf",
            json!([{ "required": ["prompt"] }, { "required": ["messages"] }]),
        );
        node_info(
            "ai.openai",
            "OpenAI Agent",
            "AI",
            &format!(
                "One chat completion per item against any OpenAI-compatible endpoint. Emits \
                 {{content, json, model, finishReason, usage}}; 429 and 5xx are retryable. \
                 Example params: {example}"
            ),
            Purity::Effectful,
            schema,
        )
    })
}

fn request_body(p: &Params) -> Result<Value, NodeError> {
    let mut messages = Vec::new();
    match (&p.prompt, &p.messages) {
        (Some(prompt), None) => {
            if let Some(system) = &p.system {
                messages.push(json!({ "role": "system", "content": system }));
            }
            messages.push(json!({ "role": "user", "content": prompt }));
        }
        (None, Some(list)) => {
            for m in list {
                messages.push(json!(m));
            }
        }
        _ => {
            return Err(NodeError::invalid_params(
                "/params",
                "give either `prompt` or `messages`, not both or neither",
            ));
        }
    }
    let mut body = json!({ "model": p.model, "messages": messages });
    if let Some(t) = p.temperature {
        body["temperature"] = json!(t);
    }
    if let Some(n) = p.max_tokens {
        body["max_tokens"] = json!(n);
    }
    if let Some(s) = p.seed {
        body["seed"] = json!(s);
    }
    if let Some(schema) = &p.response_schema {
        body["response_format"] = json!({
            "type": "json_schema",
            "json_schema": { "name": "output", "schema": schema, "strict": true },
        });
    }
    Ok(body)
}

fn api_error(status: u16, body: &Value, retry_after: Option<Duration>) -> NodeError {
    let detail = body["error"]["message"]
        .as_str()
        .or_else(|| body["error"].as_str())
        .unwrap_or("");
    let message = format!(
        "the model endpoint answered HTTP {status}{}",
        if detail.is_empty() {
            String::new()
        } else {
            format!(": {detail}")
        }
    );
    let details = json!({ "status": status, "body": body });
    if status == 429 || status >= 500 {
        let e = NodeError::transient("ai.status", message).with_details(details);
        match retry_after {
            Some(d) => e.with_retry_after(d),
            None => e,
        }
    } else {
        NodeError::permanent("ai.status", message).with_details(details)
    }
}

impl OpenAiNode {
    async fn complete(
        &self,
        ctx: &StepContext,
        p: &Params,
        body: &Value,
    ) -> Result<(u16, Value, Option<Duration>), NodeError> {
        let key = cassette::key("/chat/completions", body);
        if let LlmMode::Replay(dir) = &self.mode {
            return match cassette::load(dir, &key)
                .map_err(|e| NodeError::permanent("ai.cassette", e))?
            {
                Some((status, body)) => Ok((status, body, None)),
                None => Err(NodeError::permanent(
                    "ai.cassette",
                    format!(
                        "no recorded response for this request (key {key}) in {}; record it with WEFT_LLM_MODE=record",
                        dir.display()
                    ),
                )),
            };
        }
        let client = self
            .client
            .as_ref()
            .map_err(|e| NodeError::permanent("ai.client", e.clone()))?;
        let url = format!("{}/chat/completions", p.base_url.trim_end_matches('/'));
        let mut request = client
            .post(&url)
            .json(body)
            .timeout(p.timeout.as_duration());
        if let Some(id) = &p.credential {
            let cred = ctx.credential(id).await?;
            let token = match cred.kind.as_str() {
                "openai" => cred.text("apiKey")?,
                "bearer" => cred.text("token")?,
                other => {
                    return Err(NodeError::permanent(
                        "credential.kind",
                        format!(
                            "credential {:?} is of kind {other:?}; ai.openai takes openai {{apiKey}} or bearer {{token}}",
                            cred.name
                        ),
                    ));
                }
            };
            request = request.bearer_auth(token);
        }
        let exchange = async {
            let resp = request.send().await.map_err(|e| {
                let e = e.without_url();
                if e.is_timeout() {
                    NodeError::transient(
                        "ai.timeout",
                        format!("the model endpoint did not answer within {}", p.timeout),
                    )
                } else {
                    NodeError::transient(
                        "ai.network",
                        format!("cannot reach the model endpoint {}: {e}", p.base_url),
                    )
                }
            })?;
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let bytes = resp.bytes().await.map_err(|e| {
                NodeError::transient(
                    "ai.network",
                    format!("reading the model's answer failed: {}", e.without_url()),
                )
            })?;
            let body: Value = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                Value::String(String::from_utf8_lossy(&bytes).chars().take(2000).collect())
            });
            Ok::<_, NodeError>((status, body, retry_after))
        };
        let (status, resp, retry_after) = tokio::select! {
            r = exchange => r?,
            _ = ctx.cancel.cancelled() => return Err(cancelled()),
        };
        if let LlmMode::Record(dir) = &self.mode {
            cassette::save(dir, &key, body, status, &resp)
                .map_err(|e| NodeError::permanent("ai.cassette", e))?;
        }
        Ok((status, resp, retry_after))
    }
}

#[async_trait]
impl NodeType for OpenAiNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, _params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        Ok(main_in_main_out())
    }

    async fn execute(&self, ctx: &StepContext, input: NodeInput) -> Result<StepResult, NodeError> {
        let items = input.main_items();
        let mut out = Vec::new();
        for i in 0..items.len().max(1) {
            let p: Params = ctx.params_for(items, i)?;
            let body = request_body(&p)?;
            let (status, resp, retry_after) = self.complete(ctx, &p, &body).await?;
            if !(200..300).contains(&status) {
                return Err(api_error(status, &resp, retry_after));
            }
            let choice = &resp["choices"][0];
            let content = choice["message"]["content"].as_str().ok_or_else(|| {
                NodeError::permanent(
                    "ai.invalid_response",
                    "the model's answer has no choices[0].message.content",
                )
                .with_details(json!({ "body": resp }))
            })?;
            let parsed = match &p.response_schema {
                Some(_) => Some(serde_json::from_str::<Value>(content.trim()).map_err(|e| {
                    NodeError::permanent(
                        "ai.invalid_output",
                        format!(
                            "the answer does not follow the response schema: it is not JSON ({e})"
                        ),
                    )
                    .with_details(json!({ "content": content }))
                })?),
                None => None,
            };
            let usage = &resp["usage"];
            let (pt, ct) = (
                usage["prompt_tokens"].as_u64().unwrap_or(0),
                usage["completion_tokens"].as_u64().unwrap_or(0),
            );
            ctx.log(
                LogLevel::Info,
                format!("{}: {pt} prompt + {ct} completion tokens", p.model),
            );
            out.push(json!({
                "content": content,
                "json": parsed,
                "model": resp["model"].as_str().unwrap_or(&p.model),
                "finishReason": choice["finish_reason"],
                "usage": {
                    "promptTokens": pt,
                    "completionTokens": ct,
                    "totalTokens": usage["total_tokens"].as_u64().unwrap_or(pt + ct),
                },
            }));
        }
        Ok(StepResult::Done(NodeOutput::main(out)))
    }
}
