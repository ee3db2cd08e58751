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
            "core.approval@1",
            "core.error@1",
            "core.if@1",
            "core.map@1",
            "core.merge@1",
            "core.noop@1",
            "core.respond@1",
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
    weft_nodes::testing::check_catalog(&registry(), &["Flow", "Data", "Integration", "Utilities"]);
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
