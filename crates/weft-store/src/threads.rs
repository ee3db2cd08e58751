//! Conversation threads (agent memory): a thread row and its numbered messages.

use crate::rows::{db, int, json, parse_json, parse_ts, req_parsed, req_text, text};
use rusqlite::{Connection, OptionalExtension};
use serde_json::Value;
use weft_store_api::{StoreResult, TenantScope, ThreadQuery, ThreadRecord, ThreadStoredMessage};

const WHAT: &str = "thread";

/// The thread and the messages the query asks for, oldest first.
pub(crate) fn load(
    conn: &Connection,
    org: &str,
    id: &str,
    query: &ThreadQuery,
) -> StoreResult<Option<ThreadRecord>> {
    let head = conn
        .prepare_cached(
            "SELECT summary, summarized_through, last_seq, created_at, updated_at
             FROM threads WHERE org_id = ?1 AND id = ?2",
        )
        .and_then(|mut s| {
            s.query_row((org, id), |r| {
                Ok((
                    text(r, 0, WHAT, "summary"),
                    int(r, 1, WHAT, "summarized_through"),
                    int(r, 2, WHAT, "last_seq"),
                    req_parsed(r, 3, WHAT, "created_at", parse_ts),
                    req_parsed(r, 4, WHAT, "updated_at", parse_ts),
                ))
            })
            .optional()
        })
        .map_err(db("reading a thread"))?;
    let Some((summary, through, last_seq, created_at, updated_at)) = head else {
        return Ok(None);
    };
    let through = through?;
    // Newest first with a limit, reversed below: the last N after the summary.
    let limit = query
        .last
        .map(|n| i64::try_from(n).unwrap_or(i64::MAX))
        .unwrap_or(-1);
    let exclude = query.exclude_source.as_deref().unwrap_or("");
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, source, message, created_at FROM thread_messages
             WHERE org_id = ?1 AND thread_id = ?2 AND seq > ?3 AND source <> ?4
             ORDER BY seq DESC LIMIT ?5",
        )
        .map_err(db("reading thread messages"))?;
    let mut rows = stmt
        .query((org, id, through, exclude, limit))
        .map_err(db("reading thread messages"))?;
    let mut messages = Vec::new();
    while let Some(r) = rows.next().map_err(db("reading thread messages"))? {
        messages.push(ThreadStoredMessage {
            seq: int(r, 0, WHAT, "seq")?.max(0) as u64,
            source: req_text(r, 1, WHAT, "source")?,
            message: req_parsed(r, 2, WHAT, "message", parse_json)?,
            created_at: req_parsed(r, 3, WHAT, "created_at", parse_ts)?,
        });
    }
    messages.reverse();
    Ok(Some(ThreadRecord {
        id: id.to_owned(),
        summary: summary?,
        summarized_through: through.max(0) as u64,
        last_seq: last_seq?.max(0) as u64,
        created_at: created_at?,
        updated_at: updated_at?,
        messages,
    }))
}

/// Appends messages (replacing the source's earlier ones); returns the last seq.
pub(crate) fn append(
    conn: &Connection,
    scope: &TenantScope,
    id: &str,
    source: &str,
    messages: &[Value],
    now: &str,
) -> StoreResult<u64> {
    let org = &scope.org_id;
    conn.prepare_cached(
        "INSERT INTO threads (org_id, id, team_id, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (org_id, id) DO NOTHING",
    )
    .and_then(|mut s| s.execute((org, id, &scope.team_id, now)))
    .map_err(db("creating a thread"))?;
    conn.prepare_cached(
        "DELETE FROM thread_messages WHERE org_id = ?1 AND thread_id = ?2 AND source = ?3",
    )
    .and_then(|mut s| s.execute((org, id, source)))
    .map_err(db("replacing thread messages"))?;
    let n = messages.len() as i64;
    let last: i64 = conn
        .prepare_cached(
            "UPDATE threads SET last_seq = last_seq + ?3, updated_at = ?4
             WHERE org_id = ?1 AND id = ?2 RETURNING last_seq",
        )
        .and_then(|mut s| s.query_row((org, id, n, now), |r| r.get(0)))
        .map_err(db("numbering thread messages"))?;
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO thread_messages (org_id, thread_id, seq, source, message, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(db("appending thread messages"))?;
    for (i, m) in messages.iter().enumerate() {
        let seq = last - n + 1 + i as i64;
        insert
            .execute((org, id, seq, source, json(m), now))
            .map_err(db("appending thread messages"))?;
    }
    Ok(last.max(0) as u64)
}

/// Moves the summary forward; false when it would not move or there is no thread.
pub(crate) fn summarize(
    conn: &Connection,
    org: &str,
    id: &str,
    summary: &str,
    through: u64,
    now: &str,
) -> StoreResult<bool> {
    let through = i64::try_from(through).unwrap_or(i64::MAX);
    conn.prepare_cached(
        "UPDATE threads SET summary = ?3, summarized_through = ?4, updated_at = ?5
         WHERE org_id = ?1 AND id = ?2 AND summarized_through < ?4 AND ?4 <= last_seq",
    )
    .and_then(|mut s| s.execute((org, id, summary, through, now)))
    .map_err(db("summarizing a thread"))
    .map(|n| n > 0)
}

/// Deletes a thread and its messages.
pub(crate) fn delete(conn: &Connection, org: &str, id: &str) -> StoreResult<bool> {
    conn.prepare_cached("DELETE FROM thread_messages WHERE org_id = ?1 AND thread_id = ?2")
        .and_then(|mut s| s.execute((org, id)))
        .map_err(db("deleting thread messages"))?;
    conn.prepare_cached("DELETE FROM threads WHERE org_id = ?1 AND id = ?2")
        .and_then(|mut s| s.execute((org, id)))
        .map_err(db("deleting a thread"))
        .map(|n| n > 0)
}
