//! Publishing and triggers: routes, schedules, listeners, deletion, isolation.

use super::*;

/// Publishing registers routes, schedules and listeners; republishing replaces them;
/// unpublishing removes them. A version that does not exist cannot be published.
pub async fn publish_registers_triggers_and_unpublish_removes_them(
    cp: Arc<dyn ControlPlane>,
    _st: Arc<dyn Store>,
) -> CheckResult {
    let a = org("org-a");
    create(&cp, &a, "wf-src", "source").await?;
    let (_, v1) = cp.create_workflow(&a, workflow("wf-1", "target")).await?;
    let (w, v2) = cp
        .update_workflow(&a, "wf-1", None, version("target", 2, 10))
        .await?;
    let v2 = v2.ok_or("no version 2")?;

    let hook = route("POST", "orders/:id");
    let cron = schedule("nightly", Some(300));
    let watch = listener("after-source", "wf-src", &["failed"]);
    let triggers = PublishedTriggers {
        webhooks: vec![hook.clone()],
        schedules: vec![cron.clone()],
        listeners: vec![watch.clone()],
    };
    let published = cp
        .publish(&a, "wf-1", Some(w.revision), Some(1), triggers, t(50))
        .await?;
    assert_eq!(published.published_version, Some(1));
    assert_eq!(published.revision, w.revision + 1);
    assert_eq!(published.updated_at, t(50));
    assert_eq!(cp.get_workflow(&a, "wf-1").await?, Some(published.clone()));

    assert_eq!(
        cp.webhook_routes().await?,
        vec![RouteEntry {
            scope: a.clone(),
            workflow_id: "wf-1".into(),
            version_id: v1.version_id.clone(),
            route: hook,
        }]
    );
    let listed = cp.list_schedules(&a).await?;
    let [s] = listed.as_slice() else {
        return Err(format!("expected one schedule, got {listed:?}").into());
    };
    assert_eq!(
        (s.workflow_id.as_str(), s.scope.clone()),
        ("wf-1", a.clone())
    );
    assert_eq!(s.version_id, v1.version_id);
    assert_eq!(s.spec, cron);
    assert!(s.enabled);
    assert_eq!((s.last_fire_at, s.last_run_id), (None, None));
    assert_eq!(cp.get_schedule(&a, &s.id).await?.as_ref(), Some(s));
    let listeners = cp.listeners_of(&a, "wf-src").await?;
    assert_eq!(listeners.len(), 1);
    assert_eq!(
        (
            listeners[0].workflow_id.as_str(),
            &listeners[0].version_id,
            &listeners[0].spec
        ),
        ("wf-1", &v1.version_id, &watch)
    );

    // Republishing another version replaces the rows.
    let get = route("GET", "orders");
    let changed = ScheduleSpec {
        cron: "0 3 * * *".into(),
        ..schedule("nightly", Some(600))
    };
    let again = PublishedTriggers {
        webhooks: vec![get.clone()],
        schedules: vec![changed.clone()],
        listeners: Vec::new(),
    };
    let republished = cp
        .publish(&a, "wf-1", Some(published.revision), Some(2), again, t(60))
        .await?;
    assert_eq!(republished.published_version, Some(2));
    assert_eq!(republished.revision, published.revision + 1);
    let routes = cp.webhook_routes().await?;
    assert_eq!(routes.len(), 1);
    assert_eq!(
        (&routes[0].route, &routes[0].version_id),
        (&get, &v2.version_id)
    );
    let s2 = cp
        .get_schedule(&a, &s.id)
        .await?
        .ok_or("the schedule lost its id")?;
    assert_eq!(
        (s2.spec.clone(), s2.version_id.clone()),
        (changed, v2.version_id.clone())
    );
    assert!(cp.listeners_of(&a, "wf-src").await?.is_empty());

    // A version that does not exist: nothing changes.
    not_found(
        cp.publish(
            &a,
            "wf-1",
            None,
            Some(9),
            PublishedTriggers::default(),
            t(70),
        )
        .await,
    )?;
    assert_eq!(
        cp.get_workflow(&a, "wf-1").await?,
        Some(republished.clone())
    );
    assert_eq!(cp.webhook_routes().await?.len(), 1);

    let unpublished = cp
        .publish(
            &a,
            "wf-1",
            Some(republished.revision),
            None,
            PublishedTriggers::default(),
            t(80),
        )
        .await?;
    assert_eq!(unpublished.published_version, None);
    assert_eq!(unpublished.revision, republished.revision + 1);
    assert!(cp.webhook_routes().await?.is_empty());
    assert!(cp.list_schedules(&a).await?.is_empty());
    assert_eq!(cp.get_schedule(&a, &s.id).await?, None);
    assert!(cp.listeners_of(&a, "wf-src").await?.is_empty());
    Ok(())
}

