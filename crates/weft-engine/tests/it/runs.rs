//! End-to-end runs on the real engine, store and nodes.

use crate::support::{Harness, serve};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use weft_engine::{StartOptions, run_details};
use weft_store_api::{ControlRequest, RunStatus};

fn doc(nodes: Value, edges: Value) -> Value {
    json!({"apiVersion": "weft/v1", "name": "test", "nodes": nodes, "edges": edges})
}

fn e(from: &str, to: &str) -> Value {
    json!({"from": {"node": from}, "to": {"node": to}})
}

fn ep(from: &str, port: &str, to: &str) -> Value {
    json!({"from": {"node": from, "port": port}, "to": {"node": to}})
}

#[tokio::test]
async fn a_chain_of_transforms_computes_with_expressions() {
    let h = Harness::new().await;
    let nodes: Vec<Value> = (0..5).map(|i| json!({"id": format!("s{i}"), "type": "core.set@1", "params": {"fields": {"x": "{{ $json.x + 1 }}"}}})).collect();
    let edges: Vec<Value> = (1..5)
        .map(|i| e(&format!("s{}", i - 1), &format!("s{i}")))
        .collect();
    let run = h
        .run(
            doc(json!(nodes), json!(edges)),
            json!([{"x": 1}, {"x": 10}]),
        )
        .await;
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
    assert_eq!(run.output, Some(json!([{"x": 6}, {"x": 15}])));
}

#[tokio::test]
async fn if_routes_items_and_skips_propagate() {
    let h = Harness::new().await;
    let d = doc(
        json!([
            {"id": "check", "type": "core.if@1", "params": {"condition": "{{ $json.n > 5 }}"}},
            {"id": "big", "type": "core.set@1", "params": {"fields": {"size": "big"}}},
            {"id": "small", "type": "core.set@1", "params": {"fields": {"size": "small"}}},
            {"id": "after_small", "type": "core.noop@1"},
        ]),
        json!([
            ep("check", "true", "big"),
            ep("check", "false", "small"),
            e("small", "after_small")
        ]),
    );
    let run = h.run(d, json!([{"n": 9}])).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
    assert_eq!(run.output, Some(json!([{"n": 9, "size": "big"}])));
    let details = run_details(&**h.engine.store(), &h.scope, run.id)
        .await
        .expect("details")
        .expect("found");
    let status = |id: &str| {
        details
            .steps
            .iter()
            .find(|s| s.node == id)
            .map(|s| s.status.clone())
            .unwrap_or_default()
    };
    assert_eq!(status("big"), "succeeded");
    assert_eq!(status("small"), "not run");
    assert_eq!(status("after_small"), "not run");
}

#[tokio::test]
async fn merge_after_a_branch_runs_with_the_branch_that_was_taken() {
    let h = Harness::new().await;
    let d = doc(
        json!([
            {"id": "check", "type": "core.if@1", "params": {"condition": "{{ $json.ok }}"}},
            {"id": "yes", "type": "core.set@1", "params": {"fields": {"path": "yes"}}},
            {"id": "no", "type": "core.set@1", "params": {"fields": {"path": "no"}}},
            {"id": "merge", "type": "core.merge@1", "params": {"inputs": 2}},
        ]),
        json!([
            ep("check", "true", "yes"), ep("check", "false", "no"),
            {"from": {"node": "yes"}, "to": {"node": "merge", "port": "in1"}},
            {"from": {"node": "no"}, "to": {"node": "merge", "port": "in2"}},
        ]),
    );
    let run = h.run(d, json!([{"ok": true}, {"ok": false}])).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
    assert_eq!(
        run.output,
        Some(json!([{"ok": true, "path": "yes"}, {"ok": false, "path": "no"}]))
    );
}

