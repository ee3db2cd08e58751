//! The pure heart of the engine: a run's state as a fold of its journal, and the decision
//! function that says what to do next. No I/O, no clock, no randomness: everything here is
//! deterministic and property-tested over random graphs.

use crate::journal::Event;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use weft_model::JoinPolicy;
use weft_node_api::{NodeError, NodeOutput};
use weft_store_api::RunStatus;

/// The shape of a workflow as the scheduler sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    /// Nodes in document order.
    pub nodes: Vec<GraphNode>,
    /// Edges in document order.
    pub edges: Vec<GraphEdge>,
    /// Maximum steps of one run executing at once.
    pub concurrency: usize,
}

/// One node, as the scheduler sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphNode {
    /// Node id.
    pub id: String,
    /// Join policy over incoming edges.
    pub join: JoinPolicy,
    /// Indices of incoming edges, in document order.
    pub incoming: Vec<usize>,
    /// Indices of outgoing edges, in document order.
    pub outgoing: Vec<usize>,
    /// Receives the run input.
    pub is_entry: bool,
    /// On failure, emit the error as an item on `main` instead of failing the run.
    pub continue_on_fail: bool,
}

impl GraphNode {
    /// True when an edge leaves the node's `error` port.
    pub fn has_error_edges(&self, graph: &Graph) -> bool {
        self.outgoing
            .iter()
            .any(|&e| graph.edges[e].from_port == ERROR_PORT)
    }
}

/// One edge, as the scheduler sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphEdge {
    /// Source node index.
    pub from: usize,
    /// Source port.
    pub from_port: String,
    /// Target node index.
    pub to: usize,
    /// Target port.
    pub to_port: String,
}

const ERROR_PORT: &str = "error";
const MAIN_PORT: &str = "main";

/// Where a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    /// Not started; waiting for inputs.
    Pending,
    /// An attempt is executing (or, after recovery, must execute again).
    Running,
    /// Waiting on a durable timer.
    Sleeping,
    /// Finished with output.
    Succeeded,
    /// Failed for good (its error may have been routed on).
    Failed,
    /// Not executed: its inputs were not taken.
    Skipped,
    /// Stopped by cancellation.
    Cancelled,
}

impl StepStatus {
    /// Succeeded, failed, skipped or cancelled.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            StepStatus::Succeeded
                | StepStatus::Failed
                | StepStatus::Skipped
                | StepStatus::Cancelled
        )
    }
}

/// What is known of one step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepState {
    /// Status.
    pub status: StepStatus,
    /// Attempts begun so far (the current one included).
    pub attempt: u32,
    /// The last attempt known to have failed (0 when none).
    pub last_failed_attempt: u32,
    /// Emitted output (also the pending output of a sleeping step).
    pub output: Option<Arc<NodeOutput>>,
    /// The error of a failed step, or of the last failed attempt.
    pub error: Option<NodeError>,
    /// When the current or last attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// For sleeping steps.
    pub wake_at: Option<DateTime<Utc>>,
    /// For a sleeping step that waits for a person's decision.
    pub awaiting: Option<Arc<crate::journal::Awaiting>>,
    /// When the next attempt may start, after a failed attempt.
    pub retry_at: Option<DateTime<Utc>>,
    /// Incoming edges whose items made the input, when not all of them.
    pub used_edges: Option<Vec<usize>>,
    /// Values the unfinished step recorded in earlier attempts, by key (dropped once the step
    /// has finished).
    pub checkpoints: Arc<BTreeMap<String, Value>>,
}

impl StepState {
    fn new() -> Self {
        StepState {
            status: StepStatus::Pending,
            attempt: 0,
            last_failed_attempt: 0,
            output: None,
            error: None,
            started_at: None,
            finished_at: None,
            wake_at: None,
            awaiting: None,
            retry_at: None,
            used_edges: None,
            checkpoints: Arc::default(),
        }
    }
}

/// What is known of one edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeState {
    /// Its source has not finished.
    Pending,
    /// Items arrived; the number orders arrivals.
    Delivered(u64),
    /// Its source skipped, or did not emit on this port.
    Skipped,
}

