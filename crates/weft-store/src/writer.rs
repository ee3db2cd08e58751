//! The single writer thread: it owns the read-write connection and applies everything that
//! changes the database, in submission order, committing whatever is queued as one group.

use crate::checkpoint::{self, Nudge};
use crate::rows::{db, db_err, json, opt_ts, ts};
use rusqlite::{Connection, OptionalExtension};
use std::future::Future;
use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;
use tokio::sync::oneshot;
use weft_store_api::{
    Commit, EventJson, NewRun, RunId, RunStatus, StoreError, StoreResult, TenantScope, WriteBatch,
};

/// The most commands committed in one transaction.
const MAX_GROUP: usize = 1024;

/// Completes a command's caller once its group has committed (or failed to).
type Reply = Box<dyn FnOnce(StoreResult<()>) + Send>;

/// A command applied on the writer connection (`None` when its group failed before reaching
/// it); returns whether it succeeded (false rolls its savepoint back) and what to tell the
/// caller after the commit.
type Job = Box<dyn FnOnce(Option<&Connection>) -> (bool, Reply) + Send>;

/// What the writer thread receives.
enum Cmd {
    /// A journal batch, already encoded by the caller's thread.
    Write(EncodedBatch, oneshot::Sender<StoreResult<()>>),
    /// Any other mutation.
    Call(Job),
}

/// A command's outcome, waiting for the group's commit.
enum Pending {
    Write(oneshot::Sender<StoreResult<()>>, StoreResult<()>),
    Call(Reply),
}

impl Pending {
    fn resolve(self, commit: &StoreResult<()>) {
        match self {
            Pending::Write(tx, result) => {
                let _ = tx.send(result.and_then(|()| commit.clone()));
            }
            Pending::Call(reply) => reply(commit.clone()),
        }
    }
}