#[tokio::test]
async fn switch_routes_to_named_outputs_and_fallback() {
    let h = Harness::new().await;
    let d = doc(
        json!([
            {"id": "route", "type": "core.switch@1", "params": {"cases": [
                {"output": "eu", "condition": "{{ $json.region === 'eu' }}"},
                {"output": "us", "condition": "{{ $json.region === 'us' }}"}
            ]}},
            {"id": "eu", "type": "core.set@1", "params": {"fields": {"team": "Berlin"}}},
            {"id": "us", "type": "core.set@1", "params": {"fields": {"team": "Austin"}}},
            {"id": "other", "type": "core.set@1", "params": {"fields": {"team": "triage"}}},
        ]),
        json!([
            ep("route", "eu", "eu"),
            ep("route", "us", "us"),
            ep("route", "fallback", "other")
        ]),
    );
    let run = h
        .run(
            d,
            json!([{"region": "us"}, {"region": "apac"}, {"region": "eu"}]),
        )
        .await;
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
    let out = run.output.expect("output");
    let teams: Vec<&str> = out
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|i| i["team"].as_str())
        .collect();
    assert_eq!(teams, vec!["Berlin", "Austin", "triage"]);
}

#[tokio::test]
async fn parallel_branches_run_concurrently_within_the_limit() {
    let (addr, counter) = serve().await;
    let h = Harness::new().await;
    let mut nodes = vec![json!({"id": "start", "type": "core.noop@1"})];
    let mut edges = vec![];
    for i in 0..6 {
        nodes.push(json!({"id": format!("call{i}"), "type": "http.request@1", "params": {"url": format!("http://{addr}/slow/300")}}));
        edges.push(e("start", &format!("call{i}")));
    }
    let mut d = doc(json!(nodes), json!(edges));
    d["settings"] = json!({"concurrency": 3});
    let t0 = Instant::now();
    let run = h.run(d, json!([{}])).await;
    let took = t0.elapsed();
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
    assert_eq!(counter.count("/slow"), 6);
    // Six 300 ms calls, three at a time: two waves. Sequential would be 1.8 s, unbounded 0.3 s.
    assert!(
        took >= Duration::from_millis(600),
        "concurrency limit not applied: {took:?}"
    );
    assert!(
        took < Duration::from_millis(1500),
        "branches did not run in parallel: {took:?}"
    );
}

#[tokio::test]
async fn join_any_starts_with_the_first_arrival() {
    let (addr, _) = serve().await;
    let h = Harness::new().await;
    let d = doc(
        json!([
            {"id": "start", "type": "core.noop@1"},
            {"id": "fast", "type": "http.request@1", "params": {"url": format!("http://{addr}/slow/10")}},
            {"id": "slow", "type": "http.request@1", "params": {"url": format!("http://{addr}/slow/400")}},
            {"id": "first", "type": "core.set@1", "params": {"mode": "replace", "fields": {"winner": "{{ $json.body.slept }}"}}, "settings": {"join": {"mode": "any"}}},
        ]),
        json!([
            e("start", "fast"),
            e("start", "slow"),
            e("fast", "first"),
            e("slow", "first")
        ]),
    );
    let run = h.run(d, json!([{}])).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
    let out = run.output.expect("output");
    assert_eq!(
        out,
        json!([{"winner": 10}]),
        "join any took the first arrival only"
    );
}

