//! The control plane ([`ControlPlane`]) on PostgreSQL: organizations, users, keys, workflows
//! with numbered versions, and published triggers (migration 2).
//!
//! Like the rest of the store, every change goes through the writer task and reads use the
//! pool. The behaviour is the SQLite store's (`weft_store::SqliteStore`, whose `control`
//! module lists the choices where the contract leaves room): both pass the same conformance
//! suite. What differs is how concurrent writers in other processes are kept apart, since
//! here they do not share one writer:
//! - `bootstrap` takes a transaction-level advisory lock, so of two first starts one creates
//!   the organization and the other sees it;
//! - a workflow change locks the workflow's row (`FOR UPDATE`) before checking its revision,
//!   so two updates from the same revision cannot both succeed;
//! - names, emails and organization ids taken by another process at the same moment are
//!   `NameTaken`, like those taken before (inserts do nothing on a conflict; a rename's update
//!   runs under a savepoint);
//! - every change of the webhook table first locks the `routes_generation` row, so publishes
//!   take turns and `ANY`-overlaps (which no unique index can express) are seen;
//! - consuming a login link and advancing a schedule are conditional updates: concurrent ones
//!   wait for each other and recheck the condition, so exactly one wins.

mod accounts;
mod favorites;
mod triggers;
mod workflows;

use crate::{PgStore, rows, workflow_version_id};
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use weft_store_api::control::{
    ControlPlane, KeyInfo, KeyKind, ListenerEntry, NewKey, NewWorkflow, Org, PublishedTriggers,
    RouteEntry, ScheduleRecord, User, VersionRecord, WorkflowFilter, WorkflowRecord,
    WorkflowUpdate,
};
use weft_store_api::{Page, RunId, StoreResult, TenantScope};
use workflows::{EncodedDocument, EncodedUpdate};

/// A key used less than this long ago is not touched again.
const TOUCH_INTERVAL: TimeDelta = TimeDelta::seconds(60);

/// Hashes and encodes a document on the caller's task, keeping the writer's work small.
fn encode(org: &str, document: &Value) -> EncodedDocument {
    EncodedDocument {
        id: workflow_version_id(org, document),
        text: rows::json(document),
    }
}

#[async_trait]
impl ControlPlane for PgStore {
    async fn bootstrap(&self, org: Org, admin: User) -> StoreResult<Option<(Org, User)>> {
        self.writer
            .call((org, admin), |tx, (org, admin)| {
                Box::pin(accounts::bootstrap(tx, org, admin))
            })
            .await
    }

    async fn get_org(&self, org_id: &str) -> StoreResult<Option<Org>> {
        accounts::get_org(&self.pool, org_id).await
    }

    async fn create_org(&self, org: Org) -> StoreResult<Org> {
        self.writer
            .call(org, |tx, org| Box::pin(accounts::create_org(tx, org)))
            .await
    }

    async fn find_user_by_email(&self, email: Option<&str>) -> StoreResult<Option<User>> {
        accounts::find_user(&self.pool, email).await
    }

    async fn create_user(&self, scope: &TenantScope, user: User) -> StoreResult<User> {
        self.writer
            .call((scope.org_id.clone(), user), |tx, (org, user)| {
                Box::pin(accounts::insert_user(tx, org, user))
            })
            .await
    }

    async fn get_user(&self, scope: &TenantScope, id: &str) -> StoreResult<Option<User>> {
        accounts::get_user(&self.pool, &scope.org_id, id).await
    }

    async fn list_users(&self, scope: &TenantScope) -> StoreResult<Vec<User>> {
        accounts::list_users(&self.pool, &scope.org_id).await
    }

    async fn create_key(&self, scope: &TenantScope, key: NewKey) -> StoreResult<KeyInfo> {
        self.writer
            .call((scope.org_id.clone(), key), |tx, (org, key)| {
                Box::pin(accounts::create_key(tx, org, key))
            })
            .await
    }

