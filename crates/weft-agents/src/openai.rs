//! OpenAI-compatible chat completions (`POST {base}/chat/completions`): OpenAI, vLLM,
//! llama.cpp, Ollama, Groq, … Native tools and `tool_calls`, `response_format` with a JSON
//! Schema, and streaming over Server-Sent Events with `stream_options.include_usage`.

use crate::chat::{ChatMessage, ChatRequest, ChatResponse, Role, ToolCall, ToolChoice, Usage};
use crate::http;
use crate::provider::{CallOptions, ChatProvider};
use async_trait::async_trait;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde_json::{Map, Value, json};
use std::time::Instant;
use weft_node_api::NodeError;

/// A provider speaking the OpenAI chat-completions API.
pub struct OpenAiProvider {
    client: reqwest::Client,
    base_url: String,
    api_key: Option<String>,
}

impl OpenAiProvider {
    /// A provider at `base_url` (ending in `/v1`), with an optional bearer key.
    pub fn new(client: reqwest::Client, base_url: &str, api_key: Option<String>) -> Self {
        OpenAiProvider {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key,
        }
    }
}

/// The request body for a chat request.
pub fn request_body(request: &ChatRequest, stream: bool) -> Value {
    let messages: Vec<Value> = request.messages.iter().map(message).collect();
    let mut body = json!({ "model": request.model, "messages": messages });
    if !request.tools.is_empty() {
        body["tools"] = Value::Array(
            request
                .tools
                .iter()
                .map(|t| {
                    json!({
                        "type": "function",
                        "function": { "name": t.name, "description": t.description, "parameters": t.parameters },
                    })
                })
                .collect(),
        );
        body["tool_choice"] = match &request.tool_choice {
            ToolChoice::Auto => json!("auto"),
            ToolChoice::Required => json!("required"),
            ToolChoice::None => json!("none"),
            ToolChoice::Tool(name) => json!({ "type": "function", "function": { "name": name } }),
        };
    }
    if let Some(format) = &request.response_format {
        body["response_format"] = json!({
            "type": "json_schema",
            "json_schema": { "name": format.name, "schema": format.schema, "strict": true },
        });
    }
    if let Some(t) = request.temperature {
        body["temperature"] = json!(t);
    }
    if let Some(s) = request.seed {
        body["seed"] = json!(s);
    }
    if let Some(n) = request.max_tokens {
        body["max_tokens"] = json!(n);
    }
    if !request.stop.is_empty() {
        body["stop"] = json!(request.stop);
    }
    if stream {
        body["stream"] = json!(true);
        body["stream_options"] = json!({ "include_usage": true });
    }
    body
}

fn message(m: &ChatMessage) -> Value {
    match m.role {
        Role::Tool => json!({
            "role": "tool",
            "tool_call_id": m.tool_call_id.clone().unwrap_or_default(),
            "content": m.content,
        }),
        Role::Assistant if !m.tool_calls.is_empty() => json!({
            "role": "assistant",
            "content": if m.content.is_empty() { Value::Null } else { json!(m.content) },
            "tool_calls": m.tool_calls.iter().map(|c| json!({
                "id": c.id,
                "type": "function",
                "function": { "name": c.name, "arguments": c.arguments.to_string() },
            })).collect::<Vec<_>>(),
        }),
        role => json!({ "role": role, "content": m.content }),
    }
}

/// Arguments arrive as a JSON string; a string that does not parse is kept as a string, for
/// the tool-call validation to report.
fn arguments(raw: &str) -> Value {
    if raw.trim().is_empty() {
        return Value::Object(Map::new());
    }
    serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()))
}

fn usage(u: &Value) -> Usage {
    Usage {
        prompt_tokens: u["prompt_tokens"].as_u64().unwrap_or(0),
        completion_tokens: u["completion_tokens"].as_u64().unwrap_or(0),
    }
}

