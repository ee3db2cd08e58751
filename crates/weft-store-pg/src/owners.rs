//! Run ownership between processes sharing one database: owners hold leases.
//!
//! An owner is a row of `owners`; it is alive while its `expires_at` is in the future by the
//! database's clock (`clock_timestamp()`, so the processes' clocks never matter). The store
//! that registered it renews the lease every heartbeat; a process that dies, hangs or loses
//! the database stops renewing, and once the lease has run out its runs are claimable by
//! others. A store that is dropped deletes its owners' rows (best effort), which frees their
//! runs at once.

use crate::rows::{db, get, parse_status, req, req_parsed};
use crate::writer::Tx;
use chrono::{DateTime, Utc};
use sqlx_core::query::query;
use sqlx_core::query_scalar::query_scalar;
use sqlx_core::row::Row;
use sqlx_postgres::PgPool;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use uuid::Uuid;
use weft_store_api::{
    Claimable, ControlRequest, RunId, StoreError, StoreResult, TakenControl, TenantScope,
};

/// The owners registered through one store.
#[derive(Default)]
pub(crate) struct OwnerSet {
    mine: Mutex<Vec<String>>,
}

impl OwnerSet {
    fn lock(&self) -> MutexGuard<'_, Vec<String>> {
        self.mine.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Remembers a registered owner.
    pub(crate) fn add(&self, id: String) {
        self.lock().push(id);
    }

    /// The registered owners.
    pub(crate) fn mine(&self) -> Vec<String> {
        self.lock().clone()
    }

    /// Forgets and returns every registered owner (the store is going away).
    pub(crate) fn take_all(&self) -> Vec<String> {
        std::mem::take(&mut *self.lock())
    }
}

/// A lease length as milliseconds, for `$n * interval '1 millisecond'`.
pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A new owner id: a hyphenated UUIDv7.
pub(crate) fn new_owner_id() -> String {
    Uuid::now_v7().hyphenated().to_string()
}

/// Records a new owner with a fresh lease, and forgets owners whose lease has run out
/// (writer side).
pub(crate) async fn insert_owner(tx: &mut Tx, id: &str, lease: Duration) -> StoreResult<()> {
    query(
        "INSERT INTO owners (id, pid, started_at, expires_at)
         VALUES ($1, $2, clock_timestamp(), clock_timestamp() + $3 * interval '1 millisecond')",
    )
    .bind(id)
    .bind(i32::try_from(std::process::id()).unwrap_or(i32::MAX))
    .bind(millis(lease))
    .execute(tx.conn())
    .await
    .map_err(db("recording an owner"))?;
    query("DELETE FROM owners WHERE expires_at < clock_timestamp()")
        .execute(tx.conn())
        .await
        .map_err(db("forgetting expired owners"))?;
    Ok(())
}

/// Renews the leases of `ids` (re-creating rows that were deleted after a lapse); returns the
/// owners whose lease had already run out, whose runs others may have taken meanwhile.
pub(crate) async fn renew(
    pool: &PgPool,
    ids: &[String],
    lease: Duration,
) -> StoreResult<Vec<String>> {
    query_scalar::<_, String>(
        "WITH mine AS (SELECT unnest($1::text[]) AS id),
              old AS (SELECT o.id, o.expires_at FROM owners o JOIN mine USING (id)),
              renewed AS (
                  INSERT INTO owners (id, pid, started_at, expires_at)
                  SELECT id, $2, clock_timestamp(), clock_timestamp() + $3 * interval '1 millisecond'
                  FROM mine
                  ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at
                  RETURNING id)
         SELECT m.id FROM mine m LEFT JOIN old USING (id)
         WHERE old.expires_at IS NULL OR old.expires_at <= clock_timestamp()",
    )
    .bind(ids)
    .bind(i32::try_from(std::process::id()).unwrap_or(i32::MAX))
    .bind(millis(lease))
    .fetch_all(pool)
    .await
    .map_err(db("renewing owner leases"))
}

