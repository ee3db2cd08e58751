//! The Anthropic messages API (`POST {base}/v1/messages`): system prompt apart, alternating
//! user/assistant turns of content blocks, `tool_use`/`tool_result` blocks, streaming events
//! (`message_start`, `content_block_delta`, `message_delta`, …).
//!
//! Structured output is asked for the way Anthropic documents it: a single tool whose input
//! schema is the wanted schema, forced with `tool_choice`; its input becomes the answer's text.

use crate::chat::{ChatRequest, ChatResponse, Role, ToolCall, ToolChoice, Usage};
use crate::http;
use crate::provider::{CallOptions, ChatProvider};
use async_trait::async_trait;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value, json};
use std::time::Instant;
use weft_node_api::NodeError;

/// The API version sent in `anthropic-version`.
pub const API_VERSION: &str = "2023-06-01";
/// The hosted API.
pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
/// `max_tokens` is required by this API; used when the request sets none.
pub const DEFAULT_MAX_TOKENS: u32 = 1024;
/// The tool that carries a structured answer.
const OUTPUT_TOOL: &str = "structured_output";

/// A provider speaking the Anthropic messages API.
pub struct AnthropicProvider {
    client: reqwest::Client,
    base_url: String,
    api_key: Option<String>,
}

impl AnthropicProvider {
    /// A provider at `base_url` (the API root, without `/v1`), with an optional key.
    pub fn new(client: reqwest::Client, base_url: &str, api_key: Option<String>) -> Self {
        let base = base_url.trim_end_matches('/');
        AnthropicProvider {
            client,
            base_url: base.strip_suffix("/v1").unwrap_or(base).to_owned(),
            api_key,
        }
    }
}

