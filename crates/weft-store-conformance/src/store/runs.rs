//! Workflow versions, run creation, reading, listing and tenant isolation.

use super::{
    BoxError, CheckResult, Fixture, at, batch, child, create, expect_not_found, new_run, org, race,
    version,
};
use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};
use std::sync::Arc;
use weft_store_api::{
    ControlRequest, RunFilter, RunId, RunRecord, RunStatus, RunUpdate, Store, StoreError,
    TenantScope,
};

/// The id every backend gives [`known_document`] in organization `acme`: hex SHA-256 of the
/// org id, a NUL byte and the canonical (sorted-key, whitespace-free) document JSON.
pub const KNOWN_VERSION_ID: &str =
    "473cac1da86ac989530b81e798fabb1748ddd00063170eb2a6e9343b0ec22788";

/// The document [`KNOWN_VERSION_ID`] is the id of (in organization `acme`).
pub fn known_document() -> Value {
    json!({"name": "w", "Zeta": [1.5, true, null, "é ☃\n"], "nodes": [{"type": "core.noop", "id": "a"}]})
}

/// Versions are content-addressed per organization with the shared rule, and documents come
/// back as stored, key order included.
pub async fn workflow_versions_are_content_addressed_per_org(store: Arc<dyn Store>) -> CheckResult {
    let acme = org("acme");
    let doc = known_document();
    let id = store.put_workflow_version(&acme, "w", &doc).await?;
    assert_eq!(id, KNOWN_VERSION_ID, "the content id rule differs");
    let back = store
        .get_workflow_version(&acme, &id)
        .await?
        .ok_or("stored version not found")?;
    assert_eq!(back, doc);
    let keys: Vec<&String> = back.as_object().ok_or("not an object")?.keys().collect();
    assert_eq!(keys, ["name", "Zeta", "nodes"], "key order was not kept");

    let reordered: Value = serde_json::from_str(
        r#"{"nodes":[{"id":"a","type":"core.noop"}],"Zeta":[1.5,true,null,"é ☃\n"],"name":"w"}"#,
    )?;
    assert_eq!(
        store.put_workflow_version(&acme, "w", &reordered).await?,
        id
    );
    let other = store
        .put_workflow_version(&acme, "w", &json!({"name": "w", "nodes": []}))
        .await?;
    assert_ne!(other, id);
    // Another org gets its own id and cannot read acme's versions.
    let b = org("b");
    let in_b = store.put_workflow_version(&b, "w", &doc).await?;
    assert_ne!(in_b, id);
    assert_eq!(store.get_workflow_version(&b, &id).await?, None);
    assert_eq!(store.get_workflow_version(&acme, &in_b).await?, None);
    Ok(())
}

