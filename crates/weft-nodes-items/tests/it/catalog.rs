//! Every type documents itself: a valid, closed params schema whose examples validate and give
//! ports.

use serde_json::{Value, json};
use weft_model::{NodeCatalog, NodeTypeRef};
use weft_node_api::NodeRegistry;

fn registry() -> NodeRegistry {
    let mut r = NodeRegistry::new();
    weft_nodes_items::register(&mut r);
    r
}

#[test]
fn all_item_nodes_are_registered() {
    let names: Vec<String> = registry()
        .all()
        .iter()
        .map(|i| i.type_ref.to_string())
        .collect();
    assert_eq!(
        names,
        vec![
            "items.crypto@1",
            "items.datetime@1",
            "items.dedupe@1",
            "items.limit@1",
            "items.sort@1",
            "items.split_out@1",
        ]
    );
}

#[test]
fn schemas_are_valid_closed_documented_and_their_examples_validate() {
    weft_nodes::testing::check_catalog(&registry(), &["Data", "Utilities"]);
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
    assert!(
        !check("items.sort@1", json!({})),
        "fields mode needs fields"
    );
    assert!(!check(
        "items.sort@1",
        json!({ "mode": "fields", "fields": [] })
    ));
    assert!(!check(
        "items.sort@1",
        json!({ "mode": "random", "fields": [{ "field": "a" }] })
    ));
    assert!(!check(
        "items.sort@1",
        json!({ "fields": [{ "field": "a", "order": "up" }] })
    ));
    assert!(check("items.sort@1", json!({ "mode": "reverse" })));
    assert!(!check("items.limit@1", json!({})));
    assert!(!check("items.limit@1", json!({ "maxItems": -1 })));
    assert!(!check(
        "items.dedupe@1",
        json!({ "compare": "selectedFields" })
    ));
    assert!(
        !check("items.dedupe@1", json!({ "fields": ["a"] })),
        "allFields takes no fields"
    );
    assert!(!check("items.split_out@1", json!({})));
    assert!(!check(
        "items.split_out@1",
        json!({ "field": "a", "include": "selectedOtherFields" })
    ));
    assert!(!check(
        "items.datetime@1",
        json!({ "operation": "add", "field": "a", "unit": "day" })
    ));
    assert!(!check("items.datetime@1", json!({ "operation": "parse" })));
    assert!(!check(
        "items.datetime@1",
        json!({ "operation": "format", "field": "a", "outputFormat": "custom" })
    ));
    assert!(!check(
        "items.datetime@1",
        json!({ "operation": "startOf", "field": "a", "unit": "millisecond" })
    ));
    assert!(!check(
        "items.datetime@1",
        json!({ "operation": "tomorrow" })
    ));
    assert!(!check(
        "items.crypto@1",
        json!({ "operation": "hmac", "field": "a" })
    ));
    assert!(!check(
        "items.crypto@1",
        json!({ "operation": "hmac", "field": "a", "key": "k", "algorithm": "md5" })
    ));
    assert!(!check(
        "items.crypto@1",
        json!({ "operation": "uuid", "version": 1 })
    ));
    assert!(check("items.crypto@1", json!({ "operation": "uuid" })));
}
