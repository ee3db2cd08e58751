//! Connecting, migrations (from empty, concurrently, refusing newer), readiness, and the
//! writer's connection being lost.

use crate::{TestResult, create, database, open, scope};
use sqlx_core::connection::{ConnectOptions, Connection};
use sqlx_core::executor::Executor;
use sqlx_core::query::query;
use sqlx_core::query_scalar::query_scalar;
use std::time::{Duration, Instant};
use weft_store_api::{Store, StoreError};
use weft_store_pg::testing::TestDatabase;
use weft_store_pg::{PgOptions, PgStore, SCHEMA_VERSION};

async fn admin(db: &TestDatabase) -> Result<sqlx_postgres::PgConnection, sqlx_core::Error> {
    db.options().connect().await
}

#[tokio::test]
async fn migrates_an_empty_database_and_reconnects() -> TestResult {
    let db = database().await;
    let store = open(&db).await?;
    let id = create(&store).await?;
    store.ready().await?;
    drop(store);

    let mut conn = admin(&db).await?;
    let versions: Vec<i64> = query_scalar("SELECT version FROM schema_migrations ORDER BY version")
        .fetch_all(&mut conn)
        .await?;
    assert_eq!(versions, (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    let tables: Vec<String> = query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = 'public' ORDER BY table_name",
    )
    .fetch_all(&mut conn)
    .await?;
    for table in [
        "credentials",
        "journal",
        "owners",
        "runs",
        "workflow_versions",
    ] {
        assert!(
            tables.iter().any(|t| t == table),
            "{table} missing: {tables:?}"
        );
    }
    conn.close().await?;

    let store = open(&db).await?;
    assert!(store.get_run(&scope(), id).await?.is_some());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_connects_migrate_once() -> TestResult {
    let db = database().await;
    let connects = (0..6).map(|_| open(&db));
    let stores = futures::future::join_all(connects).await;
    for store in &stores {
        store.as_ref().map_err(|e| e.to_string())?.ready().await?;
    }
    let mut conn = admin(&db).await?;
    let n: i64 = query_scalar("SELECT COUNT(*) FROM schema_migrations")
        .fetch_one(&mut conn)
        .await?;
    assert_eq!(n, SCHEMA_VERSION);
    Ok(())
}

#[tokio::test]
async fn refuses_a_newer_schema() -> TestResult {
    let db = database().await;
    let store = open(&db).await?;
    let mut conn = admin(&db).await?;
    query("INSERT INTO schema_migrations (version) VALUES ($1)")
        .bind(SCHEMA_VERSION + 5)
        .execute(&mut conn)
        .await?;
    // A running store notices through its readiness check...
    assert_eq!(
        store.ready().await,
        Err(StoreError::SchemaTooNew {
            found: SCHEMA_VERSION + 5,
            supported: SCHEMA_VERSION
        })
    );
    // ...and a new one refuses to start, changing nothing.
    match open(&db).await {
        Err(StoreError::SchemaTooNew { found, supported }) => {
            assert_eq!((found, supported), (SCHEMA_VERSION + 5, SCHEMA_VERSION));
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn a_failed_migration_leaves_nothing_behind() -> TestResult {
    let db = database().await;
    // A table the first migration creates is in the way: the migration fails as a whole.
    let mut conn = admin(&db).await?;
    conn.execute("CREATE TABLE owners (x int)").await?;
    let err = open(&db)
        .await
        .err()
        .ok_or("migrated over a conflicting table")?;
    assert!(err.to_string().contains("applying migration 1"), "{err}");
    let tables: Vec<String> = query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_all(&mut conn)
    .await?;
    assert_eq!(tables, ["owners"], "a partial migration was kept");
    Ok(())
}

#[tokio::test]
async fn an_unreachable_server_is_an_error_naming_it() -> TestResult {
    let options = PgOptions {
        acquire_timeout: std::time::Duration::from_secs(2),
        ..PgOptions::default()
    };
    match PgStore::connect("postgres://postgres@127.0.0.1:1/weft", options).await {
        Err(StoreError::Database(msg)) => assert!(msg.contains("127.0.0.1:1"), "{msg}"),
        other => panic!("expected a database error, got {other:?}"),
    }
    assert!(matches!(
        PgStore::connect("mysql://nope", PgOptions::default()).await,
        Err(StoreError::Database(_))
    ));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_survives_its_connections_being_killed() -> TestResult {
    let db = database().await;
    let store = open(&db).await?;
    let id = create(&store).await?;
    store.write(crate::batch(id, 1)).wait().await?;
    let mut conn = admin(&db).await?;
    let killed: Vec<bool> = query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&mut conn)
    .await?;
    assert!(
        killed.len() >= 2,
        "expected the store's connections, found {}",
        killed.len()
    );
    // The writer opens a new connection before its next group; reads get fresh ones.
    store.write(crate::batch(id, 2)).wait().await?;
    assert_eq!(store.load_journal(&scope(), id).await?.len(), 2);
    store.ready().await?;
    // The listener reconnects (and wakes waiters, since it may have missed something), then
    // hears other processes again.
    store.wait_for_work(Duration::from_secs(5)).await;
    store.wait_for_work(Duration::from_millis(100)).await;
    let other = open(&db).await?;
    let start = Instant::now();
    let waiter = {
        let store = std::sync::Arc::clone(&store);
        tokio::spawn(async move { store.wait_for_work(Duration::from_secs(30)).await })
    };
    create(&other).await?;
    tokio::time::timeout(Duration::from_secs(5), waiter).await??;
    assert!(start.elapsed() < Duration::from_secs(5));
    Ok(())
}
