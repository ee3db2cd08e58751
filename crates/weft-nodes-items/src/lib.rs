//! Everyday item node types, in the manner of n8n's: `items.sort`, `items.limit`,
//! `items.dedupe` ("Remove duplicates"), `items.split_out`, `items.datetime` ("Date & time")
//! and `items.crypto`.
//!
//! Each is a public struct implementing [`NodeType`] with a closed JSON Schema 2020-12 for its
//! params; [`register`] adds them all to a [`NodeRegistry`]. Nodes that transform each item
//! (split out, date & time, crypto) read their params per item with
//! [`StepContext::params_for`], so `{{ }}` expressions see that item as `$json`; nodes that
//! look at all items together (sort, limit, dedupe) render their params once, with the first
//! item.
//!
//! Nothing here reads the system clock or the OS random source: the clock is the step's
//! (`StepContext::now_ms`) and randomness is a ChaCha20 stream seeded by the step's
//! idempotency key, so a retried step computes the same result.
//!
//! [`NodeType`]: weft_node_api::NodeType
//! [`StepContext::params_for`]: weft_node_api::StepContext::params_for

#![warn(missing_docs)]

mod common;
mod crypto;
mod datetime;
mod dedupe;
mod limit;
mod sort;
mod split_out;
mod time;

pub use crate::crypto::CryptoNode;
pub use crate::datetime::DateTimeNode;
pub use crate::dedupe::DedupeNode;
pub use crate::limit::LimitNode;
pub use crate::sort::SortNode;
pub use crate::split_out::SplitOutNode;

use std::sync::Arc;
use weft_node_api::NodeRegistry;

/// Registers `items.sort@1`, `items.limit@1`, `items.dedupe@1`, `items.split_out@1`,
/// `items.datetime@1` and `items.crypto@1`.
pub fn register(registry: &mut NodeRegistry) {
    registry.register(Arc::new(SortNode));
    registry.register(Arc::new(LimitNode));
    registry.register(Arc::new(DedupeNode));
    registry.register(Arc::new(SplitOutNode));
    registry.register(Arc::new(DateTimeNode));
    registry.register(Arc::new(CryptoNode));
}
