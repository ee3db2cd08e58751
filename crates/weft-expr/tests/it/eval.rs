use crate::render;
use serde_json::json;

#[test]
fn plain_paths_return_raw_values() {
    assert_eq!(render("{{ $json.n }}"), json!(4));
    assert_eq!(render("{{ $json.nested.deep }}"), json!({"x": 1}));
    assert_eq!(render("  {{ $json['name'] }}  "), json!("Ada"));
    assert_eq!(render("{{ $json.list[1] }}"), json!(1));
    assert_eq!(render("{{ $json.missing }}"), json!(null));
    assert_eq!(render("{{ $json.missing?.deeper }}"), json!(null));
}

#[test]
fn text_and_expressions_mix() {
    assert_eq!(
        render("Hi {{ $json.name }}, you have {{ $json.n }} items"),
        json!("Hi Ada, you have 4 items")
    );
    assert_eq!(
        render("list={{ $json.list }} obj={{ $json.nested.deep }}"),
        json!("list=[3,1,2] obj={\"x\":1}")
    );
    assert_eq!(render("[{{ $json.missing }}]"), json!("[]"));
    assert_eq!(render("no expressions here"), json!("no expressions here"));
    assert_eq!(render("{{ '}}' }}"), json!("}}"));
    assert_eq!(render("{{ {a: {b: 1}}.a.b }}"), json!(1));
}

#[test]
fn arithmetic_and_coercions_follow_javascript() {
    assert_eq!(render("{{ $json.n + 1 }}"), json!(5));
    assert_eq!(render("{{ $json.price * 2 }}"), json!(5));
    assert_eq!(render("{{ 7 / 2 }}"), json!(3.5));
    assert_eq!(render("{{ 7 % 4 }}"), json!(3));
    assert_eq!(render("{{ 2 ** 3 ** 2 }}"), json!(512));
    assert_eq!(render("{{ '3' + 4 }}"), json!("34"));
    assert_eq!(render("{{ '3' * '4' }}"), json!(12));
    assert_eq!(render("{{ 1 / 0 }}"), json!(null), "Infinity is not JSON");
    assert_eq!(render("{{ -$json.n }}"), json!(-4));
    assert_eq!(render("{{ +'42' }}"), json!(42));
    assert_eq!(render("{{ 0.1 + 0.2 }}"), json!(0.30000000000000004));
    assert_eq!(render("{{ 0x1F }}"), json!(31));
    assert_eq!(render("{{ 1e3 }}"), json!(1000));
}

#[test]
fn comparison_equality_and_logic() {
    assert_eq!(render("{{ $json.n > 3 && $json.n <= 4 }}"), json!(true));
    assert_eq!(render("{{ 'b' > 'a' }}"), json!(true));
    assert_eq!(render("{{ 1 == '1' }}"), json!(true));
    assert_eq!(render("{{ 1 === '1' }}"), json!(false));
    assert_eq!(render("{{ null == undefined }}"), json!(true));
    assert_eq!(render("{{ null === undefined }}"), json!(false));
    assert_eq!(render("{{ $json.none ?? 'default' }}"), json!("default"));
    assert_eq!(render("{{ $json.flag ?? 'default' }}"), json!(false));
    assert_eq!(render("{{ $json.flag || 'fallback' }}"), json!("fallback"));
    assert_eq!(render("{{ !$json.flag }}"), json!(true));
    assert_eq!(
        render("{{ $json.n > 10 ? 'big' : 'small' }}"),
        json!("small")
    );
    assert_eq!(render("{{ 'name' in $json }}"), json!(true));
    assert_eq!(render("{{ typeof $json.name }}"), json!("string"));
    assert_eq!(render("{{ typeof $json.missing }}"), json!("undefined"));
    assert_eq!(
        render("{{ [1, 2] === [1, 2] }}"),
        json!(true),
        "structural equality for JSON values"
    );
}

