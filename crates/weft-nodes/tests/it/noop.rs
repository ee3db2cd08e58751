use crate::support::*;
use serde_json::json;
use weft_node_api::{NodeType, PortType};
use weft_nodes::NoopNode;

#[tokio::test]
async fn passes_main_through() {
    let items = vec![json!({ "a": 1 }), json!("two"), json!(null)];
    let out = done(run(&NoopNode, json!({}), items.clone()).await);
    assert_eq!(out.ports, vec![("main".to_string(), items)]);
}

#[tokio::test]
async fn no_items_is_an_empty_main() {
    let out = done(run(&NoopNode, json!({}), vec![]).await);
    assert_eq!(out.get("main"), Some(&[][..]));
}

#[test]
fn ports_are_main_in_main_out() {
    let ports = NoopNode.ports(&params(json!({}))).unwrap();
    assert_eq!(ports.inputs.len(), 1);
    assert_eq!(ports.inputs[0].name, "main");
    assert_eq!(ports.inputs[0].port_type, PortType::Any);
    assert_eq!(ports.outputs[0].name, "main");
}
