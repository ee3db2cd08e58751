//! Drives one run: folds its journal into a [`RunState`], then loops — decide, start steps,
//! journal what happened — until the run finishes, waits on a timer, or the process stops.
//!
//! The durability contract lives here: an effectful step's result is committed before it is
//! applied to the state, so nothing downstream of it can start before the commit.

use crate::EngineError;
use crate::engine::{Inner, RunHandle};
use crate::env::RunEnv;
use crate::events::{EventSource, RunEventKind};
use crate::graph::CompiledWorkflow;
use crate::journal::{Awaiting, Event};
use crate::signal::{Command, SignalError, StepSignal};
use crate::state::{Action, Phase, RunState, StepStatus, next_actions};
use crate::step::{AttemptDone, AttemptOutcome, AttemptPlan, run_attempt};
use crate::step_services::{StepMessage, StepServices};
use chrono::{DateTime, Utc};
use futures::stream::{FuturesUnordered, StreamExt};
use serde_json::{Value, json};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use weft_model::Purity;
use weft_node_api::{EngineServices, NodeError, NodeInput, NodeOutput};
use weft_store_api::{
    Commit, ControlRequest, JournalEntry, NewRun, RunId, RunRecord, RunStatus, RunUpdate,
    TenantScope, WriteBatch, encode_event,
};

type StepFuture = Pin<Box<dyn Future<Output = AttemptDone> + Send>>;

/// A run this process has just created (or will create with its first write) and claimed:
/// its executor starts from the record, with an empty journal, without reading the store.
pub(crate) struct Fresh {
    /// The run as created.
    pub(crate) record: RunRecord,
    /// Set when the run is not in the store yet: the executor's first write creates it.
    pub(crate) create: Option<NewRun>,
}

/// How a call to [`drive`] ended.
#[derive(Debug, Clone, PartialEq)]
pub enum DriveOutcome {
    /// The run reached a terminal status; its record as the finishing write left it.
    Finished(Box<RunRecord>),
    /// The run waits on a timer and was unloaded.
    Unloaded,
    /// The process is shutting down; the run stays claimable.
    Interrupted,
}

struct Executor {
    inner: Arc<Inner>,
    /// The run's services (child runs, credentials), shared by its steps.
    run_services: Arc<dyn EngineServices>,
    /// The scope, shared by the steps' services.
    shared_scope: Arc<TenantScope>,
    /// What the run's model calls are accounted under.
    run_meta: Arc<crate::step_services::RunMeta>,
    /// What every live event of this run carries.
    source: EventSource,
    scope: TenantScope,
    record: RunRecord,
    workflow: Arc<CompiledWorkflow>,
    state: RunState,
    env: Arc<RunEnv>,
    input: Vec<Value>,
    seq: u64,
    cancel: CancellationToken,
    running: FuturesUnordered<StepFuture>,
    /// Journal entries not yet handed to the store: pure steps' results and the run's start,
    /// which a crash may lose (pure steps are recomputed on recovery). They go with the next
    /// write, at the latest [`FLUSH_AFTER`] after the first of them.
    deferred: Vec<JournalEntry>,
    /// The run-row change that goes with them.
    deferred_update: Option<RunUpdate>,
    /// When the oldest deferred entry was made.
    deferred_since: Option<tokio::time::Instant>,
    /// The run, when it is not in the store yet: the next write creates it
    /// ([`weft_store_api::Store::create_with_write`]).
    pending_create: Option<NewRun>,
    /// Checkpoints and progress from running steps (see [`crate::step_services`]).
    step_tx: mpsc::UnboundedSender<StepMessage>,
    step_rx: mpsc::UnboundedReceiver<StepMessage>,
}

/// The longest a deferred journal entry waits for a write to ride with.
const FLUSH_AFTER: std::time::Duration = std::time::Duration::from_millis(20);
/// Deferred entries that are written without waiting longer.
const FLUSH_ENTRIES: usize = 64;

/// The idempotency key of an error workflow's run is this prefix and the failed run's id.
pub const ERROR_RUN_KEY_PREFIX: &str = "error-of/";

