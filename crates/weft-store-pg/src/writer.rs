//! The writer task: it owns one connection and applies everything this store changes, in
//! submission order, committing whatever is queued as one transaction (group commit).
//!
//! A group is first applied plainly: one `BEGIN`, each command's statements, one `COMMIT`.
//! Commands are written so that a refusal the caller must see (a journal conflict, a missing
//! run, a taken name) is decided before they write anything, so it needs no rollback and the
//! rest of the group commits. Only an SQL error aborts a PostgreSQL transaction; when one
//! happens, the group is rolled back and applied again with a savepoint around each command,
//! in transactions of at most [`MAX_SAVEPOINT_GROUP`] commands, so the failing command alone
//! fails. Savepoints are kept out of the common path because each savepoint that writes costs
//! a subtransaction id, and more than 64 of them in one open transaction make every other
//! session's snapshots slower ("subxid overflow"), on top of two round trips per command.

use crate::owners::OwnerSet;
use crate::rows::{db, db_err};
use futures::future::BoxFuture;
use sqlx_core::executor::Executor;
use sqlx_core::pool::PoolConnection;
use sqlx_core::query::query;
use sqlx_postgres::{PgConnection, PgPool, Postgres};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use weft_store_api::{StoreError, StoreResult};

/// The most commands committed in one transaction.
const MAX_GROUP: usize = 1024;

/// The most commands per transaction when each has its own savepoint (below PostgreSQL's 64
/// cached subtransaction ids per backend).
const MAX_SAVEPOINT_GROUP: usize = 60;

/// The channel that wakes idle workers (`LISTEN weft_work`).
pub(crate) const WORK_CHANNEL: &str = "weft_work";

/// The channel that tells waiters a run finished (`LISTEN weft_done`).
pub(crate) const DONE_CHANNEL: &str = "weft_done";

/// How a group that made work for others ends: the notification is delivered with the commit.
const NOTIFY_AND_COMMIT: &str = "NOTIFY weft_work; COMMIT";
/// How a group that finished runs ends.
const NOTIFY_DONE_AND_COMMIT: &str = "NOTIFY weft_done; COMMIT";
/// How a group that did both ends.
const NOTIFY_BOTH_AND_COMMIT: &str = "NOTIFY weft_work; NOTIFY weft_done; COMMIT";

/// The writer's connection inside an open transaction, as commands see it.
pub(crate) struct Tx {
    conn: PoolConnection<Postgres>,
    notify: bool,
    notify_done: bool,
}

impl Tx {
    /// The connection, for running statements.
    pub(crate) fn conn(&mut self) -> &mut PgConnection {
        &mut self.conn
    }

    /// Sends `NOTIFY weft_work` with the transaction's commit (once per group), because this
    /// command made work available: a run created, released, due or asked to change.
    pub(crate) fn notify_done(&mut self) {
        self.notify_done = true;
    }

    /// Wakes idle workers when this transaction commits.
    pub(crate) fn notify_work(&mut self) {
        self.notify = true;
    }
}

/// How a command's application went.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// It wrote what it had to.
    Applied,
    /// It refused (conflict, not found, name taken) before writing anything.
    Refused,
    /// An SQL (or decoding) error: the transaction must be rolled back.
    Failed,
}

/// A queued command. It can be applied more than once (a plain attempt rolled back, then the
/// savepoint attempt); the last application's result is the one its caller gets.
trait Job: Send {
    fn apply<'a>(&'a mut self, tx: &'a mut Tx) -> BoxFuture<'a, Outcome>;
    /// Tells the caller, given how the transaction that held its last application ended.
    fn finish(self: Box<Self>, commit: StoreResult<()>);
}

struct Call<S, T, F> {
    state: S,
    f: F,
    result: Option<StoreResult<T>>,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<S, T, F> Job for Call<S, T, F>
where
    S: Send + Sync + 'static,
    T: Send + 'static,
    F: for<'a> Fn(&'a mut Tx, &'a S) -> BoxFuture<'a, StoreResult<T>> + Send + 'static,
{
    fn apply<'a>(&'a mut self, tx: &'a mut Tx) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let result = (self.f)(tx, &self.state).await;
            let outcome = match &result {
                Ok(_) => Outcome::Applied,
                Err(StoreError::Database(_) | StoreError::Closed) => Outcome::Failed,
                Err(_) => Outcome::Refused,
            };
            self.result = Some(result);
            outcome
        })
    }

    fn finish(self: Box<Self>, commit: StoreResult<()>) {
        let _ = self.reply.send(match (self.result, commit) {
            (Some(Err(e)), _) | (_, Err(e)) => Err(e),
            (Some(Ok(v)), Ok(())) => Ok(v),
            (None, Ok(())) => Err(StoreError::Database("the write was not applied".into())),
        });
    }
}