    async fn authenticate(
        &self,
        secret_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(KeyInfo, User)>> {
        match accounts::valid_key(&self.pool, secret_hash, now).await? {
            Some((key, _)) if key.kind == KeyKind::Login => {
                self.writer
                    .call((key.id, now), |tx, (id, now)| {
                        Box::pin(accounts::consume_login(tx, id, *now))
                    })
                    .await
            }
            other => Ok(other),
        }
    }

    async fn touch_key(&self, key_id: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let stale_before = at.checked_sub_signed(TOUCH_INTERVAL).unwrap_or(at);
        match accounts::last_used(&self.pool, key_id).await? {
            // Unknown key, or used within the minute: nothing to record.
            None => return Ok(()),
            Some(Some(last)) if last >= rows::ts(&stale_before) => return Ok(()),
            Some(_) => {}
        }
        self.writer
            .call(
                (key_id.to_owned(), at, stale_before),
                |tx, (id, at, stale_before)| {
                    Box::pin(accounts::touch_key(tx, id, *at, *stale_before))
                },
            )
            .await
    }

    async fn list_keys(
        &self,
        scope: &TenantScope,
        kind: KeyKind,
        user_id: Option<&str>,
    ) -> StoreResult<Vec<KeyInfo>> {
        accounts::list_keys(&self.pool, &scope.org_id, kind, user_id).await
    }

    async fn get_key(&self, scope: &TenantScope, id: &str) -> StoreResult<Option<KeyInfo>> {
        accounts::get_key(&self.pool, &scope.org_id, id).await
    }

    async fn revoke_key(
        &self,
        scope: &TenantScope,
        id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.writer
            .call(
                (scope.org_id.clone(), id.to_owned(), at),
                |tx, (org, id, at)| Box::pin(accounts::revoke_key(tx, org, id, *at)),
            )
            .await
    }

    async fn create_workflow(
        &self,
        scope: &TenantScope,
        workflow: NewWorkflow,
    ) -> StoreResult<(WorkflowRecord, VersionRecord)> {
        let doc = encode(&scope.org_id, &workflow.document);
        self.writer
            .call(
                (scope.clone(), workflow, doc),
                |tx, (scope, workflow, doc)| {
                    Box::pin(workflows::create_workflow(tx, scope, workflow, doc))
                },
            )
            .await
    }

    async fn get_workflow(
        &self,
        scope: &TenantScope,
        id: &str,
    ) -> StoreResult<Option<WorkflowRecord>> {
        workflows::get_workflow(&self.pool, &scope.org_id, id, false).await
    }

    async fn list_workflows(
        &self,
        scope: &TenantScope,
        filter: &WorkflowFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<WorkflowRecord>> {
        workflows::list_workflows(&self.pool, &scope.org_id, filter, cursor, limit).await
    }

    async fn update_workflow(
        &self,
        scope: &TenantScope,
        id: &str,
        expected_revision: Option<i64>,
        update: WorkflowUpdate,
    ) -> StoreResult<(WorkflowRecord, Option<VersionRecord>)> {
        let encoded = EncodedUpdate {
            version: update
                .version
                .map(|v| (encode(&scope.org_id, &v.document), v.author, v.message)),
            name: update.name,
            description: update.description,
            tags: update.tags,
            at: update.at,
        };
        self.writer
            .call(
                (
                    scope.org_id.clone(),
                    id.to_owned(),
                    expected_revision,
                    encoded,
                ),
                |tx, (org, id, expected, update)| {
                    Box::pin(workflows::update_workflow(tx, org, id, *expected, update))
                },
            )
            .await
    }

    async fn delete_workflow(
        &self,
        scope: &TenantScope,
        id: &str,
        expected_revision: Option<i64>,
    ) -> StoreResult<bool> {
        self.writer
            .call(
                (scope.org_id.clone(), id.to_owned(), expected_revision),
                |tx, (org, id, expected)| {
                    Box::pin(workflows::delete_workflow(tx, org, id, *expected))
                },
            )
            .await
    }

    async fn list_versions(
        &self,
        scope: &TenantScope,
        workflow_id: &str,
    ) -> StoreResult<Vec<VersionRecord>> {
        workflows::list_versions(&self.pool, &scope.org_id, workflow_id).await
    }

    async fn get_version(
        &self,
        scope: &TenantScope,
        workflow_id: &str,
        number: i64,
    ) -> StoreResult<Option<(VersionRecord, Value)>> {
        workflows::get_version(&self.pool, &scope.org_id, workflow_id, number).await
    }

    async fn publish(
        &self,
        scope: &TenantScope,
        workflow_id: &str,
        expected_revision: Option<i64>,
        version: Option<i64>,
        triggers: PublishedTriggers,
        at: DateTime<Utc>,
    ) -> StoreResult<WorkflowRecord> {
        let state = (
            scope.org_id.clone(),
            workflow_id.to_owned(),
            expected_revision,
            version,
            triggers,
            at,
        );
        self.writer
            .call(state, |tx, (org, id, expected, version, triggers, at)| {
                Box::pin(triggers::publish(
                    tx, org, id, *expected, *version, triggers, *at,
                ))
            })
            .await
    }

    async fn set_favorite(
        &self,
        scope: &TenantScope,
        user_id: &str,
        workflow_id: &str,
        favorite: bool,
    ) -> StoreResult<()> {
        self.writer
            .call(
                (
                    scope.org_id.clone(),
                    user_id.to_owned(),
                    workflow_id.to_owned(),
                    Utc::now(),
                ),
                move |tx, (org, user, id, at)| {
                    Box::pin(favorites::set(tx, org, user, id, favorite, *at))
                },
            )
            .await
    }

    async fn favorite_workflows(
        &self,
        scope: &TenantScope,
        user_id: &str,
    ) -> StoreResult<Vec<String>> {
        favorites::list(&self.pool, &scope.org_id, user_id).await
    }

    async fn webhook_routes(&self) -> StoreResult<Vec<RouteEntry>> {
        triggers::webhook_routes(&self.pool).await
    }

    async fn routes_generation(&self) -> StoreResult<i64> {
        triggers::routes_generation(&self.pool).await
    }

    async fn list_schedules(&self, scope: &TenantScope) -> StoreResult<Vec<ScheduleRecord>> {
        triggers::list_schedules(&self.pool, &scope.org_id).await
    }

    async fn get_schedule(
        &self,
        scope: &TenantScope,
        id: &str,
    ) -> StoreResult<Option<ScheduleRecord>> {
        triggers::get_schedule(&self.pool, &scope.org_id, id).await
    }

    async fn set_schedule_enabled(
        &self,
        scope: &TenantScope,
        id: &str,
        enabled: bool,
        next_fire_at: Option<DateTime<Utc>>,
    ) -> StoreResult<bool> {
        self.writer
            .call(
                (scope.org_id.clone(), id.to_owned(), enabled, next_fire_at),
                |tx, (org, id, enabled, next)| {
                    Box::pin(triggers::set_schedule_enabled(tx, org, id, *enabled, *next))
                },
            )
            .await
    }

    async fn due_schedules(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<ScheduleRecord>> {
        triggers::due_schedules(&self.pool, now, limit).await
    }

    async fn next_schedule_at(&self) -> StoreResult<Option<DateTime<Utc>>> {
        triggers::next_schedule_at(&self.pool).await
    }

    async fn advance_schedule(
        &self,
        id: &str,
        expected: DateTime<Utc>,
        next: Option<DateTime<Utc>>,
        fired_at: DateTime<Utc>,
        run_id: Option<RunId>,
    ) -> StoreResult<bool> {
        self.writer
            .call(
                (id.to_owned(), expected, next, fired_at, run_id),
                |tx, (id, expected, next, fired_at, run_id)| {
                    Box::pin(triggers::advance_schedule(
                        tx, id, *expected, *next, *fired_at, *run_id,
                    ))
                },
            )
            .await
    }

    async fn listeners_of(
        &self,
        scope: &TenantScope,
        source_workflow_id: &str,
    ) -> StoreResult<Vec<ListenerEntry>> {
        triggers::listeners_of(&self.pool, &scope.org_id, source_workflow_id).await
    }
}
