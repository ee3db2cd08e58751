//! Every operator, with JavaScript's coercions.

use crate::check;
use serde_json::json;

#[test]
fn arithmetic() {
    check(&[
        ("{{ $json.n + 1 }}", json!(5)),
        ("{{ $json.price * 2 }}", json!(5)),
        ("{{ 7 - 10 }}", json!(-3)),
        ("{{ 7 / 2 }}", json!(3.5)),
        ("{{ 7 % 4 }}", json!(3)),
        ("{{ -7 % 4 }}", json!(-3)),
        ("{{ 5.5 % 2 }}", json!(1.5)),
        ("{{ 2 ** 10 }}", json!(1024)),
        ("{{ 2 ** 3 ** 2 }}", json!(512)),
        ("{{ (-2) ** 2 }}", json!(4)),
        ("{{ 2 ** -1 }}", json!(0.5)),
        ("{{ 1 + 2 * 3 - 4 / 2 }}", json!(5)),
        ("{{ (1 + 2) * 3 }}", json!(9)),
        ("{{ 0.1 + 0.2 }}", json!(0.30000000000000004)),
        ("{{ 1 / 0 }}", json!(null)),
        ("{{ 0 / 0 }}", json!(null)),
        ("{{ 1 / 0 > 1e308 }}", json!(true)),
        ("{{ -$json.n }}", json!(-4)),
        ("{{ +'42' }}", json!(42)),
        ("{{ +'' }}", json!(0)),
        ("{{ +true }}", json!(1)),
        ("{{ -null }}", json!(0)),
        ("{{ 0x1F + 0b11 + 0o10 }}", json!(42)),
        ("{{ 1e3 + .5 }}", json!(1000.5)),
        ("{{ $json.whole }}", json!(3.0)),
        ("{{ $json.whole * 1 }}", json!(3)),
        ("{{ 2 ** 53 }}", json!(9_007_199_254_740_992_i64)),
        ("{{ 1 ** NaN }}", json!(null)),
    ]);
}

#[test]
fn addition_concatenates_when_a_side_is_a_string() {
    check(&[
        ("{{ '3' + 4 }}", json!("34")),
        ("{{ 3 + '4' }}", json!("34")),
        ("{{ 1 + 2 + '3' }}", json!("33")),
        ("{{ '1' + 2 + 3 }}", json!("123")),
        ("{{ 'a' + null }}", json!("anull")),
        ("{{ 'a' + undefined }}", json!("aundefined")),
        ("{{ 'a' + true }}", json!("atrue")),
        ("{{ 'n=' + $json.n }}", json!("n=4")),
        ("{{ 'x' + 1.5 }}", json!("x1.5")),
        ("{{ 'x' + 1e21 }}", json!("x1e+21")),
        ("{{ 'x' + 1/0 }}", json!("xInfinity")),
        ("{{ 'x' + 0/0 }}", json!("xNaN")),
        ("{{ [1, 2] + '' }}", json!("1,2")),
        ("{{ [1, 2] + 1 }}", json!("1,21")),
        ("{{ ({}) + '' }}", json!("[object Object]")),
        ("{{ true + 1 }}", json!(2)),
        ("{{ null + 1 }}", json!(1)),
        ("{{ undefined + 1 }}", json!(null)),
        ("{{ '3' * '4' }}", json!(12)),
        ("{{ '10' / '4' }}", json!(2.5)),
        ("{{ 'abc' * 2 }}", json!(null)),
        ("{{ [5] * 2 }}", json!(10)),
    ]);
}

#[test]
fn comparisons() {
    check(&[
        ("{{ $json.n > 3 }}", json!(true)),
        ("{{ $json.n >= 4 }}", json!(true)),
        ("{{ $json.n < 4 }}", json!(false)),
        ("{{ $json.n <= 3 }}", json!(false)),
        ("{{ 'b' > 'a' }}", json!(true)),
        ("{{ 'B' < 'a' }}", json!(true)),
        ("{{ '10' < '9' }}", json!(true)),
        ("{{ '10' < 9 }}", json!(false)),
        ("{{ null < 1 }}", json!(true)),
        ("{{ undefined < 1 }}", json!(false)),
        ("{{ undefined >= 1 }}", json!(false)),
        ("{{ NaN < 1 || NaN >= 1 }}", json!(false)),
        ("{{ [2] > 1 }}", json!(true)),
        ("{{ 'a' < 1 }}", json!(false)),
    ]);
}

