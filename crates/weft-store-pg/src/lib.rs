//! The PostgreSQL implementation of Weft's storage contract ([`weft_store_api::Store`]), for
//! many processes (`weft serve` replicas, `weft worker`s) sharing one database.
//!
//! One [`PgStore`] per process:
//! - every change goes through one writer task that owns one connection and commits whatever
//!   is queued (up to 1024 commands) in one transaction (group commit), in submission order.
//!   A command that is refused (a journal conflict, a missing run, a taken name) writes
//!   nothing and does not affect the others; a command that hits an SQL error makes the group
//!   run again with a savepoint per command, so it alone fails (the `writer` module explains
//!   why savepoints are not used on every group);
//! - reads use the pool directly; a resolved write is visible to every later read, from any
//!   process;
//! - run ownership between processes uses leases (see the `owners` module): a heartbeat task
//!   renews this store's owners every [`PgOptions::heartbeat`]; the runs of an owner whose
//!   lease ([`PgOptions::lease`]) has run out are claimable by others; [`Store::claim_run`]
//!   locks the row, so of any number of concurrent claims exactly one wins;
//! - idle workers sleep in [`Store::wait_for_work`] on `LISTEN weft_work`; creating a run,
//!   releasing one, a run starting to wait on a timer and a control request `NOTIFY` in the
//!   transaction that commits them;
//! - live run and step events reach the other processes through `NOTIFY weft_events`
//!   ([`Store::event_relay`], the `relay` module), so a `weft serve` streams runs its workers
//!   drive;
//! - [`PgStore::try_acquire_leader`] gives one replica a named leadership (the scheduler's
//!   cron ticks) through a session-level advisory lock.
//!
//! Durability: a resolved [`Commit`] is committed by PostgreSQL, so it is as durable as the
//! server's configuration makes commits (with the default `synchronous_commit = on`, flushed
//! to the server's WAL, and to a synchronous standby if one is configured). When a commit's
//! outcome is unknown (the connection broke during `COMMIT`) the caller gets an error saying
//! so; the write may or may not have happened, and a retry of a journal batch then reports a
//! [`StoreError::JournalConflict`] if it had.
//!
//! Conventions of this implementation (the same as `weft-store`'s where the contract leaves
//! room, so both pass one conformance suite, `weft-store-conformance`):
//! - timestamps are `timestamptz`: microsecond precision. Finer digits are cut (towards the
//!   past) before a value is written, and records returned by writes are read back from the
//!   rows, so a run read later equals the run `create_run` returned; SQLite keeps nanoseconds;
//! - JSON (documents, inputs, outputs, journal events) is stored in `json` columns, which keep
//!   the text exactly as serialized: key order survives, as it does in SQLite;
//! - tenant isolation is by organization: every tenant query filters by `org_id`; a scope's
//!   `team_id` is recorded on what it creates but does not narrow reads;
//! - workflow version ids are the same content hash as SQLite's, so a document has the same id
//!   on both backends;
//! - a journal batch whose first entry is not `last_seq + 1` fails with
//!   [`StoreError::JournalConflict`] where `expected` is the seq the batch assumed the journal
//!   was at (its first entry's seq minus one) and `actual` is the journal's last seq;
//! - [`Store::create_run`] needs the workflow version, and the parent run if any, to belong to
//!   the scope's organization (otherwise `NotFound`); [`Store::claim_run`] of an unknown run is
//!   `NotFound`, [`Store::load_journal`] of a run outside the scope is `NotFound`;
//! - a list cursor is the last run id of the previous page; a cursor that is not a run id is a
//!   `Database` error; a `limit` of 0 is treated as 1; text sorts bytewise (`COLLATE "C"`);
//! - liveness is judged by the database's clock, never by the processes' clocks.
//!
//! [`PgStore`] also implements the control plane ([`weft_store_api::control::ControlPlane`],
//! migration 2); the `control` module says how it keeps concurrent writers of different
//! processes apart where SQLite has one writer for everybody.
//!
//! Differences from SQLite that callers may notice: a dead process's runs become claimable
//! when its lease runs out (up to [`PgOptions::lease`] after it died), not at once as with
//! SQLite's lock files; a store that is dropped frees its runs at once, after its queued
//! writes (asynchronously: dropping does not block).

