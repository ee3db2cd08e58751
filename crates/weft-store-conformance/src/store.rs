//! Checks of the engine-facing [`weft_store_api::Store`] contract.
//!
//! Most checks are a public `async fn(Arc<dyn Store>) -> CheckResult` taking a freshly opened,
//! empty store. The checks that need two handles on one database (two processes, as far as
//! the stores can tell) take a [`Fixture`] instead, which opens handles. A backend runs all of
//! them with one line in its tests:
//!
//! ```ignore
//! weft_store_conformance::store_conformance!(async {
//!     let dir = tempfile::tempdir()?;
//!     Ok::<_, weft_store_conformance::store::BoxError>(weft_store_conformance::store::fixture(
//!         dir,
//!         |dir| Box::pin(async move { Ok(weft_store::SqliteStore::open(dir.path())? as _) }),
//!     ))
//! });
//! ```
//!
//! The expression is a future resolving to `Result<F, E>` where `F: Fixture`; the fixture (a
//! temporary directory, a database to drop, …) lives until the check ends. Timestamps in the
//! checks are whole microseconds, which every backend keeps exactly (SQLite keeps nanoseconds,
//! PostgreSQL microseconds); [`runs::records_read_back_equal_records_returned`] checks that
//! a backend that cuts finer digits does so consistently.

use chrono::{DateTime, TimeDelta, Utc};
use futures::future::BoxFuture;
use serde_json::json;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use weft_store_api::{
    JournalEntry, NewRun, ParentRef, RunId, RunUpdate, Store, StoreError, StoreResult, TenantScope,
    WriteBatch,
};

mod credentials;
mod journal;
mod llm;
mod owners;
mod runs;
mod threads;

pub use credentials::*;
pub use journal::*;
pub use llm::*;
pub use owners::*;
pub use runs::*;
pub use threads::*;

/// Any error; a check fails with its message.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What a check returns: `Err` (or a panicking assertion) fails it.
pub type CheckResult = Result<(), BoxError>;

/// A fresh, empty database of one backend, on which checks open store handles.
pub trait Fixture: Send + Sync {
    /// Opens another handle on the database: another process, as far as stores can tell.
    fn open(&self) -> BoxFuture<'_, StoreResult<Arc<dyn Store>>>;
}

/// A [`Fixture`] from a guard (what keeps the database alive) and a way to open a handle.
pub struct OpenWith<G, F> {
    guard: G,
    open: F,
}

impl<G, F> Fixture for OpenWith<G, F>
where
    G: Send + Sync,
    F: for<'a> Fn(&'a G) -> BoxFuture<'a, StoreResult<Arc<dyn Store>>> + Send + Sync,
{
    fn open(&self) -> BoxFuture<'_, StoreResult<Arc<dyn Store>>> {
        (self.open)(&self.guard)
    }
}

/// A fixture that opens handles with `open(&guard)`.
pub fn fixture<G, F>(guard: G, open: F) -> OpenWith<G, F>
where
    G: Send + Sync,
    F: for<'a> Fn(&'a G) -> BoxFuture<'a, StoreResult<Arc<dyn Store>>> + Send + Sync,
{
    OpenWith { guard, open }
}

/// Expands to one `#[tokio::test]` per store check, each on a fresh database made by `$make`
/// (a future resolving to `Result<F, E>` with `F:` [`Fixture`], see the module docs). The
/// calling crate needs `tokio` with the `macros` and `rt-multi-thread` features.
#[macro_export]
macro_rules! store_conformance {
    ($make:expr) => {
        $crate::store_conformance!(@one $make;
            workflow_versions_are_content_addressed_per_org,
            runs_round_trip_every_field,
            records_read_back_equal_records_returned,
            create_needs_a_version_and_a_parent_of_the_org,
            creation_is_idempotent_by_key_and_by_parent_key,
            lists_newest_first_with_filters_and_pages,
            lists_filter_by_workflow_and_creation_time,
            runs_of_one_org_are_invisible_to_another,
            journal_appends_in_order_and_rejects_gaps_and_overlaps,
            run_updates_map_to_columns,
            run_updates_applied_in_memory_match_the_row,
            group_commit_keeps_every_journal_complete_and_ordered,
            a_refused_batch_does_not_affect_its_neighbours,
            a_commit_implies_every_earlier_batch,
            seeded_runs_start_with_their_journal,
            claims_and_releases,
            due_waiting_runs_are_claimable_whatever_their_owner,
            control_requests_reach_the_owner_once,
            runs_created_owned_belong_to_their_creator,
            runs_created_with_their_first_write,
            credentials_put_get_list_replace_delete,
            credential_names_are_unique_per_org,
            threads_append_replace_window_summarize_delete,
            threads_of_one_org_are_invisible_to_another,
            llm_prices_calls_rollups_and_budgets_round_trip,
            llm_budget_reservations_settle_and_report_thresholds_once,
            llm_abandoned_reservations_expire,
            llm_cache_serves_until_expiry,
            ready_and_wait_for_work_return,
        );
        $crate::store_conformance!(@two $make;
            two_handles_see_each_others_writes,
            a_live_owner_keeps_its_runs_until_its_handle_is_dropped,
            concurrent_claims_have_one_winner,
            concurrent_creates_with_one_key_make_one_run,
            queued_writes_survive_dropping_the_handle,
            concurrent_appends_to_one_thread_get_distinct_seqs,
            concurrent_reservations_never_overspend,
        );
    };
    (@one $make:expr; $($check:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() -> $crate::store::CheckResult {
                let fixture = $make.await?;
                let store = $crate::store::Fixture::open(&fixture).await?;
                $crate::store::$check(store).await
            }
        )+
    };
    (@two $make:expr; $($check:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() -> $crate::store::CheckResult {
                let fixture = $make.await?;
                $crate::store::$check(&fixture).await
            }
        )+
    };
}

