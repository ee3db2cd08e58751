//! Bad input gets the right 4xx with a clear message, in the one error body.

use crate::{Server, error_code, greet, send};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn bad_requests_get_clear_4xx_errors() {
    let s = Server::start().await;

    let (status, body) = send(s.client.get(s.url("/api/v1/workflows"))).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), "unauthorized");
    let (status, body) = send(s.req_as("weft_wrong", Method::GET, "/api/v1/workflows")).await;
    assert_eq!(status, 401, "{body}");

    let (status, body) = send(
        s.req(Method::POST, "/api/v1/workflows")
            .header("content-type", "application/json")
            .body("{\"document\": "),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "malformed_json");

    let (status, body) = s.post("/api/v1/workflows", json!({ "document": 5 })).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(error_code(&body), "invalid_document");

    let (status, body) = s.post("/api/v1/workflows", json!({ "documnt": {} })).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(error_code(&body), "invalid_body");
    assert!(
        body["message"].as_str().unwrap().contains("documnt"),
        "{body}"
    );

    // A document with a typo names the pointer; one that breaks the rules lists diagnostics.
    let mut typo = greet("typo");
    typo["nodes"][0]["setings"] = json!({});
    let (status, body) = s
        .post("/api/v1/workflows", json!({ "document": typo }))
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["details"]["pointer"], "/nodes/0/setings", "{body}");
    let (status, body) = s
        .post(
            "/api/v1/workflows",
            json!({ "document": {
                "apiVersion": "weft/v1", "name": "bad",
                "nodes": [{ "id": "a", "type": "core.nope@1" }]
            } }),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(error_code(&body), "validation_failed");
    assert_eq!(
        body["details"]["diagnostics"][0]["pointer"], "/nodes/0/type",
        "{body}"
    );

    // YAML text is accepted too.
    let (status, body) = s
        .post(
            "/api/v1/workflows",
            json!({ "document": "apiVersion: weft/v1\nname: from-yaml\nnodes:\n  - id: a\n    type: core.noop@1\n" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    let (status, body) = s
        .post(
            "/api/v1/workflows",
            json!({ "document": greet("from-yaml") }),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(error_code(&body), "conflict");

    // Oversized bodies.
    let big = "x".repeat(2 * 1024 * 1024);
    let (status, body) = send(
        s.req(Method::POST, "/api/v1/workflows")
            .json(&json!({ "document": big })),
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(error_code(&body), "payload_too_large");

    // Unknown ids, bad ids, unknown routes, wrong methods, bad query params.
    let (status, body) = s.get("/api/v1/runs/not-a-uuid").await;
    assert_eq!(status, 404);
    assert_eq!(error_code(&body), "not_found");
    let (status, _) = s
        .get("/api/v1/runs/0190f2a0-0000-7000-8000-000000000000")
        .await;
    assert_eq!(status, 404);
    let (status, body) = s.get("/api/v1/nothing-here").await;
    assert_eq!(status, 404);
    assert_eq!(error_code(&body), "route_not_found");
    let (status, body) = send(s.req(Method::PUT, "/api/v1/runs")).await;
    assert_eq!(status, 405, "{body}");
    let (status, body) = s.get("/api/v1/workflows?limit=0").await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "invalid_query");
    let (status, body) = s.get("/api/v1/runs?status=sleepy").await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = s.get("/api/v1/runs?from=yesterday").await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = send(
        s.req(Method::PATCH, "/api/v1/workflows/wf_x")
            .header("if-match", "nonsense")
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    s.stop().await;
}
