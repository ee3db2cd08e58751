//! Steps that wait for a person (`core.approval`) and decisions from outside the run: approve,
//! reject, resume a timer early, time limits, and decisions reaching a run that was unloaded or
//! left by a process that stopped.

use crate::support::Harness;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use weft_engine::{SignalError, StepSignal, run_details};
use weft_store_api::{RunId, RunRecord, RunStatus};

fn approval_doc(params: Value) -> Value {
    json!({
        "apiVersion": "weft/v1",
        "name": "refunds",
        "nodes": [
            {"id": "ask", "type": "core.approval@1", "params": params},
            {"id": "pay", "type": "core.set@1", "params": {"fields": {"paid": true}}},
            {"id": "tell", "type": "core.set@1", "params": {"fields": {"paid": false}}},
        ],
        "edges": [
            {"from": {"node": "ask", "port": "approved"}, "to": {"node": "pay"}},
            {"from": {"node": "ask", "port": "rejected"}, "to": {"node": "tell"}},
        ]
    })
}

async fn wait_for_status(h: &Harness, id: RunId, status: RunStatus) -> RunRecord {
    let t0 = Instant::now();
    loop {
        let r = h
            .engine
            .store()
            .get_run(&h.scope, id)
            .await
            .expect("get")
            .expect("run");
        if r.status == status {
            return r;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "run never became {status}: it is {}",
            r.status
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn approve(comment: &str) -> StepSignal {
    StepSignal::Approve {
        by: "ada@example.com".into(),
        comment: Some(comment.into()),
    }
}

#[tokio::test]
async fn an_approved_step_sends_its_items_on_with_who_decided() {
    let h = Harness::new().await;
    let run = h
        .start(
            approval_doc(json!({"message": "Refund {{ $json.amount }} EUR?"})),
            json!([{"amount": 40}, {"amount": 60}]),
        )
        .await;
    let waiting = wait_for_status(&h, run.id, RunStatus::Waiting).await;
    assert!(
        waiting.wake_at.is_some(),
        "a waiting run names when to look again"
    );
    let details = run_details(h.engine.store().as_ref(), &h.scope, run.id)
        .await
        .expect("details")
        .expect("run");
    let ask = &details.steps[0];
    assert_eq!(ask.status, "awaiting");
    assert_eq!(
        ask.awaiting,
        Some(json!({"message": "Refund 40 EUR?", "items": 2}))
    );
    assert_eq!(ask.wake_at, None, "no time limit was set");

    h.engine
        .signal(&h.scope, run.id, "ask", approve("within policy"))
        .await
        .expect("approve");
    let done = h.finish(run.id).await;
    assert_eq!(done.status, RunStatus::Succeeded);
    let out = done.output.expect("output");
    assert_eq!(out.as_array().map(Vec::len), Some(2));
    assert_eq!(out[0]["amount"], 40);
    assert_eq!(out[0]["paid"], true);
    assert_eq!(out[0]["approval"]["decision"], "approved");
    assert_eq!(out[0]["approval"]["by"], "ada@example.com");
    assert_eq!(out[0]["approval"]["comment"], "within policy");
    let details = run_details(h.engine.store().as_ref(), &h.scope, run.id)
        .await
        .expect("details")
        .expect("run");
    assert_eq!(details.steps[0].status, "succeeded");
    assert_eq!(
        details.steps[2].status, "not run",
        "the rejected branch is skipped"
    );
    assert!(
        details.steps[0]
            .logs
            .iter()
            .any(|l| l.message == "approved by ada@example.com: within policy"),
        "the decision is in the step's log: {:?}",
        details.steps[0].logs
    );
    h.engine.shutdown().await;
}

#[tokio::test]
async fn a_rejected_step_takes_the_rejected_branch_and_a_second_decision_is_refused() {
    let h = Harness::new().await;
    let run = h
        .start(approval_doc(json!({"message": "Go?"})), json!([{"id": 1}]))
        .await;
    wait_for_status(&h, run.id, RunStatus::Waiting).await;
    h.engine
        .signal(
            &h.scope,
            run.id,
            "ask",
            StepSignal::Reject {
                by: "bob@example.com".into(),
                comment: None,
            },
        )
        .await
        .expect("reject");
    let done = h.finish(run.id).await;
    assert_eq!(done.status, RunStatus::Succeeded);
    let out = done.output.expect("output");
    assert_eq!(out[0]["paid"], false);
    assert_eq!(out[0]["approval"]["decision"], "rejected");
    assert_eq!(out[0]["approval"]["comment"], Value::Null);

    let again = h
        .engine
        .signal(&h.scope, run.id, "ask", approve("late"))
        .await;
    assert!(
        matches!(&again, Err(SignalError::NotWaiting(m)) if m.contains("succeeded")),
        "{again:?}"
    );
    h.engine.shutdown().await;
}

#[tokio::test]
async fn decisions_name_what_is_wrong() {
    let h = Harness::new().await;
    let doc = json!({
        "apiVersion": "weft/v1",
        "name": "mixed",
        "nodes": [
            {"id": "ask", "type": "core.approval@1", "params": {"message": "Go?"}},
            {"id": "nap", "type": "core.wait@1", "params": {"duration": "1h"}},
        ],
        "edges": []
    });
    let run = h.start(doc, json!([{}])).await;
    wait_for_status(&h, run.id, RunStatus::Waiting).await;
    let who = || "ada@example.com".to_string();

    let r = h
        .engine
        .signal(&h.scope, run.id, "nope", approve("x"))
        .await;
    assert!(
        matches!(&r, Err(SignalError::NotFound(m)) if m.contains("\"nope\"")),
        "{r:?}"
    );
    let r = h
        .engine
        .signal(&h.scope, RunId::new(), "ask", approve("x"))
        .await;
    assert!(matches!(&r, Err(SignalError::NotFound(_))), "{r:?}");
    let r = h.engine.signal(&h.scope, run.id, "nap", approve("x")).await;
    assert!(
        matches!(&r, Err(SignalError::NotWaiting(m)) if m.contains("resume it")),
        "{r:?}"
    );
    let r = h
        .engine
        .signal(&h.scope, run.id, "ask", StepSignal::Resume { by: who() })
        .await;
    assert!(
        matches!(&r, Err(SignalError::NotWaiting(m)) if m.contains("approve or reject")),
        "{r:?}"
    );
    // Another organization's run is simply not found.
    let other = weft_store_api::TenantScope::org("someone-else");
    let r = h.engine.signal(&other, run.id, "ask", approve("x")).await;
    assert!(matches!(&r, Err(SignalError::NotFound(_))), "{r:?}");

    // Resuming the timer early completes that step; the run still waits for the decision.
    h.engine
        .signal(&h.scope, run.id, "nap", StepSignal::Resume { by: who() })
        .await
        .expect("resume the timer");
    let t0 = Instant::now();
    loop {
        let d = run_details(h.engine.store().as_ref(), &h.scope, run.id)
            .await
            .expect("details")
            .expect("run");
        if d.steps[1].status == "succeeded" {
            assert_eq!(d.steps[0].status, "awaiting");
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(5), "timer not resumed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    h.engine
        .signal(&h.scope, run.id, "ask", approve("ok"))
        .await
        .expect("approve");
    assert_eq!(h.finish(run.id).await.status, RunStatus::Succeeded);
    h.engine.shutdown().await;
}

#[tokio::test]
async fn the_time_limit_decides_when_nobody_does() {
    let h = Harness::new().await;
    let worker = {
        let engine = h.engine.clone();
        tokio::spawn(async move { engine.run_worker(weft_engine::WorkerMode::Forever).await })
    };
    let run = h
        .start(
            approval_doc(json!({"message": "Go?", "timeout": "200ms", "onTimeout": "approve"})),
            json!([{"id": 1}]),
        )
        .await;
    let done = h.finish(run.id).await;
    assert_eq!(done.status, RunStatus::Succeeded);
    let out = done.output.expect("output");
    assert_eq!(out[0]["paid"], true);
    assert_eq!(out[0]["approval"]["by"], "timeout");
    h.engine.shutdown().await;
    let _ = worker.await;
}

#[tokio::test]
async fn a_decision_reaches_a_run_left_by_a_process_that_stopped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = Harness::engine_on(dir.path()).await;
    let scope = weft_store_api::TenantScope::default_org();
    let version = first
        .register_workflow(
            &scope,
            &Harness::workflow(approval_doc(json!({"message": "Ship it?"}))),
        )
        .await
        .expect("register");
    let run = first
        .start_run(&scope, &version, json!([{"n": 1}]), Default::default())
        .await
        .expect("start");
    let t0 = Instant::now();
    while first
        .store()
        .get_run(&scope, run.id)
        .await
        .expect("get")
        .expect("run")
        .status
        != RunStatus::Waiting
    {
        assert!(t0.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.shutdown().await;
    drop(first);

    let second = Harness::engine_on(dir.path()).await;
    second
        .signal(&scope, run.id, "ask", approve("after a restart"))
        .await
        .expect("approve");
    let done = tokio::time::timeout(Duration::from_secs(30), second.wait_for(&scope, run.id))
        .await
        .expect("in time")
        .expect("wait");
    assert_eq!(done.status, RunStatus::Succeeded);
    assert_eq!(
        done.output.expect("output")[0]["approval"]["comment"],
        "after a restart"
    );
    second.shutdown().await;
}
