//! Creating runs, storing workflow versions and appending to journals (writer side).

use crate::read::{child_run, run_by_idempotency_key, run_exists, workflow_version_exists};
use crate::rows::{RUN_COLUMNS, db, json, opt_ts, run_from_row, ts};
use crate::writer::Tx;
use chrono::{DateTime, Utc};
use sqlx_core::query::query;
use sqlx_core::query_scalar::query_scalar;
use weft_store_api::{
    NewRun, RunId, RunRecord, RunStatus, StoreError, StoreResult, TenantScope, WriteBatch,
};

/// Stores a workflow version unless the organization already has it.
pub(crate) async fn insert_workflow_version(
    tx: &mut Tx,
    scope: &TenantScope,
    id: &str,
    name: &str,
    document: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    query(
        "INSERT INTO workflow_versions (id, org_id, team_id, name, document, created_at)
         VALUES ($1, $2, $3, $4, $5::json, $6) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(&scope.org_id)
    .bind(&scope.team_id)
    .bind(name)
    .bind(document)
    .bind(now)
    .execute(tx.conn())
    .await
    .map_err(db("storing a workflow version"))
    .map(drop)
}

/// A run to insert, with its input already encoded.
pub(crate) struct RunToCreate {
    pub(crate) scope: TenantScope,
    pub(crate) run: NewRun,
    pub(crate) input: String,
}

/// Creates a run, or returns the existing one for a used idempotency or parent key.
///
/// A parent must be a run of the same organization, and the workflow version must belong to
/// the organization; otherwise `NotFound`. Another process creating the same key at the same
/// moment is resolved by the unique indexes: the insert does nothing and the winner's run is
/// returned.
pub(crate) async fn create_run(tx: &mut Tx, new: &RunToCreate) -> StoreResult<(RunRecord, bool)> {
    let (scope, run) = (&new.scope, &new.run);
    let org = scope.org_id.as_str();
    if let Some(existing) = existing_run(tx, org, run).await? {
        return Ok((existing, false));
    }
    if let Some(parent) = &run.parent
        && !run_exists(tx.conn(), org, parent.run_id).await?
    {
        return Err(StoreError::NotFound {
            what: "run",
            id: parent.run_id.to_string(),
        });
    }
    if !workflow_version_exists(tx.conn(), org, &run.workflow_version_id).await? {
        return Err(StoreError::NotFound {
            what: "workflow version",
            id: run.workflow_version_id.clone(),
        });
    }
    let inserted = query(&format!(
        "INSERT INTO runs (id, org_id, team_id, workflow_version_id, workflow_id, workflow_name,
                           status, input, parent_run_id, parent_key, idempotency_key, created_at,
                           deadline_at, last_seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::json, $9, $10, $11, $12, $13, 0)
         ON CONFLICT DO NOTHING
         RETURNING {RUN_COLUMNS}"
    ))
    .bind(run.id.0)
    .bind(org)
    .bind(&scope.team_id)
    .bind(&run.workflow_version_id)
    .bind(&run.workflow_id)
    .bind(&run.workflow_name)
    .bind(RunStatus::Queued.as_str())
    .bind(&new.input)
    .bind(run.parent.as_ref().map(|p| p.run_id.0))
    .bind(run.parent.as_ref().map(|p| p.key.as_str()))
    .bind(&run.idempotency_key)
    .bind(ts(&run.created_at))
    .bind(opt_ts(run.deadline_at.as_ref()))
    .fetch_optional(tx.conn())
    .await
    .map_err(db("creating a run"))?;
    if let Some(row) = inserted {
        tx.notify_work();
        return Ok((run_from_row(&row)?, true));
    }
    // A unique index refused the row: a concurrent create with the same key won, or the id
    // is taken.
    match existing_run(tx, org, run).await? {
        Some(existing) => Ok((existing, false)),
        None => Err(StoreError::Database(format!(
            "creating a run: run id {} is already taken",
            run.id
        ))),
    }
}

