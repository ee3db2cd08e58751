//! Every type documents itself: a valid, closed params schema whose examples validate and give
//! ports.

use serde_json::{Value, json};
use weft_model::{NodeCatalog, NodeTypeRef};
use weft_node_api::{NodeRegistry, Purity};
use weft_nodes_system::{SystemConfig, register};

fn registry() -> NodeRegistry {
    let mut r = NodeRegistry::new();
    register(&mut r, &SystemConfig::default());
    r
}

#[test]
fn both_nodes_are_registered_with_honest_purity() {
    let r = registry();
    let names: Vec<String> = r.all().iter().map(|i| i.type_ref.to_string()).collect();
    assert_eq!(names, vec!["fs.file@1", "util.log@1"]);
    let purity = |t: &str| r.info(&t.parse::<NodeTypeRef>().unwrap()).unwrap().purity;
    assert_eq!(purity("fs.file@1"), Purity::Effectful);
    assert_eq!(purity("util.log@1"), Purity::Pure);
}

#[test]
fn schemas_are_valid_closed_documented_and_their_examples_validate() {
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
        assert!(
            ["Integration", "Utilities"].contains(&info.category.as_str()),
            "{name}"
        );
        assert!(info.description.contains("Example"), "{name}");

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
    assert!(!check(
        "fs.file@1",
        json!({ "operation": "write", "path": "a" })
    ));
    assert!(!check("fs.file@1", json!({ "operation": "read" })));
    assert!(!check(
        "fs.file@1",
        json!({ "operation": "move", "path": "a" })
    ));
    assert!(!check(
        "fs.file@1",
        json!({ "operation": "list", "path": "", })
    ));
    assert!(!check(
        "fs.file@1",
        json!({ "operation": "list", "path": ".", "maxEntries": 0 })
    ));
    assert!(check(
        "fs.file@1",
        json!({ "operation": "write", "path": "a", "content": "" })
    ));
    assert!(!check("util.log@1", json!({})));
    assert!(!check(
        "util.log@1",
        json!({ "message": "x", "level": "trace" })
    ));
    assert!(check("util.log@1", json!({ "message": "x" })));
}
