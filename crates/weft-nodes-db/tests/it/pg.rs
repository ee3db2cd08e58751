//! PostgreSQL.

use crate::support::{PgDb, closed_port, credential, failed, items, run, run_with};
use serde_json::json;
use weft_node_api::ErrorKind;
use weft_nodes_db::DbQueryNode;

const PASSWORD: &str = "pg-Pa55word-never-shown";

async fn setup() -> (PgDb, DbQueryNode) {
    let db = PgDb::new().await;
    db.exec(
        "CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL, meta jsonb, seen timestamptz);
         INSERT INTO users (id, name) VALUES (1, 'ada'), (2, 'grace'), (3, 'linus');",
    )
    .await;
    (db, DbQueryNode::new())
}

#[tokio::test]
async fn query_binds_params_per_item() {
    let (db, node) = setup().await;
    let cred = db.credential(PASSWORD);
    let rows = items(
        run(
            &node,
            &cred,
            json!({ "credential": "pg", "sql": "SELECT id, name FROM users WHERE id = $1", "params": ["{{ $json.id }}"] }),
            vec![json!({ "id": 3 }), json!({ "id": 1 }), json!({ "id": 99 })],
        )
        .await,
    );
    assert_eq!(
        rows,
        vec![
            json!({ "id": 3, "name": "linus" }),
            json!({ "id": 1, "name": "ada" })
        ]
    );
}

#[tokio::test]
async fn execute_reports_rows_affected_and_binds_json_and_timestamps() {
    let (db, node) = setup().await;
    let cred = db.credential(PASSWORD);
    let out = items(
        run(
            &node,
            &cred,
            json!({ "credential": "pg", "operation": "execute",
                    "sql": "UPDATE users SET meta = $1, seen = $2 WHERE id >= $3",
                    "params": [{ "tags": ["a", "b"], "n": 1 }, "2024-05-01T12:30:00+02:00", 2] }),
            vec![],
        )
        .await,
    );
    assert_eq!(
        out,
        vec![json!({ "rowsAffected": 2, "lastInsertId": null })]
    );
    let rows = items(
        run(
            &node,
            &cred,
            json!({ "credential": "pg", "sql": "SELECT meta, seen FROM users WHERE id = 2" }),
            vec![],
        )
        .await,
    );
    assert_eq!(
        rows,
        vec![json!({ "meta": { "tags": ["a", "b"], "n": 1 }, "seen": "2024-05-01T10:30:00Z" })]
    );
}

#[tokio::test]
async fn a_failing_transaction_writes_nothing() {
    let (db, node) = setup().await;
    let cred = db.credential(PASSWORD);
    let e = failed(
        run(
            &node,
            &cred,
            json!({ "credential": "pg", "operation": "statements", "statements": [
                { "sql": "INSERT INTO users (id, name) VALUES ($1, $2)", "params": [10, "new"] },
                { "sql": "INSERT INTO users (id, name) VALUES ($1, $2)", "params": [1, "duplicate"] },
            ] }),
            vec![],
        )
        .await,
    );
    assert_eq!(e.kind, ErrorKind::Permanent);
    assert_eq!(e.code, "db.sql");
    assert_eq!(e.details["statementIndex"], 1);
    assert_eq!(e.details["sqlState"], "23505");
    assert_eq!(e.details["constraint"], "users_pkey");
    assert!(
        e.message.contains("statement 1") && e.message.contains("duplicate key"),
        "{}",
        e.message
    );
    let rows = items(
        run(
            &node,
            &cred,
            json!({ "credential": "pg", "sql": "SELECT count(*) AS n FROM users WHERE id = 10" }),
            vec![],
        )
        .await,
    );
    assert_eq!(rows, vec![json!({ "n": 0 })]);

    // The same batch without the duplicate commits and reports per statement.
    let out = items(
        run(
            &node,
            &cred,
            json!({ "credential": "pg", "operation": "statements", "statements": [
                { "sql": "INSERT INTO users (id, name) VALUES ($1, $2) RETURNING id", "params": ["{{ $json.id }}", "new"] },
                { "sql": "DELETE FROM users WHERE id < $1", "params": [3] },
            ] }),
            vec![json!({ "id": 10 })],
        )
        .await,
    );
    assert_eq!(
        out,
        vec![
            json!({ "results": [{ "rows": [{ "id": 10 }] }, { "rowsAffected": 2, "lastInsertId": null }] })
        ]
    );
}

