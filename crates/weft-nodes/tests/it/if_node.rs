use crate::support::*;
use serde_json::{Value, json};
use weft_node_api::NodeType;
use weft_nodes::IfNode;

#[tokio::test]
async fn routes_each_item_by_its_condition() {
    let items: Vec<Value> = (1..=5).map(|n| json!({ "n": n })).collect();
    let out = done(
        run(
            &IfNode,
            json!({ "condition": "{{ $json.n > $vars.threshold }}" }),
            items,
        )
        .await,
    );
    assert_eq!(
        out.get("true").unwrap(),
        &[json!({ "n": 4 }), json!({ "n": 5 })]
    );
    assert_eq!(
        out.get("false").unwrap(),
        &[json!({ "n": 1 }), json!({ "n": 2 }), json!({ "n": 3 })]
    );
}

#[tokio::test]
async fn only_ports_that_got_items_are_emitted() {
    let items = vec![json!({ "n": 10 }), json!({ "n": 11 })];
    let out = done(run(&IfNode, json!({ "condition": "{{ $json.n > 3 }}" }), items).await);
    assert_eq!(port_names(&out), vec!["true"]);
    assert_eq!(out.get("false"), None);

    let out = done(run(&IfNode, json!({ "condition": "{{ $json.n > 3 }}" }), vec![]).await);
    assert!(out.ports.is_empty(), "no items: no branch taken");
}

#[tokio::test]
async fn javascript_truthiness() {
    let cases = [
        (json!({ "v": false }), false),
        (json!({ "v": 0 }), false),
        (json!({ "v": 0.0 }), false),
        (json!({ "v": "" }), false),
        (json!({ "v": null }), false),
        (json!({}), false),
        (json!({ "v": true }), true),
        (json!({ "v": -1 }), true),
        (json!({ "v": "0" }), true),
        (json!({ "v": "false" }), true),
        (json!({ "v": [] }), true),
        (json!({ "v": {} }), true),
    ];
    let items: Vec<Value> = cases.iter().map(|(i, _)| i.clone()).collect();
    let out = done(run(&IfNode, json!({ "condition": "{{ $json.v }}" }), items).await);
    let truthy: Vec<Value> = cases
        .iter()
        .filter(|(_, t)| *t)
        .map(|(i, _)| i.clone())
        .collect();
    let falsy: Vec<Value> = cases
        .iter()
        .filter(|(_, t)| !*t)
        .map(|(i, _)| i.clone())
        .collect();
    assert_eq!(out.get("true").unwrap(), truthy.as_slice());
    assert_eq!(out.get("false").unwrap(), falsy.as_slice());
}

#[tokio::test]
async fn literal_conditions() {
    let out = done(run(&IfNode, json!({ "condition": true }), vec![json!(1)]).await);
    assert_eq!(port_names(&out), vec!["true"]);
    let out = done(run(&IfNode, json!({ "condition": 0 }), vec![json!(1)]).await);
    assert_eq!(port_names(&out), vec!["false"]);
}

#[test]
fn ports() {
    let ports = IfNode.ports(&params(json!({ "condition": true }))).unwrap();
    let outs: Vec<&str> = ports.outputs.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(outs, vec!["true", "false"]);
    assert_eq!(ports.inputs[0].name, "main");
}
