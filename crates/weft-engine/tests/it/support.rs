//! Test helpers: an engine on a fresh SQLite data dir, and a real HTTP server on 127.0.0.1.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use weft_engine::{Engine, EngineConfig, StartOptions};
use weft_model::Workflow;
use weft_store_api::{RunRecord, Store, TenantScope};

pub struct Harness {
    pub engine: Engine,
    pub scope: TenantScope,
    pub _dir: tempfile::TempDir,
}

pub fn registry() -> Arc<weft_node_api::NodeRegistry> {
    let mut r = weft_node_api::NodeRegistry::new();
    weft_nodes::register_builtins(&mut r);
    Arc::new(r)
}

impl Harness {
    pub async fn new() -> Harness {
        let dir = tempfile::tempdir().expect("tempdir");
        let engine = Self::engine_on(dir.path()).await;
        Harness {
            engine,
            scope: TenantScope::default_org(),
            _dir: dir,
        }
    }

    pub async fn engine_on(path: &std::path::Path) -> Engine {
        let store: Arc<dyn Store> = weft_store::SqliteStore::open(path).expect("open store");
        let config = EngineConfig {
            poll_interval: Duration::from_millis(50),
            ..EngineConfig::default()
        };
        Engine::new(store, registry(), config)
            .await
            .expect("engine")
    }

    pub fn workflow(doc: Value) -> Workflow {
        serde_json::from_value(doc).expect("test document parses")
    }

    pub async fn start(&self, doc: Value, input: Value) -> RunRecord {
        let version = self
            .engine
            .register_workflow(&self.scope, &Self::workflow(doc))
            .await
            .expect("register");
        self.engine
            .start_run(&self.scope, &version, input, StartOptions::default())
            .await
            .expect("start")
    }

    /// Runs to the end, with a generous timeout so a hang fails instead of blocking CI.
    pub async fn run(&self, doc: Value, input: Value) -> RunRecord {
        let run = self.start(doc, input).await;
        self.finish(run.id).await
    }

    pub async fn finish(&self, id: weft_store_api::RunId) -> RunRecord {
        tokio::time::timeout(
            Duration::from_secs(30),
            self.engine.wait_for(&self.scope, id),
        )
        .await
        .expect("run finished in time")
        .expect("wait")
    }
}

/// A counting HTTP server: every request is recorded with its Idempotency-Key and a serial
/// number, which the response echoes.
#[derive(Clone, Default)]
pub struct Counter {
    pub requests: Arc<Mutex<Vec<(String, String, u64)>>>,
    failures: Arc<Mutex<HashMap<String, u32>>>,
}

impl Counter {
    pub fn count(&self, path: &str) -> usize {
        self.requests
            .lock()
            .map(|r| r.iter().filter(|(p, _, _)| p == path).count())
            .unwrap_or(0)
    }
}

fn key(headers: &HeaderMap) -> String {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

fn record(c: &Counter, path: &str, headers: &HeaderMap) -> u64 {
    let mut r = c.requests.lock().expect("lock");
    let serial = r.len() as u64 + 1;
    r.push((path.to_string(), key(headers), serial));
    serial
}

pub async fn serve() -> (SocketAddr, Counter) {
    let counter = Counter::default();
    let app = Router::new()
        .route(
            "/echo",
            any(
                |State(c): State<Counter>, headers: HeaderMap, body: String| async move {
                    let serial = record(&c, "/echo", &headers);
                    let body: Value = serde_json::from_str(&body).unwrap_or(Value::String(body));
                    Json(json!({"serial": serial, "key": key(&headers), "body": body}))
                },
            ),
        )
        .route(
            "/flaky/{times}",
            any(
                |State(c): State<Counter>, Path(times): Path<u32>, headers: HeaderMap| async move {
                    let serial = record(&c, "/flaky", &headers);
                    let k = key(&headers);
                    let mut f = c.failures.lock().expect("lock");
                    let n = f.entry(k).or_insert(0);
                    if *n < times {
                        *n += 1;
                        return (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response();
                    }
                    Json(json!({"serial": serial, "ok": true})).into_response()
                },
            ),
        )
        .route(
            "/throttled",
            any(|State(c): State<Counter>, headers: HeaderMap| async move {
                record(&c, "/throttled", &headers);
                let k = key(&headers);
                let mut f = c.failures.lock().expect("lock");
                let n = f.entry(format!("throttle/{k}")).or_insert(0);
                *n += 1;
                if *n == 1 {
                    let mut r: Response =
                        (StatusCode::TOO_MANY_REQUESTS, "slow down").into_response();
                    r.headers_mut()
                        .insert("retry-after", "1".parse().expect("header"));
                    return r;
                }
                Json(json!({"ok": true})).into_response()
            }),
        )
        .route(
            "/status/{code}",
            any(
                |State(c): State<Counter>, Path(code): Path<u16>, headers: HeaderMap| async move {
                    record(&c, "/status", &headers);
                    (
                        StatusCode::from_u16(code).unwrap_or(StatusCode::IM_A_TEAPOT),
                        "status as asked",
                    )
                        .into_response()
                },
            ),
        )
        .route(
            "/slow/{ms}",
            get(
                |State(c): State<Counter>, Path(ms): Path<u64>, headers: HeaderMap| async move {
                    record(&c, "/slow", &headers);
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    Json(json!({"slept": ms}))
                },
            ),
        )
        .with_state(counter.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, counter)
}
