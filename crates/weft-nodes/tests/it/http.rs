//! `http.request` against a real axum server on 127.0.0.1.

use crate::support::*;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use weft_node_api::{ErrorKind, NodeInput, NodeType, StepResult};
use weft_nodes::HttpRequestNode;

async fn echo(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let mut h = Map::new();
    for (name, value) in &headers {
        h.insert(
            name.as_str().to_string(),
            json!(value.to_str().unwrap_or("?")),
        );
    }
    axum::Json(json!({
        "method": method.as_str(),
        "path": uri.path(),
        "query": uri.query(),
        "headers": h,
        "body": String::from_utf8_lossy(&body),
    }))
    .into_response()
}

async fn status(Path(code): Path<u16>, Query(q): Query<HashMap<String, String>>) -> Response {
    let status = StatusCode::from_u16(code).unwrap();
    let mut resp = (status, format!("status body {code}")).into_response();
    if let Some(retry) = q.get("retry") {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, retry.parse().unwrap());
    }
    resp
}

async fn big(Query(q): Query<HashMap<String, usize>>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain")], vec![b'x'; q["n"]]).into_response()
}

async fn stream(Query(q): Query<HashMap<String, usize>>) -> Response {
    let chunks = (0..q["chunks"]).map(|_| Ok::<_, std::io::Error>(vec![b'y'; 1024]));
    Response::new(Body::from_stream(futures::stream::iter(chunks)))
}

async fn redirect(Path(n): Path<u32>) -> Redirect {
    if n == 0 {
        Redirect::to("/echo?arrived=1")
    } else {
        Redirect::to(&format!("/redirect/{}", n - 1))
    }
}

/// Starts the test server; returns its base URL.
async fn server() -> String {
    let app = Router::new()
        .route("/echo", any(echo))
        .route("/text", get(|| async { "hello" }))
        .route("/status/{code}", any(status))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(10)).await;
                "late"
            }),
        )
        .route("/big", get(big))
        .route("/stream", get(stream))
        .route(
            "/badjson",
            get(|| async { ([(header::CONTENT_TYPE, "application/json")], "not json") }),
        )
        .route("/redirect/{n}", get(redirect));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn request(p: Value, items: Vec<Value>) -> Result<StepResult, weft_node_api::NodeError> {
    HttpRequestNode::new()
        .execute(&ctx(p), NodeInput::main(items))
        .await
}

async fn one(p: Value) -> Value {
    let out = done(request(p, vec![]).await);
    let main = out.get("main").unwrap();
    assert_eq!(main.len(), 1);
    main[0].clone()
}

#[tokio::test]
async fn get_json_with_query_and_headers() {
    let base = server().await;
    let r = one(json!({
        "url": format!("{base}/echo?x=1"),
        "query": { "y": 2, "z": true, "s": "a b&c", "list": ["p", "q"] },
        "headers": { "X-Custom": "yes", "X-Number": 5 },
    }))
    .await;
    assert_eq!(r["status"], json!(200));
    assert_eq!(r["headers"]["content-type"], json!("application/json"));
    let body = &r["body"];
    assert_eq!(body["method"], json!("GET"));
    assert_eq!(
        body["query"],
        json!("x=1&y=2&z=true&s=a+b%26c&list=p&list=q")
    );
    assert_eq!(body["headers"]["x-custom"], json!("yes"));
    assert_eq!(body["headers"]["x-number"], json!("5"));
    assert_eq!(body["headers"]["idempotency-key"], json!(IDEMPOTENCY_KEY));
    assert!(
        body["headers"]["user-agent"]
            .as_str()
            .unwrap()
            .starts_with("weft/")
    );
}

#[tokio::test]
async fn post_json_body_per_item_with_idempotency_keys() {
    let base = server().await;
    let p = json!({
        "method": "post",
        "url": format!("{base}/echo"),
        "body": { "id": "{{ $json.id }}", "fixed": [1, 2] },
    });
    let out = done(request(p, vec![json!({ "id": 1 }), json!({ "id": 2 })]).await);
    let main = out.get("main").unwrap();
    assert_eq!(main.len(), 2);
    for (i, r) in main.iter().enumerate() {
        let body = &r["body"];
        assert_eq!(body["method"], json!("POST"));
        assert_eq!(body["headers"]["content-type"], json!("application/json"));
        assert_eq!(
            body["headers"]["idempotency-key"],
            json!(format!("{IDEMPOTENCY_KEY}/{i}"))
        );
        let sent: Value = serde_json::from_str(body["body"].as_str().unwrap()).unwrap();
        assert_eq!(sent, json!({ "id": i + 1, "fixed": [1, 2] }));
    }
}

#[tokio::test]
async fn user_idempotency_key_and_content_type_win() {
    let base = server().await;
    let r = one(json!({
        "method": "PUT",
        "url": format!("{base}/echo"),
        "headers": { "idempotency-key": "mine", "Content-Type": "application/vnd.custom+json" },
        "body": [1],
    }))
    .await;
    assert_eq!(r["body"]["headers"]["idempotency-key"], json!("mine"));
    assert_eq!(
        r["body"]["headers"]["content-type"],
        json!("application/vnd.custom+json")
    );
    assert_eq!(r["body"]["body"], json!("[1]"));
}

