//! The embedded SQLite implementation of Weft's storage contract ([`weft_store_api::Store`]).
//!
//! One database file, `<data_dir>/weft.db`, in WAL mode:
//! - every change goes through one writer thread that owns the only read-write connection and
//!   commits whatever is queued (up to 1024 commands) in one transaction (group commit), one
//!   savepoint per command, so a failing batch does not affect the others;
//! - WAL checkpoints run on their own thread, not inside commits (see the `checkpoint` module);
//! - reads use a small pool of read-only connections on tokio's blocking threads;
//! - run ownership between processes sharing the directory uses lock files (see the `owners`
//!   module): a killed process's runs are claimable at once.
//!
//! Durability: with the default `synchronous=NORMAL`, a resolved [`Commit`] survives the
//! process crashing or being killed (`kill -9`), which is Weft's contract; surviving power loss
//! or an OS crash needs `synchronous=FULL` ([`SqliteOptions::synchronous_full`]), at the cost of
//! an fsync per group commit.
//!
//! Conventions of this implementation:
//! - timestamps are stored as fixed-width RFC 3339 UTC text with nine fractional digits, so they
//!   round-trip exactly and sort as text (for years 0000 to 9999);
//! - tenant isolation is by organization: every tenant query filters by `org_id`; a scope's
//!   `team_id` is recorded on what it creates but does not narrow reads;
//! - a journal batch whose first entry is not `last_seq + 1` fails with
//!   [`StoreError::JournalConflict`] where `expected` is the seq the batch assumed the journal
//!   was at (its first entry's seq minus one) and `actual` is the journal's last seq;
//! - [`Store::create_run`] needs the workflow version, and the parent run if any, to belong to
//!   the scope's organization (otherwise `NotFound`); [`Store::claim_run`] of an unknown run is
//!   `NotFound`, [`Store::load_journal`] of a run outside the scope is `NotFound`;
//! - a list cursor is the last run id of the previous page; a cursor that is not a run id is a
//!   `Database` error; a `limit` of 0 is treated as 1.
//!
//! [`SqliteStore`] also implements the control plane
//! ([`weft_store_api::control::ControlPlane`]); the `control` module's documentation lists
//! its choices where the contract leaves room.

mod checkpoint;
mod control;
mod credentials;
mod llm;
mod owners;
mod read;
mod rows;
mod runs;
mod schema;
mod threads;
mod writer;

pub use schema::SCHEMA_VERSION;
pub use weft_store_api::workflow_version_id;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use owners::Owners;
use read::ReadPool;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use weft_store_api::llm as api;
use weft_store_api::{
    Claimable, Commit, ControlRequest, CredentialInfo, JournalEntry, NewCredential, NewRun,
    OwnerId, Page, RunFilter, RunId, RunRecord, Store, StoreError, StoreResult, TakenControl,
    TenantScope, ThreadQuery, ThreadRecord, WriteBatch,
};
use writer::Writer;

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "weft.db";

/// Options for [`SqliteStore::open_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteOptions {
    /// Use `synchronous=FULL` (fsync on every commit: survives power loss) instead of `NORMAL`
    /// (survives process crashes and `kill -9`).
    pub synchronous_full: bool,
    /// Number of read-only connections (at least one).
    pub read_connections: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            synchronous_full: false,
            read_connections: 2,
        }
    }
}

/// The embedded SQLite store. Dropping the last handle flushes queued writes, stops the writer
/// thread and releases this process's owners.
pub struct SqliteStore {
    // Field order is drop order: the writer flushes before the owners' locks are released.
    writer: Writer,
    readers: Arc<ReadPool>,
    owners: Arc<Owners>,
    data_dir: PathBuf,
}

impl SqliteStore {
    /// Opens (creating and migrating as needed) the store in `data_dir` with default options.
    /// Blocks while opening; call it before serving or from a blocking context.
    pub fn open(data_dir: &Path) -> StoreResult<Arc<SqliteStore>> {
        Self::open_with(data_dir, SqliteOptions::default())
    }

