//! Run-completed triggers: when a run of a stored workflow ends, the published workflows
//! listening for it (`runCompleted` triggers) start, each once.
//!
//! They fire from the engine ([`weft_engine::RunCompleted`]), in whichever process finishes
//! the run — `weft serve` or a `weft worker` — before the end is journaled; the started run's
//! idempotency key `after/<run>/<workflow>/<trigger>` makes a repeat after a crash find the
//! same run.

use crate::metrics::Metrics;
use crate::trigger_cache::TriggerCache;
use chrono::Utc;
use serde_json::{Value, json};
use std::sync::Arc;
use weft_engine::{Engine, EngineError, RunCompleted, StartOptions};
use weft_store_api::control::ControlPlane;
use weft_store_api::{RunRecord, RunStatus};

/// The engine hook that starts listeners.
pub struct RunCompletedTriggers {
    control: Arc<dyn ControlPlane>,
    cache: Arc<TriggerCache>,
    metrics: Option<Arc<Metrics>>,
}

impl RunCompletedTriggers {
    /// Listeners read through `cache`; runs started are counted in `metrics` when given.
    pub fn new(
        control: Arc<dyn ControlPlane>,
        cache: Arc<TriggerCache>,
        metrics: Option<Arc<Metrics>>,
    ) -> Self {
        RunCompletedTriggers {
            control,
            cache,
            metrics,
        }
    }
}

#[async_trait::async_trait]
impl RunCompleted for RunCompletedTriggers {
    async fn run_completed(
        &self,
        engine: &Engine,
        run: &RunRecord,
        status: RunStatus,
        output: Option<&Value>,
        error: Option<&Value>,
    ) -> Result<(), EngineError> {
        let Some(workflow_id) = &run.workflow_id else {
            return Ok(());
        };
        let listeners = self
            .cache
            .listeners_of(self.control.as_ref(), &run.scope, workflow_id)
            .await?;
        let mut input = None;
        for l in listeners.iter() {
            if !l.spec.statuses.is_empty() && !l.spec.statuses.iter().any(|s| s == status.as_str())
            {
                continue;
            }
            let input = input.get_or_insert_with(|| {
                json!([{
                    "runId": run.id,
                    "workflowId": workflow_id,
                    "workflowName": run.workflow_name,
                    "status": status,
                    "output": output,
                    "error": error,
                    "finishedAt": Utc::now(),
                }])
            });
            let started = engine
                .start_run(
                    &run.scope,
                    &l.version_id,
                    input.clone(),
                    StartOptions {
                        idempotency_key: Some(format!(
                            "after/{}/{}/{}",
                            run.id, l.workflow_id, l.spec.trigger_id
                        )),
                        workflow_id: Some(l.workflow_id.clone()),
                        ..Default::default()
                    },
                )
                .await?;
            if let Some(m) = &self.metrics {
                m.run_started(&started.workflow_name);
            }
            tracing::info!(run_id = %run.id, started = %started.id, workflow = %l.workflow_id, "run-completed trigger fired");
        }
        Ok(())
    }
}
