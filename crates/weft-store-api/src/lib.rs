//! The storage contract: everything the engine and the CLI persist goes through [`Store`].
//!
//! Invariants every implementation keeps:
//! - every call that reads or writes tenant data takes a [`TenantScope`]; an id from another
//!   organization is simply not found;
//! - journal writes ([`Store::write`]) are applied in the order they were submitted, and a
//!   [`Commit`] resolves only once its batch and every batch submitted before it are durable;
//! - a run row and its journal never disagree: a batch's events and its run update commit in
//!   one transaction.

pub mod control;
pub mod llm;
mod threads;
mod version_id;

pub mod rfc3339;
pub use threads::{ThreadQuery, ThreadRecord, ThreadStoredMessage};

pub use version_id::{canonical_json, workflow_version_id};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use uuid::Uuid;

/// The organization (and optionally team) that owns stored objects.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TenantScope {
    /// Organization id.
    pub org_id: String,
    /// Team id, when the object belongs to a team.
    pub team_id: Option<String>,
}

impl TenantScope {
    /// The organization the embedded, single-user mode uses.
    pub const DEFAULT_ORG: &'static str = "default";

    /// A scope for an organization without a team.
    pub fn org(org_id: impl Into<String>) -> Self {
        TenantScope {
            org_id: org_id.into(),
            team_id: None,
        }
    }
    /// The scope of the embedded default organization.
    pub fn default_org() -> Self {
        Self::org(Self::DEFAULT_ORG)
    }
}

/// Identifier of a run: a UUIDv7, so ids sort by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunId(pub Uuid);

impl RunId {
    /// A new, time-ordered id.
    pub fn new() -> Self {
        RunId(Uuid::now_v7())
    }
}

impl Default for RunId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for RunId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(RunId)
    }
}

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Accepted, not started.
    Queued,
    /// Steps are executing.
    Running,
    /// Nothing can progress until a timer fires, an approval arrives or an event comes.
    Waiting,
    /// Paused by a person; in-flight steps finished, nothing new starts.
    Paused,
    /// Finished successfully.
    Succeeded,
    /// Finished with an error.
    Failed,
    /// Cancelled by a person or a parent.
    Cancelled,
}

impl RunStatus {
    /// The lowercase name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Waiting => "waiting",
            RunStatus::Paused => "paused",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }
    /// True for succeeded, failed and cancelled.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RunStatus::Succeeded | RunStatus::Failed | RunStatus::Cancelled
        )
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "queued" => RunStatus::Queued,
            "running" => RunStatus::Running,
            "waiting" => RunStatus::Waiting,
            "paused" => RunStatus::Paused,
            "succeeded" => RunStatus::Succeeded,
            "failed" => RunStatus::Failed,
            "cancelled" => RunStatus::Cancelled,
            other => return Err(format!("unknown run status {other:?}")),
        })
    }
}

/// A request from outside the process that drives a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ControlRequest {
    /// Cancel the run; running steps are cancelled.
    Cancel,
    /// Start no new steps until resumed.
    Pause,
    /// Continue a paused run.
    Resume,
}

/// A control request taken from the store by the owner that drives the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenControl {
    /// The run's organization and team, to give the request back if the run let go meanwhile.
    pub scope: TenantScope,
    /// The run.
    pub run_id: RunId,
    /// What was asked.
    pub request: ControlRequest,
}

impl ControlRequest {
    /// The lowercase name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ControlRequest::Cancel => "cancel",
            ControlRequest::Pause => "pause",
            ControlRequest::Resume => "resume",
        }
    }
}

impl FromStr for ControlRequest {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "cancel" => ControlRequest::Cancel,
            "pause" => ControlRequest::Pause,
            "resume" => ControlRequest::Resume,
            other => return Err(format!("unknown control request {other:?}")),
        })
    }
}

/// The run that started a child run, and which of its steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentRef {
    /// The parent run.
    pub run_id: RunId,
    /// A key unique within the parent run, e.g. `map1/item/3`; the same key always names the
    /// same child, which is what makes starting a child idempotent.
    pub key: String,
}

