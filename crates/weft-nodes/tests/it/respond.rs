//! core.respond@1: the response of a webhook call.

use crate::support::{done, failed, port_names, run};
use serde_json::json;
use weft_nodes::{RESPONSE_PORT, RespondNode};

#[tokio::test]
async fn first_item_by_default_with_json_content_type() {
    let out = done(
        run(
            &RespondNode,
            json!({}),
            vec![json!({"id": 1}), json!({"id": 2})],
        )
        .await,
    );
    assert_eq!(port_names(&out), vec!["main", RESPONSE_PORT]);
    assert_eq!(out.get("main").unwrap().len(), 2);
    assert_eq!(
        out.get(RESPONSE_PORT).unwrap(),
        &[
            json!({"status": 200, "headers": {"content-type": "application/json"}, "body": {"id": 1}, "empty": false})
        ]
    );
}

#[tokio::test]
async fn json_body_status_and_headers_are_rendered_from_the_first_item() {
    let out = done(
        run(
            &RespondNode,
            json!({
                "respondWith": "json",
                "status": "{{ $json.ok ? 201 : 422 }}",
                "headers": {"Location": "/orders/{{ $json.id }}"},
                "body": {"id": "{{ $json.id }}", "all": "{{ $input.all().length }}"}
            }),
            vec![json!({"id": 7, "ok": true}), json!({"id": 8, "ok": false})],
        )
        .await,
    );
    let r = &out.get(RESPONSE_PORT).unwrap()[0];
    assert_eq!(r["status"], 201);
    assert_eq!(r["headers"]["Location"], "/orders/7");
    assert_eq!(r["body"], json!({"id": 7, "all": 2}));
}

#[tokio::test]
async fn all_items_text_and_no_data() {
    let items = vec![json!({"a": 1}), json!({"a": 2})];
    let out = done(
        run(
            &RespondNode,
            json!({"respondWith": "allItems"}),
            items.clone(),
        )
        .await,
    );
    assert_eq!(out.get(RESPONSE_PORT).unwrap()[0]["body"], json!(items));

    let out = done(
        run(
            &RespondNode,
            json!({"respondWith": "text", "body": "hello {{ $json.a }}"}),
            items.clone(),
        )
        .await,
    );
    let r = &out.get(RESPONSE_PORT).unwrap()[0];
    assert_eq!(r["body"], "hello 1");
    assert_eq!(r["headers"]["content-type"], "text/plain; charset=utf-8");

    let out = done(
        run(
            &RespondNode,
            json!({"respondWith": "noData", "status": 204, "headers": {"Content-Type": "x/y"}}),
            items,
        )
        .await,
    );
    let r = &out.get(RESPONSE_PORT).unwrap()[0];
    assert_eq!(r["status"], 204);
    assert_eq!(r["empty"], true);
    assert_eq!(r["headers"], json!({"Content-Type": "x/y"}));
}

#[tokio::test]
async fn bad_params_name_the_param() {
    let e = failed(run(&RespondNode, json!({"status": 42}), vec![json!({})]).await);
    assert_eq!(e.code, "params.invalid");
    assert!(e.message.contains("/params/status"), "{}", e.message);
    let e = failed(run(&RespondNode, json!({"respondWith": "xml"}), vec![json!({})]).await);
    assert_eq!(e.code, "params.invalid");
    assert!(e.message.contains("respondWith"), "{}", e.message);
}