#[tokio::test]
async fn quorum_join_fails_when_unreachable_and_first_n_takes_n() {
    let h = Harness::new().await;
    let voters: Vec<Value> = (0..3)
        .map(|i| json!({"id": format!("v{i}"), "type": "core.if@1", "params": {"condition": format!("{{{{ $json.votes[{i}] }}}}")}}))
        .collect();
    let mut nodes = voters.clone();
    nodes.push(
        json!({"id": "count", "type": "core.noop@1", "settings": {"join": {"mode": "quorum"}}}),
    );
    nodes.push(json!({"id": "two", "type": "core.noop@1", "settings": {"join": {"mode": "first", "n": 2}}}));
    let mut edges = vec![];
    for i in 0..3 {
        edges.push(ep(&format!("v{i}"), "true", "count"));
        edges.push(ep(&format!("v{i}"), "true", "two"));
    }
    // Two of three vote yes: the quorum (majority) is reached, first-2 gets two items.
    let ok = h
        .run(
            doc(json!(nodes.clone()), json!(edges.clone())),
            json!([{"votes": [true, false, true]}]),
        )
        .await;
    assert_eq!(ok.status, RunStatus::Succeeded, "{:?}", ok.error);
    assert_eq!(
        ok.output.as_ref().and_then(|o| o.as_array()).map(Vec::len),
        Some(4),
        "{:?}",
        ok.output
    );
    // One yes: the quorum cannot be reached and the join fails the run.
    let failed = h
        .run(
            doc(json!(nodes), json!(edges)),
            json!([{"votes": [false, false, true]}]),
        )
        .await;
    assert_eq!(failed.status, RunStatus::Failed);
    let err = failed.error.expect("error");
    assert_eq!(err["code"], "join.quorum", "{err}");
    assert_eq!(err["node"], "count");
}

#[tokio::test]
async fn map_runs_a_child_per_item_and_keeps_item_order() {
    let h = Harness::new().await;
    let child = json!({
        "apiVersion": "weft/v1", "name": "child",
        "nodes": [{"id": "sq", "type": "core.set@1", "params": {"mode": "replace", "fields": {"n": "{{ $json.n }}", "sq": "{{ $json.n * $json.n }}"}}}]
    });
    let d = doc(
        json!([{"id": "map", "type": "core.map@1", "params": {"workflow": child, "concurrency": 3}}]),
        json!([]),
    );
    let input: Vec<Value> = (0..10).map(|n| json!({"n": 10 - n})).collect();
    let run = h.run(d, json!(input)).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
    let expected: Vec<Value> = (0..10)
        .map(|n| json!({"n": 10 - n, "sq": (10 - n) * (10 - n)}))
        .collect();
    assert_eq!(run.output, Some(json!(expected)));
    let children = h
        .engine
        .store()
        .list_runs(
            &h.scope,
            &weft_store_api::RunFilter {
                parent_run_id: Some(run.id),
                ..Default::default()
            },
            None,
            100,
        )
        .await
        .expect("list");
    assert_eq!(children.items.len(), 10, "one durable child run per item");
}

#[tokio::test]
async fn subworkflow_failure_surfaces_in_the_parent() {
    let h = Harness::new().await;
    let child = json!({
        "apiVersion": "weft/v1", "name": "child",
        "nodes": [{"id": "stop", "type": "core.error@1", "params": {"message": "no stock for {{ $json.sku }}"}}]
    });
    let d = doc(
        json!([
            {"id": "call", "type": "core.subworkflow@1", "params": {"workflow": child}},
            {"id": "handle", "type": "core.set@1", "params": {"mode": "replace", "fields": {"handled": "{{ $json.error.code }}"}}}
        ]),
        json!([ep("call", "error", "handle")]),
    );
    let run = h.run(d, json!([{"sku": "A-1"}])).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
    assert_eq!(run.output, Some(json!([{"handled": "subworkflow.failed"}])));
}

