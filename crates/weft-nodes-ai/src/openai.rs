//! `ai.openai@1`: one chat completion against an OpenAI-compatible endpoint.

use crate::cassette::LlmMode;
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use std::time::Duration;
use weft_model::Millis;
use weft_node_api::{
    LlmCallDone, LlmCallPlan, LogLevel, NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo,
    Purity, ResolvedPorts, StepContext, StepResult,
};
use weft_nodes::common::{main_in_main_out, node_info, object_schema};

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

impl OpenAiNode {
    async fn complete(
        &self,
        ctx: &StepContext,
        p: &Params,
        body: &Value,
    ) -> Result<(u16, Value, Option<Duration>), NodeError> {
        let token = match &p.credential {
            Some(id) => {
                let cred = ctx.credential(id).await?;
                Some(match cred.kind.as_str() {
                    "openai" => cred.text("apiKey")?.to_string(),
                    "bearer" => cred.text("token")?.to_string(),
                    other => {
                        return Err(NodeError::permanent(
                            "credential.kind",
                            format!(
                                "credential {:?} is of kind {other:?}; ai.openai takes openai {{apiKey}} or bearer {{token}}",
                                cred.name
                            ),
                        ));
                    }
                })
            }
            None => None,
        };
        crate::transport::post_json(
            &self.client,
            &self.mode,
            ctx,
            crate::transport::Call {
                key_path: "/chat/completions",
                url: format!("{}/chat/completions", p.base_url.trim_end_matches('/')),
                body,
                token: token.as_deref(),
                timeout: p.timeout,
                endpoint: &p.base_url,
            },
        )
        .await
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
            // Metered like an agent's calls: the worst case is reserved against the budgets
            // first, the call recorded with its cost after.
            let n = body["messages"].as_array().map_or(0, Vec::len) as u64;
            let plan = LlmCallPlan {
                provider: "openai".into(),
                model: p.model.clone(),
                prompt_tokens: (body["messages"].to_string().len() as u64).div_ceil(4) + 4 * n + 8,
                max_completion_tokens: p.max_tokens.map_or(1024, u64::from),
            };
            let ticket = ctx.services().llm_reserve(ctx, &plan).await?;
            let started = std::time::Instant::now();
            let result = self.complete(ctx, &p, &body).await;
            let ok = matches!(&result, Ok((status, _, _)) if (200..300).contains(status));
            let (pt, ct) = match &result {
                Ok((_, resp, _)) if ok => (
                    resp["usage"]["prompt_tokens"].as_u64().unwrap_or(0),
                    resp["usage"]["completion_tokens"].as_u64().unwrap_or(0),
                ),
                _ => (0, 0),
            };
            let answered_by = match &result {
                Ok((_, resp, _)) => resp["model"].as_str().unwrap_or(&p.model).to_owned(),
                Err(_) => p.model.clone(),
            };
            let cost = ctx
                .services()
                .llm_settle(
                    ctx,
                    ticket,
                    &LlmCallDone {
                        provider: "openai".into(),
                        model: answered_by,
                        prompt_tokens: pt,
                        completion_tokens: ct,
                        latency_ms: started.elapsed().as_millis() as u64,
                        cached: false,
                        cache: None,
                        ok,
                    },
                )
                .await?;
            let (status, resp, retry_after) = result?;
            if !(200..300).contains(&status) {
                return Err(crate::transport::status_error(status, &resp, retry_after));
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
                    "costUsd": cost.usd(),
                    "priced": cost.priced,
                },
            }));
        }
        Ok(StepResult::Done(NodeOutput::main(out)))
    }
}
