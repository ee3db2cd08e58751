//! The `weft/v1` workflow document: its types, parsing from JSON or YAML, port types with the
//! one coercion table, and validation. This crate does no I/O and knows nothing of storage,
//! execution or HTTP.

pub mod catalog;
pub mod diff;
pub mod document;
pub mod duration;
pub mod parse;
pub mod ports;
pub mod validate;
mod yaml_guard;

pub use catalog::{NodeCatalog, NodeTypeInfo, PortSpec, Purity, ResolvedPorts};
pub use diff::{WorkflowDiff, diff};
pub use document::*;
pub use duration::Millis;
pub use parse::{DocumentFormat, ParseError, ParseLimits, parse_document, workflow_from_value};
pub use ports::{Compatibility, PortType, coercion};
pub use validate::{Diagnostic, Severity, validate};