#[test]
fn n8n_names() {
    assert_eq!(render("{{ $node['Fetch'].json.id }}"), json!(1));
    assert_eq!(render("{{ $node.Fetch.json.tags }}"), json!(["a", "b"]));
    assert_eq!(render("{{ $('Fetch').item.json.id }}"), json!(1));
    assert_eq!(render("{{ $('Fetch').all().length }}"), json!(2));
    assert_eq!(render("{{ $('Fetch').last().json.id }}"), json!(2));
    assert_eq!(
        render("{{ $input.all().map(i => i.json.n) }}"),
        json!([4, 99])
    );
    assert_eq!(render("{{ $input.first().json.name }}"), json!("Ada"));
    assert_eq!(render("{{ $input.item.json.n }}"), json!(4));
    assert_eq!(render("{{ $vars.rate * 100 }}"), json!(20));
    assert_eq!(render("{{ $run.workflowName }}"), json!("orders"));
    assert_eq!(render("{{ $item }}"), json!(0));
    assert_eq!(render("{{ $now }}"), json!("2026-11-22T10:00:00.123Z"));
    assert_eq!(render("{{ $today }}"), json!("2026-11-22T00:00:00.000Z"));
    assert_eq!(render("{{ $env.ALLOWED }}"), json!("yes"));
    assert_eq!(
        render("{{ $env.HOME }}"),
        json!(null),
        "only allow-listed variables are visible"
    );
    assert_eq!(render("{{ $node.Fetch.isExecuted }}"), json!(true));
}

#[test]
fn builtins() {
    assert_eq!(render("{{ Math.round($json.price) }}"), json!(3));
    assert_eq!(render("{{ Math.max(1, 5, 3) }}"), json!(5));
    assert_eq!(render("{{ Math.floor(-1.5) }}"), json!(-2));
    assert_eq!(render("{{ JSON.stringify({a: 1}) }}"), json!("{\"a\":1}"));
    assert_eq!(render("{{ JSON.parse('[1,2]')[1] }}"), json!(2));
    assert_eq!(render("{{ Number('12.5') }}"), json!(12.5));
    assert_eq!(render("{{ String(12) }}"), json!("12"));
    assert_eq!(render("{{ Boolean('') }}"), json!(false));
    assert_eq!(render("{{ parseInt('42px') }}"), json!(42));
    assert_eq!(render("{{ parseFloat('3.5kg') }}"), json!(3.5));
    assert_eq!(render("{{ isNaN('x' * 1) }}"), json!(true));
    assert_eq!(render("{{ Object.keys($json.nested) }}"), json!(["deep"]));
    assert_eq!(render("{{ Array.isArray($json.list) }}"), json!(true));
    assert_eq!(render("{{ (3.14159).toFixed(2) }}"), json!("3.14"));
}

#[test]
fn string_methods() {
    assert_eq!(
        render("{{ $json.name.toUpperCase() + '!' }}"),
        json!("ADA!")
    );
    assert_eq!(render("{{ '  x '.trim() }}"), json!("x"));
    assert_eq!(render("{{ 'a,b,c'.split(',') }}"), json!(["a", "b", "c"]));
    assert_eq!(render("{{ 'hello'.slice(1, -1) }}"), json!("ell"));
    assert_eq!(render("{{ 'hello'.substring(3, 1) }}"), json!("el"));
    assert_eq!(render("{{ 'hello'.includes('ell') }}"), json!(true));
    assert_eq!(render("{{ 'a-b-c'.replaceAll('-', '+') }}"), json!("a+b+c"));
    assert_eq!(render("{{ '7'.padStart(3, '0') }}"), json!("007"));
    assert_eq!(render("{{ 'ab'.repeat(3) }}"), json!("ababab"));
    assert_eq!(render("{{ $json.name.length }}"), json!(3));
    assert_eq!(
        render("{{ `total: ${$json.n * 2} items` }}"),
        json!("total: 8 items")
    );
}

#[test]
fn array_methods_with_arrow_functions() {
    assert_eq!(
        render("{{ $json.list.map(x => x * 10) }}"),
        json!([30, 10, 20])
    );
    assert_eq!(render("{{ $json.list.filter(x => x > 1) }}"), json!([3, 2]));
    assert_eq!(
        render("{{ $json.list.reduce((a, x) => a + x, 0) }}"),
        json!(6)
    );
    assert_eq!(
        render("{{ $json.list.sort((a, b) => a - b) }}"),
        json!([1, 2, 3])
    );
    assert_eq!(render("{{ $json.list.find(x => x < 3) }}"), json!(1));
    assert_eq!(render("{{ $json.list.some(x => x > 2) }}"), json!(true));
    assert_eq!(render("{{ $json.list.every(x => x > 2) }}"), json!(false));
    assert_eq!(render("{{ $json.list.join('-') }}"), json!("3-1-2"));
    assert_eq!(render("{{ $json.list.includes(2) }}"), json!(true));
    assert_eq!(render("{{ [[1], [2, 3]].flat() }}"), json!([1, 2, 3]));
    assert_eq!(
        render("{{ $json.list.map((x, i) => x + i) }}"),
        json!([3, 2, 4])
    );
    assert_eq!(
        render("{{ [[1, 2], [3]].map(a => a.map(b => b * 2)) }}"),
        json!([[2, 4], [6]])
    );
}
