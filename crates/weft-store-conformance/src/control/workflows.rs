//! Workflows and versions: creation, names, listing, updates, revisions.

use super::*;

/// A new workflow has version 1, revision 1, sorted unique tags, and its document stored.
pub async fn workflows_are_created_with_version_one(
    cp: Arc<dyn ControlPlane>,
    st: Arc<dyn Store>,
) -> CheckResult {
    let a = org("org-a");
    let new = NewWorkflow {
        description: "Takes orders".into(),
        tags: vec!["sales".into(), "etl".into(), "sales".into()],
        created_at: t(5),
        ..workflow("wf-1", "orders")
    };
    let (w, v) = cp.create_workflow(&a, new).await?;
    assert_eq!(
        (w.id.as_str(), w.name.as_str(), w.description.as_str()),
        ("wf-1", "orders", "Takes orders")
    );
    assert_eq!(w.scope, a);
    assert_eq!(w.tags, ["etl", "sales"]);
    assert_eq!(
        (w.latest_version, w.published_version, w.revision),
        (1, None, 1)
    );
    assert_eq!((w.created_at, w.updated_at), (t(5), t(5)));
    assert_eq!((v.workflow_id.as_str(), v.number), ("wf-1", 1));
    assert_eq!((v.author.as_str(), v.message.as_str()), ("u-1", "created"));
    assert_eq!(v.created_at, t(5));
    assert!(!v.version_id.is_empty());

    assert_eq!(cp.get_workflow(&a, "wf-1").await?, Some(w));
    assert_eq!(cp.list_versions(&a, "wf-1").await?, vec![v.clone()]);
    assert_eq!(
        cp.get_version(&a, "wf-1", 1).await?,
        Some((v.clone(), doc("orders", 1)))
    );
    assert_eq!(cp.get_version(&a, "wf-1", 2).await?, None);
    // The version is the runnable document of the engine-facing store.
    assert_eq!(
        st.get_workflow_version(&a, &v.version_id).await?,
        Some(doc("orders", 1))
    );

    // A team scope is recorded on the workflow.
    let team = TenantScope {
        org_id: "org-a".into(),
        team_id: Some("team-1".into()),
    };
    let (tw, _) = cp
        .create_workflow(&team, workflow("wf-2", "billing"))
        .await?;
    assert_eq!(tw.scope, team);
    assert_eq!(cp.get_workflow(&team, "wf-2").await?, Some(tw));
    Ok(())
}

/// Names are unique per organization, on create and on rename.
pub async fn workflow_names_are_unique_per_org(
    cp: Arc<dyn ControlPlane>,
    _st: Arc<dyn Store>,
) -> CheckResult {
    let (a, b) = (org("org-a"), org("org-b"));
    create(&cp, &a, "wf-1", "orders").await?;
    let taken = StoreError::NameTaken {
        what: "workflow",
        name: "orders".into(),
        other_id: "wf-1".into(),
    };
    assert_eq!(error(create(&cp, &a, "wf-2", "orders").await)?, taken);
    assert_eq!(cp.get_workflow(&a, "wf-2").await?, None);
    create(&cp, &b, "wf-3", "orders").await?;

    let billing = create(&cp, &a, "wf-4", "billing").await?;
    let rename = |name: &str| WorkflowUpdate {
        name: Some(name.into()),
        at: t(9),
        ..WorkflowUpdate::default()
    };
    assert_eq!(
        error(cp.update_workflow(&a, "wf-4", None, rename("orders")).await)?,
        taken
    );
    assert_eq!(cp.get_workflow(&a, "wf-4").await?, Some(billing));
    // Keeping one's own name is fine.
    let (same, _) = cp
        .update_workflow(&a, "wf-1", None, rename("orders"))
        .await?;
    assert_eq!(same.name, "orders");
    Ok(())
}

