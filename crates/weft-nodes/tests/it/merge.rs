use crate::support::*;
use serde_json::{Value, json};
use weft_node_api::{NodeInput, NodeType, StepResult};
use weft_nodes::MergeNode;

fn input(ports: &[(&str, Vec<Value>)]) -> NodeInput {
    NodeInput {
        ports: ports
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect(),
    }
}

async fn merge(p: Value, ports: &[(&str, Vec<Value>)]) -> Vec<Value> {
    match MergeNode.execute(&ctx(p), input(ports)).await {
        Ok(StepResult::Done(out)) => {
            assert_eq!(port_names(&out), vec!["main"]);
            out.get("main").unwrap().to_vec()
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn ports_follow_inputs() {
    let names = |p: Value| -> Vec<String> {
        MergeNode
            .ports(&params(p))
            .unwrap()
            .inputs
            .into_iter()
            .map(|p| p.name)
            .collect()
    };
    assert_eq!(names(json!({})), vec!["in1", "in2"]);
    assert_eq!(
        names(json!({ "inputs": 4 })),
        vec!["in1", "in2", "in3", "in4"]
    );
    assert!(
        MergeNode
            .ports(&params(json!({ "inputs": 3 })))
            .unwrap()
            .inputs
            .iter()
            .all(|p| !p.required)
    );
    for bad in [json!(1), json!(11), json!(2.5), json!("3")] {
        let err = MergeNode
            .ports(&params(json!({ "inputs": bad })))
            .unwrap_err();
        assert!(err.starts_with("inputs:"), "{err}");
    }
    let err = MergeNode
        .ports(&params(json!({ "inputs": "{{ $json.n }}" })))
        .unwrap_err();
    assert!(
        err.starts_with("inputs:") && err.contains("expression"),
        "{err}"
    );
    let err = MergeNode
        .ports(&params(json!({ "mode": "byKey" })))
        .unwrap_err();
    assert!(err.starts_with("key:"), "{err}");
}

#[tokio::test]
async fn append_keeps_input_order() {
    let out = merge(
        json!({ "inputs": 3 }),
        &[
            ("in3", vec![json!(5)]),
            ("in1", vec![json!(1), json!(2)]),
            ("in2", vec![json!(3), json!(4)]),
        ],
    )
    .await;
    assert_eq!(out, vec![json!(1), json!(2), json!(3), json!(4), json!(5)]);
}

#[tokio::test]
async fn append_with_a_skipped_input() {
    let out = merge(json!({}), &[("in2", vec![json!("b")])]).await;
    assert_eq!(out, vec![json!("b")]);
}

#[tokio::test]
async fn by_position_longest_and_shortest() {
    let ports = [
        (
            "in1",
            vec![
                json!({ "a": 1, "same": "in1" }),
                json!({ "a": 2 }),
                json!({ "a": 3 }),
            ],
        ),
        ("in2", vec![json!({ "b": 1, "same": "in2" }), json!(7)]),
    ];
    let out = merge(json!({ "mode": "byPosition" }), &ports).await;
    assert_eq!(
        out,
        vec![
            json!({ "a": 1, "same": "in2", "b": 1 }),
            json!({ "a": 2, "value": 7 }),
            json!({ "a": 3 }),
        ]
    );
    let out = merge(
        json!({ "mode": "byPosition", "byPositionMode": "shortest" }),
        &ports,
    )
    .await;
    assert_eq!(out.len(), 2);
    // A skipped input does not shorten the result; a delivered empty one does.
    let out = merge(
        json!({ "mode": "byPosition", "byPositionMode": "shortest", "inputs": 3 }),
        &ports,
    )
    .await;
    assert_eq!(out.len(), 2);
    let mut with_empty = ports.to_vec();
    with_empty.push(("in3", vec![]));
    let out = merge(
        json!({ "mode": "byPosition", "byPositionMode": "shortest", "inputs": 3 }),
        &with_empty,
    )
    .await;
    assert!(out.is_empty());
}

fn customers() -> Vec<Value> {
    vec![
        json!({ "customer": { "id": 1 }, "name": "Ada" }),
        json!({ "customer": { "id": 2 }, "name": "Alan" }),
        json!({ "customer": { "id": null }, "name": "Nobody" }),
    ]
}

fn orders() -> Vec<Value> {
    vec![
        json!({ "customer": { "id": 1.0 }, "order": "o1" }),
        json!({ "customer": { "id": 3 }, "order": "o3" }),
        json!({ "customer": { "id": 1 }, "order": "o1b" }),
        json!({ "order": "no customer" }),
    ]
}

#[tokio::test]
async fn by_key_inner_join() {
    let out = merge(
        json!({ "mode": "byKey", "key": "customer.id" }),
        &[("in1", customers()), ("in2", orders())],
    )
    .await;
    assert_eq!(
        out,
        vec![
            json!({ "customer": { "id": 1.0 }, "name": "Ada", "order": "o1" }),
            json!({ "customer": { "id": 1 }, "name": "Ada", "order": "o1b" }),
        ]
    );
}

#[tokio::test]
async fn by_key_left_join() {
    let out = merge(
        json!({ "mode": "byKey", "key": "customer.id", "join": "left" }),
        &[("in1", customers()), ("in2", orders())],
    )
    .await;
    assert_eq!(out.len(), 4);
    assert_eq!(out[2], customers()[1]);
    assert_eq!(out[3], customers()[2]);
}

#[tokio::test]
async fn by_key_outer_join() {
    let out = merge(
        json!({ "mode": "byKey", "key": "customer.id", "join": "outer" }),
        &[("in1", customers()), ("in2", orders())],
    )
    .await;
    assert_eq!(out.len(), 6);
    assert_eq!(&out[4..], &[orders()[1].clone(), orders()[3].clone()]);
}

#[tokio::test]
async fn by_key_with_a_plain_field_and_strict_types() {
    let left = vec![
        json!({ "id": "1", "l": true }),
        json!({ "id": 1, "l": true }),
    ];
    let right = vec![json!({ "id": 1, "r": true })];
    let out = merge(
        json!({ "mode": "byKey", "key": "id" }),
        &[("in1", left), ("in2", right)],
    )
    .await;
    assert_eq!(out, vec![json!({ "id": 1, "l": true, "r": true })]);
}

#[tokio::test]
async fn by_key_needs_a_key() {
    let e = failed(
        MergeNode
            .execute(&ctx(json!({ "mode": "byKey" })), input(&[("in1", vec![])]))
            .await,
    );
    assert_eq!(e.code, "params.invalid");
    assert!(e.message.contains("/params/key"), "{}", e.message);
}

#[tokio::test]
async fn bad_mode_is_refused() {
    let e = failed(
        MergeNode
            .execute(&ctx(json!({ "mode": "zip" })), input(&[]))
            .await,
    );
    assert_eq!(e.code, "params.invalid");
}
