//! `fs.file@1` operations on a real temporary directory.

use crate::support::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use weft_node_api::{LogLevel, NodeInput, NodeType};
use weft_nodes_system::FileNode;

/// A temporary files root.
pub struct Sandbox {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    pub node: FileNode,
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir(&root).unwrap();
        Sandbox {
            node: FileNode::new(Some(root.clone())),
            root,
            _dir: dir,
        }
    }

    /// A directory beside the root, outside it.
    pub fn outside(&self) -> PathBuf {
        let p = self.root.parent().unwrap().join("outside");
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    pub async fn ok(&self, params: Value) -> Vec<Value> {
        done(run(&self.node, params, vec![]).await)
            .get("main")
            .unwrap()
            .to_vec()
    }

    pub async fn err(&self, params: Value) -> weft_node_api::NodeError {
        failed(run(&self.node, params, vec![]).await)
    }
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[tokio::test]
async fn write_then_read_text() {
    let s = Sandbox::new();
    let out = s
        .ok(json!({ "operation": "write", "path": "notes/a.txt", "content": "héllo", "createParents": true }))
        .await;
    assert_eq!(
        out,
        vec![json!({ "path": "notes/a.txt", "mode": "overwrite", "bytesWritten": 6, "size": 6 })]
    );
    assert_eq!(read(&s.root.join("notes/a.txt")), "héllo");
    let out = s
        .ok(json!({ "operation": "read", "path": "./notes//a.txt" }))
        .await;
    assert_eq!(out[0]["path"], "notes/a.txt");
    assert_eq!(out[0]["content"], "héllo");
    assert_eq!(out[0]["encoding"], "utf-8");
    assert_eq!(out[0]["size"], 6);
    assert!(out[0]["modified"].as_str().unwrap().ends_with('Z'));
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(s.root.join("notes")).unwrap().collect();
    assert_eq!(names.len(), 1);
}

#[tokio::test]
async fn create_refuses_existing_files_and_overwrite_replaces() {
    let s = Sandbox::new();
    let w = |mode: &str, content: &str| json!({ "operation": "write", "path": "f.txt", "content": content, "mode": mode });
    s.ok(w("create", "one")).await;
    let e = s.err(w("create", "two")).await;
    assert_eq!(e.code, "fs.exists");
    assert!(e.message.contains("f.txt"), "{}", e.message);
    assert_eq!(read(&s.root.join("f.txt")), "one");
    s.ok(w("overwrite", "three")).await;
    assert_eq!(read(&s.root.join("f.txt")), "three");
    // Non-atomic variants too.
    let mut p = w("overwrite", "4");
    p["atomic"] = json!(false);
    s.ok(p).await;
    assert_eq!(read(&s.root.join("f.txt")), "4");
    let mut p = w("create", "5");
    p["atomic"] = json!(false);
    assert_eq!(s.err(p).await.code, "fs.exists");
}

#[tokio::test]
async fn overwrite_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let s = Sandbox::new();
    let f = s.root.join("script.sh");
    std::fs::write(&f, "old").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o750)).unwrap();
    s.ok(json!({ "operation": "write", "path": "script.sh", "content": "new" }))
        .await;
    assert_eq!(read(&f), "new");
    assert_eq!(
        std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
        0o750
    );
}

#[tokio::test]
async fn append_adds_to_the_end_and_creates() {
    let s = Sandbox::new();
    let a = |c: &str| json!({ "operation": "write", "path": "log.txt", "content": c, "mode": "append" });
    s.ok(a("one\n")).await;
    let out = s.ok(a("two\n")).await;
    assert_eq!(out[0]["size"], 8);
    assert_eq!(read(&s.root.join("log.txt")), "one\ntwo\n");
}