/// A schedule whose trigger stays across a republish keeps its id, pause and last fire.
pub async fn republish_keeps_schedule_state(
    cp: Arc<dyn ControlPlane>,
    _st: Arc<dyn Store>,
) -> CheckResult {
    let a = org("org-a");
    create(&cp, &a, "wf-1", "orders").await?;
    publish(
        &cp,
        &a,
        "wf-1",
        schedules(&[schedule("s1", Some(100)), schedule("s2", Some(100))]),
    )
    .await?;
    let before = cp.list_schedules(&a).await?;
    let id = |trigger: &str, list: &[weft_store_api::control::ScheduleRecord]| {
        list.iter()
            .find(|s| s.spec.trigger_id == trigger)
            .map(|s| s.id.clone())
            .ok_or_else(|| format!("no schedule {trigger}"))
    };
    let (s1, s2) = (id("s1", &before)?, id("s2", &before)?);
    assert!(cp.set_schedule_enabled(&a, &s1, false, None).await?);
    let run = RunId::new();
    assert!(
        cp.advance_schedule(&s2, t(100), Some(t(200)), t(101), Some(run))
            .await?
    );

    let specs = [
        schedule("s1", Some(500)),
        schedule("s2", Some(500)),
        schedule("s3", Some(500)),
    ];
    publish(&cp, &a, "wf-1", schedules(&specs)).await?;
    let after = cp.list_schedules(&a).await?;
    assert_eq!(after.len(), 3);
    assert_eq!(
        (id("s1", &after)?, id("s2", &after)?),
        (s1.clone(), s2.clone())
    );
    let get = |id: String| {
        let cp = Arc::clone(&cp);
        async move { cp.get_schedule(&org("org-a"), &id).await }
    };
    let r1 = get(s1.clone()).await?.ok_or("s1 vanished")?;
    assert!(!r1.enabled);
    let r2 = get(s2.clone()).await?.ok_or("s2 vanished")?;
    assert!(r2.enabled);
    assert_eq!((r2.last_fire_at, r2.last_run_id), (Some(t(101)), Some(run)));
    assert_eq!(r2.spec.next_fire_at, Some(t(500)));
    let r3 = get(id("s3", &after)?).await?.ok_or("s3 missing")?;
    assert!(r3.enabled);

    publish(&cp, &a, "wf-1", schedules(&[schedule("s3", Some(500))])).await?;
    let last = cp.list_schedules(&a).await?;
    assert_eq!(last.len(), 1);
    assert_eq!(get(s1).await?, None);
    assert_eq!(get(s2).await?, None);
    Ok(())
}