/// Drives a run this process has claimed until it finishes, unloads, or the engine stops.
pub(crate) async fn drive(
    inner: Arc<Inner>,
    scope: TenantScope,
    run_id: RunId,
    control: &mut mpsc::UnboundedReceiver<Command>,
    handle: RunHandle,
    fresh: Option<Fresh>,
) -> Result<DriveOutcome, EngineError> {
    let store = inner.store.clone();
    // A run this process created and claimed in one transaction (or creates with its first
    // write) has an empty journal and the record it was created with; any other run is read
    // back.
    let mut pending_create = None;
    let (record, journal) = match fresh {
        Some(Fresh { record, create }) => {
            pending_create = create;
            (record, Vec::new())
        }
        None => {
            let record = store
                .get_run(&scope, run_id)
                .await?
                .ok_or_else(|| EngineError::NotFound(format!("run {run_id}")))?;
            if record.status.is_terminal() {
                return Ok(DriveOutcome::Finished(Box::new(record)));
            }
            let journal = store.load_journal(&scope, run_id).await?;
            (record, journal)
        }
    };
    let workflow = inner
        .compiled_workflow(&scope, &record.workflow_version_id)
        .await?;
    let mut state = RunState::new(workflow.graph.clone());
    let mut seq = 0;
    for entry in &journal {
        seq = entry.seq;
        match serde_json::from_str::<Event>(entry.event.get()) {
            Ok(ev) => state.apply(&ev),
            Err(e) => {
                return Err(EngineError::CorruptJournal {
                    run_id,
                    seq: entry.seq,
                    message: e.to_string(),
                });
            }
        }
    }
    state.prepare_for_recovery();
    let run_info = json!({
        "id": run_id.to_string(),
        "workflowName": record.workflow_name,
        "workflowVersion": record.workflow_version_id,
        "parentRunId": record.parent.as_ref().map(|p| p.run_id.to_string()),
    });
    let env = Arc::new(RunEnv::new(
        workflow.clone(),
        run_info,
        inner.config.env_allowlist.clone(),
    ));
    for (n, step) in state.steps.iter().enumerate() {
        if let (Some(out), StepStatus::Succeeded | StepStatus::Failed) = (&step.output, step.status)
        {
            env.set_output(n, out.clone());
        }
    }
    let input = match &record.input {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    };
    let (step_tx, step_rx) = mpsc::unbounded_channel();
    let mut ex = Executor {
        run_services: inner.services_for(scope.clone(), run_id),
        shared_scope: Arc::new(scope.clone()),
        run_meta: Arc::new(crate::step_services::RunMeta {
            workflow_id: record.workflow_id.clone(),
            workflow_name: record.workflow_name.clone(),
        }),
        source: EventSource::of(&scope, &record),
        step_tx,
        step_rx,
        cancel: handle.cancel.clone(),
        inner,
        scope,
        workflow,
        state,
        env,
        input,
        seq,
        running: FuturesUnordered::new(),
        record,
        deferred: Vec::new(),
        deferred_update: None,
        deferred_since: None,
        pending_create,
    };
    let outcome = ex.run(control).await;
    // Stopping for a shutdown: what was deferred is written before the run is let go.
    if let Some(commit) = ex.flush()
        && matches!(outcome, Ok(DriveOutcome::Interrupted))
    {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), commit.wait()).await;
    }
    outcome
}

