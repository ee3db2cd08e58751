//! Data node types: `data.csv` (parse and write CSV), `data.json` (parse, stringify, select by
//! JSON Pointer or JSONPath) and `data.validate` (route items by a JSON Schema 2020-12).
//!
//! All three are pure: their output depends only on their input and params. Params are read
//! per item with [`StepContext::params_for`], so `{{ }}` expressions see that item as `$json`;
//! the few step-level params (CSV `write`, the validator's `schema`) are rendered once with the
//! first item. [`register`] adds them to a [`NodeRegistry`].
//!
//! [`StepContext::params_for`]: weft_node_api::StepContext::params_for

#![warn(missing_docs)]

mod csv;
mod fields;
mod json;
mod validate;

pub use crate::csv::{CsvNode, DEFAULT_FIELD as CSV_DEFAULT_FIELD};
pub use crate::json::JsonNode;
pub use crate::validate::{DEFAULT_MAX_VIOLATIONS, INVALID, VALID, ValidateNode};

use std::sync::Arc;
use weft_node_api::NodeRegistry;

/// Registers `data.csv@1`, `data.json@1` and `data.validate@1`.
pub fn register(registry: &mut NodeRegistry) {
    registry.register(Arc::new(CsvNode));
    registry.register(Arc::new(JsonNode));
    registry.register(Arc::new(ValidateNode));
}