/// Renews this store's leases every `every` until the task is aborted.
pub(crate) async fn heartbeat(
    pool: PgPool,
    owners: std::sync::Arc<OwnerSet>,
    lease: Duration,
    every: Duration,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await; // the first tick is immediate; leases were just granted
    loop {
        tick.tick().await;
        let ids = owners.mine();
        if ids.is_empty() {
            continue;
        }
        match renew(&pool, &ids, lease).await {
            Ok(lapsed) if !lapsed.is_empty() => tracing::warn!(
                owners = ?lapsed,
                "an owner's lease had run out before it was renewed; other processes may have \
                 taken its runs (their journal writes will conflict)"
            ),
            Ok(_) => tracing::trace!(owners = ids.len(), "renewed owner leases"),
            Err(e) => tracing::warn!(error = %e, "renewing owner leases failed"),
        }
    }
}

/// The condition "the run's owner is not alive", for a query on `runs r`.
const OWNER_GONE: &str = "NOT EXISTS (SELECT 1 FROM owners o
                                      WHERE o.id = r.owner AND o.expires_at > clock_timestamp())";

/// Takes a run if it is unfinished and free, mine, or held by an owner whose lease ran out
/// (writer side).
///
/// The row is locked first (`FOR UPDATE SKIP LOCKED`), then the owner's liveness is read by a
/// second statement: under READ COMMITTED that statement's snapshot is taken after the lock is
/// held, so it sees the lease of whoever claimed the run just before. (In a single `UPDATE …
/// WHERE owner is dead`, the liveness subquery would use the snapshot from before the wait
/// and could miss a just-registered owner's row.) A row locked by another transaction is
/// being claimed or written right now: `false`, without waiting for it.
pub(crate) async fn claim(tx: &mut Tx, me: &str, run_id: RunId) -> StoreResult<bool> {
    let locked = query("SELECT status, owner FROM runs WHERE id = $1 FOR UPDATE SKIP LOCKED")
        .bind(run_id.0)
        .fetch_optional(tx.conn())
        .await
        .map_err(db("locking a run to claim it"))?;
    let Some(row) = locked else {
        // Locked by someone else, or missing. Only this store changes a run away from its
        // own owner (or a claimer, once the lease ran out), so "mine" is still true.
        let current = query_scalar::<_, bool>(
            "SELECT owner IS NOT DISTINCT FROM $2
                    AND status NOT IN ('succeeded', 'failed', 'cancelled')
             FROM runs WHERE id = $1",
        )
        .bind(run_id.0)
        .bind(me)
        .fetch_optional(tx.conn())
        .await
        .map_err(db("reading a run"))?;
        return current.ok_or_else(|| StoreError::NotFound {
            what: "run",
            id: run_id.to_string(),
        });
    };
    let what = format!("run {run_id}");
    let status = req_parsed(&row, 0, &what, "status", parse_status)?;
    let owner: Option<String> = get(&row, 1, &what, "owner")?;
    if status.is_terminal() {
        return Ok(false);
    }
    if owner.as_deref() == Some(me) {
        return Ok(true);
    }
    let taken = query(&format!(
        "UPDATE runs r SET owner = $1 WHERE id = $2 AND (owner IS NULL OR {OWNER_GONE})"
    ))
    .bind(me)
    .bind(run_id.0)
    .execute(tx.conn())
    .await
    .map_err(db("claiming a run"))?;
    Ok(taken.rows_affected() == 1)
}

/// Gives a run up if `me` owns it (writer side).
pub(crate) async fn release(tx: &mut Tx, me: &str, run_id: RunId) -> StoreResult<()> {
    let released = query("UPDATE runs SET owner = NULL WHERE id = $1 AND owner = $2")
        .bind(run_id.0)
        .bind(me)
        .execute(tx.conn())
        .await
        .map_err(db("releasing a run"))?;
    if released.rows_affected() > 0 {
        tx.notify_work();
    }
    Ok(())
}

