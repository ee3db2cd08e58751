//! Step contexts with credentials, and throwaway databases.

use async_trait::async_trait;
use serde_json::{Map, Value};
use sqlx_core::connection::{ConnectOptions, Connection};
use sqlx_core::executor::Executor;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio_util::sync::CancellationToken;
use weft_node_api::{
    ChildOutcome, ChildRequest, Credential, EngineServices, NodeError, NodeInput, NodeType,
    StepContext, StepResult,
};
use weft_nodes_db::DbQueryNode;

pub use weft_nodes::testing::{done, failed};

/// Engine services that hold a few credentials and refuse child runs.
pub struct Creds(pub HashMap<String, Credential>);

#[async_trait]
impl EngineServices for Creds {
    async fn run_child(&self, _: &StepContext, _: ChildRequest) -> Result<ChildOutcome, NodeError> {
        Err(NodeError::permanent(
            "test.no_children",
            "no child runs here",
        ))
    }
    async fn credential(&self, _: &StepContext, id: &str) -> Result<Credential, NodeError> {
        self.0.get(id).cloned().ok_or_else(|| {
            NodeError::permanent("credential.not_found", format!("no credential {id:?}"))
        })
    }
}

/// A credential with these fields.
pub fn credential(id: &str, kind: &str, fields: Value) -> Credential {
    let Value::Object(fields) = fields else {
        panic!("fields must be an object")
    };
    Credential {
        id: id.into(),
        name: format!("{id} name"),
        kind: kind.into(),
        fields,
    }
}

/// Runs the node once with these params, items and credentials; also returns the secrets the
/// step registered for redaction.
pub async fn run_with(
    node: &DbQueryNode,
    creds: &[&Credential],
    params: Value,
    items: Vec<Value>,
) -> (Result<StepResult, NodeError>, Vec<String>) {
    let map = creds.iter().map(|c| (c.id.clone(), (*c).clone())).collect();
    let ctx = weft_nodes::testing::ctx_with(params, Arc::new(Creds(map)), CancellationToken::new());
    let r = node.execute(&ctx, NodeInput::main(items)).await;
    (r, ctx.take_secrets())
}

/// Runs and returns the result only.
pub async fn run(
    node: &DbQueryNode,
    cred: &Credential,
    params: Value,
    items: Vec<Value>,
) -> Result<StepResult, NodeError> {
    run_with(node, &[cred], params, items).await.0
}

/// The `main` items of a finished step.
pub fn items(r: Result<StepResult, NodeError>) -> Vec<Value> {
    done(r)
        .get("main")
        .map(<[Value]>::to_vec)
        .unwrap_or_default()
}

/// A port on 127.0.0.1 that nothing listens on.
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    drop(l);
    port
}

/// A name unique to this process and call.
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{nanos}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs admin SQL on a fresh thread and runtime (usable from `Drop`).
fn blocking<F: std::future::Future<Output = ()> + Send + 'static>(f: F) {
    let _ = std::thread::spawn(move || {
        if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            rt.block_on(f);
        }
    })
    .join();
}

pub const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";
pub const MYSQL_ADMIN: &str = "mysql://root@127.0.0.1:3306/mysql";

/// A PostgreSQL database made for one test and dropped after it.
pub struct PgDb {
    pub name: String,
}

impl PgDb {
    /// Creates the database; fails loudly when PostgreSQL is not reachable.
    pub async fn new() -> Self {
        let name = unique("weft_db_test");
        let opts: sqlx_postgres::PgConnectOptions = PG_ADMIN.parse().expect("admin url");
        let mut admin = opts.connect().await.unwrap_or_else(|e| {
            panic!("these tests need PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth) and could not reach it: {e}")
        });
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create database");
        let _ = admin.close().await;
        PgDb { name }
    }

    /// A credential for it, with a password that trust auth ignores (to check it never shows).
    pub fn credential(&self, password: &str) -> Credential {
        credential(
            "pg",
            "postgres",
            serde_json::json!({ "host": "127.0.0.1", "port": 5432, "user": "postgres", "password": password, "database": self.name, "sslMode": "disable" }),
        )
    }

    /// Admin SQL inside the test database.
    pub async fn exec(&self, sql: &str) {
        let opts: sqlx_postgres::PgConnectOptions =
            format!("postgres://postgres@127.0.0.1:5432/{}", self.name)
                .parse()
                .expect("url");
        let mut c = opts.connect().await.expect("connect to the test database");
        sqlx_core::raw_sql::raw_sql(sql)
            .execute(&mut c)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = c.close().await;
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        blocking(async move {
            let opts: sqlx_postgres::PgConnectOptions = match PG_ADMIN.parse() {
                Ok(o) => o,
                Err(_) => return,
            };
            if let Ok(mut admin) = opts.connect().await {
                let _ = admin
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await;
                let _ = admin.close().await;
            }
        });
    }
}

/// A MySQL/MariaDB database and a password-protected user, made for one test and dropped
/// after it.
pub struct MyDb {
    pub name: String,
    pub user: String,
    pub password: String,
}

impl MyDb {
    /// Creates both; fails loudly when the server is not reachable.
    pub async fn new() -> Self {
        let name = unique("weft_db_test");
        let user = unique("weft_u").chars().take(32).collect::<String>();
        let password = format!("Pw-{}-S3cr3t", unique("x"));
        let opts: sqlx_mysql::MySqlConnectOptions = MYSQL_ADMIN.parse().expect("admin url");
        let mut admin = opts.connect().await.unwrap_or_else(|e| {
            panic!("these tests need MariaDB/MySQL at 127.0.0.1:3306 (user root, empty password) and could not reach it: {e}")
        });
        for sql in [
            format!("CREATE DATABASE {name}"),
            format!("CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY '{password}'"),
            format!("GRANT ALL ON {name}.* TO '{user}'@'127.0.0.1'"),
        ] {
            sqlx_core::raw_sql::raw_sql(&sql)
                .execute(&mut admin)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let _ = admin.close().await;
        MyDb {
            name,
            user,
            password,
        }
    }

    /// A credential for the test user.
    pub fn credential(&self) -> Credential {
        credential(
            "my",
            "mysql",
            serde_json::json!({ "host": "127.0.0.1", "port": 3306, "user": self.user, "password": self.password, "database": self.name, "sslMode": "disabled" }),
        )
    }

    /// Admin SQL inside the test database.
    pub async fn exec(&self, sql: &str) {
        let opts: sqlx_mysql::MySqlConnectOptions =
            format!("mysql://root@127.0.0.1:3306/{}", self.name)
                .parse()
                .expect("url");
        let mut c = opts.connect().await.expect("connect to the test database");
        sqlx_core::raw_sql::raw_sql(sql)
            .execute(&mut c)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = c.close().await;
    }
}

impl Drop for MyDb {
    fn drop(&mut self) {
        let (name, user) = (self.name.clone(), self.user.clone());
        blocking(async move {
            let opts: sqlx_mysql::MySqlConnectOptions = match MYSQL_ADMIN.parse() {
                Ok(o) => o,
                Err(_) => return,
            };
            if let Ok(mut admin) = opts.connect().await {
                let _ = admin
                    .execute(format!("DROP DATABASE IF EXISTS {name}").as_str())
                    .await;
                let _ = admin
                    .execute(format!("DROP USER IF EXISTS '{user}'@'127.0.0.1'").as_str())
                    .await;
                let _ = admin.close().await;
            }
        });
    }
}

/// Params as a map (for schema checks).
pub fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("not an object"),
    }
}