// ----- fixtures shared by the checks -----

/// A fixed time `secs` seconds after the base, with whole microseconds.
fn at(secs: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_750_000_000, 123_456_000).unwrap_or_default()
        + TimeDelta::seconds(secs)
}

fn org(id: &str) -> TenantScope {
    TenantScope::org(id)
}

/// Stores a small workflow document named `name` in `scope` and returns its version id.
async fn version(store: &Arc<dyn Store>, scope: &TenantScope, name: &str) -> StoreResult<String> {
    store
        .put_workflow_version(scope, name, &json!({"name": name, "steps": []}))
        .await
}

/// A new top-level run of `version_id`.
fn new_run(version_id: &str, name: &str) -> NewRun {
    NewRun {
        id: RunId::new(),
        workflow_version_id: version_id.to_owned(),
        workflow_id: None,
        workflow_name: name.to_owned(),
        input: json!([{"n": 1}]),
        parent: None,
        idempotency_key: None,
        deadline_at: None,
        created_at: at(0),
    }
}

/// A child run of `parent` under `key`.
fn child(version_id: &str, parent: RunId, key: &str) -> NewRun {
    NewRun {
        parent: Some(ParentRef {
            run_id: parent,
            key: key.to_owned(),
        }),
        ..new_run(version_id, "child")
    }
}

/// Creates a run of a fresh version in `scope` and returns its id.
async fn create(store: &Arc<dyn Store>, scope: &TenantScope) -> Result<RunId, BoxError> {
    let v = version(store, scope, "flow").await?;
    let (rec, created) = store.create_run(scope, new_run(&v, "flow")).await?;
    if !created {
        return Err("a fresh run was not created".into());
    }
    Ok(rec.id)
}

/// A journal entry with an event naming its seq.
fn entry(seq: u64) -> JournalEntry {
    JournalEntry {
        seq,
        at: at(seq as i64),
        // Key order is kept by the store (a check reads it back); the text is the event.
        event: serde_json::value::to_raw_value(
            &json!({"type": "step", "seq": seq, "zeta": 1, "alpha": [2]}),
        )
        .unwrap_or_else(|_| serde_json::value::RawValue::NULL.to_owned()),
    }
}

/// A batch of entries `from..=to` with an optional update.
fn batch(run_id: RunId, from: u64, to: u64, update: Option<RunUpdate>) -> WriteBatch {
    WriteBatch {
        run_id,
        entries: (from..=to).map(entry).collect(),
        update,
    }
}

/// The seqs of a journal.
fn seqs(entries: &[JournalEntry]) -> Vec<u64> {
    entries.iter().map(|e| e.seq).collect()
}

/// Runs `n` calls at once (spawned tasks released together by a barrier) and returns their
/// results in order; `call(i)` makes the `i`th.
async fn race<T, F, Fut>(n: usize, call: F) -> Result<Vec<T>, BoxError>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = StoreResult<T>> + Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (barrier, call) = (Arc::clone(&barrier), call(i));
            tokio::spawn(async move {
                barrier.wait().await;
                call.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(n);
    for task in futures::future::join_all(tasks).await {
        results.push(task??);
    }
    Ok(results)
}

/// Polls `probe` until it returns true or `within` passes (for effects a backend applies in
/// the background, such as a dropped handle leaving). Fails naming `what`.
async fn eventually<F, Fut>(what: &str, within: Duration, probe: F) -> CheckResult
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<bool, BoxError>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if probe().await? {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!("{what}: not within {within:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Fails unless `result` is the error `expected`.
fn expect_err<T: std::fmt::Debug>(result: StoreResult<T>, expected: &StoreError) -> CheckResult {
    match result {
        Err(e) if &e == expected => Ok(()),
        other => Err(format!("expected {expected:?}, got {other:?}").into()),
    }
}

/// Fails unless `result` is `NotFound`.
fn expect_not_found<T: std::fmt::Debug>(result: StoreResult<T>) -> CheckResult {
    match result {
        Err(StoreError::NotFound { .. }) => Ok(()),
        other => Err(format!("expected NotFound, got {other:?}").into()),
    }
}