/// Handle to the writer thread. Dropping it flushes queued commands and joins the thread.
pub(crate) struct Writer {
    tx: Option<mpsc::Sender<Cmd>>,
    handle: Option<JoinHandle<()>>,
    checkpointer: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the writer thread on `conn` (a connection to `path` without automatic
    /// checkpoints), and the checkpoint thread.
    pub(crate) fn start(mut conn: Connection, path: &Path) -> StoreResult<Writer> {
        let (nudge, checkpointer) = checkpoint::start(&mut conn, path)?;
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("weft-store-writer".into())
            .spawn(move || writer_loop(conn, rx, nudge))
            .map_err(|e| StoreError::Database(format!("starting the writer thread: {e}")))?;
        Ok(Writer {
            tx: Some(tx),
            handle: Some(handle),
            checkpointer: Some(checkpointer),
        })
    }

    fn send(&self, cmd: Cmd) -> StoreResult<()> {
        match &self.tx {
            Some(tx) => tx.send(cmd).map_err(|_| StoreError::Closed),
            None => Err(StoreError::Closed),
        }
    }

    /// Queues a journal batch; the returned [`Commit`] resolves after its group commits.
    pub(crate) fn write(&self, batch: WriteBatch) -> Commit {
        let encoded = match EncodedBatch::encode(batch) {
            Ok(b) => b,
            Err(e) => return Commit::done(Err(e)),
        };
        let (tx, rx) = oneshot::channel();
        match self.send(Cmd::Write(encoded, tx)) {
            Ok(()) => Commit(rx),
            Err(e) => Commit::done(Err(e)),
        }
    }

    /// Queues the creation of a run owned by `owner` with its first journal batch (see
    /// [`weft_store_api::Store::create_with_write`]); the returned [`Commit`] resolves after its
    /// group commits.
    pub(crate) fn create_with_write(
        &self,
        scope: TenantScope,
        run: NewRun,
        owner: String,
        batch: WriteBatch,
    ) -> Commit {
        let encoded = match EncodedBatch::encode(batch) {
            Ok(b) => b,
            Err(e) => return Commit::done(Err(e)),
        };
        let input = json(&run.input);
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = match conn {
                Some(c) => insert_written_run(c, &scope, &run, &input, &owner, &encoded),
                None => Err(StoreError::Database("the write was not applied".into())),
            };
            let ok = result.is_ok();
            let reply: Reply = Box::new(move |commit| {
                let _ = tx.send(result.and(commit));
            });
            (ok, reply)
        });
        match self.send(Cmd::Call(job)) {
            Ok(()) => Commit(rx),
            Err(e) => Commit::done(Err(e)),
        }
    }

    /// Runs `f` on the writer connection inside the current group's transaction; the future
    /// resolves with its result once that transaction has committed.
    pub(crate) fn call<T, F>(&self, f: F) -> impl Future<Output = StoreResult<T>> + Send + 'static
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = conn.map(f);
            let ok = matches!(result, Some(Ok(_)));
            let reply: Reply = Box::new(move |commit| {
                let _ = tx.send(match (result, commit) {
                    (Some(Err(e)), _) | (_, Err(e)) => Err(e),
                    (Some(Ok(v)), Ok(())) => Ok(v),
                    (None, Ok(())) => Err(StoreError::Database("the write was not applied".into())),
                });
            });
            (ok, reply)
        });
        let sent = self.send(Cmd::Call(job));
        async move {
            sent?;
            rx.await.unwrap_or(Err(StoreError::Closed))
        }
    }

    /// Queues `f` without waiting for it; failures are logged.
    pub(crate) fn spawn<F>(&self, what: &'static str, f: F)
    where
        F: FnOnce(&Connection) -> StoreResult<()> + Send + 'static,
    {
        let job: Job = Box::new(move |conn| {
            let result = conn.map(f).unwrap_or(Ok(()));
            let ok = result.is_ok();
            let reply: Reply = Box::new(move |commit| {
                if let Err(e) = commit.and(result) {
                    tracing::warn!(error = %e, "{what} failed");
                }
            });
            (ok, reply)
        });
        if self.send(Cmd::Call(job)).is_err() {
            tracing::debug!("{what} skipped: the store is closed");
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the channel lets the thread drain what is queued, commit it and exit.
        self.tx = None;
        if let Some(handle) = self.handle.take()
            && handle.join().is_err()
        {
            tracing::error!("the store's writer thread panicked");
        }
        // The writer thread's exit closed the checkpointer's channel.
        if let Some(handle) = self.checkpointer.take()
            && handle.join().is_err()
        {
            tracing::error!("the store's checkpoint thread panicked");
        }
    }
}

fn writer_loop(conn: Connection, rx: mpsc::Receiver<Cmd>, mut nudge: Nudge) {
    let mut group = Vec::with_capacity(64);
    while let Ok(first) = rx.recv() {
        group.push(first);
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(cmd) => group.push(cmd),
                Err(_) => break,
            }
        }
        commit_group(&conn, &mut group);
        nudge.committed(&conn);
    }
    tracing::debug!("store writer thread stopped");
}

fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// Applies `group` in one transaction, one savepoint per command, then tells every caller.
fn commit_group(conn: &Connection, group: &mut Vec<Cmd>) {
    let mut pending = Vec::with_capacity(group.len());
    let mut broken: Option<StoreError> = exec(conn, "BEGIN IMMEDIATE")
        .err()
        .map(|e| db_err("starting a write transaction", e));
    for cmd in group.drain(..) {
        if broken.is_none()
            && let Err(e) = exec(conn, "SAVEPOINT cmd")
        {
            broken = Some(db_err("starting a savepoint", e));
        }
        if broken.is_some() {
            // Not applied; the caller gets the group's error.
            pending.push(match cmd {
                Cmd::Write(_, tx) => Pending::Write(tx, Ok(())),
                Cmd::Call(job) => Pending::Call(job(None).1),
            });
            continue;
        }
        let ok = match cmd {
            Cmd::Write(batch, tx) => {
                let result = apply_batch(conn, &batch);
                let ok = result.is_ok();
                pending.push(Pending::Write(tx, result));
                ok
            }
            Cmd::Call(job) => {
                let (ok, reply) = job(Some(conn));
                pending.push(Pending::Call(reply));
                ok
            }
        };
        if conn.is_autocommit() {
            // SQLite rolled the whole transaction back (I/O error, disk full, ...).
            broken = Some(StoreError::Database(
                "the write transaction was rolled back by SQLite".into(),
            ));
            continue;
        }
        let end = if ok {
            Ok(())
        } else {
            exec(conn, "ROLLBACK TO cmd")
        };
        if let Err(e) = end.and_then(|()| exec(conn, "RELEASE cmd")) {
            broken = Some(db_err("ending a savepoint", e));
        }
    }
    let outcome = match broken {
        Some(e) => Err(e),
        None => exec(conn, "COMMIT").map_err(|e| db_err("committing", e)),
    };
    if outcome.is_err()
        && !conn.is_autocommit()
        && let Err(e) = exec(conn, "ROLLBACK")
    {
        tracing::error!(error = %e, "rolling back a failed write transaction");
    }
    if let Err(e) = &outcome {
        tracing::error!(error = %e, commands = pending.len(), "a write group failed");
    }
    for p in pending {
        p.resolve(&outcome);
    }
}

