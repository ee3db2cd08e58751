//! Test runs with pinned outputs (the editor's "pin data").
//!
//! A pinned node is not executed: the new run's journal is *seeded* with a `StepSucceeded`
//! event carrying the pinned output, written in the transaction that creates the run (as a
//! retry's kept steps are), so the scheduler treats the node as done from the start and its
//! downstream steps read the pinned items. Nodes upstream of a pinned node still run when
//! something else needs them; their results do not reach the pinned node.

use crate::journal::Event;
use crate::{Engine, EngineError, StartOptions};
use chrono::Utc;
use serde_json::Value;
use std::collections::BTreeMap;
use weft_node_api::{LogLevel, LogLine, NodeOutput};
use weft_store_api::{NewRun, RunId, RunRecord, TenantScope, encode_event};

/// Why a pinned output was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("pinned output of node {node:?}: {message}")]
pub struct InvalidPin {
    /// The node id as given.
    pub node: String,
    /// What is wrong.
    pub message: String,
}

/// Turns the JSON form of a pinned output into a [`NodeOutput`]: an array of items is the
/// `main` port's output; an object maps output port names to arrays of items.
pub fn pinned_output(node: &str, value: &Value) -> Result<NodeOutput, InvalidPin> {
    let bad = |message: String| InvalidPin {
        node: node.to_string(),
        message,
    };
    match value {
        Value::Array(items) => Ok(NodeOutput::main(items.clone())),
        Value::Object(ports) if !ports.is_empty() => {
            let mut out = NodeOutput::default();
            for (port, items) in ports {
                let Value::Array(items) = items else {
                    return Err(bad(format!("port {port:?} must be an array of items")));
                };
                if port.is_empty() {
                    return Err(bad("a port name is empty".into()));
                }
                out.ports.push((port.clone(), items.clone()));
            }
            Ok(out)
        }
        _ => Err(bad(
            "expected an array of items, or an object of output ports to arrays of items".into(),
        )),
    }
}

impl Engine {
    /// Starts a run of `version_id` in which the nodes in `pinned` are not executed but
    /// succeed at once with the given output (see [`pinned_output`]). A node id that is not in
    /// the workflow, or an output of the wrong shape, is refused with `Ok(Err(InvalidPin))`
    /// before anything is stored.
    pub async fn start_run_pinned(
        &self,
        scope: &TenantScope,
        version_id: &str,
        input: Value,
        pinned: &BTreeMap<String, Value>,
        options: StartOptions,
    ) -> Result<Result<RunRecord, InvalidPin>, EngineError> {
        if pinned.is_empty() {
            return self
                .start_run(scope, version_id, input, options)
                .await
                .map(Ok);
        }
        let inner = self.inner();
        let workflow = inner.compiled_workflow(scope, version_id).await?;
        let now = Utc::now();
        let mut seed = Vec::with_capacity(pinned.len());
        for (node, value) in pinned {
            if !workflow.document.nodes.iter().any(|n| &n.id == node) {
                return Ok(Err(InvalidPin {
                    node: node.clone(),
                    message: "the workflow has no node with this id".into(),
                }));
            }
            let output = match pinned_output(node, value) {
                Ok(o) => o,
                Err(e) => return Ok(Err(e)),
            };
            let event = Event::StepSucceeded {
                node: node.clone(),
                attempt: 1,
                output,
                started_at: now,
                finished_at: now,
                logs: vec![LogLine {
                    at_ms: now.timestamp_millis(),
                    level: LogLevel::Info,
                    message: "pinned output: the step did not run".into(),
                }],
                used_edges: None,
            };
            seed.push(encode_event(&event)?);
        }
        let input = crate::engine::run_input(input);
        let deadline_at = crate::engine::run_deadline(&workflow.document, now);
        let (record, _) = inner
            .store
            .create_run_seeded(
                scope,
                NewRun {
                    id: RunId::new(),
                    workflow_version_id: version_id.to_string(),
                    workflow_id: options.workflow_id.clone(),
                    workflow_name: workflow.document.name.clone(),
                    input,
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
        Ok(Ok(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_array_is_the_main_port_and_an_object_names_ports() {
        let o = pinned_output("a", &json!([{ "x": 1 }])).unwrap();
        assert_eq!(o.get("main"), Some(&[json!({ "x": 1 })][..]));
        let o = pinned_output("a", &json!({ "true": [{ "y": 2 }], "false": [] })).unwrap();
        assert_eq!(o.get("true"), Some(&[json!({ "y": 2 })][..]));
        assert_eq!(o.get("false"), Some(&[][..]));
        assert_eq!(o.get("main"), None);
    }

    #[test]
    fn other_shapes_are_refused_naming_the_node() {
        for bad in [
            json!(1),
            json!("x"),
            json!({}),
            json!({ "main": 3 }),
            json!(null),
        ] {
            let e = pinned_output("fetch", &bad).unwrap_err();
            assert_eq!(e.node, "fetch", "{bad}");
        }
    }
}
