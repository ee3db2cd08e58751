//! Integration tests of the SQLite store (one test binary).

mod control;
mod credentials;
mod journal;
mod owners;
mod runs;
mod schema;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use tempfile::TempDir;
use weft_store::SqliteStore;
use weft_store_api::{
    JournalEntry, NewRun, ParentRef, RunId, RunUpdate, Store, StoreError, TenantScope, WriteBatch,
};

/// Test result: any error fails the test with its message.
pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A fresh store in a temporary directory (kept alive by the returned guard).
pub fn open() -> Result<(TempDir, Arc<SqliteStore>), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(dir.path())?;
    Ok((dir, store))
}

/// Reopens a store on an existing directory.
pub fn reopen(dir: &Path) -> Result<Arc<SqliteStore>, StoreError> {
    SqliteStore::open(dir)
}

/// The scope of an organization.
pub fn org(id: &str) -> TenantScope {
    TenantScope::org(id)
}

/// A fixed, nanosecond-precise timestamp offset by `secs`.
pub fn at(secs: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_750_000_000, 123_456_789).unwrap_or_default()
        + Duration::seconds(secs)
}

/// Stores a small workflow document named `name` in `scope` and returns its version id.
pub async fn version(
    store: &SqliteStore,
    scope: &TenantScope,
    name: &str,
) -> Result<String, StoreError> {
    store
        .put_workflow_version(scope, name, &json!({"name": name, "steps": []}))
        .await
}

/// A new top-level run of `version_id`.
pub fn new_run(version_id: &str, name: &str) -> NewRun {
    NewRun {
        id: RunId::new(),
        workflow_version_id: version_id.to_owned(),
        workflow_id: None,
        workflow_name: name.to_owned(),
        input: json!([{"n": 1}]),
        parent: None,
        idempotency_key: None,
        deadline_at: None,
        created_at: Utc::now(),
    }
}

/// A child run of `parent` under `key`.
pub fn child_run(version_id: &str, parent: RunId, key: &str) -> NewRun {
    NewRun {
        parent: Some(ParentRef {
            run_id: parent,
            key: key.to_owned(),
        }),
        ..new_run(version_id, "child")
    }
}

/// Creates a run of a fresh version in `scope` and returns its id.
pub async fn create(store: &SqliteStore, scope: &TenantScope) -> Result<RunId, StoreError> {
    let v = version(store, scope, "flow").await?;
    let (rec, created) = store.create_run(scope, new_run(&v, "flow")).await?;
    assert!(created);
    Ok(rec.id)
}

/// A journal entry with an event naming its seq.
pub fn entry(seq: u64) -> JournalEntry {
    JournalEntry {
        seq,
        at: at(seq as i64),
        event: weft_store_api::encode_event(&json!({"type": "step", "seq": seq})).expect("encode"),
    }
}

/// A batch of entries `from..=to` with an optional update.
pub fn batch(run_id: RunId, from: u64, to: u64, update: Option<RunUpdate>) -> WriteBatch {
    WriteBatch {
        run_id,
        entries: (from..=to).map(entry).collect(),
        update,
    }
}

/// The seqs of a journal.
pub fn seqs(entries: &[JournalEntry]) -> Vec<u64> {
    entries.iter().map(|e| e.seq).collect()
}

/// Reads one value through a brand-new connection (not the store's).
pub fn fresh_query_i64(dir: &Path, sql: &str, param: &str) -> rusqlite::Result<i64> {
    let conn = rusqlite::Connection::open(dir.join(weft_store::DB_FILE))?;
    conn.query_row(sql, [param], |r| r.get(0))
}
