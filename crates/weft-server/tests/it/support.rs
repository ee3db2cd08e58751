//! The running server the API suite drives, over the backend the test binary names.

use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use weft_engine::{Engine, EngineConfig};
use weft_node_api::NodeRegistry;
use weft_server::{AppState, ServerConfig};
use weft_store_api::Store;
use weft_store_api::control::ControlPlane;

/// A running server and a client with the bootstrap admin key.
pub struct Server {
    pub addr: SocketAddr,
    pub key: String,
    pub login_url: String,
    pub client: Client,
    pub state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
    // Dropped after the server: the database goes last.
    _db: Option<weft_store_pg::testing::TestDatabase>,
}

/// The database a test binary runs the suite on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded store in a fresh data directory.
    Sqlite,
    /// A fresh database on the PostgreSQL at 127.0.0.1:5432 (or `WEFT_TEST_PG_URL`).
    Postgres,
}

impl Server {
    /// Starts a server on a fresh database of the test binary's backend.
    pub async fn start() -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        match crate::BACKEND {
            Backend::Sqlite => {
                let store = weft_store::SqliteStore::open(dir.path()).expect("open store");
                let control: Arc<dyn ControlPlane> = store.clone();
                Self::start_on(dir, None, store, control).await
            }
            Backend::Postgres => {
                let db = weft_store_pg::testing::TestDatabase::create()
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let store = weft_store_pg::PgStore::connect(
                    &db.url(),
                    weft_store_pg::PgOptions {
                        max_connections: 4,
                        ..Default::default()
                    },
                )
                .await
                .expect("connect to the test database");
                let control: Arc<dyn ControlPlane> = store.clone();
                Self::start_on(dir, Some(db), store, control).await
            }
        }
    }

    /// Starts a server over the given stores.
    async fn start_on(
        dir: tempfile::TempDir,
        db: Option<weft_store_pg::testing::TestDatabase>,
        store: Arc<dyn Store>,
        control: Arc<dyn ControlPlane>,
    ) -> Server {
        let mut registry = NodeRegistry::new();
        weft_nodes::register_builtins(&mut registry);
        let vault = Arc::new(weft_secrets::Vault::new(
            &weft_secrets::MasterKey::generate(),
        ));
        let engine = Engine::new(
            store,
            Arc::new(registry),
            EngineConfig {
                vault: Some(vault.clone()),
                poll_interval: Duration::from_millis(50),
                ..EngineConfig::default()
            },
        )
        .await
        .expect("engine");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let config = ServerConfig {
            public_url: format!("http://{addr}"),
            max_body_bytes: 1024 * 1024,
            max_webhook_body_bytes: 256 * 1024,
            shutdown_grace: Duration::from_secs(5),
            ..ServerConfig::default()
        };
        let state = AppState::new(engine, control.clone(), Some(vault), config);
        let boot = weft_server::bootstrap(control.as_ref(), &format!("http://{addr}"))
            .await
            .expect("bootstrap")
            .expect("first start creates the organization");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = state.clone();
        let task = tokio::spawn(async move {
            weft_server::serve(serving, listener, async move {
                let _ = stopped.await;
            })
            .await
            .expect("serve");
        });
        Server {
            addr,
            key: boot.api_key,
            login_url: boot.login_url,
            client: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            state,
            stop: Some(stop),
            task: Some(task),
            _dir: dir,
            _db: db,
        }
    }

    /// The URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A request with the admin key.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.key)
    }

    /// A request with another key.
    pub fn req_as(&self, key: &str, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(key)
    }

    /// GET with the admin key; returns status and JSON.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        send(self.req(Method::GET, path)).await
    }

    /// POST JSON with the admin key.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        send(self.req(Method::POST, path).json(&body)).await
    }

    /// Creates a workflow and returns its JSON.
    pub async fn create(&self, doc: Value) -> Value {
        let (status, body) = self
            .post(
                "/api/v1/workflows",
                json!({ "document": doc, "tags": ["test"] }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body
    }

    /// Creates and publishes a workflow; returns its id.
    pub async fn publish(&self, doc: Value) -> String {
        let wf = self.create(doc).await;
        let id = wf["id"].as_str().expect("id").to_string();
        let (status, body) = self
            .post(&format!("/api/v1/workflows/{id}/publish"), json!({}))
            .await;
        assert_eq!(status, 200, "{body}");
        id
    }

    /// Polls a run until it is finished.
    pub async fn wait_run(&self, run_id: &str) -> Value {
        for _ in 0..400 {
            let (status, body) = self.get(&format!("/api/v1/runs/{run_id}")).await;
            assert_eq!(status, 200, "{body}");
            let s = body["run"]["status"].as_str().unwrap_or_default();
            if matches!(s, "succeeded" | "failed" | "cancelled") {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("run {run_id} did not finish in 10 s");
    }

    /// Stops the server gracefully.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(20), t)
                .await
                .expect("graceful shutdown within 20 s")
                .expect("server task");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.state.shutdown.cancel();
    }
}

/// Sends a request; returns status and JSON body (`null` when empty or not JSON).
pub async fn send(req: RequestBuilder) -> (u16, Value) {
    let resp: Response = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A small workflow: adds a greeting to each item.
pub fn greet(name: &str) -> Value {
    json!({
        "apiVersion": "weft/v1",
        "name": name,
        "nodes": [
            { "id": "greet", "type": "core.set@1",
              "params": { "fields": { "message": "Hello, {{ $json.name ?? 'world' }}!" } } }
        ]
    })
}

/// Asserts the one error body shape and returns the code.
pub fn error_code(body: &Value) -> &str {
    assert!(
        body["message"].is_string(),
        "error body without message: {body}"
    );
    body["code"].as_str().expect("error body with code")
}
