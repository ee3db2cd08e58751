//! The node documents itself: a valid, closed 2020-12 params schema whose examples validate.

use crate::support::object;
use serde_json::{Value, json};
use weft_model::NodeCatalog;
use weft_node_api::NodeRegistry;

fn registry() -> NodeRegistry {
    let mut r = NodeRegistry::new();
    weft_nodes_db::register(&mut r);
    r
}

#[test]
fn the_schema_is_valid_closed_and_its_examples_validate() {
    let r = registry();
    let all = r.all();
    assert_eq!(all.len(), 1);
    let info = &all[0];
    assert_eq!(info.type_ref.to_string(), "db.query@1");
    assert_eq!(info.display_name, "Database Agent");
    assert_eq!(info.category, "Integration");
    assert_eq!(info.purity, weft_model::Purity::Effectful);
    assert!(info.description.contains("Example params: {"));
    let schema = &info.params_schema;
    jsonschema::meta::validate(schema).unwrap_or_else(|e| panic!("invalid schema: {e}"));
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["additionalProperties"], false);
    for (prop, spec) in schema["properties"].as_object().expect("properties") {
        assert!(
            !spec["description"].as_str().unwrap_or_default().is_empty(),
            "{prop}"
        );
        let sub = jsonschema::draft202012::new(spec).unwrap_or_else(|e| panic!("{prop}: {e}"));
        for ex in spec["examples"].as_array().into_iter().flatten() {
            assert!(sub.is_valid(ex), "{prop}: example {ex}");
        }
        if let Some(d) = spec.get("default") {
            assert!(sub.is_valid(d), "{prop}: default {d}");
        }
    }
    let v = jsonschema::draft202012::new(schema).expect("compiles");
    let examples = schema["examples"].as_array().expect("examples");
    assert_eq!(examples.len(), 3);
    for ex in examples {
        let errors: Vec<String> = v.iter_errors(ex).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{ex}: {errors:?}");
        r.ports(&info.type_ref, &object(ex.clone())).expect("ports");
    }
    let mut typo = examples[0].clone();
    typo.as_object_mut()
        .expect("object")
        .insert("surelyNotAParam".into(), Value::Bool(true));
    assert!(!v.is_valid(&typo));
    // What execution refuses, the form refuses too.
    for bad in [
        json!({ "sql": "SELECT 1" }),
        json!({ "credential": "c" }),
        json!({ "credential": "c", "operation": "statements", "sql": "SELECT 1" }),
        json!({ "credential": "c", "operation": "statements", "statements": [] }),
        json!({ "credential": "c", "operation": "query", "sql": "SELECT 1", "statements": [{ "sql": "SELECT 1" }] }),
        json!({ "credential": "c", "sql": "SELECT 1", "maxRows": 0 }),
        json!({ "credential": "c", "operation": "drop", "sql": "SELECT 1" }),
    ] {
        assert!(!v.is_valid(&bad), "accepted {bad}");
    }
    assert!(v.is_valid(&json!({ "credential": "c", "sql": "SELECT 1" })));
}