#[tokio::test]
async fn text_and_form_bodies() {
    let base = server().await;
    let r = one(json!({ "method": "POST", "url": format!("{base}/echo"), "bodyType": "text", "body": "plain words" })).await;
    assert_eq!(r["body"]["body"], json!("plain words"));
    assert_eq!(
        r["body"]["headers"]["content-type"],
        json!("text/plain; charset=utf-8")
    );

    let r = one(json!({
        "method": "PATCH",
        "url": format!("{base}/echo"),
        "bodyType": "form",
        "body": { "a": 1, "b": "x y", "c": true },
    }))
    .await;
    assert_eq!(r["body"]["method"], json!("PATCH"));
    assert_eq!(r["body"]["body"], json!("a=1&b=x+y&c=true"));
    assert_eq!(
        r["body"]["headers"]["content-type"],
        json!("application/x-www-form-urlencoded")
    );

    let e = failed(request(json!({ "method": "POST", "url": format!("{base}/echo"), "bodyType": "text", "body": 5 }), vec![]).await);
    assert_eq!(e.code, "params.invalid");
    assert!(e.message.contains("/params/body"), "{}", e.message);
    let e = failed(request(json!({ "method": "POST", "url": format!("{base}/echo"), "bodyType": "form", "body": "a=1" }), vec![]).await);
    assert_eq!(e.code, "params.invalid");
}

#[tokio::test]
async fn get_sends_no_body() {
    let base = server().await;
    let r = one(json!({ "url": format!("{base}/echo"), "body": { "ignored": true } })).await;
    assert_eq!(r["body"]["body"], json!(""));
}

#[tokio::test]
async fn url_may_be_an_expression_per_item() {
    let base = server().await;
    let p = json!({ "url": format!("{base}/status/{{{{ $json.code }}}}"), "failOnStatus": false });
    let out = done(request(p, vec![json!({ "code": 201 }), json!({ "code": 202 })]).await);
    let statuses: Vec<&Value> = out
        .get("main")
        .unwrap()
        .iter()
        .map(|r| &r["status"])
        .collect();
    assert_eq!(statuses, vec![&json!(201), &json!(202)]);
}

#[tokio::test]
async fn response_formats() {
    let base = server().await;
    assert_eq!(
        one(json!({ "url": format!("{base}/text") })).await["body"],
        json!("hello")
    );
    let text = one(json!({ "url": format!("{base}/echo"), "responseFormat": "text" })).await;
    assert!(text["body"].as_str().unwrap().starts_with('{'));
    let bad = one(json!({ "url": format!("{base}/badjson") })).await;
    assert_eq!(bad["body"], json!("not json"), "auto falls back to text");
    let e = failed(
        request(
            json!({ "url": format!("{base}/badjson"), "responseFormat": "json" }),
            vec![],
        )
        .await,
    );
    assert_eq!(e.code, "http.invalid_json");
    assert!(!e.is_transient());
    let e = failed(
        request(
            json!({ "url": format!("{base}/text"), "responseFormat": "json" }),
            vec![],
        )
        .await,
    );
    assert_eq!(e.code, "http.invalid_json");
    let head = one(json!({ "method": "HEAD", "url": format!("{base}/echo") })).await;
    assert_eq!(head["status"], json!(200));
}

#[tokio::test]
async fn client_errors_are_permanent() {
    let base = server().await;
    for code in [400, 401, 404, 422] {
        let e = failed(request(json!({ "url": format!("{base}/status/{code}") }), vec![]).await);
        assert_eq!(e.kind, ErrorKind::Permanent, "{code}");
        assert_eq!(e.code, "http.status");
        assert_eq!(e.details["status"], json!(code));
        assert_eq!(e.details["body"], json!(format!("status body {code}")));
        assert!(e.message.contains(&code.to_string()), "{}", e.message);
        assert!(
            !e.message.contains("/status/"),
            "paths stay out of messages: {}",
            e.message
        );
        assert_eq!(e.retry_after, None);
    }
}

#[tokio::test]
async fn server_errors_and_429_are_transient_with_retry_after() {
    let base = server().await;
    let e = failed(request(json!({ "url": format!("{base}/status/500") }), vec![]).await);
    assert_eq!(e.kind, ErrorKind::Transient);
    assert_eq!(e.code, "http.status");
    assert_eq!(e.retry_after, None);

    let e = failed(
        request(
            json!({ "method": "POST", "url": format!("{base}/status/503?retry=3") }),
            vec![],
        )
        .await,
    );
    assert!(e.is_transient());
    assert_eq!(e.retry_after, Some(Duration::from_secs(3)));

    let date = "Wed, 21 Oct 2015 07:28:00 GMT";
    let url = format!(
        "{base}/status/429?retry={}",
        date.replace(' ', "%20").replace(',', "%2C")
    );
    let e = failed(request(json!({ "url": url }), vec![]).await);
    assert!(e.is_transient());
    assert_eq!(e.details["status"], json!(429));
    assert_eq!(
        e.retry_after,
        Some(Duration::ZERO),
        "a date in the past means now"
    );
}

