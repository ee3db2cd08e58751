//! `core.subworkflow` against the recording [`EngineServices`] double of the map tests; real
//! child runs are covered by the engine's tests.

use crate::map::{Recorder, child_doc, numbers, run_with};
use crate::support::*;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use weft_node_api::{ErrorKind, WorkflowSource};
use weft_nodes::SubworkflowNode;

#[tokio::test]
async fn once_runs_one_child_with_all_items() {
    let rec = Arc::new(Recorder::default());
    let out = done(
        run_with(
            &SubworkflowNode,
            json!({ "workflow": child_doc() }),
            numbers(3),
            rec.clone(),
        )
        .await,
    );
    assert_eq!(
        out.get("main").unwrap(),
        &[
            json!({ "n": 0, "doubled": 0 }),
            json!({ "n": 1, "doubled": 2 }),
            json!({ "n": 2, "doubled": 4 })
        ]
    );
    let requests = rec.requests.lock().unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].key, "once");
    assert_eq!(requests[0].input, numbers(3));
    assert_eq!(requests[0].workflow, WorkflowSource::Inline(child_doc()));
}

#[tokio::test]
async fn once_with_no_items_still_runs_the_child() {
    let rec = Arc::new(Recorder::default());
    let out = done(
        run_with(
            &SubworkflowNode,
            json!({ "workflowVersion": "wfv-9" }),
            vec![],
            rec.clone(),
        )
        .await,
    );
    assert_eq!(out.get("main"), Some(&[][..]));
    let requests = rec.requests.lock().unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].workflow,
        WorkflowSource::Version("wfv-9".into())
    );
}

#[tokio::test]
async fn per_item_runs_one_child_at_a_time_in_order() {
    let rec = Arc::new(Recorder::default());
    let p = json!({ "workflowVersion": "{{ $vars.childVersion }}", "mode": "perItem" });
    let out = done(run_with(&SubworkflowNode, p, numbers(4), rec.clone()).await);
    let ns: Vec<i64> = out
        .get("main")
        .unwrap()
        .iter()
        .map(|v| v["n"].as_i64().unwrap())
        .collect();
    assert_eq!(ns, vec![0, 1, 2, 3]);
    assert_eq!(rec.max_in_flight.load(Ordering::SeqCst), 1);
    let keys: Vec<String> = rec
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.key.clone())
        .collect();
    assert_eq!(keys, vec!["item/0", "item/1", "item/2", "item/3"]);
}

#[tokio::test]
async fn a_failed_child_is_subworkflow_failed() {
    let rec = Arc::new(Recorder {
        fail: [0].into(),
        ..Default::default()
    });
    let e = failed(
        run_with(
            &SubworkflowNode,
            json!({ "workflow": child_doc() }),
            numbers(2),
            rec,
        )
        .await,
    );
    assert_eq!(e.kind, ErrorKind::Permanent);
    assert_eq!(e.code, "subworkflow.failed");
    assert!(e.message.contains("child-once"), "{}", e.message);
    assert_eq!(
        e.details["error"],
        json!({ "code": "child.broke", "message": "cannot handle 0" })
    );

    let rec = Arc::new(Recorder {
        fail: [1].into(),
        ..Default::default()
    });
    let p = json!({ "workflow": child_doc(), "mode": "perItem" });
    let e = failed(run_with(&SubworkflowNode, p, numbers(3), rec.clone()).await);
    assert_eq!(e.code, "subworkflow.failed");
    assert_eq!(e.details["itemIndex"], json!(1));
    assert_eq!(
        rec.requests.lock().unwrap().len(),
        2,
        "stops at the failed item"
    );
}

#[tokio::test]
async fn params_are_validated() {
    for (p, needle) in [
        (json!({}), "one of"),
        (
            json!({ "workflow": child_doc(), "workflowVersion": "v" }),
            "only one",
        ),
        (json!({ "workflow": [1] }), "/params/workflow"),
        (
            json!({ "workflowVersion": "v", "mode": "each" }),
            "/params/mode",
        ),
        (
            json!({ "workflowVersion": "v", "concurrency": 2 }),
            "concurrency",
        ),
    ] {
        let rec = Arc::new(Recorder::default());
        let e = failed(run_with(&SubworkflowNode, p.clone(), numbers(1), rec.clone()).await);
        assert_eq!(e.code, "params.invalid", "{p}");
        assert!(e.message.contains(needle), "{p}: {}", e.message);
        assert!(rec.requests.lock().unwrap().is_empty());
    }
}
