//! The control-plane conformance checks (`weft-store-conformance`), each on a fresh
//! PostgreSQL database.

use weft_store_conformance::control::BoxError;
use weft_store_pg::testing::TestDatabase;
use weft_store_pg::{PgOptions, PgStore};

weft_store_conformance::control_conformance!(async {
    let db = TestDatabase::create().await?;
    let store = PgStore::connect_with(db.options(), PgOptions::default()).await?;
    Ok::<_, BoxError>((db, store))
});

// PostgreSQL-specific: the same races from several processes (store handles), which do not
// share a writer.

use crate::{TestResult, database, open};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use std::future::Future;
use std::sync::Arc;
use weft_store_api::control::{
    ControlPlane, KeyKind, NewKey, NewWorkflow, Org, PublishedTriggers, Role, ScheduleSpec, User,
    WebhookRoute, WorkflowUpdate,
};
use weft_store_api::{StoreError, StoreResult, TenantScope};

const HANDLES: usize = 4;
const CALLS: usize = 16;

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_750_000_000, 0).unwrap_or_default() + TimeDelta::seconds(secs)
}

async fn handles(db: &TestDatabase) -> Result<Vec<Arc<PgStore>>, StoreError> {
    let mut out = Vec::new();
    for _ in 0..HANDLES {
        out.push(open(db).await?);
    }
    Ok(out)
}

