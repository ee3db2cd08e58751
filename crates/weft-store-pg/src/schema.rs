//! The embedded migrations, applied at connect under a transaction-level advisory lock.

use crate::rows::{db, db_err};
use sqlx_core::executor::Executor;
use sqlx_core::query::query;
use sqlx_core::query_scalar::query_scalar;
use sqlx_postgres::PgConnection;
use weft_store_api::{StoreError, StoreResult};

/// The migrations, in order: (version, SQL).
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_control_plane.sql")),
    (3, include_str!("../migrations/0003_favorites.sql")),
    (4, include_str!("../migrations/0004_threads.sql")),
    (5, include_str!("../migrations/0005_llm_accounting.sql")),
];

/// The schema version this build creates and understands.
pub const SCHEMA_VERSION: i64 = 5;

/// Key of the transaction-level advisory lock that serializes migrations between processes
/// starting at once (`"weftmigr"` in ASCII; the one-key lock space, separate from leaders').
const MIGRATION_LOCK: i64 = 0x7765_6674_6d69_6772;

/// Brings the schema up to [`SCHEMA_VERSION`] in one transaction; fails on a newer schema.
///
/// Processes starting together queue on the advisory lock: the first applies what is missing,
/// the others then find nothing to do. A failed migration rolls back completely.
pub(crate) async fn migrate(conn: &mut PgConnection) -> StoreResult<()> {
    conn.execute("BEGIN")
        .await
        .map_err(db("starting the migration transaction"))?;
    let result = apply(conn).await;
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = conn
        .execute(end)
        .await
        .map_err(db("ending the migration transaction"));
    result.and(ended.map(drop))
}

async fn apply(conn: &mut PgConnection) -> StoreResult<()> {
    query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *conn)
        .await
        .map_err(db("taking the migration lock"))?;
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version     bigint PRIMARY KEY,
             applied_at  timestamptz NOT NULL DEFAULT clock_timestamp()
         )",
    )
    .await
    .map_err(db("creating schema_migrations"))?;
    let current = current_version(&mut *conn).await?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    for &(version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        conn.execute(sql)
            .await
            .map_err(|e| db_err(&format!("applying migration {version}"), e))?;
        query("INSERT INTO schema_migrations (version) VALUES ($1)")
            .bind(version)
            .execute(&mut *conn)
            .await
            .map_err(db("recording a migration"))?;
        tracing::info!(version, "applied database migration");
    }
    Ok(())
}

/// The highest applied migration (0 for an empty database).
pub(crate) async fn current_version<'e, E>(e: E) -> StoreResult<i64>
where
    E: Executor<'e, Database = sqlx_postgres::Postgres>,
{
    query_scalar::<_, i64>("SELECT COALESCE(MAX(version), 0)::bigint FROM schema_migrations")
        .fetch_one(e)
        .await
        .map_err(db("reading the schema version"))
}

/// Checks that the schema is exactly the one this build expects.
pub(crate) fn check_version(found: i64) -> StoreResult<()> {
    match found.cmp(&SCHEMA_VERSION) {
        std::cmp::Ordering::Equal => Ok(()),
        std::cmp::Ordering::Greater => Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        }),
        std::cmp::Ordering::Less => Err(StoreError::Database(format!(
            "the database schema is version {found}, older than this build's {SCHEMA_VERSION}; \
             restart to migrate it"
        ))),
    }
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
}
