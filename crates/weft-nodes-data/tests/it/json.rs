use crate::support::*;
use serde_json::{Value, json};
use weft_nodes_data::JsonNode;

async fn main_out(params: Value, items: Vec<Value>) -> Vec<Value> {
    done(run(&JsonNode, params, items).await)
        .get("main")
        .expect("main is emitted")
        .to_vec()
}

#[tokio::test]
async fn parse_reads_a_field_and_writes_in_place_or_elsewhere() {
    let items = vec![
        json!({ "id": 1, "body": "{\"a\": [1, 2], \"b\": null}" }),
        json!({ "id": 2, "body": "\"just a string\"" }),
    ];
    let out = main_out(
        json!({ "operation": "parse", "field": "body" }),
        items.clone(),
    )
    .await;
    assert_eq!(
        out,
        vec![
            json!({ "id": 1, "body": { "a": [1, 2], "b": null } }),
            json!({ "id": 2, "body": "just a string" }),
        ]
    );
    let out = main_out(
        json!({ "operation": "parse", "field": "body", "outputField": "parsed.value" }),
        items,
    )
    .await;
    assert_eq!(out[0]["body"], json!("{\"a\": [1, 2], \"b\": null}"));
    assert_eq!(
        out[0]["parsed"],
        json!({ "value": { "a": [1, 2], "b": null } })
    );
}

#[tokio::test]
async fn parse_of_whole_string_items_replaces_them() {
    let out = main_out(
        json!({ "operation": "parse" }),
        vec![json!("[1,2]"), json!("{}")],
    )
    .await;
    assert_eq!(out, vec![json!([1, 2]), json!({})]);
}

#[tokio::test]
async fn parse_errors_name_the_item_and_the_position() {
    let items = vec![
        json!({ "body": "{}" }),
        json!({ "body": "{\n  \"a\": 1,\n  \"b\": @\n}" }),
    ];
    let e = failed(
        run(
            &JsonNode,
            json!({ "operation": "parse", "field": "body" }),
            items,
        )
        .await,
    );
    assert_eq!(e.code, "json.parse_failed");
    assert!(!e.is_transient());
    assert!(
        e.message
            .starts_with("field \"body\" of item 1 is not valid JSON"),
        "{}",
        e.message
    );
    assert!(e.message.contains("line 3 column 8"), "{}", e.message);
    assert_eq!(e.details["itemIndex"], 1);
    assert_eq!(e.details["field"], "body");
    assert_eq!(e.details["line"], 3);
    assert_eq!(e.details["column"], 8);

    let e = failed(
        run(
            &JsonNode,
            json!({ "operation": "parse", "field": "body" }),
            vec![json!({ "body": 5 })],
        )
        .await,
    );
    assert_eq!(e.code, "json.not_text");
    assert!(
        e.message.contains("item 0") && e.message.contains("a number"),
        "{}",
        e.message
    );

    let e = failed(
        run(
            &JsonNode,
            json!({ "operation": "parse", "field": "body" }),
            vec![json!({ "other": "1" })],
        )
        .await,
    );
    assert_eq!(e.code, "json.field_missing");
    assert!(
        e.message.contains("item 0") && e.message.contains("\"body\""),
        "{}",
        e.message
    );

    let e = failed(
        run(
            &JsonNode,
            json!({ "operation": "parse" }),
            vec![json!({ "body": "1" })],
        )
        .await,
    );
    assert!(
        e.message.contains("item 0 is an object") && e.message.contains("set `field`"),
        "{}",
        e.message
    );

    let e = failed(
        run(
            &JsonNode,
            json!({ "operation": "parse" }),
            vec![json!("[1,")],
        )
        .await,
    );
    assert!(
        e.message.starts_with("item 0 is not valid JSON"),
        "{}",
        e.message
    );
    assert_eq!(e.details["line"], 1);
}

