//! Test runs with pinned outputs (`pinnedData` in the start-run body): pinned nodes are not
//! executed, their downstream reads the pinned items; bad pins are refused naming the node.

use crate::*;
use reqwest::Method;
use serde_json::{Value, json};

fn pipeline() -> Value {
    json!({
        "apiVersion": "weft/v1",
        "name": "pinned pipeline",
        "nodes": [
            { "id": "a", "type": "core.set@1", "params": { "fields": { "fromA": "{{ $json.n }}" } } },
            { "id": "fetch", "type": "code.js@1", "params": { "code": "throw new Error('the API is down')" } },
            { "id": "c", "type": "core.set@1", "params": { "fields": { "seen": "{{ $json.city }}" } } }
        ],
        "edges": [
            { "from": { "node": "a" }, "to": { "node": "fetch" } },
            { "from": { "node": "fetch" }, "to": { "node": "c" } }
        ]
    })
}

fn step<'a>(detail: &'a Value, node: &str) -> &'a Value {
    detail["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["node"] == node)
        .unwrap_or_else(|| panic!("no step {node} in {detail}"))
}

#[tokio::test]
async fn a_pinned_node_is_not_executed_and_feeds_its_downstream() {
    let s = Server::start().await;
    let id = s.create(pipeline()).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/workflows/{id}/runs");

    // Without pins the failing node fails the run.
    let (status, run) = s.post(&path, json!({ "input": [{ "n": 1 }] })).await;
    assert_eq!(status, 201, "{run}");
    let detail = s.wait_run(run["id"].as_str().unwrap()).await;
    assert_eq!(detail["run"]["status"], "failed", "{detail}");
    assert_eq!(step(&detail, "fetch")["status"], "failed");

    // Pinned, it succeeds with the pinned items, which the next node reads.
    let (status, run) = s
        .post(
            &path,
            json!({
                "input": [{ "n": 1 }],
                "pinnedData": { "fetch": [{ "city": "Oslo" }, { "city": "Lima" }] }
            }),
        )
        .await;
    assert_eq!(status, 201, "{run}");
    let detail = s.wait_run(run["id"].as_str().unwrap()).await;
    assert_eq!(detail["run"]["status"], "succeeded", "{detail}");
    let out = detail["run"]["output"].as_array().expect("output");
    assert_eq!(out.len(), 2, "{detail}");
    assert_eq!(out[0]["seen"], "Oslo");
    assert_eq!(out[1]["seen"], "Lima");
    let fetch = step(&detail, "fetch");
    assert_eq!(fetch["status"], "succeeded");
    assert_eq!(fetch["output"]["ports"][0][0], "main");
    assert_eq!(fetch["output"]["ports"][0][1][1]["city"], "Lima");
    assert!(
        fetch["logs"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("pinned"),
        "{fetch}"
    );
    // The node upstream of the pin still ran.
    assert_eq!(step(&detail, "a")["status"], "succeeded");
    assert_eq!(step(&detail, "a")["output"]["ports"][0][1][0]["fromA"], 1);

    // Pinning the first node: the set node's own expression is not evaluated.
    let (_, run) = s
        .post(
            &path,
            json!({ "input": [{ "n": 1 }], "pinnedData": {
                "a": [{ "fromA": "pinned" }],
                "fetch": { "main": [{ "city": "Rome" }] }
            } }),
        )
        .await;
    let detail = s.wait_run(run["id"].as_str().unwrap()).await;
    assert_eq!(detail["run"]["status"], "succeeded", "{detail}");
    assert_eq!(
        step(&detail, "a")["output"]["ports"][0][1][0]["fromA"],
        "pinned"
    );
    assert_eq!(detail["run"]["output"][0]["seen"], "Rome");

    // An empty map is an ordinary run.
    let (status, run) = s.post(&path, json!({ "pinnedData": {} })).await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(
        s.wait_run(run["id"].as_str().unwrap()).await["run"]["status"],
        "failed"
    );
    s.stop().await;
}

#[tokio::test]
async fn bad_pins_are_refused_naming_the_node() {
    let s = Server::start().await;
    let id = s.create(pipeline()).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/workflows/{id}/runs");
    let (_, before) = s.get(&format!("/api/v1/runs?workflowId={id}")).await;
    let runs_before = before["items"].as_array().unwrap().len();

    let (status, body) = s
        .post(
            &path,
            json!({ "pinnedData": { "fetch": [], "nope": [{}] } }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(error_code(&body), "invalid_pinned_data");
    assert!(body["message"].as_str().unwrap().contains("nope"), "{body}");
    assert_eq!(body["details"]["pointer"], "/pinnedData/nope");
    assert_eq!(body["details"]["node"], "nope");

    for bad in [json!(7), json!({ "main": "x" }), json!({}), json!(null)] {
        let (status, body) = s
            .post(&path, json!({ "pinnedData": { "fetch": bad } }))
            .await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert_eq!(body["details"]["pointer"], "/pinnedData/fetch", "{body}");
    }
    let (status, body) = send(
        s.req(Method::POST, &path)
            .json(&json!({ "pinnedData": [{ "fetch": [] }] })),
    )
    .await;
    assert_eq!(status, 422, "a list is not a map: {body}");

    // Nothing was started by the refused requests.
    let (_, after) = s.get(&format!("/api/v1/runs?workflowId={id}")).await;
    assert_eq!(after["items"].as_array().unwrap().len(), runs_before);
    s.stop().await;
}