/// A webhook `(method, path)` belongs to one workflow in the whole deployment; `ANY`
/// overlaps every method of its path. A refused publish changes nothing.
pub async fn webhook_paths_are_unique_across_the_deployment(
    cp: Arc<dyn ControlPlane>,
    _st: Arc<dyn Store>,
) -> CheckResult {
    let (a, b) = (org("org-a"), org("org-b"));
    for (scope, id) in [(&a, "wf-a1"), (&b, "wf-b1"), (&a, "wf-c"), (&a, "wf-d")] {
        create(&cp, scope, id, id).await?;
    }
    publish(&cp, &a, "wf-a1", hooks(&[route("POST", "orders")])).await?;

    let b1 = cp.get_workflow(&b, "wf-b1").await?;
    assert_eq!(
        error(publish(&cp, &b, "wf-b1", hooks(&[route("POST", "orders")])).await)?,
        StoreError::NameTaken {
            what: "webhook path",
            name: "POST orders".into(),
            other_id: "wf-a1".into()
        }
    );
    assert_eq!(cp.get_workflow(&b, "wf-b1").await?, b1);
    publish(&cp, &b, "wf-b1", hooks(&[route("GET", "orders")])).await?;

    match error(publish(&cp, &a, "wf-c", hooks(&[route("ANY", "orders")])).await)? {
        StoreError::NameTaken {
            what: "webhook path",
            name,
            other_id,
        } => {
            assert_eq!(name, "ANY orders");
            assert!(other_id == "wf-a1" || other_id == "wf-b1", "{other_id}");
        }
        other => return Err(format!("expected NameTaken, got {other:?}").into()),
    }
    publish(&cp, &a, "wf-c", hooks(&[route("ANY", "hooks")])).await?;
    let before = cp.webhook_routes().await?;
    let b1 = cp.get_workflow(&b, "wf-b1").await?;
    let both = hooks(&[route("GET", "orders"), route("PUT", "hooks")]);
    assert_eq!(
        error(publish(&cp, &b, "wf-b1", both).await)?,
        StoreError::NameTaken {
            what: "webhook path",
            name: "PUT hooks".into(),
            other_id: "wf-c".into()
        }
    );
    assert_eq!(cp.webhook_routes().await?, before);
    assert_eq!(cp.get_workflow(&b, "wf-b1").await?, b1);

    // Routes of one publish must not overlap each other either.
    for routes in [
        [route("GET", "x"), route("ANY", "x")],
        [route("POST", "y"), route("POST", "y")],
    ] {
        match error(publish(&cp, &a, "wf-d", hooks(&routes)).await)? {
            StoreError::NameTaken {
                what: "webhook path",
                ..
            } => {}
            other => return Err(format!("expected NameTaken, got {other:?}").into()),
        }
    }
    assert_eq!(
        cp.get_workflow(&a, "wf-d")
            .await?
            .and_then(|w| w.published_version),
        None
    );

    // A workflow's own routes do not conflict with its republish; other paths are free.
    publish(
        &cp,
        &a,
        "wf-a1",
        hooks(&[route("POST", "orders"), route("POST", "orders/:id")]),
    )
    .await?;
    publish(
        &cp,
        &a,
        "wf-d",
        hooks(&[route("GET", "x"), route("POST", "x")]),
    )
    .await?;
    // Once unpublished, the path is free for others.
    cp.publish(&a, "wf-a1", None, None, PublishedTriggers::default(), t(60))
        .await?;
    publish(&cp, &b, "wf-b1", hooks(&[route("POST", "orders")])).await?;

    let mut routes = route_paths(&cp.webhook_routes().await?);
    routes.sort();
    let expected = [
        ("wf-b1", "POST", "orders"),
        ("wf-c", "ANY", "hooks"),
        ("wf-d", "GET", "x"),
        ("wf-d", "POST", "x"),
    ]
    .map(|(w, m, p)| (w.to_string(), m.to_string(), p.to_string()));
    assert_eq!(routes, expected);
    Ok(())
}

