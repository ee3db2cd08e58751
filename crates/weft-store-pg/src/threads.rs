//! Conversation threads (agent memory): a thread row and its numbered messages.
//!
//! Appends number their messages with `UPDATE threads SET last_seq = last_seq + n RETURNING`,
//! which locks the thread's row until the group commits: processes appending to one thread at
//! once get disjoint seqs.

use crate::rows::{db, get, json, parse_json, req, req_parsed};
use crate::writer::Tx;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx_core::query::query;
use sqlx_core::query_scalar::query_scalar;
use sqlx_postgres::PgPool;
use weft_store_api::{StoreResult, TenantScope, ThreadQuery, ThreadRecord, ThreadStoredMessage};

const WHAT: &str = "thread";

fn seq(v: i64) -> u64 {
    v.max(0) as u64
}

/// The thread and the messages the query asks for, oldest first.
pub(crate) async fn load(
    pool: &PgPool,
    org: &str,
    id: &str,
    q: &ThreadQuery,
) -> StoreResult<Option<ThreadRecord>> {
    let Some(head) = query(
        "SELECT summary, summarized_through, last_seq, created_at, updated_at
         FROM threads WHERE org_id = $1 AND id = $2",
    )
    .bind(org)
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(db("reading a thread"))?
    else {
        return Ok(None);
    };
    let through: i64 = req(&head, 1, WHAT, "summarized_through")?;
    let limit = q.last.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    let rows = query(
        "SELECT seq, source, message::text, created_at FROM thread_messages
         WHERE org_id = $1 AND thread_id = $2 AND seq > $3 AND source <> $4
         ORDER BY seq DESC LIMIT $5",
    )
    .bind(org)
    .bind(id)
    .bind(through)
    .bind(q.exclude_source.as_deref().unwrap_or(""))
    .bind(limit)
    .fetch_all(pool)
    .await
    .map_err(db("reading thread messages"))?;
    let mut messages = rows
        .iter()
        .map(|r| {
            Ok(ThreadStoredMessage {
                seq: seq(req(r, 0, WHAT, "seq")?),
                source: req(r, 1, WHAT, "source")?,
                message: req_parsed(r, 2, WHAT, "message", parse_json)?,
                created_at: req(r, 3, WHAT, "created_at")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    messages.reverse();
    Ok(Some(ThreadRecord {
        id: id.to_owned(),
        summary: get(&head, 0, WHAT, "summary")?,
        summarized_through: seq(through),
        last_seq: seq(req(&head, 2, WHAT, "last_seq")?),
        created_at: req(&head, 3, WHAT, "created_at")?,
        updated_at: req(&head, 4, WHAT, "updated_at")?,
        messages,
    }))
}

/// Appends messages, replacing the source's earlier ones; returns the last seq (writer side).
pub(crate) async fn append(
    tx: &mut Tx,
    scope: &TenantScope,
    id: &str,
    source: &str,
    messages: &[Value],
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    let org = &scope.org_id;
    query(
        "INSERT INTO threads (org_id, id, team_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4) ON CONFLICT (org_id, id) DO NOTHING",
    )
    .bind(org)
    .bind(id)
    .bind(&scope.team_id)
    .bind(now)
    .execute(tx.conn())
    .await
    .map_err(db("creating a thread"))?;
    let n = messages.len() as i64;
    let last: i64 = query_scalar(
        "UPDATE threads SET last_seq = last_seq + $3, updated_at = $4
         WHERE org_id = $1 AND id = $2 RETURNING last_seq",
    )
    .bind(org)
    .bind(id)
    .bind(n)
    .bind(now)
    .fetch_one(tx.conn())
    .await
    .map_err(db("numbering thread messages"))?;
    query("DELETE FROM thread_messages WHERE org_id = $1 AND thread_id = $2 AND source = $3")
        .bind(org)
        .bind(id)
        .bind(source)
        .execute(tx.conn())
        .await
        .map_err(db("replacing thread messages"))?;
    if n > 0 {
        let seqs: Vec<i64> = (0..n).map(|i| last - n + 1 + i).collect();
        let texts: Vec<String> = messages.iter().map(json).collect();
        query(
            "INSERT INTO thread_messages (org_id, thread_id, seq, source, message, created_at)
             SELECT $1, $2, s, $3, m::json, $4 FROM UNNEST($5::bigint[], $6::text[]) AS t (s, m)",
        )
        .bind(org)
        .bind(id)
        .bind(source)
        .bind(now)
        .bind(&seqs)
        .bind(&texts)
        .execute(tx.conn())
        .await
        .map_err(db("appending thread messages"))?;
    }
    Ok(seq(last))
}

/// Moves the summary forward; false when it would not move or there is no thread.
pub(crate) async fn summarize(
    tx: &mut Tx,
    org: &str,
    id: &str,
    summary: &str,
    through: u64,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let through = i64::try_from(through).unwrap_or(i64::MAX);
    query(
        "UPDATE threads SET summary = $3, summarized_through = $4, updated_at = $5
         WHERE org_id = $1 AND id = $2 AND summarized_through < $4 AND $4 <= last_seq",
    )
    .bind(org)
    .bind(id)
    .bind(summary)
    .bind(through)
    .bind(now)
    .execute(tx.conn())
    .await
    .map_err(db("summarizing a thread"))
    .map(|done| done.rows_affected() > 0)
}

/// Deletes a thread and its messages (writer side).
pub(crate) async fn delete(tx: &mut Tx, org: &str, id: &str) -> StoreResult<bool> {
    query("DELETE FROM threads WHERE org_id = $1 AND id = $2")
        .bind(org)
        .bind(id)
        .execute(tx.conn())
        .await
        .map_err(db("deleting a thread"))
        .map(|done| done.rows_affected() > 0)
}
