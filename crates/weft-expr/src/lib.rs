//! Expressions inside `{{ … }}` in string parameters: a strict subset of JavaScript with the
//! names n8n users know (`$json`, `$input`, `$node["Name"]`, `$("Name")`, `$vars`, `$run`,
//! `$item`, `$now`, `$today`, `$env`).
//!
//! - [`Template::parse`] parses once; unknown names and syntax errors are reported with their
//!   byte position, so validation can point at them before anything runs.
//! - [`Template::render`] evaluates against a [`Scope`]. A string that is exactly one
//!   `{{ expr }}` renders to the expression's raw JSON value; otherwise values are written into
//!   the text (objects and arrays as JSON).
//! - [`CompiledValue`] compiles every template of a params tree once and renders it per item.
//!
//! Evaluation borrows from the scope, so a plain path like `{{ $json.a.b }}` clones only its
//! result. It is bounded: nesting depth at parse time, steps and result sizes at render time.
//! There is no I/O, no clock other than the scope's `now_ms`, and no randomness.

mod builtins;
mod eval;
mod lexer;
mod parser;
mod template;
mod time;
mod value;

pub use template::{CompiledValue, Template, contains_expression};

use serde_json::{Map, Value};

/// An expression that failed to parse or evaluate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at position {position} in `{expression}`")]
pub struct ExprError {
    /// What is wrong.
    pub message: String,
    /// The expression's source text.
    pub expression: String,
    /// Byte offset of the problem within the template string.
    pub position: usize,
}

impl ExprError {
    fn at(source: &str, position: usize, message: impl Into<String>) -> Self {
        ExprError {
            message: message.into(),
            expression: source.trim().to_string(),
            position,
        }
    }
}

/// The names an expression can see.
pub struct Scope<'a> {
    /// The current item (`$json`).
    pub json: &'a Value,
    /// Index of the current item (`$item`, `$itemIndex`).
    pub item_index: usize,
    /// All items on the node's main input (`$input.all()`, `$input.item`, `$input.first()`).
    pub input: &'a [Value],
    /// Outputs of other nodes of the run (`$node["Name"].json`, `$("Name").item.json`).
    pub nodes: &'a dyn NodeLookup,
    /// Workflow variables (`$vars`).
    pub vars: &'a Map<String, Value>,
    /// Facts about the run (`$run`): id, workflow name, attempt, …
    pub run: &'a Value,
    /// The time of the step in milliseconds since the Unix epoch (`$now`, `$today`).
    pub now_ms: i64,
    /// Environment variables on the allow-list (`$env`); everything else reads as undefined.
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

/// Gives expressions the output items of other nodes.
pub trait NodeLookup {
    /// The main output items of a node, looked up by name, then by id.
    fn items(&self, name_or_id: &str) -> Option<&[Value]>;
}

/// A lookup with no nodes, for tests and contexts without a run.
pub struct NoNodes;

impl NodeLookup for NoNodes {
    fn items(&self, _: &str) -> Option<&[Value]> {
        None
    }
}