/// The routes generation moves whenever the webhook table changes (and with listeners, see
/// [`listeners_are_found_by_source`]), and not on a refused publish.
pub async fn routes_generation_follows_the_webhook_table(
    cp: Arc<dyn ControlPlane>,
    _st: Arc<dyn Store>,
) -> CheckResult {
    let a = org("org-a");
    create(&cp, &a, "wf-1", "one").await?;
    create(&cp, &a, "wf-2", "two").await?;
    cp.update_workflow(&a, "wf-1", None, version("one", 2, 10))
        .await?;
    let g0 = cp.routes_generation().await?;
    publish(&cp, &a, "wf-1", hooks(&[route("POST", "a")])).await?;
    let g1 = cp.routes_generation().await?;
    assert_ne!(g1, g0);

    // Another version with the same route: the table points elsewhere now.
    cp.publish(
        &a,
        "wf-1",
        None,
        Some(2),
        hooks(&[route("POST", "a")]),
        t(20),
    )
    .await?;
    let g2 = cp.routes_generation().await?;
    assert_ne!(g2, g1);
    assert_eq!(cp.webhook_routes().await?.len(), 1);

    publish(&cp, &a, "wf-1", hooks(&[route("POST", "b")])).await?;
    let g3 = cp.routes_generation().await?;
    assert_ne!(g3, g2);

    assert!(error(publish(&cp, &a, "wf-2", hooks(&[route("ANY", "b")])).await).is_ok());
    assert_eq!(cp.routes_generation().await?, g3);

    cp.publish(&a, "wf-1", None, None, PublishedTriggers::default(), t(30))
        .await?;
    let g4 = cp.routes_generation().await?;
    assert_ne!(g4, g3);

    publish(&cp, &a, "wf-2", hooks(&[route("ANY", "b")])).await?;
    let g5 = cp.routes_generation().await?;
    assert_ne!(g5, g4);
    assert!(cp.delete_workflow(&a, "wf-2", None).await?);
    assert_ne!(cp.routes_generation().await?, g5);
    assert!(cp.webhook_routes().await?.is_empty());
    Ok(())
}

/// Due schedules are the enabled ones whose tick has come, earliest first; pausing and
/// resuming (with a new first tick) move them in and out.
pub async fn schedules_pause_resume_and_come_due_in_order(
    cp: Arc<dyn ControlPlane>,
    _st: Arc<dyn Store>,
) -> CheckResult {
    let a = org("org-a");
    for (id, next) in [
        ("w1", Some(20)),
        ("w2", Some(10)),
        ("w3", Some(30)),
        ("w4", None),
    ] {
        create(&cp, &a, id, id).await?;
        publish(&cp, &a, id, schedules(&[schedule("cron", next)])).await?;
    }
    let listed = cp.list_schedules(&a).await?;
    let by_workflow: Vec<&str> = listed.iter().map(|s| s.workflow_id.as_str()).collect();
    assert_eq!(by_workflow, ["w1", "w2", "w3", "w4"]);
    let id_of = |w: &str| {
        listed
            .iter()
            .find(|s| s.workflow_id == w)
            .map(|s| s.id.clone())
            .unwrap_or_default()
    };
    let due = |now: i64, limit: usize| {
        let cp = Arc::clone(&cp);
        async move {
            let due = cp.due_schedules(t(now), limit).await?;
            Ok::<_, StoreError>(due.into_iter().map(|s| s.workflow_id).collect::<Vec<_>>())
        }
    };

    assert!(due(5, 10).await?.is_empty());
    assert_eq!(due(20, 10).await?, ["w2", "w1"]);
    assert_eq!(due(20, 1).await?, ["w2"]);
    assert_eq!(cp.next_schedule_at().await?, Some(t(10)));

    assert!(
        cp.set_schedule_enabled(&a, &id_of("w2"), false, None)
            .await?
    );
    let paused = cp
        .get_schedule(&a, &id_of("w2"))
        .await?
        .ok_or("paused schedule vanished")?;
    assert!(!paused.enabled);
    assert_eq!(due(20, 10).await?, ["w1"]);
    assert_eq!(cp.next_schedule_at().await?, Some(t(20)));

    assert!(
        cp.set_schedule_enabled(&a, &id_of("w2"), true, Some(t(25)))
            .await?
    );
    let resumed = cp
        .get_schedule(&a, &id_of("w2"))
        .await?
        .ok_or("resumed schedule vanished")?;
    assert!(resumed.enabled);
    assert_eq!(resumed.spec.next_fire_at, Some(t(25)));
    assert_eq!(due(24, 10).await?, ["w1"]);
    assert_eq!(due(25, 10).await?, ["w1", "w2"]);
    assert_eq!(due(1000, 10).await?, ["w1", "w2", "w3"]);
    assert!(!cp.set_schedule_enabled(&a, "missing", false, None).await?);
    Ok(())
}