mod control;
mod credentials;
mod leader;
mod llm;
mod notify;
mod owners;
mod read;
mod relay;
mod rows;
mod runs;
mod schema;
pub mod testing;
mod threads;
mod writer;

pub use leader::LeaderGuard;
pub use schema::SCHEMA_VERSION;
pub use weft_store_api::workflow_version_id;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use notify::WorkSignal;
use owners::OwnerSet;
use serde_json::Value;
use sqlx_postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use weft_store_api::llm as api;
use weft_store_api::{
    Claimable, Commit, ControlRequest, CredentialInfo, JournalEntry, NewCredential, NewRun,
    OwnerId, Page, RunFilter, RunId, RunRecord, Store, StoreError, StoreResult, TakenControl,
    TenantScope, ThreadQuery, ThreadRecord, WriteBatch,
};
use writer::Writer;

/// Options for [`PgStore::connect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgOptions {
    /// Connections in the pool (reads, the writer's connection; the work listener and leader
    /// locks use their own).
    pub max_connections: u32,
    /// How long a query waits for a free connection before failing.
    pub acquire_timeout: Duration,
    /// How long an owner stays alive without a heartbeat: the longest a dead process's runs
    /// wait before another process may claim them.
    pub lease: Duration,
    /// How often this store renews its owners' leases; well below `lease`.
    pub heartbeat: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(10),
            lease: Duration::from_secs(15),
            heartbeat: Duration::from_secs(5),
        }
    }
}

impl PgOptions {
    fn validate(&self) -> StoreResult<()> {
        let bad = |why: &str| {
            Err(StoreError::Database(format!(
                "invalid store options: {why}"
            )))
        };
        if self.max_connections < 1 {
            return bad("max_connections must be at least 1");
        }
        if self.heartbeat.is_zero() || self.heartbeat >= self.lease {
            return bad("the heartbeat must be shorter than the lease, and not zero");
        }
        if self.lease.as_millis() < 2 {
            return bad("the lease must be at least 2 ms");
        }
        Ok(())
    }
}

