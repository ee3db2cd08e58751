//! Run ownership, claimable runs, control requests, readiness and waiting for work.

use super::{
    CheckResult, Fixture, at, batch, create, eventually, expect_not_found, new_run, org, race,
    version,
};
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
use weft_store_api::{Claimable, ControlRequest, RunId, RunStatus, RunUpdate, Store};

fn ids(list: &[Claimable]) -> Vec<RunId> {
    list.iter().map(|c| c.run_id).collect()
}

/// Claiming is idempotent for the owner, refused to others while it lives; releasing by
/// someone else does nothing; a released run is claimable again; a finished run never is; an
/// unknown run is `NotFound`.
pub async fn claims_and_releases(store: Arc<dyn Store>) -> CheckResult {
    let scope = org("a");
    let id = create(&store, &scope).await?;
    assert_eq!(ids(&store.claimable_runs(Utc::now(), 10).await?), vec![id]);
    let (a, b) = (store.register_owner().await?, store.register_owner().await?);
    assert_ne!(a, b);
    assert!(store.claim_run(&a, id).await?);
    assert!(store.claim_run(&a, id).await?, "claiming my own run again");
    assert!(!store.claim_run(&b, id).await?, "a live owner holds it");
    assert!(store.claimable_runs(Utc::now(), 10).await?.is_empty());
    store.release_run(&b, id).await?;
    assert!(!store.claim_run(&b, id).await?, "released by a non-owner");
    store.release_run(&a, id).await?;
    let found = store.claimable_runs(Utc::now(), 10).await?;
    assert_eq!(ids(&found), vec![id]);
    assert_eq!(
        (found[0].status, found[0].wake_at, &found[0].scope),
        (RunStatus::Queued, None, &scope)
    );
    assert!(store.claim_run(&b, id).await?);
    let done = RunUpdate {
        status: Some(RunStatus::Failed),
        release_owner: true,
        ..RunUpdate::default()
    };
    store.write(batch(id, 1, 1, Some(done))).wait().await?;
    assert!(!store.claim_run(&a, id).await?);
    assert!(!store.claim_run(&b, id).await?);
    assert!(store.claimable_runs(Utc::now(), 10).await?.is_empty());
    expect_not_found(store.claim_run(&a, RunId::new()).await)?;
    Ok(())
}

/// Waiting runs are claimable once due (or with a pending control request), whoever owned
/// them; `next_wake_at` is the earliest timer; the limit is kept; oldest first.
pub async fn due_waiting_runs_are_claimable_whatever_their_owner(
    store: Arc<dyn Store>,
) -> CheckResult {
    let scope = org("a");
    let owner = store.register_owner().await?;
    let (due, later, idle) = (
        create(&store, &scope).await?,
        create(&store, &scope).await?,
        create(&store, &scope).await?,
    );
    assert_eq!(store.next_wake_at().await?, None);
    for (id, wake) in [(due, Some(at(10))), (later, Some(at(100))), (idle, None)] {
        assert!(store.claim_run(&owner, id).await?);
        let wait = RunUpdate {
            status: Some(RunStatus::Waiting),
            wake_at: Some(wake),
            ..RunUpdate::default()
        };
        store.write(batch(id, 1, 1, Some(wait))).wait().await?;
    }
    assert_eq!(store.next_wake_at().await?, Some(at(10)));
    let found = store.claimable_runs(at(50), 10).await?;
    assert_eq!(ids(&found), vec![due]);
    assert_eq!(
        (found[0].status, found[0].wake_at, &found[0].scope),
        (RunStatus::Waiting, Some(at(10)), &scope)
    );
    assert_eq!(
        ids(&store.claimable_runs(at(100), 10).await?),
        vec![due, later]
    );
    assert_eq!(store.claimable_runs(at(100), 1).await?.len(), 1);
    // A cancel must not wait for the timer.
    assert!(
        store
            .request_control(&scope, idle, ControlRequest::Cancel)
            .await?
    );
    assert_eq!(
        ids(&store.claimable_runs(at(50), 10).await?),
        vec![due, idle]
    );
    Ok(())
}

