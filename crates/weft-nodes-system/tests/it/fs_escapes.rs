//! `fs.file@1` never reaches outside its root: every escape fails with `fs.outside_root` and
//! leaves what is outside untouched.

use crate::fs_ops::Sandbox;
use serde_json::{Value, json};
use std::os::unix::fs::symlink;

const SECRET: &str = "do not touch";

/// A sandbox with `outside/secret.txt` beside its root.
fn sandbox() -> (Sandbox, std::path::PathBuf) {
    let s = Sandbox::new();
    let secret = s.outside().join("secret.txt");
    std::fs::write(&secret, SECRET).unwrap();
    (s, secret)
}

fn every_operation(path: &str) -> Vec<Value> {
    vec![
        json!({ "operation": "read", "path": path }),
        json!({ "operation": "write", "path": path, "content": "pwned" }),
        json!({ "operation": "write", "path": path, "content": "pwned", "mode": "append" }),
        json!({ "operation": "write", "path": path, "content": "pwned", "atomic": false }),
        json!({ "operation": "write", "path": path, "content": "pwned", "createParents": true }),
        json!({ "operation": "list", "path": path, "recursive": true }),
        json!({ "operation": "delete", "path": path, "recursive": true }),
        json!({ "operation": "stat", "path": path }),
        json!({ "operation": "exists", "path": path }),
    ]
}

async fn assert_refused(s: &Sandbox, path: &str, secret: &std::path::Path) {
    for p in every_operation(path) {
        let e = s.err(p.clone()).await;
        assert_eq!(e.code, "fs.outside_root", "{p}: {e:?}");
        assert!(!e.is_transient());
        assert!(
            e.message.contains(&format!("{path:?}")),
            "{p}: {}",
            e.message
        );
        assert_eq!(std::fs::read_to_string(secret).unwrap(), SECRET, "{p}");
    }
    let outside = secret.parent().unwrap();
    let names: Vec<_> = std::fs::read_dir(outside)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec!["secret.txt"], "something was created outside");
}

#[tokio::test]
async fn parent_components_are_refused() {
    let (s, secret) = sandbox();
    assert_refused(&s, "../outside/secret.txt", &secret).await;
    assert_refused(&s, "../x", &secret).await;
    std::fs::create_dir(s.root.join("a")).unwrap();
    assert_refused(&s, "a/../../outside/secret.txt", &secret).await;
    assert_refused(&s, "a/../../x", &secret).await;
}

#[tokio::test]
async fn absolute_paths_are_refused() {
    let (s, secret) = sandbox();
    assert_refused(&s, "/etc/passwd", &secret).await;
    assert_refused(&s, secret.to_str().unwrap(), &secret).await;
}

#[tokio::test]
async fn nul_bytes_are_refused() {
    let (s, secret) = sandbox();
    assert_refused(&s, "a\0b", &secret).await;
}

#[tokio::test]
async fn a_symlinked_directory_pointing_outside_is_refused() {
    let (s, secret) = sandbox();
    symlink(s.outside(), s.root.join("out")).unwrap();
    // Through the link, and the link itself.
    assert_refused(&s, "out/secret.txt", &secret).await;
    assert_refused(&s, "out/new.txt", &secret).await;
    assert_refused(&s, "out", &secret).await;
}

#[tokio::test]
async fn a_symlinked_intermediate_directory_is_refused() {
    let (s, secret) = sandbox();
    std::fs::create_dir_all(s.outside().join("deep")).unwrap();
    std::fs::rename(&secret, s.outside().join("deep/secret.txt")).unwrap();
    let secret = s.outside().join("deep/secret.txt");
    std::fs::create_dir(s.root.join("a")).unwrap();
    symlink(s.outside(), s.root.join("a/link")).unwrap();
    for path in ["a/link/deep/secret.txt", "a/link/deep/new.txt"] {
        for p in every_operation(path) {
            let e = s.err(p.clone()).await;
            assert_eq!(e.code, "fs.outside_root", "{p}: {e:?}");
            assert!(e.message.contains("\"a/link\""), "{}", e.message);
        }
    }
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), SECRET);
    assert!(!s.outside().join("deep/new.txt").exists());
}

