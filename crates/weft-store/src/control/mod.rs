//! The control plane ([`ControlPlane`]) on SQLite: organizations, users, keys, workflows with
//! numbered versions, and published triggers (migration 4).
//!
//! Like the rest of the store, every change goes through the writer thread (one savepoint per
//! call, so a call that fails changes nothing) and reads use the read pool. Choices where the
//! contract leaves room:
//! - `create_user` needs no organization row: the contract creates only the first organization
//!   (`bootstrap`), and the embedded default organization has none; the user's `org_id` is the
//!   scope's, whatever the record says. A used email is `NameTaken { what: "user" }`.
//! - a key is valid while `now < expires_at`; `authenticate` reads through the pool, and only a
//!   login key goes to the writer, which consumes it with a conditional update, so of
//!   concurrent callers exactly one gets it. `touch_key` writes at most once a minute per key.
//! - every successful `update_workflow` and `publish` (including unpublish) is a change: the
//!   revision goes up by one and `updated_at` becomes the call's time; tags are stored sorted
//!   and unique; `list_versions` of an unknown workflow is `NotFound`.
//! - `list_workflows` orders by name bytewise; search and tags filter in Rust (Unicode case
//!   folding), walking the `(org_id, name)` index until the page is full.
//! - unpublishing (`version: None`) ignores the `triggers` argument; publish checks everything
//!   before writing: the version exists (`NotFound`, what
//!   `workflow version`), no route overlaps another of the same publish or one of another
//!   workflow (`ANY` overlaps every method of its path; `NameTaken { what: "webhook path",
//!   name: "METHOD path", other_id }`), trigger ids are unique per kind (`NameTaken { what:
//!   "trigger" }`), and each listener's source is a workflow of the organization (`NotFound`).
//! - republishing keeps a schedule whose trigger id stays (its id, enabled flag and last
//!   fire), with the new spec and version; other trigger rows are replaced. The routes
//!   generation moves when the workflow's rows in the webhook table differ from before.
//! - pausing a schedule leaves `next_fire_at` as it was; `advance_schedule` only wins on an
//!   enabled schedule, so a tick seen just before a pause does not fire.

mod accounts;
mod favorites;
mod sql;
mod triggers;
mod workflows;

use crate::{SqliteStore, rows, workflow_version_id};
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

/// Hashes and encodes a document on the caller's thread, keeping the writer's work small.
fn encode(org: &str, document: &Value) -> EncodedDocument {
    EncodedDocument {
        id: workflow_version_id(org, document),
        text: rows::json(document),
    }
}

#[async_trait]
impl ControlPlane for SqliteStore {
    async fn bootstrap(&self, org: Org, admin: User) -> StoreResult<Option<(Org, User)>> {
        self.writer
            .call(move |c| accounts::bootstrap(c, org, admin))
            .await
    }

    async fn get_org(&self, org_id: &str) -> StoreResult<Option<Org>> {
        let id = org_id.to_owned();
        self.readers.run(move |c| accounts::get_org(c, &id)).await
    }

    async fn create_org(&self, org: Org) -> StoreResult<Org> {
        self.writer
            .call(move |c| accounts::create_org(c, org))
            .await
    }

    async fn find_user_by_email(&self, email: Option<&str>) -> StoreResult<Option<User>> {
        let email = email.map(str::to_owned);
        self.readers
            .run(move |c| accounts::find_user(c, email.as_deref()))
            .await
    }

    async fn create_user(&self, scope: &TenantScope, user: User) -> StoreResult<User> {
        let org = scope.org_id.clone();
        self.writer
            .call(move |c| accounts::insert_user(c, &org, user))
            .await
    }

    async fn get_user(&self, scope: &TenantScope, id: &str) -> StoreResult<Option<User>> {
        let (org, id) = (scope.org_id.clone(), id.to_owned());
        self.readers
            .run(move |c| accounts::get_user(c, &org, &id))
            .await
    }

    async fn list_users(&self, scope: &TenantScope) -> StoreResult<Vec<User>> {
        let org = scope.org_id.clone();
        self.readers
            .run(move |c| accounts::list_users(c, &org))
            .await
    }