#[test]
fn equality() {
    check(&[
        ("{{ 1 == '1' }}", json!(true)),
        ("{{ 1 === '1' }}", json!(false)),
        ("{{ 1 != '1' }}", json!(false)),
        ("{{ 1 !== '1' }}", json!(true)),
        ("{{ 0 == false }}", json!(true)),
        ("{{ '' == 0 }}", json!(true)),
        ("{{ '1' == true }}", json!(true)),
        ("{{ 'true' == true }}", json!(false)),
        ("{{ null == undefined }}", json!(true)),
        ("{{ null === undefined }}", json!(false)),
        ("{{ null == 0 }}", json!(false)),
        ("{{ undefined == false }}", json!(false)),
        ("{{ $json.none == null }}", json!(true)),
        ("{{ $json.missing === undefined }}", json!(true)),
        ("{{ NaN == NaN }}", json!(false)),
        ("{{ NaN != NaN }}", json!(true)),
        ("{{ 1 / 0 === Infinity }}", json!(true)),
        ("{{ 1 / 0 === -1 / 0 }}", json!(false)),
        ("{{ [1, 2] == '1,2' }}", json!(true)),
        ("{{ $json.n === 4.0 }}", json!(true)),
        ("{{ $json.whole === 3 }}", json!(true)),
        // JSON values have no identity: objects and arrays compare by structure.
        ("{{ [1, 2] === [1, 2] }}", json!(true)),
        ("{{ {a: [1]} === {a: [1]} }}", json!(true)),
        ("{{ {a: 1} === {a: 2} }}", json!(false)),
        ("{{ $json.nested.deep == {x: 1} }}", json!(true)),
        ("{{ $input.first() === $input.first() }}", json!(true)),
        ("{{ $input.item == {json: $json} }}", json!(true)),
    ]);
}

#[test]
fn logic_and_conditionals() {
    check(&[
        ("{{ $json.n > 3 && $json.n <= 4 }}", json!(true)),
        ("{{ 0 && 'x' }}", json!(0)),
        ("{{ 1 && 'x' }}", json!("x")),
        ("{{ '' || 'fallback' }}", json!("fallback")),
        ("{{ 'first' || 'fallback' }}", json!("first")),
        ("{{ $json.flag || 'fallback' }}", json!("fallback")),
        ("{{ $json.none ?? 'default' }}", json!("default")),
        ("{{ $json.missing ?? 'default' }}", json!("default")),
        ("{{ $json.flag ?? 'default' }}", json!(false)),
        ("{{ 0 ?? 1 }}", json!(0)),
        ("{{ !$json.flag }}", json!(true)),
        ("{{ !!'x' }}", json!(true)),
        ("{{ ![] }}", json!(false)),
        ("{{ !0 }}", json!(true)),
        ("{{ !NaN }}", json!(true)),
        ("{{ $json.n > 10 ? 'big' : 'small' }}", json!("small")),
        (
            "{{ $json.n > 1 ? $json.n > 3 ? 'a' : 'b' : 'c' }}",
            json!("a"),
        ),
        ("{{ false ? 1 : true ? 2 : 3 }}", json!(2)),
        ("{{ null ? 1 : 2 }}", json!(2)),
        ("{{ 'a' ? 1 : 2 }}", json!(1)),
        // Short-circuit: the right side never runs.
        ("{{ false && $json.missing.x }}", json!(false)),
        ("{{ true || $json.missing.x }}", json!(true)),
        ("{{ 1 ?? $json.missing.x }}", json!(1)),
        ("{{ true ? 1 : $json.missing.x }}", json!(1)),
    ]);
}

#[test]
fn typeof_and_in() {
    check(&[
        ("{{ typeof $json.name }}", json!("string")),
        ("{{ typeof $json.n }}", json!("number")),
        ("{{ typeof $json.flag }}", json!("boolean")),
        ("{{ typeof $json.none }}", json!("object")),
        ("{{ typeof $json.list }}", json!("object")),
        ("{{ typeof $json.missing }}", json!("undefined")),
        ("{{ typeof NaN }}", json!("number")),
        ("{{ typeof (x => x) }}", json!("function")),
        ("{{ typeof Math }}", json!("object")),
        ("{{ typeof parseInt }}", json!("function")),
        ("{{ typeof $ }}", json!("function")),
        ("{{ typeof typeof 1 }}", json!("string")),
        ("{{ 'name' in $json }}", json!(true)),
        ("{{ 'nope' in $json }}", json!(false)),
        ("{{ 0 in $json.list }}", json!(true)),
        ("{{ 3 in $json.list }}", json!(false)),
        ("{{ 'length' in $json.list }}", json!(true)),
        ("{{ 'rate' in $vars }}", json!(true)),
        ("{{ 'ALLOWED' in $env }}", json!(true)),
        ("{{ 'json' in $input.item }}", json!(true)),
        ("{{ 'a' in {a: undefined} }}", json!(false)),
    ]);
}

