//! Encoding values into columns and decoding rows, without panicking on bad data.

use chrono::{DateTime, Utc};
use rusqlite::Row;
use rusqlite::types::ValueRef;
use serde_json::Value;
use weft_store_api::{
    ControlRequest, JournalEntry, ParentRef, RunId, RunRecord, RunStatus, StoreError, TenantScope,
};

/// The columns [`run_from_row`] expects, in order.
pub(crate) const RUN_COLUMNS: &str = "id, org_id, team_id, workflow_version_id, workflow_name, status, input, \
     output, error, parent_run_id, parent_key, idempotency_key, created_at, started_at, finished_at, wake_at, \
     deadline_at, control, workflow_id";

/// Wraps a rusqlite error with the operation that failed.
pub(crate) fn db_err(op: &str, e: rusqlite::Error) -> StoreError {
    StoreError::Database(format!("{op}: {e}"))
}

/// A closure for `map_err` that wraps a rusqlite error with the operation that failed.
pub(crate) fn db(op: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| db_err(op, e)
}

/// A timestamp as stored: RFC 3339 UTC with nine fractional digits (fixed width, sortable).
pub(crate) fn ts(t: &DateTime<Utc>) -> String {
    weft_store_api::rfc3339::format(t)
}

/// An optional timestamp as stored.
pub(crate) fn opt_ts(t: Option<&DateTime<Utc>>) -> Option<String> {
    t.map(ts)
}

/// Parses a stored timestamp.
pub(crate) fn parse_ts(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("invalid timestamp {s:?}: {e}"))
}

/// JSON text of a value.
pub(crate) fn json(v: &Value) -> String {
    // Serializing a `Value` to a string cannot fail: its keys are strings.
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned())
}

/// Reads column `idx` of a row as optional text, describing failures with `what` and `name`.
pub(crate) fn text(
    row: &Row<'_>,
    idx: usize,
    what: &str,
    name: &str,
) -> Result<Option<String>, StoreError> {
    let bad = |detail: String| StoreError::Database(format!("{what}: column {name}: {detail}"));
    match row.get_ref(idx).map_err(|e| bad(e.to_string()))? {
        ValueRef::Null => Ok(None),
        ValueRef::Text(t) => std::str::from_utf8(t)
            .map(|s| Some(s.to_owned()))
            .map_err(|e| bad(e.to_string())),
        other => Err(bad(format!("expected text, found {:?}", other.data_type()))),
    }
}

/// Reads a required text column.
pub(crate) fn req_text(
    row: &Row<'_>,
    idx: usize,
    what: &str,
    name: &str,
) -> Result<String, StoreError> {
    text(row, idx, what, name)?
        .ok_or_else(|| StoreError::Database(format!("{what}: column {name}: unexpected NULL")))
}

