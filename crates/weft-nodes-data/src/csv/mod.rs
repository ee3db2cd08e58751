//! `data.csv@1`: parses CSV text into items (or one table item) and writes items as CSV text.

mod parse;
mod write;

use crate::fields::{check_field, literal, single_byte};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use weft_node_api::{
    NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, PortSpec, PortType, Purity,
    ResolvedPorts, StepContext, StepResult,
};
use weft_nodes::common::{node_info, object_schema, with_keyword};

/// The field that holds CSV text when `field` is not set (read by `parse`, written by `write`).
pub const DEFAULT_FIELD: &str = "csv";

/// Params that only `parse` reads; `write` refuses them rather than ignore them.
const PARSE_ONLY: [&str; 6] = [
    "text",
    "inferTypes",
    "trim",
    "skipEmptyLines",
    "maxRows",
    "output",
];
/// Params that only `write` reads.
const WRITE_ONLY: [&str; 1] = ["lineEnding"];

/// `data.csv@1`: `parse` turns CSV text (the `text` param, or a field of each item) into one
/// item per row, or one `table` item per text; `write` turns all input items into one item
/// holding CSV text.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvNode;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CsvParams {
    operation: Operation,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    field: Option<String>,
    #[serde(default = "comma")]
    delimiter: String,
    #[serde(default = "double_quote")]
    quote: String,
    #[serde(default = "yes")]
    header: bool,
    #[serde(default)]
    columns: Option<Vec<String>>,
    #[serde(default)]
    infer_types: bool,
    #[serde(default)]
    trim: bool,
    #[serde(default = "yes")]
    skip_empty_lines: bool,
    #[serde(default)]
    max_rows: Option<u64>,
    #[serde(default)]
    output: Output,
    #[serde(default)]
    line_ending: LineEnding,
}

