//! Integration tests of the item node types, one module per node.

use weft_nodes::testing as support;

mod catalog;
mod crypto;
mod datetime;
mod dedupe;
mod limit;
mod sort;
mod split_out;

use serde_json::Value;

/// The `main` items of a finished step.
fn main_items(r: Result<weft_node_api::StepResult, weft_node_api::NodeError>) -> Vec<Value> {
    support::done(r)
        .get("main")
        .expect("main port emitted")
        .to_vec()
}
