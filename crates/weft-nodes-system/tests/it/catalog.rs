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
    weft_nodes::testing::check_catalog(&registry(), &["Integration", "Utilities"]);
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