/// A run to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRun {
    /// Its id (the caller creates it so it can be logged before the insert).
    pub id: RunId,
    /// The workflow version it executes.
    pub workflow_version_id: String,
    /// The stored workflow ([`control::WorkflowRecord`]) it belongs to, when started through
    /// the API; `None` for documents run directly from a file.
    pub workflow_id: Option<String>,
    /// Workflow name, kept on the run for listing.
    pub workflow_name: String,
    /// The input items.
    pub input: Value,
    /// Set for sub-workflow and map children.
    pub parent: Option<ParentRef>,
    /// A second create with the same key in the same scope returns the first run.
    pub idempotency_key: Option<String>,
    /// The run fails with a timeout when not finished by then.
    pub deadline_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A stored run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Run id.
    pub id: RunId,
    /// Owning tenant.
    pub scope: TenantScope,
    /// Executed workflow version.
    pub workflow_version_id: String,
    /// The stored workflow, when there is one.
    pub workflow_id: Option<String>,
    /// Workflow name.
    pub workflow_name: String,
    /// Current status.
    pub status: RunStatus,
    /// Input items.
    pub input: Value,
    /// Output, once succeeded.
    pub output: Option<Value>,
    /// Error, once failed or cancelled.
    pub error: Option<Value>,
    /// Parent run, for children.
    pub parent: Option<ParentRef>,
    /// Idempotency key given at creation.
    pub idempotency_key: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When the first step started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it reached a terminal status.
    pub finished_at: Option<DateTime<Utc>>,
    /// For waiting runs: when the earliest timer fires.
    pub wake_at: Option<DateTime<Utc>>,
    /// Run timeout deadline.
    pub deadline_at: Option<DateTime<Utc>>,
    /// A pending control request not yet taken by the driving process.
    pub control: Option<ControlRequest>,
}

/// A journal event as JSON text: the engine serializes an event once, straight to text, and
/// the store keeps the text as it is.
pub type EventJson = Box<serde_json::value::RawValue>;

/// Encodes a value as journal event text.
pub fn encode_event<T: Serialize + ?Sized>(event: &T) -> Result<EventJson, StoreError> {
    serde_json::value::to_raw_value(event)
        .map_err(|e| StoreError::Database(format!("encoding a journal event: {e}")))
}

/// One journal entry of a run. The payload is the engine's event, opaque to the store.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Position in the run's journal, from 1, without gaps.
    pub seq: u64,
    /// When it was appended.
    pub at: DateTime<Utc>,
    /// The event, as JSON text.
    pub event: EventJson,
}

impl JournalEntry {
    /// The event as a JSON value (`null` if the text is not JSON, which no store returns).
    pub fn event_value(&self) -> Value {
        serde_json::from_str(self.event.get()).unwrap_or(Value::Null)
    }
}

impl PartialEq for JournalEntry {
    fn eq(&self, other: &Self) -> bool {
        self.seq == other.seq && self.at == other.at && self.event.get() == other.event.get()
    }
}

/// Changes to a run row, applied with a journal batch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunUpdate {
    /// New status.
    pub status: Option<RunStatus>,
    /// Output to store.
    pub output: Option<Value>,
    /// Error to store.
    pub error: Option<Value>,
    /// Set `started_at`, if not already set.
    pub started_at: Option<DateTime<Utc>>,
    /// Set `finished_at`.
    pub finished_at: Option<DateTime<Utc>>,
    /// `Some(None)` clears `wake_at`, `Some(Some(t))` sets it.
    pub wake_at: Option<Option<DateTime<Utc>>>,
    /// Release ownership so any process may claim the run (waiting, paused, terminal runs).
    pub release_owner: bool,
    /// Clear a pending control request (the driving process has acted on it).
    pub clear_control: bool,
}

impl RunUpdate {
    /// Applies the update to a record the way every store applies it to the run row, so a
    /// process that wrote it can keep its copy of the record exact without reading it back.
    /// (Ownership is not part of the record.)
    pub fn apply_to(&self, record: &mut RunRecord) {
        if let Some(status) = self.status {
            record.status = status;
        }
        if let Some(output) = &self.output {
            record.output = Some(output.clone());
        }
        if let Some(error) = &self.error {
            record.error = Some(error.clone());
        }
        if record.started_at.is_none() {
            record.started_at = self.started_at;
        }
        if let Some(at) = self.finished_at {
            record.finished_at = Some(at);
        }
        if let Some(wake_at) = self.wake_at {
            record.wake_at = wake_at;
        }
        if self.clear_control || self.status.is_some_and(RunStatus::is_terminal) {
            record.control = None;
        }
    }

