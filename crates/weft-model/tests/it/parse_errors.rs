//! Bad input of every kind gets an error that says what is wrong and where; nothing panics.

use crate::{json, yaml};
use weft_model::{DocumentFormat, ParseError, ParseLimits, parse_document};

const HEAD: &str = r#""apiVersion":"weft/v1","name":"x""#;

fn structure(text: &str) -> (String, String) {
    match json(text) {
        Err(ParseError::Structure { pointer, message }) => (pointer, message),
        other => panic!("{text}: expected a structure error, got {other:?}"),
    }
}

#[test]
fn wrong_types_are_named_by_pointer() {
    let cases = [
        (
            format!(r#"{{{HEAD},"nodes":{{}}}}"#),
            "/nodes",
            "expected a sequence",
        ),
        (
            format!(r#"{{{HEAD},"nodes":[{{"id":7,"type":"core.noop@1"}}]}}"#),
            "/nodes/0/id",
            "expected a string",
        ),
        (
            format!(r#"{{{HEAD},"nodes":[{{"id":"a","type":"core.noop"}}]}}"#),
            "/nodes/0/type",
            "has no version",
        ),
        (
            format!(r#"{{{HEAD},"nodes":[{{"id":"a","type":"core.noop@one"}}]}}"#),
            "/nodes/0/type",
            "not a whole number",
        ),
        (
            format!(
                r#"{{{HEAD},"nodes":[{{"id":"a","type":"core.noop@1","settings":{{"timeout":"soon"}}}}]}}"#
            ),
            "/nodes/0/settings/timeout",
            "invalid duration",
        ),
        (
            format!(
                r#"{{{HEAD},"nodes":[{{"id":"a","type":"core.noop@1","settings":{{"retry":{{"maxAttempts":-1}}}}}}]}}"#
            ),
            "/nodes/0/settings/retry/maxAttempts",
            "invalid value",
        ),
        (
            format!(
                r#"{{{HEAD},"nodes":[{{"id":"a","type":"core.noop@1","settings":{{"join":{{"mode":"most"}}}}}}]}}"#
            ),
            "/nodes/0/settings/join/mode",
            "unknown variant `most`",
        ),
        (
            format!(r#"{{{HEAD},"nodes":[],"edges":[{{"from":{{"node":"a"}},"to":"b"}}]}}"#),
            "/edges/0/to",
            "expected struct Endpoint",
        ),
        (
            format!(
                r#"{{{HEAD},"nodes":[],"triggers":[{{"id":"t","type":"carrier-pigeon","node":"a"}}]}}"#
            ),
            "/triggers/0/type",
            "unknown variant `carrier-pigeon`",
        ),
        (
            format!(r#"{{{HEAD},"nodes":[],"settings":{{"concurrency":"lots"}}}}"#),
            "/settings/concurrency",
            "expected u32",
        ),
        (
            format!(r#"{{{HEAD},"nodes":[],"colour":"blue"}}"#),
            "/colour",
            "unknown field `colour`",
        ),
        (
            r#"{"apiVersion":"weft/v1","nodes":[]}"#.to_string(),
            "",
            "missing field `name`",
        ),
        (r#"[1, 2]"#.to_string(), "", "must be an object"),
        (
            r#"{"name":"x","nodes":[]}"#.to_string(),
            "",
            "missing apiVersion",
        ),
        (
            r#"{"apiVersion":2,"name":"x","nodes":[]}"#.to_string(),
            "/apiVersion",
            "must be the string",
        ),
    ];
    for (text, pointer, needle) in cases {
        let (got_pointer, message) = structure(&text);
        assert_eq!(got_pointer, pointer, "{text}: {message}");
        assert!(
            message.contains(needle),
            "{text}: message {message:?} lacks {needle:?}"
        );
    }
}

#[test]
fn keys_with_slashes_are_escaped_in_pointers() {
    let (pointer, _) = structure(&format!(
        r#"{{{HEAD},"nodes":[],"settings":{{"a/b~c":1}}}}"#
    ));
    assert_eq!(pointer, "/settings/a~1b~0c");
}

#[test]
fn json_syntax_errors_carry_line_and_column() {
    let cases = [
        ("{\n  \"apiVersion\": \"weft/v1\",\n  \"name\": }", 3, 11),
        ("{\"apiVersion\": \"weft/v1\",}", 1, 26),
        ("", 1, 0),
        ("{\"a\": \"unterminated", 1, 19),
    ];
    for (text, line, column) in cases {
        match json(text) {
            Err(ParseError::Syntax {
                format: "JSON",
                line: l,
                column: c,
                message,
            }) => {
                assert_eq!((l, c), (line, column), "{text:?}: {message}");
                assert!(!message.contains(" at line "), "position is reported once");
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
}

#[test]
fn yaml_syntax_errors_carry_line_and_column() {
    let text = "apiVersion: weft/v1\nname: x\nnodes:\n  - id: a\n   type: core.noop@1\n";
    match yaml(text) {
        Err(ParseError::Syntax {
            format: "YAML",
            line,
            ..
        }) => assert!(line >= 4, "line {line}"),
        other => panic!("{other:?}"),
    }
    let err = yaml("apiVersion: weft/v1\nname: x\nnodes: [\n").unwrap_err();
    assert!(
        err.to_string().starts_with("YAML syntax error at line"),
        "{err}"
    );
}

#[test]
fn yaml_structure_errors_use_the_same_pointers_as_json() {
    let text = "apiVersion: weft/v1\nname: x\nnodes:\n  - id: a\n    type: core.noop@1\n    settings:\n      retires: 3\n";
    let err = yaml(text).unwrap_err();
    assert_eq!(err.pointer(), Some("/nodes/0/settings/retires"), "{err}");
}

#[test]
fn yaml_alias_bombs_are_refused_quickly() {
    // "Billion laughs": each level refers to the previous one nine times.
    let mut text =
        String::from("apiVersion: weft/v1\nname: x\nnodes: []\nvariables:\n  a0: &a0 [lol]\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        let row = [prev.as_str(); 9].join(", ");
        text.push_str(&format!("  a{i}: &a{i} [{row}]\n"));
    }
    let start = std::time::Instant::now();
    let err = yaml(&text).unwrap_err();
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
    assert!(matches!(err, ParseError::Syntax { .. }), "{err}");
    assert!(err.to_string().contains("repetition limit"), "{err}");
}

#[test]
fn yaml_specific_values_that_json_lacks_are_handled() {
    // Non-string keys and special floats have no JSON form; the error says so.
    let err = yaml("apiVersion: weft/v1\nname: x\nnodes: []\nvariables:\n  v: .nan\n");
    if let Ok(wf) = err {
        // serde_json turns NaN into null rather than failing; either is acceptable, never a panic.
        assert!(wf.variables["v"].is_null());
    }
    let res = yaml("apiVersion: weft/v1\nname: x\nnodes: []\nvariables:\n  ? [1, 2]\n  : v\n");
    assert!(res.is_err(), "a sequence as a key must be refused");
}

#[test]
fn deep_nesting_is_refused_with_the_place() {
    let deep = format!(
        r#"{{{HEAD},"nodes":[],"variables":{{"v":{}1{}}}}}"#,
        "[".repeat(80),
        "]".repeat(80)
    );
    match json(&deep) {
        Err(ParseError::TooDeep { pointer, limit }) => {
            assert_eq!(limit, 64);
            assert!(pointer.starts_with("/variables/v/0/0"), "{pointer}");
        }
        other => panic!("{other:?}"),
    }
    // Far past the parser's own recursion limit: still an error, not a stack overflow.
    for text in ["[".repeat(200_000), "{\"a\":".repeat(200_000)] {
        assert!(json(&text).is_err());
    }
    let yaml_deep = format!(
        "apiVersion: weft/v1\nname: x\nnodes: {}",
        "[".repeat(200_000)
    );
    let err = yaml(&yaml_deep).unwrap_err();
    assert!(err.to_string().contains("nest deeper than 64"), "{err}");
}

#[test]
fn size_and_node_count_limits_are_enforced() {
    let limits = ParseLimits {
        max_bytes: 1000,
        max_depth: 64,
        max_nodes: 3,
    };
    let big = format!(
        r#"{{{HEAD},"nodes":[],"description":"{}"}}"#,
        "x".repeat(2000)
    );
    let err = parse_document(&big, DocumentFormat::Json, &limits).unwrap_err();
    assert!(
        matches!(err, ParseError::TooLarge { limit: 1000, .. }),
        "{err}"
    );
    let nodes: Vec<String> = (0..4)
        .map(|i| format!(r#"{{"id":"n{i}","type":"core.noop@1"}}"#))
        .collect();
    let many = format!(r#"{{{HEAD},"nodes":[{}]}}"#, nodes.join(","));
    let err = parse_document(&many, DocumentFormat::Json, &limits).unwrap_err();
    assert_eq!(err.pointer(), Some("/nodes"));
    assert!(
        err.to_string()
            .contains("4 nodes is more than the limit of 3")
    );
}

#[test]
fn format_detection() {
    assert_eq!(
        DocumentFormat::detect(Some("flow.YML"), "{"),
        DocumentFormat::Yaml
    );
    assert_eq!(
        DocumentFormat::detect(Some("flow.json"), "name: x"),
        DocumentFormat::Json
    );
    assert_eq!(
        DocumentFormat::detect(None, "  \n{\"a\":1}"),
        DocumentFormat::Json
    );
    assert_eq!(
        DocumentFormat::detect(None, "name: x"),
        DocumentFormat::Yaml
    );
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap in-test sibling of the cargo-fuzz target: mangle a valid document many ways.
    let base = std::fs::read_to_string(crate::repo_root().join("examples/hello.json")).unwrap();
    let bytes = base.as_bytes();
    for cut in (0..bytes.len()).step_by(7) {
        let text = String::from_utf8_lossy(&bytes[..cut]);
        let _ = json(&text);
        let _ = yaml(&text);
    }
    for at in (0..bytes.len()).step_by(5) {
        for replacement in [b'"', b'{', b']', b'@', b'0', b'\\'] {
            let mut mangled = bytes.to_vec();
            mangled[at] = replacement;
            let text = String::from_utf8_lossy(&mangled);
            let _ = json(&text);
            let _ = yaml(&text);
        }
    }
}
