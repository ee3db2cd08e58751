use crate::support::*;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use weft_node_api::{NodeOutput, NodeType, StepResult};
use weft_nodes::WaitNode;

async fn sleep_until(p: Value, items: Vec<Value>) -> (DateTime<Utc>, NodeOutput) {
    match run(&WaitNode, p, items).await {
        Ok(StepResult::Sleep { until, output }) => (until, output),
        other => panic!("expected Sleep, got {other:?}"),
    }
}

#[tokio::test]
async fn duration_string_adds_to_the_step_clock() {
    let items = vec![json!({ "a": 1 }), json!({ "a": 2 })];
    let (until, out) = sleep_until(json!({ "duration": "1h 30m" }), items.clone()).await;
    assert_eq!(until.timestamp_millis(), NOW_MS + 90 * 60 * 1000);
    assert_eq!(out, NodeOutput::main(items));
}

#[tokio::test]
async fn duration_in_milliseconds_and_expressions() {
    let (until, _) = sleep_until(json!({ "duration": 250 }), vec![]).await;
    assert_eq!(until.timestamp_millis(), NOW_MS + 250);
    let (until, _) = sleep_until(
        json!({ "duration": "{{ $json.secs }}s" }),
        vec![json!({ "secs": 5 })],
    )
    .await;
    assert_eq!(until.timestamp_millis(), NOW_MS + 5000);
}

#[tokio::test]
async fn until_a_timestamp() {
    let (until, out) = sleep_until(
        json!({ "until": "{{ $json.at }}" }),
        vec![json!({ "at": "2030-01-01T09:00:00+01:00" })],
    )
    .await;
    assert_eq!(
        until,
        "2030-01-01T08:00:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert_eq!(out.get("main").unwrap().len(), 1);
}

#[tokio::test]
async fn until_in_the_past_sleeps_until_then() {
    let (until, _) = sleep_until(json!({ "until": "2001-01-01T00:00:00Z" }), vec![]).await;
    assert!(until.timestamp_millis() < NOW_MS);
}

#[tokio::test]
async fn bad_params() {
    for (p, pointer) in [
        (json!({}), "/params"),
        (
            json!({ "duration": "5s", "until": "2030-01-01T00:00:00Z" }),
            "/params",
        ),
        (json!({ "duration": "soon" }), "/params/duration"),
        (json!({ "duration": -5 }), "/params/duration"),
        (json!({ "until": "tomorrow" }), "/params/until"),
        (json!({ "until": "tomorrow", "extra": 1 }), "extra"),
    ] {
        let e = failed(run(&WaitNode, p.clone(), vec![]).await);
        assert_eq!(e.code, "params.invalid", "{p}");
        assert!(e.message.contains(pointer), "{p}: {}", e.message);
    }
}

#[test]
fn ports() {
    let ports = WaitNode
        .ports(&params(json!({ "duration": "1s" })))
        .unwrap();
    assert_eq!(ports.outputs[0].name, "main");
}