/// Reads a non-streamed response body.
pub fn parse_response(body: &Value, endpoint: &str) -> Result<ChatResponse, NodeError> {
    let choice = &body["choices"][0];
    let msg = &choice["message"];
    if !msg.is_object() {
        return Err(NodeError::permanent(
            "ai.invalid_response",
            format!("{endpoint} answered without choices[0].message"),
        )
        .with_details(json!({ "body": body })));
    }
    let tool_calls = msg["tool_calls"]
        .as_array()
        .map(|calls| {
            calls
                .iter()
                .enumerate()
                .map(|(i, c)| ToolCall {
                    id: c["id"]
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| format!("call_{i}")),
                    name: c["function"]["name"].as_str().unwrap_or("").to_owned(),
                    arguments: match &c["function"]["arguments"] {
                        Value::String(s) => arguments(s),
                        other => other.clone(),
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(ChatResponse {
        content: msg["content"].as_str().unwrap_or("").to_owned(),
        tool_calls,
        finish_reason: choice["finish_reason"].as_str().map(str::to_owned),
        usage: usage(&body["usage"]),
        model: body["model"].as_str().unwrap_or("").to_owned(),
        provider: "openai".into(),
        latency_ms: 0,
    })
}

/// Accumulates a streamed answer.
#[derive(Default)]
struct Stream {
    content: String,
    calls: Vec<(String, String, String)>,
    finish_reason: Option<String>,
    usage: Usage,
    model: String,
}

impl Stream {
    /// Takes one chunk; false once the stream says it is done.
    fn chunk(
        &mut self,
        data: &str,
        endpoint: &str,
        on_token: Option<&(dyn Fn(&str) + Send + Sync)>,
    ) -> Result<bool, NodeError> {
        if data.trim() == "[DONE]" {
            return Ok(false);
        }
        let v = http::event_json(endpoint, data)?;
        if v["error"].is_object() || v["error"].is_string() {
            let message = v["error"]["message"]
                .as_str()
                .or_else(|| v["error"].as_str())
                .unwrap_or("unknown error");
            return Err(NodeError::transient(
                "ai.stream",
                format!("{endpoint} reported an error mid-stream: {message}"),
            )
            .with_details(json!({ "event": v })));
        }
        if let Some(m) = v["model"].as_str() {
            self.model = m.to_owned();
        }
        if v["usage"].is_object() {
            self.usage = usage(&v["usage"]);
        }
        let choice = &v["choices"][0];
        let delta = &choice["delta"];
        if let Some(text) = delta["content"].as_str()
            && !text.is_empty()
        {
            self.content.push_str(text);
            if let Some(sink) = on_token {
                sink(text);
            }
        }
        if let Some(calls) = delta["tool_calls"].as_array() {
            for c in calls {
                let index = c["index"].as_u64().unwrap_or(self.calls.len() as u64) as usize;
                if index > 1024 {
                    continue;
                }
                while self.calls.len() <= index {
                    self.calls.push(Default::default());
                }
                let slot = &mut self.calls[index];
                if let Some(id) = c["id"].as_str() {
                    slot.0 = id.to_owned();
                }
                if let Some(name) = c["function"]["name"].as_str() {
                    slot.1.push_str(name);
                }
                if let Some(args) = c["function"]["arguments"].as_str() {
                    slot.2.push_str(args);
                }
            }
        }
        if let Some(reason) = choice["finish_reason"].as_str() {
            self.finish_reason = Some(reason.to_owned());
        }
        Ok(true)
    }

    fn into_response(self) -> ChatResponse {
        ChatResponse {
            content: self.content,
            tool_calls: self
                .calls
                .into_iter()
                .enumerate()
                .filter(|(_, (_, name, _))| !name.is_empty())
                .map(|(i, (id, name, args))| ToolCall {
                    id: if id.is_empty() {
                        format!("call_{i}")
                    } else {
                        id
                    },
                    name,
                    arguments: arguments(&args),
                })
                .collect(),
            finish_reason: self.finish_reason,
            usage: self.usage,
            model: self.model,
            provider: "openai".into(),
            latency_ms: 0,
        }
    }
}

#[async_trait]
impl ChatProvider for OpenAiProvider {
    fn kind(&self) -> &str {
        "openai"
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
        let url = format!("{endpoint}/chat/completions");
        let mut headers = HeaderMap::new();
        if let Some(key) = &self.api_key {
            let mut v = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
                NodeError::permanent(
                    "credential.invalid",
                    "the API key holds characters that cannot go in a header",
                )
            })?;
            v.set_sensitive(true);
            headers.insert(AUTHORIZATION, v);
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
                acc.chunk(&e.data, endpoint, options.on_token)
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
    use crate::chat::{ResponseFormat, ToolSpec};

    #[test]
    fn the_body_carries_tools_format_and_stream_options() {
        let call = ToolCall {
            id: "c1".into(),
            name: "weather".into(),
            arguments: json!({"city": "Paris"}),
        };
        let mut req = ChatRequest::new(
            "m",
            vec![
                ChatMessage::system("s"),
                ChatMessage::user("u"),
                ChatMessage {
                    tool_calls: vec![call.clone()],
                    ..ChatMessage::assistant("")
                },
                ChatMessage::tool_result(&call, "sunny"),
            ],
        );
        req.tools = vec![ToolSpec {
            name: "weather".into(),
            description: "d".into(),
            parameters: json!({"type": "object"}),
        }];
        req.tool_choice = ToolChoice::Tool("weather".into());
        req.response_format = Some(ResponseFormat {
            name: "out".into(),
            schema: json!({"type": "object"}),
        });
        req.temperature = Some(0.0);
        req.seed = Some(7);
        req.max_tokens = Some(5);
        req.stop = vec!["END".into()];
        let body = request_body(&req, true);
        assert_eq!(
            body["messages"][2],
            json!({"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}}]})
        );
        assert_eq!(
            body["messages"][3],
            json!({"role": "tool", "tool_call_id": "c1", "content": "sunny"})
        );
        assert_eq!(body["tools"][0]["function"]["name"], "weather");
        assert_eq!(
            body["tool_choice"],
            json!({"type": "function", "function": {"name": "weather"}})
        );
        assert_eq!(body["response_format"]["json_schema"]["strict"], true);
        assert_eq!(body["stream_options"], json!({"include_usage": true}));
        assert_eq!(
            (body["seed"].clone(), body["max_tokens"].clone()),
            (json!(7), json!(5))
        );
        assert_eq!(body["stop"], json!(["END"]));
        assert!(request_body(&req, false).get("stream").is_none());
    }

    #[test]
    fn streamed_chunks_accumulate_text_tool_calls_and_usage() {
        let mut s = Stream::default();
        let seen = std::sync::Mutex::new(String::new());
        let sink = |t: &str| seen.lock().unwrap().push_str(t);
        let chunks = [
            r#"{"model":"m1","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"lo"}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","function":{"name":"look","arguments":"{\"q\":"}}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"x\"}"}}]}}]}"#,
            r#"{"choices":[{"index":0,"finish_reason":"tool_calls","delta":{}}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":11,"completion_tokens":4,"total_tokens":15}}"#,
        ];
        for c in chunks {
            assert!(s.chunk(c, "e", Some(&sink)).unwrap());
        }
        assert!(!s.chunk("[DONE]", "e", Some(&sink)).unwrap());
        let r = s.into_response();
        assert_eq!(r.content, "Hello");
        assert_eq!(*seen.lock().unwrap(), "Hello");
        assert_eq!(
            r.tool_calls,
            [ToolCall {
                id: "call_a".into(),
                name: "look".into(),
                arguments: json!({"q": "x"})
            }]
        );
        assert_eq!(r.finish_reason.as_deref(), Some("tool_calls"));
        assert_eq!(
            r.usage,
            Usage {
                prompt_tokens: 11,
                completion_tokens: 4
            }
        );
        assert_eq!(r.model, "m1");
    }

    #[test]
    fn an_error_mid_stream_and_garbage_are_errors() {
        let mut s = Stream::default();
        let e = s
            .chunk(r#"{"error":{"message":"overloaded"}}"#, "e", None)
            .unwrap_err();
        assert!(e.message.contains("overloaded"));
        assert!(s.chunk("not json", "e", None).is_err());
    }

    #[test]
    fn non_streamed_answers_with_tool_calls() {
        let body = json!({"model": "m", "choices": [{"finish_reason": "tool_calls", "message": {"role": "assistant", "content": null,
            "tool_calls": [{"id": "x", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}},
                           {"type": "function", "function": {"name": "g", "arguments": "{broken"}}]}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2}});
        let r = parse_response(&body, "e").unwrap();
        assert_eq!(r.content, "");
        assert_eq!(r.tool_calls[0].arguments, json!({"a": 1}));
        assert_eq!(r.tool_calls[1].id, "call_1");
        assert_eq!(r.tool_calls[1].arguments, json!("{broken"));
        assert_eq!(r.usage.total(), 5);
        assert!(parse_response(&json!({"choices": []}), "e").is_err());
    }
}