    /// Opens the store in `data_dir` with `options`.
    pub fn open_with(data_dir: &Path, options: SqliteOptions) -> StoreResult<Arc<SqliteStore>> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Database(format!(
                "creating the data directory {}: {e}",
                data_dir.display()
            ))
        })?;
        let path = data_dir.join(DB_FILE);
        let mut conn = schema::open_writer(&path, options.synchronous_full)?;
        schema::migrate(&mut conn)?;
        let readers = ReadPool::open(&path, options.read_connections)?;
        let writer = Writer::start(conn, &path)?;
        tracing::debug!(path = %path.display(), "opened the SQLite store");
        Ok(Arc::new(SqliteStore {
            writer,
            readers,
            owners: Arc::new(Owners::new(data_dir.join("owners"))),
            data_dir: data_dir.to_path_buf(),
        }))
    }

    /// The data directory this store lives in.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The path of the database file.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join(DB_FILE)
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        let mine = self.owners.mine();
        if !mine.is_empty() {
            self.writer
                .spawn("forgetting this store's owners", move |conn| {
                    owners::delete_owner_rows(conn, &mine)
                });
        }
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn put_workflow_version(
        &self,
        scope: &TenantScope,
        name: &str,
        document: &Value,
    ) -> StoreResult<String> {
        let id = workflow_version_id(&scope.org_id, document);
        let (org, check) = (scope.org_id.clone(), id.clone());
        if self
            .readers
            .run(move |c| read::workflow_version_exists(c, &org, &check))
            .await?
        {
            return Ok(id);
        }
        let (scope, name, text, now) = (
            scope.clone(),
            name.to_owned(),
            rows::json(document),
            rows::ts(&Utc::now()),
        );
        let key = id.clone();
        self.writer
            .call(move |c| runs::insert_workflow_version(c, &scope, &key, &name, &text, &now))
            .await?;
        Ok(id)
    }

    async fn get_workflow_version(
        &self,
        scope: &TenantScope,
        id: &str,
    ) -> StoreResult<Option<Value>> {
        let (org, id) = (scope.org_id.clone(), id.to_owned());
        self.readers
            .run(move |c| read::workflow_version(c, &org, &id))
            .await
    }

    async fn create_run(&self, scope: &TenantScope, run: NewRun) -> StoreResult<(RunRecord, bool)> {
        let scope = scope.clone();
        let input = rows::json(&run.input);
        self.writer
            .call(move |c| runs::create_run(c, &scope, run, &input))
            .await
    }

    async fn create_run_seeded(
        &self,
        scope: &TenantScope,
        run: NewRun,
        seed: Vec<weft_store_api::EventJson>,
    ) -> StoreResult<(RunRecord, bool)> {
        let scope = scope.clone();
        let input = rows::json(&run.input);
        self.writer
            .call(move |c| {
                let (record, created) = runs::create_run(c, &scope, run, &input)?;
                if created && !seed.is_empty() {
                    runs::seed_journal(c, &record, &seed)?;
                }
                Ok((record, created))
            })
            .await
    }

    async fn create_run_owned(
        &self,
        scope: &TenantScope,
        run: NewRun,
        owner: &OwnerId,
    ) -> StoreResult<(RunRecord, bool, bool)> {
        let scope = scope.clone();
        let input = rows::json(&run.input);
        let (owners, me) = (Arc::clone(&self.owners), owner.0.clone());
        self.writer
            .call(move |c| {
                let (record, created) = runs::create_run(c, &scope, run, &input)?;
                let owned = created && owners::claim(c, &owners, &me, record.id)?;
                Ok((record, created, owned))
            })
            .await
    }

    fn create_with_write(
        &self,
        scope: &TenantScope,
        run: NewRun,
        owner: &OwnerId,
        batch: WriteBatch,
    ) -> Commit {
        self.writer
            .create_with_write(scope.clone(), run, owner.0.clone(), batch)
    }

    async fn get_run(&self, scope: &TenantScope, id: RunId) -> StoreResult<Option<RunRecord>> {
        let org = scope.org_id.clone();
        self.readers
            .run(move |c| read::run(c, &org, &id.to_string()))
            .await
    }

    async fn list_runs(
        &self,
        scope: &TenantScope,
        filter: &RunFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<RunRecord>> {
        let (org, filter, cursor) = (
            scope.org_id.clone(),
            filter.clone(),
            cursor.map(str::to_owned),
        );
        self.readers
            .run(move |c| read::list_runs(c, &org, &filter, cursor.as_deref(), limit))
            .await
    }

    async fn find_child_run(
        &self,
        scope: &TenantScope,
        parent: RunId,
        key: &str,
    ) -> StoreResult<Option<RunRecord>> {
        let (org, key) = (scope.org_id.clone(), key.to_owned());
        self.readers
            .run(move |c| read::child_run(c, &org, &parent.to_string(), &key))
            .await
    }

    fn write(&self, batch: WriteBatch) -> Commit {
        self.writer.write(batch)
    }

    async fn load_journal(
        &self,
        scope: &TenantScope,
        run_id: RunId,
    ) -> StoreResult<Vec<JournalEntry>> {
        let org = scope.org_id.clone();
        self.readers
            .run(move |c| read::journal(c, &org, run_id))
            .await
    }

    async fn register_owner(&self) -> StoreResult<OwnerId> {
        let owners = Arc::clone(&self.owners);
        let id = tokio::task::spawn_blocking(move || {
            owners.sweep_files();
            owners.create()
        })
        .await
        .map_err(|e| StoreError::Database(format!("registering an owner: {e}")))??;
        let (owners, key, now) = (Arc::clone(&self.owners), id.clone(), rows::ts(&Utc::now()));
        let pid = std::process::id();
        self.writer
            .call(move |c| owners::insert_owner(c, &owners, &key, pid, &now))
            .await?;
        tracing::debug!(owner = %id, "registered an owner");
        Ok(OwnerId(id))
    }

    async fn live_owners(&self) -> StoreResult<u64> {
        let owners = Arc::clone(&self.owners);
        tokio::task::spawn_blocking(move || owners.sweep_files())
            .await
            .map_err(|e| StoreError::Database(format!("counting owners: {e}")))
    }

    async fn claimable_runs(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Claimable>> {
        let (owners, now) = (Arc::clone(&self.owners), rows::ts(&now));
        let (found, dead) = self
            .readers
            .run(move |c| owners::claimable(c, &owners, &now, limit))
            .await?;
        if !dead.is_empty() {
            self.writer.spawn("forgetting dead owners", move |c| {
                owners::delete_owner_rows(c, &dead)
            });
        }
        Ok(found)
    }

    async fn next_wake_at(&self) -> StoreResult<Option<DateTime<Utc>>> {
        self.readers.run(read::next_wake_at).await
    }

    async fn claim_run(&self, owner: &OwnerId, run_id: RunId) -> StoreResult<bool> {
        let (owners, me) = (Arc::clone(&self.owners), owner.0.clone());
        self.writer
            .call(move |c| owners::claim(c, &owners, &me, run_id))
            .await
    }

    async fn release_run(&self, owner: &OwnerId, run_id: RunId) -> StoreResult<()> {
        let me = owner.0.clone();
        self.writer
            .call(move |c| owners::release(c, &me, run_id))
            .await
    }

    async fn request_control(
        &self,
        scope: &TenantScope,
        run_id: RunId,
        request: ControlRequest,
    ) -> StoreResult<bool> {
        let org = scope.org_id.clone();
        self.writer
            .call(move |c| owners::request_control(c, &org, run_id, request))
            .await
    }

    async fn put_credential(
        &self,
        scope: &TenantScope,
        credential: NewCredential,
    ) -> StoreResult<()> {
        let (scope, now) = (scope.clone(), rows::ts(&Utc::now()));
        self.writer
            .call(move |c| credentials::put(c, &scope, &credential, &now))
            .await
    }

    async fn get_credential(
        &self,
        scope: &TenantScope,
        id: &str,
    ) -> StoreResult<Option<(CredentialInfo, Vec<u8>)>> {
        let (org, id) = (scope.org_id.clone(), id.to_owned());
        self.readers
            .run(move |c| credentials::get(c, &org, &id))
            .await
    }

    async fn list_credentials(&self, scope: &TenantScope) -> StoreResult<Vec<CredentialInfo>> {
        let org = scope.org_id.clone();
        self.readers.run(move |c| credentials::list(c, &org)).await
    }

    async fn delete_credential(&self, scope: &TenantScope, id: &str) -> StoreResult<bool> {
        let (org, id) = (scope.org_id.clone(), id.to_owned());
        self.writer
            .call(move |c| credentials::delete(c, &org, &id))
            .await
    }

    async fn load_thread(
        &self,
        scope: &TenantScope,
        thread_id: &str,
        query: &ThreadQuery,
    ) -> StoreResult<Option<ThreadRecord>> {
        let (org, id, query) = (scope.org_id.clone(), thread_id.to_owned(), query.clone());
        self.readers
            .run(move |c| threads::load(c, &org, &id, &query))
            .await
    }

    async fn append_thread(
        &self,
        scope: &TenantScope,
        thread_id: &str,
        source: &str,
        messages: Vec<Value>,
        at: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let (scope, id, source, now) = (
            scope.clone(),
            thread_id.to_owned(),
            source.to_owned(),
            rows::ts(&at),
        );
        self.writer
            .call(move |c| threads::append(c, &scope, &id, &source, &messages, &now))
            .await
    }

    async fn summarize_thread(
        &self,
        scope: &TenantScope,
        thread_id: &str,
        summary: &str,
        through: u64,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let (org, id, summary, now) = (
            scope.org_id.clone(),
            thread_id.to_owned(),
            summary.to_owned(),
            rows::ts(&at),
        );
        self.writer
            .call(move |c| threads::summarize(c, &org, &id, &summary, through, &now))
            .await
    }

    async fn delete_thread(&self, scope: &TenantScope, thread_id: &str) -> StoreResult<bool> {
        let (org, id) = (scope.org_id.clone(), thread_id.to_owned());
        self.writer
            .call(move |c| threads::delete(c, &org, &id))
            .await
    }

    async fn list_llm_prices(&self, scope: &TenantScope) -> StoreResult<Vec<api::LlmPrice>> {
        let org = scope.org_id.clone();
        self.readers.run(move |c| llm::list_prices(c, &org)).await
    }

    async fn put_llm_price(
        &self,
        scope: &TenantScope,
        price: &api::LlmPrice,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let (org, price, now) = (scope.org_id.clone(), price.clone(), rows::ts(&at));
        self.writer
            .call(move |c| llm::put_price(c, &org, &price, &now))
            .await
    }

    async fn delete_llm_price(&self, scope: &TenantScope, model: &str) -> StoreResult<bool> {
        let (org, model) = (scope.org_id.clone(), model.to_owned());
        self.writer
            .call(move |c| llm::delete_price(c, &org, &model))
            .await
    }

    async fn put_budget(&self, scope: &TenantScope, budget: &api::Budget) -> StoreResult<()> {
        let (org, budget) = (scope.org_id.clone(), budget.clone());
        self.writer
            .call(move |c| llm::put_budget(c, &org, &budget))
            .await
    }

    async fn get_budget(&self, scope: &TenantScope, id: &str) -> StoreResult<Option<api::Budget>> {
        let (org, id) = (scope.org_id.clone(), id.to_owned());
        self.readers
            .run(move |c| llm::get_budget(c, &org, &id))
            .await
    }

    async fn list_budgets(&self, scope: &TenantScope) -> StoreResult<Vec<api::Budget>> {
        let org = scope.org_id.clone();
        self.readers.run(move |c| llm::list_budgets(c, &org)).await
    }

    async fn delete_budget(&self, scope: &TenantScope, id: &str) -> StoreResult<bool> {
        let (org, id) = (scope.org_id.clone(), id.to_owned());
        self.writer
            .call(move |c| llm::delete_budget(c, &org, &id))
            .await
    }

    async fn budget_spend(
        &self,
        scope: &TenantScope,
        budget_id: &str,
        window: &str,
    ) -> StoreResult<api::WindowSpend> {
        let (org, id, window) = (
            scope.org_id.clone(),
            budget_id.to_owned(),
            window.to_owned(),
        );
        self.readers
            .run(move |c| llm::spend(c, &org, &id, &window))
            .await
    }

    async fn reserve_llm(
        &self,
        scope: &TenantScope,
        request: &api::ReserveRequest,
    ) -> StoreResult<api::ReserveOutcome> {
        let (org, request) = (scope.org_id.clone(), request.clone());
        self.writer
            .call(move |c| llm::reserve(c, &org, &request))
            .await
    }

    async fn settle_llm(
        &self,
        scope: &TenantScope,
        reservation: &api::Reservation,
        call: &api::LlmCall,
    ) -> StoreResult<Vec<api::BudgetCrossing>> {
        let (scope, reservation, call) = (scope.clone(), reservation.clone(), call.clone());
        self.writer
            .call(move |c| {
                llm::settle(
                    c,
                    &scope.org_id,
                    scope.team_id.as_deref(),
                    &reservation,
                    &call,
                )
            })
            .await
    }

    async fn llm_usage(
        &self,
        scope: &TenantScope,
        query: &api::UsageQuery,
    ) -> StoreResult<Vec<api::UsageRow>> {
        let (org, query) = (scope.org_id.clone(), query.clone());
        self.readers.run(move |c| llm::usage(c, &org, &query)).await
    }

    async fn list_llm_calls(
        &self,
        scope: &TenantScope,
        run_id: &str,
    ) -> StoreResult<Vec<api::LlmCall>> {
        let (org, run) = (scope.org_id.clone(), run_id.to_owned());
        self.readers
            .run(move |c| llm::list_calls(c, &org, &run))
            .await
    }

    async fn get_llm_cache(
        &self,
        scope: &TenantScope,
        key: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<api::CachedResponse>> {
        let (org, key) = (scope.org_id.clone(), key.to_owned());
        self.readers
            .run(move |c| llm::get_cache(c, &org, &key, &now))
            .await
    }

    async fn put_llm_cache(
        &self,
        scope: &TenantScope,
        key: &str,
        response: &Value,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let (org, key, response) = (scope.org_id.clone(), key.to_owned(), response.clone());
        self.writer
            .call(move |c| llm::put_cache(c, &org, &key, &response, &expires_at, &now))
            .await
    }

    async fn take_control_requests(&self, owner: &OwnerId) -> StoreResult<Vec<TakenControl>> {
        let me = owner.0.clone();
        let probe = me.clone();
        if !self
            .readers
            .run(move |c| read::has_control_requests(c, &probe))
            .await?
        {
            return Ok(Vec::new());
        }
        self.writer
            .call(move |c| owners::take_control(c, &me))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::StatementStatus;

    /// Loading journals while the writer appends to them reuses the cached statement instead of
    /// re-preparing it every time (an `ORDER BY` on the key did that).
    #[tokio::test]
    async fn loading_a_journal_never_reprepares_its_statement() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(dir.path()).expect("open");
        let scope = TenantScope::org("o");
        let version = store
            .put_workflow_version(&scope, "x", &serde_json::json!({"name": "x"}))
            .await
            .expect("version");
        let mut ids = Vec::new();
        for _ in 0..3 {
            let new = NewRun {
                id: RunId::new(),
                workflow_version_id: version.clone(),
                workflow_id: None,
                workflow_name: "x".into(),
                input: serde_json::json!([]),
                parent: None,
                idempotency_key: None,
                deadline_at: None,
                created_at: Utc::now(),
            };
            ids.push(store.create_run(&scope, new).await.expect("create").0.id);
        }
        let conn = schema::open_reader(&dir.path().join("weft.db")).expect("reader");
        for seq in 1..=10u64 {
            for id in &ids {
                let entry = JournalEntry {
                    seq,
                    at: Utc::now(),
                    event: weft_store_api::encode_event(
                        &serde_json::json!({"type": "x", "seq": seq}),
                    )
                    .expect("encode"),
                };
                let batch = WriteBatch {
                    run_id: *id,
                    entries: vec![entry],
                    update: None,
                };
                store.write(batch).wait().await.expect("write");
                let journal = read::journal(&conn, "o", *id).expect("journal");
                let seqs: Vec<u64> = journal.iter().map(|e| e.seq).collect();
                assert_eq!(seqs, (1..=seq).collect::<Vec<_>>());
            }
        }
        let stmt = conn.prepare_cached(read::JOURNAL_SQL).expect("cached");
        assert_eq!(stmt.get_status(StatementStatus::Run), 30);
        assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0);
    }
}
