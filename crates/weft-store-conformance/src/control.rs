//! Checks of the control-plane [`ControlPlane`] contract.
//!
//! Every check is a public `async fn(Arc<dyn ControlPlane>, Arc<dyn Store>) -> CheckResult`
//! taking a freshly opened, empty store (both arguments are the same object). A backend runs
//! all of them with one line in its tests:
//!
//! ```ignore
//! weft_store_conformance::control_conformance!(async {
//!     let dir = tempfile::tempdir()?;
//!     let store = weft_store::SqliteStore::open(dir.path())?;
//!     Ok::<_, weft_store_conformance::control::BoxError>((dir, store))
//! });
//! ```
//!
//! The expression is a future resolving to `Result<(guard, Arc<S>), E>`: the guard (a temporary
//! directory, a database schema to drop, …) lives until the check ends; `S` implements both
//! traits. Timestamps are whole microseconds, so backends that store microseconds
//! (PostgreSQL) round-trip them exactly.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;
use weft_store_api::control::{
    ControlPlane, KeyKind, ListenerSpec, NewKey, NewVersion, NewWorkflow, Org, PublishedTriggers,
    Role, RouteEntry, ScheduleSpec, User, WebhookRoute, WorkflowFilter, WorkflowRecord,
    WorkflowUpdate,
};
use weft_store_api::{NewRun, RunId, Store, StoreError, StoreResult, TenantScope};

mod accounts;
mod favorites;
mod triggers;
mod workflows;

pub use accounts::*;
pub use favorites::*;
pub use triggers::*;
pub use workflows::*;

/// Any error; a check fails with its message.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What a check returns: `Err` (or a panicking assertion) fails it.
pub type CheckResult = Result<(), BoxError>;

/// Expands to one `#[tokio::test]` per control-plane check, each on a fresh store made by
/// `$make` (a future resolving to `Result<(guard, Arc<S>), E>`, see the module docs). The
/// calling crate needs `tokio` with the `macros` and `rt-multi-thread` features.
#[macro_export]
macro_rules! control_conformance {
    ($make:expr) => {
        $crate::control_conformance!(@checks $make;
            bootstrap_creates_the_first_org_once,
            bootstrap_is_atomic_under_concurrency,
            operators_create_orgs_and_find_users,
            users_have_unique_emails,
            keys_authenticate_until_revoked,
            expired_keys_do_not_authenticate,
            login_links_are_consumed_by_the_first_use,
            login_links_are_consumed_once_under_concurrency,
            keys_are_listed_by_kind_newest_first,
            keys_need_a_user_of_the_org,
            accounts_are_isolated_by_org,
            workflows_are_created_with_version_one,
            workflow_names_are_unique_per_org,
            workflows_are_listed_by_name_with_filters_and_pages,
            updates_append_versions_and_bump_revisions,
            revision_mismatch_changes_nothing,
            publish_registers_triggers_and_unpublish_removes_them,
            republish_keeps_schedule_state,
            webhook_paths_are_unique_across_the_deployment,
            routes_generation_follows_the_webhook_table,
            schedules_pause_resume_and_come_due_in_order,
            advance_schedule_is_compare_and_set,
            listeners_are_found_by_source,
            delete_removes_the_workflow_and_its_triggers,
            workflows_are_isolated_by_org,
            favorites_are_per_user_and_follow_deletes,
        );
    };
    (@checks $make:expr; $($check:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() -> $crate::control::CheckResult {
                let (_guard, store) = $make.await?;
                $crate::control::$check(store.clone(), store).await
            }
        )+
    };
}

// ----- fixtures shared by the checks -----

/// A fixed time `secs` seconds after the base, with whole microseconds.
fn t(secs: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_750_000_000, 123_456_000).unwrap_or_default()
        + TimeDelta::seconds(secs)
}

fn org(id: &str) -> TenantScope {
    TenantScope::org(id)
}

fn user(id: &str, org_id: &str, email: &str) -> User {
    User {
        id: id.into(),
        org_id: org_id.into(),
        email: email.into(),
        name: format!("User {id}"),
        role: Role::Editor,
        created_at: t(0),
    }
}

fn key(id: &str, user_id: &str, kind: KeyKind, created: i64) -> NewKey {
    NewKey {
        id: id.into(),
        user_id: user_id.into(),
        kind,
        name: format!("key {id}"),
        prefix: format!("weft_{id}"),
        secret_hash: hash(id),
        scopes: vec!["workflows:read".into(), "runs:write".into()],
        expires_at: None,
        created_at: t(created),
    }
}