/// Whether the run goes on.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Steps may start.
    Active,
    /// No new steps start until resumed.
    Paused,
    /// Terminal.
    Finished(RunStatus),
}

/// A run's state: the fold of its journal.
#[derive(Debug, Clone)]
pub struct RunState {
    /// The graph.
    pub graph: Arc<Graph>,
    /// Per node.
    pub steps: Vec<StepState>,
    /// Per edge.
    pub edges: Vec<EdgeState>,
    /// Active, paused or finished.
    pub phase: Phase,
    /// Set when a step failed with nowhere to route its error: the run fails.
    pub failure: Option<(usize, NodeError)>,
    /// Set when cancellation was requested.
    pub cancel_requested: bool,
    /// Whether `RunStarted` was recorded.
    pub started: bool,
    arrivals: u64,
    running: usize,
}

/// What the executor should do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Start (or, after recovery, restart) a step with the items of these incoming edges.
    Start {
        /// Node index.
        node: usize,
        /// Incoming edges whose items form the input, in order.
        edges: Vec<usize>,
    },
    /// Mark a step skipped (derived; not journaled).
    Skip {
        /// Node index.
        node: usize,
    },
    /// A quorum join can no longer be reached: the step fails.
    FailJoin {
        /// Node index.
        node: usize,
        /// The error.
        error: NodeError,
    },
    /// A sleeping step's timer is due: complete it.
    Wake {
        /// Node index.
        node: usize,
    },
    /// Nothing runs and nothing can start before this time.
    WaitUntil {
        /// Earliest timer.
        wake_at: DateTime<Utc>,
    },
    /// The run is over.
    Finish {
        /// Terminal status.
        status: RunStatus,
        /// Output items when succeeded.
        output: Option<Value>,
        /// Error when failed or cancelled.
        error: Option<Value>,
    },
}

impl RunState {
    /// A fresh state for a graph.
    pub fn new(graph: Arc<Graph>) -> Self {
        let steps = graph.nodes.iter().map(|_| StepState::new()).collect();
        let edges = vec![EdgeState::Pending; graph.edges.len()];
        RunState {
            graph,
            steps,
            edges,
            phase: Phase::Active,
            failure: None,
            cancel_requested: false,
            started: false,
            arrivals: 0,
            running: 0,
        }
    }

    /// The attempt number the next start of a step uses: the in-flight attempt again after a
    /// crash, or the one after the last failed attempt.
    pub fn next_attempt(&self, node: usize) -> u32 {
        let s = &self.steps[node];
        if s.attempt == 0 || s.last_failed_attempt >= s.attempt {
            s.attempt + 1
        } else {
            s.attempt
        }
    }

    /// Steps currently running.
    pub fn running(&self) -> usize {
        self.running
    }

    /// Finds a node index by id.
    pub fn node_index(&self, id: &str) -> Option<usize> {
        self.graph.nodes.iter().position(|n| n.id == id)
    }

    fn set_status(&mut self, node: usize, status: StepStatus) {
        let old = self.steps[node].status;
        if old == StepStatus::Running {
            self.running -= 1;
        }
        if status == StepStatus::Running {
            self.running += 1;
        }
        self.steps[node].status = status;
    }

