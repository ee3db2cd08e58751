//! Leadership across replicas: a session-level advisory lock held by a dedicated connection.

use crate::rows::db;
use sqlx_core::connection::{ConnectOptions, Connection};
use sqlx_core::query_scalar::query_scalar;
use sqlx_postgres::{PgConnectOptions, PgConnection};
use weft_store_api::StoreResult;

/// The first key of leader locks (`"weft"` in ASCII). Leader locks use PostgreSQL's two-key
/// advisory lock space, so they never collide with one-key locks (the migration lock) or with
/// another application's leader of the same name.
const LEADER_SPACE: i32 = 0x7765_6674;

/// Leadership of `name`: held while this guard lives (its connection holds the lock).
/// Dropping it closes the connection, which releases the lock; so does the process dying or
/// losing the database, after which another replica's [`crate::PgStore::try_acquire_leader`]
/// succeeds.
pub struct LeaderGuard {
    name: String,
    conn: Option<PgConnection>,
}

impl std::fmt::Debug for LeaderGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaderGuard")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Tries to take the leader lock of `name` on a new connection.
pub(crate) async fn try_acquire(
    options: &PgConnectOptions,
    name: &str,
) -> StoreResult<Option<LeaderGuard>> {
    let mut conn = options
        .connect()
        .await
        .map_err(db("connecting for a leader lock"))?;
    let acquired = query_scalar::<_, bool>("SELECT pg_try_advisory_lock($1, hashtext($2))")
        .bind(LEADER_SPACE)
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .map_err(db("taking a leader lock"))?;
    if !acquired {
        let _ = conn.close().await;
        return Ok(None);
    }
    tracing::info!(name, "became leader");
    Ok(Some(LeaderGuard {
        name: name.to_owned(),
        conn: Some(conn),
    }))
}

impl LeaderGuard {
    /// The name led.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the lock is still held: false once the connection has been lost (the database
    /// then released the lock, and another replica may lead). A leader checks this before
    /// acting, e.g. before firing a schedule.
    pub async fn is_held(&mut self) -> bool {
        let Some(conn) = self.conn.as_mut() else {
            return false;
        };
        let held = query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_locks
                            WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                              AND classid = $1::oid AND objid = hashtext($2)::oid
                              AND objsubid = 2)",
        )
        .bind(i64::from(LEADER_SPACE))
        .bind(&self.name)
        .fetch_one(conn)
        .await;
        match held {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(name = %self.name, error = %e, "lost the leader lock's connection");
                self.conn = None;
                false
            }
        }
    }

    /// Gives leadership up now, waiting until the lock is released.
    pub async fn release(mut self) -> StoreResult<()> {
        if let Some(mut conn) = self.conn.take() {
            query_scalar::<_, bool>("SELECT pg_advisory_unlock($1, hashtext($2))")
                .bind(LEADER_SPACE)
                .bind(&self.name)
                .fetch_one(&mut conn)
                .await
                .map_err(db("releasing a leader lock"))?;
            conn.close().await.map_err(db("closing a leader lock"))?;
            tracing::info!(name = %self.name, "gave up leadership");
        }
        Ok(())
    }
}

impl Drop for LeaderGuard {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // Closing the socket ends the session, and PostgreSQL releases its locks.
            drop(conn);
            tracing::info!(name = %self.name, "gave up leadership");
        }
    }
}
