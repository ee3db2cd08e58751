//! WAL checkpoints, mostly on their own thread and connection.
//!
//! SQLite's automatic checkpoint runs inside the committing connection: every thousand pages
//! one unlucky commit copies the WAL into the database and fsyncs it, stalling the writer (and
//! every batch queued behind it) for milliseconds. Instead the writer connection reports the
//! WAL's length after each commit (a WAL hook, which replaces automatic checkpoints) and this
//! module's thread runs PASSIVE checkpoints on its own connection, every
//! [`PAGES_PER_CHECKPOINT`] pages and once writes pause: they copy committed pages into the
//! database without blocking the writer or the readers.
//!
//! Under a steady stream of commits a background checkpoint never quite catches up with the
//! writer, so the WAL would never restart from its beginning and would grow without bound.
//! When the WAL passes [`WAL_LIMIT_PAGES`], the writer itself runs a checkpoint between two
//! groups: most pages are already copied by then, it finishes the tail (and fsyncs), and its
//! next transaction restarts the WAL. Writes that leave gaps never need this.

use crate::rows::db;
use rusqlite::Connection;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;
use weft_store_api::{StoreError, StoreResult};

/// WAL growth (pages) between background checkpoints while writes keep coming.
const PAGES_PER_CHECKPOINT: i64 = 1000;

/// How long after the last commit an idle database gets checkpointed.
const IDLE_CHECKPOINT: Duration = Duration::from_millis(200);

/// WAL length (pages) above which the writer finishes a checkpoint itself.
const WAL_LIMIT_PAGES: i64 = 8192;

/// The WAL file is truncated back to this size (bytes) when it restarts.
pub(crate) const JOURNAL_SIZE_LIMIT: i64 = 4 * 1024 * 1024;

/// What the writer's WAL hook reports.
#[derive(Default)]
struct Shared {
    /// Pages in the WAL after the last commit.
    wal_pages: AtomicI64,
    /// Commits so far.
    commits: AtomicU64,
}

/// The writer's side: reads the WAL length after each group and nudges the checkpointer.
/// Dropping it stops the checkpointer after a last checkpoint.
pub(crate) struct Nudge {
    tx: SyncSender<()>,
    shared: Arc<Shared>,
    /// WAL length at the last nudge.
    nudged_at: i64,
    /// WAL length at which the writer checkpoints itself.
    writer_limit: i64,
}

impl Nudge {
    /// Called after each group: nudges the checkpointer every [`PAGES_PER_CHECKPOINT`] pages,
    /// and checkpoints on `writer` when the WAL is past [`WAL_LIMIT_PAGES`].
    pub(crate) fn committed(&mut self, writer: &Connection) {
        let pages = self.shared.wal_pages.load(Ordering::Relaxed);
        if pages < self.nudged_at {
            // The WAL restarted.
            self.nudged_at = 0;
            self.writer_limit = WAL_LIMIT_PAGES;
        }
        if pages - self.nudged_at >= PAGES_PER_CHECKPOINT {
            self.nudged_at = pages;
            // Never blocks; one pending request is enough, and a gone checkpointer is fine.
            let _ = self.tx.try_send(());
        }
        if pages >= self.writer_limit {
            // Should a reader keep the WAL from restarting, try again only after more growth.
            self.writer_limit = pages + WAL_LIMIT_PAGES;
            checkpoint(writer, "writer");
        }
    }
}

/// Installs the WAL hook on `writer` and starts the checkpoint thread on a connection to `path`.
pub(crate) fn start(writer: &mut Connection, path: &Path) -> StoreResult<(Nudge, JoinHandle<()>)> {
    let shared = Arc::new(Shared::default());
    let hook = Arc::clone(&shared);
    writer
        .wal_hook(Some(
            move |_: &mut rusqlite::hooks::Wal, pages: std::ffi::c_int| {
                hook.wal_pages.store(i64::from(pages), Ordering::Relaxed);
                hook.commits.fetch_add(1, Ordering::Relaxed);
                Ok(())
            },
        ))
        .map_err(db("installing the WAL hook"))?;
    let conn = Connection::open(path).map_err(db("opening the checkpoint connection"))?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)
        .map_err(db("configuring the checkpoint connection"))?;
    let (tx, rx) = mpsc::sync_channel(1);
    let state = Arc::clone(&shared);
    let handle = std::thread::Builder::new()
        .name("weft-store-checkpoint".into())
        .spawn(move || checkpoint_loop(conn, rx, state))
        .map_err(|e| StoreError::Database(format!("starting the checkpoint thread: {e}")))?;
    Ok((
        Nudge {
            tx,
            shared,
            nudged_at: 0,
            writer_limit: WAL_LIMIT_PAGES,
        },
        handle,
    ))
}

fn checkpoint_loop(conn: Connection, rx: mpsc::Receiver<()>, shared: Arc<Shared>) {
    let mut done_at = 0;
    loop {
        let nudged = match rx.recv_timeout(IDLE_CHECKPOINT) {
            Ok(()) => true,
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let commits = shared.commits.load(Ordering::Relaxed);
        if nudged || commits != done_at {
            done_at = commits;
            checkpoint(&conn, "background");
        }
    }
    checkpoint(&conn, "final");
    tracing::debug!("store checkpoint thread stopped");
}

/// Runs a PASSIVE checkpoint.
fn checkpoint(conn: &Connection, who: &str) {
    let result = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    });
    match result {
        Ok((_, log, done)) => tracing::trace!(who, log, done, "checkpointed the WAL"),
        Err(e) => tracing::warn!(who, error = %e, "WAL checkpoint failed"),
    }
}
