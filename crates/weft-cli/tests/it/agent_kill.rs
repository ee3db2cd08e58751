//! Durable model calls, proven by force: a `weft` process is killed with SIGKILL in the middle
//! of an agent step (while it waits for the model's third answer). After a restart the step
//! runs again, and neither the model calls it had completed nor the tool calls it had made are
//! repeated: each was checkpointed in the run's journal before the next one began.

use crate::{resume_to_end, weft, weft_in, write_doc};
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;
use weft_store_api::{RunFilter, RunRecord, RunStatus, Store, TenantScope};

/// A model that calls the `step` tool three times, then answers; and the tool's endpoint.
/// It counts model requests per turn (by the tool results they carry) and tool effects per
/// step; the first request of turn 2 never gets an answer and tells the test it arrived.
#[derive(Clone, Default)]
struct Counting {
    turns: Arc<Mutex<HashMap<usize, usize>>>,
    effects: Arc<Mutex<HashMap<u64, usize>>>,
    arrived: Arc<Mutex<Option<oneshot::Sender<()>>>>,
}

async fn chat(State(c): State<Counting>, Json(body): Json<Value>) -> Json<Value> {
    let turn = body["messages"]
        .as_array()
        .map(|m| m.iter().filter(|m| m["role"] == "tool").count())
        .unwrap_or(0);
    let seen = {
        let mut turns = c.turns.lock().expect("lock");
        let n = turns.entry(turn).or_default();
        *n += 1;
        *n
    };
    if turn == 2 && seen == 1 {
        if let Some(tx) = c.arrived.lock().expect("lock").take() {
            let _ = tx.send(());
        }
        std::future::pending::<()>().await;
    }
    let message = if turn < 3 {
        json!({"role": "assistant", "content": null, "tool_calls": [{
            "id": format!("call_{turn}"), "type": "function",
            "function": {"name": "step", "arguments": json!({"n": turn + 1}).to_string()}}]})
    } else {
        json!({"role": "assistant", "content": "done"})
    };
    Json(json!({
        "model": "counting",
        "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 3},
    }))
}

async fn effect(State(c): State<Counting>, Json(body): Json<Value>) -> Json<Value> {
    let n = body["n"].as_u64().unwrap_or(0);
    *c.effects.lock().expect("lock").entry(n).or_default() += 1;
    Json(json!({"did": n}))
}