/// `advance_schedule` is a compare-and-set on `next_fire_at`: of concurrent advances of one
/// tick exactly one wins; a stale tick, an unknown or a paused schedule never does.
pub async fn advance_schedule_is_compare_and_set(
    cp: Arc<dyn ControlPlane>,
    _st: Arc<dyn Store>,
) -> CheckResult {
    let a = org("org-a");
    create(&cp, &a, "wf-1", "cron").await?;
    publish(&cp, &a, "wf-1", schedules(&[schedule("cron", Some(10))])).await?;
    let id = cp
        .list_schedules(&a)
        .await?
        .first()
        .map(|s| s.id.clone())
        .ok_or("no schedule")?;
    let get = || {
        let (cp, id) = (Arc::clone(&cp), id.clone());
        async move {
            cp.get_schedule(&org("org-a"), &id)
                .await?
                .ok_or_else(|| BoxError::from("schedule vanished"))
        }
    };

    let run = RunId::new();
    assert!(
        cp.advance_schedule(&id, t(10), Some(t(70)), t(11), Some(run))
            .await?
    );
    let s = get().await?;
    assert_eq!(
        (s.spec.next_fire_at, s.last_fire_at, s.last_run_id),
        (Some(t(70)), Some(t(11)), Some(run))
    );
    assert!(
        !cp.advance_schedule(&id, t(10), Some(t(130)), t(12), None)
            .await?
    );
    assert_eq!(get().await?, s);
    assert!(
        !cp.advance_schedule("missing", t(70), None, t(71), None)
            .await?
    );

    // Concurrent schedulers that saw the same tick.
    assert!(cp.set_schedule_enabled(&a, &id, true, Some(t(100))).await?);
    let results = race(8, |i| {
        let (cp, id, run) = (Arc::clone(&cp), id.clone(), RunId::new());
        async move {
            let fired = t(100 + i as i64);
            let won = cp
                .advance_schedule(&id, t(100), Some(t(160)), fired, Some(run))
                .await?;
            Ok(won.then_some(run))
        }
    })
    .await?;
    let winners: Vec<RunId> = results.into_iter().flatten().collect();
    assert_eq!(winners.len(), 1);
    let s = get().await?;
    assert_eq!(
        (s.spec.next_fire_at, s.last_run_id),
        (Some(t(160)), Some(winners[0]))
    );

    // A schedule paused after its tick was seen does not fire it.
    assert!(cp.set_schedule_enabled(&a, &id, false, None).await?);
    assert!(
        !cp.advance_schedule(&id, t(160), Some(t(220)), t(161), None)
            .await?
    );

    // The last tick: nothing more to fire.
    assert!(cp.set_schedule_enabled(&a, &id, true, Some(t(200))).await?);
    assert!(cp.advance_schedule(&id, t(200), None, t(201), None).await?);
    assert_eq!(get().await?.spec.next_fire_at, None);
    assert!(cp.due_schedules(t(100_000), 10).await?.is_empty());
    assert_eq!(cp.next_schedule_at().await?, None);
    Ok(())
}

