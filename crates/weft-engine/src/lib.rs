//! The durable execution engine.
//!
//! - [`state`]: the pure scheduler — a run's state as the fold of its journal and
//!   [`state::next_actions`], the decision function. No I/O.
//! - [`executor`]: drives one run around that function, journaling through the
//!   [`weft_store_api::Store`] trait; it never names a database.
//! - [`engine`]: starts, recovers and wakes runs; relays control requests; live events.
//!
//! Invariant: an effectful step's result is committed before it is applied to the run state,
//! so nothing downstream of it starts before the commit. Pure steps are journaled without
//! waiting and recomputed if a crash loses them.

pub mod cache;
pub mod children;
pub mod engine;
pub mod env;
pub mod events;
pub mod executor;
pub mod graph;
pub mod history;
pub mod journal;
pub mod pinned;
pub mod retry;
pub mod signal;
pub mod state;
pub mod step;
mod step_services;

pub use engine::{Engine, EngineConfig, RunCompleted, StartOptions, WorkerMode};
pub use events::{RunEvent, RunEventKind};
pub use graph::{CompiledWorkflow, InvalidWorkflow};
pub use history::{RunDetails, StepView, run_details};
pub use signal::{SignalError, StepSignal};

use weft_store_api::{RunId, StoreError};

/// Engine failures (as opposed to step failures, which are part of a run's outcome).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The workflow does not validate.
    #[error(transparent)]
    InvalidWorkflow(#[from] InvalidWorkflow),
    /// A stored document cannot be read.
    #[error("stored workflow document is unreadable: {0}")]
    Document(#[from] weft_model::ParseError),
    /// Something is not found in this tenant scope.
    #[error("{0} not found")]
    NotFound(String),
    /// A journal entry cannot be decoded.
    #[error("journal of run {run_id} is corrupt at entry {seq}: {message}")]
    CorruptJournal {
        /// The run.
        run_id: RunId,
        /// The entry.
        seq: u64,
        /// What failed.
        message: String,
    },
    /// The engine is stopping.
    #[error("the engine is shutting down")]
    ShuttingDown,
    /// A bug.
    #[error("internal error: {0}")]
    Internal(String),
}
