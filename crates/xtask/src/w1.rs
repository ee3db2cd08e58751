//! `cargo xtask bench w1`: the W1 webhook-chain workload of DESIGN.md against a real
//! `weft serve` process.
//!
//! A webhook (`responseMode: lastNode`) starts ten chained `core.set@1` steps, each adding one
//! to `x`; the response is the last step's item. Every run is persisted in the default SQLite
//! store. The task installs `wrk` when it is missing (`apt-get install wrk`), builds `weft` in
//! release mode, starts `weft serve` on a temporary data directory and a free 127.0.0.1 port,
//! creates and publishes the workflow through the API with the bootstrap key, warms up,
//! measures idle RSS, runs `wrk --latency` with a small Lua script, reads peak RSS (`VmHWM`),
//! checks that every request became one persisted succeeded run, stops the server with SIGTERM
//! and prints a table. Every phase has a deadline; the server is killed and the data directory
//! removed on every way out.

use serde_json::{Value, json};
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::serve::Server;

/// Steps in the chain.
pub(crate) const STEPS: i64 = 10;
/// Sequential requests before anything is measured.
const WARMUP_REQUESTS: usize = 500;

/// `cargo xtask bench w1` options.
struct Options {
    duration_secs: u64,
    connections: u32,
    threads: u32,
    keep: bool,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut o = Options {
            duration_secs: 20,
            connections: 16,
            threads: 1,
            keep: false,
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut number = |name: &str| -> Result<u64, String> {
                it.next()
                    .and_then(|v| v.trim_end_matches('s').parse().ok())
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("{name} needs a positive number"))
            };
            match a.as_str() {
                "--duration" => o.duration_secs = number("--duration")?.min(600),
                "--connections" => o.connections = number("--connections")?.min(1024) as u32,
                "--threads" => o.threads = number("--threads")?.min(64) as u32,
                "--keep" => o.keep = true,
                other => {
                    return Err(format!(
                        "unknown option {other}; w1 takes --duration SECS, --connections N, --threads N, --keep"
                    ));
                }
            }
        }
        Ok(o)
    }
}

/// The W1 document: a webhook on `POST /webhook/w1` answering with the last node's output,
/// ten `core.set@1` steps in a chain.
pub(crate) fn document() -> Value {
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for i in 0..STEPS {
        // The first step takes the counter from the request body; the item keeps only `x`, so
        // each journaled step output is a small object, as a transform step's would be.
        let x = if i == 0 {
            "{{ $json.body.x + 1 }}"
        } else {
            "{{ $json.x + 1 }}"
        };
        nodes.push(json!({
            "id": format!("s{i}"),
            "type": "core.set@1",
            "params": { "mode": "replace", "fields": { "x": x } },
        }));
        if i > 0 {
            edges.push(json!({
                "from": { "node": format!("s{}", i - 1) },
                "to": { "node": format!("s{i}") },
            }));
        }
    }
    json!({
        "apiVersion": "weft/v1",
        "name": "W1 webhook-chain",
        "triggers": [{
            "id": "hook",
            "type": "webhook",
            "node": "s0",
            "params": { "path": "w1", "method": "POST", "responseMode": "lastNode" },
        }],
        "nodes": nodes,
        "edges": edges,
    })
}

pub(crate) const WRK_SCRIPT: &str = r#"-- W1: every request posts the same small JSON body; done() prints one parseable line.
wrk.method = "POST"
wrk.body = '{"x":1}'
wrk.headers["Content-Type"] = "application/json"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'W1RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
"#;

/// What the run measured.
struct Results {
    requests: u64,
    duration: Duration,
    errors: Value,
    latency_us: Value,
    rss_start_kb: u64,
    rss_idle_kb: u64,
    rss_peak_kb: u64,
    rss_after_kb: u64,
    cpu_ms: f64,
    succeeded_runs: u64,
    other_runs: u64,
    stop: String,
}