    /// One update with the effect of `self` written and then `later`, for one batch that
    /// carries both (an executor defers its run's `running` update to its next write).
    /// `clear_control` from `self` then applies at the later write: merge only updates that
    /// do not clear a request.
    pub fn merge(self, later: RunUpdate) -> RunUpdate {
        RunUpdate {
            status: later.status.or(self.status),
            output: later.output.or(self.output),
            error: later.error.or(self.error),
            started_at: self.started_at.or(later.started_at),
            finished_at: later.finished_at.or(self.finished_at),
            wake_at: later.wake_at.or(self.wake_at),
            release_owner: self.release_owner || later.release_owner,
            clear_control: self.clear_control || later.clear_control,
        }
    }
}

/// What one [`Store::write`] appends and changes, atomically.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteBatch {
    /// The run.
    pub run_id: RunId,
    /// Entries to append; their `seq` must continue the journal.
    pub entries: Vec<JournalEntry>,
    /// Changes to the run row.
    pub update: Option<RunUpdate>,
}

/// Resolves when a write is durable. Dropping it does not cancel the write.
pub struct Commit(pub tokio::sync::oneshot::Receiver<Result<(), StoreError>>);

impl Commit {
    /// A commit that has already completed (for stores without a write queue).
    pub fn done(result: Result<(), StoreError>) -> Self {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let _ = tx.send(result);
        Commit(rx)
    }
    /// Waits until the batch is durable.
    pub async fn wait(self) -> Result<(), StoreError> {
        self.0.await.unwrap_or(Err(StoreError::Closed))
    }
}

/// Filters for listing runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunFilter {
    /// Only these statuses (any when empty).
    pub statuses: Vec<RunStatus>,
    /// Only runs of workflows with this name.
    pub workflow_name: Option<String>,
    /// Only top-level runs (no parent) when true.
    pub top_level_only: bool,
    /// Only children of this run.
    pub parent_run_id: Option<RunId>,
    /// Only runs of these stored workflows (any when empty).
    pub workflow_ids: Vec<String>,
    /// Only runs created at or after this time.
    pub created_after: Option<DateTime<Utc>>,
    /// Only runs created before this time.
    pub created_before: Option<DateTime<Utc>>,
}

/// One page of a listing, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `None` at the end.
    pub next_cursor: Option<String>,
}

/// A run that a process may take over and drive.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimable {
    /// Its tenant.
    pub scope: TenantScope,
    /// The run.
    pub run_id: RunId,
    /// Its status.
    pub status: RunStatus,
    /// For waiting runs, when they are due.
    pub wake_at: Option<DateTime<Utc>>,
}

/// A credential to store: its secret part already sealed by the caller (weft-secrets); the
/// store never sees plaintext.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCredential {
    /// Id, unique in the organization; a put with an existing id replaces the record.
    pub id: String,
    /// Name shown in pickers, unique in the organization.
    pub name: String,
    /// Kind, e.g. `bearer`, `basic`, `apiKey`, `oauth2ClientCredentials`.
    pub kind: String,
    /// The sealed secret fields.
    pub sealed: Vec<u8>,
}

/// A stored credential, without its secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialInfo {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// First stored.
    pub created_at: DateTime<Utc>,
    /// Last replaced.
    pub updated_at: DateTime<Utc>,
}

/// Identifies a process that drives runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OwnerId(pub String);

/// Storage failures.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    /// Not found in this tenant scope.
    #[error("{what} {id} not found")]
    NotFound {
        /// Kind of object.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// A journal batch did not continue the journal (another process wrote to this run).
    #[error("journal of run {run_id} is at seq {actual}, the write expected {expected}")]
    JournalConflict {
        /// The run.
        run_id: RunId,
        /// The seq the write started from.
        expected: u64,
        /// The journal's last seq.
        actual: u64,
    },
    /// The database has migrations from a newer Weft.
    #[error(
        "the database schema is version {found}, newer than this build's {supported}; upgrade weft"
    )]
    SchemaTooNew {
        /// Version found.
        found: i64,
        /// Version this build knows.
        supported: i64,
    },
    /// A name that must be unique in the organization is taken by another object.
    #[error("{what} name {name:?} is already used by {other_id}")]
    NameTaken {
        /// Kind of object.
        what: &'static str,
        /// The name.
        name: String,
        /// The object that has it.
        other_id: String,
    },
    /// An edit named a revision that is not the current one (someone else changed it).
    #[error("{what} {id} is at revision {actual}, the change expected {expected}")]
    RevisionMismatch {
        /// Kind of object.
        what: &'static str,
        /// Its id.
        id: String,
        /// The revision the change was based on.
        expected: i64,
        /// The current revision.
        actual: i64,
    },
    /// The store was shut down.
    #[error("the store is closed")]
    Closed,
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(String),
}

