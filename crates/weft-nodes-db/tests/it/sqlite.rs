//! SQLite in a temporary file.

use crate::support::{credential, failed, items, run};
use serde_json::json;
use weft_node_api::{Credential, ErrorKind};
use weft_nodes_db::DbQueryNode;

fn setup() -> (tempfile::TempDir, Credential, DbQueryNode) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("test.db");
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.execute_batch(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, score REAL, avatar BLOB);
         INSERT INTO users (name, score) VALUES ('ada', 1.5), ('grace', 2.0), ('linus', NULL);",
    )
    .expect("schema");
    let cred = credential("lite", "sqlite", json!({ "path": path.to_string_lossy() }));
    (dir, cred, DbQueryNode::new())
}

#[tokio::test]
async fn query_execute_and_types() {
    let (_dir, cred, node) = setup();
    let rows = items(
        run(&node, &cred, json!({ "credential": "lite", "sql": "SELECT id, name, score FROM users WHERE name = ?", "params": ["{{ $json.n }}"] }),
            vec![json!({ "n": "linus" }), json!({ "n": "ada" })]).await,
    );
    assert_eq!(
        rows,
        vec![
            json!({ "id": 3, "name": "linus", "score": null }),
            json!({ "id": 1, "name": "ada", "score": 1.5 })
        ]
    );
    let out = items(
        run(&node, &cred, json!({ "credential": "lite", "operation": "execute", "sql": "INSERT INTO users (name, score, avatar) VALUES (?, ?, X'00FF10')", "params": ["new", 2.5] }), vec![]).await,
    );
    assert_eq!(out, vec![json!({ "rowsAffected": 1, "lastInsertId": 4 })]);
    let rows = items(run(&node, &cred, json!({ "credential": "lite", "sql": "SELECT ? AS big, avatar, ? AS flag, 'a' || 'b' AS t FROM users WHERE id = 4", "params": [9007199254740993i64, true] }), vec![]).await);
    assert_eq!(
        rows,
        vec![json!({ "big": 9007199254740993i64, "avatar": "AP8Q", "flag": 1, "t": "ab" })]
    );
    let out = items(run(&node, &cred, json!({ "credential": "lite", "operation": "execute", "sql": "UPDATE users SET score = 0 WHERE score IS NOT NULL" }), vec![]).await);
    assert_eq!(
        out,
        vec![json!({ "rowsAffected": 3, "lastInsertId": null })]
    );
}

#[tokio::test]
async fn a_failing_transaction_writes_nothing() {
    let (_dir, cred, node) = setup();
    let e = failed(
        run(
            &node,
            &cred,
            json!({ "credential": "lite", "operation": "statements", "statements": [
            { "sql": "INSERT INTO users (name) VALUES (?)", "params": ["new"] },
            { "sql": "INSERT INTO users (name) VALUES (?)", "params": ["ada"] },
        ] }),
            vec![],
        )
        .await,
    );
    assert_eq!((e.kind, e.code.as_str()), (ErrorKind::Permanent, "db.sql"));
    assert_eq!(e.details["statementIndex"], 1);
    assert!(
        e.message.contains("UNIQUE constraint failed"),
        "{}",
        e.message
    );
    let rows = items(run(&node, &cred, json!({ "credential": "lite", "sql": "SELECT COUNT(*) AS n FROM users WHERE name = 'new'" }), vec![]).await);
    assert_eq!(rows, vec![json!({ "n": 0 })]);
    let e = failed(run(&node, &cred, json!({ "credential": "lite", "operation": "statements", "statements": [{ "sql": "SELECT 1" }, { "sql": "SELEC 1" }] }), vec![]).await);
    assert_eq!(e.details["statementIndex"], 1);
    assert!(e.message.contains("syntax error"), "{}", e.message);
}

#[tokio::test]
async fn injection_max_rows_and_timeouts() {
    let (_dir, cred, node) = setup();
    let evil = "x'); DROP TABLE users; --";
    items(run(&node, &cred, json!({ "credential": "lite", "operation": "execute", "sql": "INSERT INTO users (name) VALUES (?)", "params": [evil] }), vec![]).await);
    let rows = items(run(&node, &cred, json!({ "credential": "lite", "sql": "SELECT name FROM users WHERE name = ?", "params": [evil] }), vec![]).await);
    assert_eq!(rows, vec![json!({ "name": evil })]);
    let e = failed(
        run(
            &node,
            &cred,
            json!({ "credential": "lite", "sql": "SELECT * FROM users", "maxRows": 3 }),
            vec![],
        )
        .await,
    );
    assert_eq!(e.code, "db.too_many_rows");
    let t = std::time::Instant::now();
    let e = failed(
        run(&node, &cred, json!({ "credential": "lite", "sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c", "timeout": "200ms" }), vec![]).await,
    );
    assert_eq!(
        (e.kind, e.code.as_str()),
        (ErrorKind::Transient, "db.timeout")
    );
    assert!(t.elapsed() < std::time::Duration::from_secs(3));
    // The connection is still good afterwards.
    assert_eq!(
        items(
            run(
                &node,
                &cred,
                json!({ "credential": "lite", "sql": "SELECT 1 AS one" }),
                vec![]
            )
            .await
        ),
        vec![json!({ "one": 1 })]
    );
    let missing = credential(
        "lite2",
        "sqlite",
        json!({ "path": "/nonexistent-dir-weft/x.db" }),
    );
    let e = failed(
        run(
            &node,
            &missing,
            json!({ "credential": "lite2", "sql": "SELECT 1" }),
            vec![],
        )
        .await,
    );
    assert_eq!(e.code, "db.connection");
}
