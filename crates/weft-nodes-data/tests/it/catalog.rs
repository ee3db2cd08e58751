//! Every data node documents itself: a valid, closed 2020-12 params schema whose examples (the
//! node's and each property's) validate and give ports.

use serde_json::{Value, json};
use weft_model::{NodeCatalog, NodeTypeRef, PortType};
use weft_node_api::NodeRegistry;

fn registry() -> NodeRegistry {
    let mut r = NodeRegistry::new();
    weft_nodes_data::register(&mut r);
    r
}

fn type_ref(s: &str) -> NodeTypeRef {
    s.parse().unwrap()
}

#[test]
fn the_three_types_are_registered() {
    let r = registry();
    let names: Vec<String> = r.all().iter().map(|i| i.type_ref.to_string()).collect();
    assert_eq!(names, vec!["data.csv@1", "data.json@1", "data.validate@1"]);
    let display: Vec<&str> = r.all().iter().map(|i| i.display_name.as_str()).collect();
    assert_eq!(
        display,
        vec!["CSV Processor", "JSON Parser", "Data Validator"]
    );
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
        assert_eq!(info.purity, weft_model::Purity::Pure, "{name}");
        assert_eq!(info.category, "Data", "{name}");
        assert!(info.description.contains("Example params: {"), "{name}");
        let props = schema["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}: no properties"));
        for (prop, spec) in props {
            let text = spec["description"].as_str().unwrap_or_default();
            assert!(!text.is_empty(), "{name}: {prop} has no description");
            // Property-level examples and defaults fit the property itself.
            let sub = jsonschema::draft202012::new(spec)
                .unwrap_or_else(|e| panic!("{name}: {prop}: {e}"));
            for ex in spec["examples"].as_array().into_iter().flatten() {
                assert!(
                    sub.is_valid(ex),
                    "{name}: {prop}: example {ex} does not fit"
                );
            }
            if let Some(default) = spec.get("default") {
                assert!(
                    sub.is_valid(default),
                    "{name}: {prop}: default {default} does not fit"
                );
            }
        }

        let validator = jsonschema::draft202012::new(schema).unwrap();
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
        let info = r.info(&type_ref(ty)).unwrap();
        jsonschema::draft202012::new(&info.params_schema)
            .unwrap()
            .is_valid(&params)
    };
    assert!(!check("data.csv@1", json!({})));
    assert!(!check("data.csv@1", json!({ "operation": "merge" })));
    assert!(!check(
        "data.csv@1",
        json!({ "operation": "parse", "delimiter": ";;" })
    ));
    assert!(check(
        "data.csv@1",
        json!({ "operation": "parse", "delimiter": "\t" })
    ));
    assert!(!check(
        "data.csv@1",
        json!({ "operation": "write", "text": "a,b" })
    ));
    assert!(!check(
        "data.csv@1",
        json!({ "operation": "parse", "lineEnding": "crlf" })
    ));
    assert!(!check(
        "data.csv@1",
        json!({ "operation": "parse", "text": "a", "field": "b" })
    ));
    assert!(!check(
        "data.csv@1",
        json!({ "operation": "parse", "maxRows": 0 })
    ));
    assert!(!check("data.json@1", json!({ "operation": "select" })));
    assert!(!check(
        "data.json@1",
        json!({ "operation": "select", "pointer": "/a", "jsonPath": "$.a" })
    ));
    assert!(!check(
        "data.json@1",
        json!({ "operation": "select", "pointer": "a/b" })
    ));
    assert!(!check(
        "data.json@1",
        json!({ "operation": "select", "pointer": "/a~2" })
    ));
    assert!(check(
        "data.json@1",
        json!({ "operation": "select", "pointer": "" })
    ));
    assert!(!check(
        "data.json@1",
        json!({ "operation": "parse", "pretty": true })
    ));
    assert!(!check(
        "data.json@1",
        json!({ "operation": "parse", "pointer": "/a" })
    ));
    assert!(!check(
        "data.json@1",
        json!({ "operation": "select", "pointer": "/a", "firstMatch": true })
    ));
    assert!(!check("data.validate@1", json!({})));
    assert!(!check("data.validate@1", json!({ "schema": "object" })));
    assert!(check("data.validate@1", json!({ "schema": true })));
}

#[test]
fn ports_are_typed_by_operation() {
    let r = registry();
    let ports = |ty: &str, params: Value| {
        let Value::Object(m) = params else { panic!() };
        r.ports(&type_ref(ty), &m).unwrap()
    };
    let types = |p: &weft_model::ResolvedPorts| {
        (
            p.inputs.iter().map(|s| s.port_type).collect::<Vec<_>>(),
            p.outputs
                .iter()
                .map(|s| (s.name.clone(), s.port_type))
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        types(&ports("data.csv@1", json!({ "operation": "parse" }))),
        (
            vec![PortType::Object],
            vec![("main".into(), PortType::Object)]
        )
    );
    assert_eq!(
        types(&ports(
            "data.csv@1",
            json!({ "operation": "parse", "text": "a", "output": "table" })
        )),
        (vec![PortType::Any], vec![("main".into(), PortType::Table)])
    );
    assert_eq!(
        types(&ports(
            "data.csv@1",
            json!({ "operation": "{{ $json.op }}" })
        )),
        (vec![PortType::Any], vec![("main".into(), PortType::Any)])
    );
    assert!(
        r.ports(
            &type_ref("data.csv@1"),
            &weft_nodes::testing::params(json!({ "operation": "zip" }))
        )
        .is_err()
    );
    assert_eq!(
        types(&ports("data.json@1", json!({ "operation": "stringify" }))),
        (vec![PortType::Any], vec![("main".into(), PortType::String)])
    );
    assert_eq!(
        types(&ports(
            "data.json@1",
            json!({ "operation": "parse", "field": "body" })
        )),
        (vec![PortType::Any], vec![("main".into(), PortType::Object)])
    );
    assert_eq!(
        types(&ports("data.validate@1", json!({ "schema": true }))),
        (
            vec![PortType::Any],
            vec![
                ("valid".into(), PortType::Object),
                ("invalid".into(), PortType::Object)
            ]
        )
    );
}

#[test]
fn a_workflow_using_the_nodes_validates_against_the_catalog() {
    let r = registry();
    let doc = json!({
        "apiVersion": "weft/v1",
        "name": "import",
        "nodes": [
            { "id": "csv", "type": "data.csv@1", "params": { "operation": "parse", "text": "id,payload\n1,\"{\"\"a\"\":1}\"\n", "inferTypes": true } },
            { "id": "json", "type": "data.json@1", "params": { "operation": "parse", "field": "payload" } },
            { "id": "check", "type": "data.validate@1", "params": { "schema": { "type": "object", "required": ["id"] } } },
        ],
        "edges": [
            { "from": { "node": "csv" }, "to": { "node": "json" } },
            { "from": { "node": "json" }, "to": { "node": "check" } },
        ],
    });
    let wf = weft_model::parse_document(
        &doc.to_string(),
        weft_model::DocumentFormat::Json,
        &weft_model::ParseLimits::default(),
    );
    let wf = wf.unwrap_or_else(|e| panic!("{e:?}"));
    let errors: Vec<_> = weft_model::validate(&wf, &r)
        .into_iter()
        .filter(|d| d.severity == weft_model::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}