fn comma() -> String {
    ",".into()
}
fn double_quote() -> String {
    "\"".into()
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Operation {
    Parse,
    Write,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Output {
    #[default]
    Items,
    Table,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum LineEnding {
    #[default]
    Lf,
    Crlf,
}

/// Options common to both operations, checked.
struct Dialect {
    delimiter: u8,
    quote: u8,
}

impl CsvParams {
    fn dialect(&self) -> Result<Dialect, NodeError> {
        let delimiter = single_byte(&self.delimiter, "/params/delimiter")?;
        let quote = single_byte(&self.quote, "/params/quote")?;
        if delimiter == quote {
            return Err(NodeError::invalid_params(
                "/params/quote",
                "the quote character must differ from the delimiter",
            ));
        }
        Ok(Dialect { delimiter, quote })
    }

    fn field_name(&self) -> Result<&str, NodeError> {
        let field = self.field.as_deref().unwrap_or(DEFAULT_FIELD);
        check_field(field, "/params/field")?;
        Ok(field)
    }

    fn checked_columns(&self) -> Result<Option<&[String]>, NodeError> {
        let Some(columns) = &self.columns else {
            return Ok(None);
        };
        for (i, name) in columns.iter().enumerate() {
            if name.is_empty() {
                return Err(NodeError::invalid_params(
                    &format!("/params/columns/{i}"),
                    "a column name must not be empty",
                ));
            }
            if columns[..i].contains(name) {
                return Err(NodeError::invalid_params(
                    &format!("/params/columns/{i}"),
                    format!("column {name:?} is listed twice"),
                ));
            }
        }
        Ok(Some(columns))
    }
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let parse_example = json!({
            "operation": "parse",
            "field": "body",
            "delimiter": ";",
            "inferTypes": true,
            "trim": true,
        });
        let text_example = json!({
            "operation": "parse",
            "text": "name\tage\nAda\t36\n",
            "delimiter": "tab",
            "inferTypes": true,
            "output": "table",
        });
        let no_header_example = json!({
            "operation": "parse",
            "header": false,
            "columns": ["id", "email"],
            "maxRows": 1000,
        });
        let write_example = json!({
            "operation": "write",
            "columns": ["id", "name", "address.city"],
            "field": "csv",
        });
        let one_char = json!({
            "type": "string",
            "anyOf": [
                { "minLength": 1, "maxLength": 1 },
                { "enum": ["tab", "\\t"] },
            ],
        });
        let mut delimiter = one_char.clone();
        let mut quote = one_char;
        if let (Value::Object(d), Value::Object(q)) = (&mut delimiter, &mut quote) {
            d.insert("description".into(), json!("The field separator: one ASCII character such as \",\", \";\" or \"|\"; \"tab\" (or a tab character) for tab-separated values."));
            d.insert("default".into(), json!(","));
            d.insert("examples".into(), json!([",", ";", "tab"]));
            q.insert("description".into(), json!("The character that quotes fields holding the delimiter, quotes or line breaks; inside a quoted field it is doubled."));
            q.insert("default".into(), json!("\""));
            q.insert("examples".into(), json!(["\"", "'"]));
        }
        let schema = object_schema(
            "data.csv params",
            json!({
                "operation": {
                    "type": "string",
                    "enum": ["parse", "write"],
                    "description": "parse: CSV text → one item per row (or one table item); write: all input items → one item holding CSV text.",
                    "examples": ["parse", "write"],
                },
                "text": {
                    "type": "string",
                    "description": "parse only: the CSV text itself (usually an expression). Rendered per input item, so N input items give N texts whose rows follow each other; with no input it is parsed once. Without it, each item's `field` is parsed.",
                    "examples": ["id,name\n1,Ada\n", "{{ $json.body }}"],
                },
                "field": {
                    "type": "string",
                    "minLength": 1,
                    "description": "parse: the field of each item holding CSV text; write: the field of the output item that receives the CSV text. A dotted name such as \"a.b\" reaches a nested field.",
                    "default": DEFAULT_FIELD,
                    "examples": ["csv", "body", "attachment.text"],
                },
                "delimiter": delimiter,
                "quote": quote,
                "header": {
                    "type": "boolean",
                    "description": "parse: the first row holds column names; write: a header row is written first.",
                    "default": true,
                },
                "columns": {
                    "type": "array",
                    "items": { "type": "string", "minLength": 1 },
                    "uniqueItems": true,
                    "description": "parse: column names to use (required to name columns when `header` is false, otherwise columns are column1, column2, …; with `header` true the file's header row is skipped and these names win). write: the columns and their order, each a field name or dotted path; by default every field seen in the items, in first-seen order.",
                    "examples": [["id", "email"], ["id", "name", "address.city"]],
                },
                "inferTypes": {
                    "type": "boolean",
                    "description": "parse only: turn integers (no leading zeros, fitting 64 bits), decimals, true/false (any case) into numbers and booleans and empty fields into null. Off: every value is a string, exactly as written.",
                    "default": false,
                },
                "trim": {
                    "type": "boolean",
                    "description": "parse only: remove whitespace around column names and values (also inside quotes).",
                    "default": false,
                },
                "skipEmptyLines": {
                    "type": "boolean",
                    "description": "parse only: skip rows whose every value is empty, such as \",,,\" from spreadsheets. Lines with nothing at all on them are always skipped.",
                    "default": true,
                },
                "maxRows": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "parse only: read at most this many data rows of each text (the header row does not count); the rest is not read.",
                    "examples": [1000],
                },
                "output": {
                    "type": "string",
                    "enum": ["items", "table"],
                    "description": "parse only. items: one item per row, {column: value}; table: one item per text, {\"columns\": [names], \"rows\": [[values], …]}.",
                    "default": "items",
                },
                "lineEnding": {
                    "type": "string",
                    "enum": ["lf", "crlf"],
                    "description": "write only: end rows with \\n (lf) or \\r\\n (crlf, as RFC 4180 writes).",
                    "default": "lf",
                },
            }),
            &["operation"],
            vec![
                parse_example.clone(),
                text_example,
                no_header_example,
                write_example.clone(),
            ],
        );
        let forbid = |keys: &[&str]| -> Value {
            Value::Array(
                keys.iter()
                    .map(|k| json!({ "not": { "required": [k] } }))
                    .collect(),
            )
        };
        let schema = with_keyword(
            schema,
            "allOf",
            json!([
                {
                    "if": { "properties": { "operation": { "const": "write" } } },
                    "then": { "allOf": forbid(&PARSE_ONLY) },
                },
                {
                    "if": { "properties": { "operation": { "const": "parse" } } },
                    "then": { "allOf": forbid(&WRITE_ONLY) },
                },
                { "not": { "required": ["text", "field"] } },
            ]),
        );
        node_info(
            "data.csv",
            "CSV Processor",
            "Data",
            &format!(
                "Parses CSV text into items, or writes items as CSV text. parse reads the `text` \
                 param or a field of each item (default \"csv\") row by row: with a header row, \
                 each row becomes {{column: value}}; quoted fields may hold delimiters, quotes \
                 and line breaks; a row with more values than columns is an error naming its \
                 line, a shorter one gets null for the missing values. Values stay strings \
                 unless `inferTypes` is on. `output: table` gives one item \
                 {{\"columns\": [...], \"rows\": [[...]]}} per text instead. write renders all \
                 items (params read with the first item) into one item {{\"csv\": \"...\"}}: \
                 nested values as JSON, null as an empty field. \
                 Example params: {parse_example}; to write: {write_example}"
            ),
            Purity::Pure,
            schema,
        )
    })
}

