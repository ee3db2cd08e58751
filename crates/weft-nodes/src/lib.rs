//! Built-in node types: flow control (`core.noop`, `core.if`, `core.switch`, `core.merge`,
//! `core.map`, `core.subworkflow`, `core.wait`, `core.error`), data shaping (`core.set`) and
//! HTTP (`http.request`) and sandboxed JavaScript (`code.js`).
//!
//! Every type is a public struct implementing [`NodeType`]; [`register_builtins`] adds them all
//! to a [`NodeRegistry`]. Params are read per item with [`StepContext::params_for`], so `{{ }}`
//! expressions see that item as `$json`; step-level params (merge, map, wait, …) are rendered
//! once with the first input item.
//!
//! [`NodeType`]: weft_node_api::NodeType
//! [`StepContext::params_for`]: weft_node_api::StepContext::params_for

// `NodeError` (fixed by weft-node-api) is what every step returns; boxing it here would only
// add conversions at each call.
#![warn(missing_docs)]

pub mod common;
mod nodes;
#[cfg(feature = "testing")]
pub mod testing;

pub use nodes::aggregate::AggregateNode;
pub use nodes::approval::ApprovalNode;
pub use nodes::code::CodeNode;
pub use nodes::error::ErrorNode;
pub use nodes::http::HttpRequestNode;
pub use nodes::if_node::IfNode;
pub use nodes::map::MapNode;
pub use nodes::merge::MergeNode;
pub use nodes::noop::NoopNode;
pub use nodes::respond::{RESPONSE_PORT, RespondNode};
pub use nodes::set::SetNode;
pub use nodes::subworkflow::SubworkflowNode;
pub use nodes::switch::SwitchNode;
pub use nodes::wait::WaitNode;

use std::sync::Arc;
use weft_node_api::NodeRegistry;

/// Registers every built-in node type.
pub fn register_builtins(registry: &mut NodeRegistry) {
    // Expressions outside the native subset run on the Code node's engine (QuickJS), in the
    // same kind of sandbox; installing it is process-wide and idempotent.
    weft_js::install_expression_engine();
    registry.register(Arc::new(NoopNode));
    registry.register(Arc::new(SetNode));
    registry.register(Arc::new(AggregateNode));
    registry.register(Arc::new(IfNode));
    registry.register(Arc::new(SwitchNode));
    registry.register(Arc::new(MergeNode));
    registry.register(Arc::new(MapNode));
    registry.register(Arc::new(SubworkflowNode));
    registry.register(Arc::new(WaitNode));
    registry.register(Arc::new(HttpRequestNode::new()));
    registry.register(Arc::new(ErrorNode));
    registry.register(Arc::new(CodeNode));
    registry.register(Arc::new(RespondNode));
    registry.register(Arc::new(ApprovalNode));
}
