//! Templates: raw values, text with values written in, static strings, compiled trees.

use crate::{check, item, render_with};
use serde_json::{Value, json};
use weft_expr::{CompiledValue, NoNodes, Scope, Template};

#[test]
fn a_lone_expression_renders_its_raw_value() {
    check(&[
        ("{{ $json.n }}", json!(4)),
        ("  {{ $json.nested }}  ", json!({"deep": {"x": 1}})),
        ("\n{{ $json.list }}\t", json!([3, 1, 2])),
        ("{{ $json.flag }}", json!(false)),
        ("{{ $json.none }}", json!(null)),
        ("{{ $json.missing }}", json!(null)),
        ("{{ 3.0 }}", json!(3)),
        ("{{ 2.5 }}", json!(2.5)),
        ("{{ 2 ** 60 }}", json!(1_152_921_504_606_846_976.0)),
        ("{{ '' }}", json!("")),
    ]);
}

#[test]
fn text_with_expressions_becomes_a_string() {
    check(&[
        (
            "Hi {{ $json.name }}, you have {{ $json.n }} items",
            json!("Hi Ada, you have 4 items"),
        ),
        ("{{ $json.name }}{{ $json.n }}", json!("Ada4")),
        (
            "list={{ $json.list }} obj={{ $json.nested.deep }}",
            json!("list=[3,1,2] obj={\"x\":1}"),
        ),
        ("[{{ $json.missing }}]", json!("[]")),
        ("[{{ $json.none }}]", json!("[null]")),
        ("[{{ $json.flag }}]", json!("[false]")),
        ("[{{ 1 / 3 }}]", json!("[0.3333333333333333]")),
        ("[{{ 1 / 0 }}]", json!("[Infinity]")),
        ("[{{ 0 / 0 }}]", json!("[NaN]")),
        ("[{{ 1e21 }}] [{{ 1e-7 }}]", json!("[1e+21] [1e-7]")),
        ("[{{ $json.whole }}]", json!("[3]")),
        (
            "[{{ $input.first() }}]",
            json!(format!("[{}]", json!({"json": item()}))),
        ),
        ("[{{ x => x }}]", json!("[]")),
        ("a {{ '}}' }} b", json!("a }} b")),
        ("a {{ \"{{\" }} b", json!("a {{ b")),
        ("{{ {a: {b: 1}}.a.b }}!", json!("1!")),
        ("{ {{ $json.n }} }", json!("{ 4 }")),
    ]);
}

#[test]
fn strings_without_expressions_are_static() {
    for s in [
        "",
        "plain text",
        "single { brace }",
        "}} closing only",
        "$json.name",
    ] {
        let t = Template::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert!(t.is_static(), "{s}");
        assert_eq!(render_with(s, &item()).ok(), Some(json!(s)));
    }
    let t = Template::parse("a {{ 1 }} b {{ 2 }}").unwrap_or_else(|e| panic!("{e}"));
    assert!(!t.is_static());
    assert!(!t.is_single_expression());
    assert_eq!(t.expressions().collect::<Vec<_>>(), ["1", "2"]);
    assert!(weft_expr::contains_expression("x {{"));
    assert!(!weft_expr::contains_expression("x {"));
}

fn scope_for<'a>(json: &'a Value, env: &'a dyn Fn(&str) -> Option<String>) -> Scope<'a> {
    static VARS: std::sync::OnceLock<serde_json::Map<String, Value>> = std::sync::OnceLock::new();
    Scope {
        json,
        item_index: 0,
        input: &[],
        nodes: &NoNodes,
        vars: VARS.get_or_init(serde_json::Map::new),
        run: &Value::Null,
        now_ms: 0,
        env,
    }
}

#[test]
fn compiled_values_render_per_item_and_name_the_failing_pointer() {
    let params = json!({
        "url": "https://x/{{ $json.id }}",
        "body": {"items": ["{{ $json.id * 2 }}", 3], "keep": "{ not a template }"},
        "static": {"k": 1},
        "{{ $json.id }}": "keys are not templated",
    });
    let c = CompiledValue::compile(&params).unwrap_or_else(|(p, e)| panic!("{p}: {e}"));
    assert!(!c.is_static());
    let env = |_: &str| None;
    let render = |id: i64| {
        let item = json!({"id": id});
        c.render(&scope_for(&item, &env))
    };
    assert_eq!(
        render(21).ok(),
        Some(json!({
            "url": "https://x/21",
            "body": {"items": [42, 3], "keep": "{ not a template }"},
            "static": {"k": 1},
            "{{ $json.id }}": "keys are not templated",
        }))
    );
    assert_eq!(
        render(1).ok().map(|v| v["url"].clone()),
        Some(json!("https://x/1"))
    );

    let bad = json!({"a": [{"b/c": "{{ $json.nope.x }}"}], "t~": ["{{ $json.nope.y }}"]});
    let c = CompiledValue::compile(&bad).unwrap_or_else(|(p, e)| panic!("{p}: {e}"));
    let item = json!({});
    let (pointer, e) = c.render(&scope_for(&item, &env)).expect_err("fails");
    assert_eq!(pointer, "/a/0/b~1c");
    assert!(e.message.contains("undefined"), "{e}");

    let (pointer, e) =
        CompiledValue::compile(&json!({"x": ["ok", "{{ 1 + }}"]})).expect_err("parse error");
    assert_eq!(pointer, "/x/1");
    assert_eq!(e.message, "unexpected end of expression");
    let (pointer, _) = CompiledValue::compile(&json!({"t~": "{{ ) }}"})).expect_err("parse error");
    assert_eq!(pointer, "/t~0");
    let (pointer, _) = CompiledValue::compile(&json!("{{ ( }}")).expect_err("parse error");
    assert_eq!(pointer, "");
}

#[test]
fn static_trees_are_static() {
    let v = json!({"a": [1, "two", {"three": null}], "b": "{ x }"});
    let c = CompiledValue::compile(&v).unwrap_or_else(|(p, e)| panic!("{p}: {e}"));
    assert!(c.is_static());
    let env = |_: &str| None;
    let item = json!({});
    assert_eq!(c.render(&scope_for(&item, &env)).ok(), Some(v));
}

#[test]
fn templates_are_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Template>();
    assert_send_sync::<CompiledValue>();
    assert_send_sync::<weft_expr::ExprError>();
}
