//! Reading a run back for people: its record and a view of every step, folded from the journal.

use crate::EngineError;
use crate::journal::Event;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use weft_node_api::{LogLine, NodeError, NodeOutput};
use weft_store_api::{RunId, RunRecord, Store, TenantScope};

/// One step of a run as shown in `weft runs show` and the API.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepView {
    /// Node id.
    pub node: String,
    /// Node type.
    pub node_type: String,
    /// `pending`, `running`, `sleeping`, `awaiting` (a decision), `succeeded`, `failed`,
    /// `not run`.
    pub status: String,
    /// Attempts begun.
    pub attempts: u32,
    /// When the last attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<NodeOutput>,
    /// Final error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<NodeError>,
    /// Errors of attempts that were retried.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retried_errors: Vec<NodeError>,
    /// Log lines of every attempt.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<LogLine>,
    /// For sleeping steps (for a step awaiting a decision: its time limit, if any).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wake_at: Option<DateTime<Utc>>,
    /// For a step awaiting a decision: what the person is asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub awaiting: Option<Value>,
}

/// A run with its steps.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunDetails {
    /// The run record.
    pub run: RunRecord,
    /// Steps in document order.
    pub steps: Vec<StepView>,
}

/// Loads a run and folds its journal into step views.
pub async fn run_details(
    store: &dyn Store,
    scope: &TenantScope,
    run_id: RunId,
) -> Result<Option<RunDetails>, EngineError> {
    let Some(run) = store.get_run(scope, run_id).await? else {
        return Ok(None);
    };
    let doc = store
        .get_workflow_version(scope, &run.workflow_version_id)
        .await?;
    let mut steps: Vec<StepView> = Vec::new();
    if let Some(Value::Array(nodes)) = doc.as_ref().and_then(|d| d.get("nodes")) {
        for n in nodes {
            let id = n
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let ty = n
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            steps.push(empty_view(
                id,
                ty,
                if run.status.is_terminal() {
                    "not run"
                } else {
                    "pending"
                },
            ));
        }
    }
    for entry in store.load_journal(scope, run_id).await? {
        let event: Event =
            serde_json::from_str(entry.event.get()).map_err(|e| EngineError::CorruptJournal {
                run_id,
                seq: entry.seq,
                message: e.to_string(),
            })?;
        let Some(node) = event.node() else { continue };
        let idx = match steps.iter().position(|s| s.node == node) {
            Some(i) => i,
            None => {
                steps.push(empty_view(node.to_string(), String::new(), "pending"));
                steps.len() - 1
            }
        };
        let view = &mut steps[idx];
        match event {
            Event::StepStarted { attempt, at, .. } => {
                view.status = "running".into();
                view.attempts = view.attempts.max(attempt);
                view.started_at = Some(at);
            }
            Event::StepAttemptFailed {
                attempt,
                error,
                logs,
                ..
            } => {
                view.attempts = view.attempts.max(attempt);
                view.retried_errors.push(error);
                view.logs.extend(logs);
            }
            Event::StepSucceeded {
                attempt,
                output,
                started_at,
                finished_at,
                logs,
                ..
            } => {
                view.status = "succeeded".into();
                view.wake_at = None;
                view.awaiting = None;
                view.attempts = view.attempts.max(attempt);
                view.started_at = Some(started_at);
                view.finished_at = Some(finished_at);
                view.output = Some(output);
                view.wake_at = None;
                view.logs.extend(logs);
            }
            Event::StepFailed {
                attempt,
                error,
                started_at,
                finished_at,
                logs,
                ..
            } => {
                view.status = "failed".into();
                view.attempts = view.attempts.max(attempt);
                view.started_at = Some(started_at);
                view.finished_at = Some(finished_at);
                view.error = Some(error);
                view.logs.extend(logs);
            }
            Event::StepSleeping {
                attempt,
                until,
                started_at,
                awaiting,
                ..
            } => {
                view.attempts = view.attempts.max(attempt);
                view.started_at = Some(started_at);
                match awaiting {
                    Some(a) => {
                        view.status = "awaiting".into();
                        view.wake_at = (until != crate::journal::no_time_limit()).then_some(until);
                        view.awaiting = Some(a.request);
                    }
                    None => {
                        view.status = "sleeping".into();
                        view.wake_at = Some(until);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(Some(RunDetails { run, steps }))
}

fn empty_view(node: String, node_type: String, status: &str) -> StepView {
    StepView {
        node,
        node_type,
        status: status.to_string(),
        attempts: 0,
        started_at: None,
        finished_at: None,
        output: None,
        error: None,
        retried_errors: Vec::new(),
        logs: Vec::new(),
        wake_at: None,
        awaiting: None,
    }
}