    async fn create_key(&self, scope: &TenantScope, key: NewKey) -> StoreResult<KeyInfo> {
        let org = scope.org_id.clone();
        self.writer
            .call(move |c| accounts::create_key(c, &org, key))
            .await
    }

    async fn authenticate(
        &self,
        secret_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(KeyInfo, User)>> {
        let hash = secret_hash.to_owned();
        let found = self
            .readers
            .run(move |c| accounts::valid_key(c, &hash, &now))
            .await?;
        match found {
            Some((key, _)) if key.kind == KeyKind::Login => {
                self.writer
                    .call(move |c| accounts::consume_login(c, &key.id, &now))
                    .await
            }
            other => Ok(other),
        }
    }

    async fn touch_key(&self, key_id: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let stale_before = rows::ts(&at.checked_sub_signed(TOUCH_INTERVAL).unwrap_or(at));
        let (id, probe, threshold) = (key_id.to_owned(), key_id.to_owned(), stale_before.clone());
        let recent = self
            .readers
            .run(move |c| accounts::last_used(c, &probe))
            .await?;
        match recent {
            // Unknown key, or used within the minute: nothing to record.
            None => return Ok(()),
            Some(Some(last)) if last >= threshold => return Ok(()),
            Some(_) => {}
        }
        let at = rows::ts(&at);
        self.writer
            .call(move |c| accounts::touch_key(c, &id, &at, &stale_before))
            .await
    }

    async fn list_keys(
        &self,
        scope: &TenantScope,
        kind: KeyKind,
        user_id: Option<&str>,
    ) -> StoreResult<Vec<KeyInfo>> {
        let (org, user) = (scope.org_id.clone(), user_id.map(str::to_owned));
        self.readers
            .run(move |c| accounts::list_keys(c, &org, kind, user.as_deref()))
            .await
    }

    async fn get_key(&self, scope: &TenantScope, id: &str) -> StoreResult<Option<KeyInfo>> {
        let (org, id) = (scope.org_id.clone(), id.to_owned());
        self.readers
            .run(move |c| accounts::get_key(c, &org, &id))
            .await
    }

    async fn revoke_key(
        &self,
        scope: &TenantScope,
        id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let (org, id, at) = (scope.org_id.clone(), id.to_owned(), rows::ts(&at));
        self.writer
            .call(move |c| accounts::revoke_key(c, &org, &id, &at))
            .await
    }

    async fn create_workflow(
        &self,
        scope: &TenantScope,
        workflow: NewWorkflow,
    ) -> StoreResult<(WorkflowRecord, VersionRecord)> {
        let doc = encode(&scope.org_id, &workflow.document);
        let scope = scope.clone();
        self.writer
            .call(move |c| workflows::create_workflow(c, &scope, workflow, &doc))
            .await
    }

    async fn get_workflow(
        &self,
        scope: &TenantScope,
        id: &str,
    ) -> StoreResult<Option<WorkflowRecord>> {
        let (org, id) = (scope.org_id.clone(), id.to_owned());
        self.readers
            .run(move |c| workflows::get_workflow(c, &org, &id))
            .await
    }

    async fn list_workflows(
        &self,
        scope: &TenantScope,
        filter: &WorkflowFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<WorkflowRecord>> {
        let (org, filter, cursor) = (
            scope.org_id.clone(),
            filter.clone(),
            cursor.map(str::to_owned),
        );
        self.readers
            .run(move |c| workflows::list_workflows(c, &org, &filter, cursor.as_deref(), limit))
            .await
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
        let (org, id) = (scope.org_id.clone(), id.to_owned());
        self.writer
            .call(move |c| workflows::update_workflow(c, &org, &id, expected_revision, encoded))
            .await
    }

    async fn delete_workflow(
        &self,
        scope: &TenantScope,
        id: &str,
        expected_revision: Option<i64>,
    ) -> StoreResult<bool> {
        let (org, id) = (scope.org_id.clone(), id.to_owned());
        self.writer
            .call(move |c| workflows::delete_workflow(c, &org, &id, expected_revision))
            .await
    }

    async fn list_versions(
        &self,
        scope: &TenantScope,
        workflow_id: &str,
    ) -> StoreResult<Vec<VersionRecord>> {
        let (org, id) = (scope.org_id.clone(), workflow_id.to_owned());
        self.readers
            .run(move |c| workflows::list_versions(c, &org, &id))
            .await
    }

    async fn get_version(
        &self,
        scope: &TenantScope,
        workflow_id: &str,
        number: i64,
    ) -> StoreResult<Option<(VersionRecord, Value)>> {
        let (org, id) = (scope.org_id.clone(), workflow_id.to_owned());
        self.readers
            .run(move |c| workflows::get_version(c, &org, &id, number))
            .await
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
        let (org, id) = (scope.org_id.clone(), workflow_id.to_owned());
        self.writer
            .call(move |c| {
                triggers::publish(c, &org, &id, expected_revision, version, &triggers, at)
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
        let (org, user, id) = (
            scope.org_id.clone(),
            user_id.to_owned(),
            workflow_id.to_owned(),
        );
        let at = rows::ts(&Utc::now());
        self.writer
            .call(move |c| favorites::set(c, &org, &user, &id, favorite, &at))
            .await
    }

    async fn favorite_workflows(
        &self,
        scope: &TenantScope,
        user_id: &str,
    ) -> StoreResult<Vec<String>> {
        let (org, user) = (scope.org_id.clone(), user_id.to_owned());
        self.readers
            .run(move |c| favorites::list(c, &org, &user))
            .await
    }

    async fn webhook_routes(&self) -> StoreResult<Vec<RouteEntry>> {
        self.readers.run(triggers::webhook_routes).await
    }

    async fn routes_generation(&self) -> StoreResult<i64> {
        self.readers.run(triggers::routes_generation).await
    }

    async fn list_schedules(&self, scope: &TenantScope) -> StoreResult<Vec<ScheduleRecord>> {
        let org = scope.org_id.clone();
        self.readers
            .run(move |c| triggers::list_schedules(c, &org))
            .await
    }

    async fn get_schedule(
        &self,
        scope: &TenantScope,
        id: &str,
    ) -> StoreResult<Option<ScheduleRecord>> {
        let (org, id) = (scope.org_id.clone(), id.to_owned());
        self.readers
            .run(move |c| triggers::get_schedule(c, &org, &id))
            .await
    }

    async fn set_schedule_enabled(
        &self,
        scope: &TenantScope,
        id: &str,
        enabled: bool,
        next_fire_at: Option<DateTime<Utc>>,
    ) -> StoreResult<bool> {
        let (org, id, next) = (
            scope.org_id.clone(),
            id.to_owned(),
            next_fire_at.as_ref().map(rows::ts),
        );
        self.writer
            .call(move |c| triggers::set_schedule_enabled(c, &org, &id, enabled, next))
            .await
    }

    async fn due_schedules(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<ScheduleRecord>> {
        let now = rows::ts(&now);
        self.readers
            .run(move |c| triggers::due_schedules(c, &now, limit))
            .await
    }

    async fn next_schedule_at(&self) -> StoreResult<Option<DateTime<Utc>>> {
        self.readers.run(triggers::next_schedule_at).await
    }

    async fn advance_schedule(
        &self,
        id: &str,
        expected: DateTime<Utc>,
        next: Option<DateTime<Utc>>,
        fired_at: DateTime<Utc>,
        run_id: Option<RunId>,
    ) -> StoreResult<bool> {
        let (id, expected, next, fired_at) = (
            id.to_owned(),
            rows::ts(&expected),
            next.as_ref().map(rows::ts),
            rows::ts(&fired_at),
        );
        self.writer
            .call(move |c| triggers::advance_schedule(c, &id, &expected, next, &fired_at, run_id))
            .await
    }

    async fn listeners_of(
        &self,
        scope: &TenantScope,
        source_workflow_id: &str,
    ) -> StoreResult<Vec<ListenerEntry>> {
        let (org, source) = (scope.org_id.clone(), source_workflow_id.to_owned());
        self.readers
            .run(move |c| triggers::listeners_of(c, &org, &source))
            .await
    }
}
