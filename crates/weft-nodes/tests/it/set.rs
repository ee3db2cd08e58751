use crate::support::*;
use serde_json::json;
use weft_node_api::NodeType;
use weft_nodes::SetNode;

#[tokio::test]
async fn merges_fields_with_expressions_and_paths() {
    let p = json!({
        "fields": {
            "full": "{{ $json.first }} {{ $json.last }}",
            "address.city": "Lyon",
            "double": "{{ $json.n * 2 }}",
            "threshold": "{{ $vars.threshold }}",
        },
        "remove": ["last"],
    });
    let items = vec![
        json!({ "first": "Ada", "last": "Lovelace", "n": 21 }),
        json!({ "first": "Alan", "last": "Turing", "n": 1 }),
    ];
    let out = done(run(&SetNode, p, items).await);
    let mut main = out.get("main").unwrap().to_vec();
    // Arithmetic gives a JavaScript number: compare it as one, whatever its JSON spelling.
    let doubles: Vec<Option<f64>> = main
        .iter_mut()
        .map(|i| {
            i.as_object_mut()
                .unwrap()
                .shift_remove("double")
                .and_then(|d| d.as_f64())
        })
        .collect();
    assert_eq!(doubles, vec![Some(42.0), Some(2.0)]);
    assert_eq!(
        main,
        vec![
            json!({ "first": "Ada", "n": 21, "full": "Ada Lovelace", "address": { "city": "Lyon" }, "threshold": 3 }),
            json!({ "first": "Alan", "n": 1, "full": "Alan Turing", "address": { "city": "Lyon" }, "threshold": 3 }),
        ]
    );
}

#[tokio::test]
async fn replace_starts_from_an_empty_object() {
    let p =
        json!({ "mode": "replace", "fields": { "id": "{{ $json.id }}", "meta.source": "crm" } });
    let out = done(run(&SetNode, p, vec![json!({ "id": 5, "secret": "x" })]).await);
    assert_eq!(
        out.get("main").unwrap(),
        &[json!({ "id": 5, "meta": { "source": "crm" } })]
    );
}

#[tokio::test]
async fn non_object_items_are_wrapped() {
    let out = done(
        run(
            &SetNode,
            json!({ "fields": { "seen": true } }),
            vec![json!(5), json!([1])],
        )
        .await,
    );
    assert_eq!(
        out.get("main").unwrap(),
        &[
            json!({ "value": 5, "seen": true }),
            json!({ "value": [1], "seen": true })
        ]
    );
}

#[tokio::test]
async fn nested_paths_overwrite_and_remove() {
    let p = json!({ "fields": { "a.b.c": 1, "x.y": 2 }, "remove": ["gone.deep", "missing.path"] });
    let item = json!({ "a": { "keep": true }, "x": "scalar", "gone": { "deep": 1, "stay": 2 } });
    let out = done(run(&SetNode, p, vec![item]).await);
    assert_eq!(
        out.get("main").unwrap(),
        &[
            json!({ "a": { "keep": true, "b": { "c": 1 } }, "x": { "y": 2 }, "gone": { "stay": 2 } })
        ]
    );
}

#[tokio::test]
async fn removal_happens_before_fields_are_set() {
    let p = json!({ "fields": { "a.new": 1 }, "remove": ["a"] });
    let out = done(run(&SetNode, p, vec![json!({ "a": { "old": 0 }, "b": 2 })]).await);
    assert_eq!(
        out.get("main").unwrap(),
        &[json!({ "b": 2, "a": { "new": 1 } })]
    );
}

#[tokio::test]
async fn zero_items_emit_an_empty_main() {
    let out = done(run(&SetNode, json!({ "fields": { "a": 1 } }), vec![]).await);
    assert_eq!(port_names(&out), vec!["main"]);
    assert!(out.get("main").unwrap().is_empty());
}

#[tokio::test]
async fn bad_params_are_permanent_and_named() {
    let e = failed(
        run(
            &SetNode,
            json!({ "fields": { "a..b": 1 } }),
            vec![json!({})],
        )
        .await,
    );
    assert_eq!(e.code, "params.invalid");
    assert!(!e.is_transient());
    assert!(e.message.contains("/params/fields/a..b"), "{}", e.message);

    let e = failed(run(&SetNode, json!({ "mode": "upsert" }), vec![json!({})]).await);
    assert_eq!(e.code, "params.invalid");
    assert!(e.message.contains("/params/mode"), "{}", e.message);

    let e = failed(run(&SetNode, json!({ "feilds": {} }), vec![json!({})]).await);
    assert_eq!(e.code, "params.invalid");
    assert!(e.message.contains("feilds"), "{}", e.message);

    let e = failed(
        run(
            &SetNode,
            json!({ "fields": { "a": "{{ $json.missing.deeper }}" } }),
            vec![json!({})],
        )
        .await,
    );
    assert_eq!(e.code, "expression.failed");
}

#[test]
fn ports_refuse_empty_path_segments() {
    let err = SetNode
        .ports(&params(json!({ "fields": { "a.": 1 } })))
        .unwrap_err();
    assert!(err.starts_with("fields/a."), "{err}");
    assert!(
        SetNode
            .ports(&params(json!({ "fields": { "a.b": 1 } })))
            .is_ok()
    );
}