/// Every field of a run survives creation and reading; a batch's update lands in the row.
pub async fn runs_round_trip_every_field(store: Arc<dyn Store>) -> CheckResult {
    let scope = TenantScope {
        org_id: "acme".into(),
        team_id: Some("ops".into()),
    };
    let v = version(&store, &scope, "flow").await?;
    let mut run = new_run(&v, "flow");
    run.idempotency_key = Some("order-1".into());
    run.deadline_at = Some(at(3600));
    run.workflow_id = Some("wf-1".into());
    run.input = json!([{"b": 2, "a": 1, "s": "ü\u{0}"}, {"n": 1.25}]);
    let (rec, created) = store.create_run(&scope, run.clone()).await?;
    assert!(created);
    let expected = RunRecord {
        id: run.id,
        scope: scope.clone(),
        workflow_version_id: v.clone(),
        workflow_id: Some("wf-1".into()),
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
    assert_eq!(store.get_run(&scope, run.id).await?, Some(expected));

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

/// Whatever precision a backend keeps, what `create_run` returns is what reads return later
/// (timestamps here have nanoseconds).
pub async fn records_read_back_equal_records_returned(store: Arc<dyn Store>) -> CheckResult {
    let scope = org("acme");
    let v = version(&store, &scope, "flow").await?;
    let now = Utc::now();
    let mut run = new_run(&v, "flow");
    run.created_at = now.with_timezone(&Utc) + TimeDelta::nanoseconds(999);
    run.deadline_at = Some(run.created_at + TimeDelta::nanoseconds(123_456_789));
    run.idempotency_key = Some("nanos".into());
    let (created, _) = store.create_run(&scope, run.clone()).await?;
    assert_eq!(
        store.get_run(&scope, run.id).await?.as_ref(),
        Some(&created)
    );
    let listed = store
        .list_runs(&scope, &RunFilter::default(), None, 10)
        .await?
        .items;
    assert_eq!(listed, vec![created.clone()]);
    let mut again = new_run(&v, "flow");
    again.idempotency_key = Some("nanos".into());
    assert_eq!(
        store.create_run(&scope, again).await?,
        (created.clone(), false)
    );
    // Kept timestamps are never later than given, and at most a microsecond earlier.
    let kept = created.created_at;
    assert!(kept <= run.created_at && run.created_at - kept < TimeDelta::microseconds(1));
    Ok(())
}

/// A run needs a workflow version of its organization, and a parent of its organization.
pub async fn create_needs_a_version_and_a_parent_of_the_org(store: Arc<dyn Store>) -> CheckResult {
    let (a, b) = (org("a"), org("b"));
    let va = version(&store, &a, "flow").await?;
    let parent = create(&store, &a).await?;
    match store.create_run(&b, new_run(&va, "flow")).await {
        Err(StoreError::NotFound {
            what: "workflow version",
            ..
        }) => {}
        other => return Err(format!("expected NotFound, got {other:?}").into()),
    }
    let vb = version(&store, &b, "flow").await?;
    match store.create_run(&b, child(&vb, parent, "k")).await {
        Err(StoreError::NotFound { what: "run", .. }) => {}
        other => return Err(format!("expected NotFound, got {other:?}").into()),
    }
    match store.create_run(&a, child(&va, RunId::new(), "k")).await {
        Err(StoreError::NotFound { what: "run", .. }) => {}
        other => return Err(format!("expected NotFound, got {other:?}").into()),
    }
    assert!(
        store
            .list_runs(&b, &RunFilter::default(), None, 10)
            .await?
            .items
            .is_empty()
    );
    Ok(())
}

/// A second create with a used idempotency key, or a used parent key, returns the first run.
pub async fn creation_is_idempotent_by_key_and_by_parent_key(store: Arc<dyn Store>) -> CheckResult {
    let a = org("a");
    let v = version(&store, &a, "flow").await?;
    let mut first = new_run(&v, "flow");
    first.idempotency_key = Some("k1".into());
    let (rec1, created1) = store.create_run(&a, first.clone()).await?;
    let mut second = new_run(&v, "flow");
    second.idempotency_key = Some("k1".into());
    let (rec2, created2) = store.create_run(&a, second.clone()).await?;
    assert!(created1 && !created2);
    assert_eq!(rec1, rec2);
    assert_eq!(rec2.id, first.id);
    assert_eq!(store.get_run(&a, second.id).await?, None);

    // The same key in another org is a different run.
    let b = org("b");
    let vb = version(&store, &b, "flow").await?;
    let mut in_b = new_run(&vb, "flow");
    in_b.idempotency_key = Some("k1".into());
    assert!(store.create_run(&b, in_b).await?.1);

    // Parent keys.
    let (c1, created) = store.create_run(&a, child(&v, first.id, "map/0")).await?;
    assert!(created);
    assert_eq!(
        c1.parent.as_ref().map(|p| (p.run_id, p.key.as_str())),
        Some((first.id, "map/0"))
    );
    let (c2, created) = store.create_run(&a, child(&v, first.id, "map/0")).await?;
    assert!(!created);
    assert_eq!(c1, c2);
    assert!(store.create_run(&a, child(&v, first.id, "map/1")).await?.1);
    assert_eq!(
        store
            .find_child_run(&a, first.id, "map/0")
            .await?
            .map(|r| r.id),
        Some(c1.id)
    );
    assert_eq!(store.find_child_run(&a, first.id, "map/9").await?, None);
    assert_eq!(store.find_child_run(&b, first.id, "map/0").await?, None);
    Ok(())
}

/// Listing is newest first, pages through everything, and filters by status, name, parent
/// and top level.
pub async fn lists_newest_first_with_filters_and_pages(store: Arc<dyn Store>) -> CheckResult {
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
        let kid = child(&va, parent, &format!("c{i}"));
        children.push(store.create_run(&a, kid).await?.0.id);
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
    // An exact fit has no next page; a limit of 0 is treated as 1.
    let page = store
        .list_runs(&a, &RunFilter::default(), None, all.len())
        .await?;
    assert_eq!((page.items.len(), page.next_cursor), (all.len(), None));
    let one = store.list_runs(&a, &RunFilter::default(), None, 0).await?;
    assert_eq!(one.items.len(), 1);
    assert_eq!(one.next_cursor, Some(all[0].to_string()));

    let by = |f: RunFilter| {
        let (store, a) = (Arc::clone(&store), a.clone());
        async move { store.list_runs(&a, &f, None, 100).await.map(|p| p.items) }
    };
    let succeeded = by(RunFilter {
        statuses: vec![RunStatus::Succeeded],
        ..RunFilter::default()
    })
    .await?;
    assert_eq!(succeeded.len(), 5);
    assert!(succeeded.iter().all(|r| r.status == RunStatus::Succeeded));
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
    let queued_alpha = by(RunFilter {
        statuses: vec![RunStatus::Queued],
        workflow_name: Some("alpha".into()),
        top_level_only: true,
        ..RunFilter::default()
    })
    .await?;
    assert_eq!(queued_alpha.len(), 10);

    assert!(matches!(
        store
            .list_runs(&a, &RunFilter::default(), Some("garbage"), 10)
            .await,
        Err(StoreError::Database(_))
    ));
    Ok(())
}

/// `workflow_ids` keeps runs of those stored workflows; `created_after` is inclusive,
/// `created_before` exclusive; filters combine with each other and with pages.
pub async fn lists_filter_by_workflow_and_creation_time(store: Arc<dyn Store>) -> CheckResult {
    let a = org("a");
    let v = version(&store, &a, "flow").await?;
    let mut made = Vec::new();
    for i in 0..12i64 {
        let mut run = new_run(&v, "flow");
        run.created_at = at(i * 10);
        run.workflow_id = match i % 3 {
            0 => Some("wf-a".into()),
            1 => Some("wf-b".into()),
            _ => None,
        };
        made.push((store.create_run(&a, run).await?.0, i));
    }
    let ids = |f: RunFilter| {
        let (store, a) = (Arc::clone(&store), a.clone());
        async move {
            let mut out = Vec::new();
            let mut cursor = None;
            loop {
                let page = store.list_runs(&a, &f, cursor.as_deref(), 2).await?;
                out.extend(page.items.iter().map(|r| r.id));
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => return Ok::<_, BoxError>(out),
                }
            }
        }
    };
    let expect = |keep: &dyn Fn(i64, Option<&str>) -> bool| {
        let mut v: Vec<RunId> = made
            .iter()
            .filter(|(r, i)| keep(*i, r.workflow_id.as_deref()))
            .map(|(r, _)| r.id)
            .collect();
        v.reverse();
        v
    };
    assert_eq!(
        ids(RunFilter {
            workflow_ids: vec!["wf-a".into()],
            ..RunFilter::default()
        })
        .await?,
        expect(&|_, w| w == Some("wf-a"))
    );
    assert_eq!(
        ids(RunFilter {
            workflow_ids: vec!["wf-a".into(), "wf-b".into()],
            ..RunFilter::default()
        })
        .await?,
        expect(&|_, w| w.is_some())
    );
    assert!(
        ids(RunFilter {
            workflow_ids: vec!["wf-none".into()],
            ..RunFilter::default()
        })
        .await?
        .is_empty()
    );
    assert_eq!(
        ids(RunFilter {
            created_after: Some(at(30)),
            ..RunFilter::default()
        })
        .await?,
        expect(&|i, _| i >= 3)
    );
    assert_eq!(
        ids(RunFilter {
            created_before: Some(at(30)),
            ..RunFilter::default()
        })
        .await?,
        expect(&|i, _| i < 3)
    );
    assert_eq!(
        ids(RunFilter {
            created_after: Some(at(20)),
            created_before: Some(at(90)),
            workflow_ids: vec!["wf-b".into()],
            ..RunFilter::default()
        })
        .await?,
        expect(&|i, w| (2..9).contains(&i) && w == Some("wf-b"))
    );
    // Another organization's runs never match, whatever the filter.
    let b = org("b");
    let in_b = store
        .list_runs(
            &b,
            &RunFilter {
                workflow_ids: vec!["wf-a".into()],
                ..RunFilter::default()
            },
            None,
            100,
        )
        .await?;
    assert!(in_b.items.is_empty());
    Ok(())
}

/// Runs, journals, children, control requests and versions of one org are not found by
/// another.
pub async fn runs_of_one_org_are_invisible_to_another(store: Arc<dyn Store>) -> CheckResult {
    let (a, b) = (org("a"), org("b"));
    let id = create(&store, &a).await?;
    let va = version(&store, &a, "flow").await?;
    store.create_run(&a, child(&va, id, "k")).await?;
    store.write(batch(id, 1, 2, None)).wait().await?;

    assert_eq!(store.get_run(&b, id).await?, None);
    assert!(
        store
            .list_runs(&b, &RunFilter::default(), None, 10)
            .await?
            .items
            .is_empty()
    );
    expect_not_found(store.load_journal(&b, id).await)?;
    assert!(
        !store
            .request_control(&b, id, ControlRequest::Cancel)
            .await?
    );
    assert_eq!(store.find_child_run(&b, id, "k").await?, None);
    assert_eq!(store.get_workflow_version(&b, &va).await?, None);

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

/// Many creates with one idempotency key, at once from two handles: one run, and every
/// caller gets it.
pub async fn concurrent_creates_with_one_key_make_one_run(fixture: &dyn Fixture) -> CheckResult {
    let handles = [fixture.open().await?, fixture.open().await?];
    let a = org("a");
    let v = version(&handles[0], &a, "flow").await?;
    for round in 0..5 {
        let key = format!("order-{round}");
        let results = race(16, |i| {
            let (store, a, v, key) = (
                Arc::clone(&handles[i % 2]),
                a.clone(),
                v.clone(),
                key.clone(),
            );
            async move {
                let mut run = new_run(&v, "flow");
                run.idempotency_key = Some(key);
                store.create_run(&a, run).await
            }
        })
        .await?;
        let created = results.iter().filter(|(_, c)| *c).count();
        assert_eq!(
            created, 1,
            "round {round}: {created} runs created for one key"
        );
        let first = &results[0].0;
        assert!(results.iter().all(|(r, _)| r == first));
    }
    let all = handles[1]
        .list_runs(&a, &RunFilter::default(), None, 100)
        .await?;
    assert_eq!(all.items.len(), 5);
    Ok::<(), BoxError>(())
}
