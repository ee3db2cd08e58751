//! MySQL / MariaDB.

use crate::support::{MyDb, closed_port, credential, failed, items, run};
use serde_json::json;
use weft_node_api::ErrorKind;
use weft_nodes_db::DbQueryNode;

async fn setup() -> (MyDb, DbQueryNode) {
    let db = MyDb::new().await;
    db.exec(
        "CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL UNIQUE) ENGINE=InnoDB;
         INSERT INTO users (name) VALUES ('ada'), ('grace'), ('linus');",
    )
    .await;
    (db, DbQueryNode::new())
}

#[tokio::test]
async fn query_and_execute_with_bound_params() {
    let (db, node) = setup().await;
    let cred = db.credential();
    let rows = items(
        run(&node, &cred, json!({ "credential": "my", "sql": "SELECT id, name FROM users WHERE name = ?", "params": ["{{ $json.n }}"] }),
            vec![json!({ "n": "grace" }), json!({ "n": "ada" })]).await,
    );
    assert_eq!(
        rows,
        vec![
            json!({ "id": 2, "name": "grace" }),
            json!({ "id": 1, "name": "ada" })
        ]
    );
    let out = items(
        run(&node, &cred, json!({ "credential": "my", "operation": "execute", "sql": "INSERT INTO users (name) VALUES (?)", "params": ["{{ $json.n }}"] }),
            vec![json!({ "n": "barbara" })]).await,
    );
    assert_eq!(out, vec![json!({ "rowsAffected": 1, "lastInsertId": 4 })]);
    let out = items(
        run(&node, &cred, json!({ "credential": "my", "operation": "execute", "sql": "UPDATE users SET name = CONCAT(name, '!') WHERE id <= ?", "params": [2] }), vec![]).await,
    );
    assert_eq!(
        out,
        vec![json!({ "rowsAffected": 2, "lastInsertId": null })]
    );
}

#[tokio::test]
async fn a_failing_transaction_writes_nothing_and_names_the_statement() {
    let (db, node) = setup().await;
    let cred = db.credential();
    let e = failed(
        run(
            &node,
            &cred,
            json!({ "credential": "my", "operation": "statements", "statements": [
            { "sql": "INSERT INTO users (name) VALUES (?)", "params": ["new"] },
            { "sql": "INSERT INTO users (name) VALUES (?)", "params": ["ada"] },
        ] }),
            vec![],
        )
        .await,
    );
    assert_eq!((e.kind, e.code.as_str()), (ErrorKind::Permanent, "db.sql"));
    assert_eq!(e.details["statementIndex"], 1);
    assert_eq!(e.details["sqlState"], "23000");
    assert_eq!(e.details["errorNumber"], 1062);
    assert!(e.message.contains("Duplicate entry"), "{}", e.message);
    let rows = items(run(&node, &cred, json!({ "credential": "my", "sql": "SELECT COUNT(*) AS n FROM users WHERE name = 'new'" }), vec![]).await);
    assert_eq!(rows, vec![json!({ "n": 0 })]);

    let e = failed(
        run(&node, &cred, json!({ "credential": "my", "operation": "statements", "statements": [{ "sql": "SELECT 1" }, { "sql": "SELEC 1" }] }), vec![]).await,
    );
    assert_eq!(e.details["statementIndex"], 1);
    assert_eq!(e.details["sqlState"], "42000");
    assert!(e.message.contains("SQL syntax"), "{}", e.message);
}

