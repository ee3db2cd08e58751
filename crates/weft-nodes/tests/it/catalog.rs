//! Every registered type documents itself: a valid, closed params schema whose examples
//! validate and give ports.

use serde_json::Value;
use weft_model::{NodeCatalog, NodeTypeRef};
use weft_node_api::NodeRegistry;
use weft_nodes::register_builtins;

fn registry() -> NodeRegistry {
    let mut r = NodeRegistry::new();
    register_builtins(&mut r);
    r
}

#[test]
fn all_builtins_are_registered() {
    let r = registry();
    let names: Vec<String> = r.all().iter().map(|i| i.type_ref.to_string()).collect();
    assert_eq!(
        names,
        vec![
            "code.js@1",
            "core.aggregate@1",
            "core.error@1",
            "core.if@1",
            "core.map@1",
            "core.merge@1",
            "core.noop@1",
            "core.set@1",
            "core.subworkflow@1",
            "core.switch@1",
            "core.wait@1",
            "http.request@1",
        ]
    );
    assert_eq!(r.versions("core.set"), vec![1]);
}

#[test]
fn schemas_are_closed_documented_and_their_examples_validate() {
    let r = registry();
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
        assert!(!info.display_name.is_empty());
        assert!(
            ["Flow", "Data", "Integration", "Utilities"].contains(&info.category.as_str()),
            "{name}"
        );
        assert!(
            info.description.contains("Example") || info.description.contains("{}"),
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
        with_typo
            .as_object_mut()
            .unwrap()
            .insert("surelyNotAParam".into(), Value::Bool(true));
        assert!(
            !validator.is_valid(&with_typo),
            "{name}: accepts unknown params"
        );
    }
}

#[test]
fn schemas_refuse_what_execution_refuses() {
    let r = registry();
    let check = |ty: &str, params: Value| -> bool {
        let info = r.info(&ty.parse::<NodeTypeRef>().unwrap()).unwrap();
        jsonschema::validator_for(&info.params_schema)
            .unwrap()
            .is_valid(&params)
    };
    use serde_json::json;
    assert!(!check("core.map@1", json!({})));
    assert!(!check(
        "core.map@1",
        json!({ "workflowVersion": "a", "workflow": { "apiVersion": "weft/v1", "nodes": [] } })
    ));
    assert!(!check(
        "core.map@1",
        json!({ "workflowVersion": "a", "concurrency": 0 })
    ));
    assert!(!check(
        "core.wait@1",
        json!({ "duration": "1s", "until": "2030-01-01T00:00:00Z" })
    ));
    assert!(!check("core.merge@1", json!({ "mode": "byKey" })));
    assert!(!check("core.merge@1", json!({ "inputs": 11 })));
    assert!(!check(
        "core.switch@1",
        json!({ "cases": [{ "output": "fallback", "condition": true }] })
    ));
    assert!(!check("http.request@1", json!({ "url": "ftp://x" })));
    assert!(!check("core.error@1", json!({})));
    assert!(check("core.noop@1", json!({})));
}