#[async_trait]
impl NodeType for CsvNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        let operation = literal(params, "operation", "parse");
        let (input, output) = match operation {
            Some("write") => (
                PortSpec::new("main", PortType::Object)
                    .describe("Items to write, one CSV row each."),
                PortSpec::new("main", PortType::Object)
                    .describe("One item holding the CSV text in `field`."),
            ),
            Some("parse") => {
                let input = if params.contains_key("text") {
                    PortSpec::new("main", PortType::Any)
                        .describe("Each item renders `text` once (parsed once without input).")
                } else {
                    PortSpec::new("main", PortType::Object)
                        .describe("Items holding CSV text in `field`.")
                };
                let output = match literal(params, "output", "items") {
                    Some("table") => PortSpec::new("main", PortType::Table)
                        .describe("One {columns, rows} table per parsed text."),
                    Some("items") => PortSpec::new("main", PortType::Object)
                        .describe("One {column: value} item per row."),
                    Some(other) => return Err(format!("output: unknown value {other:?}")),
                    None => PortSpec::new("main", PortType::Any),
                };
                (input, output)
            }
            Some(other) => {
                return Err(format!(
                    "operation: unknown value {other:?} (expected \"parse\" or \"write\")"
                ));
            }
            None => (
                PortSpec::new("main", PortType::Any),
                PortSpec::new("main", PortType::Any),
            ),
        };
        Ok(ResolvedPorts {
            inputs: vec![input],
            outputs: vec![output],
        })
    }

    async fn execute(&self, ctx: &StepContext, input: NodeInput) -> Result<StepResult, NodeError> {
        let items = input.main_items();
        let first: CsvParams = ctx.params_for(items, 0)?;
        let (not_for_this, op) = match first.operation {
            Operation::Parse => (&WRITE_ONLY[..], "parse"),
            Operation::Write => (&PARSE_ONLY[..], "write"),
        };
        if let Some(key) = not_for_this.iter().find(|k| ctx.params.contains_key(**k)) {
            return Err(NodeError::invalid_params(
                &format!("/params/{key}"),
                format!("is not used by operation {op}; remove it"),
            ));
        }
        if first.text.is_some() && first.field.is_some() {
            return Err(NodeError::invalid_params(
                "/params/text",
                "set either `text` (the CSV itself) or `field` (where each item holds it), not both",
            ));
        }
        let out = match first.operation {
            Operation::Parse => parse::run(ctx, items, first)?,
            Operation::Write => vec![write::run(items, &first)?],
        };
        Ok(StepResult::Done(NodeOutput::main(out)))
    }
}
