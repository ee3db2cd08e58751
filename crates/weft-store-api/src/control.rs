//! The control plane's storage: organizations, users, API keys and sessions, workflows with
//! their numbered versions, published triggers (webhook routes, cron schedules, run-completed
//! listeners). The HTTP server (`weft-server`) is its only user; the engine never touches it.
//!
//! Invariants every implementation keeps, on top of the crate's:
//! - every call that reads or writes tenant data takes a [`TenantScope`]; the few system-level
//!   calls (authentication lookups, the webhook routing table, due schedules) say so;
//! - a workflow's `revision` increases by one on every change to the workflow row or its
//!   versions; an update that names an `expected_revision` that is not the current one fails
//!   with [`StoreError::RevisionMismatch`] and changes nothing;
//! - versions are immutable and numbered from 1 without gaps per workflow;
//! - publishing replaces the workflow's trigger rows (routes, schedules, listeners) in the same
//!   transaction as the workflow row; unpublishing or deleting removes them;
//! - a webhook `(method, path)` is unique across the whole deployment (it is a public URL): a
//!   publish whose route is taken by another workflow fails with [`StoreError::NameTaken`]
//!   (`what = "webhook path"`) and changes nothing;
//! - [`ControlPlane::advance_schedule`] is a compare-and-set on `next_fire_at`, so of several
//!   processes that saw the same due tick exactly one fires it.

use crate::{Page, RunId, StoreResult, TenantScope};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An organization: the unit of tenancy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Org {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// What a user may do in their organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including users, API keys of others and credentials.
    Admin,
    /// Workflows, runs, credentials; not users.
    Editor,
    /// Read only.
    Viewer,
}

impl Role {
    /// The lowercase name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }
    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "admin" => Role::Admin,
            "editor" => Role::Editor,
            "viewer" => Role::Viewer,
            _ => return None,
        })
    }
}

/// A person (or service account) in an organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Id.
    pub id: String,
    /// Organization.
    pub org_id: String,
    /// Sign-in name, unique in the deployment.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role in the organization.
    pub role: Role,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// What kind of bearer secret a key record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    /// A long-lived API key (`Authorization: Bearer weft_…`).
    Api,
    /// A browser session (cookie), created by signing in.
    Session,
    /// A one-time sign-in link; consumed on first use.
    Login,
}

impl KeyKind {
    /// The lowercase name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Api => "api",
            KeyKind::Session => "session",
            KeyKind::Login => "login",
        }
    }
    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<KeyKind> {
        Some(match s {
            "api" => KeyKind::Api,
            "session" => KeyKind::Session,
            "login" => KeyKind::Login,
            _ => return None,
        })
    }
}

