//! Opening, migrations, reopening and decoding of bad rows.

use crate::{TestResult, create, open, org, reopen};
use weft_store::{SCHEMA_VERSION, SqliteOptions, SqliteStore};
use weft_store_api::{Store, StoreError};

#[tokio::test]
async fn migrates_an_empty_directory_and_reopens() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("nested").join("data");
    let store = SqliteStore::open(&data)?;
    let scope = org("acme");
    let id = create(&store, &scope).await?;
    drop(store);

    let conn = rusqlite::Connection::open(data.join(weft_store::DB_FILE))?;
    let version: i64 = conn.query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
        r.get(0)
    })?;
    assert_eq!(version, SCHEMA_VERSION);
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
    assert_eq!(mode, "wal");
    drop(conn);

    let store = reopen(&data)?;
    assert!(store.get_run(&scope, id).await?.is_some());
    Ok(())
}

#[tokio::test]
async fn refuses_a_newer_schema() -> TestResult {
    let (dir, store) = open()?;
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join(weft_store::DB_FILE))?;
    conn.execute(
        "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, 'x')",
        [SCHEMA_VERSION + 5],
    )?;
    drop(conn);
    match reopen(dir.path()) {
        Err(StoreError::SchemaTooNew { found, supported }) => {
            assert_eq!((found, supported), (SCHEMA_VERSION + 5, SCHEMA_VERSION));
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("opened a database with a newer schema"),
    }
    Ok(())
}

#[tokio::test]
async fn full_synchronous_mode_works() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open_with(
        dir.path(),
        SqliteOptions {
            synchronous_full: true,
            read_connections: 1,
        },
    )?;
    let scope = org("acme");
    let id = create(&store, &scope).await?;
    store.write(crate::batch(id, 1, 2, None)).wait().await?;
    assert_eq!(store.load_journal(&scope, id).await?.len(), 2);
    Ok(())
}

#[tokio::test]
async fn bad_rows_are_errors_naming_run_and_column() -> TestResult {
    let (dir, store) = open()?;
    let scope = org("acme");
    let id = create(&store, &scope).await?;
    store.write(crate::batch(id, 1, 1, None)).wait().await?;
    let conn = rusqlite::Connection::open(dir.path().join(weft_store::DB_FILE))?;
    conn.execute(
        "UPDATE runs SET input = 'not json', started_at = 'yesterday' WHERE id = ?1",
        [id.to_string()],
    )?;
    conn.execute(
        "UPDATE journal SET event = '{' WHERE run_id = ?1",
        [id.to_string()],
    )?;
    drop(conn);

    match store.get_run(&scope, id).await {
        Err(StoreError::Database(msg)) => {
            assert!(
                msg.contains(&id.to_string()) && msg.contains("input"),
                "{msg}"
            );
        }
        other => panic!("expected a database error, got {other:?}"),
    }
    match store.load_journal(&scope, id).await {
        Err(StoreError::Database(msg)) => {
            assert!(
                msg.contains(&id.to_string()) && msg.contains("event"),
                "{msg}"
            );
        }
        other => panic!("expected a database error, got {other:?}"),
    }
    Ok(())
}
