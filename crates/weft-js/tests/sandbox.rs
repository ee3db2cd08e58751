//! What scripts can do, and every way of abusing the sandbox failing cleanly.

use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};
use weft_js::{JsError, Limits, run};

fn globals(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn exec(code: &str) -> Result<weft_js::Outcome, JsError> {
    run(
        code,
        &globals(json!({"items": [{"n": 1}, {"n": 2}]})),
        "",
        &Limits::default(),
        &Arc::new(AtomicBool::new(false)),
    )
}

fn small() -> Limits {
    Limits {
        memory_bytes: 16 * 1024 * 1024,
        time: Duration::from_millis(300),
        max_output_bytes: 10_000,
        ..Limits::default()
    }
}

#[test]
fn returns_json_and_sees_its_globals() {
    let out = exec("return items.map(i => ({ n: i.n * 10, s: `#${i.n}` }));").unwrap();
    assert_eq!(
        out.value,
        json!([{"n": 10, "s": "#1"}, {"n": 20, "s": "#2"}])
    );
    assert_eq!(exec("let x = 1;").unwrap().value, Value::Null);
    assert_eq!(
        exec("return new Date(0).toISOString()").unwrap().value,
        json!("1970-01-01T00:00:00.000Z")
    );
}

#[test]
fn console_lines_are_captured_and_capped() {
    let out = exec("console.log('a', {b: 1}, [2]); console.warn('w'); return 1").unwrap();
    assert_eq!(out.logs.len(), 2);
    assert_eq!(out.logs[0].text, "a {\"b\":1} [2]");
    assert_eq!(out.logs[1].level, "warn");
    let out = run(
        "for (let i = 0; i < 50; i++) console.log('x'.repeat(10000)); return 0",
        &Map::new(),
        "",
        &Limits {
            max_log_lines: 10,
            max_log_line_bytes: 100,
            ..Limits::default()
        },
        &Arc::new(AtomicBool::new(false)),
    )
    .unwrap();
    assert_eq!(out.logs.len(), 10);
    assert_eq!(out.dropped_log_lines, 40);
    assert!(out.logs[0].text.chars().count() <= 101);
}

#[test]
fn errors_name_the_line() {
    match exec("let a = 1;\nlet b = ;\nreturn a") {
        Err(JsError::Syntax { line, .. }) => assert_eq!(line, 2),
        other => panic!("{other:?}"),
    }
    match exec("const x = 1;\n\nthrow new TypeError('bad input ' + x)") {
        Err(JsError::Thrown { message, line }) => {
            assert_eq!(message, "TypeError: bad input 1");
            assert_eq!(line, Some(3));
        }
        other => panic!("{other:?}"),
    }
    match exec("return undefinedThing.x") {
        Err(JsError::Thrown { message, .. }) => {
            assert!(message.contains("ReferenceError"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(exec("throw 'plain'"), Err(JsError::Thrown { .. })));
}

#[test]
fn infinite_loops_are_stopped_by_the_deadline() {
    let cancel = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let err = run("while (true) {}", &Map::new(), "", &small(), &cancel).unwrap_err();
    assert_eq!(err, JsError::Timeout(Duration::from_millis(300)));
    assert!(start.elapsed() < Duration::from_secs(5));
    // Catching the interruption does not help the script.
    let err = run(
        "for(;;) { try { while (true) {} } catch (e) {} }",
        &Map::new(),
        "",
        &small(),
        &cancel,
    )
    .unwrap_err();
    assert!(matches!(err, JsError::Timeout(_)), "{err:?}");
    // The process goes on, and so do other scripts.
    assert_eq!(exec("return 'fine'").unwrap().value, json!("fine"));
}

#[test]
fn cancellation_stops_a_running_script() {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        flag.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let limits = Limits {
        time: Duration::from_secs(30),
        ..Limits::default()
    };
    let err = run("while (true) {}", &Map::new(), "", &limits, &cancel).unwrap_err();
    stopper.join().unwrap();
    assert_eq!(err, JsError::Cancelled);
}

#[test]
fn memory_bombs_and_deep_recursion_are_stopped() {
    let cancel = Arc::new(AtomicBool::new(false));
    let limits = Limits {
        time: Duration::from_secs(20),
        ..small()
    };
    for bomb in [
        "let a = []; while (true) a.push('x'.repeat(1000) + a.length);",
        "let s = 'x'; while (true) s = s + s;",
        "const f = () => f(); f();",
        "return new Array(1e9).fill(0)",
    ] {
        let err = run(bomb, &Map::new(), "", &limits, &cancel).unwrap_err();
        assert!(
            matches!(err, JsError::OutOfMemory(_) | JsError::Thrown { .. }),
            "{bomb}: {err:?}"
        );
        if let JsError::Thrown { message, .. } = &err {
            // QuickJS sometimes reports an allocation failure by throwing null, after the
            // garbage is already collected (so it cannot always be told apart from `throw null`).
            assert!(
                message.contains("RangeError")
                    || message.contains("InternalError")
                    || message == "uncaught a null was thrown",
                "{bomb}: {message}"
            );
        }
    }
    // The process is fine and the next script runs normally.
    assert_eq!(exec("return 40 + 2").unwrap().value, json!(42));
}

#[test]
fn huge_output_is_refused() {
    let err = run(
        "return 'y'.repeat(20000)",
        &Map::new(),
        "",
        &small(),
        &Arc::new(AtomicBool::new(false)),
    )
    .unwrap_err();
    assert_eq!(
        err,
        JsError::OutputTooLarge {
            size: 20002,
            limit: 10_000
        }
    );
    assert!(matches!(exec("return () => 1"), Err(JsError::NotJson(_))));
    assert!(matches!(
        exec("const a = {}; a.self = a; return a"),
        Err(JsError::NotJson(_))
    ));
}

#[test]
fn code_cannot_be_compiled_from_strings() {
    for attempt in [
        "return Function('return globalThis')()",
        "return (function(){}).constructor('return 1')()",
        "return (async function(){}).constructor('return 1')",
        "return (function*(){}).constructor('yield 1')",
        "return eval('1 + 1')",
        "return globalThis.eval('1')",
        "return [].map.constructor('return 1')()",
    ] {
        let err = exec(attempt).unwrap_err();
        let JsError::Thrown { message, .. } = &err else {
            panic!("{attempt}: {err:?}");
        };
        assert!(
            message.contains("not allowed")
                || message.contains("not defined")
                || message.contains("not a function"),
            "{attempt}: {message}"
        );
    }
}

#[test]
fn no_host_objects_are_reachable() {
    let out = exec(
        "return ['require','process','std','os','fetch','XMLHttpRequest','setTimeout','import','__weft_log','Deno','Bun']
           .filter(n => typeof globalThis[n] !== 'undefined')",
    )
    .unwrap();
    assert_eq!(out.value, json!([]));
    let err = exec("return import('os')").unwrap_err();
    assert!(
        matches!(
            err,
            JsError::Thrown { .. } | JsError::NotJson(_) | JsError::Syntax { .. }
        ),
        "{err:?}"
    );
}

#[test]
fn prototype_pollution_does_not_leak_into_the_next_run() {
    let out = exec(
        "Object.prototype.polluted = 'yes'; Array.prototype.map = () => 'hijacked'; globalThis.leak = 1; return 1",
    )
    .unwrap();
    assert_eq!(out.value, json!(1));
    let out = exec("return [({}).polluted ?? null, [1].map(x => x + 1), typeof leak]").unwrap();
    assert_eq!(out.value, json!([null, [2], "undefined"]));
}

#[test]
fn setup_code_builds_helpers_for_the_user() {
    let out = run(
        "return $input.all().length + $input.first().json.n",
        &globals(json!({"__items": [{"n": 5}, {"n": 6}]})),
        "globalThis.$input = { all: () => __items.map(json => ({ json })), first: () => ({ json: __items[0] }) };",
        &Limits::default(),
        &Arc::new(AtomicBool::new(false)),
    )
    .unwrap();
    assert_eq!(out.value, json!(7));
}

#[test]
fn promises_and_await_are_explained() {
    // Nothing in the sandbox does I/O, so code runs synchronously.
    match exec("return Promise.resolve(1)") {
        Err(JsError::NotJson(message)) => assert!(message.contains("synchronously"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        exec("await null; return 1"),
        Err(JsError::Syntax { .. })
    ));
    // Pending jobs are never run, so a promise chain cannot keep the script alive.
    assert_eq!(
        exec("let n = 0; Promise.resolve().then(function f() { n++; return Promise.resolve().then(f); }); return n")
            .unwrap()
            .value,
        json!(0)
    );
}

#[test]
fn many_scripts_at_once_including_abusive_ones() {
    let threads: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..6 {
                    let code = match (t + i) % 3 {
                        0 => "let s = 'x'; while (true) s = s + s;",
                        1 => "while (true) {}",
                        _ => "return items.length",
                    };
                    let r = run(
                        code,
                        &globals(json!({"items": [1, 2, 3]})),
                        "",
                        &small(),
                        &Arc::new(AtomicBool::new(false)),
                    );
                    if (t + i) % 3 == 2 {
                        assert_eq!(r.unwrap().value, json!(3));
                    } else {
                        assert!(r.is_err());
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("no thread panicked");
    }
}