#[tokio::test]
async fn types_map_faithfully() {
    let (db, node) = setup().await;
    let cred = db.credential();
    db.exec(
        "CREATE TABLE t (b BOOLEAN, ti TINYINT, big BIGINT, ub BIGINT UNSIGNED, f FLOAT, d DOUBLE, dec_ DECIMAL(20,4),
           s VARCHAR(10), tx TEXT, bin VARBINARY(4), bl BLOB, dt DATE, dtt DATETIME(3), ts TIMESTAMP NULL, tm TIME, yr YEAR,
           e ENUM('x','y'), j JSON, n INT NULL);
         INSERT INTO t VALUES (1, -5, -9007199254740993, 18446744073709551615, 1.5, 2.25, 12345678901234.5678,
           'héllo', 'long text', X'00FF10', X'DEAD', '2024-02-29', '2024-02-29 08:00:00.125', '2024-02-29 23:59:59', '-12:30:05', 2024,
           'y', '{\"a\": [1, null]}', NULL);",
    )
    .await;
    let rows = items(
        run(
            &node,
            &cred,
            json!({ "credential": "my", "sql": "SELECT * FROM t" }),
            vec![],
        )
        .await,
    );
    let row = &rows[0];
    let expected = json!({
        "b": true, "ti": -5, "big": -9007199254740993i64, "ub": 18446744073709551615u64, "f": 1.5, "d": 2.25,
        "dec_": "12345678901234.5678", "s": "héllo", "tx": "long text", "bin": "AP8Q", "bl": "3q0=",
        "dt": "2024-02-29", "dtt": "2024-02-29T08:00:00.125", "ts": "2024-02-29T23:59:59Z", "tm": "-12:30:05",
        "yr": 2024, "e": "y", "n": null,
    });
    for (k, v) in expected.as_object().unwrap() {
        assert_eq!(&row[k], v, "column {k}: {row}");
    }
    // MySQL has a JSON type (parsed). MariaDB stores JSON as LONGTEXT with a binary collation,
    // which the protocol reports like a BLOB (base64); selecting it as text gives the text.
    assert!(
        row["j"] == json!({ "a": [1, null] }) || row["j"] == json!("eyJhIjogWzEsIG51bGxdfQ=="),
        "{}",
        row["j"]
    );
    let rows = items(
        run(
            &node,
            &cred,
            json!({ "credential": "my", "sql": "SELECT CAST(j AS CHAR) AS j FROM t" }),
            vec![],
        )
        .await,
    );
    assert_eq!(rows, vec![json!({ "j": "{\"a\": [1, null]}" })]);
    let e = failed(run(&node, &cred, json!({ "credential": "my", "sql": "SELECT * FROM users WHERE id = ?", "params": [[1, 2]] }), vec![]).await);
    assert_eq!(e.code, "db.params");
}

#[tokio::test]
async fn an_injection_attempt_stays_data_and_max_rows_holds() {
    let (db, node) = setup().await;
    let cred = db.credential();
    let evil = "x'); DROP TABLE users; -- \\' OR 1=1";
    items(run(&node, &cred, json!({ "credential": "my", "operation": "execute", "sql": "INSERT INTO users (name) VALUES (?)", "params": [evil] }), vec![]).await);
    let rows = items(run(&node, &cred, json!({ "credential": "my", "sql": "SELECT name FROM users WHERE name = ?", "params": [evil] }), vec![]).await);
    assert_eq!(rows, vec![json!({ "name": evil })]);
    let e = failed(
        run(
            &node,
            &cred,
            json!({ "credential": "my", "sql": "SELECT * FROM users", "maxRows": 2 }),
            vec![],
        )
        .await,
    );
    assert_eq!(e.code, "db.too_many_rows");
    assert_eq!(
        items(
            run(
                &node,
                &cred,
                json!({ "credential": "my", "sql": "SELECT * FROM users", "maxRows": 4 }),
                vec![]
            )
            .await
        )
        .len(),
        4
    );
}

#[tokio::test]
async fn refused_and_denied_connections_never_show_the_password() {
    let (db, node) = setup().await;
    let good = db.credential();
    let mut refused = good.clone();
    refused.fields.insert("port".into(), json!(closed_port()));
    let mut denied = good.clone();
    denied
        .fields
        .insert("password".into(), json!(format!("{}-wrong", db.password)));
    let e = failed(
        run(
            &node,
            &refused,
            json!({ "credential": "my", "sql": "SELECT 1" }),
            vec![],
        )
        .await,
    );
    assert_eq!(
        (e.kind, e.code.as_str()),
        (ErrorKind::Transient, "db.connection"),
        "{e:?}"
    );
    let d = failed(
        run(
            &node,
            &denied,
            json!({ "credential": "my", "sql": "SELECT 1" }),
            vec![],
        )
        .await,
    );
    assert_eq!(
        (d.kind, d.code.as_str()),
        (ErrorKind::Permanent, "db.auth"),
        "{d:?}"
    );
    let url = credential(
        "my",
        "mysql",
        json!({ "url": format!("mysql://{}:{}@127.0.0.1:{}/{}", db.user, db.password, closed_port(), db.name) }),
    );
    let u = failed(
        run(
            &node,
            &url,
            json!({ "credential": "my", "sql": "SELECT 1" }),
            vec![],
        )
        .await,
    );
    assert_eq!(u.kind, ErrorKind::Transient);
    let t = failed(
        run(
            &node,
            &good,
            json!({ "credential": "my", "sql": "SELECT SLEEP(5)", "timeout": "300ms" }),
            vec![],
        )
        .await,
    );
    assert_eq!(
        (t.kind, t.code.as_str()),
        (ErrorKind::Transient, "db.timeout")
    );
    for e in [e, d, u, t] {
        let text = serde_json::to_string(&e.to_item()).unwrap_or_default();
        assert!(!text.contains(&db.password), "password leaked: {text}");
    }
}