#[tokio::test]
async fn stringify_compact_and_pretty() {
    let item = json!({ "id": 7, "payload": { "b": [1, "x"], "a": null } });
    let out = main_out(json!({ "operation": "stringify" }), vec![item.clone()]).await;
    assert_eq!(
        out,
        vec![json!(r#"{"id":7,"payload":{"b":[1,"x"],"a":null}}"#)]
    );
    let out = main_out(
        json!({ "operation": "stringify", "field": "payload", "outputField": "text", "pretty": true }),
        vec![item],
    )
    .await;
    assert_eq!(
        out[0]["text"],
        json!("{\n  \"b\": [\n    1,\n    \"x\"\n  ],\n  \"a\": null\n}")
    );
    assert_eq!(out[0]["payload"], json!({ "b": [1, "x"], "a": null }));
    // stringify then parse gives the value back.
    let back = main_out(
        json!({ "operation": "parse", "field": "text" }),
        out.clone(),
    )
    .await;
    assert_eq!(back[0]["text"], out[0]["payload"]);
}

#[tokio::test]
async fn select_by_json_pointer() {
    let item = json!({ "data": { "items": [{ "id": "a" }, { "id": "b" }], "a/b": 1, "m~n": 2 } });
    let select =
        |pointer: &str| json!({ "operation": "select", "pointer": pointer, "outputField": "out" });
    for (pointer, expected) in [
        ("/data/items/1/id", json!("b")),
        ("/data/a~1b", json!(1)),
        ("/data/m~0n", json!(2)),
        ("", item.clone()),
    ] {
        let out = main_out(select(pointer), vec![item.clone()]).await;
        assert_eq!(out[0]["out"], expected, "{pointer}");
    }
    // The whole item is replaced when no field is named.
    let out = main_out(
        json!({ "operation": "select", "pointer": "/data/items" }),
        vec![item],
    )
    .await;
    assert_eq!(out, vec![json!([{ "id": "a" }, { "id": "b" }])]);
}

#[tokio::test]
async fn a_pointer_to_nothing_gives_null() {
    let items = vec![json!({ "a": { "b": 1 } }), json!({ "a": [] })];
    let out = main_out(
        json!({ "operation": "select", "pointer": "/a/0", "outputField": "x" }),
        items,
    )
    .await;
    assert_eq!(out[0]["x"], Value::Null);
    assert!(out[0].as_object().unwrap().contains_key("x"));
    assert_eq!(out[1]["x"], Value::Null);
}

#[tokio::test]
async fn malformed_pointers_are_params_errors() {
    for (pointer, needle) in [("a/b", "start with \"/\""), ("/a~2", "~0 for ~")] {
        let e = failed(
            run(
                &JsonNode,
                json!({ "operation": "select", "pointer": pointer }),
                vec![json!({})],
            )
            .await,
        );
        assert_eq!(e.code, "params.invalid");
        assert!(
            e.message.contains("/params/pointer") && e.message.contains(needle),
            "{}",
            e.message
        );
    }
}

#[tokio::test]
async fn select_by_json_path() {
    let item = json!({
        "orders": [
            { "id": 1, "total": 50, "lines": [{ "sku": "x" }] },
            { "id": 2, "total": 150, "lines": [{ "sku": "y" }, { "sku": "z" }] },
            { "id": 3, "total": 300, "lines": [] },
        ],
    });
    let query = |q: &str, first: bool| {
        let mut p = json!({ "operation": "select", "jsonPath": q, "outputField": "out" });
        if first {
            p["firstMatch"] = json!(true);
        }
        p
    };
    let cases = [
        ("$.orders[?@.total > 100].id", false, json!([2, 3])),
        ("$..sku", false, json!(["x", "y", "z"])),
        ("$.orders[-1].total", false, json!([300])),
        ("$.orders[*].id", true, json!(1)),
        ("$.missing", false, json!([])),
        ("$.missing", true, Value::Null),
    ];
    for (q, first, expected) in cases {
        let out = main_out(query(q, first), vec![item.clone()]).await;
        assert_eq!(out[0]["out"], expected, "{q}");
    }
    // Per-item queries via expressions.
    let out = main_out(
        json!({ "operation": "select", "jsonPath": "{{ $json.q }}", "field": "doc", "outputField": "out" }),
        vec![
            json!({ "q": "$.a", "doc": { "a": 1, "b": 2 } }),
            json!({ "q": "$.b", "doc": { "a": 1, "b": 2 } }),
        ],
    )
    .await;
    assert_eq!(
        (out[0]["out"].clone(), out[1]["out"].clone()),
        (json!([1]), json!([2]))
    );
}

#[tokio::test]
async fn a_bad_json_path_is_a_params_error_with_its_position() {
    let e = failed(
        run(
            &JsonNode,
            json!({ "operation": "select", "jsonPath": "$.orders[?@.total >]" }),
            vec![json!({})],
        )
        .await,
    );
    assert_eq!(e.code, "params.invalid");
    assert!(e.message.contains("/params/jsonPath"), "{}", e.message);
    assert!(
        e.message.contains("RFC 9535") && e.message.contains("at character"),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn params_of_other_operations_are_refused() {
    let e = failed(
        run(
            &JsonNode,
            json!({ "operation": "parse", "pretty": true }),
            vec![json!("1")],
        )
        .await,
    );
    assert!(
        e.message.contains("/params/pretty") && e.message.contains("parse"),
        "{}",
        e.message
    );
    let e = failed(run(&JsonNode, json!({ "operation": "select" }), vec![json!({})]).await);
    assert!(
        e.message.contains("pointer") && e.message.contains("jsonPath"),
        "{}",
        e.message
    );
    let e = failed(
        run(
            &JsonNode,
            json!({ "operation": "select", "pointer": "/a", "jsonPath": "$.a" }),
            vec![json!({})],
        )
        .await,
    );
    assert!(e.message.contains("not both"), "{}", e.message);
    let e = failed(
        run(
            &JsonNode,
            json!({ "operation": "parse", "field": "a..b" }),
            vec![json!({})],
        )
        .await,
    );
    assert!(e.message.contains("/params/field"), "{}", e.message);
}

#[tokio::test]
async fn no_items_give_an_empty_main() {
    let out = done(run(&JsonNode, json!({ "operation": "stringify" }), vec![]).await);
    assert_eq!(port_names(&out), vec!["main"]);
    assert!(out.get("main").unwrap().is_empty());
}