/// Unfinished runs nobody alive drives, waiting runs due by `now` and waiting runs with a
/// control request, oldest first.
///
/// `FOR UPDATE SKIP LOCKED` leaves out runs that another transaction holds right now (another
/// worker claiming them, their owner writing to them), so workers woken by the same
/// notification tend to list different runs. The locks last only as long as this statement.
pub(crate) async fn claimable(
    pool: &PgPool,
    now: DateTime<Utc>,
    limit: usize,
) -> StoreResult<Vec<Claimable>> {
    let sql = format!(
        "SELECT r.org_id, r.team_id, r.id, r.status, r.wake_at FROM runs r
         WHERE r.status IN ('queued', 'running', 'waiting', 'paused')
           AND ((r.status <> 'waiting' AND (r.owner IS NULL OR {OWNER_GONE}))
                OR (r.status = 'waiting' AND (r.wake_at <= $1 OR r.control IS NOT NULL)))
         ORDER BY r.id LIMIT $2
         FOR UPDATE OF r SKIP LOCKED"
    );
    let rows = query(&sql)
        .bind(crate::rows::ts(&now))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(pool)
        .await
        .map_err(db("listing claimable runs"))?;
    rows.iter()
        .map(|row| {
            let id: Uuid = req(row, 2, "claimable run", "id")?;
            let what = format!("run {id}");
            Ok(Claimable {
                scope: TenantScope {
                    org_id: req(row, 0, &what, "org_id")?,
                    team_id: get(row, 1, &what, "team_id")?,
                },
                run_id: RunId(id),
                status: req_parsed(row, 3, &what, "status", parse_status)?,
                wake_at: get(row, 4, &what, "wake_at")?,
            })
        })
        .collect()
}

/// Records a control request for an unfinished run of the organization (writer side).
pub(crate) async fn request_control(
    tx: &mut Tx,
    org: &str,
    run_id: RunId,
    request: ControlRequest,
) -> StoreResult<bool> {
    let done = query(
        "UPDATE runs SET control = $3
         WHERE id = $1 AND org_id = $2 AND status NOT IN ('succeeded', 'failed', 'cancelled')",
    )
    .bind(run_id.0)
    .bind(org)
    .bind(request.as_str())
    .execute(tx.conn())
    .await
    .map_err(db("requesting control"))?;
    let recorded = done.rows_affected() > 0;
    if recorded {
        tx.notify_work();
    }
    Ok(recorded)
}

/// Whether any run driven by `owner` has a pending control request (a cheap read before
/// queueing [`take_control`]).
pub(crate) async fn has_control_requests(pool: &PgPool, owner: &str) -> StoreResult<bool> {
    query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM runs WHERE owner = $1 AND control IS NOT NULL)",
    )
    .bind(owner)
    .fetch_one(pool)
    .await
    .map_err(db("checking control requests"))
}

/// Takes and clears the control requests of runs `owner` drives, by run id (writer side).
pub(crate) async fn take_control(tx: &mut Tx, owner: &str) -> StoreResult<Vec<TakenControl>> {
    let rows = query(
        "WITH taken AS (
             SELECT id, org_id, team_id, control FROM runs
             WHERE owner = $1 AND control IS NOT NULL FOR UPDATE)
         UPDATE runs r SET control = NULL FROM taken WHERE r.id = taken.id
         RETURNING taken.org_id, taken.team_id, r.id, taken.control",
    )
    .bind(owner)
    .fetch_all(tx.conn())
    .await
    .map_err(db("taking control requests"))?;
    let mut taken = rows
        .iter()
        .map(|row| {
            let id: Uuid = req(row, 2, "run with a control request", "id")?;
            let what = format!("run {id}");
            Ok(TakenControl {
                scope: TenantScope {
                    org_id: req(row, 0, &what, "org_id")?,
                    team_id: get(row, 1, &what, "team_id")?,
                },
                run_id: RunId(id),
                request: req_parsed(row, 3, &what, "control", crate::rows::parse_control)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    taken.sort_by_key(|t| t.run_id);
    Ok(taken)
}

/// Owners whose lease has not run out, by the database's clock.
pub(crate) async fn live_count(pool: &PgPool) -> StoreResult<u64> {
    let n: i64 = query_scalar("SELECT count(*) FROM owners WHERE expires_at > clock_timestamp()")
        .fetch_one(pool)
        .await
        .map_err(db("counting live owners"))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The earliest `wake_at` of any waiting run, across all organizations.
pub(crate) async fn next_wake_at(pool: &PgPool) -> StoreResult<Option<DateTime<Utc>>> {
    let row = query("SELECT MIN(wake_at) FROM runs WHERE status = 'waiting'")
        .fetch_one(pool)
        .await
        .map_err(db("reading the next wake time"))?;
    row.try_get::<Option<DateTime<Utc>>, _>(0)
        .map_err(|e| StoreError::Database(format!("runs: column wake_at: {e}")))
}