/// A key to store. The store only ever sees the SHA-256 of the secret.
#[derive(Debug, Clone, PartialEq)]
pub struct NewKey {
    /// Id.
    pub id: String,
    /// The user it acts as.
    pub user_id: String,
    /// What it is.
    pub kind: KeyKind,
    /// A label chosen by the user.
    pub name: String,
    /// The first characters of the secret, shown in listings to recognise it.
    pub prefix: String,
    /// SHA-256 of the whole secret, lowercase hex; unique in the deployment.
    pub secret_hash: String,
    /// Scopes, e.g. `workflows:read`, `runs:write`, `*`.
    pub scopes: Vec<String>,
    /// No longer valid after this time.
    pub expires_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A stored key, without its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyInfo {
    /// Id.
    pub id: String,
    /// Organization.
    pub org_id: String,
    /// The user it acts as.
    pub user_id: String,
    /// What it is.
    pub kind: KeyKind,
    /// Label.
    pub name: String,
    /// First characters of the secret.
    pub prefix: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Expiry.
    pub expires_at: Option<DateTime<Utc>>,
    /// Set when revoked (or, for a login link, used).
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last successful authentication (updated at most about once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A workflow: a named, tagged series of immutable versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowRecord {
    /// Id.
    pub id: String,
    /// Owning tenant.
    pub scope: TenantScope,
    /// Name, unique in the organization.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Tags, sorted and unique.
    pub tags: Vec<String>,
    /// Number of the newest version.
    pub latest_version: i64,
    /// Number of the published version, if published.
    pub published_version: Option<i64>,
    /// Increases on every change; the HTTP ETag.
    pub revision: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// One immutable version of a workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionRecord {
    /// The workflow.
    pub workflow_id: String,
    /// 1, 2, 3, …
    pub number: i64,
    /// The content-addressed document id (see [`crate::Store::put_workflow_version`]); what
    /// runs execute.
    pub version_id: String,
    /// User id of the author.
    pub author: String,
    /// Save message.
    pub message: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A workflow to create, with its first version.
#[derive(Debug, Clone, PartialEq)]
pub struct NewWorkflow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Tags.
    pub tags: Vec<String>,
    /// The document of version 1 (already validated by the caller).
    pub document: Value,
    /// Author's user id.
    pub author: String,
    /// Save message.
    pub message: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A new version to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVersion {
    /// The document (already validated by the caller).
    pub document: Value,
    /// Author's user id.
    pub author: String,
    /// Save message.
    pub message: String,
}

/// Changes to a workflow; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkflowUpdate {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New tags.
    pub tags: Option<Vec<String>>,
    /// A new version to append.
    pub version: Option<NewVersion>,
    /// Time of the change.
    pub at: DateTime<Utc>,
}

/// Filters for listing workflows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkflowFilter {
    /// Case-insensitive substring of the name, description or a tag.
    pub search: Option<String>,
    /// Only workflows that have every one of these tags.
    pub tags: Vec<String>,
    /// Only published (`Some(true)`) or unpublished (`Some(false)`) workflows.
    pub published: Option<bool>,
}

/// A webhook route of a published workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookRoute {
    /// Uppercase HTTP method, or `ANY`.
    pub method: String,
    /// Normalized path without leading or trailing `/`; segments starting with `:` are
    /// parameters, e.g. `orders/:id`.
    pub path: String,
    /// The trigger's id in the document.
    pub trigger_id: String,
    /// The trigger's params as written (response mode, signature credential, …).
    pub params: Value,
}

/// A cron schedule of a published workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleSpec {
    /// The trigger's id in the document.
    pub trigger_id: String,
    /// Cron expression (5 or 6 fields).
    pub cron: String,
    /// IANA time zone.
    pub timezone: String,
    /// `skip`, `queue` or `allow`: what a tick does while an earlier run of this schedule is
    /// unfinished.
    pub overlap: String,
    /// `none`, `latest` or `all`: which ticks missed while no scheduler ran are fired.
    pub catch_up: String,
    /// Input items of each run.
    pub input: Value,
    /// The first tick to fire.
    pub next_fire_at: Option<DateTime<Utc>>,
}

/// A run-completed listener of a published workflow: start it when a run of `source` ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenerSpec {
    /// The trigger's id in the document.
    pub trigger_id: String,
    /// The workflow whose runs are watched (id, same organization).
    pub source_workflow_id: String,
    /// Statuses that fire it (`succeeded`, `failed`, `cancelled`); any terminal one when empty.
    pub statuses: Vec<String>,
}

/// Everything a publish registers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PublishedTriggers {
    /// Webhook routes.
    pub webhooks: Vec<WebhookRoute>,
    /// Cron schedules.
    pub schedules: Vec<ScheduleSpec>,
    /// Run-completed listeners.
    pub listeners: Vec<ListenerSpec>,
}

/// A route in the deployment-wide webhook table.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteEntry {
    /// Owning tenant.
    pub scope: TenantScope,
    /// The workflow.
    pub workflow_id: String,
    /// The published version's document id.
    pub version_id: String,
    /// The route.
    pub route: WebhookRoute,
}

/// A stored schedule with its state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleRecord {
    /// Id.
    pub id: String,
    /// Owning tenant.
    pub scope: TenantScope,
    /// The workflow.
    pub workflow_id: String,
    /// The published version's document id.
    pub version_id: String,
    /// The spec it was published with.
    pub spec: ScheduleSpec,
    /// Paused schedules do not fire (and do not catch up the ticks missed while paused).
    pub enabled: bool,
    /// Last tick fired.
    pub last_fire_at: Option<DateTime<Utc>>,
    /// The run the last tick started.
    pub last_run_id: Option<RunId>,
}

