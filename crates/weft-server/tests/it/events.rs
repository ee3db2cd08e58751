//! Server-Sent Events: per run (durable, resumable by seq) and per organization.

use crate::{Server, greet};
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// Reads SSE frames until `stop` says so or 10 s pass; returns (event, id, data) triples.
async fn read_events(
    resp: reqwest::Response,
    stop: impl Fn(&str) -> bool,
) -> Vec<(String, Option<String>, Value)> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut stream = resp.bytes_stream();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("events within 10 s");
        let Some(chunk) = chunk else { return out };
        buf.push_str(&String::from_utf8_lossy(&chunk.expect("chunk")));
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            let (mut event, mut id, mut data) = (String::from("message"), None, String::new());
            for line in frame.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    event = v.trim().to_string();
                } else if let Some(v) = line.strip_prefix("id:") {
                    id = Some(v.trim().to_string());
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim());
                }
            }
            if data.is_empty() {
                continue;
            }
            let done = stop(&event);
            out.push((
                event,
                id,
                serde_json::from_str(&data).unwrap_or(Value::Null),
            ));
            if done {
                return out;
            }
        }
    }
}

#[tokio::test]
async fn run_events_replay_the_journal_and_resume_after_last_event_id() {
    let s = Server::start().await;
    let id = s.create(greet("streamed")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, run) = s
        .post(&format!("/api/v1/workflows/{id}/runs"), json!({}))
        .await;
    let run_id = run["id"].as_str().unwrap().to_string();
    s.wait_run(&run_id).await;

    let resp = s
        .req(Method::GET, &format!("/api/v1/runs/{run_id}/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let all = read_events(resp, |e| e == "end").await;
    let names: Vec<&str> = all.iter().map(|(e, _, _)| e.as_str()).collect();
    assert_eq!(names.first(), Some(&"runStarted"), "{names:?}");
    assert!(names.contains(&"stepSucceeded"), "{names:?}");
    assert_eq!(names.last(), Some(&"end"));
    assert_eq!(all[names.len() - 2].0, "runFinished");

    // Resuming after the first event skips it.
    let first_id = all[0].1.clone().expect("events carry their seq as id");
    let resp = s
        .req(Method::GET, &format!("/api/v1/runs/{run_id}/events"))
        .header("last-event-id", first_id)
        .send()
        .await
        .unwrap();
    let rest = read_events(resp, |e| e == "end").await;
    assert_eq!(rest.len(), all.len() - 1);
    assert_eq!(rest[0].1, all[1].1);
    s.stop().await;
}

#[tokio::test]
async fn organization_stream_sees_live_events() {
    let s = Server::start().await;
    let id = s.create(greet("live")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let resp = s.req(Method::GET, "/api/v1/events").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let reader = tokio::spawn(read_events(resp, |e| e == "runFinished"));
    // Give the stream a moment to subscribe before starting the run.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_, run) = s
        .post(&format!("/api/v1/workflows/{id}/runs"), json!({}))
        .await;
    let events = reader.await.unwrap();
    let finished = events.last().unwrap();
    assert_eq!(finished.0, "runFinished");
    assert_eq!(finished.2["runId"], run["id"]);
    assert_eq!(finished.2["workflowId"], id.as_str());
    assert!(
        events
            .iter()
            .any(|(e, _, d)| e == "stepSucceeded" && d["nodeType"] == "core.set@1")
    );

    // Reconnecting with the last id replays nothing twice.
    let last_id = finished.1.clone().unwrap();
    let resp = s
        .req(Method::GET, "/api/v1/events")
        .header("last-event-id", &last_id)
        .send()
        .await
        .unwrap();
    let reader = tokio::spawn(read_events(resp, |e| e == "runFinished"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_, run2) = s
        .post(&format!("/api/v1/workflows/{id}/runs"), json!({}))
        .await;
    let events = reader.await.unwrap();
    assert!(
        events
            .iter()
            .all(|(_, i, _)| i.as_deref().unwrap().parse::<u64>().unwrap()
                > last_id.parse::<u64>().unwrap())
    );
    assert_eq!(events.last().unwrap().2["runId"], run2["id"]);
    s.stop().await;
}

#[tokio::test]
async fn run_completed_triggers_start_the_listening_workflow() {
    let s = Server::start().await;
    let source = s.create(greet("source")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    s.publish(json!({
        "apiVersion": "weft/v1",
        "name": "follower",
        "triggers": [{ "id": "after", "type": "runCompleted", "node": "n",
                       "params": { "workflow": source, "status": "succeeded" } }],
        "nodes": [{ "id": "n", "type": "core.noop@1" }]
    }))
    .await;
    let (_, run) = s
        .post(&format!("/api/v1/workflows/{source}/runs"), json!({}))
        .await;
    s.wait_run(run["id"].as_str().unwrap()).await;
    for _ in 0..200 {
        let (_, list) = s.get("/api/v1/runs?status=succeeded").await;
        let items = list["items"].as_array().unwrap();
        if let Some(f) = items.iter().find(|r| r["workflowName"] == "follower") {
            assert_eq!(f["input"][0]["runId"], run["id"]);
            assert_eq!(f["input"][0]["status"], "succeeded");
            s.stop().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the follower did not run");
}

#[tokio::test]
async fn run_events_show_a_pure_step_running_before_it_ends() {
    let s = Server::start().await;
    let slow = |id: &str| {
        json!({ "id": id, "type": "code.js@1", "params": {
            "code": "const t = Date.now(); while (Date.now() - t < 600) {} return $input.all().map(i => i.json);"
        } })
    };
    let doc = json!({
        "apiVersion": "weft/v1",
        "name": "slow and pure",
        "nodes": [slow("first"), slow("second")],
        "edges": [{ "from": { "node": "first" }, "to": { "node": "second" } }]
    });
    let id = s.create(doc).await["id"].as_str().unwrap().to_string();
    let (_, run) = s
        .post(
            &format!("/api/v1/workflows/{id}/runs"),
            json!({ "input": [{}] }),
        )
        .await;
    let run_id = run["id"].as_str().unwrap().to_string();
    // Subscribed while `first` runs (it started before): `second` starts 600 ms later.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let resp = s
        .req(Method::GET, &format!("/api/v1/runs/{run_id}/events"))
        .send()
        .await
        .unwrap();
    let all = read_events(resp, |e| e == "end").await;
    let started = all
        .iter()
        .position(|(e, id, d)| e == "stepStarted" && id.is_none() && d["node"] == "second")
        .unwrap_or_else(|| panic!("a live stepStarted for the pure step: {all:?}"));
    assert_eq!(all[started].2["runId"], run_id.as_str());
    assert_eq!(all[started].2["attempt"], 1);
    let succeeded = all
        .iter()
        .position(|(e, id, d)| {
            e == "stepSucceeded" && id.is_some() && d["event"]["node"] == "second"
        })
        .expect("its journaled end");
    assert!(started < succeeded, "start before end: {all:?}");
    // `first` started before the subscription: its start is still reported, before its end.
    let first_started = all
        .iter()
        .position(|(e, id, d)| e == "stepStarted" && id.is_none() && d["node"] == "first")
        .unwrap_or_else(|| panic!("the start that preceded the subscription: {all:?}"));
    let first_done = all
        .iter()
        .position(|(e, _, d)| e == "stepSucceeded" && d["event"]["node"] == "first")
        .expect("first's end");
    assert!(first_started < first_done, "{all:?}");
    // Pure steps journal no start: the only stepStarted events are live ones.
    assert!(
        all.iter()
            .filter(|(e, _, _)| e == "stepStarted")
            .all(|(_, id, _)| id.is_none()),
        "{all:?}"
    );
    s.stop().await;
}
