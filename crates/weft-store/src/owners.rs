//! Run ownership for the embedded mode, where several processes may share one data directory.
//!
//! An owner is alive exactly while its lock file `<data_dir>/owners/<id>.lock` is locked
//! (`flock`-style, per open file description). The owning store keeps the file open and locked
//! for its lifetime, so the kernel releases the lock when the process exits in any way,
//! including `kill -9`: its runs can be taken over at once, without waiting for a lease.
//! Other processes (and other store instances in the same process) test liveness by trying
//! to lock a fresh handle of the file: success means the owner is dead.

use crate::read::active_owners;
use crate::rows::{
    control_from_row, db, opt_ts_from_row, req_text, run_id_from_row, status_from_row,
};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};
use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Write as _};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};
use uuid::Uuid;
use weft_store_api::{
    Claimable, ControlRequest, RunId, RunStatus, StoreError, StoreResult, TakenControl, TenantScope,
};

/// Lock files of this store's owners, and what is known about others.
pub(crate) struct Owners {
    dir: PathBuf,
    /// Owners registered through this store, with their locked files.
    mine: Mutex<HashMap<String, File>>,
    /// Owners found dead; a dead owner never comes back, so this never goes stale.
    dead: Mutex<HashSet<String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Owner ids are hyphenated lowercase UUIDs; anything else cannot name a lock file.
fn is_owner_id(id: &str) -> bool {
    Uuid::parse_str(id).is_ok_and(|u| u.hyphenated().to_string() == id)
}

impl Owners {
    /// Owners whose lock files live in `dir`.
    pub(crate) fn new(dir: PathBuf) -> Owners {
        Owners {
            dir,
            mine: Mutex::new(HashMap::new()),
            dead: Mutex::new(HashSet::new()),
        }
    }

    fn lock_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.lock"))
    }

    /// Creates and locks a new owner's lock file; the lock lasts until this store is dropped.
    pub(crate) fn create(&self) -> StoreResult<String> {
        let io_err = |what: &str, e: io::Error| {
            StoreError::Database(format!("registering an owner: {what}: {e}"))
        };
        fs::create_dir_all(&self.dir).map_err(|e| io_err("creating the owners directory", e))?;
        let id = Uuid::now_v7().hyphenated().to_string();
        // Lock under a temporary name first, so nobody can see the final name unlocked.
        let tmp = self.dir.join(format!("{id}.lock.tmp"));
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| io_err("creating the lock file", e))?;
        file.try_lock()
            .map_err(|e| io_err("locking the lock file", e.into()))?;
        let _ = writeln!(file, "{}", std::process::id());
        fs::rename(&tmp, self.lock_path(&id)).map_err(|e| io_err("renaming the lock file", e))?;
        lock(&self.mine).insert(id.clone(), file);
        Ok(id)
    }

    /// Ids of the owners registered through this store.
    pub(crate) fn mine(&self) -> Vec<String> {
        lock(&self.mine).keys().cloned().collect()
    }

    /// Whether `id` is alive; a dead owner's lock file is removed when found.
    pub(crate) fn is_alive(&self, id: &str) -> bool {
        if lock(&self.mine).contains_key(id) {
            return true;
        }
        if lock(&self.dead).contains(id) {
            return false;
        }
        let alive = self.probe(id);
        if !alive {
            lock(&self.dead).insert(id.to_owned());
        }
        alive
    }

    fn probe(&self, id: &str) -> bool {
        if !is_owner_id(id) {
            return false;
        }
        let path = self.lock_path(id);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return false,
            Err(e) => {
                tracing::warn!(owner = id, error = %e, "cannot open an owner's lock file; assuming it is alive");
                return true;
            }
        };
        match file.try_lock() {
            Ok(()) => {
                // Dead. Remove the file while holding its lock, so a concurrent checker either
                // sees it locked (and waits for a later check) or does not find it.
                if let Err(e) = fs::remove_file(&path)
                    && e.kind() != io::ErrorKind::NotFound
                {
                    tracing::warn!(owner = id, error = %e, "cannot remove a dead owner's lock file");
                }
                tracing::info!(owner = id, "owner is dead");
                false
            }
            Err(TryLockError::WouldBlock) => true,
            Err(TryLockError::Error(e)) => {
                tracing::warn!(owner = id, error = %e, "cannot test an owner's lock; assuming it is alive");
                true
            }
        }
    }

    /// Checks every other owner's lock file, removing those of dead owners; returns how many
    /// owners are alive.
    pub(crate) fn sweep_files(&self) -> u64 {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return 0;
        };
        let mut alive = 0;
        for entry in dir.flatten() {
            let name = entry.file_name();
            if let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".lock"))
                && is_owner_id(id)
                && self.is_alive(id)
            {
                alive += 1;
            }
        }
        alive
    }
}

