//! SQLite through rusqlite on a blocking thread. Values map by storage class (integer, real,
//! text, blob as base64, null): SQLite has no separate boolean, date or JSON storage, so those
//! arrive as whatever was stored. A statement that runs past the timeout, or a cancelled step,
//! is stopped with `sqlite3_interrupt`.

use crate::backend::{
    Cancel, Collect, Limits, Stmt, StmtOutput, Stop, insert_unique, structured_param,
};
use crate::error::{DbFailure, from_rusqlite, timed_out, too_many_rows};
use crate::pool::ConnPool;
use base64::Engine as _;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::sync::Arc;

/// Connections to one SQLite file.
pub(crate) type SqlitePool = ConnPool<Connection>;

type BatchResult = Result<Vec<StmtOutput>, (Option<usize>, DbFailure)>;

/// Runs the statements on one connection, in a transaction when asked.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run(
    pool: &Arc<SqlitePool>,
    path: PathBuf,
    read_only: bool,
    stmts: Vec<Stmt>,
    collect: Collect,
    transaction: bool,
    limits: Limits,
    cancel: &Cancel,
) -> Result<Vec<StmtOutput>, (Option<usize>, Stop)> {
    let (lease, idle) = tokio::select! {
        got = pool.acquire() => got,
        _ = tokio::time::sleep(limits.timeout) => return Err((None, Stop::Failed(timed_out(limits.timeout)))),
        _ = cancel.cancelled() => return Err((None, Stop::Cancelled)),
    };
    let (started_tx, mut started) = tokio::sync::watch::channel(None::<usize>);
    let (handle_tx, handle_rx) = std::sync::mpsc::channel::<rusqlite::InterruptHandle>();
    let mut task = tokio::task::spawn_blocking(move || {
        let conn = match idle {
            Some(c) => c,
            None => open(&path, read_only, limits).map_err(|f| (None, f))?,
        };
        let _ = handle_tx.send(conn.get_interrupt_handle());
        let result = batch(&conn, &stmts, collect, transaction, limits.max_rows, |i| {
            let _ = started_tx.send(Some(i));
        });
        Ok::<_, (Option<usize>, DbFailure)>((conn, result))
    });
    let mut deadline = tokio::time::Instant::now() + limits.timeout;
    let mut stopped: Option<(Option<usize>, Stop)> = None;
    let joined = loop {
        tokio::select! {
            joined = &mut task => break joined,
            Ok(()) = started.changed(), if stopped.is_none() => {
                deadline = tokio::time::Instant::now() + limits.timeout;
            }
            _ = tokio::time::sleep_until(deadline), if stopped.is_none() => {
                let at = *started.borrow();
                stopped = Some((at, Stop::Failed(timed_out(limits.timeout))));
                if let Ok(h) = handle_rx.try_recv() { h.interrupt() }
            }
            _ = cancel.cancelled(), if stopped.is_none() => {
                stopped = Some((*started.borrow(), Stop::Cancelled));
                if let Ok(h) = handle_rx.try_recv() { h.interrupt() }
            }
        }
    };
    let (conn, result) = match joined {
        Ok(Ok(pair)) => pair,
        Ok(Err((at, f))) => return Err(stopped.unwrap_or((at, Stop::Failed(f)))),
        Err(e) => {
            return Err((
                None,
                Stop::Failed(DbFailure::permanent(
                    "db.driver",
                    format!("the SQLite worker failed: {e}"),
                )),
            ));
        }
    };
    // A connection left inside a transaction (an interrupted one, or SQL that opened its own)
    // is not handed to the next step.
    if conn.is_autocommit() {
        lease.keep(conn);
    }
    match (result, stopped) {
        (Ok(outputs), None) => Ok(outputs),
        // Interrupted: report the timeout or the cancellation, not "interrupted".
        (_, Some(stop)) => Err(stop),
        (Err((at, f)), None) => Err((at, Stop::Failed(f))),
    }
}

fn open(path: &PathBuf, read_only: bool, limits: Limits) -> Result<Connection, DbFailure> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags).map_err(|e| {
        let mut f = from_rusqlite(e);
        f.code = "db.connection";
        f
    })?;
    conn.busy_timeout(limits.timeout).map_err(from_rusqlite)?;
    Ok(conn)
}

