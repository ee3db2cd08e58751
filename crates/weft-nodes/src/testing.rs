//! Test support for node types, in this crate and in other node crates (feature `testing`):
//! a step context for tests: a small expression environment and engine services that refuse
//! child runs unless a test supplies its own.

use async_trait::async_trait;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use weft_expr::{CompiledValue, NodeLookup};
use weft_node_api::{
    ChildOutcome, ChildRequest, EngineServices, ExprEnv, NodeError, NodeInput, NodeOutput,
    NodeType, StepContext, StepIdentity, StepResult,
};

/// The step clock of every test context: 2023-11-14T22:13:20Z.
pub const NOW_MS: i64 = 1_700_000_000_000;
/// The idempotency key of every test context.
pub const IDEMPOTENCY_KEY: &str = "run-1/node-1";

/// `$vars`, `$run` and other nodes' outputs.
pub struct TestEnv {
    /// `$vars`.
    pub vars: Map<String, Value>,
    /// `$run`.
    pub run: Value,
    /// Other nodes' output items, by name or id, for `$node[...]`.
    pub nodes: HashMap<String, Vec<Value>>,
}

impl Default for TestEnv {
    fn default() -> Self {
        let mut vars = Map::new();
        vars.insert("threshold".into(), json!(3));
        vars.insert("childVersion".into(), json!("wfv-42"));
        vars.insert("base".into(), json!("unused"));
        let mut nodes = HashMap::new();
        nodes.insert("Source".to_string(), vec![json!({ "id": 7 })]);
        TestEnv {
            vars,
            run: json!({ "id": "run-1", "workflowName": "tests" }),
            nodes,
        }
    }
}

impl NodeLookup for TestEnv {
    fn items(&self, name_or_id: &str) -> Option<&[Value]> {
        self.nodes.get(name_or_id).map(Vec::as_slice)
    }
}

impl ExprEnv for TestEnv {
    fn vars(&self) -> &Map<String, Value> {
        &self.vars
    }
    fn run_info(&self) -> &Value {
        &self.run
    }
    fn env_var(&self, _name: &str) -> Option<String> {
        None
    }
}

/// Services for nodes that must not start child runs.
pub struct NoChildren;

#[async_trait]
impl EngineServices for NoChildren {
    async fn run_child(
        &self,
        _ctx: &StepContext,
        _request: ChildRequest,
    ) -> Result<ChildOutcome, NodeError> {
        Err(NodeError::permanent(
            "test.no_children",
            "this test does not run child workflows",
        ))
    }
}

/// A step context with these params.
pub fn ctx(params: Value) -> StepContext {
    ctx_with(params, Arc::new(NoChildren), CancellationToken::new())
}

/// A step context with these params, services and cancellation token.
pub fn ctx_with(
    params: Value,
    services: Arc<dyn EngineServices>,
    cancel: CancellationToken,
) -> StepContext {
    let Value::Object(map) = params else {
        panic!("params must be an object")
    };
    let compiled = CompiledValue::compile(&Value::Object(map.clone())).expect("params compile");
    StepContext::new(
        StepIdentity {
            run_id: "run-1".into(),
            node_id: "node-1".into(),
            node_name: "Node 1".into(),
            attempt: 1,
            idempotency_key: IDEMPOTENCY_KEY.into(),
        },
        cancel,
        NOW_MS,
        Arc::new(map),
        Arc::new(compiled),
        Arc::new(TestEnv::default()),
        services,
    )
}

/// Executes a node with these params and `main` items.
pub async fn run(
    node: &dyn NodeType,
    params: Value,
    items: Vec<Value>,
) -> Result<StepResult, NodeError> {
    node.execute(&ctx(params), NodeInput::main(items)).await
}

/// The output of a step that finished.
pub fn done(r: Result<StepResult, NodeError>) -> NodeOutput {
    match r {
        Ok(StepResult::Done(out)) => out,
        other => panic!("expected Done, got {other:?}"),
    }
}

/// The error of a step that failed.
pub fn failed(r: Result<StepResult, NodeError>) -> NodeError {
    match r {
        Err(e) => e,
        other => panic!("expected an error, got {other:?}"),
    }
}

/// The names of the emitted ports, in order.
pub fn port_names(out: &NodeOutput) -> Vec<&str> {
    out.ports.iter().map(|(n, _)| n.as_str()).collect()
}

/// Params as a map.
pub fn params(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("params must be an object"),
    }
}

/// Checks every node type of a registry documents itself: a valid, closed 2020-12 params schema
/// with `required`, a description on every property, a display name, a category among
/// `categories`, a description with an example (unless it takes no params), and examples that
/// validate, give ports, and turn invalid with an unknown param added.
pub fn check_catalog(r: &weft_node_api::NodeRegistry, categories: &[&str]) {
    use weft_model::NodeCatalog;
    for info in r.all() {
        let name = info.type_ref.to_string();
        let schema = &info.params_schema;
        jsonschema::meta::validate(schema)
            .unwrap_or_else(|e| panic!("{name}: invalid schema: {e}"));
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        assert_eq!(schema["type"], "object", "{name}");
        assert_eq!(schema["additionalProperties"], false, "{name}");
        assert!(schema["required"].is_array(), "{name}");
        let props = schema["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}: no properties"));
        for (prop, spec) in props {
            let text = spec["description"].as_str().unwrap_or_default();
            assert!(
                !text.is_empty(),
                "{name}: property {prop} has no description"
            );
        }
        assert!(!info.display_name.is_empty(), "{name}");
        assert!(categories.contains(&info.category.as_str()), "{name}");
        assert!(
            info.description.contains("Example") || props.is_empty(),
            "{name}"
        );

        let validator = jsonschema::validator_for(schema).unwrap_or_else(|e| panic!("{name}: {e}"));
        let examples = schema["examples"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: no examples"));
        assert!(!examples.is_empty(), "{name}");
        for ex in examples {
            let errors: Vec<String> = validator.iter_errors(ex).map(|e| e.to_string()).collect();
            assert!(
                errors.is_empty(),
                "{name}: example {ex} does not validate: {errors:?}"
            );
            let Value::Object(params) = ex else {
                panic!("{name}: example is not an object")
            };
            r.ports(&info.type_ref, params)
                .unwrap_or_else(|e| panic!("{name}: example {ex} gives no ports: {e}"));
        }
        // Closed: an unknown param is refused.
        let mut with_typo = examples[0].clone();
        if let Some(m) = with_typo.as_object_mut() {
            m.insert("surelyNotAParam".into(), Value::Bool(true));
        }
        assert!(
            !validator.is_valid(&with_typo),
            "{name}: accepts unknown params"
        );
    }
}
