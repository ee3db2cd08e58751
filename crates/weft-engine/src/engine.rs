//! The engine: owns the store, the node registry and the runs this process drives; starts runs,
//! recovers unfinished ones, wakes timers, relays control requests, and streams live events.

use crate::EngineError;
use crate::children::ChildServices;
use crate::events::{RunEvent, RunEventKind};
use crate::executor::{DriveOutcome, Fresh, drive};
use crate::graph::CompiledWorkflow;
use crate::signal::{Command, Delivery};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore, broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use weft_model::Workflow;
use weft_model::parse::{ParseLimits, workflow_from_value};
use weft_node_api::{EngineServices, NodeRegistry};
use weft_store_api::{
    ControlRequest, NewRun, OwnerId, RunId, RunRecord, RunStatus, Store, TenantScope,
};

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Environment variables expressions may read through `$env`.
    pub env_allowlist: Arc<Vec<String>>,
    /// How often the worker loop looks for runs left by other processes and for control
    /// requests written by other processes.
    pub poll_interval: Duration,
    /// Most runs claimed per look.
    pub claim_batch: usize,
    /// Opens stored credentials; without one, steps that use a credential fail with
    /// `credential.unavailable`.
    pub vault: Option<Arc<weft_secrets::Vault>>,
    /// Drive runs this process starts (default). False for a process that only records runs
    /// and leaves them to workers (`weft serve --no-workers`).
    pub drive_started_runs: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            env_allowlist: Arc::new(Vec::new()),
            poll_interval: Duration::from_millis(200),
            claim_batch: 256,
            vault: None,
            drive_started_runs: true,
        }
    }
}

/// Options for starting a run.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// A second start with the same key returns the first run.
    pub idempotency_key: Option<String>,
    /// Only record the run; a worker picks it up.
    pub detach: bool,
    /// The stored workflow the version belongs to (runs started through the API).
    pub workflow_id: Option<String>,
    /// Let the run's first journal write create it, up to 20 ms after the start or at its end,
    /// instead of committing it before `start_run` returns: for a caller that answers only
    /// once the run has finished (a webhook answering with the last node's output), so a run
    /// of pure steps costs one write. A crash before that write leaves no trace of the run;
    /// its caller got no answer. Ignored with an idempotency key, for detached runs and when
    /// this process does not drive the runs it starts.
    pub create_lazily: bool,
}

/// What starts when a run ends: the server's run-completed triggers, installed with
/// [`Engine::on_run_completed`] in every process that drives runs.
#[async_trait::async_trait]
pub trait RunCompleted: Send + Sync + 'static {
    /// Called for a top-level run of a stored workflow (one with a `workflow_id`) that has
    /// reached `status`, before its end is journaled: if the process dies in between, the run
    /// ends again after recovery and this is called again, so what it starts must be keyed by
    /// the run's id. An error fails the attempt to finish; the run is retried later.
    async fn run_completed(
        &self,
        engine: &Engine,
        run: &RunRecord,
        status: RunStatus,
        output: Option<&Value>,
        error: Option<&Value>,
    ) -> Result<(), EngineError>;
}

/// When [`Engine::run_worker`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerMode {
    /// Until [`Engine::shutdown`].
    Forever,
    /// Once no run is active, claimable, or waiting on a timer this process set.
    UntilIdle,
}

struct ActiveRun {
    control: mpsc::UnboundedSender<Command>,
    scope: TenantScope,
    /// Callers of [`Engine::wait_for`] in this process, handed the finished record.
    waiters: Vec<oneshot::Sender<Arc<RunRecord>>>,
}

/// What an executor gets from the engine for its run.
#[derive(Clone)]
pub struct RunHandle {
    /// Cancelled when the run is cancelled.
    pub cancel: CancellationToken,
}

