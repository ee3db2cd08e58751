//! Workflow versions, run creation, reading, listing and tenant isolation.

use crate::{TestResult, at, batch, child_run, create, new_run, open, org, version};
use serde_json::json;
use weft_store_api::{
    ControlRequest, RunFilter, RunId, RunRecord, RunStatus, RunUpdate, Store, StoreError,
    TenantScope,
};

#[tokio::test]
async fn workflow_versions_are_deduplicated_by_content_per_org() -> TestResult {
    let (_dir, store) = open()?;
    let a = org("a");
    let doc = json!({"name": "w", "steps": [{"id": "s", "type": "noop"}]});
    let reordered: serde_json::Value =
        serde_json::from_str(r#"{"steps":[{"type":"noop","id":"s"}],"name":"w"}"#)?;
    let id1 = store.put_workflow_version(&a, "w", &doc).await?;
    let id2 = store.put_workflow_version(&a, "w", &reordered).await?;
    assert_eq!(id1, id2);
    assert_eq!(id1, weft_store::workflow_version_id("a", &doc));
    assert_eq!(
        store.get_workflow_version(&a, &id1).await?,
        Some(doc.clone())
    );
    let other = store
        .put_workflow_version(&a, "w", &json!({"name": "w", "steps": []}))
        .await?;
    assert_ne!(id1, other);
    // Another org gets its own id and cannot read org a's version.
    let b = org("b");
    assert_ne!(store.put_workflow_version(&b, "w", &doc).await?, id1);
    assert_eq!(store.get_workflow_version(&b, &other).await?, None);
    Ok(())
}

#[tokio::test]
async fn create_and_get_round_trip_every_field() -> TestResult {
    let (_dir, store) = open()?;
    let scope = TenantScope {
        org_id: "acme".into(),
        team_id: Some("ops".into()),
    };
    let v = version(&store, &scope, "flow").await?;
    let mut run = new_run(&v, "flow");
    run.idempotency_key = Some("order-1".into());
    run.deadline_at = Some(at(3600));
    run.created_at = at(0);
    let (rec, created) = store.create_run(&scope, run.clone()).await?;
    assert!(created);
    let expected = RunRecord {
        id: run.id,
        scope: scope.clone(),
        workflow_version_id: v.clone(),
        workflow_id: None,
        workflow_name: "flow".into(),
        status: RunStatus::Queued,
        input: run.input.clone(),
        output: None,
        error: None,
        parent: None,
        idempotency_key: Some("order-1".into()),
        created_at: at(0),
        started_at: None,
        finished_at: None,
        wake_at: None,
        deadline_at: Some(at(3600)),
        control: None,
    };
    assert_eq!(rec, expected);
    assert_eq!(store.get_run(&scope, run.id).await?, Some(expected.clone()));

    let update = RunUpdate {
        status: Some(RunStatus::Succeeded),
        output: Some(json!([{"ok": true}])),
        error: Some(json!(null)),
        started_at: Some(at(1)),
        finished_at: Some(at(2)),
        wake_at: Some(Some(at(5))),
        release_owner: true,
        clear_control: false,
    };
    store
        .write(batch(run.id, 1, 2, Some(update)))
        .wait()
        .await?;
    let got = store.get_run(&scope, run.id).await?.ok_or("run vanished")?;
    assert_eq!(got.status, RunStatus::Succeeded);
    assert_eq!(got.output, Some(json!([{"ok": true}])));
    assert_eq!(got.error, Some(json!(null)));
    assert_eq!(
        (got.started_at, got.finished_at, got.wake_at),
        (Some(at(1)), Some(at(2)), Some(at(5)))
    );
    assert_eq!(store.get_run(&scope, RunId::new()).await?, None);
    Ok(())
}

#[tokio::test]
async fn idempotent_creation_by_key_and_by_parent_key() -> TestResult {
    let (_dir, store) = open()?;
    let a = org("a");
    let v = version(&store, &a, "flow").await?;
    let mut first = new_run(&v, "flow");
    first.idempotency_key = Some("k1".into());
    let (rec1, created1) = store.create_run(&a, first.clone()).await?;
    let mut second = new_run(&v, "flow");
    second.idempotency_key = Some("k1".into());
    let (rec2, created2) = store.create_run(&a, second).await?;
    assert!(created1 && !created2);
    assert_eq!(rec1, rec2);
    assert_eq!(rec2.id, first.id);

    // The same key in another org is a different run.
    let b = org("b");
    let vb = version(&store, &b, "flow").await?;
    let mut in_b = new_run(&vb, "flow");
    in_b.idempotency_key = Some("k1".into());
    assert!(store.create_run(&b, in_b).await?.1);

    // Parent keys.
    let (c1, created) = store
        .create_run(&a, child_run(&v, first.id, "map/0"))
        .await?;
    assert!(created);
    let (c2, created) = store
        .create_run(&a, child_run(&v, first.id, "map/0"))
        .await?;
    assert!(!created);
    assert_eq!(c1.id, c2.id);
    assert!(
        store
            .create_run(&a, child_run(&v, first.id, "map/1"))
            .await?
            .1
    );
    assert_eq!(
        store
            .find_child_run(&a, first.id, "map/0")
            .await?
            .map(|r| r.id),
        Some(c1.id)
    );
    assert_eq!(store.find_child_run(&a, first.id, "map/9").await?, None);
    Ok(())
}

#[tokio::test]
async fn lists_newest_first_with_filters_and_pagination() -> TestResult {
    let (_dir, store) = open()?;
    let a = org("a");
    let va = version(&store, &a, "alpha").await?;
    let vb = version(&store, &a, "beta").await?;
    let mut ids = Vec::new();
    for i in 0..25 {
        let run = if i % 2 == 0 {
            new_run(&va, "alpha")
        } else {
            new_run(&vb, "beta")
        };
        ids.push(store.create_run(&a, run).await?.0.id);
    }
    let parent = ids[0];
    let mut children = Vec::new();
    for i in 0..3 {
        children.push(
            store
                .create_run(&a, crate::child_run(&va, parent, &format!("c{i}")))
                .await?
                .0
                .id,
        );
    }
    let done = RunUpdate {
        status: Some(RunStatus::Succeeded),
        ..RunUpdate::default()
    };
    for id in &ids[..5] {
        store
            .write(batch(*id, 1, 1, Some(done.clone())))
            .wait()
            .await?;
    }
    let mut all: Vec<RunId> = ids.iter().chain(&children).copied().collect();
    all.sort();
    all.reverse();

    // Pagination over everything.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = store
            .list_runs(&a, &RunFilter::default(), cursor.as_deref(), 10)
            .await?;
        pages += 1;
        seen.extend(page.items.iter().map(|r| r.id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, all);
    // An exact fit has no next page.
    let page = store
        .list_runs(&a, &RunFilter::default(), None, all.len())
        .await?;
    assert_eq!((page.items.len(), page.next_cursor), (all.len(), None));

    let by = |f: RunFilter| {
        let store = store.clone();
        let a = a.clone();
        async move { store.list_runs(&a, &f, None, 100).await.map(|p| p.items) }
    };
    let succeeded = by(RunFilter {
        statuses: vec![RunStatus::Succeeded],
        ..RunFilter::default()
    })
    .await?;
    assert_eq!(succeeded.len(), 5);
    let either = by(RunFilter {
        statuses: vec![RunStatus::Succeeded, RunStatus::Queued],
        ..RunFilter::default()
    });
    assert_eq!(either.await?.len(), all.len());
    let beta = by(RunFilter {
        workflow_name: Some("beta".into()),
        ..RunFilter::default()
    })
    .await?;
    assert_eq!(beta.len(), 12);
    assert!(beta.iter().all(|r| r.workflow_name == "beta"));
    let top = by(RunFilter {
        top_level_only: true,
        ..RunFilter::default()
    })
    .await?;
    assert_eq!(top.len(), 25);
    let kids = by(RunFilter {
        parent_run_id: Some(parent),
        ..RunFilter::default()
    })
    .await?;
    let mut expected_kids = children.clone();
    expected_kids.reverse();
    assert_eq!(kids.iter().map(|r| r.id).collect::<Vec<_>>(), expected_kids);

    assert!(matches!(
        store
            .list_runs(&a, &RunFilter::default(), Some("garbage"), 10)
            .await,
        Err(StoreError::Database(_))
    ));
    Ok(())
}

#[tokio::test]
async fn runs_of_one_org_are_invisible_to_another() -> TestResult {
    let (_dir, store) = open()?;
    let (a, b) = (org("a"), org("b"));
    let id = create(&store, &a).await?;
    let va = version(&store, &a, "flow").await?;
    store.create_run(&a, child_run(&va, id, "k")).await?;
    store.write(batch(id, 1, 2, None)).wait().await?;

    assert_eq!(store.get_run(&b, id).await?, None);
    assert!(
        store
            .list_runs(&b, &RunFilter::default(), None, 10)
            .await?
            .items
            .is_empty()
    );
    assert!(matches!(
        store.load_journal(&b, id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        !store
            .request_control(&b, id, ControlRequest::Cancel)
            .await?
    );
    assert_eq!(store.find_child_run(&b, id, "k").await?, None);
    assert_eq!(store.get_workflow_version(&b, &va).await?, None);

    // Still all visible to org a.
    assert!(store.get_run(&a, id).await?.is_some());
    assert_eq!(
        store
            .list_runs(&a, &RunFilter::default(), None, 10)
            .await?
            .items
            .len(),
        2
    );
    assert_eq!(store.load_journal(&a, id).await?.len(), 2);
    assert!(store.find_child_run(&a, id, "k").await?.is_some());
    assert!(
        store
            .request_control(&a, id, ControlRequest::Cancel)
            .await?
    );
    assert_eq!(
        store.get_run(&a, id).await?.and_then(|r| r.control),
        Some(ControlRequest::Cancel)
    );
    Ok(())
}
