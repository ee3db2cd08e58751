//! Workflows, versions, runs, credentials, the catalog and the OpenAPI document.

use crate::{Server, error_code, greet, send};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn workflow_lifecycle_versions_diff_rollback_and_etags() {
    let s = Server::start().await;
    let wf = s.create(greet("orders")).await;
    let id = wf["id"].as_str().unwrap().to_string();
    assert_eq!(wf["latestVersion"], 1);
    assert_eq!(wf["tags"], json!(["test"]));
    let path = format!("/api/v1/workflows/{id}");

    let resp = s.req(Method::GET, &path).send().await.unwrap();
    let etag1 = resp.headers()["etag"].to_str().unwrap().to_string();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["document"]["name"], "orders");

    // A new document is a new version; the ETag moves on.
    let mut doc2 = greet("orders");
    doc2["nodes"][0]["params"]["fields"]["message"] = json!("Hi, {{ $json.name }}");
    doc2["nodes"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "id": "done", "type": "core.noop@1" }));
    doc2["edges"] = json!([{ "from": { "node": "greet" }, "to": { "node": "done" } }]);
    let resp = s
        .req(Method::PATCH, &path)
        .header("if-match", &etag1)
        .json(&json!({ "document": doc2, "message": "friendlier", "tags": ["b", "a"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let etag2 = resp.headers()["etag"].to_str().unwrap().to_string();
    assert_ne!(etag1, etag2);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["latestVersion"], 2);
    assert_eq!(body["tags"], json!(["a", "b"]));

    // A stale If-Match is refused and changes nothing.
    let (status, body) = send(
        s.req(Method::PATCH, &path)
            .header("if-match", &etag1)
            .json(&json!({ "description": "lost update" })),
    )
    .await;
    assert_eq!(status, 412, "{body}");
    assert_eq!(error_code(&body), "revision_mismatch");
    let (_, now) = s.get(&path).await;
    assert_eq!(now["description"], "");

    // Saving the same document again is not a new version.
    let (status, body) = send(
        s.req(Method::PATCH, &path)
            .json(&json!({ "document": doc2 })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["latestVersion"], 2);

    let (_, versions) = s.get(&format!("{path}/versions")).await;
    let items = versions["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["number"], 2);
    assert_eq!(items[0]["message"], "friendlier");
    assert!(items[0]["author"].as_str().unwrap().starts_with("usr_"));

    let (status, diff) = s.get(&format!("{path}/diff?from=1&to=2")).await;
    assert_eq!(status, 200, "{diff}");
    let text = diff.to_string();
    assert!(
        text.contains("done"),
        "the added node is in the diff: {diff}"
    );
    assert!(
        text.contains("/fields/message"),
        "the changed param is named by pointer: {diff}"
    );

    let (status, body) = s
        .post(&format!("{path}/rollback"), json!({ "version": 1 }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["latestVersion"], 3);
    assert_eq!(body["document"]["nodes"].as_array().unwrap().len(), 1);
    let (_, v3) = s.get(&format!("{path}/versions/3")).await;
    assert_eq!(v3["message"], "Rolled back to version 1");

    // Search and tag filters.
    s.create(greet("invoices")).await;
    let (_, list) = s.get("/api/v1/workflows?search=ORD").await;
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["orders"]);
    let (_, list) = s.get("/api/v1/workflows?tag=test").await;
    assert_eq!(list["items"][0]["name"], "invoices");
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (_, list) = s.get("/api/v1/workflows?tag=a,b").await;
    assert_eq!(list["items"][0]["name"], "orders");
    let (_, page) = s.get("/api/v1/workflows?limit=1").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let cursor = page["nextCursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let (_, page2) = s
        .get(&format!("/api/v1/workflows?limit=1&cursor={cursor}"))
        .await;
    assert_ne!(page["items"][0]["id"], page2["items"][0]["id"]);

    // Duplicate, export, import, bulk delete.
    let (status, copy) = s.post(&format!("{path}/duplicate"), json!({})).await;
    assert_eq!(status, 201, "{copy}");
    assert_eq!(copy["name"], "orders (copy)");
    let (status, file) = s
        .post("/api/v1/workflows/export", json!({ "ids": [id] }))
        .await;
    assert_eq!(status, 200, "{file}");
    assert_eq!(file["format"], "weft-export/v1");
    let (status, imported) = s
        .post("/api/v1/workflows/import", json!({ "file": file }))
        .await;
    assert_eq!(status, 201, "{imported}");
    assert_eq!(imported["created"][0]["name"], "orders (2)");
    let (status, skipped) = s
        .post(
            "/api/v1/workflows/import",
            json!({ "file": file, "onConflict": "skip" }),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(skipped["skipped"], json!(["orders"]));
    let copy_id = copy["id"].as_str().unwrap();
    let (status, bulk) = s
        .post(
            "/api/v1/workflows/bulk-delete",
            json!({ "ids": [copy_id, "wf_nope"] }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(bulk["done"], json!([copy_id]));
    assert_eq!(bulk["notFound"], json!(["wf_nope"]));

    let (status, _) = send(s.req(Method::DELETE, &path)).await;
    assert_eq!(status, 204);
    let (status, body) = s.get(&path).await;
    assert_eq!(status, 404);
    assert_eq!(error_code(&body), "not_found");
    s.stop().await;
}

#[tokio::test]
async fn runs_start_idempotently_and_show_their_steps() {
    let s = Server::start().await;
    let id = s.create(greet("greeter")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let start = |key: &'static str| {
        s.req(Method::POST, &format!("/api/v1/workflows/{id}/runs"))
            .header("idempotency-key", key)
            .json(&json!({ "input": [{ "name": "Ada" }, { "name": "Bob" }] }))
    };
    let (status, run) = send(start("order-1")).await;
    assert_eq!(status, 201, "{run}");
    let (status, again) = send(start("order-1")).await;
    assert_eq!(status, 200, "a repeated key returns the first run: {again}");
    assert_eq!(run["id"], again["id"]);
    let run_id = run["id"].as_str().unwrap();

    let detail = s.wait_run(run_id).await;
    assert_eq!(detail["run"]["status"], "succeeded");
    assert_eq!(detail["run"]["workflowId"], id.as_str());
    assert_eq!(detail["run"]["output"][1]["message"], "Hello, Bob!");
    let step = &detail["steps"][0];
    assert_eq!(step["node"], "greet");
    assert_eq!(step["status"], "succeeded");
    assert_eq!(step["attempts"], 1);
    assert!(step["startedAt"].is_string() && step["finishedAt"].is_string());

    // Filters.
    let (_, list) = s
        .get(&format!("/api/v1/runs?workflowId={id}&status=succeeded"))
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (_, list) = s.get("/api/v1/runs?status=failed").await;
    assert!(list["items"].as_array().unwrap().is_empty());
    let (_, list) = s.get("/api/v1/runs?tag=test").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (_, list) = s.get("/api/v1/runs?from=2999-01-01T00:00:00Z").await;
    assert!(list["items"].as_array().unwrap().is_empty());

    // Retry a finished run; cancelling a finished run is a conflict.
    let (status, retried) = s
        .post(&format!("/api/v1/runs/{run_id}/retry"), json!({}))
        .await;
    assert_eq!(status, 201, "{retried}");
    assert_ne!(retried["id"], run["id"]);
    assert_eq!(
        s.wait_run(retried["id"].as_str().unwrap()).await["run"]["status"],
        "succeeded"
    );
    let (status, body) = s
        .post(&format!("/api/v1/runs/{run_id}/cancel"), json!({}))
        .await;
    assert_eq!(status, 409, "{body}");
    s.stop().await;
}

#[tokio::test]
async fn a_waiting_run_can_be_cancelled() {
    let s = Server::start().await;
    let id = s
        .create(json!({
            "apiVersion": "weft/v1",
            "name": "slow",
            "nodes": [{ "id": "wait", "type": "core.wait@1", "params": { "duration": "1h" } }]
        }))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, run) = s
        .post(&format!("/api/v1/workflows/{id}/runs"), json!({}))
        .await;
    assert_eq!(status, 201, "{run}");
    let run_id = run["id"].as_str().unwrap();
    let (status, body) = s
        .post(&format!("/api/v1/runs/{run_id}/cancel"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(s.wait_run(run_id).await["run"]["status"], "cancelled");
    s.stop().await;
}

#[tokio::test]
async fn credentials_are_write_only() {
    let s = Server::start().await;
    let (status, cred) = s
        .post(
            "/api/v1/credentials",
            json!({ "name": "github", "kind": "bearer", "fields": { "token": "ghp_supersecret" } }),
        )
        .await;
    assert_eq!(status, 201, "{cred}");
    assert!(!cred.to_string().contains("supersecret"));
    let (_, list) = s.get("/api/v1/credentials").await;
    assert_eq!(list["items"][0]["name"], "github");
    assert!(!list.to_string().contains("supersecret"));
    let (status, body) = s
        .post(
            "/api/v1/credentials",
            json!({ "name": "bad", "kind": "basic", "fields": { "username": "u" } }),
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        body["message"].as_str().unwrap().contains("password"),
        "{body}"
    );
    let id = cred["id"].as_str().unwrap();
    let (status, _) = send(s.req(Method::DELETE, &format!("/api/v1/credentials/{id}"))).await;
    assert_eq!(status, 204);
    s.stop().await;
}

#[tokio::test]
async fn catalog_openapi_health_and_metrics() {
    let s = Server::start().await;
    let (status, nodes) = s.get("/api/v1/nodes").await;
    assert_eq!(status, 200);
    assert!(nodes["items"].as_array().unwrap().len() >= 10);
    let (status, http) = s.get("/api/v1/nodes/core.set").await;
    assert_eq!(status, 200, "{http}");
    assert_eq!(http["type"], "core.set@1");
    assert!(http["paramsSchema"].is_object(), "{http}");
    assert!(http["ports"].is_object(), "{http}");
    assert!(
        http["description"].as_str().unwrap().contains("Example"),
        "{http}"
    );

    let (status, doc) = send(s.client.get(s.url("/api/openapi.json"))).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for p in [
        "/api/v1/workflows",
        "/api/v1/runs/{id}",
        "/api/v1/api-keys",
        "/healthz",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p} is documented");
    }

    let (status, _) = send(s.client.get(s.url("/healthz"))).await;
    assert_eq!(status, 200);
    let (status, ready) = send(s.client.get(s.url("/readyz"))).await;
    assert_eq!(status, 200, "{ready}");

    let id = s.create(greet("metered")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, run) = s
        .post(&format!("/api/v1/workflows/{id}/runs"), json!({}))
        .await;
    s.wait_run(run["id"].as_str().unwrap()).await;
    let text = s
        .client
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for m in [
        "weft_runs_started_total{workflow=\"metered\"} 1",
        "weft_runs_finished_total{",
        "weft_step_duration_seconds_bucket{",
        "weft_queue_depth",
        "weft_active_runs",
        "weft_http_requests_total{",
        // The server's own engine is the one process on its database.
        "weft_live_workers 1\n",
    ] {
        assert!(text.contains(m), "{m} in /metrics:\n{text}");
    }
    s.stop().await;
}

#[tokio::test]
async fn retry_from_the_failed_step_keeps_what_succeeded() {
    let s = Server::start().await;
    let doc = |boom: Value| {
        json!({
            "apiVersion": "weft/v1",
            "name": "fragile",
            "nodes": [
                { "id": "a", "type": "core.set@1", "params": { "fields": { "ranIn": "{{ $run.id }}" } } },
                boom
            ],
            "edges": [{ "from": { "node": "a" }, "to": { "node": "boom" } }]
        })
    };
    let wf = s
        .create(doc(
            json!({ "id": "boom", "type": "core.error@1", "params": { "message": "not yet" } }),
        ))
        .await;
    let id = wf["id"].as_str().unwrap().to_string();
    let (_, run) = s
        .post(
            &format!("/api/v1/workflows/{id}/runs"),
            json!({ "input": [{}] }),
        )
        .await;
    let old_id = run["id"].as_str().unwrap().to_string();
    assert_eq!(s.wait_run(&old_id).await["run"]["status"], "failed");

    // Fix the failing step in a new version and retry on it.
    let (status, body) = send(
        s.req(Method::PATCH, &format!("/api/v1/workflows/{id}"))
            .json(&json!({ "document": doc(json!({ "id": "boom", "type": "core.set@1", "params": { "fields": { "fixed": true } } })) })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, retried) = s
        .post(
            &format!("/api/v1/runs/{old_id}/retry"),
            json!({ "version": "latest" }),
        )
        .await;
    assert_eq!(status, 201, "{retried}");
    let detail = s.wait_run(retried["id"].as_str().unwrap()).await;
    assert_eq!(detail["run"]["status"], "succeeded", "{detail}");
    let out = &detail["run"]["output"][0];
    assert_eq!(out["fixed"], true, "{detail}");
    assert_eq!(
        out["ranIn"],
        old_id.as_str(),
        "step a kept its result: it did not run again"
    );

    // A whole retry runs everything.
    let (status, whole) = s
        .post(
            &format!("/api/v1/runs/{old_id}/retry"),
            json!({ "version": "latest", "mode": "whole" }),
        )
        .await;
    assert_eq!(status, 201, "{whole}");
    let whole_id = whole["id"].as_str().unwrap();
    let detail = s.wait_run(whole_id).await;
    assert_eq!(detail["run"]["output"][0]["ranIn"], whole_id);

    // On the same (still broken) version, the retry fails again at the same step.
    let (_, same) = s
        .post(&format!("/api/v1/runs/{old_id}/retry"), json!({}))
        .await;
    let detail = s.wait_run(same["id"].as_str().unwrap()).await;
    assert_eq!(detail["run"]["status"], "failed");
    let (status, body) = s
        .post(
            &format!("/api/v1/runs/{old_id}/retry"),
            json!({ "mode": "sideways" }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    s.stop().await;
}

#[tokio::test]
async fn a_waiting_step_is_approved_or_refused_through_the_api() {
    let s = Server::start().await;
    let wf = s
        .create(json!({
            "apiVersion": "weft/v1",
            "name": "refund",
            "nodes": [
                { "id": "ask", "type": "core.approval@1",
                  "params": { "message": "Refund {{ $json.amount }}?", "details": "{{ $json }}" } },
                { "id": "pay", "type": "core.set@1", "params": { "fields": { "paid": true } } }
            ],
            "edges": [{ "from": { "node": "ask", "port": "approved" }, "to": { "node": "pay" } }]
        }))
        .await;
    let wf_id = wf["id"].as_str().unwrap();
    let (status, run) = s
        .post(
            &format!("/api/v1/workflows/{wf_id}/runs"),
            json!({ "input": [{ "amount": 30 }] }),
        )
        .await;
    assert_eq!(status, 201, "{run}");
    let run_id = run["id"].as_str().unwrap().to_string();
    let mut detail = Value::Null;
    for _ in 0..400 {
        detail = s.get(&format!("/api/v1/runs/{run_id}")).await.1;
        if detail["steps"][0]["status"] == "awaiting" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(detail["steps"][0]["status"], "awaiting", "{detail}");
    assert_eq!(
        detail["steps"][0]["awaiting"],
        json!({ "message": "Refund 30?", "items": 1, "details": { "amount": 30 } })
    );

    // A key without runs:write may look but not decide.
    let (_, key) = s
        .post(
            "/api/v1/api-keys",
            json!({ "name": "auditor", "scopes": ["runs:read"] }),
        )
        .await;
    let reader = key["secret"].as_str().unwrap();
    let approve = format!("/api/v1/runs/{run_id}/steps/ask/approve");
    let (status, body) = send(s.req_as(reader, Method::POST, &approve).json(&json!({}))).await;
    assert_eq!(status, 403, "{body}");

    let (status, body) = s
        .post(
            &format!("/api/v1/runs/{run_id}/steps/nope/approve"),
            json!({}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("\"nope\""),
        "{body}"
    );
    let (status, body) = s
        .post(
            &format!("/api/v1/runs/{run_id}/steps/ask/resume"),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(error_code(&body), "conflict");

    let (status, body) = s
        .post(&approve, json!({ "comment": "fine", "extra": 1 }))
        .await;
    assert_eq!(status, 422, "unknown fields are refused: {body}");
    let (status, body) = s.post(&approve, json!({ "comment": "fine" })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["decision"], "approved");
    assert_eq!(body["by"], "admin@localhost");
    let done = s.wait_run(&run_id).await;
    assert_eq!(done["run"]["status"], "succeeded");
    assert_eq!(done["run"]["output"][0]["paid"], true);
    assert_eq!(done["run"]["output"][0]["approval"]["comment"], "fine");

    let (status, body) = s.post(&approve, json!({})).await;
    assert_eq!(status, 409, "decided once: {body}");
    s.stop().await;
}
