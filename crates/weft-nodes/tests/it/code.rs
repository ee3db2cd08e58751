use crate::support::*;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use weft_node_api::{NodeInput, NodeType};
use weft_nodes::CodeNode;

#[tokio::test]
async fn all_items_mode_maps_items_and_logs() {
    let c = ctx(json!({
        "code": "console.log('seen', $input.all().length); return $input.all().map(({ json }) => ({ json: { ...json, total: json.price * json.qty } }));"
    }));
    let out = done(
        CodeNode
            .execute(
                &c,
                NodeInput::main(vec![
                    json!({"price": 2, "qty": 3}),
                    json!({"price": 5, "qty": 1}),
                ]),
            )
            .await,
    );
    assert_eq!(
        out.get("main").unwrap(),
        [
            json!({"price": 2, "qty": 3, "total": 6}),
            json!({"price": 5, "qty": 1, "total": 5})
        ]
    );
    let logs = c.take_logs();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].message, "seen 2");
}

#[tokio::test]
async fn each_item_mode_sees_json_and_may_drop_items() {
    let out = done(
        run(
            &CodeNode,
            json!({
                "mode": "eachItem",
                "code": "if ($json.skip) return null; return { ...$json, i: $itemIndex, threshold: $vars.threshold };"
            }),
            vec![json!({"a": 1}), json!({"skip": true}), json!({"a": 3})],
        )
        .await,
    );
    assert_eq!(
        out.get("main").unwrap(),
        [
            json!({"a": 1, "i": 0, "threshold": 3}),
            json!({"a": 3, "i": 2, "threshold": 3})
        ]
    );
}

#[tokio::test]
async fn the_code_is_not_a_template() {
    let out = done(
        run(
            &CodeNode,
            json!({ "code": "return [{ text: '{{ $json.x }}' }]" }),
            vec![json!({"x": 1})],
        )
        .await,
    );
    assert_eq!(out.get("main").unwrap(), [json!({"text": "{{ $json.x }}"})]);
}

#[tokio::test]
async fn errors_name_the_node_the_item_and_the_line() {
    let e = failed(run(&CodeNode, json!({ "code": "let x = ;" }), vec![]).await);
    assert_eq!(e.code, "code.syntax");
    assert!(e.message.contains("node node-1"), "{}", e.message);
    assert_eq!(e.details["line"], json!(1));
    let e = failed(
        run(
            &CodeNode,
            json!({ "mode": "eachItem", "code": "\nif ($json.bad) throw new Error('bad row');\nreturn $json" }),
            vec![json!({}), json!({"bad": true})],
        )
        .await,
    );
    assert_eq!(e.code, "code.error");
    assert!(e.message.contains("for item 1"), "{}", e.message);
    assert!(e.message.contains("Error: bad row"), "{}", e.message);
    assert_eq!(e.details["line"], json!(2));
    let e = failed(run(&CodeNode, json!({ "code": "return 'text'" }), vec![]).await);
    assert_eq!(e.code, "code.bad_return");
    assert!(e.message.contains("returned a string"), "{}", e.message);
    let e = failed(run(&CodeNode, json!({ "code": "return [1, 2]" }), vec![]).await);
    assert!(e.message.contains("a number at index 0"), "{}", e.message);
}

#[tokio::test]
async fn abuse_is_stopped_and_does_not_leak_into_the_next_run() {
    let e = failed(
        run(
            &CodeNode,
            json!({ "code": "while (true) {}", "timeout": "200ms" }),
            vec![],
        )
        .await,
    );
    assert_eq!(e.code, "code.timeout");
    let e = failed(
        run(
            &CodeNode,
            json!({ "code": "let s = 'x'; while (true) s += s;", "memoryMb": 8 }),
            vec![],
        )
        .await,
    );
    assert!(
        matches!(e.code.as_str(), "code.memory" | "code.error"),
        "{e:?}"
    );
    done(
        run(
            &CodeNode,
            json!({ "code": "Object.prototype.evil = 1; globalThis.kept = 2; return []" }),
            vec![],
        )
        .await,
    );
    let out = done(
        run(
            &CodeNode,
            json!({ "code": "return [{ evil: ({}).evil ?? null, kept: typeof kept }]" }),
            vec![],
        )
        .await,
    );
    assert_eq!(
        out.get("main").unwrap(),
        [json!({"evil": null, "kept": "undefined"})]
    );
}

#[tokio::test]
async fn cancellation_reaches_running_code() {
    let token = CancellationToken::new();
    let c = ctx_with(
        json!({ "code": "while (true) {}", "timeout": "60s" }),
        std::sync::Arc::new(NoChildren),
        token.clone(),
    );
    let t = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        t.cancel();
    });
    let start = Instant::now();
    let e = failed(CodeNode.execute(&c, NodeInput::main(vec![])).await);
    assert_eq!(e.code, "cancelled");
    assert!(start.elapsed() < Duration::from_secs(10));
}
