use crate::main_items;
use crate::support::*;
use serde_json::{Value, json};
use weft_node_api::{NodeInput, NodeType};
use weft_nodes_items::SortNode;

fn ids(items: &[Value]) -> Vec<i64> {
    items.iter().map(|i| i["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn multi_key_sort_with_missing_values_and_stable_ties() {
    let items = vec![
        json!({ "id": 1, "c": { "country": "fr" }, "total": "20" }),
        json!({ "id": 2, "c": { "country": "DE" }, "total": 5 }),
        json!({ "id": 3, "c": { "country": "FR" }, "total": 20 }),
        json!({ "id": 4, "total": 99 }),
        json!({ "id": 5, "c": { "country": "fr" }, "total": 100 }),
        json!({ "id": 6, "c": { "country": null }, "total": 1 }),
        json!({ "id": 7, "c": { "country": "de" } }),
        json!({ "id": 8, "c": { "country": "Fr" }, "total": "20.0" }),
    ];
    let p = json!({ "fields": [
        { "field": "c.country", "compare": "string", "caseSensitive": false },
        { "field": "total", "order": "desc", "compare": "number" },
    ]});
    let out = main_items(run(&SortNode, p, items).await);
    // de: 2 (5), then 7 (no total, last within de); fr: 5 (100), then 1, 3, 8 tie on 20 and
    // keep input order; missing/null countries last, in input order.
    assert_eq!(ids(&out), vec![2, 7, 5, 1, 3, 8, 4, 6]);
}

#[tokio::test]
async fn auto_compare_orders_mixed_types() {
    let items: Vec<Value> = [
        json!(3),
        json!("10"),
        json!("apple"),
        json!(true),
        json!(null),
        Value::Null,
        json!(2.5),
        json!("Banana"),
        json!(false),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, v)| {
        if i == 5 {
            json!({ "id": i })
        } else {
            json!({ "id": i, "v": v })
        }
    })
    .collect();
    let out = main_items(
        run(
            &SortNode,
            json!({ "fields": [{ "field": "v" }] }),
            items.clone(),
        )
        .await,
    );
    // Numbers and numeric strings by value, then text by code point, then booleans; null and
    // missing last in input order.
    assert_eq!(ids(&out), vec![6, 0, 1, 7, 2, 8, 3, 4, 5]);

    let out = main_items(
        run(
            &SortNode,
            json!({ "fields": [{ "field": "v", "order": "desc" }] }),
            items,
        )
        .await,
    );
    assert_eq!(
        ids(&out),
        vec![3, 8, 2, 7, 1, 0, 6, 4, 5],
        "desc reverses values but keeps missing last"
    );
}

#[tokio::test]
async fn date_compare_reads_several_forms() {
    let items = vec![
        json!({ "id": 0, "at": "2024-01-02" }),
        json!({ "id": 1, "at": "2023-12-31T23:00:00-02:00" }),
        json!({ "id": 2, "at": 1_704_067_200_000_i64 }),
        json!({ "id": 3, "at": "not a date" }),
        json!({ "id": 4, "at": "Sun, 31 Dec 2023 12:00:00 +0000" }),
    ];
    let out = main_items(
        run(
            &SortNode,
            json!({ "fields": [{ "field": "at", "compare": "date" }] }),
            items,
        )
        .await,
    );
    assert_eq!(ids(&out), vec![4, 2, 1, 0, 3]);
}

#[tokio::test]
async fn reverse_and_seeded_random() {
    let items: Vec<Value> = (0..20).map(|i| json!({ "id": i })).collect();
    let out = main_items(run(&SortNode, json!({ "mode": "reverse" }), items.clone()).await);
    assert_eq!(ids(&out), (0..20).rev().collect::<Vec<_>>());

    let first = main_items(run(&SortNode, json!({ "mode": "random" }), items.clone()).await);
    let again = main_items(run(&SortNode, json!({ "mode": "random" }), items.clone()).await);
    assert_eq!(
        first, again,
        "the same idempotency key gives the same order"
    );
    let mut sorted = ids(&first);
    assert_ne!(sorted, (0..20).collect::<Vec<_>>(), "shuffled");
    sorted.sort();
    assert_eq!(sorted, (0..20).collect::<Vec<_>>(), "a permutation");

    let mut other = ctx(json!({ "mode": "random" }));
    other.idempotency_key = "run-2/node-1".into();
    let other = main_items(SortNode.execute(&other, NodeInput::main(items)).await);
    assert_ne!(ids(&other), ids(&first), "another run shuffles differently");
}

#[tokio::test]
async fn bad_params_are_named() {
    let e = failed(run(&SortNode, json!({ "fields": [] }), vec![json!({})]).await);
    assert_eq!(e.code, "params.invalid");
    assert!(e.message.contains("/params/fields"), "{}", e.message);
    let e = failed(
        run(
            &SortNode,
            json!({ "fields": [{ "field": "a" }, { "field": "a..b" }] }),
            vec![json!({})],
        )
        .await,
    );
    assert!(
        e.message.contains("/params/fields/1/field"),
        "{}",
        e.message
    );
    let e = failed(
        run(
            &SortNode,
            json!({ "fields": [{ "field": "a", "compare": "size" }] }),
            vec![json!({})],
        )
        .await,
    );
    assert!(
        e.message.contains("/params/fields/0/compare"),
        "{}",
        e.message
    );
}
