use crate::main_items;
use crate::support::*;
use serde_json::json;
use weft_nodes_items::SplitOutNode;

fn order() -> serde_json::Value {
    json!({
        "order": { "id": 7, "lines": [{ "sku": "a", "qty": 1 }, { "sku": "b", "qty": 2 }] },
        "customer": "Ada",
        "tags": ["x", "y"],
    })
}

#[tokio::test]
async fn without_other_fields() {
    let out = main_items(
        run(
            &SplitOutNode,
            json!({ "field": "order.lines" }),
            vec![order()],
        )
        .await,
    );
    assert_eq!(
        out,
        vec![
            json!({ "sku": "a", "qty": 1 }),
            json!({ "sku": "b", "qty": 2 })
        ]
    );

    let out = main_items(run(&SplitOutNode, json!({ "field": "tags" }), vec![order()]).await);
    assert_eq!(out, vec![json!({ "tags": "x" }), json!({ "tags": "y" })]);

    let p = json!({ "field": "order.lines", "destination": "line" });
    let out = main_items(run(&SplitOutNode, p, vec![order()]).await);
    assert_eq!(out[1], json!({ "line": { "sku": "b", "qty": 2 } }));
}

#[tokio::test]
async fn keeping_all_or_selected_fields() {
    let p = json!({ "field": "tags", "destination": "tag", "include": "allOtherFields" });
    let out = main_items(run(&SplitOutNode, p, vec![order()]).await);
    assert_eq!(out.len(), 2);
    assert_eq!(
        out[0],
        json!({
            "order": { "id": 7, "lines": [{ "sku": "a", "qty": 1 }, { "sku": "b", "qty": 2 }] },
            "customer": "Ada",
            "tag": "x",
        })
    );

    let p = json!({ "field": "order.lines", "include": "allOtherFields" });
    let out = main_items(run(&SplitOutNode, p, vec![order()]).await);
    assert_eq!(
        out[1],
        json!({ "order": { "id": 7, "lines": { "sku": "b", "qty": 2 } }, "customer": "Ada", "tags": ["x", "y"] })
    );

    let p = json!({
        "field": "order.lines",
        "destination": "line",
        "include": "selectedOtherFields",
        "otherFields": ["order.id", "customer", "absent"],
    });
    let out = main_items(run(&SplitOutNode, p, vec![order()]).await);
    assert_eq!(
        out,
        vec![
            json!({ "order": { "id": 7 }, "customer": "Ada", "line": { "sku": "a", "qty": 1 } }),
            json!({ "order": { "id": 7 }, "customer": "Ada", "line": { "sku": "b", "qty": 2 } }),
        ]
    );
}

#[tokio::test]
async fn missing_or_non_array_field_fails_naming_the_item_or_is_skipped() {
    let items = vec![
        json!({ "list": [1] }),
        json!({ "list": "oops" }),
        json!({ "other": true }),
        json!({ "list": [] }),
        json!({ "list": [2, 3] }),
    ];
    let e = failed(run(&SplitOutNode, json!({ "field": "list" }), items.clone()).await);
    assert_eq!(e.code, "split_out.not_array");
    assert!(
        e.message
            .starts_with("item 1: field \"list\" is a string (\"oops\"), not an array"),
        "{}",
        e.message
    );
    assert_eq!(e.details, json!({ "itemIndex": 1, "field": "list" }));

    let e = failed(
        run(
            &SplitOutNode,
            json!({ "field": "list" }),
            items[2..].to_vec(),
        )
        .await,
    );
    assert!(
        e.message.starts_with("item 0: field \"list\" is missing"),
        "{}",
        e.message
    );

    let out = main_items(
        run(
            &SplitOutNode,
            json!({ "field": "list", "onMissing": "skip" }),
            items,
        )
        .await,
    );
    assert_eq!(
        out,
        vec![
            json!({ "list": 1 }),
            json!({ "list": 2 }),
            json!({ "list": 3 })
        ]
    );
}

#[tokio::test]
async fn field_may_differ_per_item() {
    let items = vec![
        json!({ "which": "a", "a": [1, 2] }),
        json!({ "which": "b", "b": [3] }),
    ];
    let p = json!({ "field": "{{ $json.which }}", "destination": "v" });
    let out = main_items(run(&SplitOutNode, p, items).await);
    assert_eq!(
        out,
        vec![json!({ "v": 1 }), json!({ "v": 2 }), json!({ "v": 3 })]
    );
}

#[tokio::test]
async fn the_documented_example_holds() {
    let info = weft_node_api::NodeType::info(&SplitOutNode);
    let example = info.params_schema["examples"][0].clone();
    let item = json!({ "order": { "id": 7, "lines": [{ "sku": "a" }, { "sku": "b" }] }, "customer": "Ada" });
    let out = main_items(run(&SplitOutNode, example, vec![item]).await);
    assert_eq!(out.len(), 2);
    assert_eq!(
        out[0],
        json!({ "order": { "id": 7 }, "customer": "Ada", "line": { "sku": "a" } })
    );
}
