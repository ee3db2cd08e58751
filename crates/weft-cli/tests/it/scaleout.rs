//! Scale-out on PostgreSQL, by force: `weft serve --no-workers` takes 500 runs through the API,
//! three `weft worker` processes share them, and one worker is killed with SIGKILL in the
//! middle. Every run must finish, every effect must have happened, an effect whose result was
//! committed is never repeated, and the runs the dead worker held are reclaimed once its lease
//! expires. The time to reclaim is printed (and recorded in BENCHMARKS.md).

use crate::kill::counting_server;
use crate::weft;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 500;
const LEASE: &str = "3s";

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn spawn(args: &[&str], url: &str, data: &std::path::Path, key: &str) -> Child {
    weft()
        .args(args)
        .args(["--database", url, "--data-dir"])
        .arg(data)
        .env("WEFT_MASTER_KEY", key)
        .env("WEFT_PG_LEASE", LEASE)
        .env("WEFT_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn weft")
}

fn workflow(addr: std::net::SocketAddr) -> Value {
    let call = |id: &str| {
        json!({"id": id, "type": "http.request@1", "params": {"method": "POST",
            "url": format!("http://{addr}/effect"), "body": {"step": id}},
            "settings": {"retry": {"maxAttempts": 5, "initialInterval": "20ms"}}})
    };
    json!({
        "apiVersion": "weft/v1",
        "name": "scale-out",
        "nodes": [
            call("charge"),
            {"id": "shape", "type": "core.set@1", "params": {"fields": {"charged": "{{ $json.body.serial }}"}}},
            call("ship"),
        ],
        "edges": [
            {"from": {"node": "charge"}, "to": {"node": "shape"}},
            {"from": {"node": "shape"}, "to": {"node": "ship"}},
        ]
    })
}

/// Rows of a query as (first column, second column), through psql.
fn psql_rows(url: &str, sql: &str) -> Vec<(String, String)> {
    let out = std::process::Command::new("psql")
        .args([url, "-At", "-F", "\t", "-c", sql])
        .output()
        .expect("psql runs (PostgreSQL's client)");
    assert!(
        out.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (a, b) = l.split_once('\t').unwrap_or((l, ""));
            (a.to_string(), b.to_string())
        })
        .collect()
}

async fn count(client: &reqwest::Client, base: &str, key: &str, status: &str) -> usize {
    let mut n = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{base}/api/v1/runs?status={status}&limit=500");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = client
            .get(&url)
            .bearer_auth(key)
            .send()
            .await
            .expect("list runs")
            .json()
            .await
            .expect("json");
        n += page["items"].as_array().map_or(0, Vec::len);
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return n,
        }
    }
}

