use proptest::prelude::*;
use serde_json::{Value, json};
use weft_expr::{CompiledValue, Template};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        "[a-z]{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z]{1,3}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_expr_source() -> impl Strategy<Value = String> {
    let atoms = prop_oneof![
        Just("$json".to_string()),
        Just("$json.a".to_string()),
        Just("$json['b']".to_string()),
        Just("$input.all()".to_string()),
        Just("$vars.rate".to_string()),
        "[0-9]{1,3}".prop_map(|s| s),
        "'[a-z]{0,3}'".prop_map(|s| s),
    ];
    let ops = prop_oneof![
        Just(" + "),
        Just(" - "),
        Just(" * "),
        Just(" / "),
        Just(" === "),
        Just(" && "),
        Just(" ?? "),
        Just(" < ")
    ];
    (
        proptest::collection::vec(atoms, 1..5),
        proptest::collection::vec(ops, 4),
    )
        .prop_map(|(atoms, ops)| {
            let mut s = atoms[0].clone();
            for (i, a) in atoms.iter().enumerate().skip(1) {
                s.push_str(ops[i - 1]);
                s.push_str(a);
            }
            format!("{{{{ {s} }}}}")
        })
}

proptest! {
    #[test]
    fn parsing_arbitrary_text_never_panics(s in ".{0,64}") {
        let _ = Template::parse(&s);
    }

    #[test]
    fn parsing_expression_shaped_text_never_panics(s in "\\{\\{[ a-z$.\\[\\]()'\"+*/%<>=!?:,{}`0-9-]{0,40}\\}\\}") {
        let _ = Template::parse(&s);
    }

    #[test]
    fn rendering_never_panics(src in arb_expr_source(), item in arb_json()) {
        let _ = crate::render_with(&src, &item);
    }

    #[test]
    fn static_values_render_to_themselves(v in arb_json()) {
        let c = CompiledValue::compile(&v).map_err(|(p, e)| TestCaseError::fail(format!("{p}: {e}")))?;
        prop_assert!(c.is_static());
        let nodes = crate::Nodes(vec![]);
        let vars = serde_json::Map::new();
        let run = Value::Null;
        let env = |_: &str| None;
        let scope = weft_expr::Scope { json: &v, item_index: 0, input: &[], nodes: &nodes, vars: &vars, run: &run, now_ms: 0, env: &env };
        prop_assert_eq!(c.render(&scope).map_err(|(p, e)| TestCaseError::fail(format!("{p}: {e}")))?, v);
    }
}

#[test]
fn compiled_values_render_per_item_and_name_the_failing_pointer() {
    let params = json!({"url": "https://x/{{ $json.id }}", "body": {"items": ["{{ $json.id * 2 }}", 3]}, "static": {"k": 1}});
    let c = CompiledValue::compile(&params).expect("compiles");
    assert!(!c.is_static());
    let nodes = crate::Nodes(vec![]);
    let vars = serde_json::Map::new();
    let run = Value::Null;
    let env = |_: &str| None;
    let item = json!({"id": 21});
    let scope = weft_expr::Scope {
        json: &item,
        item_index: 0,
        input: &[],
        nodes: &nodes,
        vars: &vars,
        run: &run,
        now_ms: 0,
        env: &env,
    };
    assert_eq!(
        c.render(&scope).expect("renders"),
        json!({"url": "https://x/21", "body": {"items": [42, 3]}, "static": {"k": 1}})
    );

    let bad = json!({"a": [{"b/c": "{{ $json.nope.x }}"}]});
    let c = CompiledValue::compile(&bad).expect("compiles");
    let (pointer, e) = c.render(&scope).expect_err("fails");
    assert_eq!(pointer, "/a/0/b~1c");
    assert!(e.message.contains("undefined"));
    let (pointer, _) =
        CompiledValue::compile(&json!({"x": ["ok", "{{ 1 + }}"]})).expect_err("parse error");
    assert_eq!(pointer, "/x/1");
}
