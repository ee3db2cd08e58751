//! Webhooks: routing with path parameters, response modes, the respond node, signatures, limits.

use crate::{Server, error_code, send};
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

fn hook_doc(name: &str, params: Value, nodes: Value, edges: Value) -> Value {
    json!({
        "apiVersion": "weft/v1",
        "name": name,
        "triggers": [{ "id": "hook", "type": "webhook", "node": "first", "params": params }],
        "nodes": nodes,
        "edges": edges,
    })
}

fn echo_nodes() -> Value {
    json!([
        { "id": "first", "type": "core.set@1", "params": { "fields": {
            "orderId": "{{ $json.params.id }}",
            "verbose": "{{ $json.query.verbose }}",
            "total": "{{ $json.body.amount * 2 }}",
            "agent": "{{ $json.headers['x-agent'] }}"
        } } }
    ])
}

#[tokio::test]
async fn webhook_response_modes_and_routing() {
    let s = Server::start().await;
    s.publish(hook_doc(
        "sync",
        json!({ "path": "orders/:id", "method": "POST", "responseMode": "lastNode" }),
        echo_nodes(),
        json!([]),
    ))
    .await;
    let (status, body) = send(
        s.client
            .post(s.url("/webhook/orders/42?verbose=yes"))
            .header("x-agent", "tests")
            .header("authorization", "Bearer must-not-leak")
            .json(&json!({ "amount": 21 })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["orderId"], "42");
    assert_eq!(body["verbose"], "yes");
    assert_eq!(body["total"], 42);
    assert_eq!(body["agent"], "tests");

    // The run's input never holds the Authorization header.
    let (_, runs) = s.get("/api/v1/runs?limit=1").await;
    assert!(!runs.to_string().contains("must-not-leak"));

    // Immediately: 202 with the run id.
    s.publish(hook_doc(
        "async",
        json!({ "path": "events", "method": "ANY" }),
        json!([{ "id": "first", "type": "core.noop@1" }]),
        json!([]),
    ))
    .await;
    let (status, body) = send(s.client.put(s.url("/webhook/events")).body("plain text")).await;
    assert_eq!(status, 202, "{body}");
    let run = s.wait_run(body["runId"].as_str().unwrap()).await;
    assert_eq!(run["run"]["input"][0]["body"], "plain text");
    assert_eq!(run["run"]["input"][0]["method"], "PUT");

    // Unknown paths and wrong methods.
    let (status, body) = send(s.client.post(s.url("/webhook/nope"))).await;
    assert_eq!(status, 404);
    assert_eq!(error_code(&body), "webhook_not_found");
    let (status, body) = send(s.client.get(s.url("/webhook/orders/42"))).await;
    assert_eq!(status, 405, "{body}");
    assert_eq!(body["details"]["allowed"], json!(["POST"]));

    // A taken path cannot be published twice.
    let dup = s
        .create(hook_doc(
            "dup",
            json!({ "path": "events", "method": "GET" }),
            json!([{ "id": "first", "type": "core.noop@1" }]),
            json!([]),
        ))
        .await;
    let (status, body) = s
        .post(
            &format!("/api/v1/workflows/{}/publish", dup["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "{body}");

    // Malformed JSON and oversized bodies.
    let (status, body) = send(
        s.client
            .post(s.url("/webhook/orders/1"))
            .header("content-type", "application/json")
            .body("{oops"),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "malformed_json");
    let (status, body) = send(
        s.client
            .post(s.url("/webhook/orders/1"))
            .body(vec![b'a'; 300 * 1024]),
    )
    .await;
    assert_eq!(status, 413, "{body}");

    // Unpublishing removes the route.
    let list = s.get("/api/v1/workflows?search=sync").await.1;
    let sync = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "sync")
        .unwrap();
    let id = sync["id"].as_str().unwrap().to_string();
    let (status, _) = s
        .post(&format!("/api/v1/workflows/{id}/unpublish"), json!({}))
        .await;
    assert_eq!(status, 200);
    let (status, _) = send(s.client.post(s.url("/webhook/orders/42")).json(&json!({}))).await;
    assert_eq!(status, 404);
    s.stop().await;
}

#[tokio::test]
async fn the_respond_node_shapes_the_response() {
    let s = Server::start().await;
    s.publish(hook_doc(
        "responder",
        json!({ "path": "create", "responseMode": "respondNode" }),
        json!([
            { "id": "first", "type": "core.set@1", "params": { "fields": { "id": "{{ $json.body.id }}" } } },
            { "id": "reply", "type": "core.respond@1", "params": {
                "respondWith": "json", "status": 201,
                "headers": { "Location": "/orders/{{ $json.id }}" },
                "body": { "id": "{{ $json.id }}", "accepted": true }
            } },
            { "id": "after", "type": "core.wait@1", "params": { "duration": "1h" } }
        ]),
        json!([
            { "from": { "node": "first" }, "to": { "node": "reply" } },
            { "from": { "node": "reply" }, "to": { "node": "after" } }
        ]),
    ))
    .await;
    let resp = s
        .client
        .post(s.url("/webhook/create"))
        .json(&json!({ "id": "A-7" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        201,
        "answered as soon as the respond node ran, not after the wait"
    );
    assert_eq!(resp.headers()["location"], "/orders/A-7");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({ "id": "A-7", "accepted": true }));
    s.stop().await;
}

#[tokio::test]
async fn signed_webhooks_reject_bad_signatures() {
    let s = Server::start().await;
    let (status, cred) = s
        .post(
            "/api/v1/credentials",
            json!({ "name": "hook secret", "kind": "hmac", "fields": { "secret": "s3cret" } }),
        )
        .await;
    assert_eq!(status, 201, "{cred}");
    s.publish(hook_doc(
        "signed",
        json!({ "path": "signed", "signature": {
            "credential": cred["id"], "header": "X-Hub-Signature-256", "prefix": "sha256="
        } }),
        json!([{ "id": "first", "type": "core.noop@1" }]),
        json!([]),
    ))
    .await;
    let body = br#"{"event":"push"}"#;
    let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
    mac.update(body);
    let sig: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let post = |sig: Option<String>| {
        let mut r = s
            .client
            .request(Method::POST, s.url("/webhook/signed"))
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(sig) = sig {
            r = r.header("X-Hub-Signature-256", sig);
        }
        r
    };
    let (status, _) = send(post(Some(format!("sha256={sig}")))).await;
    assert_eq!(status, 202);
    let (status, body) = send(post(Some(format!("sha256={}", "0".repeat(64))))).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), "invalid_signature");
    let (status, _) = send(post(None)).await;
    assert_eq!(status, 401);
    s.stop().await;
}

/// Requests right after a publish find the new route, however many arrive at once (see
/// `trigger_cache`'s unit test for the race this guards against: 404s while another request
/// reloaded the table).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_right_after_a_publish_find_the_new_route() {
    let s = Server::start().await;
    for round in 0..5 {
        let path = format!("fresh-{round}");
        s.publish(hook_doc(
            &format!("fresh {round}"),
            json!({ "path": path, "responseMode": "lastNode" }),
            echo_nodes(),
            json!([]),
        ))
        .await;
        let calls = (0..16).map(|i| {
            send(
                s.client
                    .post(s.url(&format!("/webhook/{path}")))
                    .json(&json!({ "i": i })),
            )
        });
        for (status, body) in futures::future::join_all(calls).await {
            assert_eq!(status, 200, "round {round}: {body}");
        }
    }
    s.stop().await;
}