fn batch(
    conn: &Connection,
    stmts: &[Stmt],
    collect: Collect,
    transaction: bool,
    max_rows: u64,
    started: impl Fn(usize),
) -> BatchResult {
    if transaction {
        conn.execute_batch("BEGIN")
            .map_err(|e| (None, from_rusqlite(e)))?;
    }
    let mut outputs = Vec::with_capacity(stmts.len());
    for (i, st) in stmts.iter().enumerate() {
        started(i);
        match one(conn, st, collect, max_rows) {
            Ok(out) => outputs.push(out),
            Err(f) => {
                if !conn.is_autocommit() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                return Err((Some(i), f));
            }
        }
    }
    if transaction && let Err(e) = conn.execute_batch("COMMIT") {
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        return Err((None, from_rusqlite(e)));
    }
    Ok(outputs)
}

fn one(
    conn: &Connection,
    st: &Stmt,
    collect: Collect,
    max_rows: u64,
) -> Result<StmtOutput, DbFailure> {
    let mut stmt = conn.prepare_cached(&st.sql).map_err(from_rusqlite)?;
    if stmt.parameter_count() != st.params.len() {
        return Err(DbFailure::permanent(
            "db.params",
            format!(
                "the SQL has {} placeholder(s) (?) but {} param(s) were given",
                stmt.parameter_count(),
                st.params.len()
            ),
        ));
    }
    for (i, v) in st.params.iter().enumerate() {
        let bound = match v {
            Value::Null => stmt.raw_bind_parameter(i + 1, rusqlite::types::Null),
            Value::Bool(b) => stmt.raw_bind_parameter(i + 1, *b as i64),
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(x), _) => stmt.raw_bind_parameter(i + 1, x),
                (None, Some(x)) => stmt.raw_bind_parameter(i + 1, x),
                _ => stmt.raw_bind_parameter(i + 1, n.to_string()),
            },
            Value::String(s) => stmt.raw_bind_parameter(i + 1, s.as_str()),
            Value::Object(_) | Value::Array(_) => {
                return Err(structured_param(
                    i,
                    v,
                    "SQLite takes JSON as text: pass a JSON string (e.g. {{ JSON.stringify($json.tags) }})",
                ));
            }
        };
        bound.map_err(from_rusqlite)?;
    }
    let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
    let want_rows = match collect {
        Collect::Rows => true,
        Collect::Count => false,
        Collect::Auto => !names.is_empty(),
    };
    if want_rows || !names.is_empty() {
        let mut out = Vec::new();
        let mut rows = stmt.raw_query();
        while let Some(row) = rows.next().map_err(from_rusqlite)? {
            if !want_rows {
                continue;
            }
            if out.len() as u64 >= max_rows {
                return Err(too_many_rows(max_rows));
            }
            let mut m = Map::new();
            for (c, name) in names.iter().enumerate() {
                let v = match row.get_ref(c).map_err(from_rusqlite)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(x) => Value::from(x),
                    ValueRef::Real(x) => {
                        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
                    }
                    ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => {
                        Value::String(base64::engine::general_purpose::STANDARD.encode(b))
                    }
                };
                insert_unique(&mut m, name, v);
            }
            out.push(Value::Object(m));
        }
        return Ok(if want_rows {
            StmtOutput {
                rows: Some(out),
                ..StmtOutput::default()
            }
        } else {
            StmtOutput {
                rows_affected: Some(0),
                ..StmtOutput::default()
            }
        });
    }
    let changes = stmt.raw_execute().map_err(from_rusqlite)?;
    let head = st
        .sql
        .trim_start()
        .get(..7)
        .unwrap_or("")
        .to_ascii_lowercase();
    let inserted = head.starts_with("insert") || head.starts_with("replace");
    Ok(StmtOutput {
        rows_affected: Some(changes as u64),
        last_insert_id: (inserted && changes > 0).then(|| conn.last_insert_rowid()),
        rows: None,
    })
}