/// The secret hash the fixture key `id` has.
fn hash(id: &str) -> String {
    format!(
        "{:0>64}",
        id.bytes().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

fn doc(name: &str, n: i64) -> Value {
    json!({"apiVersion": "weft/v1", "name": name, "nodes": [{"id": "a", "type": "core.noop", "n": n}]})
}

fn workflow(id: &str, name: &str) -> NewWorkflow {
    NewWorkflow {
        id: id.into(),
        name: name.into(),
        description: String::new(),
        tags: Vec::new(),
        document: doc(name, 1),
        author: "u-1".into(),
        message: "created".into(),
        created_at: t(1),
    }
}

fn version(name: &str, n: i64, at: i64) -> WorkflowUpdate {
    WorkflowUpdate {
        version: Some(NewVersion {
            document: doc(name, n),
            author: "u-2".into(),
            message: format!("version {n}"),
        }),
        at: t(at),
        ..WorkflowUpdate::default()
    }
}

fn route(method: &str, path: &str) -> WebhookRoute {
    WebhookRoute {
        method: method.into(),
        path: path.into(),
        trigger_id: format!("hook-{}-{}", method.to_lowercase(), path.replace('/', "-")),
        params: json!({"responseMode": "lastNode"}),
    }
}

fn schedule(trigger_id: &str, next: Option<i64>) -> ScheduleSpec {
    ScheduleSpec {
        trigger_id: trigger_id.into(),
        cron: "*/5 * * * *".into(),
        timezone: "Europe/Paris".into(),
        overlap: "skip".into(),
        catch_up: "none".into(),
        input: json!([{"tick": true}]),
        next_fire_at: next.map(t),
    }
}

fn listener(trigger_id: &str, source: &str, statuses: &[&str]) -> ListenerSpec {
    ListenerSpec {
        trigger_id: trigger_id.into(),
        source_workflow_id: source.into(),
        statuses: statuses.iter().map(|s| s.to_string()).collect(),
    }
}

fn hooks(routes: &[WebhookRoute]) -> PublishedTriggers {
    PublishedTriggers {
        webhooks: routes.to_vec(),
        ..PublishedTriggers::default()
    }
}

fn schedules(specs: &[ScheduleSpec]) -> PublishedTriggers {
    PublishedTriggers {
        schedules: specs.to_vec(),
        ..PublishedTriggers::default()
    }
}

/// Creates a workflow named `name` with id `id` in `scope`.
async fn create(
    cp: &Arc<dyn ControlPlane>,
    scope: &TenantScope,
    id: &str,
    name: &str,
) -> StoreResult<WorkflowRecord> {
    cp.create_workflow(scope, workflow(id, name))
        .await
        .map(|(w, _)| w)
}

/// Publishes version 1 of a workflow with `triggers`, whatever its revision.
async fn publish(
    cp: &Arc<dyn ControlPlane>,
    scope: &TenantScope,
    id: &str,
    triggers: PublishedTriggers,
) -> StoreResult<WorkflowRecord> {
    cp.publish(scope, id, None, Some(1), triggers, t(50)).await
}

/// Runs `n` calls at once (spawned tasks released together by a barrier) and returns their
/// results in order; `call(i)` makes the `i`th.
async fn race<T, F, Fut>(n: usize, call: F) -> Result<Vec<T>, BoxError>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = StoreResult<T>> + Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (barrier, call) = (Arc::clone(&barrier), call(i));
            tokio::spawn(async move {
                barrier.wait().await;
                call.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(n);
    for task in futures::future::join_all(tasks).await {
        results.push(task??);
    }
    Ok(results)
}

/// The error of a call that must fail.
fn error<T: Debug>(result: StoreResult<T>) -> Result<StoreError, BoxError> {
    match result {
        Ok(v) => Err(format!("expected an error, got {v:?}").into()),
        Err(e) => Ok(e),
    }
}

/// Fails unless `result` is `NotFound`.
fn not_found<T: Debug>(result: StoreResult<T>) -> CheckResult {
    match error(result)? {
        StoreError::NotFound { .. } => Ok(()),
        other => Err(format!("expected NotFound, got {other:?}").into()),
    }
}

fn route_paths(routes: &[RouteEntry]) -> Vec<(String, String, String)> {
    routes
        .iter()
        .map(|r| {
            (
                r.workflow_id.clone(),
                r.route.method.clone(),
                r.route.path.clone(),
            )
        })
        .collect()
}

fn names(page: &[WorkflowRecord]) -> Vec<&str> {
    page.iter().map(|w| w.name.as_str()).collect()
}
