//! Status handling against a scripted OpenAI-compatible server on 127.0.0.1.

use crate::complete;
use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use weft_node_api::ErrorKind;
use weft_nodes_ai::LlmMode;

async fn chat(headers: HeaderMap, axum::Json(body): axum::Json<Value>) -> Response {
    let answer = |content: &str| {
        axum::Json(json!({
            "model": body["model"],
            "choices": [{ "index": 0, "finish_reason": "stop", "message": { "role": "assistant", "content": content } }],
            "usage": { "prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7 },
        }))
        .into_response()
    };
    match body["model"].as_str().unwrap_or("") {
        "rate" => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "7")],
            "{\"error\":{\"message\":\"slow down\"}}",
        )
            .into_response(),
        "bad" => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": { "message": "model `bad` does not exist" } })),
        )
            .into_response(),
        "down" => (StatusCode::BAD_GATEWAY, "upstream gone").into_response(),
        "notjson" => answer("Sure! Paris, France."),
        "echo" => answer(&format!(
            "{} | {}",
            body["messages"],
            headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("no auth")
        )),
        _ => answer("ok"),
    }
}

async fn server() -> String {
    let app = Router::new().route("/v1/chat/completions", post(chat));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/v1")
}

#[tokio::test]
async fn statuses_map_to_transient_and_permanent_errors() {
    let base = server().await;
    let p = |model: &str| json!({ "baseUrl": base, "model": model, "prompt": "hi" });
    let e = complete(LlmMode::Live, p("rate")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transient);
    assert_eq!(e.retry_after, Some(std::time::Duration::from_secs(7)));
    assert!(e.message.contains("HTTP 429: slow down"), "{}", e.message);
    let e = complete(LlmMode::Live, p("down")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transient);
    let e = complete(LlmMode::Live, p("bad")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Permanent);
    assert!(
        e.message.contains("model `bad` does not exist"),
        "{}",
        e.message
    );
    let e = complete(
        LlmMode::Live,
        json!({ "baseUrl": "http://127.0.0.1:9/v1", "model": "m", "prompt": "hi" }),
    )
    .await
    .unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_str()),
        (ErrorKind::Transient, "ai.network")
    );
}

#[tokio::test]
async fn structured_output_that_is_not_json_is_an_error() {
    let base = server().await;
    let e = complete(
        LlmMode::Live,
        json!({ "baseUrl": base, "model": "notjson", "prompt": "city?", "responseSchema": { "type": "object" } }),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "ai.invalid_output");
    assert_eq!(e.details["content"], json!("Sure! Paris, France."));
}

#[tokio::test]
async fn messages_and_system_prompts_are_sent_as_given() {
    let base = server().await;
    let out = complete(
        LlmMode::Live,
        json!({ "baseUrl": base, "model": "echo", "system": "be brief", "prompt": "hi" }),
    )
    .await
    .unwrap();
    assert_eq!(
        out[0]["content"],
        json!(
            "[{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":\"hi\"}] | no auth"
        )
    );
    assert_eq!(
        out[0]["usage"],
        // Without an engine nothing is metered: no price, cost 0.
        json!({ "promptTokens": 5, "completionTokens": 2, "totalTokens": 7, "costUsd": 0.0, "priced": false })
    );
    let e = complete(
        LlmMode::Live,
        json!({ "baseUrl": base, "model": "echo", "prompt": "hi", "messages": [{ "role": "user", "content": "x" }] }),
    )
    .await
    .unwrap_err();
    assert!(
        e.message.contains("either `prompt` or `messages`"),
        "{}",
        e.message
    );
}