impl Executor {
    fn entries<'a>(
        &'a mut self,
        events: &'a [Event],
    ) -> impl Iterator<Item = JournalEntry> + use<'a> {
        let at = Utc::now();
        events.iter().map(move |ev| {
            self.seq += 1;
            JournalEntry {
                seq: self.seq,
                at,
                // Serializing an event cannot fail: its maps have string keys.
                event: encode_event(ev)
                    .unwrap_or_else(|_| serde_json::value::RawValue::NULL.to_owned()),
            }
        })
    }

    /// Writes `events` and `update`, after everything deferred, in one batch.
    fn journal(&mut self, events: &[Event], update: Option<RunUpdate>) -> Commit {
        let mut entries = std::mem::take(&mut self.deferred);
        entries.extend(self.entries(events));
        if let Some(u) = &update {
            u.apply_to(&mut self.record);
        }
        let update = match (self.deferred_update.take(), update) {
            (Some(earlier), Some(later)) => Some(earlier.merge(later)),
            (earlier, later) => later.or(earlier),
        };
        self.deferred_since = None;
        let batch = WriteBatch {
            run_id: self.record.id,
            entries,
            update,
        };
        match self.pending_create.take() {
            Some(new) => {
                self.inner
                    .store
                    .create_with_write(&self.scope, new, &self.inner.owner, batch)
            }
            None => self.inner.store.write(batch),
        }
    }

    /// Makes sure the run is in the store before something that must be durable starts (an
    /// effect, a child run): writes what was deferred and waits for the commit.
    async fn ensure_created(&mut self) -> Result<(), EngineError> {
        if self.pending_create.is_some() {
            self.journal(&[], None).wait().await?;
        }
        Ok(())
    }

    /// Keeps `events` (and `update`, which must not clear a control request) for the next
    /// write: for what a crash may lose because recovery recomputes it.
    fn defer(&mut self, events: &[Event], update: Option<RunUpdate>) {
        let entries: Vec<JournalEntry> = self.entries(events).collect();
        self.deferred.extend(entries);
        if let Some(u) = update {
            u.apply_to(&mut self.record);
            self.deferred_update = Some(match self.deferred_update.take() {
                Some(earlier) => earlier.merge(u),
                None => u,
            });
        }
        self.deferred_since
            .get_or_insert_with(tokio::time::Instant::now);
        if self.deferred.len() >= FLUSH_ENTRIES {
            let _ = self.flush();
        }
    }

    /// Writes what was deferred, if anything.
    fn flush(&mut self) -> Option<Commit> {
        (!self.deferred.is_empty() || self.deferred_update.is_some())
            .then(|| self.journal(&[], None))
    }

    /// A node's id and type as live events carry them.
    fn event_ids(&self, node: usize) -> (Arc<str>, Arc<str>) {
        let n = &self.workflow.nodes[node];
        (n.event_id.clone(), n.type_name.clone())
    }

    fn emit(&self, kind: RunEventKind) {
        self.inner.emit(&self.source, kind);
    }

    async fn run(
        &mut self,
        control: &mut mpsc::UnboundedReceiver<Command>,
    ) -> Result<DriveOutcome, EngineError> {
        let resumed = self.state.started;
        if !self.state.started {
            self.state.started = true;
            let now = Utc::now();
            self.defer(
                &[Event::RunStarted { at: now }],
                Some(RunUpdate {
                    status: Some(RunStatus::Running),
                    started_at: Some(now),
                    wake_at: Some(None),
                    ..Default::default()
                }),
            );
        } else if self.state.phase == Phase::Active && self.record.status != RunStatus::Running {
            let _ = self.journal(
                &[],
                Some(RunUpdate {
                    status: Some(RunStatus::Running),
                    wake_at: Some(None),
                    ..Default::default()
                }),
            );
        }
        self.emit(RunEventKind::RunStarted {
            workflow: self.source.workflow_name.clone(),
            resumed,
        });
        let deadline = self.record.deadline_at;

        loop {
            // Requests that arrived while we were busy come first: a cancel must win over an
            // unload.
            while let Ok(command) = control.try_recv() {
                self.on_command(command).await?;
            }
            // Draining for a graceful stop: start nothing new, let running steps finish.
            let draining = self.inner.draining.is_cancelled();
            if draining && self.running.is_empty() {
                return Ok(DriveOutcome::Interrupted);
            }
            // Decide and act until the decision function has nothing more to say.
            loop {
                let actions = if draining {
                    Vec::new()
                } else {
                    next_actions(&self.state, Utc::now())
                };
                if actions.is_empty() {
                    break;
                }
                let mut only_wait = true;
                for action in actions {
                    match action {
                        Action::Start { node, edges } => {
                            only_wait = false;
                            if self.workflow.nodes[node].purity == Purity::Effectful {
                                self.ensure_created().await?;
                            }
                            self.start(node, edges);
                        }
                        Action::Skip { node } => {
                            only_wait = false;
                            self.state.skip(node);
                            self.emit(RunEventKind::StepSkipped {
                                node: self.workflow.nodes[node].event_id.clone(),
                            });
                        }
                        Action::FailJoin { node, error } => {
                            only_wait = false;
                            let now = Utc::now();
                            let ev = Event::StepFailed {
                                node: self.workflow.nodes[node].id.clone(),
                                attempt: 0,
                                error,
                                started_at: now,
                                finished_at: now,
                                logs: Vec::new(),
                            };
                            self.journal(std::slice::from_ref(&ev), None).wait().await?;
                            self.apply_failure_event(node, &ev);
                        }
                        Action::Wake { node } => {
                            only_wait = false;
                            self.wake(node).await?;
                        }
                        Action::WaitUntil { wake_at } => {
                            // A paused run stays loaded: unloading would make it claimable
                            // again at once.
                            if self.running.is_empty() && self.state.phase != Phase::Paused {
                                return self.unload(wake_at).await;
                            }
                        }
                        Action::Finish {
                            status,
                            output,
                            error,
                        } => {
                            return self.finish(status, output, error).await;
                        }
                    }
                }
                if only_wait {
                    break;
                }
            }

            let next_wake = self
                .state
                .steps
                .iter()
                .filter(|s| s.status == StepStatus::Sleeping)
                .filter_map(|s| s.wake_at)
                .min();
            let sleep_for = |at: Option<DateTime<Utc>>| {
                at.map(|t| (t - Utc::now()).to_std().unwrap_or_default())
                    .unwrap_or(std::time::Duration::from_secs(3600))
            };
            if self.running.is_empty()
                && !draining
                && next_wake.is_none()
                && self.state.phase != Phase::Paused
                && !self.state.cancel_requested
            {
                // Nothing runs, nothing sleeps, nothing can start: a scheduler bug, reported rather than hung.
                return self
                    .finish(
                        RunStatus::Failed,
                        None,
                        Some(
                            json!({"code": "engine.stuck", "message": "no step can make progress"}),
                        ),
                    )
                    .await;
            }
            // The run's deadline is checked here too: a stream of finishing steps wins the
            // select below every time.
            if deadline.is_some_and(|d| Utc::now() >= d) {
                return self.time_out().await;
            }
            let flush_at = self.deferred_since.map(|t| t + FLUSH_AFTER);
            // Biased: a step that has already finished (pure steps mostly have) is taken
            // without arming a timer for the branches below it; commands were taken above.
            tokio::select! {
                biased;
                Some(done) = self.running.next(), if !self.running.is_empty() => {
                    self.on_attempt_done(done).await?;
                }
                Some(message) = self.step_rx.recv() => self.on_step_message(message),
                command = control.recv() => match command {
                    Some(command) => self.on_command(command).await?,
                    None => return Ok(DriveOutcome::Interrupted),
                },
                _ = self.inner.shutdown.cancelled() => return Ok(DriveOutcome::Interrupted),
                _ = self.inner.draining.cancelled(), if !draining => {}
                _ = tokio::time::sleep_until(flush_at.unwrap_or_else(tokio::time::Instant::now)), if flush_at.is_some() => {
                    let _ = self.flush();
                }
                _ = tokio::time::sleep(sleep_for(next_wake)), if next_wake.is_some() => {}
                _ = tokio::time::sleep(sleep_for(deadline)), if deadline.is_some() => {
                    return self.time_out().await;
                }
            }
        }
    }

    async fn time_out(&mut self) -> Result<DriveOutcome, EngineError> {
        let limit = self
            .workflow
            .document
            .settings
            .timeout
            .map(|t| t.to_string())
            .unwrap_or_default();
        let error = json!({
            "code": "run.timeout",
            "message": format!("the run did not finish within its timeout {limit}"),
        });
        self.finish(RunStatus::Failed, None, Some(error)).await
    }

    /// The services of one attempt: the run's, plus checkpoints recorded by earlier attempts.
    fn step_services(&self, node: usize, attempt: u32) -> Arc<dyn EngineServices> {
        Arc::new(StepServices {
            base: self.run_services.clone(),
            inner: self.inner.clone(),
            scope: self.shared_scope.clone(),
            run_meta: self.run_meta.clone(),
            node,
            attempt,
            seeded: self.state.steps[node].checkpoints.clone(),
            tx: self.step_tx.clone(),
        })
    }

    /// Journals a step's checkpoint (answering once it is durable) or emits its progress.
    fn on_step_message(&mut self, message: StepMessage) {
        match message {
            StepMessage::Checkpoint {
                node,
                attempt,
                key,
                value,
                reply,
            } => {
                if self.state.cancel_requested || matches!(self.state.phase, Phase::Finished(_)) {
                    let _ = reply.send(Err(NodeError::permanent(
                        "cancelled",
                        "the run is ending; the checkpoint was not recorded",
                    )));
                    return;
                }
                let ev = Event::StepCheckpoint {
                    node: self.workflow.nodes[node].id.clone(),
                    attempt,
                    key,
                    value,
                };
                let commit = self.journal(std::slice::from_ref(&ev), None);
                self.state.apply(&ev);
                // The step waits for durability; the executor goes on meanwhile.
                tokio::spawn(async move {
                    let outcome = commit.wait().await.map_err(|e| {
                        NodeError::transient(
                            "engine.store",
                            format!("could not record a checkpoint: {e}"),
                        )
                    });
                    let _ = reply.send(outcome);
                });
            }
            StepMessage::Progress {
                node,
                attempt,
                data,
            } => self.emit(RunEventKind::StepProgress {
                node: self.workflow.nodes[node].event_id.clone(),
                attempt,
                data,
            }),
            StepMessage::Emit { node, kind } => {
                self.emit(kind(self.workflow.nodes[node].event_id.clone()))
            }
        }
    }

    fn start(&mut self, node: usize, edges: Vec<usize>) {
        let spec = self.workflow.nodes[node].clone();
        let attempt = self.state.next_attempt(node);
        let not_before = self.state.steps[node].retry_at;
        let used_edges = match self.workflow.graph.nodes[node].join {
            weft_model::JoinPolicy::All => None,
            _ => Some(edges.clone()),
        };
        let input = NodeInput {
            ports: self.state.gather_input(node, &edges, &self.input),
        };
        let now = Utc::now();
        self.state.mark_started(node, attempt, now);
        if spec.purity == Purity::Effectful {
            let _ = self.journal(
                &[Event::StepStarted {
                    node: spec.id.clone(),
                    attempt,
                    at: now,
                }],
                None,
            );
        }
        self.emit(RunEventKind::StepStarted {
            node: spec.event_id.clone(),
            attempt,
        });
        let plan = AttemptPlan {
            node,
            limit: spec.settings.concurrency.map(|n| {
                self.inner
                    .node_limit(&self.workflow.version_id, &spec.id, n)
            }),
            spec,
            attempt,
            not_before,
            input,
            used_edges,
            run_id: self.record.id.to_string(),
            cancel: self.cancel.child_token(),
            env: self.env.clone(),
            services: self.step_services(node, attempt),
            cache: self.inner.cache.clone(),
        };
        self.running.push(Box::pin(run_attempt(plan)));
    }

    async fn on_attempt_done(&mut self, done: AttemptDone) -> Result<(), EngineError> {
        // What the step sent before it ended comes first (its last progress events).
        while let Ok(message) = self.step_rx.try_recv() {
            self.on_step_message(message);
        }
        let node = done.node;
        let spec = self.workflow.nodes[node].clone();
        let id = spec.id.clone();
        let effectful = spec.purity == Purity::Effectful;
        if self.state.cancel_requested || matches!(self.state.phase, Phase::Finished(_)) {
            return Ok(());
        }
        match done.outcome {
            AttemptOutcome::Succeeded(output) => {
                let items = output.ports.iter().map(|(_, v)| v.len()).sum();
                let ports = output.ports.iter().map(|(p, _)| p.clone()).collect();
                let ev = Event::StepSucceeded {
                    node: id.clone(),
                    attempt: done.attempt,
                    output,
                    started_at: done.started_at,
                    finished_at: done.finished_at,
                    logs: done.logs,
                    used_edges: done.used_edges,
                };
                if effectful {
                    self.journal(std::slice::from_ref(&ev), None).wait().await?;
                } else {
                    self.defer(std::slice::from_ref(&ev), None);
                }
                self.state.apply(&ev);
                if let Some(out) = &self.state.steps[node].output {
                    self.env.set_output(node, out.clone());
                }
                let (node_id, node_type) = self.event_ids(node);
                self.emit(RunEventKind::StepSucceeded {
                    node_type,
                    node: node_id,
                    items,
                    ports,
                    duration_ms: (done.finished_at - done.started_at).num_milliseconds(),
                });
            }
            AttemptOutcome::Sleeping {
                until,
                output,
                awaiting,
            } => {
                let kind = match &awaiting {
                    Some(a) => RunEventKind::StepAwaiting {
                        node: spec.event_id.clone(),
                        request: a.request.clone(),
                        until: (until != crate::journal::no_time_limit()).then_some(until),
                    },
                    None => RunEventKind::StepSleeping {
                        node: spec.event_id.clone(),
                        until,
                    },
                };
                let ev = Event::StepSleeping {
                    node: id,
                    attempt: done.attempt,
                    until,
                    output,
                    started_at: done.started_at,
                    awaiting,
                };
                self.journal(std::slice::from_ref(&ev), None).wait().await?;
                self.state.apply(&ev);
                self.emit(kind);
            }
            AttemptOutcome::Failed {
                error,
                retry_at: Some(retry_at),
            } => {
                let ev = Event::StepAttemptFailed {
                    node: id.clone(),
                    attempt: done.attempt,
                    error: error.clone(),
                    retry_at,
                    logs: done.logs,
                };
                let _ = self.journal(std::slice::from_ref(&ev), None);
                self.state.apply(&ev);
                self.emit(RunEventKind::StepRetrying {
                    node: spec.event_id.clone(),
                    attempt: done.attempt,
                    error: error.message,
                    retry_at,
                });
                let attempt = done.attempt + 1;
                let now = Utc::now();
                self.state.mark_started(node, attempt, now);
                if effectful {
                    let _ = self.journal(
                        &[Event::StepStarted {
                            node: id.clone(),
                            attempt,
                            at: now,
                        }],
                        None,
                    );
                }
                let plan = AttemptPlan {
                    node,
                    limit: spec.settings.concurrency.map(|n| {
                        self.inner
                            .node_limit(&self.workflow.version_id, &spec.id, n)
                    }),
                    spec,
                    attempt,
                    not_before: Some(retry_at),
                    input: done.input,
                    used_edges: self.state.steps[node].used_edges.clone(),
                    run_id: self.record.id.to_string(),
                    cancel: self.cancel.child_token(),
                    env: self.env.clone(),
                    services: self.step_services(node, attempt),
                    cache: self.inner.cache.clone(),
                };
                self.running.push(Box::pin(run_attempt(plan)));
            }
            AttemptOutcome::Failed {
                error,
                retry_at: None,
            } => {
                let ev = Event::StepFailed {
                    node: id,
                    attempt: done.attempt,
                    error,
                    started_at: done.started_at,
                    finished_at: done.finished_at,
                    logs: done.logs,
                };
                self.journal(std::slice::from_ref(&ev), None).wait().await?;
                self.apply_failure_event(node, &ev);
            }
        }
        Ok(())
    }

    fn apply_failure_event(&mut self, node: usize, ev: &Event) {
        self.state.apply(ev);
        let handled = self.state.failure.as_ref().is_none_or(|(n, _)| *n != node);
        if let Some(out) = &self.state.steps[node].output {
            self.env.set_output(node, out.clone());
        }
        if let Event::StepFailed { error, .. } = ev {
            let (node_id, node_type) = self.event_ids(node);
            self.emit(RunEventKind::StepFailed {
                node_type,
                node: node_id,
                code: error.code.clone(),
                error: error.message.clone(),
                handled,
            });
        }
    }

    async fn wake(&mut self, node: usize) -> Result<(), EngineError> {
        let output = self.state.steps[node]
            .output
            .as_deref()
            .cloned()
            .unwrap_or_else(|| NodeOutput::main(Vec::new()));
        self.complete_sleeping(node, output, Vec::new()).await
    }

    /// Journals a sleeping step's success with `output`, then lets the run go on.
    async fn complete_sleeping(
        &mut self,
        node: usize,
        output: NodeOutput,
        logs: Vec<weft_node_api::LogLine>,
    ) -> Result<(), EngineError> {
        let step = &self.state.steps[node];
        let now = Utc::now();
        let ev = Event::StepSucceeded {
            node: self.workflow.nodes[node].id.clone(),
            attempt: step.attempt.max(1),
            output,
            started_at: step.started_at.unwrap_or(now),
            finished_at: now,
            logs,
            used_edges: step.used_edges.clone(),
        };
        self.journal(std::slice::from_ref(&ev), None).wait().await?;
        self.state.apply(&ev);
        if let Some(out) = &self.state.steps[node].output {
            self.env.set_output(node, out.clone());
        }
        if let Event::StepSucceeded {
            output,
            started_at,
            finished_at,
            ..
        } = ev
        {
            let items = output.ports.iter().map(|(_, v)| v.len()).sum();
            let ports = output.ports.into_iter().map(|(p, _)| p).collect();
            let duration_ms = (finished_at - started_at).num_milliseconds();
            let (node_id, node_type) = self.event_ids(node);
            self.emit(RunEventKind::StepSucceeded {
                node_type,
                node: node_id,
                items,
                ports,
                duration_ms,
            });
        }
        Ok(())
    }

    async fn on_command(&mut self, command: Command) -> Result<(), EngineError> {
        match command {
            Command::Control(request) => self.on_control(request).await,
            Command::Flush { done } => {
                if let Some(commit) = self.flush() {
                    commit.wait().await?;
                }
                let _ = done.send(());
                Ok(())
            }
            Command::Signal {
                node,
                signal,
                reply,
            } => {
                let result = self.on_signal(&node, signal).await;
                // An engine failure stops the run's executor as well as the decision.
                let failure = match &result {
                    Err(SignalError::Engine(e)) => Some(e.to_string()),
                    _ => None,
                };
                let _ = reply.send(result);
                match failure {
                    Some(message) => Err(EngineError::Internal(message)),
                    None => Ok(()),
                }
            }
        }
    }

    /// Completes a waiting step by a decision from outside (see [`crate::signal`]).
    async fn on_signal(&mut self, node_id: &str, signal: StepSignal) -> Result<(), SignalError> {
        let Some(node) = self.workflow.nodes.iter().position(|n| n.id == node_id) else {
            return Err(SignalError::NotFound(format!(
                "node {node_id:?} in run {}",
                self.record.id
            )));
        };
        let step = &self.state.steps[node];
        if step.status != StepStatus::Sleeping {
            return Err(SignalError::NotWaiting(format!(
                "step {node_id:?} is not waiting (it is {})",
                format!("{:?}", step.status).to_lowercase()
            )));
        }
        if matches!(self.state.phase, crate::state::Phase::Finished(_))
            || self.state.cancel_requested
        {
            return Err(SignalError::NotWaiting(format!(
                "run {} is finishing; step {node_id:?} waits no more",
                self.record.id
            )));
        }
        let now = Utc::now();
        let (output, log) = match (&signal, step.awaiting.as_deref()) {
            (StepSignal::Resume { by }, None) => (
                step.output
                    .as_deref()
                    .cloned()
                    .unwrap_or_else(|| NodeOutput::main(Vec::new())),
                format!("resumed by {by} before its time"),
            ),
            (StepSignal::Resume { .. }, Some(_)) => {
                return Err(SignalError::NotWaiting(format!(
                    "step {node_id:?} waits for a decision: approve or reject it"
                )));
            }
            (StepSignal::Approve { .. } | StepSignal::Reject { .. }, None) => {
                return Err(SignalError::NotWaiting(format!(
                    "step {node_id:?} waits on a timer, not for a decision: resume it"
                )));
            }
            (StepSignal::Approve { by, comment } | StepSignal::Reject { by, comment }, Some(a)) => {
                let decision = signal.past_tense();
                let port = decision;
                let items = decided_items(a, decision, by, comment.as_deref(), now);
                let why = comment
                    .as_deref()
                    .map(|c| format!(": {c}"))
                    .unwrap_or_default();
                (
                    NodeOutput::port(port, items),
                    format!("{decision} by {by}{why}"),
                )
            }
        };
        let line = weft_node_api::LogLine {
            at_ms: now.timestamp_millis(),
            level: weft_node_api::LogLevel::Info,
            message: log,
        };
        self.complete_sleeping(node, output, vec![line]).await?;
        Ok(())
    }

    async fn on_control(&mut self, request: ControlRequest) -> Result<(), EngineError> {
        match request {
            ControlRequest::Cancel => {
                self.state.request_cancel();
                self.cancel.cancel();
            }
            ControlRequest::Pause if self.state.phase == Phase::Active => {
                self.change_phase(
                    Event::RunPaused { at: Utc::now() },
                    RunStatus::Paused,
                    RunEventKind::RunPaused,
                )
                .await?;
            }
            ControlRequest::Resume if self.state.phase == Phase::Paused => {
                self.change_phase(
                    Event::RunResumed { at: Utc::now() },
                    RunStatus::Running,
                    RunEventKind::RunResumed,
                )
                .await?;
            }
            _ => {}
        }
        Ok(())
    }

    async fn change_phase(
        &mut self,
        ev: Event,
        status: RunStatus,
        kind: RunEventKind,
    ) -> Result<(), EngineError> {
        let update = RunUpdate {
            status: Some(status),
            ..Default::default()
        };
        self.journal(std::slice::from_ref(&ev), Some(update))
            .wait()
            .await?;
        self.state.apply(&ev);
        self.emit(kind);
        Ok(())
    }

    async fn unload(&mut self, wake_at: DateTime<Utc>) -> Result<DriveOutcome, EngineError> {
        let update = RunUpdate {
            status: Some(RunStatus::Waiting),
            wake_at: Some(Some(wake_at)),
            release_owner: true,
            ..Default::default()
        };
        self.journal(&[Event::RunWaiting { wake_at }], Some(update))
            .wait()
            .await?;
        self.emit(RunEventKind::RunWaiting { wake_at });
        self.inner.timer_set();
        Ok(DriveOutcome::Unloaded)
    }

    async fn finish(
        &mut self,
        status: RunStatus,
        output: Option<Value>,
        error: Option<Value>,
    ) -> Result<DriveOutcome, EngineError> {
        self.cancel.cancel();
        self.running.clear();
        self.state.cancel_unfinished();
        if status == RunStatus::Failed {
            // Started before the failure is journaled: if we crash in between, the run fails
            // again on recovery and the idempotency key finds the same error run.
            start_error_workflow(
                self.inner.clone(),
                self.scope.clone(),
                self.record.clone(),
                self.workflow.clone(),
                error.clone(),
            )
            .await?;
        }
        if let Some(hook) = self.inner.run_completed.get()
            && self.record.parent.is_none()
            && self.record.workflow_id.is_some()
        {
            // Before the end is journaled, like the error workflow: a crash in between ends
            // the run again on recovery, and the hook's runs are keyed by this run's id.
            let engine = crate::Engine::from_inner(self.inner.clone());
            hook.run_completed(
                &engine,
                &self.record,
                status,
                output.as_ref(),
                error.as_ref(),
            )
            .await?;
        }
        let now = Utc::now();
        let ev = Event::RunFinished {
            status,
            output: output.clone(),
            error: error.clone(),
            at: now,
        };
        let update = RunUpdate {
            status: Some(status),
            output: output.clone(),
            error: error.clone(),
            finished_at: Some(now),
            wake_at: Some(None),
            release_owner: true,
            ..Default::default()
        };
        self.journal(std::slice::from_ref(&ev), Some(update))
            .wait()
            .await?;
        self.state.apply(&ev);
        self.emit(RunEventKind::RunFinished {
            status,
            output,
            error,
        });
        Ok(DriveOutcome::Finished(Box::new(self.record.clone())))
    }
}