/// A journal entry, encoded on the caller's thread.
struct EncodedEntry {
    seq: u64,
    at: String,
    event: EventJson,
}

/// A run update, encoded on the caller's thread.
struct EncodedUpdate {
    status: Option<&'static str>,
    output: Option<String>,
    error: Option<String>,
    started_at: Option<String>,
    finished_at: Option<String>,
    set_wake: bool,
    wake_at: Option<String>,
    release_owner: bool,
    clear_control: bool,
}

/// A [`WriteBatch`] with every value already turned into column text.
struct EncodedBatch {
    run_id: RunId,
    id: String,
    entries: Vec<EncodedEntry>,
    update: Option<EncodedUpdate>,
}

impl EncodedBatch {
    fn encode(batch: WriteBatch) -> StoreResult<EncodedBatch> {
        let mut entries = Vec::with_capacity(batch.entries.len());
        for e in batch.entries {
            if i64::try_from(e.seq).is_err() {
                return Err(StoreError::Database(format!(
                    "journal of run {}: seq {} is out of range",
                    batch.run_id, e.seq
                )));
            }
            entries.push(EncodedEntry {
                seq: e.seq,
                at: ts(&e.at),
                event: e.event,
            });
        }
        let update = batch.update.map(|u| EncodedUpdate {
            status: u.status.map(|s| s.as_str()),
            output: u.output.as_ref().map(json),
            error: u.error.as_ref().map(json),
            started_at: opt_ts(u.started_at.as_ref()),
            finished_at: opt_ts(u.finished_at.as_ref()),
            set_wake: u.wake_at.is_some(),
            wake_at: u.wake_at.flatten().as_ref().map(ts),
            release_owner: u.release_owner,
            clear_control: u.clear_control,
        });
        Ok(EncodedBatch {
            run_id: batch.run_id,
            id: batch.run_id.to_string(),
            entries,
            update,
        })
    }
}

/// Appends a batch's entries (checking they continue the journal) and applies its update.
fn apply_batch(conn: &Connection, b: &EncodedBatch) -> StoreResult<()> {
    let last: Option<i64> = conn
        .prepare_cached("SELECT last_seq FROM runs WHERE id = ?1")
        .and_then(|mut s| s.query_row([&b.id], |r| r.get(0)).optional())
        .map_err(db("reading a run's journal position"))?;
    let Some(last) = last else {
        return Err(StoreError::NotFound {
            what: "run",
            id: b.id.clone(),
        });
    };
    let mut prev = u64::try_from(last).unwrap_or(0);
    for e in &b.entries {
        if e.seq != prev + 1 {
            return Err(StoreError::JournalConflict {
                run_id: b.run_id,
                expected: e.seq.saturating_sub(1),
                actual: prev,
            });
        }
        prev = e.seq;
    }
    insert_entries(conn, &b.id, &b.entries)?;
    let last_seq = prev as i64;
    match &b.update {
        Some(u) => {
            conn.prepare_cached(
                "UPDATE runs SET
                     last_seq = ?2,
                     status = COALESCE(?3, status),
                     output = COALESCE(?4, output),
                     error = COALESCE(?5, error),
                     started_at = COALESCE(started_at, ?6),
                     finished_at = COALESCE(?7, finished_at),
                     wake_at = CASE WHEN ?8 THEN ?9 ELSE wake_at END,
                     owner = CASE WHEN ?10 THEN NULL ELSE owner END,
                     control = CASE WHEN ?11 OR ?3 IN ('succeeded', 'failed', 'cancelled') THEN NULL ELSE control END
                 WHERE id = ?1",
            )
            .and_then(|mut s| {
                s.execute((
                    &b.id,
                    last_seq,
                    u.status,
                    &u.output,
                    &u.error,
                    &u.started_at,
                    &u.finished_at,
                    u.set_wake,
                    &u.wake_at,
                    u.release_owner,
                    u.clear_control,
                ))
            })
            .map_err(db("updating a run"))?;
        }
        None if !b.entries.is_empty() => {
            conn.prepare_cached("UPDATE runs SET last_seq = ?2 WHERE id = ?1")
                .and_then(|mut s| s.execute((&b.id, last_seq)))
                .map_err(db("updating a run's journal position"))?;
        }
        None => {}
    }
    Ok(())
}