/// Handle to the writer task. Dropping it lets the task apply what is queued, forget this
/// store's owners and stop.
pub(crate) struct Writer {
    tx: mpsc::UnboundedSender<Box<dyn Job>>,
    task: JoinHandle<()>,
}

impl Writer {
    /// Starts the writer task on a connection of `pool`.
    pub(crate) fn start(pool: PgPool, owners: Arc<OwnerSet>) -> Writer {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(writer_loop(pool, rx, owners));
        Writer { tx, task }
    }

    /// Queues `f(tx, &state)` in the current group; the future resolves with its result once
    /// that group's transaction has committed.
    ///
    /// `f` may run twice (see the module docs), so it takes its inputs by reference. It must
    /// decide any refusal other than a `Database` error before writing anything: in a plain
    /// group nothing is rolled back for a refusal. A refusal discovered after writing is
    /// returned as a `Database` error instead; the group is then applied again with
    /// savepoints, where the refusal is found before writing.
    pub(crate) fn call<S, T, F>(
        &self,
        state: S,
        f: F,
    ) -> impl Future<Output = StoreResult<T>> + Send + 'static
    where
        S: Send + Sync + 'static,
        T: Send + 'static,
        F: for<'a> Fn(&'a mut Tx, &'a S) -> BoxFuture<'a, StoreResult<T>> + Send + 'static,
    {
        let sent = self.submit(state, f);
        async move { sent?.await.unwrap_or(Err(StoreError::Closed)) }
    }

    /// Like [`Writer::call`], returning the channel the result arrives on.
    pub(crate) fn submit<S, T, F>(
        &self,
        state: S,
        f: F,
    ) -> StoreResult<oneshot::Receiver<StoreResult<T>>>
    where
        S: Send + Sync + 'static,
        T: Send + 'static,
        F: for<'a> Fn(&'a mut Tx, &'a S) -> BoxFuture<'a, StoreResult<T>> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Call {
            state,
            f,
            result: None,
            reply,
        });
        self.tx.send(job).map_err(|_| StoreError::Closed)?;
        Ok(rx)
    }

    /// Whether the writer task has stopped (it only stops when the store is dropped, or if it
    /// panicked).
    pub(crate) fn is_stopped(&self) -> bool {
        self.task.is_finished()
    }
}

async fn writer_loop(
    pool: PgPool,
    mut rx: mpsc::UnboundedReceiver<Box<dyn Job>>,
    owners: Arc<OwnerSet>,
) {
    let mut conn: Option<PoolConnection<Postgres>> = None;
    let mut group: Vec<Box<dyn Job>> = Vec::with_capacity(64);
    while rx.recv_many(&mut group, MAX_GROUP).await > 0 {
        commit_group(&pool, &mut conn, &mut group).await;
    }
    // The store was dropped and everything queued is applied: this process's owners leave.
    let mine = owners.take_all();
    if !mine.is_empty() {
        let forgotten = query("DELETE FROM owners WHERE id = ANY($1)")
            .bind(&mine)
            .execute(&pool)
            .await;
        match forgotten {
            Ok(_) => tracing::debug!(owners = ?mine, "forgot this store's owners"),
            Err(e) => tracing::warn!(error = %e, "forgetting this store's owners failed"),
        }
    }
    if let Some(conn) = conn.take() {
        let _ = conn.close().await;
    }
    tracing::debug!("store writer task stopped");
}

/// Runs `sql` (one or more statements without parameters, sent as a simple query).
async fn exec(conn: &mut PgConnection, sql: &str) -> Result<(), sqlx_core::Error> {
    conn.execute(sql).await.map(drop)
}

