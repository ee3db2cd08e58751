//! The durability contract, proven by force: `weft` processes are killed with SIGKILL at random
//! moments while runs call a counting HTTP server on 127.0.0.1. Every run must complete, every
//! effect must have happened, and no effect whose result was committed may happen again.

use crate::{weft, weft_in, write_doc};
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use rand::Rng;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use weft_store_api::{RunFilter, RunStatus, Store, TenantScope};

#[derive(Default, Clone)]
pub(crate) struct Effects {
    /// idempotency key -> serials of every request that carried it
    pub(crate) seen: Arc<Mutex<HashMap<String, Vec<u64>>>>,
    next: Arc<Mutex<u64>>,
}

pub(crate) async fn counting_server() -> (std::net::SocketAddr, Effects) {
    let effects = Effects::default();
    let app =
        Router::new()
            .route(
                "/effect",
                post(
                    |axum::extract::State(fx): axum::extract::State<Effects>,
                     headers: HeaderMap| async move {
                        let key = headers
                            .get("idempotency-key")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string();
                        let serial = {
                            let mut n = fx.next.lock().expect("lock");
                            *n += 1;
                            *n
                        };
                        fx.seen
                            .lock()
                            .expect("lock")
                            .entry(key)
                            .or_default()
                            .push(serial);
                        // A window in which the effect happened but the caller has not recorded it.
                        let delay = rand::rng().random_range(10..80);
                        tokio::time::sleep(Duration::from_millis(delay)).await;
                        Json(json!({ "serial": serial }))
                    },
                ),
            )
            .with_state(effects.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, effects)
}

fn workflow(addr: std::net::SocketAddr) -> Value {
    let call = |id: &str| json!({"id": id, "type": "http.request@1", "params": {"method": "POST", "url": format!("http://{addr}/effect"), "body": {"step": id, "run": "{{ $run.id }}"}}, "settings": {"retry": {"maxAttempts": 5, "initialInterval": "20ms"}}});
    json!({
        "apiVersion": "weft/v1",
        "name": "effects under fire",
        "nodes": [
            call("charge"),
            {"id": "shape", "type": "core.set@1", "params": {"fields": {"charged": "{{ $json.body.serial }}"}}},
            call("reserve"),
            call("ship"),
            {"id": "pause", "type": "core.wait@1", "params": {"duration": "30ms"}},
            call("notify"),
            call("invoice"),
            {"id": "left", "type": "core.set@1", "params": {"fields": {"branch": "left"}}},
            call("audit"),
        ],
        "edges": [
            {"from": {"node": "charge"}, "to": {"node": "shape"}},
            {"from": {"node": "shape"}, "to": {"node": "reserve"}},
            {"from": {"node": "reserve"}, "to": {"node": "ship"}},
            {"from": {"node": "ship"}, "to": {"node": "pause"}},
            {"from": {"node": "pause"}, "to": {"node": "notify"}},
            {"from": {"node": "notify"}, "to": {"node": "invoice"}},
            {"from": {"node": "shape"}, "to": {"node": "left"}},
            {"from": {"node": "left"}, "to": {"node": "audit"}},
        ]
    })
}

const EFFECTFUL: [&str; 6] = ["charge", "reserve", "ship", "notify", "invoice", "audit"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_never_repeats_a_committed_effect() {
    let (addr, effects) = counting_server().await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let file = write_doc(tmp.path(), "effects.json", &workflow(addr));
    let runs = 60;
    let data_for_enqueue = data.clone();
    let file_for_enqueue = file.clone();
    tokio::task::spawn_blocking(move || {
        for i in 0..runs {
            let out = weft_in(
                &data_for_enqueue,
                &[
                    "run",
                    file_for_enqueue.to_str().expect("utf8"),
                    "--detach",
                    "--input",
                    &format!("{{\"n\": {i}}}"),
                ],
            );
            assert!(
                out.status.success(),
                "enqueue failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    })
    .await
    .expect("enqueue");

    let store: Arc<dyn Store> = weft_store::SqliteStore::open(&data).expect("store");
    let scope = TenantScope::default_org();
    let unfinished = |store: Arc<dyn Store>| async move {
        let filter = RunFilter {
            statuses: vec![RunStatus::Queued, RunStatus::Running, RunStatus::Waiting],
            ..Default::default()
        };
        store
            .list_runs(&TenantScope::default_org(), &filter, None, 1000)
            .await
            .expect("list")
            .items
            .len()
    };

    let mut kills = 0;
    let mut kills_mid_run = 0;
    let started = Instant::now();
    while kills < 30 && started.elapsed() < Duration::from_secs(120) {
        if unfinished(store.clone()).await == 0 {
            break;
        }
        let mut child = weft()
            .args(["resume", "--data-dir"])
            .arg(&data)
            .spawn()
            .expect("spawn weft resume");
        let wait = rand::rng().random_range(20..300);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let before = unfinished(store.clone()).await;
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        kills += 1;
        if before > 0 {
            kills_mid_run += 1;
        }
    }
    // Finally let one process finish everything.
    crate::resume_to_end(&data).await;
    assert!(
        kills_mid_run >= 3,
        "the test did not interrupt runs in flight ({kills_mid_run} of {kills} kills)"
    );

    let all = store
        .list_runs(
            &scope,
            &RunFilter {
                top_level_only: true,
                ..Default::default()
            },
            None,
            1000,
        )
        .await
        .expect("list");
    assert_eq!(all.items.len(), runs);
    let seen = effects.seen.lock().expect("lock").clone();
    let mut repeats_in_flight = 0;
    for run in &all.items {
        assert_eq!(
            run.status,
            RunStatus::Succeeded,
            "run {} ended {} with {:?}",
            run.id,
            run.status,
            run.error
        );
        let details = weft_engine::run_details(&*store, &scope, run.id)
            .await
            .expect("details")
            .expect("run");
        for node in EFFECTFUL {
            let step = details.steps.iter().find(|s| s.node == node).expect("step");
            let committed = step
                .output
                .as_ref()
                .and_then(|o| o.get("main"))
                .and_then(|items| items.first())
                .and_then(|i| i["body"]["serial"].as_u64());
            let committed = committed
                .unwrap_or_else(|| panic!("run {} step {node} has no committed result", run.id));
            let key = format!("{}/{node}", run.id);
            let serials = seen
                .get(&key)
                .unwrap_or_else(|| panic!("effect {key} never happened"));
            assert!(
                serials.contains(&committed),
                "{key}: committed serial {committed} not among {serials:?}"
            );
            // The contract: nothing after the committed effect. Earlier repeats were in flight.
            assert!(
                serials.iter().all(|&s| s <= committed),
                "{key}: the effect ran again after its result was committed: {serials:?}, committed {committed}"
            );
            repeats_in_flight += serials.len() - 1;
        }
    }
    eprintln!(
        "kill -9: {kills} kills ({kills_mid_run} mid-run), {runs} runs × {} effects, {repeats_in_flight} in-flight repeats",
        EFFECTFUL.len()
    );
}
