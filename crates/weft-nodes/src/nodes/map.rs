//! `core.map@1`: runs a sub-workflow once per item, a bounded number at a time.

use crate::common::{
    PartialParams, any_port, cancelled, child_error_message, child_workflow_properties,
    exactly_one_workflow, main_in_main_out, node_info, object_schema, with_keyword,
    workflow_source,
};
use async_trait::async_trait;
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use weft_node_api::{
    ChildRequest, Item, LogLevel, NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, Purity,
    ResolvedPorts, StepContext, StepResult, WorkflowSource,
};

/// Default number of children running at once.
pub const DEFAULT_CONCURRENCY: u64 = 4;
/// Most children running at once.
pub const MAX_CONCURRENCY: u64 = 256;

/// `core.map@1`: child run `i` gets `[item_i]`; the children's outputs are emitted on `main` in
/// item order.
#[derive(Debug, Clone, Copy, Default)]
pub struct MapNode;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MapParams {
    #[serde(default)]
    workflow_version: Option<String>,
    #[serde(default = "default_concurrency")]
    concurrency: u64,
    #[serde(default)]
    continue_on_item_error: bool,
}

fn default_concurrency() -> u64 {
    DEFAULT_CONCURRENCY
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({ "workflowVersion": "wfv_0193c0de", "concurrency": 8, "continueOnItemError": true });
        let inline_example = json!({
            "workflow": {
                "apiVersion": "weft/v1",
                "name": "enrich one",
                "nodes": [{ "id": "tag", "type": "core.set@1", "params": { "fields": { "seen": true } } }],
            },
        });
        let (workflow, version) = child_workflow_properties();
        let schema = object_schema(
            "core.map params",
            json!({
                "workflow": workflow,
                "workflowVersion": version,
                "concurrency": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_CONCURRENCY,
                    "description": "How many child runs execute at the same time.",
                    "default": DEFAULT_CONCURRENCY,
                },
                "continueOnItemError": {
                    "type": "boolean",
                    "description": "false: the first failed child fails the step; true: a failed item yields {\"error\": …, \"itemIndex\": i} in its place.",
                    "default": false,
                },
            }),
            &[],
            vec![example.clone(), inline_example],
        );
        let schema = with_keyword(schema, "oneOf", exactly_one_workflow());
        node_info(
            "core.map",
            "Map (sub-workflow per item)",
            "Flow",
            &format!(
                "Runs a sub-workflow once per input item (the child gets [item] as input), several at \
                 a time, and emits the children's output items in item order. Give the child inline \
                 as `workflow` or as a stored `workflowVersion`. Example params: {example}"
            ),
            Purity::Effectful,
            schema,
        )
    })
}

/// Runs one child per item (key `item/{i}`), at most `concurrency` at once, and returns their
/// outputs concatenated in item order. A failed child fails with `failure_code` unless
/// `continue_on_error`, in which case it yields `{"error", "itemIndex"}`.
pub(crate) async fn run_per_item(
    ctx: &StepContext,
    source: &WorkflowSource,
    items: &[Item],
    concurrency: usize,
    continue_on_error: bool,
    failure_code: &str,
) -> Result<Vec<Item>, NodeError> {
    let mut results: Vec<Option<Vec<Item>>> = vec![None; items.len()];
    let work = async {
        // Indices, not item references: a closure over borrowed items trips the `Send` check of
        // the boxed future (a higher-ranked lifetime limitation of the compiler).
        let mut children = futures::stream::iter(0..items.len())
            .map(|i| {
                let input = items.get(i).cloned().into_iter().collect();
                let request = ChildRequest {
                    key: format!("item/{i}"),
                    workflow: source.clone(),
                    input,
                };
                async move { (i, ctx.services().run_child(ctx, request).await) }
            })
            .buffer_unordered(concurrency.max(1));
        while let Some((i, outcome)) = children.next().await {
            let outcome = outcome?;
            match outcome.error {
                None => results[i] = Some(outcome.output),
                Some(error) => {
                    let message = child_error_message(&error);
                    if continue_on_error {
                        ctx.log(
                            LogLevel::Warn,
                            format!("item {i}: child run {} failed: {message}", outcome.run_id),
                        );
                        results[i] = Some(vec![json!({ "error": error, "itemIndex": i })]);
                    } else {
                        return Err(NodeError::permanent(
                            failure_code,
                            format!("item {i} failed in child run {}: {message}", outcome.run_id),
                        )
                        .with_details(
                            json!({ "itemIndex": i, "runId": outcome.run_id, "error": error }),
                        ));
                    }
                }
            }
        }
        Ok::<(), NodeError>(())
    };
    tokio::select! {
        r = work => r?,
        _ = ctx.cancel.cancelled() => return Err(cancelled()),
    }
    Ok(results.into_iter().flatten().flatten().collect())
}

#[async_trait]
impl NodeType for MapNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, _params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        let mut ports = main_in_main_out();
        ports.outputs =
            vec![any_port("main").describe("The children's output items, in item order.")];
        Ok(ports)
    }

    async fn execute(&self, ctx: &StepContext, input: NodeInput) -> Result<StepResult, NodeError> {
        let items = input.main_items();
        let params = PartialParams::new(ctx, &["workflow"])?;
        let p: MapParams = params.read(ctx, items, 0)?;
        if !(1..=MAX_CONCURRENCY).contains(&p.concurrency) {
            return Err(NodeError::invalid_params(
                "/params/concurrency",
                format!(
                    "must be a whole number from 1 to {MAX_CONCURRENCY}, not {}",
                    p.concurrency
                ),
            ));
        }
        let source = workflow_source(ctx, p.workflow_version)?;
        let concurrency = usize::try_from(p.concurrency).unwrap_or(1);
        let out = run_per_item(
            ctx,
            &source,
            items,
            concurrency,
            p.continue_on_item_error,
            "map.item_failed",
        )
        .await?;
        Ok(StepResult::Done(NodeOutput::main(out)))
    }
}
