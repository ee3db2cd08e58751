//! `core.map` against an [`EngineServices`] double.
//!
//! The double records every child request and answers with output computed from the child's
//! input; it never interprets the child document. Running real child documents end to end
//! (durable child runs, recovery, keys surviving a crash) is covered by the engine's tests.

use crate::support::*;
use async_trait::async_trait;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use weft_node_api::{
    ChildOutcome, ChildRequest, EngineServices, ErrorKind, NodeError, NodeInput, NodeType,
    StepContext, StepResult, WorkflowSource,
};
use weft_nodes::MapNode;

/// Records requests; child `item/i` with input `[{"n": x}]` outputs `[{"n": x, "doubled": 2x}]`
/// after a delay that shrinks with `i`, so later items finish first.
#[derive(Default)]
pub struct Recorder {
    pub requests: Mutex<Vec<ChildRequest>>,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    /// Child runs with these item numbers (`n`) fail.
    pub fail: HashSet<i64>,
    /// Item numbers whose `run_child` itself errors (engine trouble).
    pub engine_error: HashSet<i64>,
    /// Children never finish.
    pub hang: bool,
}

#[async_trait]
impl EngineServices for Recorder {
    async fn run_child(
        &self,
        _ctx: &StepContext,
        request: ChildRequest,
    ) -> Result<ChildOutcome, NodeError> {
        self.requests.lock().unwrap().push(request.clone());
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let ns: Vec<i64> = request
            .input
            .iter()
            .map(|i| i["n"].as_i64().unwrap_or(-1))
            .collect();
        let first = ns.first().copied().unwrap_or(0);
        let delay = if self.hang {
            3_600_000
        } else {
            5 + (20 - first.clamp(0, 20)) as u64 * 3
        };
        tokio::time::sleep(Duration::from_millis(delay)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        let run_id = format!("child-{}", request.key.replace('/', "-"));
        if self.engine_error.contains(&first) {
            return Err(NodeError::transient("engine.store", "store unavailable"));
        }
        if self.fail.contains(&first) {
            return Ok(ChildOutcome {
                run_id,
                output: vec![],
                error: Some(
                    json!({ "code": "child.broke", "message": format!("cannot handle {first}") }),
                ),
            });
        }
        let output = ns
            .iter()
            .map(|n| json!({ "n": n, "doubled": n * 2 }))
            .collect();
        Ok(ChildOutcome {
            run_id,
            output,
            error: None,
        })
    }
}

/// A child document whose expressions belong to the child.
pub fn child_doc() -> Value {
    json!({
        "apiVersion": "weft/v1",
        "name": "double",
        "nodes": [{ "id": "d", "type": "core.set@1", "params": { "fields": { "doubled": "{{ $json.n * 2 }}" } } }],
    })
}

pub fn numbers(count: i64) -> Vec<Value> {
    (0..count).map(|n| json!({ "n": n })).collect()
}

pub async fn run_with(
    node: &dyn NodeType,
    p: Value,
    items: Vec<Value>,
    services: Arc<Recorder>,
) -> Result<StepResult, NodeError> {
    let ctx = ctx_with(p, services, CancellationToken::new());
    node.execute(&ctx, NodeInput::main(items)).await
}

#[tokio::test]
async fn outputs_come_in_item_order_with_bounded_concurrency() {
    let rec = Arc::new(Recorder::default());
    let p = json!({ "workflow": child_doc(), "concurrency": 3 });
    let out = done(run_with(&MapNode, p, numbers(10), rec.clone()).await);
    let expected: Vec<Value> = (0..10)
        .map(|n| json!({ "n": n, "doubled": n * 2 }))
        .collect();
    assert_eq!(out.get("main").unwrap(), expected.as_slice());
    assert_eq!(rec.max_in_flight.load(Ordering::SeqCst), 3);

    let requests = rec.requests.lock().unwrap();
    assert_eq!(requests.len(), 10);
    let mut keys: Vec<String> = requests.iter().map(|r| r.key.clone()).collect();
    keys.sort_by_key(|k| k[5..].parse::<u32>().unwrap());
    assert_eq!(
        keys,
        (0..10).map(|i| format!("item/{i}")).collect::<Vec<_>>()
    );
    for r in requests.iter() {
        let i: i64 = r.key[5..].parse().unwrap();
        assert_eq!(r.input, vec![json!({ "n": i })]);
        // The child document is passed as written: its expressions are not rendered here.
        assert_eq!(r.workflow, WorkflowSource::Inline(child_doc()));
    }
}

#[tokio::test]
async fn default_concurrency_is_four() {
    let rec = Arc::new(Recorder::default());
    done(
        run_with(
            &MapNode,
            json!({ "workflowVersion": "wfv-1" }),
            numbers(12),
            rec.clone(),
        )
        .await,
    );
    assert_eq!(rec.max_in_flight.load(Ordering::SeqCst), 4);
    assert!(
        rec.requests
            .lock()
            .unwrap()
            .iter()
            .all(|r| r.workflow == WorkflowSource::Version("wfv-1".into()))
    );
}

#[tokio::test]
async fn workflow_version_may_be_an_expression() {
    let rec = Arc::new(Recorder::default());
    let p = json!({ "workflowVersion": "{{ $vars.childVersion }}", "concurrency": 1 });
    done(run_with(&MapNode, p, numbers(2), rec.clone()).await);
    assert!(
        rec.requests
            .lock()
            .unwrap()
            .iter()
            .all(|r| r.workflow == WorkflowSource::Version("wfv-42".into()))
    );
    assert_eq!(rec.max_in_flight.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn no_items_start_no_children() {
    let rec = Arc::new(Recorder::default());
    let out = done(
        run_with(
            &MapNode,
            json!({ "workflow": child_doc() }),
            vec![],
            rec.clone(),
        )
        .await,
    );
    assert_eq!(out.get("main"), Some(&[][..]));
    assert!(rec.requests.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_failed_child_fails_the_step() {
    let rec = Arc::new(Recorder {
        fail: [2].into(),
        ..Default::default()
    });
    let e = failed(
        run_with(
            &MapNode,
            json!({ "workflow": child_doc() }),
            numbers(5),
            rec,
        )
        .await,
    );
    assert_eq!(e.kind, ErrorKind::Permanent);
    assert_eq!(e.code, "map.item_failed");
    assert!(
        e.message.contains("item 2") && e.message.contains("child-item-2"),
        "{}",
        e.message
    );
    assert!(e.message.contains("cannot handle 2"), "{}", e.message);
    assert_eq!(e.details["itemIndex"], json!(2));
    assert_eq!(e.details["runId"], json!("child-item-2"));
    assert_eq!(e.details["error"]["code"], json!("child.broke"));
}

#[tokio::test]
async fn continue_on_item_error_puts_the_error_in_place() {
    let rec = Arc::new(Recorder {
        fail: [1, 3].into(),
        ..Default::default()
    });
    let p = json!({ "workflow": child_doc(), "continueOnItemError": true, "concurrency": 2 });
    let out = done(run_with(&MapNode, p, numbers(4), rec).await);
    let main = out.get("main").unwrap();
    assert_eq!(main.len(), 4);
    assert_eq!(main[0], json!({ "n": 0, "doubled": 0 }));
    assert_eq!(
        main[1],
        json!({ "error": { "code": "child.broke", "message": "cannot handle 1" }, "itemIndex": 1 })
    );
    assert_eq!(main[2], json!({ "n": 2, "doubled": 4 }));
    assert_eq!(main[3]["itemIndex"], json!(3));
}

#[tokio::test]
async fn engine_errors_keep_their_kind() {
    let rec = Arc::new(Recorder {
        engine_error: [1].into(),
        ..Default::default()
    });
    let p = json!({ "workflow": child_doc(), "continueOnItemError": true });
    let e = failed(run_with(&MapNode, p, numbers(3), rec).await);
    assert_eq!(e.code, "engine.store");
    assert!(e.is_transient());
}

#[tokio::test]
async fn params_are_validated() {
    for (p, needle) in [
        (json!({}), "one of"),
        (
            json!({ "workflow": child_doc(), "workflowVersion": "v" }),
            "only one",
        ),
        (json!({ "workflow": "not a document" }), "/params/workflow"),
        (json!({ "workflowVersion": "" }), "/params/workflowVersion"),
        (
            json!({ "workflowVersion": "v", "concurrency": 0 }),
            "/params/concurrency",
        ),
        (
            json!({ "workflowVersion": "v", "concurrency": 257 }),
            "/params/concurrency",
        ),
        (
            json!({ "workflowVersion": "v", "concurrency": "many" }),
            "/params/concurrency",
        ),
        (json!({ "workflowVersion": "v", "parallel": 2 }), "parallel"),
    ] {
        let rec = Arc::new(Recorder::default());
        let e = failed(run_with(&MapNode, p.clone(), numbers(2), rec.clone()).await);
        assert_eq!(e.code, "params.invalid", "{p}");
        assert!(e.message.contains(needle), "{p}: {}", e.message);
        assert!(rec.requests.lock().unwrap().is_empty(), "{p}");
    }
}

#[tokio::test]
async fn cancellation_stops_promptly() {
    let rec = Arc::new(Recorder {
        hang: true,
        ..Default::default()
    });
    let cancel = CancellationToken::new();
    let ctx = ctx_with(
        json!({ "workflow": child_doc() }),
        rec.clone(),
        cancel.clone(),
    );
    let started = Instant::now();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        cancel.cancel();
    });
    let e = failed(MapNode.execute(&ctx, NodeInput::main(numbers(8))).await);
    canceller.await.unwrap();
    assert_eq!(e.code, "cancelled");
    assert!(!e.is_transient());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        rec.requests.lock().unwrap().len(),
        4,
        "only the first batch started"
    );
}
