//! Cron schedules: published triggers fire, pause and resume, preview, overlap.

use crate::{Server, error_code};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_published_cron_trigger_fires_and_can_be_paused() {
    let s = Server::start().await;
    let id = s
        .publish(json!({
            "apiVersion": "weft/v1",
            "name": "ticker",
            "triggers": [{ "id": "every-second", "type": "cron", "node": "n",
                           "params": { "expression": "* * * * * *", "timezone": "Europe/Berlin" } }],
            "nodes": [{ "id": "n", "type": "core.noop@1" }]
        }))
        .await;
    let (status, list) = s.get("/api/v1/schedules").await;
    assert_eq!(status, 200);
    let sched = &list["items"][0];
    assert_eq!(sched["workflowId"], id.as_str());
    assert_eq!(sched["timezone"], "Europe/Berlin");
    let sid = sched["id"].as_str().unwrap().to_string();

    // Wait for two ticks.
    let mut fired = 0;
    for _ in 0..100 {
        let (_, runs) = s.get(&format!("/api/v1/runs?workflowId={id}")).await;
        fired = runs["items"].as_array().unwrap().len();
        if fired >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(fired >= 2, "two ticks fired in 10 s, got {fired}");
    let (_, runs) = s.get(&format!("/api/v1/runs?workflowId={id}")).await;
    let input = &runs["items"][0]["input"][0];
    assert_eq!(input["scheduleId"], sid.as_str());
    assert!(input["scheduledAt"].is_string());

    let (status, paused) = s
        .post(&format!("/api/v1/schedules/{sid}/pause"), json!({}))
        .await;
    assert_eq!(status, 200, "{paused}");
    assert_eq!(paused["enabled"], false);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, before) = s.get(&format!("/api/v1/runs?workflowId={id}")).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, after) = s.get(&format!("/api/v1/runs?workflowId={id}")).await;
    assert_eq!(
        before["items"].as_array().unwrap().len(),
        after["items"].as_array().unwrap().len(),
        "a paused schedule does not fire"
    );
    let (status, resumed) = s
        .post(&format!("/api/v1/schedules/{sid}/resume"), json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(resumed["enabled"], true);
    assert_eq!(resumed["upcoming"].as_array().unwrap().len(), 5);

    // Unpublishing removes the schedule.
    s.post(&format!("/api/v1/workflows/{id}/unpublish"), json!({}))
        .await;
    let (_, list) = s.get("/api/v1/schedules").await;
    assert!(list["items"].as_array().unwrap().is_empty());
    s.stop().await;
}

#[tokio::test]
async fn preview_handles_time_zones_and_rejects_bad_expressions() {
    let s = Server::start().await;
    let (status, body) = s
        .post(
            "/api/v1/schedules/preview",
            json!({ "expression": "30 2 * * *", "timezone": "America/New_York", "count": 3 }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["upcoming"].as_array().unwrap().len(), 3);
    let (status, body) = s
        .post(
            "/api/v1/schedules/preview",
            json!({ "expression": "61 * * * *" }),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(error_code(&body), "invalid_cron");
    assert_eq!(body["details"]["pointer"], "/expression");
    let (status, body) = s
        .post(
            "/api/v1/workflows",
            json!({ "document": {
                "apiVersion": "weft/v1", "name": "bad-cron",
                "triggers": [{ "id": "t", "type": "cron", "node": "n", "params": { "expression": "nope" } }],
                "nodes": [{ "id": "n", "type": "core.noop@1" }]
            } }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    s.stop().await;
}

#[tokio::test]
async fn skip_overlap_does_not_start_a_tick_while_the_previous_run_is_going() {
    let s = Server::start().await;
    let id = s
        .publish(json!({
            "apiVersion": "weft/v1",
            "name": "slow-ticker",
            "triggers": [{ "id": "t", "type": "cron", "node": "n",
                           "params": { "expression": "* * * * * *", "overlap": "skip" } }],
            "nodes": [{ "id": "n", "type": "core.wait@1", "params": { "duration": "1h" } }]
        }))
        .await;
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let (_, runs) = s.get(&format!("/api/v1/runs?workflowId={id}")).await;
    assert_eq!(
        runs["items"].as_array().unwrap().len(),
        1,
        "only the first tick ran: {runs}"
    );
    s.stop().await;
}
