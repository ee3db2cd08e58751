//! What the three backends share: the batch to run, its limits, what each statement returns,
//! and the guard that bounds every await by the statement timeout and the step's cancellation.

use crate::error::{DbFailure, timed_out};
use serde_json::{Map, Value};
use std::future::Future;
use std::time::Duration;

/// One statement with its rendered params.
pub(crate) struct Stmt {
    pub sql: String,
    pub params: Vec<Value>,
}

/// What to collect from each statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Collect {
    /// Rows (a statement without result columns gives none).
    Rows,
    /// The affected-row count.
    Count,
    /// Rows when the statement has result columns, else the count.
    Auto,
}

/// Limits of a batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_rows: u64,
    pub timeout: Duration,
}

/// What a statement gave.
#[derive(Debug, Default)]
pub(crate) struct StmtOutput {
    /// Rows as objects, when rows were collected.
    pub rows: Option<Vec<Value>>,
    /// Affected rows, when the count was collected.
    pub rows_affected: Option<u64>,
    /// The generated id of an insert, where the backend reports one.
    pub last_insert_id: Option<i64>,
}

impl StmtOutput {
    /// `{rowsAffected, lastInsertId}` and/or `{rows}`.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(n) = self.rows_affected {
            m.insert("rowsAffected".into(), Value::from(n));
            m.insert(
                "lastInsertId".into(),
                self.last_insert_id.map(Value::from).unwrap_or(Value::Null),
            );
        }
        if let Some(rows) = &self.rows {
            m.insert("rows".into(), Value::Array(rows.clone()));
        }
        Value::Object(m)
    }
}

/// Why a guarded await stopped early.
pub(crate) enum Stop {
    /// The database (or the node) failed.
    Failed(DbFailure),
    /// The step was cancelled.
    Cancelled,
}

impl From<DbFailure> for Stop {
    fn from(f: DbFailure) -> Self {
        Stop::Failed(f)
    }
}

/// Runs `fut` within `timeout`, giving up when the step is cancelled.
pub(crate) async fn guarded<T>(
    cancel: &Cancel,
    timeout: Duration,
    fut: impl Future<Output = Result<T, DbFailure>>,
) -> Result<T, Stop> {
    tokio::select! {
        r = tokio::time::timeout(timeout, fut) => match r {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(f)) => Err(Stop::Failed(f)),
            Err(_) => Err(Stop::Failed(timed_out(timeout))),
        },
        _ = cancel.cancelled() => Err(Stop::Cancelled),
    }
}

/// The step's cancellation token.
pub(crate) type Cancel = tokio_util::sync::CancellationToken;

/// "a string", "an object" … for messages.
pub(crate) fn kind_of(v: &Value) -> &'static str {
    weft_nodes::common::json_kind(v)
}

/// The error for a bound value that is an object or array where the parameter is not JSON.
pub(crate) fn structured_param(index: usize, v: &Value, hint: &str) -> DbFailure {
    DbFailure::permanent(
        "db.params",
        format!(
            "parameter {} is {}, which can only be bound to a JSON parameter; {hint}",
            index + 1,
            kind_of(v)
        ),
    )
    .detail("parameter", index + 1)
}

/// Inserts a column into a row object; a repeated name gets a `_2`, `_3` … suffix instead of
/// overwriting the earlier column.
pub(crate) fn insert_unique(row: &mut Map<String, Value>, name: &str, value: Value) {
    if !row.contains_key(name) {
        row.insert(name.to_string(), value);
        return;
    }
    let mut n = 2;
    while row.contains_key(&format!("{name}_{n}")) {
        n += 1;
    }
    row.insert(format!("{name}_{n}"), value);
}