/// A listener with its workflow, as found for a finished run.
#[derive(Debug, Clone, PartialEq)]
pub struct ListenerEntry {
    /// The workflow to start.
    pub workflow_id: String,
    /// Its published version's document id.
    pub version_id: String,
    /// The listener.
    pub spec: ListenerSpec,
}

/// The control plane's storage. Implemented by the SQLite and PostgreSQL stores.
#[async_trait]
pub trait ControlPlane: Send + Sync + 'static {
    // ----- organizations, users, keys -----

    /// Creates the first organization and its admin, only when no organization exists yet
    /// (atomically: of two concurrent first starts, one creates and the other gets `None`).
    async fn bootstrap(&self, org: Org, admin: User) -> StoreResult<Option<(Org, User)>>;
    /// Reads an organization (system-level).
    async fn get_org(&self, org_id: &str) -> StoreResult<Option<Org>>;
    /// Creates another organization (system-level; for operators). `NameTaken` when the id
    /// is used.
    async fn create_org(&self, org: Org) -> StoreResult<Org>;
    /// System-level, for operators recovering access: the user with this email or, without
    /// one, the first admin of the oldest organization.
    async fn find_user_by_email(&self, email: Option<&str>) -> StoreResult<Option<User>>;
    /// Creates a user in the scope's organization. `NameTaken` when the email is used.
    async fn create_user(&self, scope: &TenantScope, user: User) -> StoreResult<User>;
    /// Reads a user of the organization.
    async fn get_user(&self, scope: &TenantScope, id: &str) -> StoreResult<Option<User>>;
    /// The organization's users by email.
    async fn list_users(&self, scope: &TenantScope) -> StoreResult<Vec<User>>;

    /// Stores a key for a user of the scope's organization (`NotFound` for another org's user).
    async fn create_key(&self, scope: &TenantScope, key: NewKey) -> StoreResult<KeyInfo>;
    /// System-level: the key with this secret hash and its user, if the key exists, is not
    /// revoked and has not expired at `now`. A login key is consumed (revoked) by this call,
    /// so only the first of concurrent callers gets it.
    async fn authenticate(
        &self,
        secret_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(KeyInfo, User)>>;
    /// Records a use (best effort; implementations may skip writes within a minute).
    async fn touch_key(&self, key_id: &str, at: DateTime<Utc>) -> StoreResult<()>;
    /// Keys of the organization of this kind, newest first; with `user_id`, only theirs.
    async fn list_keys(
        &self,
        scope: &TenantScope,
        kind: KeyKind,
        user_id: Option<&str>,
    ) -> StoreResult<Vec<KeyInfo>>;
    /// Reads a key of the organization.
    async fn get_key(&self, scope: &TenantScope, id: &str) -> StoreResult<Option<KeyInfo>>;
    /// Revokes a key; false when not found or already revoked.
    async fn revoke_key(
        &self,
        scope: &TenantScope,
        id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;

    // ----- workflows and versions -----

    /// Creates a workflow and its version 1. `NameTaken` when the name is used.
    async fn create_workflow(
        &self,
        scope: &TenantScope,
        workflow: NewWorkflow,
    ) -> StoreResult<(WorkflowRecord, VersionRecord)>;
    /// Reads a workflow.
    async fn get_workflow(
        &self,
        scope: &TenantScope,
        id: &str,
    ) -> StoreResult<Option<WorkflowRecord>>;
    /// Lists workflows by name (a cursor is the last name of the previous page).
    async fn list_workflows(
        &self,
        scope: &TenantScope,
        filter: &WorkflowFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<WorkflowRecord>>;
    /// Changes a workflow, appending a version if one is given. `NotFound`, `NameTaken`,
    /// `RevisionMismatch`.
    async fn update_workflow(
        &self,
        scope: &TenantScope,
        id: &str,
        expected_revision: Option<i64>,
        update: WorkflowUpdate,
    ) -> StoreResult<(WorkflowRecord, Option<VersionRecord>)>;
    /// Deletes a workflow, its versions' records and its triggers (runs and documents stay).
    /// False when not found; `RevisionMismatch` as for updates.
    async fn delete_workflow(
        &self,
        scope: &TenantScope,
        id: &str,
        expected_revision: Option<i64>,
    ) -> StoreResult<bool>;
    /// The workflow's versions, newest first.
    async fn list_versions(
        &self,
        scope: &TenantScope,
        workflow_id: &str,
    ) -> StoreResult<Vec<VersionRecord>>;
    /// One version and its document.
    async fn get_version(
        &self,
        scope: &TenantScope,
        workflow_id: &str,
        number: i64,
    ) -> StoreResult<Option<(VersionRecord, Value)>>;

    /// Publishes `version` (replacing the trigger rows with `triggers`), or unpublishes when
    /// `None` (removing them). `NotFound`, `RevisionMismatch`, `NameTaken` for a webhook route.
    async fn publish(
        &self,
        scope: &TenantScope,
        workflow_id: &str,
        expected_revision: Option<i64>,
        version: Option<i64>,
        triggers: PublishedTriggers,
        at: DateTime<Utc>,
    ) -> StoreResult<WorkflowRecord>;

    // ----- favourites -----

    /// Marks (`favorite: true`) or unmarks a workflow as one of a user's favourites. Marking
    /// twice or unmarking a workflow that is not one changes nothing. `NotFound` when the
    /// workflow is not in the scope. A deleted workflow stops being anyone's favourite.
    async fn set_favorite(
        &self,
        scope: &TenantScope,
        user_id: &str,
        workflow_id: &str,
        favorite: bool,
    ) -> StoreResult<()>;
    /// The ids of a user's favourite workflows in the scope's organization, sorted.
    async fn favorite_workflows(
        &self,
        scope: &TenantScope,
        user_id: &str,
    ) -> StoreResult<Vec<String>>;

    // ----- triggers -----

    /// System-level: every webhook route of every published workflow.
    async fn webhook_routes(&self) -> StoreResult<Vec<RouteEntry>>;
    /// System-level: a number that changes whenever the webhook routes or the run-completed
    /// listeners change (cheap to poll; processes cache both by it).
    async fn routes_generation(&self) -> StoreResult<i64>;
    /// The organization's schedules, by workflow and trigger id.
    async fn list_schedules(&self, scope: &TenantScope) -> StoreResult<Vec<ScheduleRecord>>;
    /// Reads a schedule.
    async fn get_schedule(
        &self,
        scope: &TenantScope,
        id: &str,
    ) -> StoreResult<Option<ScheduleRecord>>;
    /// Pauses or resumes a schedule. Resuming sets `next_fire_at` to `next_fire_at` (the caller
    /// computes the first tick after now). False when not found.
    async fn set_schedule_enabled(
        &self,
        scope: &TenantScope,
        id: &str,
        enabled: bool,
        next_fire_at: Option<DateTime<Utc>>,
    ) -> StoreResult<bool>;
    /// System-level: enabled schedules with `next_fire_at <= now`, earliest first.
    async fn due_schedules(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<ScheduleRecord>>;
    /// System-level: the earliest `next_fire_at` of any enabled schedule.
    async fn next_schedule_at(&self) -> StoreResult<Option<DateTime<Utc>>>;
    /// System-level compare-and-set: if the schedule's `next_fire_at` is still `expected`,
    /// set it to `next`, `last_fire_at` to `fired_at` and `last_run_id` to `run_id`; true
    /// when this call won.
    async fn advance_schedule(
        &self,
        id: &str,
        expected: DateTime<Utc>,
        next: Option<DateTime<Utc>>,
        fired_at: DateTime<Utc>,
        run_id: Option<RunId>,
    ) -> StoreResult<bool>;
    /// The published listeners watching `source_workflow_id` in the organization.
    async fn listeners_of(
        &self,
        scope: &TenantScope,
        source_workflow_id: &str,
    ) -> StoreResult<Vec<ListenerEntry>>;
}
