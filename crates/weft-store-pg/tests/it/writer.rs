//! The writer: an SQL error inside a group fails only its own command; group commit
//! throughput and write latency.

use crate::{TestResult, create, database, open, scope, stats};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use weft_store_api::{JournalEntry, RunId, Store, StoreError, WriteBatch};

/// A time PostgreSQL cannot store (about 10,700 BC): binding it is an SQL error.
fn out_of_range() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(-400_000_000_000, 0).unwrap_or_default()
}

fn entry_at(seq: u64, at: DateTime<Utc>) -> WriteBatch {
    WriteBatch {
        run_id: RunId::new(),
        entries: vec![JournalEntry {
            seq,
            at,
            event: weft_store_api::encode_event(&json!({"seq": seq})).expect("encode"),
        }],
        update: None,
    }
}

/// Everything is queued before the writer task can run (one thread), so all of it lands in
/// one group; the bad batch makes the group fall back to savepoints, in several transactions.
#[tokio::test]
async fn an_sql_error_fails_only_its_own_batch() -> TestResult {
    let db = database().await;
    let store = open(&db).await?;
    let (a, b, c) = (
        create(&store).await?,
        create(&store).await?,
        create(&store).await?,
    );
    let mut commits = Vec::new();
    for seq in 1..=100u64 {
        commits.push((
            a,
            true,
            store.write(WriteBatch {
                run_id: a,
                ..entry_at(seq, Utc::now())
            }),
        ));
    }
    commits.push((
        b,
        false,
        store.write(WriteBatch {
            run_id: b,
            ..entry_at(1, out_of_range())
        }),
    ));
    for seq in 1..=100u64 {
        commits.push((
            c,
            true,
            store.write(WriteBatch {
                run_id: c,
                ..entry_at(seq, Utc::now())
            }),
        ));
    }
    for (run, ok, commit) in commits {
        match commit.wait().await {
            Ok(()) => assert!(ok, "the bad batch of {run} was applied"),
            Err(StoreError::Database(msg)) => {
                assert!(!ok, "a good batch of {run} failed: {msg}");
                assert!(msg.contains("out of range"), "{msg}");
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(store.load_journal(&scope(), a).await?.len(), 100);
    assert!(store.load_journal(&scope(), b).await?.is_empty());
    assert_eq!(store.load_journal(&scope(), c).await?.len(), 100);
    // The writer is fine afterwards.
    store
        .write(WriteBatch {
            run_id: b,
            ..entry_at(1, Utc::now())
        })
        .wait()
        .await?;
    store.ready().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_throughput_and_latency() -> TestResult {
    const TASKS: usize = 50;
    const BATCHES: u64 = 200;
    let db = database().await;
    let store = open(&db).await?;
    let mut ids = Vec::new();
    for _ in 0..TASKS {
        ids.push(create(&store).await?);
    }
    // One writer at a time, each waiting for its commit: the latency of a durable write.
    let mut latencies = Vec::new();
    let alone = create(&store).await?;
    for seq in 1..=100u64 {
        let start = Instant::now();
        store.write(crate::batch(alone, seq)).wait().await?;
        latencies.push(start.elapsed());
    }
    let (p50, p95, max) = stats(latencies);
    eprintln!("one durable write at a time: p50 {p50:.2} ms, p95 {p95:.2} ms, max {max:.2} ms");

    // Many tasks, each with its run, each waiting for every commit before the next write.
    let start = Instant::now();
    let tasks: Vec<_> = ids
        .iter()
        .map(|&id| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for seq in 1..=BATCHES {
                    store.write(crate::batch(id, seq)).wait().await?;
                }
                Ok::<(), StoreError>(())
            })
        })
        .collect();
    for t in futures::future::join_all(tasks).await {
        t??;
    }
    let took = start.elapsed();
    let n = TASKS as f64 * BATCHES as f64;
    eprintln!(
        "{TASKS} tasks x {BATCHES} awaited writes: {:.0} batches/s ({:.1} s)",
        n / took.as_secs_f64(),
        took.as_secs_f64()
    );

    // Pipelined: everything submitted at once, then awaited.
    let id = create(&store).await?;
    let start = Instant::now();
    let commits: Vec<_> = (1..=10_000u64)
        .map(|seq| store.write(crate::batch(id, seq)))
        .collect();
    for c in commits {
        c.wait().await?;
    }
    let took = start.elapsed();
    eprintln!(
        "10000 pipelined writes to one run: {:.0} batches/s",
        10_000.0 / took.as_secs_f64()
    );
    assert!(took < Duration::from_secs(120));
    Ok(())
}
