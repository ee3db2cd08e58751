//! Journal writes: order, conflicts, run updates, group commit, durability.

use super::{
    BoxError, CheckResult, Fixture, at, batch, create, entry, expect_err, expect_not_found, org,
    seqs,
};
use std::sync::Arc;
use weft_store_api::{
    OwnerId, RunFilter, RunId, RunStatus, RunUpdate, Store, StoreError, WriteBatch, encode_event,
};

fn conflict(run_id: RunId, expected: u64, actual: u64) -> StoreError {
    StoreError::JournalConflict {
        run_id,
        expected,
        actual,
    }
}

/// Batches append in order; a batch that leaves a gap or overlaps fails with a conflict that
/// names where it assumed the journal was and where it is; empty batches and updates alone
/// are fine; entries come back exactly.
pub async fn journal_appends_in_order_and_rejects_gaps_and_overlaps(
    store: Arc<dyn Store>,
) -> CheckResult {
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
    let stale_inner_gap = store.write(WriteBatch {
        run_id: id,
        entries: vec![entry(2), entry(9)],
        update: None,
    });
    let good = store.write(batch(id, 4, 6, None));
    expect_err(gap.wait().await, &conflict(id, 4, 3))?;
    expect_err(overlap.wait().await, &conflict(id, 2, 3))?;
    expect_err(inner_gap.wait().await, &conflict(id, 5, 4))?;
    expect_err(stale_inner_gap.wait().await, &conflict(id, 1, 3))?;
    good.wait().await?;

    let journal = store.load_journal(&scope, id).await?;
    assert_eq!(seqs(&journal), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(journal[4], entry(5));
    let first = journal[0].event_value();
    let keys: Vec<&String> = first
        .as_object()
        .ok_or("event is not an object")?
        .keys()
        .collect();
    assert_eq!(
        keys,
        ["type", "seq", "zeta", "alpha"],
        "event key order was not kept"
    );

    let missing = RunId::new();
    expect_not_found(store.write(batch(missing, 1, 1, None)).wait().await)?;
    expect_not_found(
        store
            .write(WriteBatch {
                run_id: missing,
                entries: vec![],
                update: None,
            })
            .wait()
            .await,
    )?;
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
    assert_eq!(
        store.get_run(&scope, id).await?.map(|r| r.status),
        Some(RunStatus::Running)
    );
    expect_err(
        store.write(batch(id, 8, 8, None)).wait().await,
        &conflict(id, 7, 6),
    )?;
    store.write(batch(id, 7, 7, None)).wait().await?;
    assert_eq!(store.load_journal(&scope, id).await?.len(), 7);
    Ok(())
}

/// Each field of [`RunUpdate`] maps to its column: `started_at` is kept once set, `wake_at`
/// is left, set or cleared, `release_owner` frees the run, `clear_control` and a terminal
/// status clear a pending request.
pub async fn run_updates_map_to_columns(store: Arc<dyn Store>) -> CheckResult {
    let scope = org("a");
    let id = create(&store, &scope).await?;
    let owner = store.register_owner().await?;
    assert!(store.claim_run(&owner, id).await?);

    let start = RunUpdate {
        status: Some(RunStatus::Running),
        started_at: Some(at(1)),
        ..RunUpdate::default()
    };
    store.write(batch(id, 1, 1, Some(start))).wait().await?;
    let again = RunUpdate {
        started_at: Some(at(9)),
        wake_at: Some(Some(at(60))),
        ..RunUpdate::default()
    };
    store.write(batch(id, 2, 2, Some(again))).wait().await?;
    let rec = store.get_run(&scope, id).await?.ok_or("missing")?;
    assert_eq!(
        (rec.status, rec.started_at, rec.wake_at),
        (RunStatus::Running, Some(at(1)), Some(at(60)))
    );

    // `None` leaves wake_at alone, `Some(None)` clears it; release_owner frees the run.
    store
        .write(batch(id, 3, 3, Some(RunUpdate::default())))
        .wait()
        .await?;
    assert_eq!(
        store.get_run(&scope, id).await?.and_then(|r| r.wake_at),
        Some(at(60))
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
    // Nobody registered this owner: it is not alive, and it may take a free run.
    let other = OwnerId(uuid::Uuid::now_v7().to_string());
    assert!(store.claim_run(&other, id).await?, "released runs are free");

    // Control requests: cleared on request of the batch, and by a terminal status.
    use weft_store_api::ControlRequest::{Cancel, Pause};
    assert!(store.request_control(&scope, id, Pause).await?);
    let keep = RunUpdate {
        status: Some(RunStatus::Paused),
        ..RunUpdate::default()
    };
    store.write(batch(id, 5, 5, Some(keep))).wait().await?;
    assert_eq!(
        store.get_run(&scope, id).await?.and_then(|r| r.control),
        Some(Pause)
    );
    let cleared = RunUpdate {
        clear_control: true,
        ..RunUpdate::default()
    };
    store.write(batch(id, 6, 6, Some(cleared))).wait().await?;
    assert_eq!(
        store.get_run(&scope, id).await?.and_then(|r| r.control),
        None
    );
    assert!(store.request_control(&scope, id, Cancel).await?);
    let finished = RunUpdate {
        status: Some(RunStatus::Cancelled),
        error: Some(serde_json::json!({"message": "cancelled"})),
        finished_at: Some(at(7)),
        ..RunUpdate::default()
    };
    store.write(batch(id, 7, 7, Some(finished))).wait().await?;
    let rec = store.get_run(&scope, id).await?.ok_or("missing")?;
    assert_eq!(
        (rec.status, rec.control, rec.finished_at),
        (RunStatus::Cancelled, None, Some(at(7)))
    );
    Ok(())
}

/// [`RunUpdate::apply_to`] changes a record exactly as writing the update changes the row,
/// and a [`RunUpdate::merge`]d update written once leaves the row as the two written in turn.
pub async fn run_updates_applied_in_memory_match_the_row(store: Arc<dyn Store>) -> CheckResult {
    let scope = org("a");
    let updates = [
        RunUpdate {
            status: Some(RunStatus::Running),
            started_at: Some(at(1)),
            wake_at: Some(None),
            ..RunUpdate::default()
        },
        RunUpdate {
            started_at: Some(at(2)),
            wake_at: Some(Some(at(60))),
            status: Some(RunStatus::Waiting),
            release_owner: true,
            ..RunUpdate::default()
        },
        RunUpdate::default(),
        RunUpdate {
            status: Some(RunStatus::Succeeded),
            output: Some(serde_json::json!([{"x": 1}])),
            finished_at: Some(at(9)),
            wake_at: Some(None),
            release_owner: true,
            ..RunUpdate::default()
        },
    ];
    let id = create(&store, &scope).await?;
    let mut record = store.get_run(&scope, id).await?.ok_or("missing")?;
    for (n, update) in updates.iter().enumerate() {
        let seq = n as u64 + 1;
        if n == 3 {
            // A pending request in the row; a terminal status clears it in both.
            use weft_store_api::ControlRequest::Pause;
            assert!(store.request_control(&scope, id, Pause).await?);
            record.control = Some(Pause);
        }
        store
            .write(batch(id, seq, seq, Some(update.clone())))
            .wait()
            .await?;
        update.apply_to(&mut record);
        let row = store.get_run(&scope, id).await?.ok_or("missing")?;
        assert_eq!(row, record, "after update {n}");
    }

    // The first two updates, written in turn to one run and merged into one write to another.
    let (one_by_one, merged) = (create(&store, &scope).await?, create(&store, &scope).await?);
    for (n, update) in updates[..2].iter().enumerate() {
        let seq = n as u64 + 1;
        store
            .write(batch(one_by_one, seq, seq, Some(update.clone())))
            .wait()
            .await?;
    }
    let both = updates[0].clone().merge(updates[1].clone());
    store.write(batch(merged, 1, 2, Some(both))).wait().await?;
    let row = |r: weft_store_api::RunRecord| {
        (
            r.status,
            r.started_at,
            r.finished_at,
            r.wake_at,
            r.output,
            r.error,
            r.control,
        )
    };
    let a = store.get_run(&scope, one_by_one).await?.ok_or("missing")?;
    let b = store.get_run(&scope, merged).await?.ok_or("missing")?;
    assert_eq!(row(b), row(a));
    Ok(())
}

/// Many tasks writing to their own runs at once, one entry per batch, without waiting in
/// between: every journal ends up complete and in order.
pub async fn group_commit_keeps_every_journal_complete_and_ordered(
    store: Arc<dyn Store>,
) -> CheckResult {
    const TASKS: usize = 20;
    const BATCHES: u64 = 100;
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
                if seq % 25 == 0 {
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

/// Refused batches (conflicts, missing runs) queued between good ones change nothing and do
/// not make their neighbours fail.
pub async fn a_refused_batch_does_not_affect_its_neighbours(store: Arc<dyn Store>) -> CheckResult {
    let scope = org("a");
    let (good, bad) = (create(&store, &scope).await?, create(&store, &scope).await?);
    let mut outcomes = Vec::new();
    for seq in 1..=50u64 {
        outcomes.push((true, store.write(batch(good, seq, seq, None))));
        // Always one ahead of the journal: refused.
        outcomes.push((false, store.write(batch(bad, 2, 2, None))));
        outcomes.push((false, store.write(batch(RunId::new(), 1, 1, None))));
    }
    for (ok, commit) in outcomes {
        assert_eq!(commit.wait().await.is_ok(), ok);
    }
    assert_eq!(store.load_journal(&scope, good).await?.len(), 50);
    assert!(store.load_journal(&scope, bad).await?.is_empty());
    assert_eq!(
        store
            .list_runs(&scope, &RunFilter::default(), None, 10)
            .await?
            .items
            .len(),
        2
    );
    Ok(())
}

/// A resolved commit means its batch and every batch submitted before it are durable.
pub async fn a_commit_implies_every_earlier_batch(store: Arc<dyn Store>) -> CheckResult {
    let scope = org("a");
    let ids = [create(&store, &scope).await?, create(&store, &scope).await?];
    let mut commits = Vec::new();
    for seq in 1..=200u64 {
        commits.push(store.write(batch(
            ids[(seq % 2) as usize],
            seq.div_ceil(2),
            seq.div_ceil(2),
            None,
        )));
    }
    let last = commits.pop().ok_or("no commits")?;
    last.wait().await?;
    for id in ids {
        assert_eq!(
            seqs(&store.load_journal(&scope, id).await?),
            (1..=100).collect::<Vec<_>>()
        );
    }
    for c in commits {
        c.wait().await?;
    }
    Ok(())
}

/// Two handles on one database: each sees the other's journal, and a handle that is behind
/// gets a conflict instead of overwriting.
pub async fn two_handles_see_each_others_writes(fixture: &dyn Fixture) -> CheckResult {
    let (store_a, store_b) = (fixture.open().await?, fixture.open().await?);
    let scope = org("a");
    let id = create(&store_a, &scope).await?;
    store_a.write(batch(id, 1, 3, None)).wait().await?;
    assert_eq!(store_b.load_journal(&scope, id).await?.len(), 3);
    assert!(store_b.get_run(&scope, id).await?.is_some());
    store_b.write(batch(id, 4, 4, None)).wait().await?;
    expect_err(
        store_a.write(batch(id, 4, 5, None)).wait().await,
        &conflict(id, 3, 4),
    )?;
    assert_eq!(
        seqs(&store_a.load_journal(&scope, id).await?),
        vec![1, 2, 3, 4]
    );
    Ok(())
}

/// Writes queued when the last handle is dropped still complete, successfully, and another
/// handle finds them; so are credentials.
pub async fn queued_writes_survive_dropping_the_handle(fixture: &dyn Fixture) -> CheckResult {
    let store = fixture.open().await?;
    let scope = org("a");
    let id = create(&store, &scope).await?;
    store
        .put_credential(
            &scope,
            weft_store_api::NewCredential {
                id: "c1".into(),
                name: "github".into(),
                kind: "bearer".into(),
                sealed: b"\x01sealed".to_vec(),
            },
        )
        .await?;
    let commits: Vec<_> = (1..=1000u64)
        .map(|seq| store.write(batch(id, seq, seq, None)))
        .collect();
    drop(store);
    for c in commits {
        c.wait().await?;
    }
    let store = fixture.open().await?;
    assert_eq!(store.load_journal(&scope, id).await?.len(), 1000);
    let (_, sealed) = store
        .get_credential(&scope, "c1")
        .await?
        .ok_or("credential lost")?;
    assert_eq!(sealed, b"\x01sealed");
    Ok::<(), BoxError>(())
}

/// A seeded run starts with its journal (entries 1..=n at its creation time) and continues
/// from there; a second create with its idempotency key returns it and writes nothing.
pub async fn seeded_runs_start_with_their_journal(store: Arc<dyn Store>) -> CheckResult {
    let scope = org("a");
    let v = super::version(&store, &scope, "flow").await?;
    let mut run = super::new_run(&v, "flow");
    run.idempotency_key = Some("retry-1".into());
    let seed = vec![
        encode_event(&serde_json::json!({"type": "StepSucceeded", "node": "a"}))?,
        encode_event(&serde_json::json!({"type": "StepSucceeded", "node": "b"}))?,
    ];
    let (rec, created) = store
        .create_run_seeded(&scope, run.clone(), seed.clone())
        .await?;
    assert!(created);
    let journal = store.load_journal(&scope, rec.id).await?;
    assert_eq!(seqs(&journal), vec![1, 2]);
    assert!(journal.iter().all(|e| e.at == rec.created_at));
    assert_eq!(
        journal.iter().map(|e| e.event.get()).collect::<Vec<_>>(),
        seed.iter().map(|e| e.get()).collect::<Vec<_>>()
    );
    let mut again = super::new_run(&v, "flow");
    again.idempotency_key = Some("retry-1".into());
    let (same, created) = store
        .create_run_seeded(
            &scope,
            again,
            vec![encode_event(&serde_json::json!({"other": true}))?],
        )
        .await?;
    assert!(!created);
    assert_eq!(same, rec);
    assert_eq!(store.load_journal(&scope, rec.id).await?.len(), 2);
    expect_err(
        store.write(batch(rec.id, 2, 2, None)).wait().await,
        &conflict(rec.id, 1, 2),
    )?;
    store.write(batch(rec.id, 3, 3, None)).wait().await?;
    // Without a seed it is a plain create.
    let (plain, created) = store
        .create_run_seeded(&scope, super::new_run(&v, "flow"), Vec::new())
        .await?;
    assert!(created);
    assert!(store.load_journal(&scope, plain.id).await?.is_empty());
    Ok(())
}
