//! `ai.openai@1` against a real small model (SmolLM2 via ../shared/llm/serve.sh), against a
//! scripted server for error handling, and from recorded cassettes without any network.

mod errors;
mod huggingface;
mod live;
mod replay;

use serde_json::Value;
use weft_node_api::{NodeError, NodeInput, NodeType, StepResult};
use weft_nodes::testing::ctx;
use weft_nodes_ai::{LlmMode, OpenAiNode};

/// The committed cassettes.
pub fn cassettes() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cassettes")
}

/// The params of the structured-output example used by the live and replay tests.
pub fn city_params(base_url: &str) -> Value {
    serde_json::json!({
        "baseUrl": base_url,
        "model": "smollm2",
        "system": "You answer with JSON only.",
        "prompt": "Name one city in France and its country.",
        "temperature": 0,
        "maxTokens": 60,
        "responseSchema": {
            "type": "object",
            "properties": { "city": { "type": "string" }, "country": { "type": "string" } },
            "required": ["city", "country"],
        },
    })
}

/// Runs the node once with no input items.
pub async fn complete(mode: LlmMode, params: Value) -> Result<Vec<Value>, NodeError> {
    let node = OpenAiNode::new(mode);
    match node.execute(&ctx(params), NodeInput::main(vec![])).await? {
        StepResult::Done(out) => Ok(out.get("main").unwrap_or_default().to_vec()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_params_schema_is_valid_and_its_examples_pass() {
    let node = OpenAiNode::new(LlmMode::Live);
    let schema = &node.info().params_schema;
    jsonschema::meta::validate(schema).expect("a valid 2020-12 schema");
    let v = jsonschema::validator_for(schema).expect("compiles");
    for example in schema["examples"].as_array().expect("examples") {
        assert!(v.is_valid(example), "{example}");
    }
    assert!(
        !v.is_valid(&serde_json::json!({ "model": "m" })),
        "prompt or messages is required"
    );
}
