//! Render throughput of typical templates, timed with `std::time::Instant` (no harness).
//!
//! Run with `cargo bench -p weft-expr --bench expr`; prints nanoseconds per render.

use serde_json::{Map, Value, json};
use std::hint::black_box;
use std::time::Instant;
use weft_expr::{CompiledValue, NoNodes, Scope, Template};

const ITERATIONS: u32 = 1_000_000;

fn main() {
    let item = json!({
        "a": {"b": 42, "c": "padding"},
        "x": 41,
        "name": "ada lovelace",
        "list": (0..20).collect::<Vec<_>>(),
        "filler": (0..50).map(|i| format!("value {i}")).collect::<Vec<_>>(),
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
        "{{ $json.a.b }}",
        "{{ $json.x + 1 }}",
        "{{ $json.name.toUpperCase() + \"!\" }}",
        "Hello {{ $json.name }}, you are {{ $json.x }}",
        "{{ $json.list.filter(x => x % 2 == 0).length }}",
        "{{ $input.all().reduce((s, i) => s + i.json.amount, 0) }}",
    ];
    println!("{:<60} {:>10}", "template", "ns/render");
    // `cargo bench -p weft-expr --bench expr -- x + 1` runs only the templates containing
    // the given text.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let filter = filter.join(" ");
    for src in cases {
        if !src.contains(&filter) {
            continue;
        }
        let t = match Template::parse(src) {
            Ok(t) => t,
            Err(e) => panic!("{src}: {e}"),
        };
        let iterations = if src.contains("filter") || src.contains("reduce") {
            ITERATIONS / 20
        } else {
            ITERATIONS
        };
        // Warm up and check it renders.
        if let Err(e) = t.render(&scope) {
            panic!("{src}: {e}");
        }
        let start = Instant::now();
        for _ in 0..iterations {
            let _ = black_box(black_box(&t).render(black_box(&scope)));
        }
        let ns = start.elapsed().as_nanos() as f64 / f64::from(iterations);
        println!("{src:<60} {ns:>10.1}");
    }
    if !filter.is_empty() {
        return;
    }
    let params = json!({
        "url": "https://example.com/items/{{ $json.x }}",
        "method": "POST",
        "headers": {"content-type": "application/json"},
        "body": {"name": "{{ $json.name }}", "total": "{{ $json.a.b * 2 }}", "static": [1, 2, 3]},
    });
    let compiled = match CompiledValue::compile(&params) {
        Ok(c) => c,
        Err((p, e)) => panic!("{p}: {e}"),
    };
    let start = Instant::now();
    for _ in 0..ITERATIONS / 10 {
        let _ = black_box(black_box(&compiled).render(black_box(&scope)));
    }
    let ns = start.elapsed().as_nanos() as f64 / f64::from(ITERATIONS / 10);
    println!(
        "{:<60} {ns:>10.1}",
        "CompiledValue: HTTP-style params, 3 templates"
    );
}