/// `CALLS` calls at once, spread over the handles; their results in order.
async fn race<T, F, Fut>(stores: &[Arc<PgStore>], call: F) -> Result<Vec<StoreResult<T>>, BoxError>
where
    T: Send + 'static,
    F: Fn(usize, Arc<PgStore>) -> Fut,
    Fut: Future<Output = StoreResult<T>> + Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(CALLS));
    let tasks: Vec<_> = (0..CALLS)
        .map(|i| {
            let (barrier, call) = (
                Arc::clone(&barrier),
                call(i, Arc::clone(&stores[i % stores.len()])),
            );
            tokio::spawn(async move {
                barrier.wait().await;
                call.await
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in futures::future::join_all(tasks).await {
        results.push(task?);
    }
    Ok(results)
}

fn user(id: &str, org: &str, email: &str) -> User {
    User {
        id: id.into(),
        org_id: org.into(),
        email: email.into(),
        name: id.into(),
        role: Role::Admin,
        created_at: t(0),
    }
}

fn workflow(id: &str, name: &str) -> NewWorkflow {
    NewWorkflow {
        id: id.into(),
        name: name.into(),
        description: String::new(),
        tags: Vec::new(),
        document: json!({"name": name, "nodes": []}),
        author: "u".into(),
        message: String::new(),
        created_at: t(1),
    }
}

fn ok_count<T>(results: &[StoreResult<T>]) -> usize {
    results.iter().filter(|r| r.is_ok()).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_from_many_processes_creates_one_org() -> TestResult {
    let db = database().await;
    let stores = handles(&db).await?;
    let results = race(&stores, |i, s| async move {
        let org = Org {
            id: format!("org-{i}"),
            name: "Acme".into(),
            created_at: t(0),
        };
        s.bootstrap(
            org.clone(),
            user(&format!("u-{i}"), &org.id, &format!("{i}@x")),
        )
        .await
    })
    .await?;
    let created: Vec<_> = results
        .into_iter()
        .map(|r| r.map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(created.len(), 1, "{created:?}");
    let (org, admin) = &created[0];
    assert_eq!(stores[1].get_org(&org.id).await?.as_ref(), Some(org));
    assert_eq!(
        stores[2].find_user_by_email(None).await?.as_ref(),
        Some(admin)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_and_emails_taken_at_the_same_moment_are_name_taken() -> TestResult {
    let db = database().await;
    let stores = handles(&db).await?;
    let scope = TenantScope::org("acme");
    let results = race(&stores, |i, s| {
        let scope = scope.clone();
        async move {
            s.create_user(&scope, user(&format!("u-{i}"), "acme", "same@x"))
                .await
        }
    })
    .await?;
    assert_eq!(ok_count(&results), 1);
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(_) | Err(StoreError::NameTaken { what: "user", .. })))
    );

    let results = race(&stores, |i, s| {
        let scope = scope.clone();
        async move {
            s.create_workflow(&scope, workflow(&format!("wf-{i}"), "orders"))
                .await
        }
    })
    .await?;
    assert_eq!(ok_count(&results), 1);
    assert!(results.iter().all(|r| matches!(
        r,
        Ok(_)
            | Err(StoreError::NameTaken {
                what: "workflow",
                ..
            })
    )));

    // Renames onto one free name, each workflow its own.
    for i in 0..CALLS {
        stores[0]
            .create_workflow(&scope, workflow(&format!("r-{i}"), &format!("name-{i}")))
            .await?;
    }
    let results = race(&stores, |i, s| {
        let scope = scope.clone();
        async move {
            let rename = WorkflowUpdate {
                name: Some("wanted".into()),
                at: t(5),
                ..WorkflowUpdate::default()
            };
            s.update_workflow(&scope, &format!("r-{i}"), None, rename)
                .await
        }
    })
    .await?;
    assert_eq!(ok_count(&results), 1);
    for r in &results {
        match r {
            Ok(_)
            | Err(StoreError::NameTaken {
                what: "workflow", ..
            }) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_revision_one_update() -> TestResult {
    let db = database().await;
    let stores = handles(&db).await?;
    let scope = TenantScope::org("acme");
    let (w, _) = stores[0]
        .create_workflow(&scope, workflow("wf", "orders"))
        .await?;
    let results = race(&stores, |i, s| {
        let scope = scope.clone();
        async move {
            // Half append a version (whose number would also collide), half only edit.
            let update = WorkflowUpdate {
                description: Some(format!("by {i}")),
                version: (i % 2 == 1).then(|| weft_store_api::control::NewVersion {
                    document: json!({"n": i}),
                    author: "u".into(),
                    message: String::new(),
                }),
                at: t(10),
                ..WorkflowUpdate::default()
            };
            s.update_workflow(&scope, "wf", Some(w.revision), update)
                .await
        }
    })
    .await?;
    assert_eq!(ok_count(&results), 1);
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(_) | Err(StoreError::RevisionMismatch { .. })))
    );
    let winner = results.iter().position(|r| r.is_ok()).ok_or("no winner")?;
    let versions = 1 + i64::from(winner % 2 == 1);
    let now = stores[1].get_workflow(&scope, "wf").await?.ok_or("gone")?;
    assert_eq!(
        (now.revision, now.latest_version),
        (w.revision + 1, versions)
    );
    assert_eq!(now.description, format!("by {winner}"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_webhooks_published_at_once_from_many_processes() -> TestResult {
    let db = database().await;
    let stores = handles(&db).await?;
    let scope = TenantScope::org("acme");
    for i in 0..CALLS {
        stores[0]
            .create_workflow(&scope, workflow(&format!("wf-{i}"), &format!("w{i}")))
            .await?;
    }
    let before = stores[0].routes_generation().await?;
    // GET, POST and ANY on one path all overlap with ANY: only one publish may win.
    let results = race(&stores, |i, s| {
        let scope = scope.clone();
        async move {
            let method = ["ANY", "GET", "POST"][i % 3];
            let triggers = PublishedTriggers {
                webhooks: vec![WebhookRoute {
                    method: method.into(),
                    path: "orders/:id".into(),
                    trigger_id: "hook".into(),
                    params: json!({}),
                }],
                ..PublishedTriggers::default()
            };
            s.publish(&scope, &format!("wf-{i}"), None, Some(1), triggers, t(20))
                .await
        }
    })
    .await?;
    let routes = stores[1].webhook_routes().await?;
    let winners = ok_count(&results);
    // Either one ANY won, or one GET and one POST did.
    let methods: Vec<&str> = routes.iter().map(|r| r.route.method.as_str()).collect();
    assert!(
        (winners == 1 && methods == ["ANY"])
            || (winners <= 2 && !methods.contains(&"ANY") && methods.len() == winners),
        "winners {winners}, routes {methods:?}"
    );
    assert!(results.iter().all(|r| matches!(
        r,
        Ok(_)
            | Err(StoreError::NameTaken {
                what: "webhook path",
                ..
            })
    )));
    assert!(stores[2].routes_generation().await? > before);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_login_and_one_tick_per_race_across_processes() -> TestResult {
    let db = database().await;
    let stores = handles(&db).await?;
    let scope = TenantScope::org("acme");
    stores[0]
        .create_user(&scope, user("u-1", "acme", "a@x"))
        .await?;
    let login = NewKey {
        id: "login-1".into(),
        user_id: "u-1".into(),
        kind: KeyKind::Login,
        name: "link".into(),
        prefix: "weft_l".into(),
        secret_hash: "cd".repeat(32),
        scopes: vec!["*".into()],
        expires_at: Some(t(3600)),
        created_at: t(0),
    };
    stores[0].create_key(&scope, login).await?;
    let results = race(&stores, |_, s| async move {
        s.authenticate(&"cd".repeat(32), t(10)).await
    })
    .await?;
    let signed_in = results.iter().filter(|r| matches!(r, Ok(Some(_)))).count();
    assert_eq!(signed_in, 1);

    stores[0]
        .create_workflow(&scope, workflow("wf", "cron"))
        .await?;
    let triggers = PublishedTriggers {
        schedules: vec![ScheduleSpec {
            trigger_id: "tick".into(),
            cron: "* * * * *".into(),
            timezone: "UTC".into(),
            overlap: "skip".into(),
            catch_up: "none".into(),
            input: json!([]),
            next_fire_at: Some(t(60)),
        }],
        ..PublishedTriggers::default()
    };
    stores[0]
        .publish(&scope, "wf", None, Some(1), triggers, t(1))
        .await?;
    let due = stores[1].due_schedules(t(61), 10).await?;
    let id = due.first().ok_or("not due")?.id.clone();
    let results = race(&stores, |_, s| {
        let id = id.clone();
        async move {
            s.advance_schedule(&id, t(60), Some(t(120)), t(61), None)
                .await
        }
    })
    .await?;
    let fired = results.iter().filter(|r| matches!(r, Ok(true))).count();
    assert_eq!(fired, 1);
    Ok(())
}
