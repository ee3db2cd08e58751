//! `cargo xtask bench s3`: scale-out on PostgreSQL. For 1, 2 and 4 `weft worker` processes
//! behind one `weft serve --no-workers` (all on one fresh database of the PostgreSQL at
//! 127.0.0.1:5432, or `WEFT_TEST_PG_URL`):
//!
//! - W1: the webhook chain of `w1.rs` loaded with `wrk -t1 -c16 -d10s`; the API process
//!   answers each request when a worker has finished the run (it learns of it through
//!   `LISTEN weft_done`).
//! - W2: forty sequential `core.set@1` steps; 200 runs started through the API at once, timed
//!   until the last one has succeeded.
//!
//! Every process is killed and every database dropped on the way out.

use crate::serve::Server;
use crate::w1::{WRK_SCRIPT, document, ensure_wrk, run_bounded};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WORKER_COUNTS: [usize; 3] = [1, 2, 4];
const W1_SECONDS: u64 = 10;
const W2_RUNS: u64 = 200;
const W2_STEPS: usize = 40;
const MASTER_KEY: &str = "5f3c0d2a9b8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a";

/// Worker processes, killed when dropped.
struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            // SIGTERM first: workers drain and release their runs.
            unsafe {
                libc::kill(c.id() as i32, libc::SIGTERM);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        for c in &mut self.0 {
            while matches!(c.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A database created for one measurement, dropped with this guard.
struct Database {
    base: String,
    name: String,
}

impl Database {
    fn create(base: &str, name: String) -> Result<Database, String> {
        psql(base, &format!("CREATE DATABASE {name}"))?;
        Ok(Database {
            base: base.to_string(),
            name,
        })
    }

    fn url(&self) -> String {
        match self.base.rfind('/') {
            Some(i) if i > "postgres://".len() => format!("{}/{}", &self.base[..i], self.name),
            _ => format!("{}/{}", self.base, self.name),
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = psql(
            &self.base,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

fn psql(url: &str, sql: &str) -> Result<(), String> {
    let out = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .output()
        .map_err(|e| format!("running psql (PostgreSQL's client): {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "psql {sql:?} on {url} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// One row of the table.
struct Row {
    workers: usize,
    w1_rps: f64,
    w1_p50_ms: f64,
    w1_p99_ms: f64,
    w1_errors: u64,
    w2_runs_per_s: f64,
    w2_steps_per_s: f64,
}

pub fn run(build: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    ensure_wrk()?;
    build()?;
    let bin = crate::target_dir().join("release/weft");
    let base = std::env::var("WEFT_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut rows = Vec::new();
    for workers in WORKER_COUNTS {
        eprintln!("==> S3 with {workers} worker(s)");
        rows.push(measure(&bin, &base, workers)?);
    }
    println!();
    println!("S3 on PostgreSQL: weft serve --no-workers + N weft worker (release build)");
    println!("| workers | W1 requests/s | W1 p50 | W1 p99 | W1 errors | W2 runs/s | W2 steps/s |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {:.0} | {:.1} ms | {:.1} ms | {} | {:.1} | {:.0} |",
            r.workers,
            r.w1_rps,
            r.w1_p50_ms,
            r.w1_p99_ms,
            r.w1_errors,
            r.w2_runs_per_s,
            r.w2_steps_per_s
        );
    }
    Ok(())
}

fn measure(bin: &Path, base: &str, workers: usize) -> Result<Row, String> {
    let db = Database::create(base, format!("weft_s3_{}_{workers}", std::process::id()))?;
    let url = db.url();
    let dir = std::env::temp_dir().join(format!("weft-bench-s3-{}-{workers}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let server = Server::start_with(
        bin,
        &dir,
        false,
        &["--no-workers", "--database", &url],
        &[("WEFT_MASTER_KEY", MASTER_KEY), ("WEFT_LOG", "warn")],
    )?;
    let _workers = Workers(
        (0..workers)
            .map(|i| spawn_worker(bin, &url, &dir.join(format!("worker-{i}"))))
            .collect::<Result<_, _>>()?,
    );
    let result = (|| {
        let (rps, p50, p99, errors) = w1(&server)?;
        let (runs_per_s, steps_per_s) = w2(&server)?;
        Ok(Row {
            workers,
            w1_rps: rps,
            w1_p50_ms: p50,
            w1_p99_ms: p99,
            w1_errors: errors,
            w2_runs_per_s: runs_per_s,
            w2_steps_per_s: steps_per_s,
        })
    })();
    result.map_err(|e: String| format!("{e}\n--- server log ---\n{}", server.log_tail()))
}

fn spawn_worker(bin: &Path, url: &str, dir: &PathBuf) -> Result<Child, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let log = std::fs::File::create(dir.join("worker.log"))
        .map_err(|e| format!("creating the worker log: {e}"))?;
    Command::new(bin)
        .args(["worker", "--database", url, "--data-dir"])
        .arg(dir)
        .env("WEFT_MASTER_KEY", MASTER_KEY)
        .env("WEFT_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("starting weft worker: {e}"))
}

/// W1 through the API process; returns requests/s, p50 and p99 in ms, and errors.
fn w1(server: &Server) -> Result<(f64, f64, f64, u64), String> {
    let api = &server.api;
    let (status, wf) = api.call(
        "POST",
        "/api/v1/workflows",
        Some(&json!({ "document": document(), "tags": ["bench"] })),
    )?;
    if status != 201 {
        return Err(format!("creating W1: {status} {wf}"));
    }
    let id = wf["id"].as_str().unwrap_or_default().to_string();
    let (status, body) = api.call(
        "POST",
        &format!("/api/v1/workflows/{id}/publish"),
        Some(&json!({})),
    )?;
    if status != 200 {
        return Err(format!("publishing W1: {status} {body}"));
    }
    for i in 0..50 {
        let (status, body) = api.call("POST", "/webhook/w1", Some(&json!({ "x": i })))?;
        if status != 200 || body != json!({ "x": i + crate::w1::STEPS }) {
            return Err(format!("warm-up request {i}: got {status} {body}"));
        }
    }
    let script = server.dir.join("w1.lua");
    std::fs::write(&script, WRK_SCRIPT).map_err(|e| format!("writing {script:?}: {e}"))?;
    let url = format!("http://{}/webhook/w1", api.addr);
    let secs = format!("{W1_SECONDS}s");
    let args = [
        "-t",
        "1",
        "-c",
        "16",
        "-d",
        &secs,
        "--latency",
        "--timeout",
        "10s",
        "-s",
    ];
    eprintln!("==> wrk {} {url}", args.join(" "));
    let output = run_bounded(
        Command::new("wrk").args(args).arg(&script).arg(&url),
        Duration::from_secs(W1_SECONDS + 60),
    )?;
    let line = output
        .lines()
        .find_map(|l| l.strip_prefix("W1RESULT "))
        .ok_or_else(|| format!("wrk printed no result line:\n{output}"))?;
    let w: Value = serde_json::from_str(line).map_err(|e| format!("wrk result {line}: {e}"))?;
    let n = |k: &str| w[k].as_u64().unwrap_or(0);
    let secs = (n("duration_us") as f64 / 1e6).max(1e-9);
    let errors = n("connect") + n("read") + n("write") + n("status") + n("timeout");
    Ok((
        n("requests") as f64 / secs,
        n("p50") as f64 / 1000.0,
        n("p99") as f64 / 1000.0,
        errors,
    ))
}

/// W2: runs started at once through the API; returns runs/s and steps/s until the last one
/// succeeded.
fn w2(server: &Server) -> Result<(f64, f64), String> {
    let api = &server.api;
    let nodes: Vec<Value> = (0..W2_STEPS)
        .map(|i| {
            json!({ "id": format!("s{i}"), "type": "core.set@1",
                    "params": { "fields": { "x": "{{ $json.x + 1 }}" } } })
        })
        .collect();
    let edges: Vec<Value> = (1..W2_STEPS)
        .map(|i| json!({ "from": { "node": format!("s{}", i - 1) }, "to": { "node": format!("s{i}") } }))
        .collect();
    let doc = json!({ "apiVersion": "weft/v1", "name": "W2 forty-sequential", "nodes": nodes, "edges": edges });
    let (status, wf) = api.call(
        "POST",
        "/api/v1/workflows",
        Some(&json!({ "document": doc })),
    )?;
    if status != 201 {
        return Err(format!("creating W2: {status} {wf}"));
    }
    let id = wf["id"].as_str().unwrap_or_default().to_string();
    let before = api.count_runs("succeeded")?;
    let started = Instant::now();
    for i in 0..W2_RUNS {
        let (status, body) = api.call(
            "POST",
            &format!("/api/v1/workflows/{id}/runs"),
            Some(&json!({ "input": [{ "x": i }] })),
        )?;
        if status != 201 {
            return Err(format!("starting W2 run {i}: {status} {body}"));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let done = api.count_runs("succeeded")? - before;
        if done >= W2_RUNS {
            break;
        }
        if api.count_runs_limited("failed,cancelled", 1)? > 0 {
            return Err("a W2 run did not succeed".into());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "only {done} of {W2_RUNS} W2 runs finished in 300 s"
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let secs = started.elapsed().as_secs_f64();
    Ok((
        W2_RUNS as f64 / secs,
        (W2_RUNS as f64 * W2_STEPS as f64) / secs,
    ))
}
