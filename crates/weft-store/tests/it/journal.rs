//! Journal writes: order, conflicts, run updates, group commit and durability.

use crate::{TestResult, batch, create, entry, fresh_query_i64, open, org, reopen, seqs};
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