/// A control request reaches the owner that drives the run, once; a request for a run
/// nobody drives waits for whoever claims it; finished or unknown runs take none.
pub async fn control_requests_reach_the_owner_once(store: Arc<dyn Store>) -> CheckResult {
    let scope = org("a");
    let (r1, r2) = (create(&store, &scope).await?, create(&store, &scope).await?);
    let me = store.register_owner().await?;
    assert!(store.claim_run(&me, r1).await?);
    assert!(pairs(store.take_control_requests(&me).await?).is_empty());
    assert!(
        store
            .request_control(&scope, r1, ControlRequest::Pause)
            .await?
    );
    assert!(
        store
            .request_control(&scope, r2, ControlRequest::Cancel)
            .await?
    );
    assert!(
        !store
            .request_control(&scope, RunId::new(), ControlRequest::Cancel)
            .await?
    );
    assert_eq!(
        pairs(store.take_control_requests(&me).await?),
        vec![(r1, ControlRequest::Pause)]
    );
    assert!(pairs(store.take_control_requests(&me).await?).is_empty());
    // A later request replaces an earlier one not yet taken.
    assert!(
        store
            .request_control(&scope, r1, ControlRequest::Pause)
            .await?
    );
    assert!(
        store
            .request_control(&scope, r1, ControlRequest::Resume)
            .await?
    );
    assert!(store.claim_run(&me, r2).await?);
    assert_eq!(
        pairs(store.take_control_requests(&me).await?),
        vec![(r1, ControlRequest::Resume), (r2, ControlRequest::Cancel)]
    );

    let done = RunUpdate {
        status: Some(RunStatus::Cancelled),
        ..RunUpdate::default()
    };
    store.write(batch(r2, 1, 1, Some(done))).wait().await?;
    assert!(
        !store
            .request_control(&scope, r2, ControlRequest::Resume)
            .await?
    );
    Ok(())
}

/// `ready` succeeds on a working store, and `wait_for_work` returns by its timeout.
pub async fn ready_and_wait_for_work_return(store: Arc<dyn Store>) -> CheckResult {
    store.ready().await?;
    let waited = tokio::time::timeout(
        Duration::from_secs(10),
        store.wait_for_work(Duration::from_millis(50)),
    )
    .await;
    assert!(waited.is_ok(), "wait_for_work outlived its timeout");
    Ok(())
}

/// A handle's live owner keeps its runs from another handle's owners; once that handle is
/// dropped, its runs become claimable by the other.
pub async fn a_live_owner_keeps_its_runs_until_its_handle_is_dropped(
    fixture: &dyn Fixture,
) -> CheckResult {
    let (store_a, store_b) = (fixture.open().await?, fixture.open().await?);
    let scope = org("a");
    let id = create(&store_a, &scope).await?;
    assert_eq!(
        ids(&store_b.claimable_runs(Utc::now(), 10).await?),
        vec![id]
    );
    assert_eq!(store_b.live_owners().await?, 0);
    let a = store_a.register_owner().await?;
    let b = store_b.register_owner().await?;
    assert_ne!(a, b);
    assert_eq!(
        store_b.live_owners().await?,
        2,
        "both handles' owners are alive"
    );
    assert!(store_a.claim_run(&a, id).await?);
    assert!(!store_b.claim_run(&b, id).await?, "a live owner holds it");
    assert!(store_b.claimable_runs(Utc::now(), 10).await?.is_empty());
    store_b.release_run(&b, id).await?;
    assert!(!store_b.claim_run(&b, id).await?);

    drop(store_a);
    eventually(
        "the dropped handle's run becoming claimable",
        Duration::from_secs(10),
        || {
            let store_b = Arc::clone(&store_b);
            async move { Ok(ids(&store_b.claimable_runs(Utc::now(), 10).await?) == vec![id]) }
        },
    )
    .await?;
    assert_eq!(
        store_b.live_owners().await?,
        1,
        "the dropped handle's owner is gone"
    );
    assert!(store_b.claim_run(&b, id).await?);
    assert!(store_b.claimable_runs(Utc::now(), 10).await?.is_empty());
    Ok(())
}