/// Published listeners are found by the workflow they watch, in its organization.
pub async fn listeners_are_found_by_source(
    cp: Arc<dyn ControlPlane>,
    _st: Arc<dyn Store>,
) -> CheckResult {
    let a = org("org-a");
    for id in ["src-1", "src-2", "l-1", "l-2"] {
        create(&cp, &a, id, id).await?;
    }
    let l1 = listener("on-src-1", "src-1", &["succeeded"]);
    let l2a = listener("any-src-1", "src-1", &[]);
    let l2b = listener("fail-src-2", "src-2", &["failed", "cancelled"]);
    let only = |l: &[ListenerSpec]| PublishedTriggers {
        listeners: l.to_vec(),
        ..PublishedTriggers::default()
    };
    // Processes cache listeners by the routes generation: it moves with them.
    let g0 = cp.routes_generation().await?;
    publish(&cp, &a, "l-1", only(std::slice::from_ref(&l1))).await?;
    let g1 = cp.routes_generation().await?;
    assert_ne!(g1, g0, "publishing a listener moves the generation");
    publish(&cp, &a, "l-2", only(&[l2a.clone(), l2b.clone()])).await?;
    assert_ne!(cp.routes_generation().await?, g1);

    let mut of1 = cp.listeners_of(&a, "src-1").await?;
    of1.sort_by(|x, y| x.workflow_id.cmp(&y.workflow_id));
    let specs: Vec<(&str, &ListenerSpec)> = of1
        .iter()
        .map(|l| (l.workflow_id.as_str(), &l.spec))
        .collect();
    assert_eq!(specs, [("l-1", &l1), ("l-2", &l2a)]);
    let of2 = cp.listeners_of(&a, "src-2").await?;
    assert_eq!(of2.len(), 1);
    assert_eq!((of2[0].workflow_id.as_str(), &of2[0].spec), ("l-2", &l2b));
    assert!(cp.listeners_of(&a, "l-1").await?.is_empty());

    // A listener's source must be a workflow of the organization.
    not_found(publish(&cp, &a, "l-1", only(&[listener("x", "missing", &[])])).await)?;
    let g2 = cp.routes_generation().await?;
    cp.publish(&a, "l-1", None, None, PublishedTriggers::default(), t(60))
        .await?;
    assert_ne!(
        cp.routes_generation().await?,
        g2,
        "unpublishing a listener moves the generation"
    );
    let rest: Vec<String> = cp
        .listeners_of(&a, "src-1")
        .await?
        .into_iter()
        .map(|l| l.workflow_id)
        .collect();
    assert_eq!(rest, ["l-2"]);
    Ok(())
}

/// Deleting removes the workflow, its versions' records and its triggers; documents and runs
/// stay, and the name and paths are free again.
pub async fn delete_removes_the_workflow_and_its_triggers(
    cp: Arc<dyn ControlPlane>,
    st: Arc<dyn Store>,
) -> CheckResult {
    let a = org("org-a");
    create(&cp, &a, "src", "source").await?;
    let (_, v1) = cp.create_workflow(&a, workflow("wf-1", "orders")).await?;
    let triggers = PublishedTriggers {
        webhooks: vec![route("POST", "orders")],
        schedules: vec![schedule("cron", Some(10))],
        listeners: vec![listener("watch", "src", &[])],
    };
    let w = publish(&cp, &a, "wf-1", triggers).await?;
    let schedule_id = cp
        .list_schedules(&a)
        .await?
        .first()
        .map(|s| s.id.clone())
        .ok_or("no schedule")?;
    let (run, _) = st
        .create_run(
            &a,
            NewRun {
                id: RunId::new(),
                workflow_version_id: v1.version_id.clone(),
                workflow_id: Some("wf-1".into()),
                workflow_name: "orders".into(),
                input: json!([]),
                parent: None,
                idempotency_key: None,
                deadline_at: None,
                created_at: t(20),
            },
        )
        .await?;

    assert!(cp.delete_workflow(&a, "wf-1", Some(w.revision)).await?);
    assert_eq!(cp.get_workflow(&a, "wf-1").await?, None);
    not_found(cp.list_versions(&a, "wf-1").await)?;
    assert_eq!(cp.get_version(&a, "wf-1", 1).await?, None);
    assert!(cp.webhook_routes().await?.is_empty());
    assert!(cp.list_schedules(&a).await?.is_empty());
    assert_eq!(cp.get_schedule(&a, &schedule_id).await?, None);
    assert!(cp.due_schedules(t(1000), 10).await?.is_empty());
    assert!(cp.listeners_of(&a, "src").await?.is_empty());
    assert!(!cp.delete_workflow(&a, "wf-1", None).await?);

    assert_eq!(
        st.get_workflow_version(&a, &v1.version_id).await?,
        Some(doc("orders", 1))
    );
    let kept = st.get_run(&a, run.id).await?.ok_or("the run was deleted")?;
    assert_eq!(kept.workflow_id.as_deref(), Some("wf-1"));

    create(&cp, &a, "wf-2", "orders").await?;
    publish(&cp, &a, "wf-2", hooks(&[route("POST", "orders")])).await?;
    Ok(())
}

