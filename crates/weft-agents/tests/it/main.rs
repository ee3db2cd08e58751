//! weft-agents: providers against a scripted server, the agent node in a real engine on
//! SQLite, and everything against the real small model (SmolLM2 via ../shared/llm/serve.sh).

mod agent;
mod cost;
mod live;
mod model;
mod providers;
mod strategies;

use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use weft_engine::{Engine, EngineConfig, RunEvent, StartOptions};
use weft_store_api::{RunRecord, Store, TenantScope};

/// An engine on a fresh SQLite data dir with the built-in nodes and `ai.agent`.
pub struct Harness {
    pub engine: Engine,
    pub scope: TenantScope,
    pub dir: tempfile::TempDir,
}

impl Harness {
    pub async fn new(mode: weft_agents::LlmMode) -> Harness {
        let dir = tempfile::tempdir().expect("tempdir");
        let engine = Self::engine_on(dir.path(), mode).await;
        Harness {
            engine,
            scope: TenantScope::default_org(),
            dir,
        }
    }

    pub async fn engine_on(path: &std::path::Path, mode: weft_agents::LlmMode) -> Engine {
        let store: Arc<dyn Store> = weft_store::SqliteStore::open(path).expect("open store");
        let mut r = weft_node_api::NodeRegistry::new();
        weft_nodes::register_builtins(&mut r);
        weft_agents::register(&mut r, mode);
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

    /// Runs a one-agent workflow (plus `extra` nodes and edges) to its end.
    pub async fn run(&self, doc: Value, input: Value) -> RunRecord {
        let wf: weft_model::Workflow = serde_json::from_value(doc).expect("document");
        let version = self
            .engine
            .register_workflow(&self.scope, &wf)
            .await
            .expect("register");
        let run = self
            .engine
            .start_run(&self.scope, &version, input, StartOptions::default())
            .await
            .expect("start");
        tokio::time::timeout(
            Duration::from_secs(60),
            self.engine.wait_for(&self.scope, run.id),
        )
        .await
        .expect("the run finished in time")
        .expect("wait")
    }
}

/// A workflow with one `ai.agent` node `agent` with these params.
pub fn agent_doc(params: Value) -> Value {
    json!({
        "apiVersion": "weft/v1",
        "name": "agent test",
        "nodes": [{ "id": "agent", "type": "ai.agent@1", "params": params }],
        "edges": [],
    })
}

/// The step output of a succeeded one-item run.
pub fn output(run: &RunRecord) -> Value {
    assert_eq!(
        run.status,
        weft_store_api::RunStatus::Succeeded,
        "run failed: {:?}",
        run.error
    );
    run.output.clone().expect("output")[0].clone()
}

/// Live events received so far.
pub fn drain(rx: &mut tokio::sync::broadcast::Receiver<RunEvent>) -> Vec<RunEvent> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        out.push(e);
    }
    out
}

#[test]
fn the_node_documents_itself_and_its_examples_validate() {
    let mut r = weft_node_api::NodeRegistry::new();
    weft_agents::register(&mut r, weft_agents::LlmMode::Live);
    weft_nodes::testing::check_catalog(&r, &["AI"]);
}

#[tokio::test]
async fn the_agent_examples_validate_and_compile() {
    let h = Harness::new(weft_agents::LlmMode::Live).await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/agents");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("examples/agents") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        let wf = weft_model::parse::parse_document(
            &text,
            weft_model::parse::DocumentFormat::Json,
            &Default::default(),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        h.engine
            .register_workflow(&h.scope, &wf)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        n += 1;
    }
    assert!(n >= 3, "the three agent examples are there");
}
