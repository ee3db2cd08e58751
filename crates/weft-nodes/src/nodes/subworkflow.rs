//! `core.subworkflow@1`: runs a child workflow with the step's items.

use crate::common::{
    PartialParams, cancelled, child_error_message, child_workflow_properties, exactly_one_workflow,
    main_in_main_out, node_info, object_schema, with_keyword, workflow_source,
};
use crate::nodes::map::run_per_item;
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use weft_node_api::{
    ChildRequest, NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, Purity, ResolvedPorts,
    StepContext, StepResult,
};

/// The error code of a failed child run.
pub const FAILED: &str = "subworkflow.failed";

/// `core.subworkflow@1`: one child run with all items (`once`), or one per item, in turn
/// (`perItem`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SubworkflowNode;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SubworkflowParams {
    #[serde(default)]
    workflow_version: Option<String>,
    #[serde(default)]
    mode: Mode,
}

#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Mode {
    #[default]
    Once,
    PerItem,
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({ "workflowVersion": "wfv_0193c0de", "mode": "once" });
        let inline_example = json!({
            "mode": "perItem",
            "workflow": {
                "apiVersion": "weft/v1",
                "name": "child",
                "nodes": [{ "id": "pass", "type": "core.noop@1" }],
            },
        });
        let (workflow, version) = child_workflow_properties();
        let schema = object_schema(
            "core.subworkflow params",
            json!({
                "workflow": workflow,
                "workflowVersion": version,
                "mode": {
                    "type": "string",
                    "enum": ["once", "perItem"],
                    "description": "once: one child run gets all input items and its output is the step's output; perItem: one child run per item, one at a time, outputs concatenated in item order.",
                    "default": "once",
                },
            }),
            &[],
            vec![example.clone(), inline_example],
        );
        let schema = with_keyword(schema, "oneOf", exactly_one_workflow());
        node_info(
            "core.subworkflow",
            "Execute sub-workflow",
            "Flow",
            &format!(
                "Runs another workflow as a durable child run and emits its output. A failed child \
                 fails the step with code subworkflow.failed. Example params: {example}"
            ),
            Purity::Effectful,
            schema,
        )
    })
}

#[async_trait]
impl NodeType for SubworkflowNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, _params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        Ok(main_in_main_out())
    }

    async fn execute(
        &self,
        ctx: &StepContext,
        mut input: NodeInput,
    ) -> Result<StepResult, NodeError> {
        let params = PartialParams::new(ctx, &["workflow"])?;
        let p: SubworkflowParams = params.read(ctx, input.main_items(), 0)?;
        let source = workflow_source(ctx, p.workflow_version)?;
        let items = match p.mode {
            Mode::PerItem => {
                run_per_item(ctx, &source, input.main_items(), 1, false, FAILED).await?
            }
            Mode::Once => {
                let request = ChildRequest {
                    key: "once".into(),
                    workflow: source,
                    input: input.take("main"),
                };
                let outcome = tokio::select! {
                    r = ctx.services().run_child(ctx, request) => r?,
                    _ = ctx.cancel.cancelled() => return Err(cancelled()),
                };
                if let Some(error) = outcome.error {
                    return Err(NodeError::permanent(
                        FAILED,
                        format!(
                            "child run {} failed: {}",
                            outcome.run_id,
                            child_error_message(&error)
                        ),
                    )
                    .with_details(json!({ "runId": outcome.run_id, "error": error })));
                }
                outcome.output
            }
        };
        Ok(StepResult::Done(NodeOutput::main(items)))
    }
}
