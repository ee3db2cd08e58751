//! Queries that only read. Each takes any executor, so the writer can run the same queries
//! inside its transaction and everybody else on the pool.

use crate::rows::{RUN_COLUMNS, db, entry_from_row, parse_json, run_from_row, ts};
use serde_json::Value;
use sqlx_core::executor::Executor;
use sqlx_core::query::query;
use sqlx_core::query_builder::QueryBuilder;
use sqlx_core::query_scalar::query_scalar;
use sqlx_postgres::{PgPool, Postgres};
use weft_store_api::{JournalEntry, Page, RunFilter, RunId, RunRecord, StoreError, StoreResult};

/// Whether the organization has this workflow version.
pub(crate) async fn workflow_version_exists<'e, E>(e: E, org: &str, id: &str) -> StoreResult<bool>
where
    E: Executor<'e, Database = Postgres>,
{
    query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM workflow_versions WHERE id = $1 AND org_id = $2)",
    )
    .bind(id)
    .bind(org)
    .fetch_one(e)
    .await
    .map_err(db("reading a workflow version"))
}

/// A workflow version's document, in the organization.
pub(crate) async fn workflow_version(
    pool: &PgPool,
    org: &str,
    id: &str,
) -> StoreResult<Option<Value>> {
    let text = query_scalar::<_, String>(
        "SELECT document::text FROM workflow_versions WHERE id = $1 AND org_id = $2",
    )
    .bind(id)
    .bind(org)
    .fetch_optional(pool)
    .await
    .map_err(db("reading a workflow version"))?;
    text.map(|t| {
        parse_json(&t).map_err(|e| {
            StoreError::Database(format!("workflow version {id}: column document: {e}"))
        })
    })
    .transpose()
}

/// Whether the organization has this run.
pub(crate) async fn run_exists<'e, E>(e: E, org: &str, id: RunId) -> StoreResult<bool>
where
    E: Executor<'e, Database = Postgres>,
{
    query_scalar::<_, bool>("SELECT EXISTS (SELECT 1 FROM runs WHERE id = $1 AND org_id = $2)")
        .bind(id.0)
        .bind(org)
        .fetch_one(e)
        .await
        .map_err(db("reading a run"))
}

/// One run of the organization.
pub(crate) async fn run<'e, E>(e: E, org: &str, id: RunId) -> StoreResult<Option<RunRecord>>
where
    E: Executor<'e, Database = Postgres>,
{
    query(&format!(
        "SELECT {RUN_COLUMNS} FROM runs WHERE id = $1 AND org_id = $2"
    ))
    .bind(id.0)
    .bind(org)
    .fetch_optional(e)
    .await
    .map_err(db("reading a run"))?
    .map(|row| run_from_row(&row))
    .transpose()
}

/// The run created with this idempotency key in the organization.
pub(crate) async fn run_by_idempotency_key<'e, E>(
    e: E,
    org: &str,
    key: &str,
) -> StoreResult<Option<RunRecord>>
where
    E: Executor<'e, Database = Postgres>,
{
    query(&format!(
        "SELECT {RUN_COLUMNS} FROM runs WHERE org_id = $1 AND idempotency_key = $2"
    ))
    .bind(org)
    .bind(key)
    .fetch_optional(e)
    .await
    .map_err(db("reading a run by idempotency key"))?
    .map(|row| run_from_row(&row))
    .transpose()
}

/// The child started by `parent` under `key`, in the organization.
pub(crate) async fn child_run<'e, E>(
    e: E,
    org: &str,
    parent: RunId,
    key: &str,
) -> StoreResult<Option<RunRecord>>
where
    E: Executor<'e, Database = Postgres>,
{
    query(&format!(
        "SELECT {RUN_COLUMNS} FROM runs WHERE parent_run_id = $1 AND parent_key = $2 AND org_id = $3"
    ))
    .bind(parent.0)
    .bind(key)
    .bind(org)
    .fetch_optional(e)
    .await
    .map_err(db("reading a child run"))?
    .map(|row| run_from_row(&row))
    .transpose()
}

/// A page of the organization's runs, newest first, after `cursor` (the last id of the
/// previous page). `limit` is at least one.
pub(crate) async fn list_runs(
    pool: &PgPool,
    org: &str,
    filter: &RunFilter,
    cursor: Option<&str>,
    limit: usize,
) -> StoreResult<Page<RunRecord>> {
    let limit = limit.max(1);
    let mut sql =
        QueryBuilder::<Postgres>::new(format!("SELECT {RUN_COLUMNS} FROM runs WHERE org_id = "));
    sql.push_bind(org.to_owned());
    if let Some(cursor) = cursor {
        let after: RunId = cursor
            .parse()
            .map_err(|_| StoreError::Database(format!("invalid run list cursor {cursor:?}")))?;
        sql.push(" AND id < ").push_bind(after.0);
    }
    if let Some(name) = &filter.workflow_name {
        sql.push(" AND workflow_name = ").push_bind(name.clone());
    }
    if !filter.workflow_ids.is_empty() {
        sql.push(" AND workflow_id = ANY(")
            .push_bind(filter.workflow_ids.clone())
            .push(")");
    }
    if let Some(after) = &filter.created_after {
        sql.push(" AND created_at >= ").push_bind(ts(after));
    }
    if let Some(before) = &filter.created_before {
        sql.push(" AND created_at < ").push_bind(ts(before));
    }
    if filter.top_level_only {
        sql.push(" AND parent_run_id IS NULL");
    }
    if let Some(parent) = filter.parent_run_id {
        sql.push(" AND parent_run_id = ").push_bind(parent.0);
    }
    if !filter.statuses.is_empty() {
        let statuses: Vec<&'static str> = filter.statuses.iter().map(|s| s.as_str()).collect();
        sql.push(" AND status = ANY(").push_bind(statuses).push(")");
    }
    sql.push(" ORDER BY id DESC LIMIT ")
        .push_bind(i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1);
    let rows = sql
        .build()
        .fetch_all(pool)
        .await
        .map_err(db("listing runs"))?;
    let more = rows.len() > limit;
    let items = rows
        .iter()
        .take(limit)
        .map(run_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    let next_cursor = if more {
        items.last().map(|r| r.id.to_string())
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

/// The journal of a run of the organization, in order; `NotFound` for another org's run.
pub(crate) async fn journal(
    pool: &PgPool,
    org: &str,
    run_id: RunId,
) -> StoreResult<Vec<JournalEntry>> {
    let rows = query(
        "SELECT j.seq, j.at, j.event::text FROM journal j
         WHERE j.run_id = $1 AND EXISTS (SELECT 1 FROM runs r WHERE r.id = $1 AND r.org_id = $2)
         ORDER BY j.seq",
    )
    .bind(run_id.0)
    .bind(org)
    .fetch_all(pool)
    .await
    .map_err(db("loading a journal"))?;
    if rows.is_empty() && !run_exists(pool, org, run_id).await? {
        return Err(StoreError::NotFound {
            what: "run",
            id: run_id.to_string(),
        });
    }
    rows.iter().map(|row| entry_from_row(row, run_id)).collect()
}