#[tokio::test]
async fn fail_on_status_false_makes_statuses_outputs() {
    let base = server().await;
    for code in [404, 500, 429] {
        let r = one(json!({ "url": format!("{base}/status/{code}"), "failOnStatus": false })).await;
        assert_eq!(r["status"], json!(code));
        assert_eq!(r["body"], json!(format!("status body {code}")));
    }
}

#[tokio::test]
async fn timeout_is_transient() {
    let base = server().await;
    let started = Instant::now();
    let e = failed(
        request(
            json!({ "url": format!("{base}/slow"), "timeout": "200ms" }),
            vec![],
        )
        .await,
    );
    assert_eq!(e.code, "http.timeout");
    assert!(e.is_transient());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn too_large_responses_fail() {
    let base = server().await;
    let ok = one(json!({ "url": format!("{base}/big?n=1000"), "maxResponseBytes": 1000 })).await;
    assert_eq!(ok["body"].as_str().unwrap().len(), 1000);

    let e = failed(
        request(
            json!({ "url": format!("{base}/big?n=1001"), "maxResponseBytes": 1000 }),
            vec![],
        )
        .await,
    );
    assert_eq!(e.code, "http.too_large");
    assert!(!e.is_transient());

    // No Content-Length: the limit applies while reading chunks.
    let ok =
        one(json!({ "url": format!("{base}/stream?chunks=4"), "maxResponseBytes": 4096 })).await;
    assert_eq!(ok["body"].as_str().unwrap().len(), 4096);
    let e = failed(
        request(
            json!({ "url": format!("{base}/stream?chunks=64"), "maxResponseBytes": 10000 }),
            vec![],
        )
        .await,
    );
    assert_eq!(e.code, "http.too_large");
}

#[tokio::test]
async fn connection_refused_is_transient() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = failed(
        request(
            json!({ "url": format!("http://127.0.0.1:{port}/x"), "timeout": "5s" }),
            vec![],
        )
        .await,
    );
    assert_eq!(e.code, "http.network", "{}", e.message);
    assert!(e.is_transient());
}

#[tokio::test]
async fn cancellation_returns_promptly() {
    let base = server().await;
    let cancel = CancellationToken::new();
    let ctx = ctx_with(
        json!({ "url": format!("{base}/slow") }),
        std::sync::Arc::new(NoChildren),
        cancel.clone(),
    );
    let node = HttpRequestNode::new();
    let started = Instant::now();
    let trigger = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancel.cancel();
    });
    let e = failed(node.execute(&ctx, NodeInput::main(vec![])).await);
    trigger.await.unwrap();
    assert_eq!(e.code, "cancelled");
    assert!(!e.is_transient());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn redirects_are_followed_up_to_ten() {
    let base = server().await;
    let r = one(json!({ "url": format!("{base}/redirect/3") })).await;
    assert_eq!(r["status"], json!(200));
    assert_eq!(r["body"]["query"], json!("arrived=1"));
    let e = failed(request(json!({ "url": format!("{base}/redirect/12") }), vec![]).await);
    assert_eq!(e.code, "http.redirect", "{}", e.message);
    assert!(!e.is_transient());
}

#[tokio::test]
async fn bad_params_are_refused_before_sending() {
    for (p, pointer) in [
        (json!({ "url": "ftp://example.com/file" }), "/params/url"),
        (json!({ "url": "file:///etc/passwd" }), "/params/url"),
        (json!({ "url": "not a url" }), "/params/url"),
        (json!({}), "url"),
        (
            json!({ "url": "http://127.0.0.1:1/", "method": "FETCH" }),
            "/params/method",
        ),
        (
            json!({ "url": "http://127.0.0.1:1/", "headers": { "bad name": "x" } }),
            "/params/headers/bad name",
        ),
        (
            json!({ "url": "http://127.0.0.1:1/", "headers": { "X-Secret": "line\nbreak-secret" } }),
            "/params/headers/X-Secret",
        ),
        (
            json!({ "url": "http://127.0.0.1:1/", "query": { "q": { "nested": 1 } } }),
            "/params/query/q",
        ),
        (
            json!({ "url": "http://127.0.0.1:1/", "timeout": "0s" }),
            "/params/timeout",
        ),
        (
            json!({ "url": "http://127.0.0.1:1/", "timeout": "later" }),
            "/params/timeout",
        ),
        (
            json!({ "url": "http://127.0.0.1:1/", "bodyType": "xml" }),
            "/params/bodyType",
        ),
        (
            json!({ "url": "http://127.0.0.1:1/", "retries": 3 }),
            "retries",
        ),
    ] {
        let e = failed(request(p.clone(), vec![]).await);
        assert_eq!(e.code, "params.invalid", "{p}: {}", e.message);
        assert!(e.message.contains(pointer), "{p}: {}", e.message);
        assert!(
            !e.message.contains("break-secret"),
            "header values stay out of messages"
        );
        assert!(!e.is_transient());
    }
}
