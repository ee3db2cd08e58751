//! Warm render cost of `{{ }}` expressions that go to the QuickJS engine, timed with
//! `std::time::Instant` (no harness).
//!
//! Run with `cargo bench -p weft-js --bench expr_js`; prints microseconds per render.

use serde_json::{Map, Value, json};
use std::hint::black_box;
use std::time::Instant;
use weft_expr::{NoNodes, Scope, Template};

const ITERATIONS: u32 = 100_000;

fn main() {
    weft_js::install_expression_engine();
    let item = json!({
        "a": {"b": 42, "c": "padding"},
        "x": 41,
        "name": "ada lovelace",
        "email": "ada@example.com",
        "list": (0..20).collect::<Vec<_>>(),
    });
    let input: Vec<Value> = (0..100).map(|i| json!({"amount": i})).collect();
    let vars = Map::new();
    let run = json!({"id": "run-1"});
    let env = |_: &str| None;
    let scope = Scope {
        json: &item,
        item_index: 0,
        input: &input,
        nodes: &NoNodes,
        vars: &vars,
        run: &run,
        now_ms: 1_795_341_600_000,
        env: &env,
    };
    let cases = [
        "{{ $json.x | 1 }}",
        "{{ $json.email.replace(/@.*$/, '') }}",
        "{{ /^(\\w+) (\\w+)$/.exec($json.name)[2].toUpperCase() }}",
        "Hi {{ $json.name.split(/\\s+/).map(w => w[0].toUpperCase() + w.slice(1)).join(' ') }}!",
        "{{ new Date($now).getUTCDay() }}",
        "{{ (() => { let s = 0; for (const i of $input.all()) s += i.json.amount; return s; })() }}",
    ];
    println!("{:<90} {:>10}", "template", "µs/render");
    for src in cases {
        let t = match Template::parse(src) {
            Ok(t) => t,
            Err(e) => panic!("{src}: {e}"),
        };
        if let Err(e) = t.render(&scope) {
            panic!("{src}: {e}");
        }
        let iterations = if src.contains("$input") {
            ITERATIONS / 10
        } else {
            ITERATIONS
        };
        let start = Instant::now();
        for _ in 0..iterations {
            let _ = black_box(black_box(&t).render(black_box(&scope)));
        }
        let us = start.elapsed().as_secs_f64() * 1e6 / f64::from(iterations);
        println!("{src:<90} {us:>10.2}");
    }
}
