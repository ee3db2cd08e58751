use crate::main_items;
use crate::support::*;
use serde_json::json;
use weft_nodes_items::DedupeNode;

fn people() -> Vec<serde_json::Value> {
    vec![
        json!({ "id": 1, "email": "a@x.io", "addr": { "zip": "75001" } }),
        json!({ "id": 2, "email": "b@x.io", "addr": { "zip": "75001" } }),
        json!({ "id": 3, "email": "a@x.io", "addr": { "zip": "75001" } }),
        json!({ "id": 4, "email": "a@x.io", "addr": { "zip": "69001" } }),
        json!({ "id": 5, "email": "b@x.io", "addr": { "zip": "75001" } }),
        json!({ "id": 6, "addr": { "zip": "75001" } }),
        json!({ "id": 7, "email": null, "addr": { "zip": "75001" } }),
    ]
}

fn ids(items: &[serde_json::Value]) -> Vec<i64> {
    items.iter().map(|i| i["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn by_selected_fields_keep_first_or_last() {
    let p = json!({ "compare": "selectedFields", "fields": ["email", "addr.zip"] });
    let out = main_items(run(&DedupeNode, p, people()).await);
    // 3 repeats 1, 5 repeats 2; missing (6) and null (7) emails differ.
    assert_eq!(ids(&out), vec![1, 2, 4, 6, 7]);

    let p = json!({ "compare": "selectedFields", "fields": ["email", "addr.zip"], "keep": "last" });
    let out = main_items(run(&DedupeNode, p, people()).await);
    assert_eq!(ids(&out), vec![3, 4, 5, 6, 7]);

    let p = json!({ "compare": "selectedFields", "fields": ["email"], "keep": "last" });
    let out = main_items(run(&DedupeNode, p, people()).await);
    assert_eq!(ids(&out), vec![4, 5, 6, 7]);
}

#[tokio::test]
async fn whole_items_compare_as_data() {
    let items = vec![
        json!({ "a": 1, "b": { "x": [1, 2], "y": "s" } }),
        json!({ "b": { "y": "s", "x": [1.0, 2] }, "a": 1.0 }),
        json!({ "a": "1", "b": { "x": [1, 2], "y": "s" } }),
        json!(5),
        json!(5),
    ];
    let out = main_items(run(&DedupeNode, json!({}), items.clone()).await);
    assert_eq!(
        out,
        vec![items[0].clone(), items[2].clone(), items[3].clone()]
    );
    let out = main_items(run(&DedupeNode, json!({ "keep": "last" }), items.clone()).await);
    assert_eq!(
        out,
        vec![items[1].clone(), items[2].clone(), items[4].clone()]
    );
}

#[tokio::test]
async fn all_fields_except_some() {
    let items = vec![
        json!({ "id": 1, "sku": "a", "meta": { "seenAt": 1, "src": "x" } }),
        json!({ "id": 2, "sku": "a", "meta": { "seenAt": 2, "src": "x" } }),
        json!({ "id": 3, "sku": "a", "meta": { "seenAt": 3, "src": "y" } }),
    ];
    let p = json!({ "compare": "allFieldsExcept", "fields": ["id", "meta.seenAt"] });
    let out = main_items(run(&DedupeNode, p, items).await);
    assert_eq!(ids(&out), vec![1, 3]);
}

#[tokio::test]
async fn selected_fields_need_names() {
    let e = failed(
        run(
            &DedupeNode,
            json!({ "compare": "selectedFields" }),
            people(),
        )
        .await,
    );
    assert!(e.message.contains("/params/fields"), "{}", e.message);
    let e = failed(
        run(
            &DedupeNode,
            json!({ "compare": "selectedFields", "fields": ["ok", ".bad"] }),
            people(),
        )
        .await,
    );
    assert!(e.message.contains("/params/fields/1"), "{}", e.message);
}