/// Starts the workflow's error workflow, once, for a failed top-level run.
async fn start_error_workflow(
    inner: Arc<Inner>,
    scope: TenantScope,
    failed: RunRecord,
    workflow: Arc<CompiledWorkflow>,
    error: Option<Value>,
) -> Result<(), EngineError> {
    let Some(target) = workflow.document.settings.error_workflow.clone() else {
        return Ok(());
    };
    // A child's failure is its parent's to handle; an error run does not trigger itself.
    if failed.parent.is_some()
        || failed
            .idempotency_key
            .as_deref()
            .is_some_and(|k| k.starts_with(ERROR_RUN_KEY_PREFIX))
    {
        return Ok(());
    }
    let version_id = match target {
        Value::String(id) => id,
        doc => {
            let wf = weft_model::parse::workflow_from_value(
                doc,
                &weft_model::parse::ParseLimits::default(),
            )?;
            inner.register_workflow(&scope, &wf).await?
        }
    };
    let handler = inner.compiled_workflow(&scope, &version_id).await?;
    let input = json!([{
        "run": {
            "id": failed.id.to_string(),
            "workflowName": failed.workflow_name,
            "workflowVersionId": failed.workflow_version_id,
            "createdAt": failed.created_at,
            "input": failed.input,
        },
        "error": error,
    }]);
    let (record, _) = inner
        .store
        .create_run(
            &scope,
            weft_store_api::NewRun {
                id: RunId::new(),
                workflow_version_id: version_id,
                workflow_id: None,
                workflow_name: handler.document.name.clone(),
                input,
                parent: None,
                idempotency_key: Some(format!("{ERROR_RUN_KEY_PREFIX}{}", failed.id)),
                deadline_at: None,
                created_at: Utc::now(),
            },
        )
        .await?;
    tracing::info!(run = %failed.id, error_run = %record.id, "started the error workflow");
    if !record.status.is_terminal() {
        inner.ensure_driving(&scope, record.id).await?;
    }
    Ok(())
}

/// The items a decision sends on: each of the waiting step's items with an `approval` field
/// saying what was decided, by whom, when and why (objects only; other items are wrapped).
fn decided_items(
    awaiting: &Awaiting,
    decision: &str,
    by: &str,
    comment: Option<&str>,
    at: DateTime<Utc>,
) -> Vec<Value> {
    let approval = json!({
        "decision": decision,
        "by": by,
        "comment": comment,
        "decidedAt": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    });
    awaiting
        .items
        .iter()
        .map(|item| {
            let mut item = match item {
                Value::Object(_) => item.clone(),
                other => json!({ "value": other }),
            };
            if let Value::Object(map) = &mut item {
                map.insert("approval".into(), approval.clone());
            }
            item
        })
        .collect()
}