/// Creates a run like [`create_run`] and, when it is new, writes `seed` as its journal's
/// entries 1..=n (at the run's creation time), in the same transaction: no other process can
/// claim the run before its journal is there.
pub(crate) async fn create_run_seeded(
    tx: &mut Tx,
    new: &RunToCreate,
    seed: &[String],
) -> StoreResult<(RunRecord, bool)> {
    let (record, created) = create_run(tx, new).await?;
    if created && !seed.is_empty() {
        let n = i64::try_from(seed.len())
            .map_err(|_| StoreError::Database("seeding a journal: too many entries".into()))?;
        query(
            "WITH seeded AS (
                 INSERT INTO journal (run_id, seq, at, event)
                 SELECT $1, e.seq, $2, e.event::json
                 FROM unnest($3::text[]) WITH ORDINALITY AS e(event, seq)
                 RETURNING 1)
             UPDATE runs SET last_seq = $4 WHERE id = $1",
        )
        .bind(record.id.0)
        .bind(record.created_at)
        .bind(seed)
        .bind(n)
        .execute(tx.conn())
        .await
        .map_err(db("seeding the journal"))?;
    }
    Ok((record, created))
}

/// The run a create with `run`'s idempotency or parent key would return instead.
async fn existing_run(tx: &mut Tx, org: &str, run: &NewRun) -> StoreResult<Option<RunRecord>> {
    if let Some(key) = &run.idempotency_key
        && let Some(existing) = run_by_idempotency_key(tx.conn(), org, key).await?
    {
        return Ok(Some(existing));
    }
    if let Some(parent) = &run.parent
        && let Some(existing) = child_run(tx.conn(), org, parent.run_id, &parent.key).await?
    {
        return Ok(Some(existing));
    }
    Ok(None)
}

/// A [`WriteBatch`] with every value already encoded as a parameter, built on the caller's
/// task.
pub(crate) struct EncodedBatch {
    run_id: RunId,
    /// The journal's last seq the batch continues (`None` when it has no entries).
    after: Option<i64>,
    /// The journal's last seq after the batch.
    last: Option<i64>,
    /// A gap inside the batch: (seq before it, seq after it).
    inner_gap: Option<(u64, u64)>,
    seqs: Vec<i64>,
    ats: Vec<DateTime<Utc>>,
    events: Vec<String>,
    status: Option<&'static str>,
    output: Option<String>,
    error: Option<String>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    set_wake: bool,
    wake_at: Option<DateTime<Utc>>,
    release_owner: bool,
    clear_control: bool,
    /// Whether the batch had an update at all.
    has_update: bool,
    /// Whether applying the batch makes work for others (the run released, or waiting on a
    /// timer).
    wakes_workers: bool,
    /// Whether the batch finishes the run (waiters elsewhere are told).
    finishes: bool,
}

impl EncodedBatch {
    /// Encodes `batch`; fails on seqs out of range.
    pub(crate) fn encode(batch: WriteBatch) -> StoreResult<EncodedBatch> {
        let mut seqs = Vec::with_capacity(batch.entries.len());
        let mut inner_gap = None;
        for (i, e) in batch.entries.iter().enumerate() {
            let seq = i64::try_from(e.seq).map_err(|_| {
                StoreError::Database(format!(
                    "journal of run {}: seq {} is out of range",
                    batch.run_id, e.seq
                ))
            })?;
            if i > 0 && inner_gap.is_none() {
                let prev = batch.entries[i - 1].seq;
                if e.seq != prev.wrapping_add(1) {
                    inner_gap = Some((prev, e.seq));
                }
            }
            seqs.push(seq);
        }
        let after = batch.entries.first().map(|e| e.seq as i64 - 1);
        let last = seqs.last().copied();
        let ats = batch.entries.iter().map(|e| ts(&e.at)).collect();
        let events = batch
            .entries
            .iter()
            .map(|e| e.event.get().to_owned())
            .collect();
        let has_update = batch.update.is_some();
        let u = batch.update.unwrap_or_default();
        let terminal = u.status.is_some_and(RunStatus::is_terminal);
        let waits_on_timer =
            u.status == Some(RunStatus::Waiting) && matches!(u.wake_at, Some(Some(_)));
        Ok(EncodedBatch {
            run_id: batch.run_id,
            after,
            last,
            inner_gap,
            seqs,
            ats,
            events,
            status: u.status.map(RunStatus::as_str),
            output: u.output.as_ref().map(json),
            error: u.error.as_ref().map(json),
            started_at: opt_ts(u.started_at.as_ref()),
            finished_at: opt_ts(u.finished_at.as_ref()),
            set_wake: u.wake_at.is_some(),
            wake_at: opt_ts(u.wake_at.flatten().as_ref()),
            release_owner: u.release_owner,
            clear_control: u.clear_control,
            has_update,
            wakes_workers: (u.release_owner && !terminal) || waits_on_timer,
            finishes: terminal,
        })
    }
}