    /// Applies a journaled event. Unknown nodes and repeated events are ignored, so replaying
    /// a journal twice gives the same state.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::RunStarted { .. } => self.started = true,
            Event::StepStarted { node, attempt, at } => {
                let Some(n) = self.node_index(node) else {
                    return;
                };
                if self.steps[n].status.is_terminal() {
                    return;
                }
                self.set_status(n, StepStatus::Running);
                self.steps[n].attempt = (*attempt).max(self.steps[n].attempt);
                self.steps[n].started_at = Some(*at);
            }
            Event::StepAttemptFailed {
                node,
                attempt,
                error,
                retry_at,
                ..
            } => {
                let Some(n) = self.node_index(node) else {
                    return;
                };
                self.steps[n].retry_at = Some(*retry_at);
                self.steps[n].attempt = (*attempt).max(self.steps[n].attempt);
                self.steps[n].last_failed_attempt =
                    (*attempt).max(self.steps[n].last_failed_attempt);
                self.steps[n].error = Some(error.clone());
            }
            Event::StepSucceeded {
                node,
                attempt,
                output,
                started_at,
                finished_at,
                used_edges,
                ..
            } => {
                let Some(n) = self.node_index(node) else {
                    return;
                };
                if self.steps[n].status.is_terminal() {
                    return;
                }
                self.set_status(n, StepStatus::Succeeded);
                let s = &mut self.steps[n];
                s.attempt = (*attempt).max(s.attempt);
                s.started_at = Some(*started_at);
                s.finished_at = Some(*finished_at);
                s.wake_at = None;
                s.used_edges = used_edges.clone();
                s.checkpoints = Arc::default();
                let output = Arc::new(output.clone());
                s.output = Some(output.clone());
                self.resolve_outgoing(n, &output);
            }
            Event::StepFailed {
                node,
                attempt,
                error,
                started_at,
                finished_at,
                ..
            } => {
                let Some(n) = self.node_index(node) else {
                    return;
                };
                if self.steps[n].status.is_terminal() {
                    return;
                }
                let s = &mut self.steps[n];
                s.attempt = (*attempt).max(s.attempt);
                s.started_at = Some(*started_at);
                s.finished_at = Some(*finished_at);
                self.fail_step(n, error.clone());
            }
            Event::StepSleeping {
                node,
                attempt,
                until,
                output,
                started_at,
                awaiting,
            } => {
                let Some(n) = self.node_index(node) else {
                    return;
                };
                if self.steps[n].status.is_terminal() {
                    return;
                }
                self.set_status(n, StepStatus::Sleeping);
                let s = &mut self.steps[n];
                s.attempt = (*attempt).max(s.attempt);
                s.started_at = Some(*started_at);
                s.wake_at = Some(*until);
                s.output = Some(Arc::new(output.clone()));
                s.awaiting = awaiting.clone().map(Arc::new);
            }
            Event::StepCheckpoint {
                node, key, value, ..
            } => {
                let Some(n) = self.node_index(node) else {
                    return;
                };
                if self.steps[n].status.is_terminal() {
                    return;
                }
                Arc::make_mut(&mut self.steps[n].checkpoints).insert(key.clone(), value.clone());
            }
            Event::RunWaiting { .. } => {}
            Event::RunPaused { .. } => {
                if self.phase == Phase::Active {
                    self.phase = Phase::Paused;
                }
            }
            Event::RunResumed { .. } => {
                if self.phase == Phase::Paused {
                    self.phase = Phase::Active;
                }
            }
            Event::RunFinished { status, .. } => self.phase = Phase::Finished(*status),
        }
    }

    /// Marks a step started in memory (pure steps are not journaled at start).
    pub fn mark_started(&mut self, node: usize, attempt: u32, at: DateTime<Utc>) {
        self.apply(&Event::StepStarted {
            node: self.graph.nodes[node].id.clone(),
            attempt,
            at,
        });
    }

    /// Applies a derived skip.
    pub fn skip(&mut self, node: usize) {
        if self.steps[node].status != StepStatus::Pending {
            return;
        }
        self.set_status(node, StepStatus::Skipped);
        for i in 0..self.graph.nodes[node].outgoing.len() {
            let e = self.graph.nodes[node].outgoing[i];
            self.edges[e] = EdgeState::Skipped;
        }
    }

    /// Applies a derived join failure (or any failure decided without running the step).
    pub fn fail_without_running(&mut self, node: usize, error: NodeError) {
        if self.steps[node].status.is_terminal() {
            return;
        }
        self.fail_step(node, error);
    }

    /// Marks every unfinished step cancelled (the run was cancelled or failed).
    pub fn cancel_unfinished(&mut self) {
        for n in 0..self.steps.len() {
            if !self.steps[n].status.is_terminal() {
                self.set_status(n, StepStatus::Cancelled);
            }
        }
    }

    /// Requests cancellation; the next decision finishes the run as cancelled.
    pub fn request_cancel(&mut self) {
        self.cancel_requested = true;
    }

    /// After loading a journal in a new process: steps that were running are not running any
    /// more. They are started again by the next decision, keeping their attempt count.
    pub fn prepare_for_recovery(&mut self) {
        for n in 0..self.steps.len() {
            if self.steps[n].status == StepStatus::Running {
                self.set_status(n, StepStatus::Pending);
            }
        }
    }

    fn fail_step(&mut self, n: usize, error: NodeError) {
        let node = &self.graph.nodes[n];
        let routed = if node.has_error_edges(&self.graph) {
            Some(NodeOutput::port(ERROR_PORT, vec![error.to_item()]))
        } else if node.continue_on_fail {
            Some(NodeOutput::main(vec![error.to_item()]))
        } else {
            None
        };
        self.set_status(n, StepStatus::Failed);
        self.steps[n].checkpoints = Arc::default();
        self.steps[n].error = Some(error.clone());
        self.steps[n].wake_at = None;
        match routed {
            Some(output) => {
                let output = Arc::new(output);
                self.steps[n].output = Some(output.clone());
                self.resolve_outgoing(n, &output);
            }
            None => {
                if self.failure.is_none() {
                    self.failure = Some((n, error));
                }
                for i in 0..self.graph.nodes[n].outgoing.len() {
                    let e = self.graph.nodes[n].outgoing[i];
                    self.edges[e] = EdgeState::Skipped;
                }
            }
        }
    }

    fn resolve_outgoing(&mut self, n: usize, output: &NodeOutput) {
        for i in 0..self.graph.nodes[n].outgoing.len() {
            let e = self.graph.nodes[n].outgoing[i];
            if self.edges[e] != EdgeState::Pending {
                continue;
            }
            if output.get(&self.graph.edges[e].from_port).is_some() {
                self.arrivals += 1;
                self.edges[e] = EdgeState::Delivered(self.arrivals);
            } else {
                self.edges[e] = EdgeState::Skipped;
            }
        }
    }

    /// The items a step receives given the incoming edges chosen by [`Action::Start`], grouped
    /// by input port in edge order. Entry nodes receive `run_input` on `main`.
    pub fn gather_input(
        &self,
        node: usize,
        edges: &[usize],
        run_input: &[Value],
    ) -> Vec<(String, Vec<Value>)> {
        let mut ports: Vec<(String, Vec<Value>)> = Vec::new();
        if self.graph.nodes[node].is_entry {
            ports.push((MAIN_PORT.to_string(), run_input.to_vec()));
        }
        for &e in edges {
            let edge = &self.graph.edges[e];
            let items = self.steps[edge.from]
                .output
                .as_ref()
                .and_then(|o| o.get(&edge.from_port))
                .unwrap_or(&[]);
            match ports.iter_mut().find(|(p, _)| *p == edge.to_port) {
                Some((_, v)) => v.extend(items.iter().cloned()),
                None => ports.push((edge.to_port.clone(), items.to_vec())),
            }
        }
        ports
    }
}