pub fn run(args: &[String], build: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    let opts = Options::parse(args)?;
    ensure_wrk()?;
    build()?;
    let bin = crate::target_dir().join("release/weft");
    if !bin.is_file() {
        return Err(format!("{} was not built", bin.display()));
    }
    let dir = std::env::temp_dir().join(format!(
        "weft-bench-w1-{}-{}",
        std::process::id(),
        chrono_free_stamp()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let mut server = Server::start(&bin, &dir, opts.keep)?;
    let result = measure(&mut server, &opts);
    match result {
        Ok(r) => {
            print_table(&r, &opts, &server);
            if r.other_runs > 0 || r.succeeded_runs < r.requests {
                return Err(format!(
                    "{} requests completed but {} runs succeeded and {} did not",
                    r.requests, r.succeeded_runs, r.other_runs
                ));
            }
            Ok(())
        }
        Err(e) => Err(format!(
            "{e}\n--- server log (last lines) ---\n{}",
            server.log_tail()
        )),
    }
}

fn measure(server: &mut Server, opts: &Options) -> Result<Results, String> {
    let api = server.api.clone();
    eprintln!("==> creating and publishing the W1 workflow");
    let (status, wf) = api.call(
        "POST",
        "/api/v1/workflows",
        Some(&json!({ "document": document(), "tags": ["bench"] })),
    )?;
    if status != 201 {
        return Err(format!("creating the workflow: {status} {wf}"));
    }
    let id = wf["id"]
        .as_str()
        .ok_or_else(|| format!("no id in {wf}"))?
        .to_string();
    let (status, body) = api.call(
        "POST",
        &format!("/api/v1/workflows/{id}/publish"),
        Some(&json!({})),
    )?;
    if status != 200 {
        return Err(format!("publishing the workflow: {status} {body}"));
    }
    let rss_start_kb = server.status_kb("VmRSS")?;

    eprintln!("==> warming up: {WARMUP_REQUESTS} sequential requests, each checked");
    for i in 0..WARMUP_REQUESTS as i64 {
        let (status, body) = api.call("POST", "/webhook/w1", Some(&json!({ "x": i })))?;
        if status != 200 || body != json!({ "x": i + STEPS }) {
            return Err(format!(
                "warm-up request {i}: expected 200 {{\"x\":{}}}, got {status} {body}",
                i + STEPS
            ));
        }
    }
    std::thread::sleep(Duration::from_secs(2));
    let rss_idle_kb = server.status_kb("VmRSS")?;
    let before = api.count_runs("succeeded")?;
    let cpu_before = server.cpu_seconds()?;

    let script = server.dir.join("w1.lua");
    std::fs::write(&script, WRK_SCRIPT).map_err(|e| format!("writing {script:?}: {e}"))?;
    let url = format!("http://{}/webhook/w1", api.addr);
    let (threads, conns, secs) = (
        opts.threads.to_string(),
        opts.connections.to_string(),
        format!("{}s", opts.duration_secs),
    );
    let wrk_args = [
        "-t",
        &threads,
        "-c",
        &conns,
        "-d",
        &secs,
        "--latency",
        "--timeout",
        "10s",
        "-s",
    ];
    eprintln!("==> wrk {} {} {url}", wrk_args.join(" "), script.display());
    let output = run_bounded(
        Command::new("wrk").args(wrk_args).arg(&script).arg(&url),
        Duration::from_secs(opts.duration_secs + 60),
    )?;
    eprint!("{output}");
    let cpu_ms = (server.cpu_seconds()? - cpu_before) * 1000.0;
    let rss_peak_kb = server.status_kb("VmHWM")?;
    let line = output
        .lines()
        .find_map(|l| l.strip_prefix("W1RESULT "))
        .ok_or("wrk printed no result line")?;
    let w: Value = serde_json::from_str(line).map_err(|e| format!("wrk result {line}: {e}"))?;
    let n = |k: &str| w[k].as_u64().unwrap_or(0);

    eprintln!("==> waiting for in-flight runs, then counting persisted runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    while api.count_runs_limited("queued,running,waiting,paused", 1)? > 0 {
        if Instant::now() > deadline {
            return Err("runs were still unfinished 60 s after the load".into());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let succeeded = api.count_runs("succeeded")? - before;
    let other = api.count_runs("failed,cancelled,queued,running,waiting,paused")?;
    std::thread::sleep(Duration::from_secs(2));
    let rss_after_kb = server.status_kb("VmRSS")?;

    eprintln!("==> stopping the server with SIGTERM");
    let stop = server.stop(Duration::from_secs(60))?;
    Ok(Results {
        requests: n("requests"),
        duration: Duration::from_micros(n("duration_us")),
        errors: json!({
            "connect": n("connect"), "read": n("read"), "write": n("write"),
            "status": n("status"), "timeout": n("timeout"),
        }),
        latency_us: json!({
            "p50": n("p50"), "p90": n("p90"), "p99": n("p99"), "p999": n("p999"),
            "max": n("max"), "mean": w["mean"].as_f64().unwrap_or(0.0),
        }),
        rss_start_kb,
        rss_idle_kb,
        rss_peak_kb,
        rss_after_kb,
        cpu_ms,
        succeeded_runs: succeeded,
        other_runs: other,
        stop,
    })
}

fn print_table(r: &Results, opts: &Options, server: &Server) {
    let secs = r.duration.as_secs_f64().max(1e-9);
    let rps = r.requests as f64 / secs;
    let ms = |k: &str| r.latency_us[k].as_f64().unwrap_or(0.0) / 1000.0;
    let mb = |kb: u64| kb as f64 / 1024.0;
    let mark = |ok: bool| if ok { "met" } else { "MISSED" };
    let errors: u64 = r
        .errors
        .as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0);
    println!();
    println!(
        "W1 webhook-chain: wrk -t{} -c{} -d{}s --latency, {STEPS} core.set@1 steps, responseMode lastNode, SQLite",
        opts.threads, opts.connections, opts.duration_secs
    );
    println!();
    println!("| metric | result | target |");
    println!("|---|---|---|");
    println!(
        "| requests/s | {} | ≥ 7,000 ({}) |",
        group(rps.round() as u64),
        mark(rps >= 7000.0)
    );
    println!("| requests (in {:.1} s) | {} | |", secs, group(r.requests));
    println!("| latency p50 | {:.2} ms | |", ms("p50"));
    println!("| latency p90 | {:.2} ms | |", ms("p90"));
    println!(
        "| latency p99 | {:.2} ms | ≤ 10 ms ({}) |",
        ms("p99"),
        mark(ms("p99") <= 10.0)
    );
    println!(
        "| latency p99.9 / max | {:.2} / {:.2} ms | |",
        ms("p999"),
        ms("max")
    );
    println!(
        "| errors (connect, read, write, non-2xx, timeout) | {} ({}) | 0 |",
        errors,
        ["connect", "read", "write", "status", "timeout"]
            .map(|k| r.errors[k].as_u64().unwrap_or(0).to_string())
            .join(", ")
    );
    println!(
        "| server peak RSS (VmHWM) | {:.1} MB | ≤ 100 MB ({}) |",
        mb(r.rss_peak_kb),
        mark(r.rss_peak_kb <= 100 * 1024)
    );
    println!(
        "| server idle RSS (after start + warm-up) | {:.1} MB | ≤ 40 MB ({}) |",
        mb(r.rss_idle_kb),
        mark(r.rss_idle_kb <= 40 * 1024)
    );
    println!(
        "| server RSS after start | {:.1} MB | |",
        mb(r.rss_start_kb)
    );
    println!(
        "| server RSS 2 s after the load | {:.1} MB | |",
        mb(r.rss_after_kb)
    );
    println!(
        "| server CPU per request | {:.0} µs | |",
        r.cpu_ms * 1000.0 / r.requests.max(1) as f64
    );
    println!(
        "| runs persisted as succeeded / requests completed | {} / {} | every request |",
        group(r.succeeded_runs),
        group(r.requests)
    );
    println!("| runs failed or unfinished | {} | 0 |", r.other_runs);
    println!("| stop (SIGTERM) | {} | |", r.stop);
    println!();
    println!(
        "(wrk abandons the requests in flight when its time is up: their runs still complete, so up to {} more runs than requests is expected.)",
        opts.connections
    );
    if opts.keep {
        println!("data directory kept: {}", server.dir.display());
    }
}

fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A unique-enough suffix for the temporary directory.
fn chrono_free_stamp() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn have_wrk() -> bool {
    Command::new("wrk")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Installs wrk from the distribution when it is missing (Debian/Ubuntu: `apt-get`).
pub(crate) fn ensure_wrk() -> Result<(), String> {
    if have_wrk() {
        return Ok(());
    }
    eprintln!("==> wrk is missing: apt-get install -y wrk");
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let apt = |args: &[&str]| {
        let mut cmd = if root {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.args(["-n", "apt-get"]);
            c
        };
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd.status().map(|s| s.success()).unwrap_or(false)
    };
    let installed =
        apt(&["install", "-y", "wrk"]) || (apt(&["update"]) && apt(&["install", "-y", "wrk"]));
    if !installed {
        return Err(
            "wrk is not installed and `apt-get install -y wrk` failed; install wrk (https://github.com/wg/wrk) and run again"
                .into(),
        );
    }
    if have_wrk() {
        Ok(())
    } else {
        Err("wrk is still not on PATH after installing it".into())
    }
}

/// Runs a command to completion within `limit`, returning its stdout.
pub(crate) fn run_bounded(cmd: &mut Command, limit: Duration) -> Result<String, String> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("starting {cmd:?}: {e}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let out = reader.join().unwrap_or_default();
                if !status.success() {
                    return Err(format!("{cmd:?} failed ({status}):\n{out}"));
                }
                return Ok(out);
            }
            Ok(None) if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{cmd:?} did not finish within {limit:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("waiting for {cmd:?}: {e}")),
        }
    }
}
