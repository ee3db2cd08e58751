//! Retrying a finished run from where it failed.
//!
//! The new run starts with a journal *seeded* with the old run's `StepSucceeded` events of the
//! steps that are still valid, so those steps are not executed again (their effects are not
//! repeated) and everything else runs. A step is kept when it succeeded in the old run, exists
//! in the version the retry runs with the same type and the same params and settings, and is
//! not downstream of a step that failed, was cancelled or changed. The seed is written in the
//! transaction that creates the run, so no worker can start it from scratch in between.

use crate::journal::Event;
use crate::{Engine, EngineError, StartOptions};
use chrono::Utc;
use serde_json::Value;
use std::collections::{HashMap, HashSet, VecDeque};
use weft_model::Workflow;
use weft_store_api::{EventJson, NewRun, RunId, RunRecord, TenantScope};

/// How a finished run is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryMode {
    /// Everything runs again with the same input.
    Whole,
    /// Steps that succeeded (and are unchanged, and not downstream of a failure) keep their
    /// results; the failed steps and what depends on them run again.
    FromFailure,
}

/// The node as compared between versions: everything but its position and notes.
fn node_fingerprint(node: &weft_model::Node) -> Value {
    let mut v = serde_json::to_value(node).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.remove("position");
        o.remove("notes");
        o.remove("name");
    }
    v
}

/// The ids of `roots` and every node reachable from them along edges.
fn downstream(wf: &Workflow, roots: HashSet<String>) -> HashSet<String> {
    let mut out = roots.clone();
    let mut queue: VecDeque<String> = roots.into_iter().collect();
    while let Some(n) = queue.pop_front() {
        for e in wf.edges.iter().filter(|e| e.from.node == n) {
            if out.insert(e.to.node.clone()) {
                queue.push_back(e.to.node.clone());
            }
        }
    }
    out
}

/// The journal events to seed a retry of `old` (whose journal is `journal`) with, when it
/// runs `new_doc` after `old_doc`.
pub fn seed_events(
    old_doc: &Workflow,
    new_doc: &Workflow,
    journal: &[EventJson],
) -> Result<Vec<EventJson>, String> {
    let mut succeeded: HashMap<String, EventJson> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut bad: HashSet<String> = HashSet::new();
    for raw in journal {
        let event: Event = serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
        match &event {
            Event::StepSucceeded { node, .. } => {
                bad.remove(node);
                if succeeded.insert(node.clone(), raw.clone()).is_none() {
                    order.push(node.clone());
                }
            }
            Event::StepFailed { node, .. } => {
                succeeded.remove(node);
                bad.insert(node.clone());
            }
            // Began but never finished (a cancelled or timed-out run): run it again.
            Event::StepStarted { node, .. } | Event::StepSleeping { node, .. }
                if !succeeded.contains_key(node) =>
            {
                bad.insert(node.clone());
            }
            _ => {}
        }
    }
    let old_nodes: HashMap<&str, Value> = old_doc
        .nodes
        .iter()
        .map(|n| (n.id.as_str(), node_fingerprint(n)))
        .collect();
    for n in &new_doc.nodes {
        if old_nodes.get(n.id.as_str()) != Some(&node_fingerprint(n)) {
            bad.insert(n.id.clone());
        }
    }
    // An edge into a node that is new or rewired makes its target run again.
    let old_edges: HashSet<String> = old_doc
        .edges
        .iter()
        .map(|e| serde_json::to_string(e).unwrap_or_default())
        .collect();
    for e in &new_doc.edges {
        if !old_edges.contains(&serde_json::to_string(e).unwrap_or_default()) {
            bad.insert(e.to.node.clone());
        }
    }
    let rerun = downstream(new_doc, bad);
    let exists: HashSet<&str> = new_doc.nodes.iter().map(|n| n.id.as_str()).collect();
    Ok(order
        .into_iter()
        .filter(|n| exists.contains(n.as_str()) && !rerun.contains(n))
        .filter_map(|n| succeeded.remove(&n))
        .collect())
}

impl Engine {
    /// Starts a new run that retries the finished run `old_id` with `version_id` (the same or a
    /// newer version of its workflow).
    pub async fn retry_run(
        &self,
        scope: &TenantScope,
        old_id: RunId,
        version_id: &str,
        mode: RetryMode,
        options: StartOptions,
    ) -> Result<RunRecord, EngineError> {
        let inner = self.inner();
        let old = inner
            .store
            .get_run(scope, old_id)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("run {old_id}")))?;
        if mode == RetryMode::Whole {
            return self
                .start_run(scope, version_id, old.input.clone(), options)
                .await;
        }
        let new = inner.compiled_workflow(scope, version_id).await?;
        let old_wf = inner
            .compiled_workflow(scope, &old.workflow_version_id)
            .await?;
        let journal: Vec<EventJson> = inner
            .store
            .load_journal(scope, old_id)
            .await?
            .into_iter()
            .map(|e| e.event)
            .collect();
        let seed = seed_events(&old_wf.document, &new.document, &journal).map_err(|message| {
            EngineError::CorruptJournal {
                run_id: old_id,
                seq: 0,
                message,
            }
        })?;
        let now = Utc::now();
        let deadline_at = crate::engine::run_deadline(&new.document, now);
        let (record, _) = inner
            .store
            .create_run_seeded(
                scope,
                NewRun {
                    id: RunId::new(),
                    workflow_version_id: version_id.to_string(),
                    workflow_id: options.workflow_id.clone().or(old.workflow_id.clone()),
                    workflow_name: new.document.name.clone(),
                    input: old.input.clone(),
                    parent: None,
                    idempotency_key: options.idempotency_key.clone(),
                    deadline_at,
                    created_at: now,
                },
                seed,
            )
            .await?;
        if options.detach || !inner.config.drive_started_runs {
            inner.wake.notify_one();
        } else if !record.status.is_terminal() {
            inner.ensure_driving(scope, record.id).await?;
        }
        Ok(record)
    }
}
