//! `write`: items → one item holding CSV text.

use super::{CsvParams, LineEnding};
use crate::fields::{read_field, write_field};
use serde_json::{Map, Value};
use weft_node_api::{Item, NodeError};

/// Writes every item as one row; returns the output item `{field: text}`.
pub(super) fn run(items: &[Item], p: &CsvParams) -> Result<Value, NodeError> {
    let dialect = p.dialect()?;
    let field = p.field_name()?;
    let columns: Vec<String> = match p.checked_columns()? {
        Some(cols) => cols.to_vec(),
        None => seen_fields(items),
    };
    let mut writer = csv::WriterBuilder::new()
        .delimiter(dialect.delimiter)
        .quote(dialect.quote)
        .terminator(match p.line_ending {
            LineEnding::Lf => csv::Terminator::Any(b'\n'),
            LineEnding::Crlf => csv::Terminator::CRLF,
        })
        .from_writer(Vec::new());
    let write_err = |e: csv::Error| NodeError::permanent("csv.write_failed", e.to_string());
    if p.header && !columns.is_empty() {
        writer.write_record(&columns).map_err(write_err)?;
    }
    let mut row: Vec<String> = Vec::with_capacity(columns.len());
    for item in items {
        row.clear();
        for col in &columns {
            let value = match item {
                Value::Object(_) => read_field(item, col),
                // A non-object item is written as {"value": item}, as core.set sees it.
                other => (col == "value").then_some(other),
            };
            row.push(cell(value));
        }
        if !columns.is_empty() {
            writer.write_record(&row).map_err(write_err)?;
        }
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| NodeError::permanent("csv.write_failed", e.to_string()))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| NodeError::permanent("csv.write_failed", e.to_string()))?;
    Ok(write_field(
        Value::Object(Map::new()),
        Some(field),
        Value::String(text),
    ))
}

/// Top-level field names of all items, in first-seen order.
fn seen_fields(items: &[Item]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for item in items {
        match item {
            Value::Object(m) => {
                for k in m.keys() {
                    if seen.insert(k.as_str()) {
                        names.push(k.clone());
                    }
                }
            }
            _ => {
                if seen.insert("value") {
                    names.push("value".into());
                }
            }
        }
    }
    names
}

/// One value as CSV text: strings as they are, null/missing as empty, arrays and objects as
/// compact JSON.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => other.to_string(),
    }
}
