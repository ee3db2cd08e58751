//! The n8n names: `$json`, `$input`, `$node`, `$()`, `$vars`, `$run`, `$item`, `$now`,
//! `$today`, `$env`.

use crate::{check, error, item, render_at};
use serde_json::json;

#[test]
fn json_input_and_item_index() {
    check(&[
        ("{{ $json }}", item()),
        ("{{ $json.name }}", json!("Ada")),
        ("{{ $item }}", json!(0)),
        ("{{ $itemIndex }}", json!(0)),
        ("{{ $input.item }}", json!({"json": item()})),
        ("{{ $input.item.json.n }}", json!(4)),
        ("{{ $input.all().length }}", json!(2)),
        ("{{ $input.all()[1].json.name }}", json!("Zed")),
        ("{{ $input.all().map(i => i.json.n) }}", json!([4, 99])),
        (
            "{{ $input.all().reduce((s, i) => s + i.json.n, 0) }}",
            json!(103),
        ),
        (
            "{{ $input.all().filter(i => i.json.n > 50).map(i => i.json.name) }}",
            json!(["Zed"]),
        ),
        (
            "{{ $input.all()[1] }}",
            json!({"json": {"n": 99, "name": "Zed"}}),
        ),
        ("{{ $input.first().json.name }}", json!("Ada")),
        ("{{ $input.last().json.name }}", json!("Zed")),
        (
            "{{ $input.all().slice(1) }}",
            json!([{"json": {"n": 99, "name": "Zed"}}]),
        ),
        (
            "{{ JSON.stringify($input.last()) }}",
            json!("{\"json\":{\"n\":99,\"name\":\"Zed\"}}"),
        ),
        ("{{ Array.isArray($input.all()) }}", json!(true)),
        ("{{ [...$input.all()].length }}", json!(2)),
    ]);
    assert_eq!(render_at("{{ $item }}", &item(), 7).ok(), Some(json!(7)));
}

#[test]
fn other_nodes() {
    check(&[
        ("{{ $node['Fetch'].json.id }}", json!(1)),
        ("{{ $node[\"Fetch\"].json.tags }}", json!(["a", "b"])),
        ("{{ $node.Fetch.json.id }}", json!(1)),
        (
            "{{ $node['Load order'].json.total * (1 + $vars.rate) }}",
            json!(120),
        ),
        ("{{ $node.Fetch.items.length }}", json!(2)),
        ("{{ $node.Fetch.items[1].json.id }}", json!(2)),
        ("{{ $node.Fetch.isExecuted }}", json!(true)),
        ("{{ $node.Nope.isExecuted }}", json!(false)),
        ("{{ $node.Empty.json }}", json!({})),
        (
            "{{ $node['Load order'] }}",
            json!({"json": {"total": 100}, "items": [{"json": {"total": 100}}]}),
        ),
        ("{{ $('Fetch').item.json.id }}", json!(1)),
        ("{{ $('Fetch').all().length }}", json!(2)),
        ("{{ $('Fetch').all().map(i => i.json.id) }}", json!([1, 2])),
        ("{{ $('Fetch').first().json.id }}", json!(1)),
        ("{{ $('Fetch').last().json.id }}", json!(2)),
        ("{{ $('Fetch').itemMatching(1).json.id }}", json!(2)),
        ("{{ $('Empty').first() }}", json!(null)),
        ("{{ $('Empty').item }}", json!(null)),
        ("{{ $('Fetch').isExecuted }}", json!(true)),
        ("{{ $('Load ' + 'order').item.json.total }}", json!(100)),
    ]);
    // Paired item: the same index when the node has one, else the first.
    let at1 = |src: &str| render_at(src, &item(), 1).ok();
    assert_eq!(at1("{{ $node.Fetch.json.id }}"), Some(json!(2)));
    assert_eq!(at1("{{ $('Fetch').item.json.id }}"), Some(json!(2)));
    assert_eq!(
        at1("{{ $node['Load order'].json.total }}"),
        Some(json!(100))
    );
}

#[test]
fn unknown_nodes_fail_when_read() {
    let e = error("{{ $node['Nope'].json }}");
    assert_eq!(e.message, "no node named `Nope` has run");
    assert_eq!(e.position, 16);
    let e = error("{{ $('Nope').item.json.x }}");
    assert_eq!(e.message, "no node named `Nope` has run");
    assert!(error("{{ $('Nope').all() }}").message.contains("`Nope`"));
    assert!(
        error("{{ $(42) }}")
            .message
            .contains("takes the name of a node")
    );
}

#[test]
fn vars_run_time_and_env() {
    check(&[
        ("{{ $vars.rate * 100 }}", json!(20)),
        ("{{ $vars['region'] }}", json!("eu")),
        ("{{ $vars }}", json!({"rate": 0.2, "region": "eu"})),
        ("{{ Object.keys($vars) }}", json!(["rate", "region"])),
        ("{{ $vars.missing }}", json!(null)),
        ("{{ $run.workflowName }}", json!("orders")),
        ("{{ $run.attempt + 1 }}", json!(2)),
        ("{{ $now }}", json!("2026-11-22T10:00:00.123Z")),
        ("{{ $today }}", json!("2026-11-22T00:00:00.000Z")),
        ("{{ $now.slice(0, 10) }}", json!("2026-11-22")),
        ("{{ $now > $today }}", json!(true)),
        ("{{ Date.now() }}", json!(1_795_341_600_123_i64)),
        ("{{ $env.ALLOWED }}", json!("yes")),
        ("{{ $env['ALLOWED'] }}", json!("yes")),
        ("{{ $env.HOME }}", json!(null)),
        ("{{ $env.HOME ?? 'unset' }}", json!("unset")),
        ("{{ $env }}", json!({})),
    ]);
}