/// Another organization's workflows, versions, schedules and listeners are not found, and
/// no change through another organization's scope reaches them.
pub async fn workflows_are_isolated_by_org(
    cp: Arc<dyn ControlPlane>,
    st: Arc<dyn Store>,
) -> CheckResult {
    let (a, b) = (org("org-a"), org("org-b"));
    create(&cp, &a, "src-a", "source").await?;
    let (_, v1) = cp.create_workflow(&a, workflow("wf-a", "orders")).await?;
    let triggers = PublishedTriggers {
        webhooks: vec![route("POST", "orders")],
        schedules: vec![schedule("cron", Some(10))],
        listeners: vec![listener("watch", "src-a", &[])],
    };
    let wa = publish(&cp, &a, "wf-a", triggers).await?;
    let sched = cp
        .list_schedules(&a)
        .await?
        .first()
        .map(|s| s.id.clone())
        .ok_or("no schedule")?;
    create(&cp, &b, "wf-b", "mine").await?;

    assert_eq!(cp.get_workflow(&b, "wf-a").await?, None);
    let listed = cp
        .list_workflows(&b, &WorkflowFilter::default(), None, 10)
        .await?;
    assert_eq!(names(&listed.items), ["mine"]);
    not_found(cp.list_versions(&b, "wf-a").await)?;
    assert_eq!(cp.get_version(&b, "wf-a", 1).await?, None);
    assert_eq!(st.get_workflow_version(&b, &v1.version_id).await?, None);
    let rename = WorkflowUpdate {
        name: Some("stolen".into()),
        ..version("stolen", 2, 10)
    };
    not_found(cp.update_workflow(&b, "wf-a", None, rename).await)?;
    assert!(!cp.delete_workflow(&b, "wf-a", None).await?);
    not_found(
        cp.publish(&b, "wf-a", None, None, PublishedTriggers::default(), t(20))
            .await,
    )?;
    not_found(
        cp.publish(
            &b,
            "wf-a",
            None,
            Some(1),
            PublishedTriggers::default(),
            t(20),
        )
        .await,
    )?;

    assert!(cp.list_schedules(&b).await?.is_empty());
    assert_eq!(cp.get_schedule(&b, &sched).await?, None);
    assert!(!cp.set_schedule_enabled(&b, &sched, false, None).await?);
    assert!(cp.listeners_of(&b, "src-a").await?.is_empty());
    // A listener in org-b cannot watch a workflow of org-a.
    let spy = PublishedTriggers {
        listeners: vec![listener("spy", "src-a", &[])],
        ..PublishedTriggers::default()
    };
    not_found(publish(&cp, &b, "wf-b", spy).await)?;
    assert_eq!(
        cp.get_workflow(&b, "wf-b")
            .await?
            .and_then(|w| w.published_version),
        None
    );

    // Everything of org-a is as it was.
    assert_eq!(cp.get_workflow(&a, "wf-a").await?, Some(wa));
    assert_eq!(cp.list_versions(&a, "wf-a").await?.len(), 1);
    assert_eq!(cp.webhook_routes().await?.len(), 1);
    let s = cp
        .get_schedule(&a, &sched)
        .await?
        .ok_or("schedule vanished")?;
    assert!(s.enabled);
    assert_eq!(cp.listeners_of(&a, "src-a").await?.len(), 1);
    Ok(())
}