#[tokio::test]
async fn a_symlink_to_a_file_outside_is_refused() {
    let (s, secret) = sandbox();
    symlink(&secret, s.root.join("leak.txt")).unwrap();
    assert_refused(&s, "leak.txt", &secret).await;
    // The link is still there: delete refused it rather than removing it.
    assert!(s.root.join("leak.txt").symlink_metadata().is_ok());
}

#[tokio::test]
async fn a_dangling_symlink_is_not_written_through() {
    let (s, secret) = sandbox();
    let target = s.outside().join("created.txt");
    symlink(&target, s.root.join("dangling")).unwrap();
    for p in every_operation("dangling") {
        let e = s.err(p.clone()).await;
        assert_eq!(e.code, "fs.outside_root", "{p}: {e:?}");
        assert!(!target.exists(), "{p} wrote through the link");
    }
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), SECRET);
}

/// Policy: links are never followed, even inside the root. Such a link is refused with its own
/// code, `fs.symlink`, and its target is untouched.
#[tokio::test]
async fn an_in_root_symlink_is_refused_with_its_own_code() {
    let (s, _secret) = sandbox();
    std::fs::create_dir(s.root.join("real")).unwrap();
    std::fs::write(s.root.join("real/file.txt"), "inside").unwrap();
    symlink(s.root.join("real/file.txt"), s.root.join("alias.txt")).unwrap();
    symlink("real", s.root.join("dirlink")).unwrap();
    for path in ["alias.txt", "dirlink/file.txt"] {
        for p in every_operation(path) {
            let e = s.err(p.clone()).await;
            assert_eq!(e.code, "fs.symlink", "{p}: {e:?}");
            assert!(e.message.contains("never follows"), "{}", e.message);
        }
    }
    assert_eq!(
        std::fs::read_to_string(s.root.join("real/file.txt")).unwrap(),
        "inside"
    );
    // Listing shows links without entering them.
    let out = s
        .ok(json!({ "operation": "list", "path": ".", "recursive": true }))
        .await;
    let listed: Vec<(&str, bool)> = out
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap(),
                e["isSymlink"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            ("alias.txt", true),
            ("dirlink", true),
            ("real", false),
            ("real/file.txt", false)
        ]
    );
}

/// A recursive delete removes links inside the tree, never what they point to.
#[tokio::test]
async fn recursive_delete_does_not_follow_links_inside_the_tree() {
    let (s, secret) = sandbox();
    std::fs::create_dir(s.root.join("tree")).unwrap();
    symlink(s.outside(), s.root.join("tree/out")).unwrap();
    symlink(&secret, s.root.join("tree/leak")).unwrap();
    s.ok(json!({ "operation": "delete", "path": "tree", "recursive": true }))
        .await;
    assert!(!s.root.join("tree").exists());
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), SECRET);
}

/// A root given through a symlink is canonicalized once; paths inside it work.
#[tokio::test]
async fn a_root_reached_through_a_symlink_works() {
    let (s, _secret) = sandbox();
    let alias = s.root.parent().unwrap().join("root-alias");
    symlink(&s.root, &alias).unwrap();
    let node = weft_nodes_system::FileNode::new(Some(alias));
    let out = weft_nodes::testing::done(
        weft_nodes::testing::run(
            &node,
            json!({ "operation": "write", "path": "x.txt", "content": "ok" }),
            vec![],
        )
        .await,
    );
    assert_eq!(out.get("main").unwrap()[0]["path"], "x.txt");
    assert_eq!(std::fs::read_to_string(s.root.join("x.txt")).unwrap(), "ok");
    assert_eq!(
        node.files_root(),
        Some(std::fs::canonicalize(&s.root).unwrap().as_path())
    );
}
