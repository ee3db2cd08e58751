//! Leadership: one holder per name across processes, released on drop, release or a lost
//! connection.

use crate::{TestResult, database, open, until};
use sqlx_core::connection::ConnectOptions;
use sqlx_core::query_scalar::query_scalar;
use std::time::Duration;

#[tokio::test]
async fn one_leader_per_name_until_the_guard_goes() -> TestResult {
    let db = database().await;
    let (a, b) = (open(&db).await?, open(&db).await?);
    let mut lead = a
        .try_acquire_leader("scheduler")
        .await?
        .ok_or("nobody led, yet the first try failed")?;
    assert_eq!(lead.name(), "scheduler");
    assert!(lead.is_held().await);
    assert!(b.try_acquire_leader("scheduler").await?.is_none());
    // Every guard is its own session, even from the same store.
    assert!(a.try_acquire_leader("scheduler").await?.is_none());
    // Names are independent.
    let other = b
        .try_acquire_leader("janitor")
        .await?
        .ok_or("janitor taken")?;

    drop(lead);
    let waited = until(Duration::from_secs(10), || async {
        matches!(b.try_acquire_leader("scheduler").await, Ok(Some(_)))
    })
    .await?;
    eprintln!("leadership moved {waited:?} after the guard was dropped");

    // An explicit release frees the name at once.
    other.release().await?;
    assert!(a.try_acquire_leader("janitor").await?.is_some());
    Ok(())
}

#[tokio::test]
async fn a_lost_connection_loses_leadership() -> TestResult {
    let db = database().await;
    let (a, b) = (open(&db).await?, open(&db).await?);
    let mut lead = a.try_acquire_leader("scheduler").await?.ok_or("not led")?;
    let mut admin = db.options().connect().await?;
    let killed: Vec<bool> = query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_locks
         WHERE locktype = 'advisory' AND objsubid = 2 AND granted
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .fetch_all(&mut admin)
    .await?;
    assert_eq!(killed, [true]);
    assert!(!lead.is_held().await);
    until(Duration::from_secs(10), || async {
        matches!(b.try_acquire_leader("scheduler").await, Ok(Some(_)))
    })
    .await?;
    Ok(())
}
