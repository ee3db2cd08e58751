//! Integration tests of the PostgreSQL store (one test binary). Every test gets a database of
//! its own (`weft_store_pg::testing::TestDatabase`) on the server at `WEFT_TEST_PG_URL`
//! (default 127.0.0.1:5432); without a server they fail, loudly.

mod conformance;
mod control;
mod leader;
mod leases;
mod notify;
mod schema;

use chrono::Utc;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use weft_store_api::{NewRun, RunId, Store, StoreError, TenantScope};
use weft_store_pg::testing::TestDatabase;
use weft_store_pg::{PgOptions, PgStore};

/// Test result: any error fails the test with its message.
pub type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// A fresh database; panics with the reason (e.g. no server at 127.0.0.1:5432).
pub async fn database() -> TestDatabase {
    match TestDatabase::create().await {
        Ok(db) => db,
        Err(e) => panic!("{e}"),
    }
}

/// A store on `db` with `options`.
pub async fn open_with(db: &TestDatabase, options: PgOptions) -> Result<Arc<PgStore>, StoreError> {
    PgStore::connect_with(db.options(), options).await
}

/// A store on `db` with default options.
pub async fn open(db: &TestDatabase) -> Result<Arc<PgStore>, StoreError> {
    open_with(db, PgOptions::default()).await
}

/// Options with a short lease, for takeover tests.
pub fn short_lease(lease_ms: u64) -> PgOptions {
    PgOptions {
        lease: Duration::from_millis(lease_ms),
        heartbeat: Duration::from_millis(lease_ms / 5),
        ..PgOptions::default()
    }
}

/// The organization the tests use.
pub fn scope() -> TenantScope {
    TenantScope::org("acme")
}

/// Creates a queued run in [`scope`] and returns its id.
pub async fn create(store: &PgStore) -> Result<RunId, StoreError> {
    let scope = scope();
    let v = store
        .put_workflow_version(&scope, "flow", &json!({"name": "flow"}))
        .await?;
    let run = NewRun {
        id: RunId::new(),
        workflow_version_id: v,
        workflow_id: None,
        workflow_name: "flow".into(),
        input: json!([]),
        parent: None,
        idempotency_key: None,
        deadline_at: None,
        created_at: Utc::now(),
    };
    Ok(store.create_run(&scope, run).await?.0.id)
}

/// Polls `probe` every 10 ms until it is true or `within` passes; returns how long it took.
pub async fn until<F, Fut>(within: Duration, probe: F) -> Result<Duration, String>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    loop {
        if probe().await {
            return Ok(start.elapsed());
        }
        if start.elapsed() >= within {
            return Err(format!("not within {within:?}"));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Millisecond statistics of samples: (median, 95th percentile, max).
pub fn stats(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| ms(samples[((samples.len() - 1) as f64 * q).round() as usize]);
    (at(0.5), at(0.95), ms(samples[samples.len() - 1]))
}

/// A batch of one entry at `seq`, without an update.
pub fn batch(run_id: RunId, seq: u64) -> weft_store_api::WriteBatch {
    weft_store_api::WriteBatch {
        run_id,
        entries: vec![weft_store_api::JournalEntry {
            seq,
            at: Utc::now(),
            event: weft_store_api::encode_event(&json!({"seq": seq})).expect("encode"),
        }],
        update: None,
    }
}
mod writer;