#[tokio::test]
async fn transient_errors_are_retried_with_backoff_and_permanent_ones_are_not() {
    let (addr, counter) = serve().await;
    let h = Harness::new().await;
    let retry = json!({"retry": {"maxAttempts": 4, "initialInterval": "20ms", "jitter": 0}});
    let d = doc(
        json!([{"id": "call", "type": "http.request@1", "params": {"url": format!("http://{addr}/flaky/2")}, "settings": retry}]),
        json!([]),
    );
    let run = h.run(d, json!([{}])).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
    assert_eq!(counter.count("/flaky"), 3, "two 503s then success");
    let details = run_details(&**h.engine.store(), &h.scope, run.id)
        .await
        .expect("details")
        .expect("found");
    let step = &details.steps[0];
    assert_eq!(step.attempts, 3);
    assert_eq!(step.retried_errors.len(), 2);
    // Every attempt carried the same idempotency key.
    let keys: Vec<String> = counter
        .requests
        .lock()
        .expect("lock")
        .iter()
        .map(|(_, k, _)| k.clone())
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] == w[1]) && !keys[0].is_empty(),
        "{keys:?}"
    );

    let d = doc(
        json!([{"id": "call", "type": "http.request@1", "params": {"url": format!("http://{addr}/status/404")}, "settings": retry}]),
        json!([]),
    );
    let run = h.run(d, json!([{}])).await;
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(counter.count("/status"), 1, "a 404 is permanent: no retry");
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let (addr, counter) = serve().await;
    let h = Harness::new().await;
    let d = doc(
        json!([{"id": "call", "type": "http.request@1", "params": {"url": format!("http://{addr}/throttled")},
                "settings": {"retry": {"maxAttempts": 3, "initialInterval": "10ms", "jitter": 0}}}]),
        json!([]),
    );
    let t0 = Instant::now();
    let run = h.run(d, json!([{}])).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
    assert_eq!(counter.count("/throttled"), 2);
    assert!(
        t0.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 was not honoured ({:?})",
        t0.elapsed()
    );
}

#[tokio::test]
async fn step_timeout_fails_the_attempt_and_continue_on_fail_passes_the_error_on() {
    let (addr, _) = serve().await;
    let h = Harness::new().await;
    let d = doc(
        json!([
            {"id": "call", "type": "http.request@1", "params": {"url": format!("http://{addr}/slow/2000")}, "settings": {"timeout": "100ms", "continueOnFail": true}},
            {"id": "after", "type": "core.set@1", "params": {"mode": "replace", "fields": {"saw": "{{ $json.error.code }}"}}}
        ]),
        json!([e("call", "after")]),
    );
    let t0 = Instant::now();
    let run = h.run(d, json!([{}])).await;
    assert!(
        t0.elapsed() < Duration::from_millis(1500),
        "the timeout did not cut the step short"
    );
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
    assert_eq!(run.output, Some(json!([{"saw": "timeout"}])));
}

#[tokio::test]
async fn run_timeout_fails_the_run() {
    let (addr, _) = serve().await;
    let h = Harness::new().await;
    let mut d = doc(
        json!([{"id": "call", "type": "http.request@1", "params": {"url": format!("http://{addr}/slow/3000")}}]),
        json!([]),
    );
    d["settings"] = json!({"timeout": "200ms"});
    let run = h.run(d, json!([{}])).await;
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.error.expect("error")["code"], "run.timeout");
}

#[tokio::test]
async fn cancellation_reaches_a_running_step_promptly() {
    let (addr, _) = serve().await;
    let h = Harness::new().await;
    let d = doc(
        json!([{"id": "call", "type": "http.request@1", "params": {"url": format!("http://{addr}/slow/10000")}}]),
        json!([]),
    );
    // Subscribe first: the run may start its step before `start` returns.
    let mut events = h.engine.subscribe();
    let run = h.start(d, json!([{}])).await;
    // Wait until the step is really running.
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(ev) = events.recv().await
                && matches!(ev.kind, weft_engine::RunEventKind::StepStarted { .. })
            {
                break;
            }
        }
    })
    .await
    .expect("step started");
    let t0 = Instant::now();
    assert!(
        h.engine
            .control(&h.scope, run.id, ControlRequest::Cancel)
            .await
            .expect("cancel")
    );
    let done = h.finish(run.id).await;
    assert_eq!(done.status, RunStatus::Cancelled);
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "cancellation took {:?}",
        t0.elapsed()
    );
}

