//! `util.log@1`: lines reach the step log (and `tracing`) with the right level; items pass
//! through.

use crate::support::*;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use weft_node_api::{LogLevel, NodeInput, NodeType};
use weft_nodes_system::LogNode;

async fn logs(params: serde_json::Value, items: Vec<serde_json::Value>) -> Vec<(LogLevel, String)> {
    let ctx = ctx(params);
    let out = done(LogNode.execute(&ctx, NodeInput::main(items.clone())).await);
    assert_eq!(
        out.get("main").unwrap(),
        items.as_slice(),
        "items pass through"
    );
    ctx.take_logs()
        .into_iter()
        .map(|l| (l.level, l.message))
        .collect()
}

#[tokio::test]
async fn one_line_per_item_at_the_level() {
    let items = vec![json!({ "id": 1 }), json!({ "id": 2 })];
    for (level, expected) in [
        ("debug", LogLevel::Debug),
        ("info", LogLevel::Info),
        ("warn", LogLevel::Warn),
        ("error", LogLevel::Error),
    ] {
        let got = logs(
            json!({ "message": "order {{ $json.id }}", "level": level }),
            items.clone(),
        )
        .await;
        assert_eq!(
            got,
            vec![
                (expected, "order 1".to_string()),
                (expected, "order 2".to_string())
            ]
        );
    }
}

#[tokio::test]
async fn once_per_step() {
    let items = vec![json!({ "id": 1 }), json!({ "id": 2 })];
    let got = logs(
        json!({ "message": "got {{ $input.all().length }} items, first {{ $json.id }}", "mode": "once" }),
        items,
    )
    .await;
    assert_eq!(
        got,
        vec![(LogLevel::Info, "got 2 items, first 1".to_string())]
    );
    let got = logs(json!({ "message": "empty run", "mode": "once" }), vec![]).await;
    assert_eq!(got, vec![(LogLevel::Info, "empty run".to_string())]);
    // Per item with no items: nothing, and nothing to render.
    let got = logs(json!({ "message": "{{ $json.a.b.c }}" }), vec![]).await;
    assert!(got.is_empty());
}

#[tokio::test]
async fn includes_the_item_truncated() {
    let items = vec![json!({ "text": "é".repeat(20) })];
    let got = logs(
        json!({ "message": "item", "includeItem": true, "maxItemLength": 12 }),
        items.clone(),
    )
    .await;
    let (_, text) = &got[0];
    // 12 bytes cut on a character boundary: `{"text":"` is 9 bytes, then one é (2 bytes).
    assert!(text.starts_with("item {\"text\":\"é…"), "{text}");
    assert!(text.contains("truncated"), "{text}");
    let got = logs(json!({ "message": "item", "includeItem": true }), items).await;
    assert_eq!(
        got[0].1,
        format!("item {{\"text\":\"{}\"}}", "é".repeat(20))
    );
}

#[tokio::test]
async fn non_string_messages_are_logged_as_json() {
    let got = logs(
        json!({ "message": "{{ $json.n }}" }),
        vec![json!({ "n": { "a": 1 } })],
    )
    .await;
    assert_eq!(got, vec![(LogLevel::Info, "{\"a\":1}".to_string())]);
}

#[tokio::test]
async fn a_failing_expression_logs_nothing() {
    let ctx = ctx(json!({ "message": "{{ $json.a.b.c }}" }));
    let e = failed(
        LogNode
            .execute(
                &ctx,
                NodeInput::main(vec![json!({ "a": { "b": {} } }), json!({})]),
            )
            .await,
    );
    assert_eq!(e.code, "expression.failed");
    assert!(ctx.take_logs().is_empty());
    let e = failed(
        run(
            &LogNode,
            json!({ "message": "x", "level": "trace" }),
            vec![json!({})],
        )
        .await,
    );
    assert_eq!(e.code, "params.invalid");
    assert!(e.message.contains("/params/level"), "{}", e.message);
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn lines_reach_the_server_log_with_run_and_node_ids() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    logs(
        json!({ "message": "hello {{ $json.id }}", "level": "warn" }),
        vec![json!({ "id": 9 })],
    )
    .await;
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("WARN"), "{text}");
    assert!(text.contains("weft::workflow"), "{text}");
    assert!(text.contains("hello 9"), "{text}");
    assert!(text.contains("run_id=\"run-1\""), "{text}");
    assert!(text.contains("node_id=\"node-1\""), "{text}");
}