#[tokio::test]
async fn json_content_is_written_as_json_text() {
    let s = Sandbox::new();
    s.ok(json!({ "operation": "write", "path": "d.json", "content": { "a": [1, 2] } }))
        .await;
    assert_eq!(read(&s.root.join("d.json")), r#"{"a":[1,2]}"#);
}

#[tokio::test]
async fn missing_parents_fail_unless_created() {
    let s = Sandbox::new();
    let e = s
        .err(json!({ "operation": "write", "path": "x/y/z.txt", "content": "" }))
        .await;
    assert_eq!(e.code, "fs.not_found");
    assert!(e.message.contains("\"x\""), "{}", e.message);
}

#[tokio::test]
async fn binary_round_trips_through_base64() {
    let s = Sandbox::new();
    let bytes: Vec<u8> = (0..=255u8).chain([0, 0xff, 0xfe]).collect();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
    s.ok(json!({ "operation": "write", "path": "bin.dat", "content": b64, "encoding": "base64" }))
        .await;
    assert_eq!(std::fs::read(s.root.join("bin.dat")).unwrap(), bytes);
    let out = s
        .ok(json!({ "operation": "read", "path": "bin.dat", "encoding": "base64" }))
        .await;
    assert_eq!(out[0]["content"], b64);
    assert_eq!(out[0]["size"], bytes.len());
    // As text it is refused, with a hint.
    let e = s
        .err(json!({ "operation": "read", "path": "bin.dat" }))
        .await;
    assert_eq!(e.code, "fs.not_utf8");
    assert!(e.message.contains("base64"), "{}", e.message);
    // Bad base64 names the parameter.
    let e = s
        .err(json!({ "operation": "write", "path": "b", "content": "%%%", "encoding": "base64" }))
        .await;
    assert_eq!(e.code, "params.invalid");
    assert!(e.message.contains("/params/content"), "{}", e.message);
}

#[tokio::test]
async fn reads_over_the_size_limit_fail() {
    let s = Sandbox::new();
    std::fs::write(s.root.join("big.txt"), "x".repeat(100)).unwrap();
    let e = s
        .err(json!({ "operation": "read", "path": "big.txt", "maxBytes": 99 }))
        .await;
    assert_eq!(e.code, "fs.too_large");
    assert!(
        e.message.contains("big.txt") && e.message.contains("100"),
        "{}",
        e.message
    );
    assert!(!e.is_transient());
    let out = s
        .ok(json!({ "operation": "read", "path": "big.txt", "maxBytes": 100 }))
        .await;
    assert_eq!(out[0]["size"], 100);
}

#[tokio::test]
async fn reading_a_directory_or_a_missing_file_is_named() {
    let s = Sandbox::new();
    std::fs::create_dir(s.root.join("d")).unwrap();
    let e = s.err(json!({ "operation": "read", "path": "d" })).await;
    assert_eq!(e.code, "fs.is_directory");
    let e = s
        .err(json!({ "operation": "read", "path": "nope.txt" }))
        .await;
    assert_eq!(e.code, "fs.not_found");
    assert!(e.message.contains("nope.txt"), "{}", e.message);
}

fn tree(s: &Sandbox) {
    for (p, c) in [
        ("in/a.json", "{}"),
        ("in/b.csv", "x"),
        ("in/sub/c.json", "[]"),
        ("in/sub/deeper/d.json", "1"),
    ] {
        let f = s.root.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, c).unwrap();
    }
}

