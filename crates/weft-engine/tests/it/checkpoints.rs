//! Step checkpoints: values a step records durably while it runs come back to its later
//! attempts — after a failed attempt and after the process stops mid-step — and progress events
//! reach live subscribers without being journaled.

use crate::support::Harness;
use async_trait::async_trait;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use weft_engine::{Engine, EngineConfig, RunEventKind, StartOptions};
use weft_model::{NodeTypeInfo, NodeTypeRef, Purity, ResolvedPorts};
use weft_node_api::{
    NodeError, NodeInput, NodeOutput, NodeRegistry, NodeType, StepContext, StepResult,
};
use weft_store_api::{RunStatus, Store, TenantScope};

/// Does three pieces of "paid" work, each checkpointed; counts how often each is really done.
/// Attempt 1 fails transiently after the second piece when `fail_first` is set; when `hold`
/// is set, it waits after the second piece until released (to be stopped mid-step).
struct Worker {
    info: NodeTypeInfo,
    done: Arc<Mutex<HashMap<String, u32>>>,
    fail_first: bool,
    hold: Option<Arc<Notify>>,
    reached_hold: Arc<Notify>,
}

impl Worker {
    fn new(fail_first: bool, hold: Option<Arc<Notify>>) -> Worker {
        Worker {
            info: NodeTypeInfo {
                type_ref: NodeTypeRef::new("test.worker", 1),
                display_name: "Worker".into(),
                category: "Test".into(),
                description: "Checkpointed work.".into(),
                purity: Purity::Effectful,
                params_schema: json!({"type": "object"}),
            },
            done: Arc::default(),
            fail_first,
            hold,
            reached_hold: Arc::new(Notify::new()),
        }
    }
}

#[async_trait]
impl NodeType for Worker {
    fn info(&self) -> &NodeTypeInfo {
        &self.info
    }
    fn ports(&self, _params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        Ok(weft_nodes::common::main_in_main_out())
    }
    async fn execute(&self, ctx: &StepContext, _input: NodeInput) -> Result<StepResult, NodeError> {
        let mut results = Vec::new();
        for k in 0..3 {
            let key = format!("work/{k}");
            let value = match ctx.checkpoint(&key) {
                Some(v) => v,
                None => {
                    *self
                        .done
                        .lock()
                        .unwrap()
                        .entry(format!("{}/{k}", ctx.run_id))
                        .or_default() += 1;
                    ctx.progress(json!({"type": "token", "text": format!("piece {k}")}));
                    let v = json!({"piece": k, "attempt": ctx.attempt});
                    ctx.record_checkpoint(&key, v.clone()).await?;
                    v
                }
            };
            results.push(value);
            if k == 1 {
                if self.fail_first && ctx.attempt == 1 {
                    return Err(NodeError::transient("test.flaky", "first attempt fails"));
                }
                if let Some(hold) = &self.hold {
                    self.reached_hold.notify_one();
                    hold.notified().await;
                }
            }
        }
        Ok(StepResult::Done(NodeOutput::main(vec![json!({
            "results": results, "attempt": ctx.attempt
        })])))
    }
}

async fn engine(dir: &std::path::Path, worker: Arc<Worker>) -> Engine {
    let store: Arc<dyn Store> = weft_store::SqliteStore::open(dir).expect("open store");
    let mut r = NodeRegistry::new();
    weft_nodes::register_builtins(&mut r);
    r.register(worker);
    Engine::new(
        store,
        Arc::new(r),
        EngineConfig {
            poll_interval: Duration::from_millis(50),
            ..EngineConfig::default()
        },
    )
    .await
    .expect("engine")
}

fn doc() -> Value {
    json!({
        "apiVersion": "weft/v1",
        "name": "checkpointed",
        "nodes": [{"id": "work", "type": "test.worker@1", "params": {},
                   "settings": {"retry": {"maxAttempts": 2, "initialInterval": "10ms"}}}],
        "edges": [],
    })
}