/// Begins a transaction on the writer's connection, opening a fresh one if there is none or
/// the held one is broken (nothing has been applied yet, so trying again is safe).
async fn begin(pool: &PgPool, slot: &mut Option<PoolConnection<Postgres>>) -> StoreResult<Tx> {
    if let Some(mut conn) = slot.take() {
        match exec(&mut conn, "BEGIN").await {
            Ok(()) => {
                return Ok(Tx {
                    conn,
                    notify: false,
                    notify_done: false,
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "the writer's connection failed; opening another");
                conn.close_on_drop();
            }
        }
    }
    let mut conn = pool
        .acquire()
        .await
        .map_err(db("opening the writer's connection"))?;
    exec(&mut conn, "BEGIN")
        .await
        .map_err(db("starting a write transaction"))?;
    Ok(Tx {
        conn,
        notify: false,
        notify_done: false,
    })
}

/// Ends the transaction of `tx`: COMMIT (with the group's NOTIFY) or ROLLBACK. Returns the
/// connection to `slot` unless it is broken.
async fn end(
    mut tx: Tx,
    slot: &mut Option<PoolConnection<Postgres>>,
    commit: bool,
) -> StoreResult<()> {
    let sql = match (commit, tx.notify, tx.notify_done) {
        (true, true, true) => NOTIFY_BOTH_AND_COMMIT,
        (true, true, false) => NOTIFY_AND_COMMIT,
        (true, false, true) => NOTIFY_DONE_AND_COMMIT,
        (true, false, false) => "COMMIT",
        (false, _, _) => "ROLLBACK",
    };
    match exec(tx.conn(), sql).await {
        Ok(()) => {
            *slot = Some(tx.conn);
            Ok(())
        }
        Err(e) => {
            tx.conn.close_on_drop();
            if commit {
                Err(StoreError::Database(format!(
                    "committing a write group (its outcome is unknown): {}",
                    db_err("COMMIT", e)
                )))
            } else {
                Err(db_err("rolling back a write group", e))
            }
        }
    }
}

/// Applies `group` and tells every caller.
async fn commit_group(
    pool: &PgPool,
    slot: &mut Option<PoolConnection<Postgres>>,
    group: &mut Vec<Box<dyn Job>>,
) {
    let mut tx = match begin(pool, slot).await {
        Ok(tx) => tx,
        Err(e) => {
            tracing::error!(error = %e, commands = group.len(), "a write group failed");
            for job in group.drain(..) {
                job.finish(Err(e.clone()));
            }
            return;
        }
    };
    let mut failed = false;
    for job in group.iter_mut() {
        if job.apply(&mut tx).await == Outcome::Failed {
            failed = true;
            break;
        }
    }
    if !failed {
        let outcome = end(tx, slot, true).await;
        if let Err(e) = &outcome {
            tracing::error!(error = %e, commands = group.len(), "a write group failed");
        }
        for job in group.drain(..) {
            job.finish(outcome.clone());
        }
        return;
    }
    if let Err(e) = end(tx, slot, false).await {
        tracing::error!(error = %e, commands = group.len(), "a write group failed");
        for job in group.drain(..) {
            job.finish(Err(e.clone()));
        }
        return;
    }
    tracing::debug!(
        commands = group.len(),
        "a command of a write group failed; applying the group with savepoints"
    );
    let mut rest = std::mem::take(group);
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(MAX_SAVEPOINT_GROUP));
        commit_with_savepoints(pool, slot, rest).await;
        rest = tail;
    }
}

/// Applies `jobs` in one transaction with a savepoint around each, and tells their callers.
async fn commit_with_savepoints(
    pool: &PgPool,
    slot: &mut Option<PoolConnection<Postgres>>,
    jobs: Vec<Box<dyn Job>>,
) {
    let mut tx = match begin(pool, slot).await {
        Ok(tx) => tx,
        Err(e) => {
            for job in jobs {
                job.finish(Err(e.clone()));
            }
            return;
        }
    };
    let mut broken: Option<StoreError> = None;
    let mut applied = Vec::with_capacity(jobs.len());
    for mut job in jobs {
        if broken.is_some() {
            applied.push(job);
            continue;
        }
        if let Err(e) = exec(tx.conn(), "SAVEPOINT cmd").await {
            broken = Some(db_err("starting a savepoint", e));
            applied.push(job);
            continue;
        }
        let (notify, notify_done) = (tx.notify, tx.notify_done);
        let outcome = job.apply(&mut tx).await;
        let end_savepoint = if outcome == Outcome::Applied {
            "RELEASE SAVEPOINT cmd"
        } else {
            tx.notify = notify;
            tx.notify_done = notify_done;
            "ROLLBACK TO SAVEPOINT cmd; RELEASE SAVEPOINT cmd"
        };
        if let Err(e) = exec(tx.conn(), end_savepoint).await {
            broken = Some(db_err("ending a savepoint", e));
        }
        applied.push(job);
    }
    let outcome = match broken {
        Some(e) => {
            let _ = end(tx, slot, false).await;
            Err(e)
        }
        None => end(tx, slot, true).await,
    };
    if let Err(e) = &outcome {
        tracing::error!(error = %e, commands = applied.len(), "a write group failed");
    }
    for job in applied {
        job.finish(outcome.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commit_notifies_the_channel_workers_listen_on() {
        assert_eq!(
            NOTIFY_AND_COMMIT,
            format!("NOTIFY {WORK_CHANNEL}; COMMIT").as_str()
        );
        assert_eq!(
            NOTIFY_DONE_AND_COMMIT,
            format!("NOTIFY {DONE_CHANNEL}; COMMIT").as_str()
        );
        assert_eq!(
            NOTIFY_BOTH_AND_COMMIT,
            format!("NOTIFY {WORK_CHANNEL}; NOTIFY {DONE_CHANNEL}; COMMIT").as_str()
        );
    }
}
