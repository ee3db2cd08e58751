//! The control-plane conformance checks (`weft-store-conformance`) on a fresh SQLite store each.

weft_store_conformance::control_conformance!(async {
    let dir = tempfile::tempdir()?;
    let store = weft_store::SqliteStore::open(dir.path())?;
    Ok::<_, weft_store_conformance::control::BoxError>((dir, store))
});

// SQLite-specific behaviour beyond the shared checks.

use crate::{TestResult, at, open, org};
use serde_json::json;
use weft_store_api::StoreError;
use weft_store_api::control::{
    ControlPlane, KeyKind, NewKey, NewWorkflow, PublishedTriggers, ScheduleSpec, User,
};

fn new_workflow(id: &str, name: &str) -> NewWorkflow {
    NewWorkflow {
        id: id.into(),
        name: name.into(),
        description: String::new(),
        tags: vec!["t".into()],
        document: json!({"name": name, "nodes": []}),
        author: "u-1".into(),
        message: String::new(),
        created_at: at(0),
    }
}

fn database_error<T: std::fmt::Debug>(result: Result<T, StoreError>) -> String {
    match result {
        Err(StoreError::Database(message)) => message,
        other => panic!("expected a database error, got {other:?}"),
    }
}

#[tokio::test]
async fn version_ids_are_the_content_address_of_the_document() -> TestResult {
    let (_dir, store) = open()?;
    let scope = org("acme");
    let wf = new_workflow("wf-1", "orders");
    let expected = weft_store::workflow_version_id("acme", &wf.document);
    let (_, v1) = store.create_workflow(&scope, wf).await?;
    assert_eq!(v1.version_id, expected);
    Ok(())
}

#[tokio::test]
async fn touch_key_writes_at_most_once_a_minute() -> TestResult {
    let (_dir, store) = open()?;
    let scope = org("acme");
    let user = User {
        id: "u-1".into(),
        org_id: "acme".into(),
        email: "ann@test".into(),
        name: "Ann".into(),
        role: weft_store_api::control::Role::Admin,
        created_at: at(0),
    };
    store.create_user(&scope, user).await?;
    let key = NewKey {
        id: "k1".into(),
        user_id: "u-1".into(),
        kind: KeyKind::Api,
        name: "ci".into(),
        prefix: "weft_k1".into(),
        secret_hash: "ab".repeat(32),
        scopes: vec!["*".into()],
        expires_at: None,
        created_at: at(0),
    };
    store.create_key(&scope, key).await?;
    let last_used = || async {
        let key = store.get_key(&scope, "k1").await?;
        Ok::<_, StoreError>(key.and_then(|k| k.last_used_at))
    };
    store.touch_key("k1", at(100)).await?;
    store.touch_key("k1", at(130)).await?;
    assert_eq!(last_used().await?, Some(at(100)));
    // Never backwards.
    store.touch_key("k1", at(10)).await?;
    assert_eq!(last_used().await?, Some(at(100)));
    store.touch_key("k1", at(161)).await?;
    assert_eq!(last_used().await?, Some(at(161)));
    Ok(())
}

#[tokio::test]
async fn bad_control_rows_are_errors_naming_the_row_and_column() -> TestResult {
    let (dir, store) = open()?;
    let scope = org("acme");
    store
        .create_workflow(&scope, new_workflow("wf-1", "orders"))
        .await?;
    let triggers = PublishedTriggers {
        schedules: vec![ScheduleSpec {
            trigger_id: "cron".into(),
            cron: "* * * * *".into(),
            timezone: "UTC".into(),
            overlap: "skip".into(),
            catch_up: "none".into(),
            input: json!([]),
            next_fire_at: Some(at(10)),
        }],
        ..PublishedTriggers::default()
    };
    store
        .publish(&scope, "wf-1", None, Some(1), triggers, at(1))
        .await?;

    let conn = rusqlite::Connection::open(dir.path().join(weft_store::DB_FILE))?;
    conn.execute(
        "UPDATE workflows SET tags = 'not json' WHERE id = 'wf-1'",
        [],
    )?;
    // A CHECK constraint keeps `enabled` to 0/1, so corrupt a timestamp instead.
    conn.execute("UPDATE schedules SET last_fire_at = 'yesterday'", [])?;
    drop(conn);

    let message = database_error(store.get_workflow(&scope, "wf-1").await);
    assert!(
        message.contains("workflow wf-1") && message.contains("tags"),
        "{message}"
    );
    let message = database_error(store.list_schedules(&scope).await);
    assert!(
        message.contains("schedule") && message.contains("last_fire_at"),
        "{message}"
    );
    let message = database_error(store.due_schedules(at(20), 10).await);
    assert!(message.contains("last_fire_at"), "{message}");
    Ok(())
}
