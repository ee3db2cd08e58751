//! The JSON Schema in `schemas/` (for editors) agrees with the parser: every shipped example and
//! every generated document passes it, and documents it refuses the parser refuses too.

use crate::{json, repo_root, roundtrip::workflow};
use proptest::prelude::*;
use serde_json::Value;
use std::sync::OnceLock;

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let text = std::fs::read_to_string(repo_root().join("schemas/weft-v1.schema.json"))
            .expect("schemas/weft-v1.schema.json");
        let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
        jsonschema::meta::validate(&schema).expect("schema is a valid 2020-12 schema");
        jsonschema::draft202012::new(&schema).expect("schema compiles")
    })
}

fn schema_errors(doc: &Value) -> Vec<String> {
    validator()
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn every_example_passes_the_schema_and_the_parser() {
    let mut seen = 0;
    for entry in std::fs::read_dir(repo_root().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            // Sub-folders hold CLI examples with file references (`errorWorkflowFile`).
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let value: Value = if name.ends_with(".json") {
            serde_json::from_str(&text).unwrap()
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            serde_yaml_ng::from_str(&text).unwrap()
        } else {
            continue;
        };
        seen += 1;
        // invalid.json is well-formed; its problems are for the validator, not the schema.
        assert_eq!(schema_errors(&value), Vec::<String>::new(), "{name}");
        weft_model::parse::workflow_from_value(value, &Default::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    assert!(seen >= 3, "examples/ has only {seen} documents");
}

#[test]
fn documents_the_schema_refuses_the_parser_refuses() {
    let base = r#""apiVersion":"weft/v1","name":"x""#;
    let bad = [
        format!(r#"{{{base}}}"#),
        format!(r#"{{{base},"nodes":[],"extra":1}}"#),
        format!(r#"{{{base},"nodes":[{{"id":"a"}}]}}"#),
        format!(r#"{{{base},"nodes":[{{"id":"a","type":"noop"}}]}}"#),
        format!(
            r#"{{{base},"nodes":[{{"id":"a","type":"core.noop@1","settings":{{"retries":2}}}}]}}"#
        ),
        format!(
            r#"{{{base},"nodes":[{{"id":"a","type":"core.noop@1","settings":{{"timeout":"later"}}}}]}}"#
        ),
        format!(
            r#"{{{base},"nodes":[{{"id":"a","type":"core.noop@1","settings":{{"join":{{"mode":"first"}}}}}}]}}"#
        ),
        format!(r#"{{{base},"nodes":[{{"id":"a","type":"core.noop@1","position":{{"x":1}}}}]}}"#),
        format!(r#"{{{base},"nodes":[],"edges":[{{"from":{{"node":"a"}}}}]}}"#),
        format!(r#"{{{base},"nodes":[],"triggers":[{{"id":"t","type":"sms","node":"a"}}]}}"#),
        r#"{"apiVersion":"weft/v2","name":"x","nodes":[]}"#.to_string(),
    ];
    for text in bad {
        let value: Value = serde_json::from_str(&text).unwrap();
        assert!(!schema_errors(&value).is_empty(), "schema accepts {text}");
        assert!(json(&text).is_err(), "parser accepts {text}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn generated_documents_pass_the_schema(wf in workflow()) {
        let value = serde_json::to_value(&wf).unwrap();
        let errors = schema_errors(&value);
        prop_assert!(errors.is_empty(), "{:?}\n{}", errors, wf.to_json_pretty());
    }
}