impl Drop for Owners {
    fn drop(&mut self) {
        let mine = std::mem::take(&mut *lock(&self.mine));
        for (id, file) in mine {
            // Removed while still locked; closing the file then releases the lock.
            if let Err(e) = fs::remove_file(self.lock_path(&id)) {
                tracing::warn!(owner = id, error = %e, "cannot remove an owner's lock file");
            }
            drop(file);
        }
    }
}

/// Records a new owner and forgets dead ones (writer side).
pub(crate) fn insert_owner(
    conn: &Connection,
    owners: &Owners,
    id: &str,
    pid: u32,
    now: &str,
) -> StoreResult<()> {
    conn.prepare_cached("INSERT INTO owners (id, pid, started_at) VALUES (?1, ?2, ?3)")
        .and_then(|mut s| s.execute((id, pid, now)))
        .map_err(db("recording an owner"))?;
    let ids: Vec<String> = conn
        .prepare_cached("SELECT id FROM owners")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(db("listing owners"))?;
    let dead: Vec<String> = ids.into_iter().filter(|o| !owners.is_alive(o)).collect();
    delete_owner_rows(conn, &dead)
}

/// Deletes the rows of the given (dead or departing) owners (writer side).
pub(crate) fn delete_owner_rows(conn: &Connection, ids: &[String]) -> StoreResult<()> {
    let mut stmt = conn
        .prepare_cached("DELETE FROM owners WHERE id = ?1")
        .map_err(db("forgetting an owner"))?;
    for id in ids {
        stmt.execute([id]).map_err(db("forgetting an owner"))?;
    }
    Ok(())
}

/// Takes a run if it is unfinished and free, mine, or held by a dead owner (writer side,
/// so the check and the update are one transaction, serialized with other processes).
pub(crate) fn claim(
    conn: &Connection,
    owners: &Owners,
    me: &str,
    run_id: RunId,
) -> StoreResult<bool> {
    let id = run_id.to_string();
    let what = format!("run {id}");
    let op = "reading a run's owner";
    let mut stmt = conn
        .prepare_cached("SELECT status, owner FROM runs WHERE id = ?1")
        .map_err(db(op))?;
    let current = stmt
        .query_row([&id], |row| {
            Ok((
                status_from_row(row, 0, &what),
                crate::rows::text(row, 1, &what, "owner"),
            ))
        })
        .optional()
        .map_err(db(op))?;
    let Some((status, owner)) = current else {
        return Err(StoreError::NotFound { what: "run", id });
    };
    if status?.is_terminal() {
        return Ok(false);
    }
    let holder = match owner? {
        None => None,
        Some(o) if o == me => return Ok(true),
        Some(o) if owners.is_alive(&o) => return Ok(false),
        Some(dead) => Some(dead),
    };
    let changed = conn
        .prepare_cached(
            "UPDATE runs SET owner = ?1
             WHERE id = ?2 AND status NOT IN ('succeeded', 'failed', 'cancelled')
               AND (owner IS NULL OR owner = ?3)",
        )
        .and_then(|mut s| s.execute((me, &id, &holder)))
        .map_err(db("claiming a run"))?;
    if let Some(dead) = holder {
        delete_owner_rows(conn, &[dead])?;
    }
    Ok(changed == 1)
}

/// Gives a run up if `me` owns it (writer side).
pub(crate) fn release(conn: &Connection, me: &str, run_id: RunId) -> StoreResult<()> {
    conn.prepare_cached("UPDATE runs SET owner = NULL WHERE id = ?1 AND owner = ?2")
        .and_then(|mut s| s.execute((run_id.to_string(), me)))
        .map_err(db("releasing a run"))
        .map(|_| ())
}