/// Appends a batch's entries, checking they continue the journal, and applies its update, in
/// one statement: the run row is updated only if its `last_seq` is the one the batch
/// continues, and the entries are inserted only if the row was updated. A batch that does not
/// continue the journal writes nothing.
pub(crate) async fn apply_batch(tx: &mut Tx, b: &EncodedBatch) -> StoreResult<()> {
    if let Some((prev, next)) = b.inner_gap {
        // SQLite's order of checks: the first entry against the journal, then the inner gap.
        let actual = last_seq(tx, b.run_id).await?;
        let expected = b.after.unwrap_or(0);
        return Err(if actual != expected {
            conflict(b.run_id, expected, actual)
        } else {
            StoreError::JournalConflict {
                run_id: b.run_id,
                expected: next.saturating_sub(1),
                actual: prev,
            }
        });
    }
    if b.seqs.is_empty() && !b.has_update {
        // Nothing to write; the run must still exist.
        return last_seq(tx, b.run_id).await.map(drop);
    }
    let (updated, _inserted): (i64, i64) = query_scalar_pair(
        query(
            "WITH updated AS (
                 UPDATE runs SET
                     last_seq = COALESCE($3, last_seq),
                     status = COALESCE($4, status),
                     output = COALESCE($5::json, output),
                     error = COALESCE($6::json, error),
                     started_at = COALESCE(started_at, $7),
                     finished_at = COALESCE($8, finished_at),
                     wake_at = CASE WHEN $9 THEN $10 ELSE wake_at END,
                     owner = CASE WHEN $11 THEN NULL ELSE owner END,
                     control = CASE WHEN $12 OR $4 IN ('succeeded', 'failed', 'cancelled')
                                    THEN NULL ELSE control END
                 WHERE id = $1 AND ($2::bigint IS NULL OR last_seq = $2)
                 RETURNING id),
             inserted AS (
                 INSERT INTO journal (run_id, seq, at, event)
                 SELECT u.id, e.seq, e.at, e.event::json
                 FROM updated u,
                      unnest($13::bigint[], $14::timestamptz[], $15::text[]) AS e(seq, at, event)
                 RETURNING 1)
             SELECT (SELECT count(*) FROM updated), (SELECT count(*) FROM inserted)",
        )
        .bind(b.run_id.0)
        .bind(b.after)
        .bind(b.last)
        .bind(b.status)
        .bind(&b.output)
        .bind(&b.error)
        .bind(b.started_at)
        .bind(b.finished_at)
        .bind(b.set_wake)
        .bind(b.wake_at)
        .bind(b.release_owner)
        .bind(b.clear_control)
        .bind(&b.seqs)
        .bind(&b.ats)
        .bind(&b.events)
        .fetch_one(tx.conn())
        .await
        .map_err(db("appending to the journal"))?,
    )?;
    if updated == 1 {
        if b.wakes_workers {
            tx.notify_work();
        }
        if b.finishes {
            tx.notify_done();
        }
        return Ok(());
    }
    // Nothing written: the run is missing or its journal moved on.
    let actual = last_seq(tx, b.run_id).await?;
    Err(conflict(b.run_id, b.after.unwrap_or(0), actual))
}

fn conflict(run_id: RunId, expected: i64, actual: i64) -> StoreError {
    StoreError::JournalConflict {
        run_id,
        expected: u64::try_from(expected).unwrap_or(0),
        actual: u64::try_from(actual).unwrap_or(0),
    }
}

/// The journal position of a run; `NotFound` when there is no such run.
async fn last_seq(tx: &mut Tx, run_id: RunId) -> StoreResult<i64> {
    query_scalar::<_, i64>("SELECT last_seq FROM runs WHERE id = $1")
        .bind(run_id.0)
        .fetch_optional(tx.conn())
        .await
        .map_err(db("reading a run's journal position"))?
        .ok_or_else(|| StoreError::NotFound {
            what: "run",
            id: run_id.to_string(),
        })
}

fn query_scalar_pair(row: sqlx_postgres::PgRow) -> StoreResult<(i64, i64)> {
    let what = "journal append";
    Ok((
        crate::rows::req(&row, 0, what, "updated")?,
        crate::rows::req(&row, 1, what, "inserted")?,
    ))
}