#[tokio::test]
async fn a_retried_attempt_finds_what_the_failed_one_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let worker = Arc::new(Worker::new(true, None));
    let engine = engine(dir.path(), worker.clone()).await;
    let scope = TenantScope::default_org();
    let mut events = engine.subscribe();
    let version = engine
        .register_workflow(&scope, &Harness::workflow(doc()))
        .await
        .expect("register");
    let run = engine
        .start_run(&scope, &version, json!([{}]), StartOptions::default())
        .await
        .expect("start");
    let done = tokio::time::timeout(Duration::from_secs(20), engine.wait_for(&scope, run.id))
        .await
        .expect("in time")
        .expect("wait");
    assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    let out = &done.output.expect("output")[0];
    assert_eq!(out["attempt"], 2);
    // Pieces 0 and 1 come from attempt 1's checkpoints; piece 2 was done by attempt 2.
    assert_eq!(
        out["results"],
        json!([{"piece": 0, "attempt": 1}, {"piece": 1, "attempt": 1}, {"piece": 2, "attempt": 2}])
    );
    let counts = worker.done.lock().unwrap().clone();
    for k in 0..3 {
        assert_eq!(counts[&format!("{}/{k}", run.id)], 1, "piece {k} done once");
    }
    // The checkpoints are in the journal; progress is not.
    let journal = engine
        .store()
        .load_journal(&scope, run.id)
        .await
        .expect("journal");
    let events_json: Vec<serde_json::Value> = journal.iter().map(|e| e.event_value()).collect();
    let kinds: Vec<&str> = events_json
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "stepCheckpoint").count(), 3);
    assert!(!kinds.contains(&"stepProgress"));
    let first = events_json
        .iter()
        .find(|e| e["type"] == "stepCheckpoint")
        .expect("a checkpoint");
    assert_eq!(first["node"], "work");
    assert_eq!(first["key"], "work/0");
    assert_eq!(first["attempt"], 1);
    // Live progress reached the subscriber, one event per piece of real work.
    let mut progress = Vec::new();
    while let Ok(ev) = events.try_recv() {
        if let RunEventKind::StepProgress { node, data, .. } = ev.kind {
            assert_eq!(&*node, "work");
            progress.push(data["text"].as_str().unwrap_or("").to_owned());
        }
    }
    assert_eq!(progress, ["piece 0", "piece 1", "piece 2"]);
    engine.shutdown().await;
}

#[tokio::test]
async fn a_step_stopped_midway_resumes_from_its_checkpoints_in_a_new_engine() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scope = TenantScope::default_org();
    let hold = Arc::new(Notify::new());
    let first = Arc::new(Worker::new(false, Some(hold.clone())));
    let run_id = {
        let engine = engine(dir.path(), first.clone()).await;
        let version = engine
            .register_workflow(&scope, &Harness::workflow(doc()))
            .await
            .expect("register");
        let run = engine
            .start_run(&scope, &version, json!([{}]), StartOptions::default())
            .await
            .expect("start");
        // Pieces 0 and 1 are done and checkpointed (record_checkpoint returned: durable).
        tokio::time::timeout(Duration::from_secs(10), first.reached_hold.notified())
            .await
            .expect("the step reached the middle");
        // Stop the process mid-step: the step never finishes here.
        engine.shutdown().await;
        run.id
    };
    let second = Arc::new(Worker::new(false, None));
    let engine = engine(dir.path(), second.clone()).await;
    let worker = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.run_worker(weft_engine::WorkerMode::UntilIdle).await })
    };
    let done = tokio::time::timeout(Duration::from_secs(20), engine.wait_for(&scope, run_id))
        .await
        .expect("in time")
        .expect("wait");
    assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    let out = &done.output.expect("output")[0];
    assert_eq!(
        out["results"],
        json!([{"piece": 0, "attempt": 1}, {"piece": 1, "attempt": 1}, {"piece": 2, "attempt": 1}]),
        "the same attempt number runs again after a crash"
    );
    let before = first.done.lock().unwrap().clone();
    let after = second.done.lock().unwrap().clone();
    assert_eq!(before.len(), 2, "{before:?}");
    assert_eq!(
        after.len(),
        1,
        "only the unfinished piece ran again: {after:?}"
    );
    assert_eq!(after[&format!("{run_id}/2")], 1);
    let _ = worker.await;
    engine.shutdown().await;
}
