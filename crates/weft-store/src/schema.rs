//! Opening connections and applying the embedded migrations.

use crate::rows::{db, ts};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::Path;
use std::time::Duration;
use weft_store_api::{StoreError, StoreResult};

/// The migrations, in order: (version, SQL).
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../migrations/sqlite/0002_credentials.sql")),
    (
        3,
        include_str!("../migrations/sqlite/0003_run_workflow.sql"),
    ),
    (
        4,
        include_str!("../migrations/sqlite/0004_control_plane.sql"),
    ),
    (5, include_str!("../migrations/sqlite/0005_favorites.sql")),
    (6, include_str!("../migrations/sqlite/0006_threads.sql")),
    (
        7,
        include_str!("../migrations/sqlite/0007_journal_batches.sql"),
    ),
    (
        8,
        include_str!("../migrations/sqlite/0008_llm_accounting.sql"),
    ),
];

/// The schema version this build creates and understands.
pub const SCHEMA_VERSION: i64 = 8;

/// How long a connection waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Statements cached per connection; every query of this crate fits.
const STATEMENT_CACHE: usize = 64;

/// Opens the single read-write connection: WAL, the chosen `synchronous`, foreign keys on,
/// no automatic checkpoints.
pub(crate) fn open_writer(path: &Path, synchronous_full: bool) -> StoreResult<Connection> {
    let conn = Connection::open(path).map_err(db("opening the database"))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(db("setting busy_timeout"))?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0))
        .map_err(db("enabling WAL"))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Database(format!(
            "enabling WAL: the database stayed in {mode} mode"
        )));
    }
    let sync = if synchronous_full { "FULL" } else { "NORMAL" };
    conn.pragma_update(None, "synchronous", sync)
        .map_err(db("setting synchronous"))?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(db("enabling foreign keys"))?;
    // Checkpoints run on their own thread (see `checkpoint`), never inside a commit.
    conn.pragma_update(None, "wal_autocheckpoint", 0)
        .map_err(db("disabling automatic checkpoints"))?;
    conn.pragma_update(
        None,
        "journal_size_limit",
        crate::checkpoint::JOURNAL_SIZE_LIMIT,
    )
    .map_err(db("setting journal_size_limit"))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// Opens a read-only connection (after the writer has created and migrated the database).
pub(crate) fn open_reader(path: &Path) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags).map_err(db("opening a read connection"))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(db("setting busy_timeout"))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// Brings the schema up to [`SCHEMA_VERSION`] in one transaction; fails on a newer schema.
pub(crate) fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db("starting the migration transaction"))?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version     INTEGER PRIMARY KEY NOT NULL,
             applied_at  TEXT NOT NULL
         )",
    )
    .map_err(db("creating schema_migrations"))?;
    let current: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )
        .map_err(db("reading the schema version"))?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    let now = ts(&chrono::Utc::now());
    for &(version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.execute_batch(sql)
            .map_err(|e| StoreError::Database(format!("applying migration {version}: {e}")))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            (version, &now),
        )
        .map_err(db("recording a migration"))?;
        tracing::info!(version, "applied database migration");
    }
    tx.commit().map_err(db("committing migrations"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_and_end_at_schema_version() {
        for (i, (v, _)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*v, i as i64 + 1);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.0), Some(SCHEMA_VERSION));
    }

    #[test]
    fn migrating_twice_is_a_no_op() -> StoreResult<()> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::Database(e.to_string()))?;
        let mut conn = open_writer(&dir.path().join("t.db"), false)?;
        migrate(&mut conn)?;
        migrate(&mut conn)?;
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
            .map_err(db("count"))?;
        assert_eq!(n, SCHEMA_VERSION);
        Ok(())
    }
}
