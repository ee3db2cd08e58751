//! Encoding values into parameters and decoding rows, without panicking on bad data.

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::Value;
use sqlx_core::decode::Decode;
use sqlx_core::row::Row;
use sqlx_core::types::Type;
use sqlx_postgres::{PgRow, Postgres};
use uuid::Uuid;
use weft_store_api::{
    ControlRequest, JournalEntry, ParentRef, RunId, RunRecord, RunStatus, StoreError, StoreResult,
    TenantScope,
};

/// The columns [`run_from_row`] expects, in order. JSON columns are read as their exact text.
pub(crate) const RUN_COLUMNS: &str = "id, org_id, team_id, workflow_version_id, workflow_name, status, \
     input::text, output::text, error::text, parent_run_id, parent_key, idempotency_key, created_at, \
     started_at, finished_at, wake_at, deadline_at, control, workflow_id";

/// The SQLSTATE of a database error, if `e` is one.
pub(crate) fn sqlstate(e: &sqlx_core::Error) -> Option<String> {
    e.as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.into_owned())
}

/// Wraps a driver error with the operation that failed.
pub(crate) fn db_err(op: &str, e: sqlx_core::Error) -> StoreError {
    match sqlstate(&e) {
        Some(code) => StoreError::Database(format!("{op}: {e} (SQLSTATE {code})")),
        None => StoreError::Database(format!("{op}: {e}")),
    }
}

/// A closure for `map_err` that wraps a driver error with the operation that failed.
pub(crate) fn db(op: &'static str) -> impl Fn(sqlx_core::Error) -> StoreError {
    move |e| db_err(op, e)
}

/// A timestamp as stored: `timestamptz` keeps microseconds, so finer digits are cut here
/// (towards the past), once, for every value this crate binds. What a read returns is then
/// exactly what was written, and a record built from bound values equals the stored row.
pub(crate) fn ts(t: &DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// An optional timestamp as stored.
pub(crate) fn opt_ts(t: Option<&DateTime<Utc>>) -> Option<DateTime<Utc>> {
    t.map(ts)
}

/// JSON text of a value (stored in `json` columns, which keep the text as written).
pub(crate) fn json(v: &Value) -> String {
    // Serializing a `Value` to a string cannot fail: its keys are strings.
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned())
}

/// Reads column `idx` of a row, describing failures with `what` and `name`.
pub(crate) fn get<'r, T>(row: &'r PgRow, idx: usize, what: &str, name: &str) -> StoreResult<T>
where
    T: Decode<'r, Postgres> + Type<Postgres>,
{
    row.try_get(idx)
        .map_err(|e| StoreError::Database(format!("{what}: column {name}: {e}")))
}

/// Reads a column that must not be NULL.
pub(crate) fn req<'r, T>(row: &'r PgRow, idx: usize, what: &str, name: &str) -> StoreResult<T>
where
    T: Decode<'r, Postgres> + Type<Postgres>,
{
    get::<Option<T>>(row, idx, what, name)?
        .ok_or_else(|| StoreError::Database(format!("{what}: column {name}: unexpected NULL")))
}

/// Parses an optional text column with `parse`.
pub(crate) fn parsed<T>(
    row: &PgRow,
    idx: usize,
    what: &str,
    name: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> StoreResult<Option<T>> {
    match get::<Option<&str>>(row, idx, what, name)? {
        None => Ok(None),
        Some(s) => parse(s)
            .map(Some)
            .map_err(|e| StoreError::Database(format!("{what}: column {name}: {e}"))),
    }
}

/// Parses a required text column.
pub(crate) fn req_parsed<T>(
    row: &PgRow,
    idx: usize,
    what: &str,
    name: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> StoreResult<T> {
    parsed(row, idx, what, name, parse)?
        .ok_or_else(|| StoreError::Database(format!("{what}: column {name}: unexpected NULL")))
}

/// Parses JSON text.
pub(crate) fn parse_json(s: &str) -> Result<Value, String> {
    serde_json::from_str(s).map_err(|e| format!("invalid JSON: {e}"))
}

/// Parses a run status.
pub(crate) fn parse_status(s: &str) -> Result<RunStatus, String> {
    s.parse::<RunStatus>()
}

/// Parses a control request.
pub(crate) fn parse_control(s: &str) -> Result<ControlRequest, String> {
    s.parse::<ControlRequest>()
}

/// Decodes a row selected with [`RUN_COLUMNS`].
pub(crate) fn run_from_row(row: &PgRow) -> StoreResult<RunRecord> {
    let id: Uuid = req(row, 0, "run row", "id")?;
    let what = format!("run {id}");
    let w = what.as_str();
    let parent_run_id: Option<Uuid> = get(row, 9, w, "parent_run_id")?;
    let parent_key: Option<String> = get(row, 10, w, "parent_key")?;
    let parent = match (parent_run_id, parent_key) {
        (Some(run_id), Some(key)) => Some(ParentRef {
            run_id: RunId(run_id),
            key,
        }),
        (None, None) => None,
        _ => {
            return Err(StoreError::Database(format!(
                "{w}: columns parent_run_id/parent_key: only one is set"
            )));
        }
    };
    Ok(RunRecord {
        id: RunId(id),
        scope: TenantScope {
            org_id: req(row, 1, w, "org_id")?,
            team_id: get(row, 2, w, "team_id")?,
        },
        workflow_version_id: req(row, 3, w, "workflow_version_id")?,
        workflow_name: req(row, 4, w, "workflow_name")?,
        status: req_parsed(row, 5, w, "status", parse_status)?,
        input: req_parsed(row, 6, w, "input", parse_json)?,
        output: parsed(row, 7, w, "output", parse_json)?,
        error: parsed(row, 8, w, "error", parse_json)?,
        parent,
        idempotency_key: get(row, 11, w, "idempotency_key")?,
        created_at: req(row, 12, w, "created_at")?,
        started_at: get(row, 13, w, "started_at")?,
        finished_at: get(row, 14, w, "finished_at")?,
        wake_at: get(row, 15, w, "wake_at")?,
        deadline_at: get(row, 16, w, "deadline_at")?,
        control: parsed(row, 17, w, "control", parse_control)?,
        workflow_id: get(row, 18, w, "workflow_id")?,
    })
}

/// Decodes a `seq, at, event::text` journal row of `run_id`.
pub(crate) fn entry_from_row(row: &PgRow, run_id: RunId) -> StoreResult<JournalEntry> {
    let head = format!("journal of run {run_id}");
    let seq: i64 = req(row, 0, &head, "seq")?;
    let seq = u64::try_from(seq)
        .ok()
        .filter(|s| *s > 0)
        .ok_or_else(|| StoreError::Database(format!("{head}: column seq: invalid value {seq}")))?;
    let what = format!("{head} at seq {seq}");
    Ok(JournalEntry {
        seq,
        at: req(row, 1, &what, "at")?,
        event: req_parsed(row, 2, &what, "event", |s| {
            serde_json::value::RawValue::from_string(s.to_owned()).map_err(|e| e.to_string())
        })?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_cut_to_microseconds_towards_the_past() {
        let t = DateTime::<Utc>::from_timestamp(1_750_000_000, 123_456_789).unwrap_or_default();
        assert_eq!(ts(&t).timestamp_subsec_nanos(), 123_456_000);
        let before_1970 = DateTime::<Utc>::from_timestamp(-5, 999_999_999).unwrap_or_default();
        assert_eq!(ts(&before_1970).timestamp_subsec_nanos(), 999_999_000);
        assert_eq!(ts(&before_1970).timestamp(), -5);
    }
}