/// Decides what to do next. Pure: the same state and time always give the same actions.
pub fn next_actions(state: &RunState, now: DateTime<Utc>) -> Vec<Action> {
    if let Phase::Finished(_) = state.phase {
        return Vec::new();
    }
    if state.cancel_requested {
        return vec![Action::Finish {
            status: RunStatus::Cancelled,
            output: None,
            error: Some(json!({ "code": "run.cancelled", "message": "the run was cancelled" })),
        }];
    }
    if let Some((n, err)) = &state.failure {
        let node = &state.graph.nodes[*n];
        return vec![Action::Finish {
            status: RunStatus::Failed,
            output: None,
            error: Some(json!({
                "code": err.code,
                "message": format!("node {:?} failed: {}", node.id, err.message),
                "node": node.id,
                "details": err.details,
            })),
        }];
    }

    let g = &*state.graph;
    let mut actions = Vec::new();
    let mut free = g.concurrency.saturating_sub(state.running);
    let active = state.phase == Phase::Active;
    let mut earliest: Option<DateTime<Utc>> = None;
    let mut unfinished = false;

    for (n, node) in g.nodes.iter().enumerate() {
        let step = &state.steps[n];
        match step.status {
            StepStatus::Pending => unfinished = true,
            StepStatus::Sleeping => {
                unfinished = true;
                match step.wake_at {
                    Some(at) if at > now => earliest = Some(earliest.map_or(at, |e| e.min(at))),
                    _ => actions.push(Action::Wake { node: n }),
                }
                continue;
            }
            StepStatus::Running => {
                unfinished = true;
                continue;
            }
            _ => continue,
        }
        if node.is_entry {
            if active && free > 0 {
                free -= 1;
                actions.push(Action::Start {
                    node: n,
                    edges: Vec::new(),
                });
            }
            continue;
        }
        if node.incoming.is_empty() {
            actions.push(Action::Skip { node: n });
            continue;
        }
        let mut delivered: Vec<(u64, usize)> = Vec::new();
        let mut pending = 0usize;
        for &e in &node.incoming {
            match state.edges[e] {
                EdgeState::Pending => pending += 1,
                EdgeState::Delivered(seq) => delivered.push((seq, e)),
                EdgeState::Skipped => {}
            }
        }
        let d = delivered.len();
        let k = node.incoming.len();
        let decision = match node.join {
            JoinPolicy::All => {
                if pending > 0 {
                    None
                } else if d > 0 {
                    Some(Ok(delivered.iter().map(|&(_, e)| e).collect::<Vec<_>>()))
                } else {
                    Some(Err(None))
                }
            }
            JoinPolicy::Any => first_n(&mut delivered, 1, pending),
            JoinPolicy::First { n } => first_n(&mut delivered, n as usize, pending),
            JoinPolicy::Quorum { n } => {
                let need = n.map(|n| n as usize).unwrap_or(k / 2 + 1);
                if d >= need {
                    let mut es: Vec<usize> = delivered.iter().map(|&(_, e)| e).collect();
                    es.sort_unstable();
                    Some(Ok(es))
                } else if d + pending < need {
                    Some(Err(Some(NodeError::permanent(
                        "join.quorum",
                        format!("quorum not reached: {d} of {k} inputs delivered, {need} needed"),
                    ))))
                } else {
                    None
                }
            }
        };
        match decision {
            Some(Ok(edges)) if active && free > 0 => {
                free -= 1;
                actions.push(Action::Start { node: n, edges });
            }
            None | Some(Ok(_)) => {}
            Some(Err(None)) => actions.push(Action::Skip { node: n }),
            Some(Err(Some(error))) => actions.push(Action::FailJoin { node: n, error }),
        }
    }

    if !actions.is_empty() {
        return actions;
    }
    if !unfinished {
        return vec![Action::Finish {
            status: RunStatus::Succeeded,
            output: Some(run_output(state)),
            error: None,
        }];
    }
    if state.running == 0
        && let Some(at) = earliest
    {
        return vec![Action::WaitUntil { wake_at: at }];
    }
    Vec::new()
}

fn first_n(
    delivered: &mut [(u64, usize)],
    n: usize,
    pending: usize,
) -> Option<Result<Vec<usize>, Option<NodeError>>> {
    if delivered.len() >= n {
        delivered.sort_unstable();
        Some(Ok(delivered[..n].iter().map(|&(_, e)| e).collect()))
    } else if delivered.len() + pending < n {
        Some(Err(None))
    } else {
        None
    }
}

/// The run's output: the items every succeeded leaf node emitted, in node order.
pub fn run_output(state: &RunState) -> Value {
    let mut items = Vec::new();
    for (n, node) in state.graph.nodes.iter().enumerate() {
        let leaf = node
            .outgoing
            .iter()
            .all(|&e| state.graph.edges[e].from_port == ERROR_PORT);
        if !leaf || state.steps[n].status != StepStatus::Succeeded {
            continue;
        }
        if let Some(out) = &state.steps[n].output {
            for (_, port_items) in &out.ports {
                items.extend(port_items.iter().cloned());
            }
        }
    }
    Value::Array(items)
}
