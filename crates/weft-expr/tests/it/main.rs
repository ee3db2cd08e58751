//! Behaviour of expressions as users write them.

mod errors;
mod eval;
mod props;

use serde_json::{Map, Value, json};
use weft_expr::{NodeLookup, Scope, Template};

pub struct Nodes(pub Vec<(String, Vec<Value>)>);

impl NodeLookup for Nodes {
    fn items(&self, name: &str) -> Option<&[Value]> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
}

/// Renders a template with `$json` = `json` and a small fixed world around it.
pub fn render_with(src: &str, json: &Value) -> Result<Value, weft_expr::ExprError> {
    let nodes = Nodes(vec![
        (
            "Fetch".into(),
            vec![
                json!({"id": 1, "tags": ["a", "b"]}),
                json!({"id": 2, "tags": []}),
            ],
        ),
        ("Empty".into(), vec![]),
    ]);
    let vars: Map<String, Value> =
        serde_json::from_value(json!({"rate": 0.2, "region": "eu"})).unwrap_or_default();
    let run = json!({"id": "run-1", "workflowName": "orders"});
    let input = vec![json.clone(), json!({"n": 99})];
    let env = |name: &str| (name == "ALLOWED").then(|| "yes".to_string());
    let scope = Scope {
        json,
        item_index: 0,
        input: &input,
        nodes: &nodes,
        vars: &vars,
        run: &run,
        now_ms: 1_795_341_600_123,
        env: &env,
    };
    Template::parse(src)?.render(&scope)
}

pub fn render(src: &str) -> Value {
    let item = json!({"name": "Ada", "n": 4, "price": 2.5, "nested": {"deep": {"x": 1}}, "list": [3, 1, 2], "flag": false, "none": null});
    match render_with(src, &item) {
        Ok(v) => v,
        Err(e) => panic!("{src}: {e}"),
    }
}

pub fn error(src: &str) -> weft_expr::ExprError {
    let item = json!({"name": "Ada", "n": 4});
    match render_with(src, &item) {
        Ok(v) => panic!("{src} rendered {v} but should fail"),
        Err(e) => e,
    }
}
