//! `{{ }}` expressions outside the native subset, on the warm QuickJS engine: same names as
//! the native evaluator, and no way for one evaluation to harm the next.

use serde_json::{Map, Value, json};
use std::time::{Duration, Instant};
use weft_expr::{ExprError, NodeLookup, Scope, Template};

struct Nodes(Vec<(&'static str, Vec<Value>)>);

impl NodeLookup for Nodes {
    fn items(&self, name: &str) -> Option<&[Value]> {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, items)| items.as_slice())
    }
}

fn env(name: &str) -> Option<String> {
    (name == "REGION").then(|| "eu-west".to_string())
}

/// Renders `src` for item `index` of a fixed input, with the JS engine installed.
fn render_at(src: &str, index: usize) -> Result<Value, ExprError> {
    weft_js::install_expression_engine();
    let input = vec![
        json!({"name": "Ada Lovelace", "n": 3, "tags": ["a", "b"]}),
        json!({"name": "Alan Turing", "n": 5, "tags": []}),
    ];
    let nodes = Nodes(vec![(
        "Fetch",
        vec![
            json!({"id": 10, "email": "x@example.com"}),
            json!({"id": 11}),
        ],
    )]);
    let mut vars = Map::new();
    vars.insert("limit".into(), json!(2));
    let run = json!({"id": "run-1", "workflow": "demo"});
    let scope = Scope {
        json: &input[index],
        item_index: index,
        input: &input,
        nodes: &nodes,
        vars: &vars,
        run: &run,
        now_ms: 1_750_000_000_123,
        env: &env,
    };
    Template::parse(src)?.render(&scope)
}

fn render(src: &str) -> Result<Value, ExprError> {
    render_at(src, 0)
}

fn ok(src: &str) -> Value {
    render(src).unwrap_or_else(|e| panic!("{src}: {e}"))
}

#[test]
fn javascript_beyond_the_subset_runs() {
    assert_eq!(
        ok("{{ $json.name.replace(/a/gi, '_') }}"),
        json!("_d_ Lovel_ce")
    );
    assert_eq!(ok("{{ $json.n | 4 }}"), json!(7));
    assert_eq!(
        ok("{{ (() => { let s = 0; for (const i of $input.all()) s += i.json.n; return s; })() }}"),
        json!(8)
    );
    assert_eq!(ok("{{ new Date($now).getUTCFullYear() }}"), json!(2025));
    assert_eq!(
        ok("{{ /^(\\w+) (\\w+)$/.exec($json.name).slice(1) }}"),
        json!(["Ada", "Lovelace"])
    );
    // In text, values are written the way the native evaluator writes them.
    assert_eq!(
        ok(
            "Hi {{ $json.name.split(/\\s+/)[0] }}, {{ $json.tags.length << 1 }} tags {{ undefined ?? void 0 }}!"
        ),
        json!("Hi Ada, 4 tags !")
    );
    assert_eq!(
        ok("{{ ({a: [1, {b: null}]}) }}"),
        json!({"a": [1, {"b": null}]})
    );
    assert_eq!(ok("x{{ (() => ({a: 1}))() }}"), json!("x{\"a\":1}"));
    assert_eq!(ok("{{ void 0 }}"), Value::Null);
    assert_eq!(ok("{{ 0 / 0 || (1 / 0 > 0 && 1 / 0) }}"), Value::Null);
}

#[test]
fn the_dollar_names_mean_what_they_mean_natively() {
    let cases = [
        "$json.name",
        "$input.item.json.n",
        "$input.first().json.n",
        "$input.last().json.name",
        "$input.all().length",
        "$node[\"Fetch\"].json.id",
        "$node.Fetch.items.length",
        "$node[\"Fetch\"].isExecuted",
        "$node[\"Nope\"].isExecuted",
        "$(\"Fetch\").item.json.id",
        "$(\"Fetch\").first().json",
        "$(\"Fetch\").itemMatching(1).json.id",
        "$vars.limit",
        "$run.workflow",
        "$item",
        "$itemIndex",
        "$now",
        "$today",
        "$env.REGION",
        "$env.HOME",
    ];
    for index in [0, 1] {
        for case in cases {
            let native = render_at(&format!("{{{{ {case} }}}}"), index)
                .unwrap_or_else(|e| panic!("native {case}: {e}"));
            // The same expression, forced through the JS engine by a no-op bitwise operator on
            // a separate term the native parser cannot read.
            let js = render_at(&format!("{{{{ (0 | 0, {case}) }}}}"), index)
                .unwrap_or_else(|e| panic!("js {case}: {e}"));
            assert_eq!(js, native, "{case} at item {index}");
        }
    }
    let err = render("{{ (0 | 0, $node[\"Nope\"].json) }}").unwrap_err();
    assert!(
        err.message.contains("no node named `Nope` has run"),
        "{err}"
    );
}

#[test]
fn errors_name_the_expression_and_position() {
    let err = render("id: {{ $json.missing.deep.replace(/x/, '') }}").unwrap_err();
    assert_eq!(err.position, 7);
    assert_eq!(err.expression, "$json.missing.deep.replace(/x/, '')");
    assert!(err.message.starts_with("TypeError"), "{}", err.message);
    // A misspelt `$` name is not handed to the engine: the native error points at it.
    let err = render("{{ $jsn.name.replace(/a/, 'b') }}").unwrap_err();
    assert!(
        err.message.contains("did you mean `$json`"),
        "{}",
        err.message
    );
    // Not JavaScript at all: the native parser's message.
    let err = render("{{ $json.n + }}").unwrap_err();
    assert_eq!(err.message, "unexpected end of expression");
    let err = render("{{ (() => { throw new RangeError('too big') })() }}").unwrap_err();
    assert_eq!(err.message, "RangeError: too big");
}