/// Parses an optional text column with `parse`, describing failures like [`text`].
pub(crate) fn parsed<T>(
    row: &Row<'_>,
    idx: usize,
    what: &str,
    name: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, StoreError> {
    match text(row, idx, what, name)? {
        None => Ok(None),
        Some(s) => parse(&s)
            .map(Some)
            .map_err(|e| StoreError::Database(format!("{what}: column {name}: {e}"))),
    }
}

/// Parses a required text column.
pub(crate) fn req_parsed<T>(
    row: &Row<'_>,
    idx: usize,
    what: &str,
    name: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, StoreError> {
    parsed(row, idx, what, name, parse)?
        .ok_or_else(|| StoreError::Database(format!("{what}: column {name}: unexpected NULL")))
}

/// Parses JSON text.
pub(crate) fn parse_json(s: &str) -> Result<Value, String> {
    serde_json::from_str(s).map_err(|e| format!("invalid JSON: {e}"))
}

/// Parses a run id.
pub(crate) fn parse_run_id(s: &str) -> Result<RunId, String> {
    s.parse::<RunId>()
        .map_err(|e| format!("invalid run id {s:?}: {e}"))
}

/// Parses a JSON array of strings.
pub(crate) fn parse_strings(s: &str) -> Result<Vec<String>, String> {
    serde_json::from_str(s).map_err(|e| format!("invalid JSON array of strings: {e}"))
}

/// JSON text of a list of strings.
pub(crate) fn strings_json(items: &[String]) -> String {
    json(&Value::from(items.to_vec()))
}

/// Reads column `idx` of a row as an optional integer, describing failures like [`text`].
pub(crate) fn opt_int(
    row: &Row<'_>,
    idx: usize,
    what: &str,
    name: &str,
) -> Result<Option<i64>, StoreError> {
    let bad = |detail: String| StoreError::Database(format!("{what}: column {name}: {detail}"));
    match row.get_ref(idx).map_err(|e| bad(e.to_string()))? {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(n) => Ok(Some(n)),
        other => Err(bad(format!(
            "expected an integer, found {:?}",
            other.data_type()
        ))),
    }
}

/// Reads a required integer column.
pub(crate) fn int(row: &Row<'_>, idx: usize, what: &str, name: &str) -> Result<i64, StoreError> {
    opt_int(row, idx, what, name)?
        .ok_or_else(|| StoreError::Database(format!("{what}: column {name}: unexpected NULL")))
}

/// Decodes a row selected with [`RUN_COLUMNS`].
pub(crate) fn run_from_row(row: &Row<'_>) -> Result<RunRecord, StoreError> {
    let raw_id = req_text(row, 0, "run row", "id")?;
    let id = parse_run_id(&raw_id)
        .map_err(|e| StoreError::Database(format!("run row: column id: {e}")))?;
    let what = format!("run {raw_id}");
    let w = what.as_str();
    let parent_run_id = parsed(row, 9, w, "parent_run_id", parse_run_id)?;
    let parent_key = text(row, 10, w, "parent_key")?;
    let parent = match (parent_run_id, parent_key) {
        (Some(run_id), Some(key)) => Some(ParentRef { run_id, key }),
        (None, None) => None,
        _ => {
            return Err(StoreError::Database(format!(
                "{w}: columns parent_run_id/parent_key: only one is set"
            )));
        }
    };
    Ok(RunRecord {
        id,
        scope: TenantScope {
            org_id: req_text(row, 1, w, "org_id")?,
            team_id: text(row, 2, w, "team_id")?,
        },
        workflow_version_id: req_text(row, 3, w, "workflow_version_id")?,
        workflow_name: req_text(row, 4, w, "workflow_name")?,
        status: req_parsed(row, 5, w, "status", |s| s.parse::<RunStatus>())?,
        input: req_parsed(row, 6, w, "input", parse_json)?,
        output: parsed(row, 7, w, "output", parse_json)?,
        error: parsed(row, 8, w, "error", parse_json)?,
        parent,
        idempotency_key: text(row, 11, w, "idempotency_key")?,
        created_at: req_parsed(row, 12, w, "created_at", parse_ts)?,
        started_at: parsed(row, 13, w, "started_at", parse_ts)?,
        finished_at: parsed(row, 14, w, "finished_at", parse_ts)?,
        wake_at: parsed(row, 15, w, "wake_at", parse_ts)?,
        deadline_at: parsed(row, 16, w, "deadline_at", parse_ts)?,
        control: parsed(row, 17, w, "control", |s| s.parse::<ControlRequest>())?,
        workflow_id: text(row, 18, w, "workflow_id")?,
    })
}

/// One event of a batch row (see migration 7): its time and its text.
#[derive(serde::Deserialize)]
struct Packed {
    #[serde(with = "weft_store_api::rfc3339")]
    at: DateTime<Utc>,
    event: weft_store_api::EventJson,
}

/// Writes the text of a batch row: `[{"at": …, "event": …}, …]`, from entries already encoded.
pub(crate) fn pack<'a>(entries: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::with_capacity(1024);
    out.push('[');
    for (i, (at, event)) in entries.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"at\":\"");
        out.push_str(at);
        out.push_str("\",\"event\":");
        out.push_str(event);
        out.push('}');
    }
    out.push(']');
    out
}