#[tokio::test]
async fn types_map_faithfully() {
    let (db, node) = setup().await;
    let cred = db.credential(PASSWORD);
    db.exec("CREATE TYPE mood AS ENUM ('ok', 'happy')").await;
    let rows = items(
        run(
            &node,
            &cred,
            json!({ "credential": "pg", "sql": "SELECT 1::int2 AS i2, 2147483647::int4 AS i4, 9007199254740993::int8 AS i8,
                1.5::float4 AS f4, 2.25::float8 AS f8, 'NaN'::float8 AS fnan, 12345678901234567890.000123::numeric AS num, (-0.5)::numeric(5,2) AS neg,
                true AS b, 'héllo'::text AS t, 'x'::varchar(3) AS v, 'ab'::char(3) AS c, '\\x00ff10'::bytea AS bin,
                '2024-02-29 23:59:59.123456+00'::timestamptz AS tz, '2024-02-29 08:00:00'::timestamp AS ts, '2024-02-29'::date AS d, '13:45:10.5'::time AS tm,
                '{\"a\": [1, null]}'::jsonb AS jb, '[1, 2]'::json AS j, NULL::int AS nothing, '7b3c1f4e-2a64-4c1e-9f3b-6d2f8e1a0c55'::uuid AS u,
                'happy'::mood AS m, ARRAY[1, NULL, 3]::int4[] AS arr, ARRAY['a', 'b'] AS tarr, 'infinity'::timestamptz AS inf, $1::numeric AS bound_num" ,
                "params": ["-123.4500"] }),
            vec![],
        )
        .await,
    );
    assert_eq!(
        rows,
        vec![json!({
            "i2": 1, "i4": 2147483647, "i8": 9007199254740993i64, "f4": 1.5, "f8": 2.25, "fnan": "NaN",
            "num": "12345678901234567890.000123", "neg": "-0.50", "b": true, "t": "héllo", "v": "x", "c": "ab ",
            "bin": "AP8Q", "tz": "2024-02-29T23:59:59.123456Z", "ts": "2024-02-29T08:00:00", "d": "2024-02-29",
            "tm": "13:45:10.500", "jb": { "a": [1, null] }, "j": [1, 2], "nothing": null,
            "u": "7b3c1f4e-2a64-4c1e-9f3b-6d2f8e1a0c55", "m": "happy", "arr": [1, null, 3], "tarr": ["a", "b"],
            "inf": "infinity", "bound_num": "-123.4500",
        })]
    );
    let e = failed(
        run(
            &node,
            &cred,
            json!({ "credential": "pg", "sql": "SELECT interval '1 day' AS span" }),
            vec![],
        )
        .await,
    );
    assert_eq!(e.code, "db.type");
    assert!(
        e.message.contains("\"span\"") && e.message.contains("INTERVAL"),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn an_injection_attempt_stays_data() {
    let (db, node) = setup().await;
    let cred = db.credential(PASSWORD);
    let evil = "x'); DROP TABLE users; --";
    items(
        run(
            &node,
            &cred,
            json!({ "credential": "pg", "operation": "execute", "sql": "INSERT INTO users (id, name) VALUES (7, $1)", "params": ["{{ $json.name }}"] }),
            vec![json!({ "name": evil })],
        )
        .await,
    );
    let rows = items(run(&node, &cred, json!({ "credential": "pg", "sql": "SELECT name FROM users WHERE name = $1", "params": [evil] }), vec![]).await);
    assert_eq!(rows, vec![json!({ "name": evil })]);
    // An expression in the SQL text itself is refused before anything runs.
    let e = failed(
        run(&node, &cred, json!({ "credential": "pg", "sql": "SELECT * FROM users WHERE name = '{{ $json.name }}'" }), vec![json!({ "name": evil })]).await,
    );
    assert_eq!(e.code, "params.invalid");
    assert!(e.message.contains("fixed string"), "{}", e.message);
    // An object is refused for a non-JSON parameter.
    let e = failed(run(&node, &cred, json!({ "credential": "pg", "sql": "SELECT * FROM users WHERE id = $1", "params": [{ "id": 1 }] }), vec![]).await);
    assert_eq!(e.code, "db.params");
    assert!(e.message.contains("an object"), "{}", e.message);
}

#[tokio::test]
async fn max_rows_fails_rather_than_truncating() {
    let (db, node) = setup().await;
    let cred = db.credential(PASSWORD);
    let e = failed(
        run(&node, &cred, json!({ "credential": "pg", "sql": "SELECT g FROM generate_series(1, 50) g", "maxRows": 10 }), vec![]).await,
    );
    assert_eq!(e.code, "db.too_many_rows");
    assert_eq!(e.kind, ErrorKind::Permanent);
    let rows = items(run(&node, &cred, json!({ "credential": "pg", "sql": "SELECT g FROM generate_series(1, 10) g", "maxRows": 10 }), vec![]).await);
    assert_eq!(rows.len(), 10);
}

#[tokio::test]
async fn a_syntax_error_names_the_statement_and_state() {
    let (db, node) = setup().await;
    let cred = db.credential(PASSWORD);
    let e = failed(
        run(
            &node,
            &cred,
            json!({ "credential": "pg", "operation": "statements", "statements": [{ "sql": "SELECT 1" }, { "sql": "SELEC name FROM users" }] }),
            vec![],
        )
        .await,
    );
    assert_eq!(e.kind, ErrorKind::Permanent);
    assert_eq!(e.details["statementIndex"], 1);
    assert_eq!(e.details["sqlState"], "42601");
    assert!(e.message.contains("syntax error"), "{}", e.message);
    // The pool keeps working after errors.
    let rows = items(
        run(
            &node,
            &cred,
            json!({ "credential": "pg", "sql": "SELECT 1 AS one" }),
            vec![],
        )
        .await,
    );
    assert_eq!(rows, vec![json!({ "one": 1 })]);
}

#[tokio::test]
async fn refused_connections_and_timeouts_are_transient_and_never_show_the_password() {
    let (db, node) = setup().await;
    let refused = credential(
        "pg",
        "postgres",
        json!({ "host": "127.0.0.1", "port": closed_port(), "user": "postgres", "password": PASSWORD, "database": db.name }),
    );
    let (r, secrets) = run_with(
        &node,
        &[&refused],
        json!({ "credential": "pg", "sql": "SELECT 1" }),
        vec![],
    )
    .await;
    let e = failed(r);
    assert_eq!(e.kind, ErrorKind::Transient, "{e:?}");
    assert_eq!(e.code, "db.connection");
    assert!(
        secrets.iter().any(|s| s == PASSWORD),
        "the password is registered for redaction"
    );
    let url = credential(
        "pg",
        "postgres",
        json!({ "url": format!("postgres://postgres:{PASSWORD}@127.0.0.1:{}/x", closed_port()) }),
    );
    let wrong_db = credential(
        "pg",
        "postgres",
        json!({ "url": format!("postgres://postgres:{PASSWORD}@127.0.0.1:5432/no_such_db_weft") }),
    );
    let bad_url = credential(
        "pg",
        "postgres",
        json!({ "url": format!("postgres://postgres:{PASSWORD}@127.0.0.1:port/x") }),
    );
    let mut errors = vec![e];
    for c in [&url, &wrong_db, &bad_url] {
        errors.push(failed(
            run(
                &node,
                c,
                json!({ "credential": "pg", "sql": "SELECT 1" }),
                vec![],
            )
            .await,
        ));
    }
    assert_eq!(errors[1].kind, ErrorKind::Transient);
    assert_eq!(errors[2].kind, ErrorKind::Permanent, "{:?}", errors[2]);
    assert_eq!(errors[2].details["sqlState"], "3D000");
    assert_eq!(errors[3].code, "credential.invalid");
    let t = std::time::Instant::now();
    let cred = db.credential(PASSWORD);
    let e = failed(
        run(
            &node,
            &cred,
            json!({ "credential": "pg", "sql": "SELECT pg_sleep(5)", "timeout": "300ms" }),
            vec![],
        )
        .await,
    );
    assert!(t.elapsed() < std::time::Duration::from_secs(3));
    assert_eq!(
        (e.kind, e.code.as_str()),
        (ErrorKind::Transient, "db.timeout")
    );
    errors.push(e);
    for e in &errors {
        let text = serde_json::to_string(&e.to_item()).unwrap_or_default();
        assert!(!text.contains(PASSWORD), "password leaked: {text}");
    }
}
