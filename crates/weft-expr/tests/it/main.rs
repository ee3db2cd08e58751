//! Behaviour of expressions as users write them.

mod errors;
mod names;
mod operators;
mod props;
mod templates;

use serde_json::{Map, Value, json};
use weft_expr::{ExprError, NodeLookup, Scope, Template};

/// Node outputs by name.
pub struct Nodes(pub Vec<(String, Vec<Value>)>);

impl NodeLookup for Nodes {
    fn items(&self, name: &str) -> Option<&[Value]> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
}

/// The item most tests use as `$json`.
pub fn item() -> Value {
    json!({
        "name": "Ada",
        "n": 4,
        "price": 2.5,
        "nested": {"deep": {"x": 1}},
        "list": [3, 1, 2],
        "words": ["b", "a", "c"],
        "flag": false,
        "none": null,
        "text": "  Hello, World  ",
        "people": [{"name": "Ann", "age": 31}, {"name": "Bob", "age": 17}, {"name": "Cy", "age": 45}],
        "num_str": "42",
        "empty": "",
        "whole": 3.0,
    })
}

/// Renders a template at item index `index` with `$json` = `json` and a small fixed world.
pub fn render_at(src: &str, json: &Value, index: usize) -> Result<Value, ExprError> {
    let nodes = Nodes(vec![
        (
            "Fetch".into(),
            vec![
                json!({"id": 1, "tags": ["a", "b"]}),
                json!({"id": 2, "tags": []}),
            ],
        ),
        ("Load order".into(), vec![json!({"total": 100})]),
        ("Empty".into(), vec![]),
    ]);
    let mut vars = Map::new();
    vars.insert("rate".into(), json!(0.2));
    vars.insert("region".into(), json!("eu"));
    let run = json!({"id": "run-1", "workflowName": "orders", "attempt": 1});
    let input = vec![json.clone(), json!({"n": 99, "name": "Zed"})];
    let env = |name: &str| (name == "ALLOWED").then(|| "yes".to_string());
    let scope = Scope {
        json,
        item_index: index,
        input: &input,
        nodes: &nodes,
        vars: &vars,
        run: &run,
        now_ms: 1_795_341_600_123,
        env: &env,
    };
    Template::parse(src)?.render(&scope)
}

/// Renders with `$json` = `json` at index 0.
pub fn render_with(src: &str, json: &Value) -> Result<Value, ExprError> {
    render_at(src, json, 0)
}

/// Renders with `$json` = [`item`]; panics on errors.
pub fn render(src: &str) -> Value {
    match render_with(src, &item()) {
        Ok(v) => v,
        Err(e) => panic!("{src}: {e}"),
    }
}

/// The error rendering `src` gives (parse or runtime); panics if it renders.
pub fn error(src: &str) -> ExprError {
    match render_with(src, &item()) {
        Ok(v) => panic!("{src} rendered {v} but should fail"),
        Err(e) => e,
    }
}

/// The error parsing `src` gives; panics if it parses.
pub fn parse_error(src: &str) -> ExprError {
    match Template::parse(src) {
        Ok(t) => panic!("{src} parsed as {t:?} but should fail"),
        Err(e) => e,
    }
}

/// Checks many `(template, expected)` pairs, reporting every mismatch at once.
pub fn check(cases: &[(&str, Value)]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(src, want)| match render_with(src, &item()) {
            Ok(got) if got == *want => None,
            Ok(got) => Some(format!("{src}: got {got}, want {want}")),
            Err(e) => Some(format!("{src}: error {e}, want {want}")),
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