/// Decodes a `seq, at, event, entries` journal row of `run_id` into `out`: one entry, or the
/// `entries` entries of a batch row.
pub(crate) fn entries_from_row(
    row: &Row<'_>,
    run_id: RunId,
    out: &mut Vec<JournalEntry>,
) -> Result<(), StoreError> {
    let bad = |detail: String| StoreError::Database(format!("journal of run {run_id}: {detail}"));
    let seq = match row.get_ref(0).map_err(|e| bad(e.to_string()))? {
        ValueRef::Integer(n) if n > 0 => n as u64,
        other => return Err(bad(format!("column seq: invalid value {other:?}"))),
    };
    let count = match row.get_ref(3).map_err(|e| bad(e.to_string()))? {
        ValueRef::Integer(n) if n > 0 => n as u64,
        other => return Err(bad(format!("column entries: invalid value {other:?}"))),
    };
    let what = format!("journal of run {run_id} at seq {seq}");
    if count == 1 {
        out.push(JournalEntry {
            seq,
            at: req_parsed(row, 1, &what, "at", parse_ts)?,
            event: req_parsed(row, 2, &what, "event", |s| {
                serde_json::value::RawValue::from_string(s.to_owned()).map_err(|e| e.to_string())
            })?,
        });
        return Ok(());
    }
    let packed: Vec<Packed> = req_parsed(row, 2, &what, "event", |s| {
        serde_json::from_str(s).map_err(|e| e.to_string())
    })?;
    if packed.len() as u64 != count {
        return Err(bad(format!(
            "the row at seq {seq} holds {} events, not {count}",
            packed.len()
        )));
    }
    out.extend(packed.into_iter().enumerate().map(|(i, p)| JournalEntry {
        seq: seq + i as u64,
        at: p.at,
        event: p.event,
    }));
    Ok(())
}

/// Decodes a stored run status (for narrow queries).
pub(crate) fn status_from_row(
    row: &Row<'_>,
    idx: usize,
    what: &str,
) -> Result<RunStatus, StoreError> {
    req_parsed(row, idx, what, "status", |s| s.parse::<RunStatus>())
}

/// Decodes an optional stored timestamp (for narrow queries).
pub(crate) fn opt_ts_from_row(
    row: &Row<'_>,
    idx: usize,
    what: &str,
    name: &str,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    parsed(row, idx, what, name, parse_ts)
}

/// Decodes a stored control request (for narrow queries).
pub(crate) fn control_from_row(
    row: &Row<'_>,
    idx: usize,
    what: &str,
) -> Result<ControlRequest, StoreError> {
    req_parsed(row, idx, what, "control", |s| s.parse::<ControlRequest>())
}

/// Decodes a stored run id (for narrow queries).
pub(crate) fn run_id_from_row(row: &Row<'_>, idx: usize, what: &str) -> Result<RunId, StoreError> {
    req_parsed(row, idx, what, "id", parse_run_id)
}

/// Parses stored JSON text (for narrow queries).
pub(crate) fn json_from_text(s: &str, what: &str, name: &str) -> Result<Value, StoreError> {
    parse_json(s).map_err(|e| StoreError::Database(format!("{what}: column {name}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_fixed_width_and_lossless() {
        let t = DateTime::parse_from_rfc3339("2025-01-02T03:04:05.000000123Z")
            .map(|t| t.with_timezone(&Utc));
        let t = t.unwrap_or_default();
        let s = ts(&t);
        assert_eq!(s, "2025-01-02T03:04:05.000000123Z");
        assert_eq!(parse_ts(&s), Ok(t));
        let whole = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        assert_eq!(ts(&whole).len(), s.len());
    }
}