/// `weft serve --no-workers` on the database: its process, base URL and bootstrap API key,
/// once it is ready.
async fn serve_without_workers(
    url: &str,
    data: &std::path::Path,
    master: &str,
) -> (Proc, String, String) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut serve = spawn(
        &[
            "serve",
            "--no-workers",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ],
        url,
        data,
        master,
    );
    // Read up to the key, then let go of stdout: the server must not die of it (SIGPIPE).
    let stdout = serve.stdout.take().expect("stdout");
    let serve = Proc(serve);
    let api_key = tokio::task::spawn_blocking(move || {
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("line");
            if let Some(k) = line.split("API key (shown once, keep it safe): ").nth(1) {
                return k.trim().to_string();
            }
        }
        panic!("weft serve did not print an API key");
    })
    .await
    .expect("read key");
    let client = reqwest::Client::new();
    // Generous: on a loaded CI machine the debug build can take a while to listen.
    let waiting = Instant::now();
    loop {
        let last = match client.get(format!("{base}/readyz")).send().await {
            Ok(r) if r.status() == 200 => break,
            Ok(r) => format!("{} {}", r.status(), r.text().await.unwrap_or_default()),
            Err(e) => e.to_string(),
        };
        assert!(
            waiting.elapsed() < Duration::from_secs(60),
            "weft serve was not ready within 60 s; /readyz: {last}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (serve, base, api_key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_finish_500_runs_when_one_is_killed() {
    let db = weft_store_pg::testing::TestDatabase::create()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let url = db.url();
    let (addr, effects) = counting_server().await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let master = "a".repeat(64);
    let (_serve, base, api_key) =
        serve_without_workers(&url, &tmp.path().join("serve"), &master).await;
    let client = reqwest::Client::new();
    let wf: Value = client
        .post(format!("{base}/api/v1/workflows"))
        .bearer_auth(&api_key)
        .json(&json!({ "document": workflow(addr) }))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let wf_id = wf["id"].as_str().expect("workflow id").to_string();

    let started = Instant::now();
    for i in 0..RUNS {
        let r = client
            .post(format!("{base}/api/v1/workflows/{wf_id}/runs"))
            .bearer_auth(&api_key)
            .json(&json!({ "input": [{ "n": i }] }))
            .send()
            .await
            .expect("start run");
        assert_eq!(r.status(), 201);
    }

    // The batch is queued; three workers share it.
    let mut workers: Vec<Proc> = (0..3)
        .map(|i| {
            Proc(spawn(
                &["worker"],
                &url,
                &tmp.path().join(format!("w{i}")),
                &master,
            ))
        })
        .collect();

    // Kill one worker once a third of the runs are done.
    loop {
        let done = count(&client, &base, &api_key, "succeeded").await;
        if done >= RUNS / 3 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no progress: {done} done"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let in_flight_at_kill = count(&client, &base, &api_key, "running").await;
    // Kill the worker that holds the most unfinished runs right now (owners record their pid).
    let held = psql_rows(
        &url,
        "SELECT o.pid, r.id FROM runs r JOIN owners o ON o.id = r.owner \
         WHERE r.status NOT IN ('succeeded', 'failed', 'cancelled')",
    );
    let pids: Vec<u32> = workers.iter().map(|w| w.0.id()).collect();
    let victim_pid = pids
        .iter()
        .copied()
        .max_by_key(|p| held.iter().filter(|(pid, _)| pid == &p.to_string()).count())
        .expect("three workers");
    let victim_runs: Vec<String> = held
        .iter()
        .filter(|(pid, _)| pid == &victim_pid.to_string())
        .map(|(_, id)| id.clone())
        .collect();
    let victim = workers.remove(pids.iter().position(|p| *p == victim_pid).expect("victim"));
    let killed_at = Instant::now();
    drop(victim); // SIGKILL

    // The dead worker's runs are reclaimed once its lease runs out, and finish.
    let mut reclaimed_in = None;
    loop {
        if reclaimed_in.is_none() {
            let open = victim_runs.iter().filter(|id| {
                psql_rows(
                    &url,
                    &format!(
                        "SELECT status, '' FROM runs WHERE id = '{id}' \
                     AND status NOT IN ('succeeded', 'failed', 'cancelled')"
                    ),
                )
                .into_iter()
                .next()
                .is_some()
            });
            if open.count() == 0 {
                reclaimed_in = Some(killed_at.elapsed());
            }
        }
        let done = count(&client, &base, &api_key, "succeeded").await;
        if done == RUNS && reclaimed_in.is_some() {
            break;
        }
        assert!(
            killed_at.elapsed() < Duration::from_secs(120),
            "only {done} of {RUNS} runs finished 120 s after the kill"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let reclaimed_in = reclaimed_in.expect("set before the loop ends");
    let all_done_in = killed_at.elapsed();
    let total = started.elapsed();
    if !victim_runs.is_empty() {
        assert!(
            reclaimed_in >= Duration::from_secs(2),
            "the dead worker's runs were taken over after {reclaimed_in:?}, before its lease ran out"
        );
    }
    eprintln!(
        "scale-out: {RUNS} runs on 3 workers; killed the one holding {} unfinished runs \
         ({in_flight_at_kill} running in all); its runs finished {reclaimed_in:?} after the kill \
         (lease {LEASE}); all runs done {all_done_in:?} after the kill, {total:?} in all",
        victim_runs.len()
    );

    // Every effect happened; committed effects never happened twice.
    let seen = effects.seen.lock().expect("lock").clone();
    let mut repeated = 0;
    for (key, serials) in &seen {
        assert!(!key.is_empty(), "every call carries its idempotency key");
        if serials.len() > 1 {
            repeated += 1;
        }
    }
    assert_eq!(
        seen.len(),
        RUNS * 2,
        "every run called both effects once at least"
    );
    assert!(
        repeated <= in_flight_at_kill * 2,
        "{repeated} effects repeated, more than the {in_flight_at_kill} runs in flight could"
    );
    drop(workers);
}

/// A run that a `weft worker` finishes starts the workflows listening for it (`runCompleted`):
/// the trigger fires in the process that finishes the run, not only in `weft serve`. The
/// worker's own `/metrics` (`--metrics-listen`) count the runs it finished, and the
/// organization's live event stream on `weft serve` carries the worker's events (relayed
/// through `NOTIFY weft_events`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_finished_by_a_worker_fire_run_completed_triggers() {
    let db = weft_store_pg::testing::TestDatabase::create()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let url = db.url();
    let tmp = tempfile::tempdir().expect("tempdir");
    let master = "b".repeat(64);
    let (_serve, base, key) = serve_without_workers(&url, &tmp.path().join("serve"), &master).await;
    let client = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(&key)
            .json(&body)
            .send()
    };
    let source: Value = post(
        "/api/v1/workflows",
        json!({ "document": {
            "apiVersion": "weft/v1", "name": "source",
            "nodes": [{"id": "n", "type": "core.set@1", "params": {"fields": {"done": true}}}]
        }}),
    )
    .await
    .expect("create source")
    .json()
    .await
    .expect("json");
    let source_id = source["id"].as_str().expect("id").to_string();
    let follower: Value = post(
        "/api/v1/workflows",
        json!({ "document": {
            "apiVersion": "weft/v1", "name": "follower",
            "triggers": [{"id": "after", "type": "runCompleted", "node": "f",
                          "params": {"workflow": source_id, "status": "succeeded"}}],
            "nodes": [{"id": "f", "type": "core.noop@1"}]
        }}),
    )
    .await
    .expect("create follower")
    .json()
    .await
    .expect("json");
    let follower_id = follower["id"].as_str().expect("id");
    let published = post(
        &format!("/api/v1/workflows/{follower_id}/publish"),
        json!({}),
    )
    .await
    .expect("publish");
    assert_eq!(published.status(), 200);
    let run: Value = post(
        &format!("/api/v1/workflows/{source_id}/runs"),
        json!({"input": [{}]}),
    )
    .await
    .expect("start")
    .json()
    .await
    .expect("json");

    let run_id = run["id"].as_str().expect("run id").to_string();
    let mut stream = client
        .get(format!("{base}/api/v1/events"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("events");
    assert_eq!(stream.status(), 200);
    let relayed = tokio::spawn(async move {
        let mut text = String::new();
        while let Ok(Some(chunk)) = stream.chunk().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
            let finished = text.lines().any(|l| {
                l.starts_with("data:")
                    && l.contains(&run_id)
                    && l.contains(r#""event":"runFinished""#)
            });
            if finished {
                break;
            }
        }
        text
    });

    // Only a worker drives runs here.
    let metrics_addr = format!("127.0.0.1:{}", free_port());
    let _worker = Proc(spawn(
        &["worker", "--metrics-listen", &metrics_addr],
        &url,
        &tmp.path().join("w"),
        &master,
    ));
    let started = Instant::now();
    loop {
        let list: Value = client
            .get(format!("{base}/api/v1/runs?status=succeeded"))
            .bearer_auth(&key)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        let items = list["items"].as_array().cloned().unwrap_or_default();
        if let Some(f) = items.iter().find(|r| r["workflowName"] == "follower") {
            assert_eq!(f["input"][0]["runId"], run["id"]);
            assert_eq!(f["input"][0]["output"], json!([{"done": true}]));
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the follower never ran; runs: {items:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let events = tokio::time::timeout(Duration::from_secs(30), relayed)
        .await
        .expect("the worker's runFinished never reached the organization's stream")
        .expect("stream task");
    assert!(events.contains("event: runStarted"), "{events}");
    assert!(events.contains("event: stepSucceeded"), "{events}");

    let get = |path: &str| client.get(format!("http://{metrics_addr}{path}")).send();
    assert_eq!(get("/readyz").await.expect("readyz").status(), 200);
    // The follower's run may still be finishing; its count lands within moments.
    loop {
        let text = get("/metrics")
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        let source_done =
            text.contains(r#"weft_runs_finished_total{workflow="source",status="succeeded"} 1"#);
        let follower_done =
            text.contains(r#"weft_runs_finished_total{workflow="follower",status="succeeded"} 1"#);
        if source_done && follower_done {
            assert!(text.contains("\nweft_live_workers "), "{text}");
            assert!(
                text.contains(r#"weft_step_duration_seconds_count{node_type="core.set@1"} 1"#),
                "{text}"
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the worker's metrics never counted both runs:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