/// Listing: by name, cursor pages, search (case-insensitive name, description, tags), tags
/// (all of them), published.
pub async fn workflows_are_listed_by_name_with_filters_and_pages(
    cp: Arc<dyn ControlPlane>,
    _st: Arc<dyn Store>,
) -> CheckResult {
    let (a, b) = (org("org-a"), org("org-b"));
    let specs: [(&str, &str, &[&str]); 5] = [
        ("alpha", "Loads the warehouse", &["etl", "nightly"]),
        ("bravo", "", &["etl"]),
        ("charlie", "Sends INVOICES", &[]),
        ("delta", "", &["Billing"]),
        ("echo", "", &[]),
    ];
    for (i, (name, description, tags)) in specs.iter().enumerate() {
        let new = NewWorkflow {
            description: description.to_string(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..workflow(&format!("wf-{i}"), name)
        };
        cp.create_workflow(&a, new).await?;
    }
    create(&cp, &b, "wf-b", "alpha-b").await?;
    publish(&cp, &a, "wf-1", PublishedTriggers::default()).await?;
    publish(&cp, &a, "wf-3", PublishedTriggers::default()).await?;

    let list = |filter: WorkflowFilter, cursor: Option<String>, limit: usize| {
        let cp = Arc::clone(&cp);
        async move {
            let page = cp
                .list_workflows(&org("org-a"), &filter, cursor.as_deref(), limit)
                .await?;
            let names: Vec<String> = page.items.iter().map(|w| w.name.clone()).collect();
            Ok::<_, StoreError>((names, page.next_cursor))
        }
    };
    let all = WorkflowFilter::default();
    let every = ["alpha", "bravo", "charlie", "delta", "echo"];
    assert_eq!(
        list(all.clone(), None, 10).await?,
        (every.map(String::from).to_vec(), None)
    );
    assert_eq!(list(all.clone(), None, 5).await?.1, None);

    let (p1, c1) = list(all.clone(), None, 2).await?;
    assert_eq!(
        (p1, c1.as_deref()),
        (vec!["alpha".into(), "bravo".into()], Some("bravo"))
    );
    let (p2, c2) = list(all.clone(), c1, 2).await?;
    assert_eq!(
        (p2, c2.as_deref()),
        (vec!["charlie".into(), "delta".into()], Some("delta"))
    );
    let (p3, c3) = list(all.clone(), c2, 2).await?;
    assert_eq!((p3, c3), (vec!["echo".into()], None));

    let search = |s: &str| WorkflowFilter {
        search: Some(s.into()),
        ..WorkflowFilter::default()
    };
    assert_eq!(list(search("ALP"), None, 10).await?.0, ["alpha"]);
    assert_eq!(list(search("invoice"), None, 10).await?.0, ["charlie"]);
    assert_eq!(list(search("WARE"), None, 10).await?.0, ["alpha"]);
    assert_eq!(list(search("billing"), None, 10).await?.0, ["delta"]);
    assert_eq!(list(search("ht"), None, 10).await?.0, ["alpha"]);
    assert!(list(search("zulu"), None, 10).await?.0.is_empty());

    let tags = |t: &[&str]| WorkflowFilter {
        tags: t.iter().map(|t| t.to_string()).collect(),
        ..WorkflowFilter::default()
    };
    assert_eq!(list(tags(&["etl"]), None, 10).await?.0, ["alpha", "bravo"]);
    assert_eq!(
        list(tags(&["etl", "nightly"]), None, 10).await?.0,
        ["alpha"]
    );
    assert!(
        list(tags(&["etl", "missing"]), None, 10)
            .await?
            .0
            .is_empty()
    );

    let published = |p: bool| WorkflowFilter {
        published: Some(p),
        ..WorkflowFilter::default()
    };
    assert_eq!(list(published(true), None, 10).await?.0, ["bravo", "delta"]);
    assert_eq!(
        list(published(false), None, 10).await?.0,
        ["alpha", "charlie", "echo"]
    );
    let both = WorkflowFilter {
        published: Some(true),
        ..tags(&["etl"])
    };
    assert_eq!(list(both, None, 10).await?.0, ["bravo"]);

    // Pages of a filtered listing.
    let (f1, fc) = list(published(false), None, 2).await?;
    assert_eq!(
        (f1, fc.as_deref()),
        (vec!["alpha".into(), "charlie".into()], Some("charlie"))
    );
    assert_eq!(
        list(published(false), fc, 2).await?,
        (vec!["echo".into()], None)
    );

    let other = cp.list_workflows(&b, &all, None, 10).await?;
    assert_eq!(names(&other.items), ["alpha-b"]);
    Ok(())
}

/// Updates bump the revision; a new version gets the next number; documents are kept.
pub async fn updates_append_versions_and_bump_revisions(
    cp: Arc<dyn ControlPlane>,
    st: Arc<dyn Store>,
) -> CheckResult {
    let a = org("org-a");
    let (created, v1) = cp.create_workflow(&a, workflow("wf-1", "orders")).await?;
    let meta = WorkflowUpdate {
        name: Some("orders-v2".into()),
        description: Some("Now with tags".into()),
        tags: Some(vec!["z".into(), "y".into()]),
        at: t(10),
        ..WorkflowUpdate::default()
    };
    let (w2, none) = cp.update_workflow(&a, "wf-1", Some(1), meta).await?;
    assert_eq!(none, None);
    assert_eq!(
        (w2.name.as_str(), w2.description.as_str()),
        ("orders-v2", "Now with tags")
    );
    assert_eq!(w2.tags, ["y", "z"]);
    assert_eq!((w2.revision, w2.latest_version), (2, 1));
    assert_eq!((w2.created_at, w2.updated_at), (created.created_at, t(10)));

    let (w3, v2) = cp
        .update_workflow(&a, "wf-1", None, version("orders", 2, 20))
        .await?;
    let v2 = v2.ok_or("no version record for a new version")?;
    assert_eq!(
        (w3.revision, w3.latest_version, w3.updated_at),
        (3, 2, t(20))
    );
    assert_eq!(w3.name, "orders-v2");
    assert_eq!((v2.workflow_id.as_str(), v2.number), ("wf-1", 2));
    assert_eq!(
        (v2.author.as_str(), v2.message.as_str()),
        ("u-2", "version 2")
    );
    assert_eq!(v2.created_at, t(20));

    let (_, v3) = cp
        .update_workflow(&a, "wf-1", Some(3), version("orders", 3, 30))
        .await?;
    // The same document as version 1 again: a new number, the same content-addressed id.
    let (w5, v4) = cp
        .update_workflow(&a, "wf-1", Some(4), version("orders", 1, 40))
        .await?;
    let (v3, v4) = (v3.ok_or("no version 3")?, v4.ok_or("no version 4")?);
    assert_eq!((v3.number, v4.number), (3, 4));
    assert_eq!(v4.version_id, v1.version_id);
    assert_eq!((w5.revision, w5.latest_version), (5, 4));

    let numbers: Vec<i64> = cp
        .list_versions(&a, "wf-1")
        .await?
        .iter()
        .map(|v| v.number)
        .collect();
    assert_eq!(numbers, [4, 3, 2, 1]);
    assert_eq!(
        cp.get_version(&a, "wf-1", 2).await?,
        Some((v2.clone(), doc("orders", 2)))
    );
    assert_eq!(
        st.get_workflow_version(&a, &v2.version_id).await?,
        Some(doc("orders", 2))
    );
    assert_eq!(cp.get_workflow(&a, "wf-1").await?, Some(w5));
    not_found(
        cp.update_workflow(&a, "missing", None, version("x", 1, 50))
            .await,
    )?;
    Ok(())
}

/// A stale `expected_revision` fails every kind of change and changes nothing.
pub async fn revision_mismatch_changes_nothing(
    cp: Arc<dyn ControlPlane>,
    _st: Arc<dyn Store>,
) -> CheckResult {
    let a = org("org-a");
    create(&cp, &a, "wf-1", "orders").await?;
    let (current, _) = cp
        .update_workflow(&a, "wf-1", Some(1), version("orders", 2, 10))
        .await?;
    let generation = cp.routes_generation().await?;
    let stale = StoreError::RevisionMismatch {
        what: "workflow",
        id: "wf-1".into(),
        expected: 1,
        actual: 2,
    };
    let change = WorkflowUpdate {
        name: Some("renamed".into()),
        ..version("orders", 3, 20)
    };
    assert_eq!(
        error(cp.update_workflow(&a, "wf-1", Some(1), change).await)?,
        stale
    );
    let triggers = PublishedTriggers {
        webhooks: vec![route("POST", "orders")],
        schedules: vec![schedule("cron", Some(100))],
        ..PublishedTriggers::default()
    };
    assert_eq!(
        error(
            cp.publish(&a, "wf-1", Some(1), Some(2), triggers, t(30))
                .await
        )?,
        stale
    );
    assert_eq!(error(cp.delete_workflow(&a, "wf-1", Some(1)).await)?, stale);

    assert_eq!(cp.get_workflow(&a, "wf-1").await?, Some(current));
    assert_eq!(cp.list_versions(&a, "wf-1").await?.len(), 2);
    assert!(cp.webhook_routes().await?.is_empty());
    assert!(cp.list_schedules(&a).await?.is_empty());
    assert_eq!(cp.routes_generation().await?, generation);
    assert!(cp.delete_workflow(&a, "wf-1", Some(2)).await?);
    Ok(())
}