fn paths(out: &[Value]) -> Vec<&str> {
    out.iter().map(|e| e["path"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn list_is_flat_by_default_and_recursive_on_request() {
    let s = Sandbox::new();
    tree(&s);
    let out = s.ok(json!({ "operation": "list", "path": "in" })).await;
    assert_eq!(paths(&out), vec!["in/a.json", "in/b.csv", "in/sub"]);
    assert_eq!(out[0]["name"], "a.json");
    assert_eq!(out[0]["size"], 2);
    assert_eq!(out[0]["isDir"], false);
    assert_eq!(out[2]["isDir"], true);
    assert_eq!(out[2]["isSymlink"], false);
    assert!(out[0]["modified"].is_string());

    let out = s
        .ok(json!({ "operation": "list", "path": "in", "recursive": true }))
        .await;
    assert_eq!(
        paths(&out),
        vec![
            "in/a.json",
            "in/b.csv",
            "in/sub",
            "in/sub/c.json",
            "in/sub/deeper",
            "in/sub/deeper/d.json"
        ]
    );
    let out = s.ok(json!({ "operation": "list", "path": "." })).await;
    assert_eq!(paths(&out), vec!["in"]);
}

#[tokio::test]
async fn list_filters_by_glob() {
    let s = Sandbox::new();
    tree(&s);
    let out = s
        .ok(json!({ "operation": "list", "path": "in", "recursive": true, "glob": "*.json" }))
        .await;
    assert_eq!(paths(&out), vec!["in/a.json"]);
    let out = s
        .ok(json!({ "operation": "list", "path": "in", "recursive": true, "glob": "**/*.json" }))
        .await;
    assert_eq!(
        paths(&out),
        vec!["in/a.json", "in/sub/c.json", "in/sub/deeper/d.json"]
    );
    let e = s
        .err(json!({ "operation": "list", "path": "in", "glob": "a[" }))
        .await;
    assert_eq!(e.code, "params.invalid");
    assert!(e.message.contains("/params/glob"), "{}", e.message);
}

#[tokio::test]
async fn list_stops_at_max_entries_and_says_so() {
    let s = Sandbox::new();
    tree(&s);
    let ctx = ctx(json!({ "operation": "list", "path": "in", "recursive": true, "maxEntries": 2 }));
    let out = done(s.node.execute(&ctx, NodeInput::main(vec![])).await);
    assert_eq!(
        paths(out.get("main").unwrap()),
        vec!["in/a.json", "in/b.csv"]
    );
    let logs = ctx.take_logs();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].level, LogLevel::Warn);
    assert!(
        logs[0].message.contains("maxEntries = 2"),
        "{}",
        logs[0].message
    );
}

#[tokio::test]
async fn list_of_a_file_or_missing_directory_fails() {
    let s = Sandbox::new();
    tree(&s);
    let e = s
        .err(json!({ "operation": "list", "path": "in/a.json" }))
        .await;
    assert_eq!(e.code, "fs.not_a_directory");
    let e = s
        .err(json!({ "operation": "list", "path": "missing" }))
        .await;
    assert_eq!(e.code, "fs.not_found");
}

#[tokio::test]
async fn delete_files_and_directories() {
    let s = Sandbox::new();
    tree(&s);
    let out = s
        .ok(json!({ "operation": "delete", "path": "in/a.json" }))
        .await;
    assert_eq!(
        out,
        vec![json!({ "path": "in/a.json", "deleted": true, "kind": "file" })]
    );
    assert!(!s.root.join("in/a.json").exists());

    let e = s
        .err(json!({ "operation": "delete", "path": "in/sub" }))
        .await;
    assert_eq!(e.code, "fs.is_directory");
    assert!(e.message.contains("recursive"), "{}", e.message);
    assert!(s.root.join("in/sub/c.json").exists());

    s.ok(json!({ "operation": "delete", "path": "in/sub", "recursive": true }))
        .await;
    assert!(!s.root.join("in/sub").exists());
    assert!(s.root.join("in/b.csv").exists());

    let e = s
        .err(json!({ "operation": "delete", "path": "in/sub" }))
        .await;
    assert_eq!(e.code, "fs.not_found");
    let out = s
        .ok(json!({ "operation": "delete", "path": "in/sub/x", "ignoreMissing": true }))
        .await;
    assert_eq!(out[0]["deleted"], false);

    let e = s
        .err(json!({ "operation": "delete", "path": ".", "recursive": true }))
        .await;
    assert_eq!(e.code, "fs.is_root");
    assert!(s.root.exists());
}

#[tokio::test]
async fn stat_and_exists() {
    let s = Sandbox::new();
    tree(&s);
    let out = s
        .ok(json!({ "operation": "stat", "path": "in/b.csv" }))
        .await;
    assert_eq!(out[0]["exists"], true);
    assert_eq!(out[0]["isFile"], true);
    assert_eq!(out[0]["isDir"], false);
    assert_eq!(out[0]["size"], 1);
    let out = s
        .ok(json!({ "operation": "stat", "path": "in/nope/x" }))
        .await;
    assert_eq!(out, vec![json!({ "path": "in/nope/x", "exists": false })]);
    let out = s
        .ok(json!({ "operation": "exists", "path": "in/sub" }))
        .await;
    assert_eq!(out, vec![json!({ "path": "in/sub", "exists": true })]);
    let out = s.ok(json!({ "operation": "stat", "path": "." })).await;
    assert_eq!(out[0]["isDir"], true);
}

#[tokio::test]
async fn one_operation_per_item_with_expressions() {
    let s = Sandbox::new();
    let items = vec![json!({ "n": "a", "t": "1" }), json!({ "n": "b", "t": "2" })];
    let p =
        json!({ "operation": "write", "path": "{{ $json.n }}.txt", "content": "{{ $json.t }}" });
    let out = done(run(&s.node, p, items).await);
    assert_eq!(paths(out.get("main").unwrap()), vec!["a.txt", "b.txt"]);
    assert_eq!(read(&s.root.join("b.txt")), "2");
}

#[tokio::test]
async fn without_a_root_the_node_says_how_to_configure_one() {
    let node = FileNode::new(None);
    let e = failed(run(&node, json!({ "operation": "stat", "path": "a" }), vec![]).await);
    assert_eq!(e.code, "fs.no_root");
    assert!(e.message.contains("WEFT_FILES_ROOT"), "{}", e.message);
    let node = FileNode::new(Some("/surely/not/a/dir".into()));
    let e = failed(run(&node, json!({ "operation": "stat", "path": "a" }), vec![]).await);
    assert_eq!(e.code, "fs.root_unavailable");
    assert!(e.message.contains("/surely/not/a/dir"), "{}", e.message);
}

#[tokio::test]
async fn unknown_params_and_missing_content_are_named() {
    let s = Sandbox::new();
    let e = s
        .err(json!({ "operation": "read", "path": "a", "maxbytes": 1 }))
        .await;
    assert_eq!(e.code, "params.invalid");
    assert!(e.message.contains("maxbytes"), "{}", e.message);
    let e = s.err(json!({ "operation": "write", "path": "a" })).await;
    assert_eq!(e.code, "params.invalid");
    assert!(e.message.contains("/params/content"), "{}", e.message);
}

#[tokio::test]
async fn a_cancelled_step_stops() {
    let s = Sandbox::new();
    let token = tokio_util_token();
    token.cancel();
    let ctx = ctx_with(
        json!({ "operation": "stat", "path": "." }),
        std::sync::Arc::new(NoChildren),
        token,
    );
    let e = failed(s.node.execute(&ctx, NodeInput::main(vec![])).await);
    assert_eq!(e.code, "cancelled");
}

fn tokio_util_token() -> tokio_util::sync::CancellationToken {
    tokio_util::sync::CancellationToken::new()
}
