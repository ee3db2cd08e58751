use crate::main_items;
use crate::support::*;
use serde_json::{Value, json};
use weft_nodes_items::LimitNode;

fn numbered(n: i64) -> Vec<Value> {
    (0..n).map(|i| json!({ "n": i })).collect()
}

#[tokio::test]
async fn keeps_first_or_last_in_input_order() {
    let out = main_items(run(&LimitNode, json!({ "maxItems": 2 }), numbered(5)).await);
    assert_eq!(out, vec![json!({ "n": 0 }), json!({ "n": 1 })]);
    let out = main_items(
        run(
            &LimitNode,
            json!({ "maxItems": 2, "keep": "last" }),
            numbered(5),
        )
        .await,
    );
    assert_eq!(out, vec![json!({ "n": 3 }), json!({ "n": 4 })]);
}

#[tokio::test]
async fn fewer_items_pass_and_zero_keeps_none() {
    let out = main_items(
        run(
            &LimitNode,
            json!({ "maxItems": 10, "keep": "last" }),
            numbered(3),
        )
        .await,
    );
    assert_eq!(out, numbered(3));
    let out = main_items(run(&LimitNode, json!({ "maxItems": 0 }), numbered(3)).await);
    assert!(out.is_empty());
}

#[tokio::test]
async fn max_items_may_be_an_expression_and_must_be_a_count() {
    let out = main_items(
        run(
            &LimitNode,
            json!({ "maxItems": "{{ $vars.threshold }}" }),
            numbered(5),
        )
        .await,
    );
    assert_eq!(out.len(), 3);
    let e = failed(run(&LimitNode, json!({ "maxItems": -1 }), numbered(1)).await);
    assert!(e.message.contains("/params/maxItems"), "{}", e.message);
}
