//! The CLI as a user meets it.

use crate::{examples, weft, weft_in, write_doc};
use serde_json::{Value, json};

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn run_prints_the_output_and_progress_and_exits_zero() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = weft_in(
        tmp.path(),
        &[
            "run",
            examples().join("hello.json").to_str().expect("utf8"),
            "--input",
            r#"[{"name":"Ada","amount":250},{"name":"Bob","amount":5}]"#,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let output: Value = serde_json::from_str(&stdout(&out)).expect("stdout is the JSON output");
    assert_eq!(
        output,
        json!([{"name": "Ada", "amount": 250, "message": "Hello, Ada!", "tier": "vip"}, {"name": "Bob", "amount": 5, "message": "Hello, Bob!", "tier": "standard"}])
    );
    let progress = stderr(&out);
    assert!(progress.contains("✔ greet"), "{progress}");
    assert!(progress.contains("● succeeded"), "{progress}");
}

#[test]
fn json_mode_streams_machine_readable_events() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = weft_in(
        tmp.path(),
        &[
            "run",
            examples().join("hello.json").to_str().expect("utf8"),
            "--json",
            "--input",
            r#"{"name":"Ada"}"#,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let events: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(
        events.first().map(|e| e["event"].clone()),
        Some(json!("runStarted"))
    );
    let last = events.last().expect("events");
    assert_eq!(last["event"], "runFinished");
    assert_eq!(last["status"], "succeeded");
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "stepSkipped" && e["node"] == "vip"),
        "the untaken branch is reported skipped"
    );
}

#[test]
fn a_failing_run_exits_one_and_history_shows_it() {
    let tmp = tempfile::tempdir().expect("tmp");
    let doc = json!({"apiVersion": "weft/v1", "name": "fails", "nodes": [{"id": "stop", "type": "core.error@1", "params": {"message": "nope"}}]});
    let file = write_doc(tmp.path(), "fails.json", &doc);
    let data = tmp.path().join("data");
    let out = weft_in(&data, &["run", file.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("nope"));

    let list = weft_in(&data, &["runs", "list", "--json"]);
    assert!(list.status.success());
    let listed: Value = serde_json::from_str(&stdout(&list)).expect("json");
    let run = &listed["runs"][0];
    assert_eq!(run["status"], "failed");
    let id = run["id"].as_str().expect("id");

    let show = weft_in(&data, &["runs", "show", id]);
    assert!(show.status.success());
    let text = stdout(&show);
    assert!(
        text.contains("stop") && text.contains("failed") && text.contains("nope"),
        "{text}"
    );

    let missing = weft_in(&data, &["runs", "show", "not-a-uuid"]);
    assert_ne!(missing.status.code(), Some(0));
    assert!(stderr(&missing).contains("not a run id"));
}

#[test]
fn validate_reports_every_problem_with_pointers_and_exits_two() {
    let out = weft()
        .args([
            "validate",
            examples().join("invalid.json").to_str().expect("utf8"),
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    for expected in [
        "/nodes/0/params/fields/x", // malformed expression
        "node.type.unknown",        // http.request@7
        "node.id.duplicate",        // two nodes "b"
        "graph.cycle",              // a → b → d → a
        "/edges/3/to/node",         // edge to "ghost"
        "node.unreachable",         // lonely
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(
        text.contains("cycle: a → b → d → a") || text.contains("cycle: "),
        "{text}"
    );

    let ok = weft()
        .args([
            "validate",
            examples().join("hello.json").to_str().expect("utf8"),
            examples().join("fan-out.yaml").to_str().expect("utf8"),
        ])
        .output()
        .expect("run");
    assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));
}

#[test]
fn malformed_documents_get_clear_errors_not_panics() {
    let tmp = tempfile::tempdir().expect("tmp");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "broken.json",
            "{\n  \"apiVersion\": \"weft/v1\",\n  \"name\": \n}".into(),
            "line 4",
        ),
        (
            "wrong.json",
            r#"{"apiVersion":"weft/v1","name":"x","nodes":[{"id":"a","type":"core.noop"}]}"#.into(),
            "/nodes/0/type",
        ),
        (
            "types.json",
            r#"{"apiVersion":"weft/v1","name":"x","nodes":"many"}"#.into(),
            "/nodes",
        ),
        (
            "deep.json",
            format!(
                "{{\"apiVersion\":\"weft/v1\",\"name\":\"x\",\"nodes\":[],\"variables\":{{\"v\":{}0{}}}}}",
                "[".repeat(200),
                "]".repeat(200)
            ),
            "deeper",
        ),
        ("bad.yaml", "apiVersion: weft/v1\nname: [x\n".into(), "YAML"),
        ("binary.json", "\u{0}\u{1}garbage".into(), "error"),
    ];
    for (name, content, expect) in cases {
        let path = tmp.path().join(name);
        std::fs::write(&path, content).expect("write");
        let out = weft_in(
            &tmp.path().join("data"),
            &["run", path.to_str().expect("utf8")],
        );
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expect),
            "{name}: expected {expect:?} in {}",
            stderr(&out)
        );
        assert!(!stderr(&out).contains("panicked"), "{name} panicked");
    }
    let huge = tmp.path().join("huge.json");
    std::fs::write(&huge, vec![b' '; 17 * 1024 * 1024]).expect("write");
    let out = weft_in(
        &tmp.path().join("data"),
        &["run", huge.to_str().expect("utf8")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("limit"), "{}", stderr(&out));
    let bad_input = weft_in(
        &tmp.path().join("data"),
        &[
            "run",
            examples().join("hello.json").to_str().expect("utf8"),
            "--input",
            "{oops",
        ],
    );
    assert_eq!(bad_input.status.code(), Some(2));
    assert!(stderr(&bad_input).contains("--input is not valid JSON"));
}