/// Appends a block to the conversation, merging consecutive turns of one role (the API wants
/// them alternating).
fn push_block(turns: &mut Vec<(&'static str, Vec<Value>)>, role: &'static str, block: Value) {
    match turns.last_mut() {
        Some((r, blocks)) if *r == role => blocks.push(block),
        _ => turns.push((role, vec![block])),
    }
}

/// The request body for a chat request.
pub fn request_body(request: &ChatRequest, stream: bool) -> Value {
    let mut system = Vec::new();
    let mut turns: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for m in &request.messages {
        match m.role {
            Role::System => system.push(m.content.clone()),
            Role::User => push_block(
                &mut turns,
                "user",
                json!({"type": "text", "text": m.content}),
            ),
            Role::Assistant => {
                if !m.content.is_empty() || m.tool_calls.is_empty() {
                    push_block(
                        &mut turns,
                        "assistant",
                        json!({"type": "text", "text": m.content}),
                    );
                }
                for c in &m.tool_calls {
                    let input = match &c.arguments {
                        Value::Object(_) => c.arguments.clone(),
                        other => json!({ "value": other }),
                    };
                    push_block(
                        &mut turns,
                        "assistant",
                        json!({"type": "tool_use", "id": c.id, "name": c.name, "input": input}),
                    );
                }
            }
            Role::Tool => push_block(
                &mut turns,
                "user",
                json!({
                    "type": "tool_result",
                    "tool_use_id": m.tool_call_id.clone().unwrap_or_default(),
                    "content": m.content,
                }),
            ),
        }
    }
    let messages: Vec<Value> = turns
        .into_iter()
        .map(|(role, content)| json!({ "role": role, "content": content }))
        .collect();
    let mut body = json!({
        "model": request.model,
        "max_tokens": request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        "messages": messages,
    });
    if !system.is_empty() {
        body["system"] = json!(system.join("\n\n"));
    }
    let mut tools: Vec<Value> = request
        .tools
        .iter()
        .map(|t| json!({ "name": t.name, "description": t.description, "input_schema": t.parameters }))
        .collect();
    let mut choice = match &request.tool_choice {
        ToolChoice::Auto => json!({"type": "auto"}),
        ToolChoice::Required => json!({"type": "any"}),
        ToolChoice::None => json!({"type": "none"}),
        ToolChoice::Tool(name) => json!({"type": "tool", "name": name}),
    };
    if let Some(format) = &request.response_format {
        tools.push(json!({
            "name": OUTPUT_TOOL,
            "description": format!("Give the answer ({}) as this tool's input.", format.name),
            "input_schema": format.schema,
        }));
        choice = json!({"type": "tool", "name": OUTPUT_TOOL});
    }
    if !tools.is_empty() {
        body["tools"] = Value::Array(tools);
        body["tool_choice"] = choice;
    }
    if let Some(t) = request.temperature {
        body["temperature"] = json!(t);
    }
    if !request.stop.is_empty() {
        body["stop_sequences"] = json!(request.stop);
    }
    if stream {
        body["stream"] = json!(true);
    }
    body
}

/// Prompt tokens: uncached input plus cache reads and writes.
fn input_tokens(u: &Value) -> u64 {
    [
        "input_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
    ]
    .iter()
    .map(|k| u[k].as_u64().unwrap_or(0))
    .sum()
}

/// Turns the content blocks into text and tool calls; the output tool's input becomes text.
fn finish(
    text: String,
    uses: Vec<(String, String, Value)>,
    stop_reason: Option<String>,
    usage: Usage,
    model: String,
) -> ChatResponse {
    let mut content = text;
    let mut tool_calls = Vec::new();
    for (id, name, input) in uses {
        if name == OUTPUT_TOOL {
            content = input.to_string();
        } else {
            tool_calls.push(ToolCall {
                id,
                name,
                arguments: input,
            });
        }
    }
    ChatResponse {
        content,
        tool_calls,
        finish_reason: stop_reason,
        usage,
        model,
        provider: "anthropic".into(),
        latency_ms: 0,
    }
}

/// Reads a non-streamed response body.
pub fn parse_response(body: &Value, endpoint: &str) -> Result<ChatResponse, NodeError> {
    let Some(blocks) = body["content"].as_array() else {
        return Err(NodeError::permanent(
            "ai.invalid_response",
            format!("{endpoint} answered without content blocks"),
        )
        .with_details(json!({ "body": body })));
    };
    let mut text = String::new();
    let mut uses = Vec::new();
    for b in blocks {
        match b["type"].as_str() {
            Some("text") => text.push_str(b["text"].as_str().unwrap_or("")),
            Some("tool_use") => uses.push((
                b["id"].as_str().unwrap_or("").to_owned(),
                b["name"].as_str().unwrap_or("").to_owned(),
                b["input"].clone(),
            )),
            _ => {}
        }
    }
    let usage = Usage {
        prompt_tokens: input_tokens(&body["usage"]),
        completion_tokens: body["usage"]["output_tokens"].as_u64().unwrap_or(0),
    };
    Ok(finish(
        text,
        uses,
        body["stop_reason"].as_str().map(str::to_owned),
        usage,
        body["model"].as_str().unwrap_or("").to_owned(),
    ))
}

/// Accumulates a streamed answer.
#[derive(Default)]
struct Stream {
    text: String,
    /// Tool-use blocks by content index: id, name, partial JSON of the input.
    uses: Vec<(usize, String, String, String)>,
    stop_reason: Option<String>,
    usage: Usage,
    model: String,
}

impl Stream {
    fn event(
        &mut self,
        data: &str,
        endpoint: &str,
        on_token: Option<&(dyn Fn(&str) + Send + Sync)>,
    ) -> Result<bool, NodeError> {
        let v = http::event_json(endpoint, data)?;
        match v["type"].as_str().unwrap_or("") {
            "message_start" => {
                let m = &v["message"];
                self.model = m["model"].as_str().unwrap_or("").to_owned();
                self.usage.prompt_tokens = input_tokens(&m["usage"]);
                self.usage.completion_tokens = m["usage"]["output_tokens"].as_u64().unwrap_or(0);
            }
            "content_block_start" => {
                let b = &v["content_block"];
                let index = v["index"].as_u64().unwrap_or(0) as usize;
                match b["type"].as_str() {
                    Some("tool_use") => self.uses.push((
                        index,
                        b["id"].as_str().unwrap_or("").to_owned(),
                        b["name"].as_str().unwrap_or("").to_owned(),
                        String::new(),
                    )),
                    Some("text") => {
                        if let Some(t) = b["text"].as_str().filter(|t| !t.is_empty()) {
                            self.text.push_str(t);
                            if let Some(sink) = on_token {
                                sink(t);
                            }
                        }
                    }
                    _ => {}
                }
            }
            "content_block_delta" => {
                let d = &v["delta"];
                let index = v["index"].as_u64().unwrap_or(0) as usize;
                match d["type"].as_str() {
                    Some("text_delta") => {
                        let t = d["text"].as_str().unwrap_or("");
                        self.text.push_str(t);
                        if let (Some(sink), false) = (on_token, t.is_empty()) {
                            sink(t);
                        }
                    }
                    Some("input_json_delta") => {
                        if let Some(u) = self.uses.iter_mut().find(|u| u.0 == index) {
                            u.3.push_str(d["partial_json"].as_str().unwrap_or(""));
                        }
                    }
                    _ => {}
                }
            }
            "message_delta" => {
                if let Some(r) = v["delta"]["stop_reason"].as_str() {
                    self.stop_reason = Some(r.to_owned());
                }
                if let Some(n) = v["usage"]["output_tokens"].as_u64() {
                    self.usage.completion_tokens = n;
                }
                if v["usage"]["input_tokens"].is_u64() {
                    self.usage.prompt_tokens = input_tokens(&v["usage"]);
                }
            }
            "message_stop" => return Ok(false),
            "error" => {
                let message = v["error"]["message"].as_str().unwrap_or("unknown error");
                let kind = v["error"]["type"].as_str().unwrap_or("");
                let e = format!("{endpoint} reported an error mid-stream: {message}");
                return Err(
                    if matches!(kind, "overloaded_error" | "api_error" | "rate_limit_error") {
                        NodeError::transient("ai.stream", e)
                    } else {
                        NodeError::permanent("ai.stream", e)
                    }
                    .with_details(json!({ "event": v })),
                );
            }
            _ => {} // ping, content_block_stop
        }
        Ok(true)
    }

    fn into_response(self) -> ChatResponse {
        let uses = self
            .uses
            .into_iter()
            .map(|(_, id, name, json)| {
                let input = if json.trim().is_empty() {
                    Value::Object(Map::new())
                } else {
                    serde_json::from_str(&json).unwrap_or(Value::String(json))
                };
                (id, name, input)
            })
            .collect();
        finish(self.text, uses, self.stop_reason, self.usage, self.model)
    }
}

#[async_trait]
impl ChatProvider for AnthropicProvider {
    fn kind(&self) -> &str {
        "anthropic"
    }

    fn endpoint(&self) -> &str {
        &self.base_url
    }

    async fn chat(
        &self,
        request: &ChatRequest,
        options: CallOptions<'_>,
    ) -> Result<ChatResponse, NodeError> {
        let endpoint = self.base_url.as_str();
        let url = format!("{endpoint}/v1/messages");
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("anthropic-version"),
            HeaderValue::from_static(API_VERSION),
        );
        if let Some(key) = &self.api_key {
            let mut v = HeaderValue::from_str(key).map_err(|_| {
                NodeError::permanent(
                    "credential.invalid",
                    "the API key holds characters that cannot go in a header",
                )
            })?;
            v.set_sensitive(true);
            headers.insert(HeaderName::from_static("x-api-key"), v);
        }
        let stream = options.on_token.is_some();
        let body = request_body(request, stream);
        let started = Instant::now();
        let mut response = http::bounded(options, endpoint, async {
            let resp = http::post(&self.client, endpoint, &url, headers, &body).await?;
            if !stream {
                return parse_response(&http::json_body(endpoint, resp).await?, endpoint);
            }
            let mut acc = Stream::default();
            http::events(endpoint, resp, |e| {
                acc.event(&e.data, endpoint, options.on_token)
            })
            .await?;
            Ok(acc.into_response())
        })
        .await?;
        response.latency_ms = started.elapsed().as_millis() as u64;
        if response.model.is_empty() {
            response.model = request.model.clone();
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{ChatMessage, ResponseFormat, ToolSpec};

    #[test]
    fn turns_alternate_and_tool_results_are_user_blocks() {
        let call = ToolCall {
            id: "t1".into(),
            name: "weather".into(),
            arguments: json!({"city": "Oslo"}),
        };
        let mut req = ChatRequest::new(
            "claude",
            vec![
                ChatMessage::system("a"),
                ChatMessage::system("b"),
                ChatMessage::user("q"),
                ChatMessage {
                    tool_calls: vec![call.clone()],
                    ..ChatMessage::assistant("let me look")
                },
                ChatMessage::tool_result(&call, "rain"),
                ChatMessage::user("and?"),
            ],
        );
        req.tools = vec![ToolSpec {
            name: "weather".into(),
            description: "d".into(),
            parameters: json!({"type": "object"}),
        }];
        req.stop = vec!["###".into()];
        let body = request_body(&req, true);
        assert_eq!(body["system"], "a\n\nb");
        assert_eq!(body["max_tokens"], DEFAULT_MAX_TOKENS);
        let m = body["messages"].as_array().unwrap();
        assert_eq!(m.len(), 3, "{body}");
        assert_eq!(m[1]["role"], "assistant");
        assert_eq!(m[1]["content"][1]["type"], "tool_use");
        assert_eq!(m[1]["content"][1]["input"], json!({"city": "Oslo"}));
        assert_eq!(m[2]["role"], "user");
        assert_eq!(
            m[2]["content"][0],
            json!({"type": "tool_result", "tool_use_id": "t1", "content": "rain"})
        );
        assert_eq!(m[2]["content"][1]["text"], "and?");
        assert_eq!(body["tools"][0]["input_schema"], json!({"type": "object"}));
        assert_eq!(body["tool_choice"], json!({"type": "auto"}));
        assert_eq!(body["stop_sequences"], json!(["###"]));
        assert_eq!(body["stream"], true);
    }

    #[test]
    fn structured_output_is_a_forced_tool_whose_input_is_the_answer() {
        let mut req = ChatRequest::new("c", vec![ChatMessage::user("q")]);
        req.response_format = Some(ResponseFormat {
            name: "city".into(),
            schema: json!({"type": "object", "properties": {"city": {"type": "string"}}}),
        });
        let body = request_body(&req, false);
        assert_eq!(
            body["tool_choice"],
            json!({"type": "tool", "name": OUTPUT_TOOL})
        );
        let answer = json!({"model": "c", "stop_reason": "tool_use", "content": [
            {"type": "tool_use", "id": "x", "name": OUTPUT_TOOL, "input": {"city": "Lyon"}}],
            "usage": {"input_tokens": 10, "cache_read_input_tokens": 5, "output_tokens": 3}});
        let r = parse_response(&answer, "e").unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&r.content).unwrap(),
            json!({"city": "Lyon"})
        );
        assert!(r.tool_calls.is_empty());
        assert_eq!(
            r.usage,
            Usage {
                prompt_tokens: 15,
                completion_tokens: 3
            }
        );
    }

    #[test]
    fn streamed_events_accumulate_text_tool_input_and_usage() {
        let mut s = Stream::default();
        let seen = std::sync::Mutex::new(String::new());
        let sink = |t: &str| seen.lock().unwrap().push_str(t);
        let events = [
            r#"{"type":"message_start","message":{"model":"claude-x","usage":{"input_tokens":1,"cache_read_input_tokens":31,"output_tokens":0}}}"#,
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" there"}}"#,
            r#"{"type":"content_block_stop","index":0}"#,
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"tu","name":"look","input":{}}}"#,
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"q\": "}}"#,
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\"x\"}"}}"#,
            r#"{"type":"ping"}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}"#,
        ];
        for e in events {
            assert!(s.event(e, "e", Some(&sink)).unwrap());
        }
        assert!(!s.event(r#"{"type":"message_stop"}"#, "e", None).unwrap());
        let r = s.into_response();
        assert_eq!(r.content, "Hi there");
        assert_eq!(*seen.lock().unwrap(), "Hi there");
        assert_eq!(r.tool_calls[0].arguments, json!({"q": "x"}));
        assert_eq!(
            r.usage,
            Usage {
                prompt_tokens: 32,
                completion_tokens: 9
            }
        );
        assert_eq!(r.finish_reason.as_deref(), Some("tool_use"));
        let mut s = Stream::default();
        let e = s
            .event(
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
                "e",
                None,
            )
            .unwrap_err();
        assert!(e.is_transient());
    }
}