#[tokio::test]
async fn a_durable_wait_unloads_the_run_and_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scope = weft_store_api::TenantScope::default_org();
    let d = doc(
        json!([
            {"id": "wait", "type": "core.wait@1", "params": {"duration": "700ms"}},
            {"id": "after", "type": "core.set@1", "params": {"fields": {"woke": true}}}
        ]),
        json!([e("wait", "after")]),
    );
    let run_id = {
        let engine = Harness::engine_on(dir.path()).await;
        let version = engine
            .register_workflow(&scope, &Harness::workflow(d))
            .await
            .expect("register");
        let run = engine
            .start_run(&scope, &version, json!([{"x": 1}]), StartOptions::default())
            .await
            .expect("start");
        // The run unloads: no executor holds it while it waits.
        let t0 = Instant::now();
        loop {
            let r = engine
                .store()
                .get_run(&scope, run.id)
                .await
                .expect("get")
                .expect("run");
            if r.status == RunStatus::Waiting && engine.active_runs() == 0 {
                assert!(r.wake_at.is_some());
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(5),
                "run never started waiting"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        engine.shutdown().await;
        run.id
    };
    // A new engine (as after a restart) wakes it on time and finishes it.
    let engine = Harness::engine_on(dir.path()).await;
    let worker = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.run_worker(weft_engine::WorkerMode::UntilIdle).await })
    };
    let done = tokio::time::timeout(Duration::from_secs(10), engine.wait_for(&scope, run_id))
        .await
        .expect("in time")
        .expect("wait");
    assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    assert_eq!(done.output, Some(json!([{"x": 1, "woke": true}])));
    let elapsed = (done.finished_at.expect("finished") - done.created_at).num_milliseconds();
    assert!(elapsed >= 690, "woke too early: {elapsed} ms");
    let _ = worker.await;
}

