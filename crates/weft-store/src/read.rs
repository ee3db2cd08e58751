//! The read connection pool and the queries that only read. Each query takes a plain
//! connection, so the writer can run the same queries inside its transaction.

use crate::rows::{
    RUN_COLUMNS, db, entries_from_row, json_from_text, parse_ts, req_text, run_from_row, ts,
};
use chrono::{DateTime, Utc};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension};
use serde_json::Value;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use weft_store_api::{JournalEntry, Page, RunFilter, RunId, RunRecord, StoreError, StoreResult};

/// A fixed set of read-only connections; WAL lets them read while the writer writes.
pub(crate) struct ReadPool {
    idle: Mutex<Vec<Connection>>,
    returned: Condvar,
}

/// Returns a borrowed connection to its pool, even if the reading closure panicked.
struct Borrowed<'a> {
    pool: &'a ReadPool,
    conn: Option<Connection>,
}

impl Drop for Borrowed<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.lock().push(conn);
            self.pool.returned.notify_one();
        }
    }
}

impl ReadPool {
    /// Opens `size` (at least one) read-only connections to `path`.
    pub(crate) fn open(path: &Path, size: usize) -> StoreResult<Arc<ReadPool>> {
        let conns = (0..size.max(1))
            .map(|_| crate::schema::open_reader(path))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Arc::new(ReadPool {
            idle: Mutex::new(conns),
            returned: Condvar::new(),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Connection>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on an idle connection, blocking until one is free.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        let mut idle = self.lock();
        let conn = loop {
            if let Some(conn) = idle.pop() {
                break conn;
            }
            idle = self
                .returned
                .wait(idle)
                .unwrap_or_else(PoisonError::into_inner);
        };
        drop(idle);
        let borrowed = Borrowed {
            pool: self,
            conn: Some(conn),
        };
        match &borrowed.conn {
            Some(conn) => f(conn),
            None => unreachable!("a borrowed connection is present until dropped"),
        }
    }

    /// Runs `f` on a blocking thread with an idle connection.
    pub(crate) async fn run<T, F>(self: &Arc<Self>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || pool.with(f))
            .await
            .map_err(|e| StoreError::Database(format!("a read task failed: {e}")))?
    }
}

/// A workflow document of the organization.
pub(crate) fn workflow_version(
    conn: &Connection,
    org: &str,
    id: &str,
) -> StoreResult<Option<Value>> {
    let text: Option<String> = conn
        .prepare_cached("SELECT document FROM workflow_versions WHERE id = ?1 AND org_id = ?2")
        .and_then(|mut s| s.query_row((id, org), |r| r.get(0)).optional())
        .map_err(db("reading a workflow version"))?;
    text.map(|t| json_from_text(&t, &format!("workflow version {id}"), "document"))
        .transpose()
}

/// Whether the organization has this workflow version.
pub(crate) fn workflow_version_exists(conn: &Connection, org: &str, id: &str) -> StoreResult<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM workflow_versions WHERE id = ?1 AND org_id = ?2)",
    )
    .and_then(|mut s| s.query_row((id, org), |r| r.get(0)))
    .map_err(db("checking a workflow version"))
}

/// Whether the organization has this run.
pub(crate) fn run_exists(conn: &Connection, org: &str, id: &str) -> StoreResult<bool> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?1 AND org_id = ?2)")
        .and_then(|mut s| s.query_row((id, org), |r| r.get(0)))
        .map_err(db("checking a run"))
}

/// Runs the single-row run query `sql` (selecting [`RUN_COLUMNS`]) with `params`.
fn one_run<P: rusqlite::Params>(
    conn: &Connection,
    op: &'static str,
    sql: &str,
    params: P,
) -> StoreResult<Option<RunRecord>> {
    let mut stmt = conn.prepare_cached(sql).map_err(db(op))?;
    let mut rows = stmt.query(params).map_err(db(op))?;
    match rows.next().map_err(db(op))? {
        Some(row) => run_from_row(row).map(Some),
        None => Ok(None),
    }
}

/// One run of the organization.
pub(crate) fn run(conn: &Connection, org: &str, id: &str) -> StoreResult<Option<RunRecord>> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1 AND org_id = ?2");
    one_run(conn, "reading a run", &sql, (id, org))
}

/// The run created with this idempotency key in the organization.
pub(crate) fn run_by_idempotency_key(
    conn: &Connection,
    org: &str,
    key: &str,
) -> StoreResult<Option<RunRecord>> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE org_id = ?1 AND idempotency_key = ?2");
    one_run(conn, "reading a run by idempotency key", &sql, (org, key))
}

/// The child started by `parent` under `key`, in the organization.
pub(crate) fn child_run(
    conn: &Connection,
    org: &str,
    parent: &str,
    key: &str,
) -> StoreResult<Option<RunRecord>> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM runs WHERE parent_run_id = ?1 AND parent_key = ?2 AND org_id = ?3"
    );
    one_run(conn, "reading a child run", &sql, (parent, key, org))
}