#[test]
fn yaml_workflows_with_map_and_durable_wait_run() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = weft_in(
        tmp.path(),
        &[
            "run",
            examples().join("fan-out.yaml").to_str().expect("utf8"),
            "--input",
            r#"[{"n": 2}, {"n": 3}, {"n": 4}]"#,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let output: Value = serde_json::from_str(&stdout(&out)).expect("json");
    let squares: Vec<i64> = output
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|i| i["square"].as_i64())
        .collect();
    assert_eq!(squares, vec![4, 9, 16]);
}

#[test]
fn workflow_files_can_include_sub_workflows_by_path() {
    let tmp = tempfile::tempdir().expect("tmp");
    let child = json!({"apiVersion": "weft/v1", "name": "child", "nodes": [{"id": "double", "type": "core.set@1", "params": {"fields": {"x": "{{ $json.x * 2 }}"}}}]});
    write_doc(tmp.path(), "child.json", &child);
    let parent = json!({"apiVersion": "weft/v1", "name": "parent", "nodes": [{"id": "call", "type": "core.subworkflow@1", "params": {"workflowFile": "child.json"}}]});
    let file = write_doc(tmp.path(), "parent.json", &parent);
    let out = weft_in(
        &tmp.path().join("data"),
        &[
            "run",
            file.to_str().expect("utf8"),
            "--input",
            r#"{"x": 21}"#,
            "--quiet",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let output: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(output, json!([{"x": 42}]));
}

#[test]
fn schema_and_node_catalog_are_printable() {
    let out = weft().arg("schema").output().expect("run");
    assert!(out.status.success());
    let schema: Value = serde_json::from_str(&stdout(&out)).expect("schema is JSON");
    assert_eq!(schema["properties"]["apiVersion"]["const"], "weft/v1");
    let nodes = weft()
        .args(["nodes", "list", "--json"])
        .output()
        .expect("run");
    let catalog: Value = serde_json::from_str(&stdout(&nodes)).expect("json");
    assert!(
        catalog
            .as_array()
            .expect("array")
            .iter()
            .any(|n| n["type"] == "http.request@1")
    );
}

#[test]
fn the_csv_example_parses_validates_and_routes_rows() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = weft_in(
        tmp.path(),
        &[
            "run",
            examples().join("csv-orders.yaml").to_str().expect("utf8"),
            "--quiet",
            "--input",
            r#"{"csv": "id,total\n1,12.5\n2,-3\n3,abc\n"}"#,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let output: Value = serde_json::from_str(&stdout(&out)).expect("JSON output");
    let summary: Vec<(Value, Value)> = output
        .as_array()
        .expect("items")
        .iter()
        .map(|i| (i["status"].clone(), i["why"].clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (json!("accepted"), Value::Null),
            (
                json!("rejected"),
                json!("/total -3 is less than the minimum of 0")
            ),
            (
                json!("rejected"),
                json!("/total \"abc\" is not of type \"number\"")
            ),
        ]
    );
}

#[test]
fn a_failed_run_starts_its_error_workflow_once_with_the_failure() {
    let tmp = tempfile::tempdir().expect("tmp");
    let main = examples().join("error-handling/main.yaml");
    let out = weft_in(
        tmp.path(),
        &[
            "run",
            main.to_str().expect("utf8"),
            "--input",
            r#"{"order": 42}"#,
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let list = weft_in(tmp.path(), &["runs", "list", "--json"]);
    let runs: Value = serde_json::from_str(&stdout(&list)).expect("json");
    let runs = runs["runs"].as_array().expect("runs");
    let failed = runs
        .iter()
        .find(|r| r["workflow_name"] == "charge order")
        .expect("the failed run");
    let handlers: Vec<&Value> = runs
        .iter()
        .filter(|r| r["workflow_name"] == "on error")
        .collect();
    assert_eq!(handlers.len(), 1, "exactly one error run: {runs:?}");
    let handler = handlers[0];
    assert_eq!(handler["status"], "succeeded");
    assert_eq!(failed["status"], "failed");
    assert_eq!(
        handler["output"],
        json!([{
            "alert": "charge order failed: node \"charge\" failed: card declined for order 42",
            "failedRun": failed["id"],
            "order": 42,
        }])
    );
    // The error workflow's own failure would not start another one.
    assert_eq!(
        handler["idempotency_key"],
        json!(format!("error-of/{}", failed["id"].as_str().unwrap()))
    );
}

#[test]
fn a_sub_workflow_with_an_error_edge_is_a_catch_scope() {
    let tmp = tempfile::tempdir().expect("tmp");
    let file = examples().join("error-handling/catch-scope.yaml");
    let run = |input: &str| {
        let out = weft_in(
            tmp.path(),
            &[
                "run",
                file.to_str().expect("utf8"),
                "--quiet",
                "--input",
                input,
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_str::<Value>(&stdout(&out)).expect("json")
    };
    assert_eq!(
        run(r#"{"amount": 5}"#),
        json!([{"amount": 5, "charged": true}])
    );
    let caught = run(r#"{"amount": -5}"#);
    assert_eq!(caught[0]["handled"], json!(true));
    let reason = caught[0]["reason"].as_str().expect("the error message");
    assert!(
        reason.contains("amount must be positive, got -5"),
        "{reason}"
    );
}

#[test]
fn code_node_source_is_never_rendered_as_a_template() {
    let tmp = tempfile::tempdir().expect("tmp");
    let doc = json!({
        "apiVersion": "weft/v1",
        "name": "code",
        "nodes": [{ "id": "js", "type": "code.js@1",
                    "params": { "code": "return [{ literal: '{{ 1 + }}', n: $input.all().length }]" } }]
    });
    let file = write_doc(tmp.path(), "code.json", &doc);
    let out = weft_in(
        tmp.path(),
        &[
            "run",
            file.to_str().expect("utf8"),
            "--quiet",
            "--input",
            "[1, 2]",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let output: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(output, json!([{"literal": "{{ 1 + }}", "n": 2}]));
}

#[test]
fn the_filesystem_agent_works_inside_weft_files_root_only() {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path().join("files");
    std::fs::create_dir_all(&root).expect("root");
    let doc = json!({
        "apiVersion": "weft/v1",
        "name": "files",
        "nodes": [
            { "id": "write", "type": "fs.file@1",
              "params": { "operation": "write", "path": "out/{{ $json.name }}.txt", "content": "hi {{ $json.name }}", "createParents": true } },
            { "id": "read", "type": "fs.file@1",
              "params": { "operation": "read", "path": "out/ada.txt" } }
        ],
        "edges": [{ "from": { "node": "write" }, "to": { "node": "read" } }]
    });
    let file = write_doc(tmp.path(), "files.json", &doc);
    let run = |root: Option<&std::path::Path>| {
        let mut cmd = crate::weft();
        cmd.args([
            "run",
            file.to_str().expect("utf8"),
            "--quiet",
            "--input",
            r#"{"name":"ada"}"#,
        ])
        .arg("--data-dir")
        .arg(tmp.path().join("data"));
        match root {
            Some(r) => cmd.env("WEFT_FILES_ROOT", r),
            None => cmd.env_remove("WEFT_FILES_ROOT"),
        };
        cmd.output().expect("weft runs")
    };
    let out = run(Some(&root));
    assert!(out.status.success(), "{}", stderr(&out));
    let output: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(output[0]["content"], json!("hi ada"));
    assert_eq!(
        std::fs::read_to_string(root.join("out/ada.txt")).expect("written"),
        "hi ada"
    );
    let out = run(None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("WEFT_FILES_ROOT"), "{}", stderr(&out));
}

#[test]
fn schedule_previews_cron_triggers_and_refuses_bad_ones() {
    let tmp = tempfile::tempdir().expect("tmp");
    let doc = |expression: &str| {
        json!({
            "apiVersion": "weft/v1",
            "name": "cron",
            "triggers": [{ "id": "nightly", "type": "cron", "node": "a",
                           "params": { "expression": expression, "timezone": "Europe/Paris" } }],
            "nodes": [{ "id": "a", "type": "core.noop@1" }]
        })
    };
    let good = write_doc(tmp.path(), "good.json", &doc("30 2 * * *"));
    let out = crate::weft()
        .args(["schedule", good.to_str().expect("utf8"), "--count", "3"])
        .output()
        .expect("weft runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("nightly (30 2 * * *, Europe/Paris):"),
        "{text}"
    );
    assert_eq!(text.matches(" 02:30:00 ").count(), 3, "{text}");
    let bad = write_doc(tmp.path(), "bad.json", &doc("0 25 * * *"));
    let out = crate::weft()
        .args(["schedule", bad.to_str().expect("utf8")])
        .output()
        .expect("weft runs");
    assert_eq!(out.status.code(), Some(2));
    let out = crate::weft()
        .args(["validate", bad.to_str().expect("utf8")])
        .output()
        .expect("weft runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout(&out).contains("/triggers/0/params/expression")
            || stderr(&out).contains("/triggers/0/params/expression")
    );
}

#[test]
fn expressions_see_only_allow_listed_environment_variables() {
    let tmp = tempfile::tempdir().expect("tmp");
    let doc = json!({
        "apiVersion": "weft/v1",
        "name": "env",
        "nodes": [{ "id": "s", "type": "core.set@1",
                    "params": { "fields": { "greeting": "{{ $env.WEFT_TEST_GREETING ?? 'none' }}",
                                            "secret": "{{ $env.WEFT_TEST_SECRET ?? 'none' }}" } } }]
    });
    let file = write_doc(tmp.path(), "env.json", &doc);
    let out = crate::weft()
        .args([
            "run",
            file.to_str().expect("utf8"),
            "--quiet",
            "--input",
            "{}",
        ])
        .arg("--data-dir")
        .arg(tmp.path())
        .env("WEFT_TEST_GREETING", "hello")
        .env("WEFT_TEST_SECRET", "do-not-show")
        .env("WEFT_ENV_ALLOWLIST", "WEFT_TEST_GREETING, OTHER")
        .output()
        .expect("weft runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let output: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(output, json!([{ "greeting": "hello", "secret": "none" }]));
}

#[test]
fn nodes_list_and_show_print_the_catalog() {
    let list = weft().args(["nodes", "list"]).output().expect("run");
    assert!(list.status.success());
    let text = stdout(&list);
    for t in [
        "data.csv@1",
        "db.query@1",
        "http.request@1",
        "ml.onnx@1",
        "util.log@1",
    ] {
        assert!(text.contains(t), "{t} missing from\n{text}");
    }
    // `weft nodes` alone lists too.
    assert_eq!(stdout(&weft().arg("nodes").output().expect("run")), text);

    let show = weft()
        .args(["nodes", "show", "data.csv"])
        .output()
        .expect("run");
    assert!(show.status.success(), "{}", stderr(&show));
    let text = stdout(&show);
    assert!(text.starts_with("data.csv@1 — CSV Processor"), "{text}");
    assert!(
        text.contains("params schema:") && text.contains("\"delimiter\""),
        "{text}"
    );
    assert!(text.contains("ports (with default params):"), "{text}");

    let json = weft()
        .args(["nodes", "show", "http.request@1", "--json"])
        .output()
        .expect("run");
    let entry: Value = serde_json::from_str(&stdout(&json)).expect("json");
    assert_eq!(entry["type"], "http.request@1");
    assert_eq!(entry["paramsSchema"]["type"], "object");
    assert_eq!(entry["ports"]["inputs"][0]["name"], "main");

    let missing = weft()
        .args(["nodes", "show", "core.set@9"])
        .output()
        .expect("run");
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("this build has core.set@1"),
        "{}",
        stderr(&missing)
    );
    let missing = weft().args(["nodes", "show", "set"]).output().expect("run");
    assert!(
        stderr(&missing).contains("did you mean core.set"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn expressions_beyond_the_native_subset_run_in_the_sandbox() {
    let tmp = tempfile::tempdir().expect("tmp");
    let doc = json!({
        "apiVersion": "weft/v1",
        "name": "js-expressions",
        "nodes": [{
            "id": "shape",
            "type": "core.set@1",
            "params": {"fields": {
                "user": "{{ $json.email.replace(/@.*$/, '') }}",
                "initials": "{{ $json.name.split(/\\s+/).map(w => { return w[0]; }).join('') }}",
                "flags": "{{ $json.flags | 4 }}",
                "label": "#{{ $itemIndex }} {{ new Date($now).getUTCFullYear() > 2000 }}"
            }}
        }]
    });
    let file = write_doc(tmp.path(), "js.json", &doc);
    let data = tmp.path().join("data");
    let out = weft_in(
        &data,
        &[
            "run",
            file.to_str().expect("utf8"),
            "--input",
            r#"[{"email":"ada@example.com","name":"Ada King Lovelace","flags":1}]"#,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let output: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(output[0]["user"], "ada");
    assert_eq!(output[0]["initials"], "AKL");
    assert_eq!(output[0]["flags"], 5);
    assert_eq!(output[0]["label"], "#0 true");

    // A failing JavaScript expression names the node, the parameter, the expression and where
    // it starts.
    let doc = json!({
        "apiVersion": "weft/v1",
        "name": "js-fails",
        "nodes": [{
            "id": "shape",
            "type": "core.set@1",
            "params": {"fields": {"user": "id {{ $json.missing.replace(/x/, '') }}"}}
        }]
    });
    let file = write_doc(tmp.path(), "fails.json", &doc);
    let out = weft_in(
        &data,
        &["run", file.to_str().expect("utf8"), "--input", "{}"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    for part in [
        "shape",
        "/fields/user",
        "$json.missing.replace(/x/, '')",
        "TypeError",
        "position 6",
    ] {
        assert!(err.contains(part), "{part:?} missing from: {err}");
    }
}
