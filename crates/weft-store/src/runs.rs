//! Creating runs and storing workflow versions (writer side).

use crate::read::{child_run, run_by_idempotency_key, run_exists, workflow_version_exists};
use crate::rows::{db, opt_ts, ts};
use rusqlite::Connection;
use weft_store_api::{NewRun, RunRecord, RunStatus, StoreError, StoreResult, TenantScope};

/// Stores a workflow version unless the organization already has it.
pub(crate) fn insert_workflow_version(
    conn: &Connection,
    scope: &TenantScope,
    id: &str,
    name: &str,
    document: &str,
    now: &str,
) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO workflow_versions (id, org_id, team_id, name, document, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO NOTHING",
    )
    .and_then(|mut s| s.execute((id, &scope.org_id, &scope.team_id, name, document, now)))
    .map_err(db("storing a workflow version"))
    .map(|_| ())
}

/// Creates a run, or returns the existing one for a used idempotency or parent key.
///
/// A parent must be a run of the same organization, and the workflow version must belong to
/// the organization; otherwise `NotFound`.
pub(crate) fn create_run(
    conn: &Connection,
    scope: &TenantScope,
    run: NewRun,
    input: &str,
) -> StoreResult<(RunRecord, bool)> {
    let org = scope.org_id.as_str();
    if let Some(key) = &run.idempotency_key
        && let Some(existing) = run_by_idempotency_key(conn, org, key)?
    {
        return Ok((existing, false));
    }
    if let Some(parent) = &run.parent {
        let parent_id = parent.run_id.to_string();
        if let Some(existing) = child_run(conn, org, &parent_id, &parent.key)? {
            return Ok((existing, false));
        }
        if !run_exists(conn, org, &parent_id)? {
            return Err(StoreError::NotFound {
                what: "run",
                id: parent_id,
            });
        }
    }
    if !workflow_version_exists(conn, org, &run.workflow_version_id)? {
        return Err(StoreError::NotFound {
            what: "workflow version",
            id: run.workflow_version_id,
        });
    }
    conn.prepare_cached(
        "INSERT INTO runs (id, org_id, team_id, workflow_version_id, workflow_name, status, input,
                           parent_run_id, parent_key, idempotency_key, created_at, deadline_at, last_seq,
                           workflow_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 0, ?13)",
    )
    .and_then(|mut s| {
        s.execute((
            run.id.to_string(),
            org,
            &scope.team_id,
            &run.workflow_version_id,
            &run.workflow_name,
            RunStatus::Queued.as_str(),
            input,
            run.parent.as_ref().map(|p| p.run_id.to_string()),
            run.parent.as_ref().map(|p| p.key.as_str()),
            &run.idempotency_key,
            ts(&run.created_at),
            opt_ts(run.deadline_at.as_ref()),
            &run.workflow_id,
        ))
    })
    .map_err(db("creating a run"))?;
    let record = RunRecord {
        id: run.id,
        scope: scope.clone(),
        workflow_version_id: run.workflow_version_id,
        workflow_id: run.workflow_id,
        workflow_name: run.workflow_name,
        status: RunStatus::Queued,
        input: run.input,
        output: None,
        error: None,
        parent: run.parent,
        idempotency_key: run.idempotency_key,
        created_at: run.created_at,
        started_at: None,
        finished_at: None,
        wake_at: None,
        deadline_at: run.deadline_at,
        control: None,
    };
    Ok((record, true))
}

/// Writes the first entries of a new run's journal (a seeded retry), in the transaction that
/// created it.
pub(crate) fn seed_journal(
    conn: &Connection,
    run: &RunRecord,
    seed: &[weft_store_api::EventJson],
) -> StoreResult<()> {
    let id = run.id.to_string();
    let at = ts(&run.created_at);
    let mut insert = conn
        .prepare_cached("INSERT INTO journal (run_id, seq, at, event) VALUES (?1, ?2, ?3, ?4)")
        .map_err(db("preparing a journal insert"))?;
    for (i, event) in seed.iter().enumerate() {
        insert
            .execute((&id, i as i64 + 1, &at, event.get()))
            .map_err(db("seeding the journal"))?;
    }
    conn.prepare_cached("UPDATE runs SET last_seq = ?2 WHERE id = ?1")
        .and_then(|mut s| s.execute((&id, seed.len() as i64)))
        .map_err(db("seeding the journal"))?;
    Ok(())
}