/// Owners on two handles claiming one free run at once: exactly one wins, every time.
pub async fn concurrent_claims_have_one_winner(fixture: &dyn Fixture) -> CheckResult {
    let handles = [fixture.open().await?, fixture.open().await?];
    let scope = org("a");
    let mut owners = Vec::new();
    for i in 0..8 {
        let store = &handles[i % 2];
        owners.push((Arc::clone(store), store.register_owner().await?));
    }
    for round in 0..10 {
        let id = create(&handles[round % 2], &scope).await?;
        let wins = race(owners.len(), |i| {
            let (store, owner) = (Arc::clone(&owners[i].0), owners[i].1.clone());
            async move { store.claim_run(&owner, id).await }
        })
        .await?;
        let winners = wins.iter().filter(|w| **w).count();
        assert_eq!(
            winners, 1,
            "round {round}: {winners} owners claimed one run"
        );
        let winner = wins.iter().position(|w| *w).ok_or("no winner")?;
        // The winner holds it: everyone else is still refused.
        for (i, (store, owner)) in owners.iter().enumerate() {
            assert_eq!(store.claim_run(owner, id).await?, i == winner);
        }
    }
    Ok(())
}

/// The taken requests as (run, request) pairs, checking each carries its run's organization.
fn pairs(taken: Vec<weft_store_api::TakenControl>) -> Vec<(RunId, ControlRequest)> {
    taken
        .into_iter()
        .map(|t| {
            assert_eq!(
                t.scope.org_id, "a",
                "a taken request names its run's organization"
            );
            (t.run_id, t.request)
        })
        .collect()
}

/// A run created owned is claimed by its creator in the same transaction: another owner cannot
/// claim it, it is not claimable, and its journal is empty; creating it again by its
/// idempotency key finds it without owning it.
pub async fn runs_created_owned_belong_to_their_creator(store: Arc<dyn Store>) -> CheckResult {
    let scope = org("a");
    let v = version(&store, &scope, "flow").await?;
    let (me, other) = (store.register_owner().await?, store.register_owner().await?);
    let mut run = new_run(&v, "flow");
    run.idempotency_key = Some("k".into());
    let (record, created, owned) = store.create_run_owned(&scope, run.clone(), &me).await?;
    assert!(created);
    assert!(owned, "a new run is claimed by its creator");
    assert!(
        !store.claim_run(&other, record.id).await?,
        "another owner cannot claim it"
    );
    assert!(store.claimable_runs(Utc::now(), 10).await?.is_empty());
    assert!(store.load_journal(&scope, record.id).await?.is_empty());
    assert!(
        store.claim_run(&me, record.id).await?,
        "claiming it again is idempotent"
    );

    run.id = RunId::new();
    let (again, created, owned) = store.create_run_owned(&scope, run, &other).await?;
    assert_eq!(
        again.id, record.id,
        "the idempotency key finds the first run"
    );
    assert!(!created && !owned);
    Ok(())
}

