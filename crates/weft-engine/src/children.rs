//! Child runs for sub-workflow and map nodes: started idempotently under a key, driven like any
//! run (durable, recoverable), awaited by the parent step.

use crate::engine::Inner;
use async_trait::async_trait;
use chrono::Utc;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use weft_model::parse::{ParseLimits, workflow_from_value};
use weft_node_api::{
    ChildOutcome, ChildRequest, Credential, EngineServices, NodeError, StepContext, WorkflowSource,
};
use weft_store_api::{ControlRequest, NewRun, ParentRef, RunId, RunStatus, TenantScope};

/// [`EngineServices`] for the steps of one run.
pub struct ChildServices {
    pub(crate) inner: Arc<Inner>,
    pub(crate) scope: TenantScope,
    pub(crate) parent: RunId,
}

fn internal(e: impl std::fmt::Display) -> NodeError {
    NodeError::transient(
        "engine.store",
        format!("could not manage the child run: {e}"),
    )
}

#[async_trait]
impl EngineServices for ChildServices {
    async fn credential(&self, _ctx: &StepContext, id: &str) -> Result<Credential, NodeError> {
        let Some(vault) = &self.inner.config.vault else {
            return Err(NodeError::permanent(
                "credential.unavailable",
                format!(
                    "credential {id:?} cannot be used: this engine was started without a master key"
                ),
            ));
        };
        let (info, sealed) = self
            .inner
            .store
            .get_credential(&self.scope, id)
            .await
            .map_err(|e| {
                NodeError::transient(
                    "engine.store",
                    format!("could not read credential {id:?}: {e}"),
                )
            })?
            .ok_or_else(|| {
                NodeError::permanent(
                    "credential.not_found",
                    format!("there is no credential with id {id:?}"),
                )
            })?;
        let fields = vault
            .open_fields(&self.scope.org_id, id, &sealed)
            .map_err(|e| {
                NodeError::permanent("credential.unreadable", format!("credential {id:?}: {e}"))
            })?;
        Ok(Credential {
            id: info.id,
            name: info.name,
            kind: info.kind,
            fields,
        })
    }

    async fn run_child(
        &self,
        ctx: &StepContext,
        request: ChildRequest,
    ) -> Result<ChildOutcome, NodeError> {
        let inner = &self.inner;
        let store = &inner.store;
        let key = format!("{}/{}", ctx.node_id, request.key);
        let existing = store
            .find_child_run(&self.scope, self.parent, &key)
            .await
            .map_err(internal)?;
        let run_id =
            match existing {
                Some(run) => run.id,
                None => {
                    let version_id = match request.workflow {
                        WorkflowSource::Version(id) => id,
                        WorkflowSource::Inline(doc) => {
                            let wf =
                                workflow_from_value(doc, &ParseLimits::default()).map_err(|e| {
                                    NodeError::permanent(
                                        "subworkflow.invalid",
                                        format!("the sub-workflow document is invalid: {e}"),
                                    )
                                })?;
                            inner.register_workflow(&self.scope, &wf).await.map_err(
                                |e| match e {
                                    crate::EngineError::InvalidWorkflow(inv) => {
                                        NodeError::permanent("subworkflow.invalid", inv.to_string())
                                    }
                                    other => internal(other),
                                },
                            )?
                        }
                    };
                    let workflow = inner
                        .compiled_workflow(&self.scope, &version_id)
                        .await
                        .map_err(|e| NodeError::permanent("subworkflow.invalid", e.to_string()))?;
                    let now = Utc::now();
                    let (run, _) = store
                        .create_run(
                            &self.scope,
                            NewRun {
                                id: RunId::new(),
                                workflow_version_id: version_id,
                                workflow_id: None,
                                workflow_name: workflow.document.name.clone(),
                                input: Value::Array(request.input),
                                parent: Some(ParentRef {
                                    run_id: self.parent,
                                    key,
                                }),
                                idempotency_key: None,
                                deadline_at: workflow.document.settings.timeout.map(|t| {
                                    now + chrono::Duration::milliseconds(
                                        t.0.min(i64::MAX as u64) as i64
                                    )
                                }),
                                created_at: now,
                            },
                        )
                        .await
                        .map_err(internal)?;
                    run.id
                }
            };
        let mut finished = inner.finished.subscribe();
        // If the parent step stops waiting (cancelled, timed out, or a map failing fast), the
        // child is cancelled rather than left running unobserved.
        let mut guard = CancelChildOnDrop {
            store: Some(store.clone()),
            scope: self.scope.clone(),
            run_id,
            shutdown: inner.shutdown.clone(),
        };
        inner
            .ensure_driving(&self.scope, run_id)
            .await
            .map_err(internal)?;
        loop {
            let run = store
                .get_run(&self.scope, run_id)
                .await
                .map_err(internal)?
                .ok_or_else(|| {
                    NodeError::permanent(
                        "subworkflow.missing",
                        format!("child run {run_id} disappeared"),
                    )
                })?;
            if run.status.is_terminal() {
                guard.store = None;
                let output = match run.output {
                    Some(Value::Array(items)) => items,
                    Some(Value::Null) | None => Vec::new(),
                    Some(other) => vec![other],
                };
                let error = match run.status {
                    RunStatus::Succeeded => None,
                    _ => Some(run.error.unwrap_or_else(
                        || json!({ "message": format!("child run {}", run.status) }),
                    )),
                };
                return Ok(ChildOutcome {
                    run_id: run_id.to_string(),
                    output,
                    error,
                });
            }
            tokio::select! {
                r = finished.recv() => match r {
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return Err(NodeError::transient("engine.shutdown", "the engine is shutting down")),
                },
                // The child may be driven by another process, or left by a dead one.
                _ = tokio::time::sleep(Duration::from_secs(1)) => {
                    inner.ensure_driving(&self.scope, run_id).await.map_err(internal)?;
                }
                _ = ctx.cancel.cancelled() => {
                    return Err(NodeError::permanent("cancelled", "the step was cancelled"));
                }
            }
        }
    }
}

/// Requests cancellation of a child run when its parent stops waiting for it.
struct CancelChildOnDrop {
    store: Option<Arc<dyn weft_store_api::Store>>,
    scope: TenantScope,
    run_id: RunId,
    shutdown: tokio_util::sync::CancellationToken,
}

impl Drop for CancelChildOnDrop {
    fn drop(&mut self) {
        let Some(store) = self.store.take() else {
            return;
        };
        if self.shutdown.is_cancelled() {
            return; // the process is stopping: parent and child both resume later
        }
        let (scope, run_id) = (self.scope.clone(), self.run_id);
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                if let Err(e) = store.request_control(&scope, run_id, ControlRequest::Cancel).await {
                    tracing::warn!(run_id = %run_id, error = %e, "could not cancel an abandoned child run");
                }
            });
        }
    }
}
