//! Journal writes: order, conflicts, run updates, group commit and durability.

use crate::{TestResult, batch, create, entry, fresh_query_i64, open, org, reopen, seqs};
use std::sync::Arc;
use weft_store_api::{RunId, RunStatus, RunUpdate, Store, StoreError, WriteBatch};

#[tokio::test]
async fn appends_in_order_and_rejects_gaps_and_overlaps() -> TestResult {
    let (_dir, store) = open()?;
    let scope = org("a");
    let id = create(&store, &scope).await?;
    assert!(store.load_journal(&scope, id).await?.is_empty());

    store.write(batch(id, 1, 3, None)).wait().await?;
    let gap = store.write(batch(id, 5, 5, None));
    let overlap = store.write(batch(id, 3, 4, None));
    let inner_gap = store.write(WriteBatch {
        run_id: id,
        entries: vec![entry(4), entry(6)],
        update: None,
    });
    let good = store.write(batch(id, 4, 6, None));
    assert_eq!(
        gap.wait().await,
        Err(StoreError::JournalConflict {
            run_id: id,
            expected: 4,
            actual: 3
        })
    );
    assert_eq!(
        overlap.wait().await,
        Err(StoreError::JournalConflict {
            run_id: id,
            expected: 2,
            actual: 3
        })
    );
    assert_eq!(
        inner_gap.wait().await,
        Err(StoreError::JournalConflict {
            run_id: id,
            expected: 5,
            actual: 4
        })
    );
    good.wait().await?;

    let journal = store.load_journal(&scope, id).await?;
    assert_eq!(seqs(&journal), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(journal[4], entry(5));

    let missing = RunId::new();
    assert!(matches!(
        store.write(batch(missing, 1, 1, None)).wait().await,
        Err(StoreError::NotFound { .. })
    ));
    // An empty batch is fine, and an update alone does not move the journal.
    store
        .write(WriteBatch {
            run_id: id,
            entries: vec![],
            update: None,
        })
        .wait()
        .await?;
    let running = RunUpdate {
        status: Some(RunStatus::Running),
        ..RunUpdate::default()
    };
    store
        .write(WriteBatch {
            run_id: id,
            entries: vec![],
            update: Some(running),
        })
        .wait()
        .await?;
    store.write(batch(id, 7, 7, None)).wait().await?;
    assert_eq!(store.load_journal(&scope, id).await?.len(), 7);
    Ok(())
}

#[tokio::test]
async fn two_stores_on_one_directory_detect_each_others_writes() -> TestResult {
    let (dir, store_a) = open()?;
    let store_b = reopen(dir.path())?;
    let scope = org("a");
    let id = create(&store_a, &scope).await?;
    store_a.write(batch(id, 1, 3, None)).wait().await?;
    // B sees A's journal and continues it; A, unaware, conflicts.
    assert_eq!(store_b.load_journal(&scope, id).await?.len(), 3);
    store_b.write(batch(id, 4, 4, None)).wait().await?;
    assert_eq!(
        store_a.write(batch(id, 4, 5, None)).wait().await,
        Err(StoreError::JournalConflict {
            run_id: id,
            expected: 3,
            actual: 4
        })
    );
    assert_eq!(
        seqs(&store_a.load_journal(&scope, id).await?),
        vec![1, 2, 3, 4]
    );
    Ok(())
}

#[tokio::test]
async fn run_updates_map_to_columns() -> TestResult {
    let (_dir, store) = open()?;
    let scope = org("a");
    let id = create(&store, &scope).await?;
    let owner = store.register_owner().await?;
    assert!(store.claim_run(&owner, id).await?);
    let t = crate::at;

    let start = RunUpdate {
        status: Some(RunStatus::Running),
        started_at: Some(t(1)),
        ..RunUpdate::default()
    };
    store.write(batch(id, 1, 1, Some(start))).wait().await?;
    let again = RunUpdate {
        started_at: Some(t(9)),
        wake_at: Some(Some(t(60))),
        ..RunUpdate::default()
    };
    store.write(batch(id, 2, 2, Some(again))).wait().await?;
    let rec = store.get_run(&scope, id).await?.ok_or("missing")?;
    assert_eq!(
        (rec.status, rec.started_at, rec.wake_at),
        (RunStatus::Running, Some(t(1)), Some(t(60)))
    );

    // `None` leaves wake_at alone, `Some(None)` clears it; release_owner frees the run.
    store
        .write(batch(id, 3, 3, Some(RunUpdate::default())))
        .wait()
        .await?;
    assert_eq!(
        store.get_run(&scope, id).await?.and_then(|r| r.wake_at),
        Some(t(60))
    );
    let clear = RunUpdate {
        wake_at: Some(None),
        release_owner: true,
        ..RunUpdate::default()
    };
    store.write(batch(id, 4, 4, Some(clear))).wait().await?;
    assert_eq!(
        store.get_run(&scope, id).await?.and_then(|r| r.wake_at),
        None
    );
    let other = weft_store_api::OwnerId(uuid::Uuid::now_v7().to_string());
    assert!(store.claim_run(&other, id).await?, "released runs are free");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_keeps_every_journal_complete_and_ordered() -> TestResult {
    const TASKS: usize = 50;
    const BATCHES: u64 = 200;
    let (_dir, store) = open()?;
    let scope = org("a");
    let mut ids = Vec::new();
    for _ in 0..TASKS {
        ids.push(create(&store, &scope).await?);
    }
    let mut tasks = Vec::new();
    for id in ids.clone() {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let mut commits = Vec::new();
            for seq in 1..=BATCHES {
                commits.push(store.write(batch(id, seq, seq, None)));
                if seq % 50 == 0 {
                    tokio::task::yield_now().await;
                }
            }
            for c in commits {
                c.wait().await?;
            }
            Ok::<(), StoreError>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    for id in ids {
        let journal = store.load_journal(&scope, id).await?;
        assert_eq!(seqs(&journal), (1..=BATCHES).collect::<Vec<_>>());
    }
    Ok(())
}

#[tokio::test]
async fn a_commit_is_readable_from_a_fresh_connection() -> TestResult {
    let (dir, store) = open()?;
    let scope = org("a");
    let id = create(&store, &scope).await?;
    for seq in 1..=50u64 {
        let commit = store.write(batch(id, seq, seq, None));
        commit.wait().await?;
        let n = fresh_query_i64(
            dir.path(),
            "SELECT COUNT(*) FROM journal WHERE run_id = ?1",
            &id.to_string(),
        )?;
        assert_eq!(n, seq as i64);
        let last = fresh_query_i64(
            dir.path(),
            "SELECT last_seq FROM runs WHERE id = ?1",
            &id.to_string(),
        )?;
        assert_eq!(last, seq as i64);
    }
    Ok(())
}

#[tokio::test]
async fn dropping_the_store_flushes_queued_writes() -> TestResult {
    let (dir, store) = open()?;
    let scope = org("a");
    let id = create(&store, &scope).await?;
    let commits: Vec<_> = (1..=2000u64)
        .map(|seq| store.write(batch(id, seq, seq, None)))
        .collect();
    drop(store);
    // Every commit resolved successfully before the writer thread stopped.
    for c in commits {
        c.wait().await?;
    }
    let store = reopen(dir.path())?;
    assert_eq!(store.load_journal(&scope, id).await?.len(), 2000);
    Ok(())
}