/// Unfinished runs nobody alive drives, and waiting runs due by `now`, oldest first; also
/// returns the dead owners found (reader side).
pub(crate) fn claimable(
    conn: &Connection,
    owners: &Owners,
    now: &str,
    limit: usize,
) -> StoreResult<(Vec<Claimable>, Vec<String>)> {
    let dead: Vec<String> = active_owners(conn)?
        .into_iter()
        .filter(|o| !owners.is_alive(o))
        .collect();
    let dead_json = serde_json::to_string(&dead)
        .map_err(|e| StoreError::Database(format!("encoding owners: {e}")))?;
    let op = "listing claimable runs";
    let mut stmt = conn
        .prepare_cached(
            "SELECT org_id, team_id, id, status, wake_at FROM (
                 SELECT org_id, team_id, id, status, wake_at FROM runs
                 WHERE status IN ('queued', 'running', 'paused')
                   AND (owner IS NULL OR owner IN (SELECT value FROM json_each(?1)))
                 UNION ALL
                 SELECT org_id, team_id, id, status, wake_at FROM runs
                 WHERE status = 'waiting' AND (wake_at <= ?2 OR control IS NOT NULL)
             ) ORDER BY id LIMIT ?3",
        )
        .map_err(db(op))?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut rows = stmt.query((&dead_json, now, limit)).map_err(db(op))?;
    let mut found = Vec::new();
    while let Some(row) = rows.next().map_err(db(op))? {
        let run_id = run_id_from_row(row, 2, "claimable run")?;
        let what = format!("run {run_id}");
        let status: RunStatus = status_from_row(row, 3, &what)?;
        let wake_at: Option<DateTime<Utc>> = opt_ts_from_row(row, 4, &what, "wake_at")?;
        let scope = TenantScope {
            org_id: req_text(row, 0, &what, "org_id")?,
            team_id: crate::rows::text(row, 1, &what, "team_id")?,
        };
        found.push(Claimable {
            scope,
            run_id,
            status,
            wake_at,
        });
    }
    Ok((found, dead))
}

/// Records a control request for an unfinished run of the organization (writer side).
pub(crate) fn request_control(
    conn: &Connection,
    org: &str,
    run_id: RunId,
    request: ControlRequest,
) -> StoreResult<bool> {
    conn.prepare_cached(
        "UPDATE runs SET control = ?3
         WHERE id = ?1 AND org_id = ?2 AND status NOT IN ('succeeded', 'failed', 'cancelled')",
    )
    .and_then(|mut s| s.execute((run_id.to_string(), org, request.as_str())))
    .map_err(db("requesting control"))
    .map(|n| n > 0)
}

/// Takes and clears the control requests of runs `owner` drives (writer side; the select and
/// the update are one transaction).
pub(crate) fn take_control(conn: &Connection, owner: &str) -> StoreResult<Vec<TakenControl>> {
    let op = "taking control requests";
    let mut stmt = conn
        .prepare_cached(
            "SELECT org_id, team_id, id, control FROM runs
             WHERE owner = ?1 AND control IS NOT NULL ORDER BY id",
        )
        .map_err(db(op))?;
    let mut rows = stmt.query([owner]).map_err(db(op))?;
    let mut taken = Vec::new();
    while let Some(row) = rows.next().map_err(db(op))? {
        let run_id = run_id_from_row(row, 2, "run with a control request")?;
        let what = format!("run {run_id}");
        taken.push(TakenControl {
            scope: TenantScope {
                org_id: req_text(row, 0, &what, "org_id")?,
                team_id: crate::rows::text(row, 1, &what, "team_id")?,
            },
            run_id,
            request: control_from_row(row, 3, &what)?,
        });
    }
    drop(rows);
    conn.prepare_cached("UPDATE runs SET control = NULL WHERE owner = ?1 AND control IS NOT NULL")
        .and_then(|mut s| s.execute([owner]))
        .map_err(db(op))?;
    Ok(taken)
}
