//! Integration tests of the document format: parsing and its errors, round trips, and agreement
//! with the published JSON Schema.

mod parse_errors;
mod roundtrip;
mod schema;

use weft_model::{DocumentFormat, ParseError, ParseLimits, Workflow, parse_document};

/// Parses JSON with the default limits.
pub fn json(text: &str) -> Result<Workflow, ParseError> {
    parse_document(text, DocumentFormat::Json, &ParseLimits::default())
}

/// Parses YAML with the default limits.
pub fn yaml(text: &str) -> Result<Workflow, ParseError> {
    parse_document(text, DocumentFormat::Yaml, &ParseLimits::default())
}

/// The repository root, for the examples and the schema.
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