/// Inserts a run in the state its first batch leaves it (status, output, times, owner), then
/// the batch's entries: one row write per index instead of an insert and an update.
fn insert_written_run(
    conn: &Connection,
    scope: &TenantScope,
    run: &NewRun,
    input: &str,
    owner: &str,
    b: &EncodedBatch,
) -> StoreResult<()> {
    if b.run_id != run.id {
        return Err(StoreError::Database(format!(
            "run {}: the first batch is for run {}",
            run.id, b.run_id
        )));
    }
    if run.idempotency_key.is_some() || run.parent.is_some() {
        return Err(StoreError::Database(format!(
            "run {}: a run with an idempotency or parent key is created with create_run",
            run.id
        )));
    }
    let org = scope.org_id.as_str();
    if !crate::read::workflow_version_exists(conn, org, &run.workflow_version_id)? {
        return Err(StoreError::NotFound {
            what: "workflow version",
            id: run.workflow_version_id.clone(),
        });
    }
    for (i, e) in b.entries.iter().enumerate() {
        if e.seq != i as u64 + 1 {
            return Err(StoreError::JournalConflict {
                run_id: b.run_id,
                expected: e.seq.saturating_sub(1),
                actual: i as u64,
            });
        }
    }
    let u = b.update.as_ref();
    let status = u
        .and_then(|u| u.status)
        .unwrap_or(RunStatus::Queued.as_str());
    let owner = match u {
        Some(u) if u.release_owner => None,
        _ => Some(owner),
    };
    let wake_at = u.filter(|u| u.set_wake).and_then(|u| u.wake_at.as_ref());
    conn.prepare_cached(
        "INSERT INTO runs (id, org_id, team_id, workflow_version_id, workflow_name, status, input,
                           output, error, created_at, started_at, finished_at, wake_at,
                           deadline_at, owner, last_seq, workflow_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )
    .and_then(|mut s| {
        s.execute(rusqlite::params![
            &b.id,
            org,
            &scope.team_id,
            &run.workflow_version_id,
            &run.workflow_name,
            status,
            input,
            u.and_then(|u| u.output.as_ref()),
            u.and_then(|u| u.error.as_ref()),
            ts(&run.created_at),
            u.and_then(|u| u.started_at.as_ref()),
            u.and_then(|u| u.finished_at.as_ref()),
            wake_at,
            opt_ts(run.deadline_at.as_ref()),
            owner,
            b.entries.len() as i64,
            &run.workflow_id,
        ])
    })
    .map_err(db("creating a run with its first write"))?;
    insert_entries(conn, &b.id, &b.entries)
}

/// Appends a batch's entries (already checked to continue the journal): one row for a single
/// entry, one batch row (see migration 7) for several.
fn insert_entries(conn: &Connection, id: &str, entries: &[EncodedEntry]) -> StoreResult<()> {
    let (first, single) = match entries {
        [] => return Ok(()),
        [only] => (only, true),
        [first, ..] => (first, false),
    };
    // In range: checked by `encode`.
    let seq = first.seq as i64;
    if single {
        conn.prepare_cached("INSERT INTO journal (run_id, seq, at, event) VALUES (?1, ?2, ?3, ?4)")
            .and_then(|mut s| s.execute((id, seq, &first.at, first.event.get())))
            .map_err(db("appending to the journal"))?;
        return Ok(());
    }
    let packed = crate::rows::pack(entries.iter().map(|e| (e.at.as_str(), e.event.get())));
    conn.prepare_cached(
        "INSERT INTO journal (run_id, seq, at, event, entries) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut s| s.execute((id, seq, &first.at, &packed, entries.len() as i64)))
    .map_err(db("appending to the journal"))
    .map(|_| ())
}