/// Serves `app` on a free loopback port.
async fn serve(app: Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// Enqueues a run of `doc` (`weft run --detach`) in `data`.
fn enqueue(data: &Path, dir: &Path, doc: &Value, extra: &[&str]) {
    let file = write_doc(dir, "doc.json", doc);
    let mut args = vec!["run", file.to_str().expect("utf8"), "--detach"];
    args.extend_from_slice(extra);
    let out = weft_in(data, &args);
    assert!(
        out.status.success(),
        "enqueue failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Drives `data` with `weft resume` until `arrived` fires, then SIGKILLs the process.
async fn kill_when(data: &Path, arrived: oneshot::Receiver<()>, what: &str) {
    let mut child = weft()
        .args(["resume", "--data-dir"])
        .arg(data)
        .spawn()
        .expect("spawn weft resume");
    tokio::time::timeout(Duration::from_secs(60), arrived)
        .await
        .unwrap_or_else(|_| panic!("{what} within 60 s"))
        .expect("signal");
    child.kill().expect("SIGKILL");
    let _ = child.wait();
}

/// The one run in `data`.
async fn only_run(data: &Path) -> RunRecord {
    let store: Arc<dyn Store> = weft_store::SqliteStore::open(data).expect("store");
    let mut runs = store
        .list_runs(&TenantScope::default_org(), &RunFilter::default(), None, 10)
        .await
        .expect("list");
    assert_eq!(runs.items.len(), 1);
    runs.items.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_agent_does_not_repeat_completed_model_or_tool_calls() {
    let counting = Counting::default();
    let (tx, arrived) = oneshot::channel();
    *counting.arrived.lock().expect("lock") = Some(tx);
    let addr = serve(
        Router::new()
            .route("/v1/chat/completions", post(chat))
            .route("/effect", post(effect))
            .with_state(counting.clone()),
    )
    .await;

    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let doc = json!({
        "apiVersion": "weft/v1",
        "name": "agent under fire",
        "nodes": [{"id": "agent", "type": "ai.agent@1", "params": {
            "baseUrl": format!("http://{addr}/v1"), "model": "counting",
            "message": "Do the three steps.", "stream": false, "finishTool": false,
            "tools": [{"name": "step", "description": "Does one step.",
                       "parameters": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
                       "http": {"method": "POST", "url": format!("http://{addr}/effect")}}],
        }}],
        "edges": [],
    });
    enqueue(&data, tmp.path(), &doc, &[]);

    // Drive it until the model's third request arrives, then SIGKILL the process.
    kill_when(&data, arrived, "the agent reached its third model call").await;
    assert_eq!(
        counting.effects.lock().expect("lock").clone(),
        HashMap::from([(1, 1), (2, 1)]),
        "two tool calls were made before the kill"
    );

    // Restart: everything unfinished runs to its end.
    resume_to_end(&data).await;
    let run = &only_run(&data).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
    let item = &run.output.as_ref().expect("output")[0];
    assert_eq!(item["answer"], "done");
    assert_eq!(item["iterations"], 3);
    // Turns 0 and 1 were answered before the kill and never asked again; turn 2 was in flight
    // (asked twice); turn 3 came after the restart.
    assert_eq!(
        counting.turns.lock().expect("lock").clone(),
        HashMap::from([(0, 1), (1, 1), (2, 2), (3, 1)])
    );
    // Every tool effect happened exactly once.
    assert_eq!(
        counting.effects.lock().expect("lock").clone(),
        HashMap::from([(1, 1), (2, 1), (3, 1)])
    );
    let calls = item["usage"]["calls"].as_array().expect("calls");
    let replayed: Vec<bool> = calls
        .iter()
        .map(|c| c["fromCheckpoint"].as_bool().unwrap_or(false))
        .collect();
    assert_eq!(replayed, [true, true, false, false]);
}

/// A model for a three-voter consensus: voters are told apart by their seed; `a` and `b` vote
/// at once, the first request of `c` never gets an answer and tells the test it arrived (once
/// the other two have been answered and had a moment to checkpoint their votes).
#[derive(Clone, Default)]
struct Voters {
    asked: Arc<Mutex<HashMap<u64, usize>>>,
    arrived: Arc<Mutex<Option<oneshot::Sender<()>>>>,
}

async fn vote(State(v): State<Voters>, Json(body): Json<Value>) -> Json<Value> {
    let seed = body["seed"].as_u64().unwrap_or(0);
    let seen = {
        let mut asked = v.asked.lock().expect("lock");
        let n = asked.entry(seed).or_default();
        *n += 1;
        *n
    };
    if seed == 33 && seen == 1 {
        // Wait for the others' answers, then give their checkpoints time to commit.
        for _ in 0..500 {
            let others = {
                let asked = v.asked.lock().expect("lock");
                asked.get(&11).is_some() && asked.get(&22).is_some()
            };
            if others {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        if let Some(tx) = v.arrived.lock().expect("lock").take() {
            let _ = tx.send(());
        }
        std::future::pending::<()>().await;
    }
    Json(json!({
        "model": "voters",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": json!({"label": "positive"}).to_string()}}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 1},
    }))
}

/// `kill -9` in the middle of a consensus step: after the restart the voters that had answered
/// are not asked again (their votes were checkpointed), the one in flight is, and the vote
/// completes with all three.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_consensus_does_not_ask_the_voters_that_answered_again() {
    let voters = Voters::default();
    let (tx, arrived) = oneshot::channel();
    *voters.arrived.lock().expect("lock") = Some(tx);
    let addr = serve(
        Router::new()
            .route("/v1/chat/completions", post(vote))
            .with_state(voters.clone()),
    )
    .await;

    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let doc = json!({
        "apiVersion": "weft/v1",
        "name": "consensus under fire",
        "nodes": [{"id": "vote", "type": "ai.consensus@1", "params": {
            "baseUrl": format!("http://{addr}/v1"), "model": "voters", "stream": false,
            "temperature": 0.8, "maxTokens": 5,
            "message": "Review: {{ $json.review }}",
            "labels": ["positive", "negative"],
            "voters": [{"name": "a", "seed": 11}, {"name": "b", "seed": 22}, {"name": "c", "seed": 33}],
        }}],
        "edges": [],
    });
    enqueue(
        &data,
        tmp.path(),
        &doc,
        &["--input", r#"[{"review": "Works great."}]"#],
    );
    kill_when(&data, arrived, "the third voter was asked").await;
    resume_to_end(&data).await;
    let run = &only_run(&data).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
    let item = &run.output.as_ref().expect("output")[0];
    assert_eq!(item["winner"], "positive", "{item}");
    // a and b answered before the kill and were not asked again; c was in flight.
    assert_eq!(
        voters.asked.lock().expect("lock").clone(),
        HashMap::from([(11, 1), (22, 1), (33, 2)]),
        "{item}"
    );
}