/// A run created with its first write exists only from that commit on, owned by its creator,
/// in the state the batch's update leaves a new run in (the same as `RunUpdate::apply_to`);
/// writes queued after it land after it; keys and other organizations' versions are refused.
pub async fn runs_created_with_their_first_write(store: Arc<dyn Store>) -> CheckResult {
    let scope = org("a");
    let v = version(&store, &scope, "flow").await?;
    let (me, other) = (store.register_owner().await?, store.register_owner().await?);

    // Created and finished in one write: nothing left to claim, the row as in memory.
    let run = new_run(&v, "flow");
    let finished = RunUpdate {
        status: Some(RunStatus::Succeeded),
        started_at: Some(at(1)),
        output: Some(serde_json::json!([{"x": 11}])),
        finished_at: Some(at(2)),
        wake_at: Some(None),
        release_owner: true,
        ..RunUpdate::default()
    };
    let mut expected = weft_store_api::RunRecord {
        id: run.id,
        scope: scope.clone(),
        workflow_version_id: run.workflow_version_id.clone(),
        workflow_id: run.workflow_id.clone(),
        workflow_name: run.workflow_name.clone(),
        status: RunStatus::Queued,
        input: run.input.clone(),
        output: None,
        error: None,
        parent: None,
        idempotency_key: None,
        created_at: run.created_at,
        started_at: None,
        finished_at: None,
        wake_at: None,
        deadline_at: run.deadline_at,
        control: None,
    };
    finished.apply_to(&mut expected);
    store
        .create_with_write(
            &scope,
            run.clone(),
            &me,
            batch(run.id, 1, 3, Some(finished)),
        )
        .wait()
        .await?;
    assert_eq!(store.get_run(&scope, run.id).await?, Some(expected));
    assert_eq!(store.load_journal(&scope, run.id).await?.len(), 3);
    assert!(store.claimable_runs(Utc::now(), 10).await?.is_empty());
    assert_eq!(store.get_run(&org("b"), run.id).await?, None);

    // Created running and written on without waiting for the creation: order is kept, and the
    // run belongs to its creator until released.
    let run = new_run(&v, "flow");
    let running = RunUpdate {
        status: Some(RunStatus::Running),
        started_at: Some(at(1)),
        ..RunUpdate::default()
    };
    let first =
        store.create_with_write(&scope, run.clone(), &me, batch(run.id, 1, 2, Some(running)));
    let second = store.write(batch(run.id, 3, 4, None));
    first.wait().await?;
    second.wait().await?;
    assert_eq!(store.load_journal(&scope, run.id).await?.len(), 4);
    let row = store.get_run(&scope, run.id).await?.ok_or("missing")?;
    assert_eq!(
        (row.status, row.started_at),
        (RunStatus::Running, Some(at(1)))
    );
    assert!(
        !store.claim_run(&other, run.id).await?,
        "its creator holds it"
    );
    assert!(store.claimable_runs(Utc::now(), 10).await?.is_empty());
    store.release_run(&me, run.id).await?;
    assert_eq!(
        ids(&store.claimable_runs(Utc::now(), 10).await?),
        vec![run.id]
    );

    // What it refuses, writing nothing.
    let mut keyed = new_run(&v, "flow");
    keyed.idempotency_key = Some("k".into());
    let refused = store
        .create_with_write(&scope, keyed.clone(), &me, batch(keyed.id, 1, 1, None))
        .wait()
        .await;
    assert!(
        refused.is_err(),
        "a keyed run needs create_run: {refused:?}"
    );
    let foreign = new_run(&v, "flow");
    let refused = store
        .create_with_write(
            &org("b"),
            foreign.clone(),
            &me,
            batch(foreign.id, 1, 1, None),
        )
        .wait()
        .await;
    assert!(
        matches!(refused, Err(weft_store_api::StoreError::NotFound { .. })),
        "another organization's version: {refused:?}"
    );
    let gap = new_run(&v, "flow");
    let refused = store
        .create_with_write(&scope, gap.clone(), &me, batch(gap.id, 2, 3, None))
        .wait()
        .await;
    assert!(refused.is_err(), "entries start at 1: {refused:?}");
    for id in [keyed.id, foreign.id, gap.id] {
        assert_eq!(store.get_run(&scope, id).await?, None);
        assert_eq!(store.get_run(&org("b"), id).await?, None);
    }
    Ok(())
}