/// The PostgreSQL store. Dropping the last handle lets queued writes finish, then deletes this
/// store's owners (their runs become claimable at once) and stops its tasks.
pub struct PgStore {
    writer: Writer,
    pool: PgPool,
    connect_options: PgConnectOptions,
    owners: Arc<OwnerSet>,
    signal: Arc<WorkSignal>,
    finished: Arc<WorkSignal>,
    heartbeat: JoinHandle<()>,
    listener: JoinHandle<()>,
    relay: Arc<relay::PgRelay>,
    relay_task: JoinHandle<()>,
    lease: Duration,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`),
    /// applies missing migrations and starts the store's tasks.
    pub async fn connect(url: &str, options: PgOptions) -> StoreResult<Arc<PgStore>> {
        let connect_options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Database(format!("invalid PostgreSQL URL: {e}")))?;
        Self::connect_with(connect_options, options).await
    }

    /// Like [`PgStore::connect`], with connect options built by the caller.
    pub async fn connect_with(
        connect_options: PgConnectOptions,
        options: PgOptions,
    ) -> StoreResult<Arc<PgStore>> {
        options.validate()?;
        let server = format!(
            "{}:{}/{}",
            connect_options.get_host(),
            connect_options.get_port(),
            connect_options.get_database().unwrap_or("")
        );
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect_options.clone())
            .await
            .map_err(|e| rows::db_err(&format!("connecting to PostgreSQL at {server}"), e))?;
        {
            let mut conn = pool
                .acquire()
                .await
                .map_err(rows::db("acquiring a connection to migrate"))?;
            schema::migrate(&mut conn).await?;
        }
        let signal = Arc::new(WorkSignal::default());
        let finished = Arc::new(WorkSignal::default());
        let (relay, relay_task) = relay::PgRelay::start(pool.clone());
        let listener = notify::listen(
            connect_options.clone(),
            Arc::clone(&signal),
            Arc::clone(&finished),
            Arc::clone(&relay),
        )
        .await?;
        let owners = Arc::new(OwnerSet::default());
        let writer = Writer::start(pool.clone(), Arc::clone(&owners));
        let heartbeat = tokio::spawn(owners::heartbeat(
            pool.clone(),
            Arc::clone(&owners),
            options.lease,
            options.heartbeat,
        ));
        tracing::debug!(%server, "opened the PostgreSQL store");
        Ok(Arc::new(PgStore {
            writer,
            pool,
            connect_options,
            owners,
            signal,
            finished,
            heartbeat,
            listener,
            relay,
            relay_task,
            lease: options.lease,
        }))
    }

    /// Takes the leadership `name` (e.g. `"scheduler"`) if no other process holds it: a
    /// session-level `pg_try_advisory_lock` on a connection of its own, held by the returned
    /// guard until it is dropped or released (or the connection is lost; check
    /// [`LeaderGuard::is_held`] before acting as leader). `None` when another session leads.
    pub async fn try_acquire_leader(&self, name: &str) -> StoreResult<Option<LeaderGuard>> {
        leader::try_acquire(&self.connect_options, name).await
    }

    /// Stops renewing this store's leases, as if its process had hung: once the lease runs out
    /// its runs are claimable by others. For tests of takeover, and for a process that knows it
    /// is about to stop without a clean shutdown.
    pub fn stop_heartbeat(&self) {
        self.heartbeat.abort();
    }
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("host", &self.connect_options.get_host())
            .field("database", &self.connect_options.get_database())
            .finish_non_exhaustive()
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // The writer's channel closes with `self.writer`: it applies what is queued, deletes
        // this store's owners, and stops.
        self.heartbeat.abort();
        self.listener.abort();
        self.relay_task.abort();
    }
}

#[async_trait]
impl Store for PgStore {
    async fn put_workflow_version(
        &self,
        scope: &TenantScope,
        name: &str,
        document: &Value,
    ) -> StoreResult<String> {
        let id = workflow_version_id(&scope.org_id, document);
        if read::workflow_version_exists(&self.pool, &scope.org_id, &id).await? {
            return Ok(id);
        }
        let state = (
            scope.clone(),
            id.clone(),
            name.to_owned(),
            rows::json(document),
            rows::ts(&Utc::now()),
        );
        self.writer
            .call(state, |tx, (scope, id, name, doc, now)| {
                Box::pin(runs::insert_workflow_version(
                    tx, scope, id, name, doc, *now,
                ))
            })
            .await?;
        Ok(id)
    }

    async fn get_workflow_version(
        &self,
        scope: &TenantScope,
        id: &str,
    ) -> StoreResult<Option<Value>> {
        read::workflow_version(&self.pool, &scope.org_id, id).await
    }

    async fn create_run(&self, scope: &TenantScope, run: NewRun) -> StoreResult<(RunRecord, bool)> {
        let new = runs::RunToCreate {
            scope: scope.clone(),
            input: rows::json(&run.input),
            run,
        };
        self.writer
            .call(new, |tx, new| Box::pin(runs::create_run(tx, new)))
            .await
    }

    async fn create_run_seeded(
        &self,
        scope: &TenantScope,
        run: NewRun,
        seed: Vec<weft_store_api::EventJson>,
    ) -> StoreResult<(RunRecord, bool)> {
        let new = runs::RunToCreate {
            scope: scope.clone(),
            input: rows::json(&run.input),
            run,
        };
        let seed: Vec<String> = seed.iter().map(|e| e.get().to_owned()).collect();
        self.writer
            .call((new, seed), |tx, (new, seed)| {
                Box::pin(runs::create_run_seeded(tx, new, seed))
            })
            .await
    }

    async fn create_run_owned(
        &self,
        scope: &TenantScope,
        run: NewRun,
        owner: &OwnerId,
    ) -> StoreResult<(RunRecord, bool, bool)> {
        let new = runs::RunToCreate {
            scope: scope.clone(),
            input: rows::json(&run.input),
            run,
        };
        self.writer
            .call((new, owner.0.clone()), |tx, (new, me)| {
                Box::pin(async move {
                    let (record, created) = runs::create_run(tx, new).await?;
                    let owned = created && owners::claim(tx, me, record.id).await?;
                    Ok((record, created, owned))
                })
            })
            .await
    }

    async fn get_run(&self, scope: &TenantScope, id: RunId) -> StoreResult<Option<RunRecord>> {
        read::run(&self.pool, &scope.org_id, id).await
    }

    async fn list_runs(
        &self,
        scope: &TenantScope,
        filter: &RunFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<RunRecord>> {
        read::list_runs(&self.pool, &scope.org_id, filter, cursor, limit).await
    }

    async fn find_child_run(
        &self,
        scope: &TenantScope,
        parent: RunId,
        key: &str,
    ) -> StoreResult<Option<RunRecord>> {
        read::child_run(&self.pool, &scope.org_id, parent, key).await
    }

    fn write(&self, batch: WriteBatch) -> Commit {
        let encoded = match runs::EncodedBatch::encode(batch) {
            Ok(b) => b,
            Err(e) => return Commit::done(Err(e)),
        };
        match self
            .writer
            .submit(encoded, |tx, b| Box::pin(runs::apply_batch(tx, b)))
        {
            Ok(rx) => Commit(rx),
            Err(e) => Commit::done(Err(e)),
        }
    }

    fn create_with_write(
        &self,
        scope: &TenantScope,
        run: NewRun,
        owner: &OwnerId,
        batch: WriteBatch,
    ) -> Commit {
        if run.idempotency_key.is_some() || run.parent.is_some() {
            return Commit::done(Err(StoreError::Database(format!(
                "run {}: a run with an idempotency or parent key is created with create_run",
                run.id
            ))));
        }
        if batch.run_id != run.id {
            return Commit::done(Err(StoreError::Database(format!(
                "run {}: the first batch is for run {}",
                run.id, batch.run_id
            ))));
        }
        // Checked before anything is written: the writer treats a refused job as one that
        // changed nothing.
        if let Some((i, e)) =
            (batch.entries.iter().enumerate()).find(|(i, e)| e.seq != *i as u64 + 1)
        {
            return Commit::done(Err(StoreError::JournalConflict {
                run_id: run.id,
                expected: e.seq.saturating_sub(1),
                actual: i as u64,
            }));
        }
        let encoded = match runs::EncodedBatch::encode(batch) {
            Ok(b) => b,
            Err(e) => return Commit::done(Err(e)),
        };
        let new = runs::RunToCreate {
            scope: scope.clone(),
            input: rows::json(&run.input),
            run,
        };
        // Create, claim and apply in one transaction of the writer, queued in order with
        // the run's later writes.
        match self
            .writer
            .submit((new, owner.0.clone(), encoded), |tx, (new, me, batch)| {
                Box::pin(async move {
                    let (record, _) = runs::create_run(tx, new).await?;
                    owners::claim(tx, me, record.id).await?;
                    runs::apply_batch(tx, batch).await
                })
            }) {
            Ok(rx) => Commit(rx),
            Err(e) => Commit::done(Err(e)),
        }
    }

    async fn load_journal(
        &self,
        scope: &TenantScope,
        run_id: RunId,
    ) -> StoreResult<Vec<JournalEntry>> {
        read::journal(&self.pool, &scope.org_id, run_id).await
    }

    async fn register_owner(&self) -> StoreResult<OwnerId> {
        let id = owners::new_owner_id();
        self.writer
            .call((id.clone(), self.lease), |tx, (id, lease)| {
                Box::pin(owners::insert_owner(tx, id, *lease))
            })
            .await?;
        self.owners.add(id.clone());
        tracing::debug!(owner = %id, "registered an owner");
        Ok(OwnerId(id))
    }

    async fn live_owners(&self) -> StoreResult<u64> {
        owners::live_count(&self.pool).await
    }

    async fn claimable_runs(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Claimable>> {
        owners::claimable(&self.pool, now, limit).await
    }

    async fn next_wake_at(&self) -> StoreResult<Option<DateTime<Utc>>> {
        owners::next_wake_at(&self.pool).await
    }

    async fn claim_run(&self, owner: &OwnerId, run_id: RunId) -> StoreResult<bool> {
        self.writer
            .call((owner.0.clone(), run_id), |tx, (me, run_id)| {
                Box::pin(owners::claim(tx, me, *run_id))
            })
            .await
    }

    async fn release_run(&self, owner: &OwnerId, run_id: RunId) -> StoreResult<()> {
        self.writer
            .call((owner.0.clone(), run_id), |tx, (me, run_id)| {
                Box::pin(owners::release(tx, me, *run_id))
            })
            .await
    }

    async fn request_control(
        &self,
        scope: &TenantScope,
        run_id: RunId,
        request: ControlRequest,
    ) -> StoreResult<bool> {
        self.writer
            .call(
                (scope.org_id.clone(), run_id, request),
                |tx, (org, run_id, request)| {
                    Box::pin(owners::request_control(tx, org, *run_id, *request))
                },
            )
            .await
    }

    async fn put_credential(
        &self,
        scope: &TenantScope,
        credential: NewCredential,
    ) -> StoreResult<()> {
        let state = (scope.clone(), credential, rows::ts(&Utc::now()));
        self.writer
            .call(state, |tx, (scope, credential, now)| {
                Box::pin(credentials::put(tx, scope, credential, *now))
            })
            .await
    }

    async fn get_credential(
        &self,
        scope: &TenantScope,
        id: &str,
    ) -> StoreResult<Option<(CredentialInfo, Vec<u8>)>> {
        credentials::get(&self.pool, &scope.org_id, id).await
    }

    async fn list_credentials(&self, scope: &TenantScope) -> StoreResult<Vec<CredentialInfo>> {
        credentials::list(&self.pool, &scope.org_id).await
    }

    async fn delete_credential(&self, scope: &TenantScope, id: &str) -> StoreResult<bool> {
        self.writer
            .call((scope.org_id.clone(), id.to_owned()), |tx, (org, id)| {
                Box::pin(credentials::delete(tx, org, id))
            })
            .await
    }

    async fn load_thread(
        &self,
        scope: &TenantScope,
        thread_id: &str,
        query: &ThreadQuery,
    ) -> StoreResult<Option<ThreadRecord>> {
        threads::load(&self.pool, &scope.org_id, thread_id, query).await
    }

    async fn append_thread(
        &self,
        scope: &TenantScope,
        thread_id: &str,
        source: &str,
        messages: Vec<Value>,
        at: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let state = (
            scope.clone(),
            thread_id.to_owned(),
            source.to_owned(),
            messages,
            rows::ts(&at),
        );
        self.writer
            .call(state, |tx, (scope, id, source, messages, now)| {
                Box::pin(threads::append(tx, scope, id, source, messages, *now))
            })
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
        let state = (
            scope.org_id.clone(),
            thread_id.to_owned(),
            summary.to_owned(),
            rows::ts(&at),
        );
        self.writer
            .call(state, move |tx, (org, id, summary, now)| {
                Box::pin(threads::summarize(tx, org, id, summary, through, *now))
            })
            .await
    }

    async fn delete_thread(&self, scope: &TenantScope, thread_id: &str) -> StoreResult<bool> {
        self.writer
            .call(
                (scope.org_id.clone(), thread_id.to_owned()),
                |tx, (org, id)| Box::pin(threads::delete(tx, org, id)),
            )
            .await
    }

    async fn list_llm_prices(&self, scope: &TenantScope) -> StoreResult<Vec<api::LlmPrice>> {
        llm::list_prices(&self.pool, &scope.org_id).await
    }

    async fn put_llm_price(
        &self,
        scope: &TenantScope,
        price: &api::LlmPrice,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.writer
            .call(
                (scope.org_id.clone(), price.clone(), at),
                |tx, (org, price, at)| Box::pin(llm::put_price(tx, org, price, *at)),
            )
            .await
    }

    async fn delete_llm_price(&self, scope: &TenantScope, model: &str) -> StoreResult<bool> {
        self.writer
            .call(
                (scope.org_id.clone(), model.to_owned()),
                |tx, (org, model)| Box::pin(llm::delete_price(tx, org, model)),
            )
            .await
    }

    async fn put_budget(&self, scope: &TenantScope, budget: &api::Budget) -> StoreResult<()> {
        self.writer
            .call(
                (scope.org_id.clone(), budget.clone()),
                |tx, (org, budget)| Box::pin(llm::put_budget(tx, org, budget)),
            )
            .await
    }

    async fn get_budget(&self, scope: &TenantScope, id: &str) -> StoreResult<Option<api::Budget>> {
        llm::get_budget(&self.pool, &scope.org_id, id).await
    }

    async fn list_budgets(&self, scope: &TenantScope) -> StoreResult<Vec<api::Budget>> {
        llm::list_budgets(&self.pool, &scope.org_id).await
    }

    async fn delete_budget(&self, scope: &TenantScope, id: &str) -> StoreResult<bool> {
        self.writer
            .call((scope.org_id.clone(), id.to_owned()), |tx, (org, id)| {
                Box::pin(llm::delete_budget(tx, org, id))
            })
            .await
    }

    async fn budget_spend(
        &self,
        scope: &TenantScope,
        budget_id: &str,
        window: &str,
    ) -> StoreResult<api::WindowSpend> {
        llm::spend(&self.pool, &scope.org_id, budget_id, window).await
    }

    async fn reserve_llm(
        &self,
        scope: &TenantScope,
        request: &api::ReserveRequest,
    ) -> StoreResult<api::ReserveOutcome> {
        let id = uuid::Uuid::now_v7().to_string();
        self.writer
            .call(
                (scope.org_id.clone(), id, request.clone()),
                |tx, (org, id, request)| Box::pin(llm::reserve(tx, org, id, request)),
            )
            .await
    }

    async fn settle_llm(
        &self,
        scope: &TenantScope,
        reservation: &api::Reservation,
        call: &api::LlmCall,
    ) -> StoreResult<Vec<api::BudgetCrossing>> {
        self.writer
            .call(
                (scope.clone(), reservation.clone(), call.clone()),
                |tx, (scope, reservation, call)| {
                    Box::pin(llm::settle(
                        tx,
                        &scope.org_id,
                        scope.team_id.as_deref(),
                        reservation,
                        call,
                    ))
                },
            )
            .await
    }

    async fn llm_usage(
        &self,
        scope: &TenantScope,
        query: &api::UsageQuery,
    ) -> StoreResult<Vec<api::UsageRow>> {
        llm::usage(&self.pool, &scope.org_id, query).await
    }

    async fn list_llm_calls(
        &self,
        scope: &TenantScope,
        run_id: &str,
    ) -> StoreResult<Vec<api::LlmCall>> {
        llm::list_calls(&self.pool, &scope.org_id, run_id).await
    }

    async fn get_llm_cache(
        &self,
        scope: &TenantScope,
        key: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<api::CachedResponse>> {
        llm::get_cache(&self.pool, &scope.org_id, key, &now).await
    }

    async fn put_llm_cache(
        &self,
        scope: &TenantScope,
        key: &str,
        response: &Value,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.writer
            .call(
                (
                    scope.org_id.clone(),
                    key.to_owned(),
                    response.clone(),
                    expires_at,
                    now,
                ),
                |tx, (org, key, response, expires_at, now)| {
                    Box::pin(llm::put_cache(tx, org, key, response, *expires_at, *now))
                },
            )
            .await
    }

    async fn take_control_requests(&self, owner: &OwnerId) -> StoreResult<Vec<TakenControl>> {
        if !owners::has_control_requests(&self.pool, &owner.0).await? {
            return Ok(Vec::new());
        }
        self.writer
            .call(owner.0.clone(), |tx, me| {
                Box::pin(owners::take_control(tx, me))
            })
            .await
    }

    async fn wait_for_work(&self, timeout: Duration) {
        self.signal.wait(timeout).await
    }

    async fn wait_for_finished_runs(&self, timeout: Duration) {
        self.finished.wait(timeout).await
    }

    async fn ready(&self) -> StoreResult<()> {
        if self.writer.is_stopped() {
            return Err(StoreError::Closed);
        }
        schema::check_version(schema::current_version(&self.pool).await?)
    }

    fn event_relay(&self) -> Option<Arc<dyn weft_store_api::EventRelay>> {
        Some(self.relay.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn connecting_can_be_spawned() {
        let connecting = PgStore::connect("postgres://nowhere", PgOptions::default());
        assert_send(&connecting);
    }

    #[test]
    fn options_are_checked() {
        let bad = PgOptions {
            heartbeat: Duration::from_secs(20),
            ..PgOptions::default()
        };
        assert!(bad.validate().is_err());
        assert!(PgOptions::default().validate().is_ok());
    }
}
