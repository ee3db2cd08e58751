//! Weft expressions: `{{ … }}` templates in string parameters, evaluated with JavaScript
//! semantics and the names n8n users know (`$json`, `$input`, `$node["Name"]`, `$("Name")`,
//! `$vars`, `$run`, `$item`, `$now`, `$today`, `$env`).
//!
//! This crate is the native fast path: a hand-written lexer, a Pratt parser and a tree-walking
//! evaluator for a strict subset of JavaScript expressions. It has no I/O, no clock other than
//! [`Scope::now_ms`] and no randomness, so a render is deterministic.
//!
//! # Using it
//!
//! - [`Template::parse`] parses a string once. Syntax errors and unknown names are reported
//!   with their byte position, so validation can point at them before anything runs.
//! - [`Template::render`] evaluates against a [`Scope`]. A string that is exactly one
//!   `{{ expr }}` (surrounding whitespace ignored) renders to the expression's raw JSON value;
//!   otherwise every value is written into the text: strings as they are, numbers the way
//!   JavaScript prints them, `null` as `null`, `undefined` as nothing, objects and arrays as
//!   JSON (as n8n does). A string without `{{` is static and renders to itself.
//! - [`CompiledValue`] compiles every template of a JSON tree (a node's parameters) once and
//!   renders the whole tree per item; errors carry the JSON pointer of the failing string.
//!
//! # The language
//!
//! Literals (numbers in decimal, exponent, hex, octal and binary form; single- and
//! double-quoted strings with escapes; template literals with `${…}`; arrays and objects with
//! spread), member access (`.x`, `["x"]`, `[0]`, optional chaining `?.`), calls and method
//! calls with spread arguments, unary `! - + typeof`, binary `+ - * / % **`, comparisons,
//! `== != === !==`, `&& || ??`, `in`, the conditional `? :`, and arrow functions with
//! expression bodies (`x => x.price`, `(a, b) => a - b`) for array methods.
//!
//! Differences from JavaScript, all deliberate:
//! - Values are JSON plus `undefined`, `NaN`, `±Infinity` and functions. Objects have no
//!   prototype, so `constructor` or `__proto__` are ordinary (missing) keys.
//! - `===` and `==` compare objects and arrays by structure, since JSON values have no identity.
//! - Strings are indexed by Unicode scalar values (`"é".length` is 1, `"😀".length` is 1, where
//!   JavaScript counts UTF-16 units); string comparison is by code point.
//! - Array methods never mutate: `sort` and `reverse` return sorted or reversed copies.
//! - `NaN` and `±Infinity` become `null` in a raw JSON result, as `JSON.stringify` writes them.
//! - There is no assignment, no statements, no `new`, no regular expressions, no `Math.random`.
//!
//! An expression outside this subset that is valid JavaScript (a regular expression, `new
//! Date(…)`, a block-bodied arrow function, a bitwise operator, …) runs on the
//! [`ScriptEngine`] the process installed (QuickJS from `weft-js` in the `weft` binary), with the
//! same names and the usual JavaScript semantics; without one it is a parse error. A misspelt
//! `$` name is always reported here, never handed over.
//!
//! # Names
//!
//! | name | value |
//! |---|---|
//! | `$json` | the current item |
//! | `$item`, `$itemIndex` | the index of the current item |
//! | `$input.all()`, `.first()`, `.last()`, `.item` | items on the main input, shaped `{json}` |
//! | `$node["Name"]`, `$node.Name` | `{json, items, isExecuted}`: `json` is the item at the same index (else the first, else `{}`), `items` all items shaped `{json}` |
//! | `$("Name")` | `{item, all(), first(), last(), itemMatching(i), isExecuted}` |
//! | `$vars`, `$run` | workflow variables, facts about the run |
//! | `$now`, `$today` | the step's time and that day's midnight, ISO-8601 UTC strings |
//! | `$env.NAME` | an allow-listed environment variable, or `undefined` |
//!
//! Globals: `Math`, `JSON`, `Number`, `String`, `Boolean`, `Object`, `Array`, `parseInt`,
//! `parseFloat`, `isNaN`, `isFinite`, `Date.now()`, `NaN`, `Infinity`, `undefined`.
//!
//! # Limits
//!
//! Evaluation borrows from the scope, so a plain path like `{{ $json.a.b }}` clones only its
//! result. Hostile input is bounded: nesting depth at parse time ([`MAX_DEPTH`]); steps
//! ([`MAX_STEPS`]), the size of any string ([`MAX_STRING_BYTES`]) or array
//! ([`MAX_ARRAY_LEN`]), the nesting of built values ([`MAX_VALUE_DEPTH`]) and the bytes one
//! render may copy ([`MAX_RENDER_BYTES`]) at render time.

mod ast;
mod compiled;
mod eval;
mod globals;
mod lexer;
mod methods;
mod number;
mod parser;
mod script;
mod template;
mod time;
mod val;

pub use compiled::CompiledValue;
pub use script::{ScriptEngine, install_script_engine, script_engine};
pub use template::{Template, contains_expression};

use serde_json::{Map, Value};

/// Deepest nesting of an expression accepted by the parser.
pub const MAX_DEPTH: usize = 64;
/// Most evaluation steps one render may take.
pub const MAX_STEPS: u64 = 5_000_000;
/// Largest string (in bytes) an expression may build.
pub const MAX_STRING_BYTES: usize = 10 * 1024 * 1024;
/// Longest array an expression may build.
pub const MAX_ARRAY_LEN: usize = 1_000_000;
/// Deepest nesting of arrays and objects an expression may build.
pub const MAX_VALUE_DEPTH: usize = 100;
/// Most bytes one render may allocate or copy (beyond returning a value of the scope as is).
pub const MAX_RENDER_BYTES: usize = 256 * 1024 * 1024;

/// An expression that failed to parse or evaluate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at position {position} in `{expression}`")]
pub struct ExprError {
    /// What is wrong, in plain words.
    pub message: String,
    /// The source text of the expression (inside `{{ }}`, trimmed).
    pub expression: String,
    /// Byte offset of the problem within the template string.
    pub position: usize,
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