#[tokio::test]
async fn pause_stops_new_steps_and_resume_continues() {
    let (addr, counter) = serve().await;
    let h = Harness::new().await;
    let d = doc(
        json!([
            {"id": "first", "type": "http.request@1", "params": {"url": format!("http://{addr}/slow/300")}},
            {"id": "second", "type": "http.request@1", "params": {"url": format!("http://{addr}/echo"), "method": "POST"}}
        ]),
        json!([e("first", "second")]),
    );
    let run = h.start(d, json!([{}])).await;
    assert!(
        h.engine
            .control(&h.scope, run.id, ControlRequest::Pause)
            .await
            .expect("pause")
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    let r = h
        .engine
        .store()
        .get_run(&h.scope, run.id)
        .await
        .expect("get")
        .expect("run");
    assert_eq!(r.status, RunStatus::Paused);
    assert_eq!(counter.count("/echo"), 0, "no new step starts while paused");
    assert!(
        h.engine
            .control(&h.scope, run.id, ControlRequest::Resume)
            .await
            .expect("resume")
    );
    let done = h.finish(run.id).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    assert_eq!(counter.count("/echo"), 1);
}

#[tokio::test]
async fn an_unhandled_failure_fails_the_run_naming_the_node() {
    let h = Harness::new().await;
    let d = doc(
        json!([{"id": "stop", "type": "core.error@1", "params": {"message": "order {{ $json.id }} is invalid", "code": "order.invalid"}}]),
        json!([]),
    );
    let run = h.run(d, json!([{"id": 42}])).await;
    assert_eq!(run.status, RunStatus::Failed);
    let err = run.error.expect("error");
    assert_eq!(err["node"], "stop");
    assert_eq!(err["code"], "order.invalid");
    assert!(
        err["message"]
            .as_str()
            .unwrap_or_default()
            .contains("order 42 is invalid"),
        "{err}"
    );
}

#[tokio::test]
async fn the_same_idempotency_key_starts_one_run() {
    let h = Harness::new().await;
    let d = doc(json!([{"id": "a", "type": "core.noop@1"}]), json!([]));
    let version = h
        .engine
        .register_workflow(&h.scope, &Harness::workflow(d))
        .await
        .expect("register");
    let opts = StartOptions {
        idempotency_key: Some("order-7".into()),
        ..Default::default()
    };
    let a = h
        .engine
        .start_run(&h.scope, &version, json!([{}]), opts.clone())
        .await
        .expect("start");
    let b = h
        .engine
        .start_run(&h.scope, &version, json!([{}]), opts)
        .await
        .expect("start");
    assert_eq!(a.id, b.id);
}

#[tokio::test]
async fn node_expressions_read_other_nodes_and_variables() {
    let h = Harness::new().await;
    let mut d = doc(
        json!([
            {"id": "load", "name": "Load order", "type": "core.set@1", "params": {"fields": {"total": 120}}},
            {"id": "tax", "type": "core.set@1", "params": {"mode": "replace", "fields": {
                "gross": "{{ $node[\"Load order\"].json.total * (1 + $vars.rate) }}",
                "label": "Order for {{ $json.customer }}"
            }}}
        ]),
        json!([e("load", "tax")]),
    );
    d["variables"] = json!({"rate": 0.25});
    let run = h.run(d, json!([{"customer": "Ada"}])).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
    assert_eq!(
        run.output,
        Some(json!([{"gross": 150, "label": "Order for Ada"}]))
    );
}

#[tokio::test]
async fn cancelling_a_run_that_waits_on_a_long_timer_is_prompt() {
    let h = Harness::new().await;
    let worker = {
        let engine = h.engine.clone();
        tokio::spawn(async move { engine.run_worker(weft_engine::WorkerMode::Forever).await })
    };
    let d = doc(
        json!([{"id": "wait", "type": "core.wait@1", "params": {"duration": "1h"}}, {"id": "after", "type": "core.noop@1"}]),
        json!([e("wait", "after")]),
    );
    let run = h.start(d, json!([{}])).await;
    let t0 = Instant::now();
    loop {
        let r = h
            .engine
            .store()
            .get_run(&h.scope, run.id)
            .await
            .expect("get")
            .expect("run");
        if r.status == RunStatus::Waiting {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "never started waiting"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        h.engine
            .control(&h.scope, run.id, ControlRequest::Cancel)
            .await
            .expect("cancel")
    );
    let done = h.finish(run.id).await;
    assert_eq!(done.status, RunStatus::Cancelled);
    assert!(t0.elapsed() < Duration::from_secs(5));
    h.engine.shutdown().await;
    let _ = worker.await;
}

#[tokio::test]
async fn cacheable_pure_steps_are_reused_only_for_the_same_rendered_params_and_input() {
    let h = Harness::new().await;
    let mut d = doc(
        json!([{"id": "price", "type": "core.set@1", "params": {"fields": {"gross": "{{ $json.net * (1 + $vars.rate) }}"}}, "settings": {"cacheable": true}}]),
        json!([]),
    );
    d["variables"] = json!({"rate": 0.5});
    let hit = |details: &weft_engine::RunDetails| {
        details.steps[0]
            .logs
            .iter()
            .any(|l| l.message.contains("step cache"))
    };
    let first = h.run(d.clone(), json!([{"net": 10}])).await;
    let second = h.run(d.clone(), json!([{"net": 10}])).await;
    let other_input = h.run(d.clone(), json!([{"net": 11}])).await;
    d["variables"] = json!({"rate": 1.0});
    let other_vars = h.run(d, json!([{"net": 10}])).await;
    let mut seen = Vec::new();
    for run in [&first, &second, &other_input, &other_vars] {
        let details = run_details(&**h.engine.store(), &h.scope, run.id)
            .await
            .expect("details")
            .expect("found");
        seen.push(hit(&details));
    }
    // Only the second run repeats the first's rendered params and input.
    assert_eq!(seen, vec![false, true, false, false]);
    assert_eq!(second.output, Some(json!([{"net": 10, "gross": 15}])));
    assert_eq!(other_vars.output, Some(json!([{"net": 10, "gross": 20}])));
}

#[tokio::test]
async fn aggregate_joins_parallel_branches_and_disabled_nodes_pass_through() {
    let h = Harness::new().await;
    let d = doc(
        json!([
            {"id": "start", "type": "core.noop@1"},
            {"id": "a", "type": "core.set@1", "params": {"mode": "replace", "fields": {"v": "{{ $json.x * 2 }}"}}},
            {"id": "b", "type": "core.set@1", "params": {"mode": "replace", "fields": {"v": "{{ $json.x * 3 }}"}}},
            {"id": "off", "type": "core.set@1", "params": {"fields": {"v": 1000}}, "disabled": true},
            {"id": "sum", "type": "core.aggregate@1", "params": {"fields": {"total": "{{ $input.all().reduce((s, i) => s + i.json.v, 0) }}"}, "collect": "parts"}}
        ]),
        json!([
            e("start", "a"),
            e("start", "b"),
            e("a", "off"),
            e("off", "sum"),
            e("b", "sum")
        ]),
    );
    let run = h.run(d, json!([{"x": 5}])).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
    assert_eq!(
        run.output,
        Some(json!([{"total": 25, "parts": [{"v": 10}, {"v": 15}]}]))
    );
}

#[tokio::test]
async fn node_concurrency_limits_steps_across_runs() {
    let (addr, counter) = serve().await;
    let h = Harness::new().await;
    let child = json!({
        "apiVersion": "weft/v1", "name": "rate limited call",
        "nodes": [{"id": "call", "type": "http.request@1", "params": {"url": format!("http://{addr}/slow/150")}, "settings": {"concurrency": 1}}]
    });
    let d = doc(
        json!([{"id": "each", "type": "core.map@1", "params": {"workflow": child, "concurrency": 4}}]),
        json!([]),
    );
    let t0 = Instant::now();
    let run = h.run(d, json!([{}, {}, {}, {}])).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
    assert_eq!(counter.count("/slow"), 4);
    // Four child runs start together, but the node admits one step at a time.
    assert!(
        t0.elapsed() >= Duration::from_millis(600),
        "took {:?}",
        t0.elapsed()
    );
}

/// A caller that goes away while a run starts (an HTTP client disconnecting from a webhook)
/// never leaves the run claimed by this live process with nobody driving it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_abandoned_midway_never_orphans_the_run() {
    let h = Harness::new().await;
    let worker = {
        let engine = h.engine.clone();
        tokio::spawn(async move { engine.run_worker(weft_engine::WorkerMode::Forever).await })
    };
    let d = doc(
        json!([{"id": "a", "type": "core.set@1", "params": {"fields": {"y": 1}}}]),
        json!([]),
    );
    let version = h
        .engine
        .register_workflow(&h.scope, &Harness::workflow(d))
        .await
        .expect("register");
    for i in 0..300u64 {
        // Give up after anything from nothing to a few hundred microseconds.
        let _ = tokio::time::timeout(
            Duration::from_micros((i * 7) % 400),
            h.engine
                .start_run(&h.scope, &version, json!([{}]), StartOptions::default()),
        )
        .await;
    }
    let t0 = Instant::now();
    loop {
        let page = h
            .engine
            .store()
            .list_runs(&h.scope, &Default::default(), None, 500)
            .await
            .expect("list");
        assert!(!page.items.is_empty(), "some runs were created");
        let unfinished: Vec<_> = page
            .items
            .iter()
            .filter(|r| !r.status.is_terminal())
            .map(|r| (r.id, r.status))
            .collect();
        if unfinished.is_empty() {
            assert!(page.items.iter().all(|r| r.status == RunStatus::Succeeded));
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "runs left unfinished: {unfinished:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    h.engine.shutdown().await;
    let _ = worker.await;
}

/// Starts `d` with `create_lazily`.
async fn start_lazily(h: &Harness, d: Value, input: Value) -> weft_store_api::RunRecord {
    let version = h
        .engine
        .register_workflow(&h.scope, &Harness::workflow(d))
        .await
        .expect("register");
    let opts = StartOptions {
        create_lazily: true,
        ..Default::default()
    };
    h.engine
        .start_run(&h.scope, &version, input, opts)
        .await
        .expect("start")
}

#[tokio::test]
async fn a_lazily_created_run_of_pure_steps_is_stored_whole_when_it_ends() {
    let h = Harness::new().await;
    let d = doc(
        json!([
            {"id": "a", "type": "core.set@1", "params": {"fields": {"x": "{{ $json.x + 1 }}"}}},
            {"id": "b", "type": "core.set@1", "params": {"fields": {"x": "{{ $json.x * 10 }}"}}}
        ]),
        json!([e("a", "b")]),
    );
    let run = start_lazily(&h, d, json!([{"x": 1}])).await;
    let done = h.finish(run.id).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    assert_eq!(done.output, Some(json!([{"x": 20}])));
    // What wait_for returned is what the store holds.
    let stored = h
        .engine
        .store()
        .get_run(&h.scope, run.id)
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(stored, done);
    let details = run_details(h.engine.store().as_ref(), &h.scope, run.id)
        .await
        .expect("details")
        .expect("run");
    let statuses: Vec<_> = details.steps.iter().map(|s| s.status.as_str()).collect();
    assert_eq!(statuses, ["succeeded", "succeeded"]);
    let journal = h
        .engine
        .store()
        .load_journal(&h.scope, run.id)
        .await
        .expect("journal");
    let kinds: Vec<_> = journal
        .iter()
        .map(|e| e.event_value()["type"].as_str().unwrap_or("?").to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "runStarted",
            "stepSucceeded",
            "stepSucceeded",
            "runFinished"
        ]
    );
    assert!(
        h.engine
            .store()
            .claimable_runs(chrono::Utc::now(), 10)
            .await
            .expect("claimable")
            .is_empty()
    );
}

#[tokio::test]
async fn a_lazily_created_run_is_stored_before_an_effect_starts_and_while_it_waits() {
    let h = Harness::new().await;
    let d = doc(
        json!([
            {"id": "prep", "type": "core.set@1", "params": {"fields": {"ok": true}}},
            {"id": "ask", "type": "core.approval@1", "params": {"message": "Go?"}}
        ]),
        json!([e("prep", "ask")]),
    );
    let run = start_lazily(&h, d, json!([{}])).await;
    // The approval step is effectful: the run (with the pure step before it) is committed
    // before it starts, and its waiting state is stored like any other run's.
    let t0 = std::time::Instant::now();
    let waiting = loop {
        if let Some(r) = h
            .engine
            .store()
            .get_run(&h.scope, run.id)
            .await
            .expect("get")
            && r.status == RunStatus::Waiting
        {
            break r;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "never stored waiting"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!(waiting.started_at.is_some());
    let details = run_details(h.engine.store().as_ref(), &h.scope, run.id)
        .await
        .expect("details")
        .expect("run");
    assert_eq!(details.steps[0].status, "succeeded");
    assert_eq!(details.steps[1].status, "awaiting");
    h.engine
        .signal(
            &h.scope,
            run.id,
            "ask",
            weft_engine::StepSignal::Approve {
                by: "ada@example.com".into(),
                comment: None,
            },
        )
        .await
        .expect("approve");
    assert_eq!(h.finish(run.id).await.status, RunStatus::Succeeded);
}

#[tokio::test]
async fn a_lazily_created_run_can_be_cancelled_before_it_is_stored() {
    let h = Harness::new().await;
    let d = doc(
        json!([{"id": "nap", "type": "core.wait@1", "params": {"duration": "1h"}}]),
        json!([]),
    );
    let run = start_lazily(&h, d, json!([{}])).await;
    // Whether or not the first write has happened yet, the cancel reaches the run.
    assert!(
        h.engine
            .control(&h.scope, run.id, weft_store_api::ControlRequest::Cancel)
            .await
            .expect("control")
    );
    assert_eq!(h.finish(run.id).await.status, RunStatus::Cancelled);
}