/// A page of the organization's runs, newest first, after `cursor` (the last id of the
/// previous page). `limit` is at least one.
pub(crate) fn list_runs(
    conn: &Connection,
    org: &str,
    filter: &RunFilter,
    cursor: Option<&str>,
    limit: usize,
) -> StoreResult<Page<RunRecord>> {
    let limit = limit.max(1);
    let mut sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE org_id = ?");
    let mut params: Vec<SqlValue> = vec![SqlValue::Text(org.to_owned())];
    if let Some(cursor) = cursor {
        let after: RunId = cursor
            .parse()
            .map_err(|_| StoreError::Database(format!("invalid run list cursor {cursor:?}")))?;
        sql.push_str(" AND id < ?");
        params.push(SqlValue::Text(after.to_string()));
    }
    if let Some(name) = &filter.workflow_name {
        sql.push_str(" AND workflow_name = ?");
        params.push(SqlValue::Text(name.clone()));
    }
    if !filter.workflow_ids.is_empty() {
        sql.push_str(" AND workflow_id IN (");
        for (i, id) in filter.workflow_ids.iter().enumerate() {
            sql.push_str(if i == 0 { "?" } else { ", ?" });
            params.push(SqlValue::Text(id.clone()));
        }
        sql.push(')');
    }
    if let Some(after) = &filter.created_after {
        sql.push_str(" AND created_at >= ?");
        params.push(SqlValue::Text(ts(after)));
    }
    if let Some(before) = &filter.created_before {
        sql.push_str(" AND created_at < ?");
        params.push(SqlValue::Text(ts(before)));
    }
    if filter.top_level_only {
        sql.push_str(" AND parent_run_id IS NULL");
    }
    if let Some(parent) = filter.parent_run_id {
        sql.push_str(" AND parent_run_id = ?");
        params.push(SqlValue::Text(parent.to_string()));
    }
    if !filter.statuses.is_empty() {
        sql.push_str(" AND status IN (");
        for (i, status) in filter.statuses.iter().enumerate() {
            sql.push_str(if i == 0 { "?" } else { ", ?" });
            params.push(SqlValue::Text(status.as_str().to_owned()));
        }
        sql.push(')');
    }
    sql.push_str(" ORDER BY id DESC LIMIT ?");
    params.push(SqlValue::Integer(
        i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1,
    ));

    let op = "listing runs";
    let mut stmt = conn.prepare_cached(&sql).map_err(db(op))?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params))
        .map_err(db(op))?;
    let mut items = Vec::new();
    let mut more = false;
    while let Some(row) = rows.next().map_err(db(op))? {
        if items.len() == limit {
            more = true;
            break;
        }
        items.push(run_from_row(row)?);
    }
    let next_cursor = if more {
        items.last().map(|r: &RunRecord| r.id.to_string())
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

/// The journal of a run of the organization, in order; `NotFound` for another org's run.
pub(crate) fn journal(
    conn: &Connection,
    org: &str,
    run_id: RunId,
) -> StoreResult<Vec<JournalEntry>> {
    let id = run_id.to_string();
    if !run_exists(conn, org, &id)? {
        return Err(StoreError::NotFound { what: "run", id });
    }
    let op = "loading a journal";
    let mut stmt = conn.prepare_cached(JOURNAL_SQL).map_err(db(op))?;
    let mut rows = stmt.query([&id]).map_err(db(op))?;
    let mut entries = Vec::new();
    while let Some(row) = rows.next().map_err(db(op))? {
        entries_from_row(row, run_id, &mut entries)?;
    }
    // The primary key (run_id, seq) yields them in order already; sorting sorted input is one
    // pass, and keeps the order a promise of this code rather than of the query plan.
    entries.sort_by_key(|e| e.seq);
    Ok(entries)
}

/// A run's journal. No `ORDER BY`: with one, SQLite's plan depends on the bound run id (the
/// sort is skipped for an equality on the key's prefix), so the statement expires whenever
/// rusqlite's cache clears its bindings and is re-prepared on every use — a few percent of the
/// server's CPU under load. [`journal`] sorts instead.
pub(crate) const JOURNAL_SQL: &str =
    "SELECT seq, at, event, entries FROM journal WHERE run_id = ?1";

/// Whether any run driven by `owner` has a pending control request.
pub(crate) fn has_control_requests(conn: &Connection, owner: &str) -> StoreResult<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM runs WHERE owner = ?1 AND control IS NOT NULL)",
    )
    .and_then(|mut s| s.query_row([owner], |r| r.get(0)))
    .map_err(db("checking control requests"))
}

/// Distinct owners of unfinished, non-waiting runs (the candidates for a liveness check).
pub(crate) fn active_owners(conn: &Connection) -> StoreResult<Vec<String>> {
    let op = "listing run owners";
    let mut stmt = conn
        .prepare_cached(
            "SELECT DISTINCT owner FROM runs
             WHERE owner IS NOT NULL AND status IN ('queued', 'running', 'paused')",
        )
        .map_err(db(op))?;
    let mut rows = stmt.query([]).map_err(db(op))?;
    let mut owners = Vec::new();
    while let Some(row) = rows.next().map_err(db(op))? {
        owners.push(req_text(row, 0, "runs", "owner")?);
    }
    Ok(owners)
}

/// The earliest `wake_at` of any waiting run, across all organizations.
pub(crate) fn next_wake_at(conn: &Connection) -> StoreResult<Option<DateTime<Utc>>> {
    let text: Option<String> = conn
        .prepare_cached(
            "SELECT MIN(wake_at) FROM runs WHERE status = 'waiting' AND wake_at IS NOT NULL",
        )
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(db("reading the next wake time"))?;
    text.map(|t| {
        parse_ts(&t).map_err(|e| StoreError::Database(format!("runs: column wake_at: {e}")))
    })
    .transpose()
}
