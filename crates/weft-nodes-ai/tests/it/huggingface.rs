//! `ai.huggingface@1` against a scripted Inference API / TGI / TEI server on 127.0.0.1.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use weft_node_api::{ErrorKind, NodeInput, NodeType, StepResult};
use weft_nodes::testing::ctx;
use weft_nodes_ai::{HuggingFaceNode, LlmMode};

async fn model(Path(rest): Path<String>, axum::Json(body): axum::Json<Value>) -> Response {
    match rest.as_str() {
        "cold/model" => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({ "error": "Model cold/model is currently loading", "estimated_time": 12.5 })),
        )
            .into_response(),
        "acme/gen" => axum::Json(json!([{ "generated_text": format!("echo: {}", body["inputs"].as_str().unwrap_or("")) }])).into_response(),
        "acme/tokens" => axum::Json(json!([[[1.0, 0.0], [3.0, 2.0]]])).into_response(),
        _ => (StatusCode::NOT_FOUND, axum::Json(json!({ "error": "Model not found" }))).into_response(),
    }
}

async fn generate(headers: HeaderMap, axum::Json(body): axum::Json<Value>) -> Response {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none");
    axum::Json(json!({
        "generated_text": format!("{} / {} / {}", body["inputs"].as_str().unwrap_or(""), body["parameters"], auth),
    }))
    .into_response()
}

async fn server() -> String {
    let app = Router::new()
        .route("/models/{*rest}", post(model))
        .route("/generate", post(generate))
        .route(
            "/embed",
            post(|| async { axum::Json(json!([[0.5, -0.25, 1.0]])) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

async fn call(params: Value, items: Vec<Value>) -> Result<Vec<Value>, weft_node_api::NodeError> {
    let node = HuggingFaceNode::new(LlmMode::Live);
    match node.execute(&ctx(params), NodeInput::main(items)).await? {
        StepResult::Done(out) => Ok(out.get("main").unwrap_or_default().to_vec()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn text_generation_per_item_through_the_inference_api_and_tgi() {
    let base = server().await;
    let out = call(
        json!({ "task": "textGeneration", "baseUrl": base, "model": "acme/gen", "input": "hi {{ $json.name }}" }),
        vec![json!({"name": "ada"}), json!({"name": "bob"})],
    )
    .await
    .unwrap();
    assert_eq!(out[0]["text"], json!("echo: hi ada"));
    assert_eq!(out[1]["text"], json!("echo: hi bob"));
    let out = call(
        json!({ "task": "textGeneration", "api": "selfHosted", "baseUrl": base, "input": "p",
                "maxNewTokens": 5, "temperature": 0 }),
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(
        out[0]["text"],
        json!("p / {\"return_full_text\":false,\"max_new_tokens\":5,\"do_sample\":false} / none")
    );
}

#[tokio::test]
async fn embeddings_from_tei_and_token_level_vectors() {
    let base = server().await;
    let out = call(
        json!({ "task": "embeddings", "api": "selfHosted", "baseUrl": base, "input": "x" }),
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(out[0]["embedding"], json!([0.5, -0.25, 1.0]));
    assert_eq!(out[0]["dimensions"], json!(3));
    let out = call(
        json!({ "task": "embeddings", "baseUrl": base, "model": "acme/tokens", "input": "x" }),
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(
        out[0]["embedding"],
        json!([2.0, 1.0]),
        "mean of the token vectors"
    );
}

#[tokio::test]
async fn a_cold_model_is_retried_after_its_estimated_time() {
    let base = server().await;
    let e = call(
        json!({ "task": "textGeneration", "baseUrl": base, "model": "cold/model", "input": "x" }),
        vec![],
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transient);
    assert_eq!(
        e.retry_after,
        Some(std::time::Duration::from_secs_f64(12.5))
    );
    assert!(e.message.contains("currently loading"), "{}", e.message);
    let e = call(
        json!({ "task": "textGeneration", "baseUrl": base, "model": "nope/x", "input": "x" }),
        vec![],
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Permanent);
    let e = call(
        json!({ "task": "embeddings", "baseUrl": base, "input": "x" }),
        vec![],
    )
    .await
    .unwrap_err();
    assert!(e.message.contains("needs a model"), "{}", e.message);
}

#[tokio::test]
async fn record_then_replay_without_the_server() {
    let base = server().await;
    let dir = tempfile::tempdir().unwrap();
    let params = |b: &str| json!({ "task": "textGeneration", "baseUrl": b, "model": "acme/gen", "input": "same" });
    let node = HuggingFaceNode::new(LlmMode::Record(dir.path().to_path_buf()));
    let live = node
        .execute(&ctx(params(&base)), NodeInput::main(vec![]))
        .await
        .unwrap();
    let node = HuggingFaceNode::new(LlmMode::Replay(dir.path().to_path_buf()));
    let replayed = node
        .execute(&ctx(params("http://127.0.0.1:9")), NodeInput::main(vec![]))
        .await
        .unwrap();
    assert_eq!(live, replayed);
}
