use crate::support::*;
use serde_json::json;
use weft_node_api::{ErrorKind, NodeType};
use weft_nodes::ErrorNode;

#[tokio::test]
async fn fails_with_the_rendered_message_and_default_code() {
    let p = json!({ "message": "order {{ $json.id }} has no customer", "details": { "id": "{{ $json.id }}" } });
    let e = failed(
        run(
            &ErrorNode,
            p,
            vec![json!({ "id": 42 }), json!({ "id": 43 })],
        )
        .await,
    );
    assert_eq!(e.kind, ErrorKind::Permanent);
    assert_eq!(e.code, "workflow.stopped");
    assert_eq!(e.message, "order 42 has no customer");
    assert_eq!(e.details, json!({ "id": 42 }));
}

#[tokio::test]
async fn custom_code_and_no_items() {
    let e = failed(
        run(
            &ErrorNode,
            json!({ "message": "stop", "code": "order.invalid" }),
            vec![],
        )
        .await,
    );
    assert_eq!(e.code, "order.invalid");
    assert_eq!(e.message, "stop");
    assert!(e.details.is_null());
}

#[tokio::test]
async fn message_is_required() {
    let e = failed(run(&ErrorNode, json!({ "code": "x" }), vec![]).await);
    assert_eq!(e.code, "params.invalid");
    assert!(e.message.contains("message"), "{}", e.message);
}

#[test]
fn has_no_main_output() {
    let ports = ErrorNode.ports(&params(json!({ "message": "x" }))).unwrap();
    assert!(ports.outputs.is_empty());
    assert!(ports.output("error").is_some());
}
