//! Decisions from outside a run about one of its waiting steps: approve or reject a step that
//! waits for a person (`core.approval`), or resume a step that sleeps on a timer now.
//!
//! A decision is delivered to the executor that drives the run; a run that waits is unloaded,
//! so the engine claims it, starts an executor and hands it the decision first. The executor
//! checks the step really waits and journals the step's completion; the run then goes on as if
//! the timer had fired.

use crate::EngineError;
use crate::engine::Engine;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use weft_store_api::{ControlRequest, RunId, TenantScope};

/// What is decided about a waiting step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "camelCase")]
pub enum StepSignal {
    /// Approve: the step's items leave through `approved`.
    Approve {
        /// Who decided (a user's email or an API key's name).
        by: String,
        /// Why, if they said.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// Reject: the step's items leave through `rejected`.
    Reject {
        /// Who decided.
        by: String,
        /// Why, if they said.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// End a timer now: the sleeping step completes as if its time had come.
    Resume {
        /// Who asked.
        by: String,
    },
}

impl StepSignal {
    /// `approved`, `rejected` or `resumed`.
    pub fn past_tense(&self) -> &'static str {
        match self {
            StepSignal::Approve { .. } => "approved",
            StepSignal::Reject { .. } => "rejected",
            StepSignal::Resume { .. } => "resumed",
        }
    }
}

/// Why a decision was not taken.
#[derive(Debug, thiserror::Error)]
pub enum SignalError {
    /// No such run in the organization, or no such node in its workflow.
    #[error("{0} not found")]
    NotFound(String),
    /// The step does not wait for this (not waiting at all, already decided, or a timer that
    /// needs `resume` rather than a decision).
    #[error("{0}")]
    NotWaiting(String),
    /// Another process drives the run right now; try again shortly.
    #[error("run {0} is being driven by another process; try again")]
    Busy(RunId),
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// What an executor is sent.
#[derive(Debug)]
pub(crate) enum Command {
    /// Cancel, pause or resume the run.
    Control(ControlRequest),
    /// A decision about one step; the executor answers on `reply`.
    Signal {
        node: String,
        signal: StepSignal,
        reply: oneshot::Sender<Result<(), SignalError>>,
    },
    /// Write what the executor has deferred now; `done` resolves after the commit.
    Flush { done: oneshot::Sender<()> },
}

impl Engine {
    /// Delivers a decision about a waiting step of a run: approve or reject a step that waits
    /// for a person, or resume a step that sleeps on a timer. Returns once the decision is
    /// journaled; the run continues from there.
    pub async fn signal(
        &self,
        scope: &TenantScope,
        run_id: RunId,
        node: &str,
        signal: StepSignal,
    ) -> Result<(), SignalError> {
        // The executor may unload between our look-up and its reading the command: then the
        // reply is dropped and we try again, claiming the run ourselves.
        for _ in 0..20 {
            let Some(record) = self
                .store()
                .get_run(scope, run_id)
                .await
                .map_err(EngineError::from)?
            else {
                return Err(SignalError::NotFound(format!("run {run_id}")));
            };
            if record.status.is_terminal() {
                return Err(SignalError::NotWaiting(format!(
                    "run {run_id} is {}; nothing waits in it",
                    record.status
                )));
            }
            let (reply, answer) = oneshot::channel();
            let command = Command::Signal {
                node: node.to_owned(),
                signal: signal.clone(),
                reply,
            };
            match self.inner().deliver(scope, run_id, command).await? {
                Delivery::Sent => {}
                // Also what a race looks like: the executor started for the decision found
                // nothing else to do and unloaded again before the decision reached it. Look
                // again; a run really driven elsewhere stays busy through every try.
                Delivery::Busy => {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            }
            if let Ok(result) = answer.await {
                return result;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        Err(SignalError::Busy(run_id))
    }
}

/// Whether a command reached an executor of this process.
pub(crate) enum Delivery {
    /// Sent to the executor driving the run here (it may still drop it while unloading).
    Sent,
    /// Another live process owns the run.
    Busy,
}
