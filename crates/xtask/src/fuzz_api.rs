//! `cargo xtask fuzz-api [EXAMPLES]`: fuzzes a running `weft serve` from its own OpenAPI
//! document with schemathesis (PyPI), on 127.0.0.1. Part of `cargo xtask test`.
//!
//! Schemathesis is installed, pinned, into a virtual environment under `~/.cache` on first
//! use. The server runs on a fresh data directory with one workflow, one published webhook
//! workflow and one finished run, so ids exist for the fuzzer to find. Every operation gets
//! generated valid and invalid requests; the run fails on any 5xx, on a response that does not
//! match the document, and if the server is not alive and healthy afterwards or logged a panic.

use crate::serve::Server;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The schemathesis release the checks are written against.
const SCHEMATHESIS: &str = "4.32.5";
/// Checks every response must pass.
const CHECKS: &str = "not_a_server_error,response_schema_conformance,content_type_conformance";

/// Fuzzes a server started from `bin` with `examples` generated cases per operation and phase.
pub fn run(bin: &Path, examples: u32) -> Result<(), String> {
    let st = ensure_schemathesis()?;
    let dir = std::env::temp_dir().join(format!(
        "weft-fuzz-api-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let mut server = Server::start(bin, &dir, false)?;
    let result = fuzz(&mut server, &st, examples);
    let alive = server.api.call("GET", "/healthz", None);
    let log = std::fs::read_to_string(server.dir.join("server.log")).unwrap_or_default();
    let stopped = server.stop(Duration::from_secs(15));
    result?;
    match alive {
        Ok((200, _)) => {}
        Ok((status, body)) => return Err(format!("after fuzzing, /healthz says {status}: {body}")),
        Err(e) => return Err(format!("after fuzzing, the server does not answer: {e}")),
    }
    if let Some(line) = log.lines().find(|l| l.contains("panicked")) {
        return Err(format!("the server logged a panic while fuzzed: {line}"));
    }
    stopped.map(|_| ())
}

fn fuzz(server: &mut Server, st: &Path, examples: u32) -> Result<(), String> {
    seed(server)?;
    // The fuzzer must not revoke or rotate the key it authenticates with.
    let (_, keys) = server.api.call("GET", "/api/v1/api-keys", None)?;
    let protected = keys["items"]
        .as_array()
        .and_then(|items| items.first())
        .and_then(|k| k["id"].as_str())
        .ok_or_else(|| format!("no API key listed: {keys}"))?
        .to_string();
    let hooks_dir = crate::root().join("crates/xtask/schemathesis");
    let base = format!("http://{}", server.api.addr);
    eprintln!("==> schemathesis {SCHEMATHESIS}: {examples} examples per operation against {base}");
    let started = Instant::now();
    let status = Command::new(st)
        .current_dir(&server.dir)
        .args(["run", &format!("{base}/api/openapi.json")])
        .args(["--url", &base])
        .args(["-H", &format!("Authorization: Bearer {}", server.api.key)])
        .args(["--checks", CHECKS])
        .args(["--max-examples", &examples.to_string()])
        .args(["--workers", "2"])
        .args(["--request-timeout", "10"])
        .args(["--seed", "20261123"])
        .args(["--generation-database", "none"])
        .args(["--suppress-health-check", "all"])
        .args(["--no-color"])
        .env("SCHEMATHESIS_HOOKS", "weft_hooks")
        .env("PYTHONPATH", &hooks_dir)
        .env("WEFT_FUZZ_PROTECTED_KEY_ID", &protected)
        .status()
        .map_err(|e| format!("starting {}: {e}", st.display()))?;
    eprintln!("==> schemathesis finished in {:.0?}", started.elapsed());
    if !status.success() {
        return Err(format!(
            "schemathesis found problems ({status}); the server log is in the output above\n{}",
            server.log_tail()
        ));
    }
    Ok(())
}

/// One workflow, one published webhook workflow and one finished run.
fn seed(server: &Server) -> Result<(), String> {
    let api = &server.api;
    let doc = json!({
        "apiVersion": "weft/v1",
        "name": "seed",
        "nodes": [
            { "id": "hook", "type": "core.noop@1" },
            { "id": "hello", "type": "core.set@1", "params": { "fields": { "message": "hi" } } }
        ],
        "edges": [{ "from": { "node": "hook" }, "to": { "node": "hello" } }],
        "triggers": [{ "id": "web", "type": "webhook", "node": "hook",
                       "params": { "path": "seed", "responseMode": "lastNode" } }]
    });
    let (status, wf) = api.call(
        "POST",
        "/api/v1/workflows",
        Some(&json!({ "document": doc, "tags": ["seed"] })),
    )?;
    if status != 201 {
        return Err(format!("seeding a workflow: {status} {wf}"));
    }
    let id = wf["id"].as_str().unwrap_or_default().to_string();
    let (status, body) = api.call(
        "POST",
        &format!("/api/v1/workflows/{id}/publish"),
        Some(&json!({})),
    )?;
    if status != 200 {
        return Err(format!("publishing the seed workflow: {status} {body}"));
    }
    let (status, body) = api.call(
        "POST",
        &format!("/api/v1/workflows/{id}/runs"),
        Some(&json!({ "input": [{}] })),
    )?;
    if status != 201 {
        return Err(format!("starting a seed run: {status} {body}"));
    }
    Ok(())
}

/// The `st` executable of a virtual environment with the pinned schemathesis, created on first
/// use (from PyPI).
fn ensure_schemathesis() -> Result<PathBuf, String> {
    let home = std::env::var_os("HOME").ok_or("HOME is not set")?;
    let venv = PathBuf::from(home).join(format!(".cache/weft-schemathesis-{SCHEMATHESIS}"));
    let st = venv.join("bin/st");
    let installed = Command::new(&st).arg("--version").output().is_ok_and(|o| {
        o.status.success() && String::from_utf8_lossy(&o.stdout).contains(SCHEMATHESIS)
    });
    if installed {
        return Ok(st);
    }
    eprintln!(
        "==> installing schemathesis {SCHEMATHESIS} into {}",
        venv.display()
    );
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    crate::run(
        {
            let mut c = Command::new(&python);
            c.args(["-m", "venv"]).arg(&venv);
            c
        },
        &format!("{python} -m venv"),
    )?;
    crate::run(
        {
            let mut c = Command::new(venv.join("bin/pip"));
            c.args(["install", "--quiet", "--disable-pip-version-check"])
                .arg(format!("schemathesis=={SCHEMATHESIS}"));
            c
        },
        "pip install schemathesis",
    )?;
    Ok(st)
}