/// Result alias.
pub type StoreResult<T> = Result<T, StoreError>;

/// The storage interface. SQLite is the embedded default; PostgreSQL comes later.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Stores a workflow document version (deduplicated by content) and returns its id.
    async fn put_workflow_version(
        &self,
        scope: &TenantScope,
        name: &str,
        document: &Value,
    ) -> StoreResult<String>;
    /// Reads a workflow document version.
    async fn get_workflow_version(
        &self,
        scope: &TenantScope,
        id: &str,
    ) -> StoreResult<Option<Value>>;

    /// Creates a run durably. With an idempotency key (or a parent key) already used in this
    /// scope, returns the existing run and `false`.
    async fn create_run(&self, scope: &TenantScope, run: NewRun) -> StoreResult<(RunRecord, bool)>;
    /// Creates a run whose journal starts with `seed` (entries 1..=n, at the run's creation
    /// time), e.g. a retry that keeps the steps that succeeded before. Backends shared between
    /// processes must make this atomic (the default creates, then appends: another process
    /// could claim the run in between); with a used idempotency key it returns the existing run
    /// and `false` and writes nothing.
    async fn create_run_seeded(
        &self,
        scope: &TenantScope,
        run: NewRun,
        seed: Vec<EventJson>,
    ) -> StoreResult<(RunRecord, bool)> {
        let at = run.created_at;
        let (record, created) = self.create_run(scope, run).await?;
        if created && !seed.is_empty() {
            let entries = seed
                .into_iter()
                .enumerate()
                .map(|(i, event)| JournalEntry {
                    seq: i as u64 + 1,
                    at,
                    event,
                })
                .collect();
            self.write(WriteBatch {
                run_id: record.id,
                entries,
                update: None,
            })
            .wait()
            .await?;
        }
        Ok((record, created))
    }
    /// Reads one run.
    /// Like [`Store::create_run`], and claims a newly created run for `owner` in the same
    /// transaction: nobody else can have touched it, so its creator may start driving it from
    /// the returned record without reading it back. Returns `(record, created, owned)`; `owned`
    /// is false for a run that already existed, and always false in this default, which does
    /// not claim (a separate claim could follow another process's work on the run).
    async fn create_run_owned(
        &self,
        scope: &TenantScope,
        run: NewRun,
        owner: &OwnerId,
    ) -> StoreResult<(RunRecord, bool, bool)> {
        let _ = owner;
        let (record, created) = self.create_run(scope, run).await?;
        Ok((record, created, false))
    }
    async fn get_run(&self, scope: &TenantScope, id: RunId) -> StoreResult<Option<RunRecord>>;
    /// Lists runs newest first.
    async fn list_runs(
        &self,
        scope: &TenantScope,
        filter: &RunFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<RunRecord>>;
    /// The child of `parent` started under `key`, if any.
    async fn find_child_run(
        &self,
        scope: &TenantScope,
        parent: RunId,
        key: &str,
    ) -> StoreResult<Option<RunRecord>>;

    /// Queues a batch: journal entries and a run update, in one transaction, in submission order.
    fn write(&self, batch: WriteBatch) -> Commit;
    /// Queues the creation of a run that its starter has driven in memory so far, together
    /// with its first journal batch (entries from seq 1) and `batch.update` applied to the new
    /// row, as one atomic write ordered like [`Store::write`]: later writes of the run follow
    /// it. The run is owned by `owner`. It must carry no idempotency or parent key (those
    /// need [`Store::create_run`]'s look-up first); the workflow version must belong to the
    /// scope's organization. A crash before the commit leaves no trace of the run.
    fn create_with_write(
        &self,
        scope: &TenantScope,
        run: NewRun,
        owner: &OwnerId,
        batch: WriteBatch,
    ) -> Commit;
    /// The whole journal of a run, in order.
    async fn load_journal(
        &self,
        scope: &TenantScope,
        run_id: RunId,
    ) -> StoreResult<Vec<JournalEntry>>;

    /// Registers this process as an owner of runs; runs it owns are not claimable by others
    /// while it is alive.
    async fn register_owner(&self) -> StoreResult<OwnerId>;
    /// Owners alive now, this store's included: the engines (`weft serve`, `weft worker`)
    /// sharing the database.
    async fn live_owners(&self) -> StoreResult<u64>;
    /// Unfinished runs that nobody alive drives (queued, running, paused runs of dead or no
    /// owners), waiting runs due by `now`, and waiting runs with a pending control request
    /// (a cancel must not wait for the timer).
    async fn claimable_runs(&self, now: DateTime<Utc>, limit: usize)
    -> StoreResult<Vec<Claimable>>;
    /// The earliest `wake_at` of any waiting run, across all organizations (system-level; lets
    /// a worker sleep until then and tell "idle" from "waiting on a timer").
    async fn next_wake_at(&self) -> StoreResult<Option<DateTime<Utc>>>;
    /// Takes ownership of a run; false when a live owner holds it or it is finished.
    async fn claim_run(&self, owner: &OwnerId, run_id: RunId) -> StoreResult<bool>;
    /// Gives up ownership (on shutdown, or when the run starts waiting).
    async fn release_run(&self, owner: &OwnerId, run_id: RunId) -> StoreResult<()>;

    /// Records a control request for the process driving the run. False if the run is finished
    /// or not found.
    async fn request_control(
        &self,
        scope: &TenantScope,
        run_id: RunId,
        request: ControlRequest,
    ) -> StoreResult<bool>;
    /// Stores or replaces a credential (sealed by the caller).
    async fn put_credential(
        &self,
        scope: &TenantScope,
        credential: NewCredential,
    ) -> StoreResult<()>;
    /// The sealed secret and description of a credential.
    async fn get_credential(
        &self,
        scope: &TenantScope,
        id: &str,
    ) -> StoreResult<Option<(CredentialInfo, Vec<u8>)>>;
    /// The organization's credentials, by name, without secrets.
    async fn list_credentials(&self, scope: &TenantScope) -> StoreResult<Vec<CredentialInfo>>;
    /// Deletes a credential; false when there was none.
    async fn delete_credential(&self, scope: &TenantScope, id: &str) -> StoreResult<bool>;
    /// A conversation thread (agent memory): its summary and the messages after it that the
    /// query asks for, oldest first. `None` when the thread does not exist in this scope.
    async fn load_thread(
        &self,
        scope: &TenantScope,
        thread_id: &str,
        query: &ThreadQuery,
    ) -> StoreResult<Option<ThreadRecord>>;
    /// Appends messages to a thread (creating it), numbered after its last message, first
    /// removing what was appended before under the same `source` (a repeated step replaces its
    /// own messages rather than adding them twice). Returns the thread's last seq.
    async fn append_thread(
        &self,
        scope: &TenantScope,
        thread_id: &str,
        source: &str,
        messages: Vec<Value>,
        at: DateTime<Utc>,
    ) -> StoreResult<u64>;
    /// Sets the summary of a thread's messages up to seq `through`, if that moves the summary
    /// forward; false otherwise (or when there is no such thread).
    async fn summarize_thread(
        &self,
        scope: &TenantScope,
        thread_id: &str,
        summary: &str,
        through: u64,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Deletes a thread and its messages; false when there was none.
    async fn delete_thread(&self, scope: &TenantScope, thread_id: &str) -> StoreResult<bool>;

    // ----- LLM accounting (see [`llm`]) -----

    /// The organization's own model prices (the built-in ones are [`llm::default_prices`]).
    async fn list_llm_prices(&self, scope: &TenantScope) -> StoreResult<Vec<llm::LlmPrice>>;
    /// Sets the organization's price of a model (replacing its earlier one).
    async fn put_llm_price(
        &self,
        scope: &TenantScope,
        price: &llm::LlmPrice,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Removes the organization's price of a model; false when it had none.
    async fn delete_llm_price(&self, scope: &TenantScope, model: &str) -> StoreResult<bool>;
    /// Creates or replaces a budget (by id). Its spend so far is kept.
    async fn put_budget(&self, scope: &TenantScope, budget: &llm::Budget) -> StoreResult<()>;
    /// A budget of the organization.
    async fn get_budget(&self, scope: &TenantScope, id: &str) -> StoreResult<Option<llm::Budget>>;
    /// Every budget of the organization, by id.
    async fn list_budgets(&self, scope: &TenantScope) -> StoreResult<Vec<llm::Budget>>;
    /// Deletes a budget and its windows; false when there was none.
    async fn delete_budget(&self, scope: &TenantScope, id: &str) -> StoreResult<bool>;
    /// What a budget's window has spent and has in flight (zero when nothing yet).
    async fn budget_spend(
        &self,
        scope: &TenantScope,
        budget_id: &str,
        window: &str,
    ) -> StoreResult<llm::WindowSpend>;
    /// Reserves a call's worst case against every budget that applies to its caller, all or
    /// nothing, atomically with every other reservation (across processes): refused when a
    /// window's spent + reserved + this call would pass a limit.
    async fn reserve_llm(
        &self,
        scope: &TenantScope,
        request: &llm::ReserveRequest,
    ) -> StoreResult<llm::ReserveOutcome>;
    /// Records a call, releases its reservation and adds what it spent to every budget that
    /// applies (cached calls spend nothing); returns the thresholds crossed for the first time
    /// in their windows.
    async fn settle_llm(
        &self,
        scope: &TenantScope,
        reservation: &llm::Reservation,
        call: &llm::LlmCall,
    ) -> StoreResult<Vec<llm::BudgetCrossing>>;
    /// Recorded calls rolled up by the query's grouping, largest cost first.
    async fn llm_usage(
        &self,
        scope: &TenantScope,
        query: &llm::UsageQuery,
    ) -> StoreResult<Vec<llm::UsageRow>>;
    /// Every recorded call of a run, oldest first.
    async fn list_llm_calls(
        &self,
        scope: &TenantScope,
        run_id: &str,
    ) -> StoreResult<Vec<llm::LlmCall>>;
    /// A cached model response under `key` that has not expired at `now`.
    async fn get_llm_cache(
        &self,
        scope: &TenantScope,
        key: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<llm::CachedResponse>>;
    /// Caches a response until `expires_at` (replacing an earlier one); expired entries of the
    /// organization are removed on the way.
    async fn put_llm_cache(
        &self,
        scope: &TenantScope,
        key: &str,
        response: &Value,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Takes (and clears) pending control requests for runs this owner drives, by run id.
    async fn take_control_requests(&self, owner: &OwnerId) -> StoreResult<Vec<TakenControl>>;

    /// Waits until there may be new work (a run created, released or due, a control request)
    /// or `timeout` passes. Stores shared between processes wake on other processes' writes
    /// (PostgreSQL: `LISTEN/NOTIFY`); the default just sleeps.
    async fn wait_for_work(&self, timeout: std::time::Duration) {
        tokio::time::sleep(timeout).await
    }
    /// Waits until a run may have finished in any process sharing the store, or `timeout`
    /// passes (PostgreSQL: `LISTEN weft_done`); the default just sleeps. Lets a process
    /// answer a webhook at the last node when another process drove the run.
    async fn wait_for_finished_runs(&self, timeout: std::time::Duration) {
        tokio::time::sleep(timeout).await
    }
    /// True when the database is reachable and its schema is the one this build expects
    /// (`/readyz`).
    async fn ready(&self) -> StoreResult<()> {
        Ok(())
    }
    /// Live events between the processes sharing the database (PostgreSQL: `NOTIFY
    /// weft_events`), so a `weft serve` streams the events of runs its workers drive. `None`
    /// when this process is the only one (SQLite).
    fn event_relay(&self) -> Option<Arc<dyn EventRelay>> {
        None
    }
}

/// A live event (a run or step event, already serialized) passed from the process that
/// emitted it to the others sharing the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayedEvent {
    /// The run's organization.
    pub org_id: String,
    /// The run.
    pub run_id: RunId,
    /// The event's name (`stepSucceeded`, …).
    pub name: String,
    /// The event as JSON text.
    pub data: String,
}

/// Best-effort delivery of live events to the other processes sharing a database. The
/// journal stays the record: a relayed event can be lost (a full queue, a reconnect) and
/// per-run streams read the journal; relayed events only make live views live.
pub trait EventRelay: Send + Sync {
    /// Sends an event to the other processes (never back to this one). Never blocks.
    fn publish(&self, event: RelayedEvent);
    /// Events from the other processes.
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<RelayedEvent>>;
}
