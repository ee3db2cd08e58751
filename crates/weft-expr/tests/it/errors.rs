use crate::error;
use weft_expr::Template;

#[test]
fn malformed_expressions_are_parse_errors_with_positions() {
    let e = Template::parse("total: {{ $json.x + }}").expect_err("error");
    assert_eq!(e.message, "unexpected end of expression");
    assert!(e.position >= 10, "{e:?}");
    let e = Template::parse("{{ $json.x").expect_err("error");
    assert!(e.message.contains("never closed"), "{e}");
    assert_eq!(e.position, 0);
    let e = Template::parse("a {{ }} b").expect_err("error");
    assert!(e.message.contains("empty"), "{e}");
    let e = Template::parse("{{ $json. }}").expect_err("error");
    assert!(e.message.contains("property name"), "{e}");
    let e = Template::parse("{{ (1 + 2 }}").expect_err("error");
    assert!(e.message.contains("expected `)`"), "{e}");
    let e = Template::parse("{{ 1 + 2) }}").expect_err("error");
    assert!(e.message.contains("unexpected `)`"), "{e}");
    assert_eq!(e.position, 8);
}

#[test]
fn unknown_names_are_caught_before_running_with_a_suggestion() {
    let e = Template::parse("{{ $jsn.a }}").expect_err("error");
    assert_eq!(e.message, "unknown name `$jsn` (did you mean `$json`?)");
    assert_eq!(e.position, 3);
    assert_eq!(e.expression, "$jsn.a");
    let e = Template::parse("{{ process.exit() }}").expect_err("error");
    assert!(e.message.starts_with("unknown name `process`"), "{e}");
    let e = Template::parse("{{ require('fs') }}").expect_err("error");
    assert!(e.message.starts_with("unknown name `require`"), "{e}");
}

#[test]
fn runtime_errors_name_the_path() {
    let e = error("{{ $json.missing.deeper }}");
    assert_eq!(
        e.message,
        "cannot read property `deeper` of undefined (`$json.missing` is undefined)"
    );
    let e = error("{{ $node['Nope'].json }}");
    assert!(e.message.contains("no node named `Nope`"), "{e}");
    let e = error("{{ $json.name.frobnicate() }}");
    assert!(e.message.contains("no method `frobnicate`"), "{e}");
    let e = error("{{ [].reduce((a, b) => a) }}");
    assert!(e.message.contains("empty array"), "{e}");
}

#[test]
fn hostile_input_is_bounded() {
    let deep = format!("{{{{ {}1{} }}}}", "(".repeat(500), ")".repeat(500));
    let e = Template::parse(&deep).expect_err("too deep");
    assert!(e.message.contains("nests deeper"), "{e}");
    let e = error("{{ 'x'.repeat(100000000) }}");
    assert!(e.message.contains("longer than"), "{e}");
    let e = error("{{ 'ab'.padStart(999999999) }}");
    assert!(e.message.contains("longer than"), "{e}");
    let e = error(
        "{{ [1,2,3,4,5,6,7,8,9,10].map(a => [1,2,3,4,5,6,7,8,9,10].map(b => [1,2,3,4,5,6,7,8,9,10].map(c => [1,2,3,4,5,6,7,8,9,10].map(d => [1,2,3,4,5,6,7,8,9,10].map(e => [1,2,3,4,5,6,7,8,9,10].map(f => [1,2,3,4,5,6,7,8,9,10].map(g => g))))))) }}",
    );
    assert!(
        e.message.contains("steps") || e.message.contains("copies more than"),
        "{e}"
    );
}