/// Shared engine internals.
pub struct Inner {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) registry: Arc<NodeRegistry>,
    pub(crate) config: EngineConfig,
    pub(crate) owner: OwnerId,
    pub(crate) shutdown: CancellationToken,
    /// Set by [`Engine::drain`]: no new runs are claimed and no new steps start.
    pub(crate) draining: CancellationToken,
    workflows: Mutex<HashMap<String, Arc<CompiledWorkflow>>>,
    active: Mutex<HashMap<RunId, ActiveRun>>,
    tasks: tokio_util::task::TaskTracker,
    events: broadcast::Sender<RunEvent>,
    pub(crate) finished: broadcast::Sender<(RunId, RunStatus)>,
    pub(crate) wake: Notify,
    /// Worker loops running until idle: they must hear that the last run finished.
    until_idle: std::sync::atomic::AtomicUsize,
    limits: Mutex<HashMap<String, Arc<Semaphore>>>,
    pub(crate) cache: Arc<crate::cache::StepCache>,
    pub(crate) run_completed: std::sync::OnceLock<Arc<dyn RunCompleted>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The durable workflow engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Engine {
    /// Starts an engine over a store; registers this process as an owner of runs.
    pub async fn new(
        store: Arc<dyn Store>,
        registry: Arc<NodeRegistry>,
        config: EngineConfig,
    ) -> Result<Engine, EngineError> {
        let owner = store.register_owner().await?;
        let (events, _) = broadcast::channel(4096);
        let (finished, _) = broadcast::channel(1024);
        Ok(Engine {
            inner: Arc::new(Inner {
                store,
                registry,
                config,
                owner,
                shutdown: CancellationToken::new(),
                draining: CancellationToken::new(),
                workflows: Mutex::new(HashMap::new()),
                active: Mutex::new(HashMap::new()),
                tasks: tokio_util::task::TaskTracker::new(),
                events,
                finished,
                wake: Notify::new(),
                until_idle: std::sync::atomic::AtomicUsize::new(0),
                limits: Mutex::new(HashMap::new()),
                cache: Arc::default(),
                run_completed: std::sync::OnceLock::new(),
            }),
        })
    }

    pub(crate) fn inner(&self) -> &Arc<Inner> {
        &self.inner
    }

    pub(crate) fn from_inner(inner: Arc<Inner>) -> Engine {
        Engine { inner }
    }

    /// Installs what starts when a run ends (once; later calls are ignored).
    pub fn on_run_completed(&self, hook: Arc<dyn RunCompleted>) {
        let _ = self.inner.run_completed.set(hook);
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The node registry.
    pub fn registry(&self) -> &Arc<NodeRegistry> {
        &self.inner.registry
    }

    /// Live events of every run this process drives.
    pub fn subscribe(&self) -> broadcast::Receiver<RunEvent> {
        self.inner.events.subscribe()
    }

    /// Validates, compiles and stores a workflow; returns its version id.
    pub async fn register_workflow(
        &self,
        scope: &TenantScope,
        workflow: &Workflow,
    ) -> Result<String, EngineError> {
        self.inner.register_workflow(scope, workflow).await
    }

    /// Creates a run durably and, unless detached, starts driving it.
    pub async fn start_run(
        &self,
        scope: &TenantScope,
        version_id: &str,
        input: Value,
        options: StartOptions,
    ) -> Result<RunRecord, EngineError> {
        let workflow = self.inner.compiled_workflow(scope, version_id).await?;
        let now = Utc::now();
        let deadline_at = run_deadline(&workflow.document, now);
        let input = run_input(input);
        let new = NewRun {
            id: RunId::new(),
            workflow_version_id: version_id.to_string(),
            workflow_id: options.workflow_id,
            workflow_name: workflow.document.name.clone(),
            input,
            parent: None,
            idempotency_key: options.idempotency_key,
            deadline_at,
            created_at: now,
        };
        if options.detach || !self.inner.config.drive_started_runs {
            let (record, _created) = self.inner.store.create_run(scope, new).await?;
            self.inner.wake.notify_one();
            return Ok(record);
        }
        if options.create_lazily && new.idempotency_key.is_none() && new.parent.is_none() {
            let record = RunRecord {
                id: new.id,
                scope: scope.clone(),
                workflow_version_id: new.workflow_version_id.clone(),
                workflow_id: new.workflow_id.clone(),
                workflow_name: new.workflow_name.clone(),
                status: RunStatus::Queued,
                input: new.input.clone(),
                output: None,
                error: None,
                parent: None,
                idempotency_key: None,
                created_at: new.created_at,
                started_at: None,
                finished_at: None,
                wake_at: None,
                deadline_at: new.deadline_at,
                control: None,
            };
            self.inner
                .spawn_executor_fresh(scope.clone(), record.clone(), Some(new));
            return Ok(record);
        }
        // Create (claimed by this process where the store can do both at once) and start, in a
        // task of its own: a caller dropped in between must not leave the run claimed with
        // nobody driving it.
        let (inner, scope) = (Arc::clone(&self.inner), scope.clone());
        tokio::spawn(async move {
            let (record, _created, owned) = inner
                .store
                .create_run_owned(&scope, new, &inner.owner)
                .await?;
            if owned {
                // Nobody else can have touched it: start from the record, with an empty journal.
                inner.spawn_executor_fresh(scope, record.clone(), None);
            } else if !record.status.is_terminal() {
                inner.ensure_driving(&scope, record.id).await?;
            }
            Ok(record)
        })
        .await
        .map_err(|e| EngineError::Internal(format!("starting a run: {e}")))?
    }

    /// Waits until a run reaches a terminal status and returns it.
    pub async fn wait_for(
        &self,
        scope: &TenantScope,
        run_id: RunId,
    ) -> Result<RunRecord, EngineError> {
        let mut rx = self.inner.finished.subscribe();
        loop {
            // A run this process drives hands its final record over: nothing to read.
            if let Some(finished) = self.inner.finished_record(scope, run_id) {
                tokio::select! {
                    r = finished => if let Ok(record) = r {
                        return Ok(Arc::unwrap_or_clone(record));
                    },
                    _ = self.inner.shutdown.cancelled() => return Err(EngineError::ShuttingDown),
                }
                // The executor stopped without finishing the run (it waits on a timer, or the
                // process stops): read where it is.
            }
            let record = self
                .inner
                .store
                .get_run(scope, run_id)
                .await?
                .ok_or_else(|| EngineError::NotFound(format!("run {run_id}")))?;
            if record.status.is_terminal() {
                return Ok(record);
            }
            tokio::select! {
                // Only this run's end is worth a read: with many waiters, re-reading on every
                // run's end cost a read per waiter per finished run.
                r = async {
                    loop {
                        match rx.recv().await {
                            Ok((id, _)) if id != run_id => continue,
                            other => return other,
                        }
                    }
                } => match r {
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return Err(EngineError::ShuttingDown),
                },
                // Runs driven by other processes (PostgreSQL) announce their end through the store.
                _ = self.inner.store.wait_for_finished_runs(self.inner.config.poll_interval * 5) => {}
                _ = self.inner.shutdown.cancelled() => return Err(EngineError::ShuttingDown),
            }
        }
    }

    /// Asks the process driving a run to cancel, pause or resume it. False when the run is
    /// finished or not found.
    pub async fn control(
        &self,
        scope: &TenantScope,
        run_id: RunId,
        request: ControlRequest,
    ) -> Result<bool, EngineError> {
        let accepted = self
            .inner
            .store
            .request_control(scope, run_id, request)
            .await?;
        let active = lock(&self.inner.active);
        let here = active
            .get(&run_id)
            .filter(|a| a.scope.org_id == scope.org_id);
        match here {
            Some(run) if accepted => {
                let _ = run.control.send(Command::Control(request));
                Ok(true)
            }
            // Driven here and not in the store yet (created with its first write): nothing
            // is lost if this process dies before that write, the run goes with it.
            Some(run) => Ok(run.control.send(Command::Control(request)).is_ok()),
            None => Ok(accepted),
        }
    }

    /// Makes what the executor of a run driven here has kept back (the results of pure steps
    /// of the last few milliseconds) durable now, and returns after the commit. Returns at
    /// once for a run not driven by this process.
    pub async fn flush(&self, run_id: RunId) {
        let (done, flushed) = oneshot::channel();
        let sent = lock(&self.inner.active)
            .get(&run_id)
            .is_some_and(|active| active.control.send(Command::Flush { done }).is_ok());
        if sent {
            // A closed channel: the executor let the run go, writing what it kept back.
            let _ = flushed.await;
        }
    }

    /// Claims and starts every run left unfinished by dead processes, and due timers.
    pub async fn recover_once(&self) -> Result<usize, EngineError> {
        self.inner.recover_once().await
    }

    /// Number of runs this process is driving now.
    pub fn active_runs(&self) -> usize {
        lock(&self.inner.active).len()
    }

    /// Runs the worker loop: recovery, timers, control requests.
    pub async fn run_worker(&self, mode: WorkerMode) -> Result<(), EngineError> {
        let inner = &self.inner;
        let _until_idle = (mode == WorkerMode::UntilIdle).then(|| UntilIdle::new(inner));
        loop {
            inner.recover_once().await?;
            inner.poll_controls().await?;
            if mode == WorkerMode::UntilIdle && inner.is_idle().await? {
                return Ok(());
            }
            // Timers cost a row, not a task: sleep until the earliest one the store knows of.
            // An executor that unloads a run notifies `wake`, so a nearer timer is not missed.
            let next_wake = inner.store.next_wake_at().await?;
            let mut sleep = inner.config.poll_interval;
            if let Some(at) = next_wake {
                sleep = sleep.min((at - Utc::now()).to_std().unwrap_or_default());
            }
            // A store shared between processes wakes us when another process creates or
            // releases work (PostgreSQL: LISTEN/NOTIFY); the embedded one just sleeps.
            tokio::select! {
                _ = inner.wake.notified() => {}
                _ = inner.store.wait_for_work(sleep) => {}
                _ = inner.shutdown.cancelled() => return Ok(()),
            }
        }
    }

    /// Graceful stop: claims no more runs and starts no more steps, lets the steps already
    /// running finish (their results are journaled) for at most `grace`, then shuts down.
    /// Runs left unfinished stay claimable by the next process. True when every run this
    /// process drove was let go before the grace period ended.
    pub async fn drain(&self, grace: Duration) -> bool {
        self.inner.draining.cancel();
        self.inner.wake.notify_waiters();
        let deadline = tokio::time::Instant::now() + grace;
        let mut clean = true;
        while self.active_runs() > 0 {
            if tokio::time::Instant::now() >= deadline {
                clean = false;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.shutdown().await;
        clean
    }

    /// Stops driving runs (they stay claimable by the next process) and waits for executors
    /// to let go.
    pub async fn shutdown(&self) {
        self.inner.shutdown.cancel();
        self.inner.tasks.close();
        self.inner.tasks.wait().await;
    }
}

impl Inner {
    pub(crate) fn emit(&self, source: &crate::events::EventSource, kind: RunEventKind) {
        if self.events.receiver_count() > 0 {
            let _ = self.events.send(source.event(kind));
        }
    }

    pub(crate) async fn register_workflow(
        &self,
        scope: &TenantScope,
        workflow: &Workflow,
    ) -> Result<String, EngineError> {
        let document =
            serde_json::to_value(workflow).map_err(|e| EngineError::Internal(e.to_string()))?;
        // Compile first: an invalid workflow is never stored.
        let compiled = CompiledWorkflow::compile(String::new(), workflow.clone(), &self.registry)?;
        let version_id = self
            .store
            .put_workflow_version(scope, &workflow.name, &document)
            .await?;
        let compiled = Arc::new(CompiledWorkflow {
            version_id: version_id.clone(),
            ..compiled
        });
        lock(&self.workflows).insert(cache_key(scope, &version_id), compiled);
        Ok(version_id)
    }

    pub(crate) async fn compiled_workflow(
        &self,
        scope: &TenantScope,
        version_id: &str,
    ) -> Result<Arc<CompiledWorkflow>, EngineError> {
        let key = cache_key(scope, version_id);
        if let Some(w) = lock(&self.workflows).get(&key) {
            return Ok(w.clone());
        }
        let document = self
            .store
            .get_workflow_version(scope, version_id)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("workflow version {version_id}")))?;
        let workflow = workflow_from_value(document, &ParseLimits::default())?;
        let compiled = Arc::new(CompiledWorkflow::compile(
            version_id.to_string(),
            workflow,
            &self.registry,
        )?);
        lock(&self.workflows).insert(key, compiled.clone());
        Ok(compiled)
    }

    pub(crate) fn services_for(
        self: &Arc<Self>,
        scope: TenantScope,
        run_id: RunId,
    ) -> Arc<dyn EngineServices> {
        Arc::new(ChildServices {
            inner: self.clone(),
            scope,
            parent: run_id,
        })
    }

    pub(crate) fn node_limit(
        &self,
        version_id: &str,
        node_id: &str,
        permits: u32,
    ) -> Arc<Semaphore> {
        lock(&self.limits)
            .entry(format!("{version_id}/{node_id}"))
            .or_insert_with(|| Arc::new(Semaphore::new(permits.max(1) as usize)))
            .clone()
    }

    /// Tells the worker loop that a run started waiting, so it recomputes its sleep.
    pub(crate) fn timer_set(&self) {
        self.wake.notify_one();
    }

    /// Claims a run if nobody alive drives it and starts driving it here.
    pub(crate) async fn ensure_driving(
        self: &Arc<Self>,
        scope: &TenantScope,
        run_id: RunId,
    ) -> Result<bool, EngineError> {
        if lock(&self.active).contains_key(&run_id) {
            return Ok(true);
        }
        self.claim_and_drive(scope, run_id, None).await
    }

    /// Claims a run and starts an executor for it with `first` already in its queue, so the
    /// executor acts on it before it can decide there is nothing to do and let the run go.
    /// False when another live process drives the run.
    async fn claim_and_drive(
        self: &Arc<Self>,
        scope: &TenantScope,
        run_id: RunId,
        first: Option<Command>,
    ) -> Result<bool, EngineError> {
        // Claim and start in a task of its own: a caller dropped in between (an HTTP client
        // that went away) must not leave the run claimed by this live process with nobody
        // driving it, where no recovery would ever look.
        let (inner, scope) = (Arc::clone(self), scope.clone());
        tokio::spawn(async move {
            if !inner.store.claim_run(&inner.owner, run_id).await? {
                return Ok(false);
            }
            inner.spawn_executor_with(scope, run_id, None, first);
            Ok(true)
        })
        .await
        .map_err(|e| EngineError::Internal(format!("starting run {run_id}: {e}")))?
    }

    /// Hands a command to the executor driving the run here, claiming the run and starting one
    /// (with the command first in its queue) when nobody drives it.
    pub(crate) async fn deliver(
        self: &Arc<Self>,
        scope: &TenantScope,
        run_id: RunId,
        command: Command,
    ) -> Result<Delivery, EngineError> {
        if let Some(active) = lock(&self.active).get(&run_id) {
            // A closed channel means the executor is gone: the sender's reply closes too.
            let _ = active.control.send(command);
            return Ok(Delivery::Sent);
        }
        Ok(
            if self.claim_and_drive(scope, run_id, Some(command)).await? {
                Delivery::Sent
            } else {
                Delivery::Busy
            },
        )
    }

    /// Starts driving a run this process just created and claimed in one transaction, or
    /// (with `create`) will create with the executor's first write.
    pub(crate) fn spawn_executor_fresh(
        self: &Arc<Self>,
        scope: TenantScope,
        record: RunRecord,
        create: Option<NewRun>,
    ) {
        let run_id = record.id;
        self.spawn_executor_with(scope, run_id, Some(Fresh { record, create }), None);
    }

    /// Where the finished record of a run this process drives will be sent; `None` when the
    /// run is not driven here (or belongs to another organization).
    fn finished_record(
        &self,
        scope: &TenantScope,
        run_id: RunId,
    ) -> Option<oneshot::Receiver<Arc<RunRecord>>> {
        let mut active = lock(&self.active);
        let run = active
            .get_mut(&run_id)
            .filter(|r| r.scope.org_id == scope.org_id)?;
        let (tx, rx) = oneshot::channel();
        run.waiters.push(tx);
        Some(rx)
    }

    fn spawn_executor(self: &Arc<Self>, scope: TenantScope, run_id: RunId) {
        self.spawn_executor_with(scope, run_id, None, None);
    }

    fn spawn_executor_with(
        self: &Arc<Self>,
        scope: TenantScope,
        run_id: RunId,
        fresh: Option<Fresh>,
        first: Option<Command>,
    ) {
        let (tx, rx) = mpsc::unbounded_channel();
        {
            let mut active = lock(&self.active);
            if let Some(running) = active.get(&run_id) {
                // Started here in the meantime (the worker loop claimed it): that executor
                // takes the command.
                if let Some(command) = first {
                    let _ = running.control.send(command);
                }
                return;
            }
            if let Some(command) = first {
                let _ = tx.send(command);
            }
            active.insert(
                run_id,
                ActiveRun {
                    control: tx,
                    scope: scope.clone(),
                    waiters: Vec::new(),
                },
            );
        }
        let inner = self.clone();
        let handle = RunHandle {
            cancel: CancellationToken::new(),
        };
        self.tasks.spawn(async move {
            let mut rx = rx;
            // Boxed: the executor's state machine is large, and a task's future is moved by
            // value through every layer of `spawn` (and its stage rewritten on completion);
            // a box keeps those moves to a pointer.
            let outcome =
                Box::pin(drive(inner.clone(), scope.clone(), run_id, &mut rx, handle, fresh)).await;
            let waiters = lock(&inner.active)
                .remove(&run_id)
                .map(|run| run.waiters)
                .unwrap_or_default();
            // A request that reached the channel while the run was unloading is handed back
            // to the store, where the next process to claim the run will find it. (A decision
            // left here is dropped: its sender sees the reply channel close and tries again.)
            if matches!(outcome, Ok(DriveOutcome::Unloaded)) {
                while let Ok(command) = rx.try_recv() {
                    let Command::Control(request) = command else {
                        continue;
                    };
                    if let Err(e) = inner.store.request_control(&scope, run_id, request).await {
                        tracing::error!(run_id = %run_id, error = %e, "could not keep a control request");
                    }
                }
            }
            match outcome {
                Ok(DriveOutcome::Finished(record)) => {
                    let status = record.status;
                    let record = Arc::new(*record);
                    for waiter in waiters {
                        let _ = waiter.send(Arc::clone(&record));
                    }
                    let _ = inner.finished.send((run_id, status));
                    // A finished run leaves nothing for the worker loop to do, unless it was
                    // the last one and a worker runs until idle (it may stop now). Waking it
                    // for every finished run cost three reads per run under load.
                    if inner.until_idle.load(std::sync::atomic::Ordering::Relaxed) > 0
                        && lock(&inner.active).is_empty()
                    {
                        inner.wake.notify_one();
                    }
                }
                Ok(DriveOutcome::Unloaded) => inner.wake.notify_one(),
                Ok(DriveOutcome::Interrupted) => {}
                Err(e) => {
                    tracing::error!(run_id = %run_id, error = %e, "run could not be driven");
                    if let Err(e) = inner.store.release_run(&inner.owner, run_id).await {
                        tracing::error!(run_id = %run_id, error = %e, "could not release the run");
                    }
                    inner.wake.notify_one();
                }
            }
        });
    }

    async fn recover_once(self: &Arc<Self>) -> Result<usize, EngineError> {
        if self.draining.is_cancelled() {
            return Ok(0);
        }
        let claimable = self
            .store
            .claimable_runs(Utc::now(), self.config.claim_batch)
            .await?;
        let mut started = 0;
        for c in claimable {
            if lock(&self.active).contains_key(&c.run_id) {
                continue;
            }
            if self.store.claim_run(&self.owner, c.run_id).await? {
                if c.status != RunStatus::Queued {
                    tracing::info!(run_id = %c.run_id, status = %c.status, "resuming unfinished run");
                }
                self.spawn_executor(c.scope, c.run_id);
                started += 1;
            }
        }
        Ok(started)
    }

    async fn poll_controls(&self) -> Result<(), EngineError> {
        for taken in self.store.take_control_requests(&self.owner).await? {
            let delivered = lock(&self.active)
                .get(&taken.run_id)
                .is_some_and(|active| active.control.send(Command::Control(taken.request)).is_ok());
            // The run let go between the take and now (it unloaded to wait on a timer): the
            // request goes back to the store, where it makes the run claimable again.
            if !delivered {
                self.store
                    .request_control(&taken.scope, taken.run_id, taken.request)
                    .await?;
            }
        }
        Ok(())
    }

    async fn is_idle(&self) -> Result<bool, EngineError> {
        if !lock(&self.active).is_empty() {
            return Ok(false);
        }
        if !self.store.claimable_runs(Utc::now(), 1).await?.is_empty() {
            return Ok(false);
        }
        Ok(self.store.next_wake_at().await?.is_none())
    }
}

/// Counts a worker loop running until idle while it lives.
struct UntilIdle<'a>(&'a Inner);

impl<'a> UntilIdle<'a> {
    fn new(inner: &'a Inner) -> Self {
        inner
            .until_idle
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        UntilIdle(inner)
    }
}

impl Drop for UntilIdle<'_> {
    fn drop(&mut self) {
        self.0
            .until_idle
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// When a run of `workflow` started at `now` must end (its `settings.timeout`), if ever.
pub(crate) fn run_deadline(workflow: &Workflow, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    workflow
        .settings
        .timeout
        .map(|t| now + chrono::Duration::milliseconds(t.0.min(i64::MAX as u64) as i64))
}

/// A run's input as items: an array as it is, `null` as none, anything else as one item.
pub(crate) fn run_input(input: Value) -> Value {
    match input {
        Value::Array(_) => input,
        Value::Null => Value::Array(Vec::new()),
        other => Value::Array(vec![other]),
    }
}

fn cache_key(scope: &TenantScope, version_id: &str) -> String {
    format!("{}/{version_id}", scope.org_id)
}
