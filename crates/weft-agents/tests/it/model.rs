//! A scripted model server on 127.0.0.1 speaking the OpenAI chat-completions and Anthropic
//! messages APIs (JSON or streamed), answering what a test's script says and recording every
//! request it gets.

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server answers to one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// An assistant message with this text.
    Text(String),
    /// Native tool calls: (name, arguments).
    Tools(Vec<(String, Value)>),
    /// An error status, with an optional `Retry-After`.
    Status(u16, Option<String>, String),
    /// A stream that sends these pieces, then hangs forever (for cancellation).
    Hang(Vec<String>),
}

/// One request the server got.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `/v1/chat/completions` or `/v1/messages`.
    pub path: String,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: Value,
}

type Script = dyn Fn(&Value, usize) -> Reply + Send + Sync;

/// The server: its base URL and what it saw.
#[derive(Clone)]
pub struct Model {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Model {
    /// Requests so far.
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    /// How many requests so far.
    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

#[derive(Clone)]
struct AppState {
    script: Arc<Script>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// Starts a server answering with `script(request body, index of this request)`.
pub async fn serve(script: impl Fn(&Value, usize) -> Reply + Send + Sync + 'static) -> Model {
    let state = AppState {
        script: Arc::new(script),
        seen: Arc::default(),
    };
    let app = Router::new()
        .route("/v1/chat/completions", post(openai))
        .route("/v1/messages", post(anthropic))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Model {
        url: format!("http://{addr}"),
        seen: state.seen,
    }
}

fn record(state: &AppState, path: &str, headers: HeaderMap, body: &Value) -> Reply {
    let index = {
        let mut seen = state.seen.lock().unwrap();
        seen.push(Seen {
            path: path.into(),
            headers,
            body: body.clone(),
        });
        seen.len() - 1
    };
    (state.script)(body, index)
}

fn status(code: u16, retry_after: Option<String>, body: String) -> Response {
    let mut r = (
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        body,
    )
        .into_response();
    if let Some(ra) = retry_after {
        r.headers_mut()
            .insert("retry-after", ra.parse().expect("header"));
    }
    r
}

/// A streamed body: `frames` (already SSE-framed), then either the end or a hang.
fn sse(frames: Vec<String>, hang: bool) -> Response {
    let stream = async_stream(frames, hang);
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(stream))
        .expect("response")
}

fn async_stream(
    frames: Vec<String>,
    hang: bool,
) -> impl futures::Stream<Item = Result<String, Infallible>> {
    futures::stream::unfold((frames.into_iter(), hang), |(mut it, hang)| async move {
        match it.next() {
            Some(f) => {
                tokio::time::sleep(Duration::from_millis(2)).await;
                Some((Ok(f), (it, hang)))
            }
            None if hang => {
                std::future::pending::<()>().await;
                None
            }
            None => None,
        }
    })
}

fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in text.chars() {
        cur.push(ch);
        if ch == ' ' {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

const PROMPT_TOKENS: u64 = 12;

fn tokens(text: &str) -> u64 {
    words(text).len().max(1) as u64
}

async fn openai(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let reply = record(&state, "/v1/chat/completions", headers, &body);
    let model = body["model"].as_str().unwrap_or("").to_owned();
    let stream = body["stream"] == true;
    match reply {
        Reply::Status(code, ra, text) => status(code, ra, text),
        Reply::Hang(pieces) => {
            let frames = pieces
                .iter()
                .map(|p| {
                    format!(
                        "data: {}\n\n",
                        json!({"model": model, "choices": [{"index": 0, "delta": {"content": p}}]})
                    )
                })
                .collect();
            sse(frames, true)
        }
        Reply::Text(text) if stream => {
            let mut frames: Vec<String> = words(&text)
                .iter()
                .map(|w| {
                    format!(
                        "data: {}\n\n",
                        json!({"model": model, "choices": [{"index": 0, "delta": {"content": w}}]})
                    )
                })
                .collect();
            frames.push(format!(
                "data: {}\n\n",
                json!({"model": model, "choices": [{"index": 0, "finish_reason": "stop", "delta": {}}]})
            ));
            frames.push(format!(
                "data: {}\n\n",
                json!({"model": model, "choices": [], "usage": {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": tokens(&text), "total_tokens": PROMPT_TOKENS + tokens(&text)}})
            ));
            frames.push("data: [DONE]\n\n".into());
            sse(frames, false)
        }
        Reply::Text(text) => axum::Json(json!({
            "model": model,
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": tokens(&text)},
        }))
        .into_response(),
        Reply::Tools(calls) if stream => {
            let mut frames = Vec::new();
            for (i, (name, args)) in calls.iter().enumerate() {
                let text = args.to_string();
                let (a, b) = text.split_at(text.len() / 2);
                frames.push(format!("data: {}\n\n", json!({"model": model, "choices": [{"index": 0, "delta": {"tool_calls": [{"index": i, "id": format!("call_{i}_x"), "type": "function", "function": {"name": name, "arguments": a}}]}}]})));
                frames.push(format!("data: {}\n\n", json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": i, "function": {"arguments": b}}]}}]})));
            }
            frames.push(format!("data: {}\n\n", json!({"choices": [{"index": 0, "finish_reason": "tool_calls", "delta": {}}]})));
            frames.push(format!("data: {}\n\n", json!({"choices": [], "usage": {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": 5}})));
            frames.push("data: [DONE]\n\n".into());
            sse(frames, false)
        }
        Reply::Tools(calls) => axum::Json(json!({
            "model": model,
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": null,
                "tool_calls": calls.iter().enumerate().map(|(i, (n, a))| json!({"id": format!("call_{i}_x"), "type": "function", "function": {"name": n, "arguments": a.to_string()}})).collect::<Vec<_>>()}}],
            "usage": {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": 5},
        }))
        .into_response(),
    }
}

async fn anthropic(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let reply = record(&state, "/v1/messages", headers, &body);
    let model = body["model"].as_str().unwrap_or("").to_owned();
    let stream = body["stream"] == true;
    let ev = |name: &str, v: Value| format!("event: {name}\ndata: {v}\n\n");
    match reply {
        Reply::Status(code, ra, text) => status(code, ra, text),
        Reply::Hang(pieces) => {
            let mut frames = vec![ev("message_start", json!({"type": "message_start", "message": {"model": model, "usage": {"input_tokens": PROMPT_TOKENS, "output_tokens": 0}}}))];
            frames.push(ev("content_block_start", json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})));
            for p in pieces {
                frames.push(ev("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}})));
            }
            sse(frames, true)
        }
        Reply::Text(text) if stream => {
            let mut frames = vec![
                ev("message_start", json!({"type": "message_start", "message": {"model": model, "usage": {"input_tokens": PROMPT_TOKENS, "output_tokens": 1}}})),
                ev("content_block_start", json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})),
                ": keep-alive\n\n".to_string(),
            ];
            for w in words(&text) {
                frames.push(ev("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": w}})));
            }
            frames.push(ev("content_block_stop", json!({"type": "content_block_stop", "index": 0})));
            frames.push(ev("message_delta", json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": tokens(&text)}})));
            frames.push(ev("message_stop", json!({"type": "message_stop"})));
            sse(frames, false)
        }
        Reply::Text(text) => axum::Json(json!({
            "model": model, "type": "message", "role": "assistant", "stop_reason": "end_turn",
            "content": [{"type": "text", "text": text}],
            "usage": {"input_tokens": PROMPT_TOKENS, "output_tokens": tokens(&text)},
        }))
        .into_response(),
        Reply::Tools(calls) => axum::Json(json!({
            "model": model, "type": "message", "role": "assistant", "stop_reason": "tool_use",
            "content": calls.iter().enumerate().map(|(i, (n, a))| json!({"type": "tool_use", "id": format!("toolu_{i}"), "name": n, "input": a})).collect::<Vec<_>>(),
            "usage": {"input_tokens": PROMPT_TOKENS, "output_tokens": 5},
        }))
        .into_response(),
    }
}

/// The text of the last message of a request (OpenAI or Anthropic shape).
pub fn last_text(body: &Value) -> String {
    let last = &body["messages"][body["messages"].as_array().map(|m| m.len()).unwrap_or(1) - 1];
    match &last["content"] {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .map(|b| {
                b["text"]
                    .as_str()
                    .or_else(|| b["content"].as_str())
                    .unwrap_or("")
                    .to_owned()
            })
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}