#[test]
fn no_evaluation_can_change_what_the_next_one_sees() {
    let attempts = [
        "{{ (Object.prototype.polluted = 1, 0 | 0) }}",
        "{{ (Array.prototype.map = () => 'hacked', 0 | 0) }}",
        "{{ (String.prototype.toUpperCase = () => 'hacked', 0 | 0) }}",
        "{{ (globalThis.leak = 1, 0 | 0) }}",
        "{{ (() => { leak2 = 1; return 0 | 0 })() }}",
        "{{ (Object.defineProperty(globalThis, '$json', { value: 1 }), 0 | 0) }}",
        "{{ (JSON.parse = () => 1, 0 | 0) }}",
        "{{ (Object.getPrototypeOf([][Symbol.iterator]()).next = () => 1, 0 | 0) }}",
        "{{ (Object.getPrototypeOf(function* () {}).prototype.next = 1, 0 | 0) }}",
    ];
    for src in attempts {
        let err = render(src).expect_err(src);
        assert!(
            err.message.starts_with("TypeError") || err.message.starts_with("ReferenceError"),
            "{src}: {}",
            err.message
        );
    }
    assert_eq!(
        ok("{{ [({}).polluted, typeof leak, typeof leak2, [1].map(x => x + (0 | 0))] }}"),
        json!([null, "undefined", "undefined", [1]])
    );
    assert_eq!(ok("{{ 'a'.toUpperCase() + (0 | 0) }}"), json!("A0"));
    assert_eq!(ok("{{ typeof $json | 0 }}"), json!(0));
    // Mutating a value handed to one evaluation does not change the scope for the next.
    assert_eq!(ok("{{ ($json.n = 100, $json.n | 0) }}"), json!(100));
    assert_eq!(ok("{{ $json.n | 0 }}"), json!(3));
}

#[test]
fn there_is_no_way_out() {
    let undefined_names = [
        "require",
        "process",
        "std",
        "os",
        "module",
        "exports",
        "import",
        "fetch",
        "XMLHttpRequest",
        "setTimeout",
        "setInterval",
        "console",
        "eval",
        "__weft_host",
        "Deno",
        "Bun",
    ];
    for name in undefined_names {
        let src = format!("{{{{ typeof globalThis[{name:?}] + (0 | 0) }}}}");
        assert_eq!(ok(&src), json!("undefined0"), "{name}");
    }
    for src in [
        "{{ (() => {}).constructor('return globalThis')() | 0 }}",
        "{{ Function('return 1')() | 0 }}",
        "{{ (function* () {}).constructor('yield 1')().next().value | 0 }}",
        "{{ (async () => {}).constructor('return 1') | 0 }}",
    ] {
        let err = render(src).expect_err(src);
        assert!(
            err.message
                .contains("compiling code from strings is not allowed"),
            "{src}: {}",
            err.message
        );
    }
    let err = render("{{ import('fs') }}").unwrap_err();
    assert!(err.message.contains("Promise"), "{}", err.message);
    assert_eq!(ok("{{ 1 | 0 }}"), json!(1));
}

#[test]
fn runaway_expressions_are_stopped_and_the_engine_recovers() {
    let started = Instant::now();
    let err = render("{{ (() => { while (true) {} })() | 0 }}").unwrap_err();
    assert!(err.message.contains("ran longer than"), "{}", err.message);
    assert!(started.elapsed() < weft_js::EXPR_TIME + Duration::from_secs(2));
    assert_eq!(ok("{{ 1 | 2 }}"), json!(3));

    let err = render(
        "{{ (() => { const a = []; while (true) a.push(new Array(1e5).fill('x'.repeat(8))); })() | 0 }}",
    )
    .unwrap_err();
    assert!(err.message.contains("memory"), "{}", err.message);
    assert_eq!(ok("{{ 1 | 4 }}"), json!(5));

    let err = render("{{ (function f() { return f() + 1; })() | 0 }}").unwrap_err();
    assert!(
        err.message.contains("memory") || err.message.contains("stack"),
        "{}",
        err.message
    );
    assert_eq!(ok("{{ 2 | 4 }}"), json!(6));

    let err = render("{{ 'x'.repeat(2 ** 26) + (0 | 0) }}").unwrap_err();
    assert!(!err.message.is_empty());
    assert_eq!(ok("{{ 2 | 1 }}"), json!(3));
}

#[test]
fn promises_are_refused_and_leave_nothing_behind() {
    for src in [
        "{{ Promise.resolve(1 | 0).then(x => x) }}",
        "{{ (async () => 1 | 0)() }}",
    ] {
        let err = render(src).expect_err(src);
        assert!(err.message.contains("Promise"), "{src}: {}", err.message);
        assert_eq!(ok("{{ 4 | 1 }}"), json!(5));
    }
}

#[test]
fn many_threads_evaluate_at_once() {
    let threads: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..200 {
                    let src = format!("{{{{ {t} | {i} }}}}");
                    assert_eq!(render(&src).map_err(|e| e.to_string()), Ok(json!(t | i)));
                }
                let err = render("{{ (() => { while (true) {} })() | 0 }}").unwrap_err();
                assert!(err.message.contains("ran longer than"));
                assert_eq!(ok("{{ $json.n << 2 }}"), json!(12));
            })
        })
        .collect();
    for t in threads {
        assert!(t.join().is_ok());
    }
}