#[test]
fn member_access_and_optional_chaining() {
    check(&[
        ("{{ $json.nested.deep.x }}", json!(1)),
        ("{{ $json['nested']['deep'] }}", json!({"x": 1})),
        ("{{ $json.list[0] }}", json!(3)),
        ("{{ $json.list[1 + 1] }}", json!(2)),
        ("{{ $json.list['1'] }}", json!(1)),
        ("{{ $json.list[5] }}", json!(null)),
        ("{{ $json.list[-1] }}", json!(null)),
        ("{{ $json.list[1.5] }}", json!(null)),
        ("{{ $json.list['01'] }}", json!(null)),
        ("{{ $json.list.length }}", json!(3)),
        ("{{ $json.name[0] }}", json!("A")),
        ("{{ $json.name.length }}", json!(3)),
        ("{{ $json.missing }}", json!(null)),
        ("{{ $json.n.foo }}", json!(null)),
        ("{{ $json.missing?.deeper }}", json!(null)),
        ("{{ $json.missing?.deeper.and.more }}", json!(null)),
        ("{{ $json.missing?.[0] }}", json!(null)),
        ("{{ $json.missing?.toUpperCase() }}", json!(null)),
        ("{{ $json.none?.x }}", json!(null)),
        ("{{ $json.nested?.deep?.x }}", json!(1)),
        ("{{ $json.name?.toUpperCase() }}", json!("ADA")),
        ("{{ $json.people[1].name }}", json!("Bob")),
        ("{{ [10, 20][1] }}", json!(20)),
        ("{{ {a: {b: 2}}.a.b }}", json!(2)),
        ("{{ 'abc'[1] }}", json!("b")),
        ("{{ $json.__proto__ }}", json!(null)),
        ("{{ $json.constructor }}", json!(null)),
    ]);
}

#[test]
fn literals() {
    check(&[
        ("{{ 'single' + \"double\" }}", json!("singledouble")),
        (r#"{{ 'it\'s' }}"#, json!("it's")),
        (r#"{{ "tab\there\nline" }}"#, json!("tab\there\nline")),
        (r#"{{ '\u00e9\x41\u{1F600}' }}"#, json!("éA😀")),
        (
            "{{ [1, 'a', null, true, [2]] }}",
            json!([1, "a", null, true, [2]]),
        ),
        ("{{ [] }}", json!([])),
        ("{{ [1, 2, ] }}", json!([1, 2])),
        ("{{ {} }}", json!({})),
        (
            "{{ {a: 1, 'b c': 2, 3: 'x', [$json.name]: true} }}",
            json!({"a": 1, "b c": 2, "3": "x", "Ada": true}),
        ),
        ("{{ {a: undefined, b: 1} }}", json!({"b": 1})),
        ("{{ [undefined] }}", json!([null])),
        ("{{ {$json}.$json.n }}", json!(4)),
        ("{{ [...$json.list, 4] }}", json!([3, 1, 2, 4])),
        ("{{ [...'ab'] }}", json!(["a", "b"])),
        (
            "{{ {...$json.nested.deep, y: 2} }}",
            json!({"x": 1, "y": 2}),
        ),
        ("{{ {...null, a: 1} }}", json!({"a": 1})),
        ("{{ {a: 1, ...{a: 2}} }}", json!({"a": 2})),
        ("{{ `plain` }}", json!("plain")),
        (
            "{{ `n=${$json.n}, twice=${$json.n * 2}` }}",
            json!("n=4, twice=8"),
        ),
        ("{{ `list: ${$json.list}` }}", json!("list: 3,1,2")),
        (
            "{{ `nested ${`inner ${1 + 1}`}` }}",
            json!("nested inner 2"),
        ),
        ("{{ `braces ${ {a: 1}.a } }` }}", json!("braces 1 }")),
        ("{{ true }}", json!(true)),
        ("{{ null }}", json!(null)),
        ("{{ undefined }}", json!(null)),
        ("{{ NaN }}", json!(null)),
        ("{{ -Infinity }}", json!(null)),
    ]);
}

#[test]
fn arrow_functions() {
    check(&[
        ("{{ (x => x * 2)(21) }}", json!(42)),
        ("{{ ((a, b) => a + b)(1, 2) }}", json!(3)),
        ("{{ (() => 'k')() }}", json!("k")),
        ("{{ (a => b => a + b)(1)(2) }}", json!(3)),
        ("{{ (x => x)() }}", json!(null)),
        ("{{ $json.list.map(x => $json.n + x) }}", json!([7, 5, 6])),
        (
            "{{ $json.list.map(x => [1, 2].map(y => x * y)) }}",
            json!([[3, 6], [1, 2], [2, 4]]),
        ),
        (
            "{{ $json.list.map((x, i) => ({x, i})) }}",
            json!([{"x": 3, "i": 0}, {"x": 1, "i": 1}, {"x": 2, "i": 2}]),
        ),
        (
            "{{ $json.list.map(x => x > 1 ? 'big' : 'small') }}",
            json!(["big", "small", "big"]),
        ),
        ("{{ $json.list.map(Math => Math + 1) }}", json!([4, 2, 3])),
    ]);
}
