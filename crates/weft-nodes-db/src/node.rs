//! `db.query@1`: the node type, its pools, and the per-item loop.

use crate::backend::{Collect, Limits, Stmt, Stop};
use crate::mysql::{self, MySqlPool};
use crate::params::{DbParams, Operation, check_fixed_sql, info};
use crate::pg::{self, PgPool};
use crate::pool::PoolMap;
use crate::sqlite::{self, SqlitePool};
use crate::target::{Target, pool_key, target};
use async_trait::async_trait;
use serde_json::{Map, Value, json};
use weft_node_api::{
    Credential, LogLevel, NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, ResolvedPorts,
    StepContext, StepResult,
};
use weft_nodes::common::{cancelled, main_in_main_out};

/// `db.query@1` ("Database Agent"): runs bound-parameter SQL once per input item (once with
/// `$json = {}` when there is none). Keeps a bounded connection pool per credential.
pub struct DbQueryNode {
    pg: PoolMap<PgPool>,
    mysql: PoolMap<MySqlPool>,
    sqlite: PoolMap<SqlitePool>,
}

impl DbQueryNode {
    /// A node type with no connections yet.
    pub fn new() -> Self {
        DbQueryNode {
            pg: PoolMap::default(),
            mysql: PoolMap::default(),
            sqlite: PoolMap::default(),
        }
    }
}

impl Default for DbQueryNode {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for DbQueryNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbQueryNode").finish_non_exhaustive()
    }
}

#[async_trait]
impl NodeType for DbQueryNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, _params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        Ok(main_in_main_out())
    }

    async fn execute(&self, ctx: &StepContext, input: NodeInput) -> Result<StepResult, NodeError> {
        check_fixed_sql(&ctx.params)?;
        let items = input.main_items();
        let runs = items.len().max(1);
        let mut out = Vec::new();
        let mut credential: Option<Credential> = None;
        for i in 0..runs {
            if ctx.cancel.is_cancelled() {
                return Err(cancelled());
            }
            let p: DbParams = ctx.params_for(items, i)?;
            if p.max_rows == 0 {
                return Err(NodeError::invalid_params(
                    "/params/maxRows",
                    "must be at least 1",
                ));
            }
            let stmts: Vec<Stmt> = p
                .statements()?
                .into_iter()
                .map(|s| Stmt {
                    sql: s.sql,
                    params: s.params,
                })
                .collect();
            let cred = match credential.take() {
                Some(c) if c.id == p.credential => c,
                _ => ctx.credential(&p.credential).await?,
            };
            let (collect, transaction) = match p.operation {
                Operation::Query => (Collect::Rows, false),
                Operation::Execute => (Collect::Count, false),
                Operation::Statements => (Collect::Auto, true),
            };
            let limits = Limits {
                max_rows: p.max_rows,
                timeout: p
                    .timeout
                    .as_duration()
                    .max(std::time::Duration::from_millis(1)),
            };
            let tgt = target(&cred)?;
            let backend = tgt.backend();
            let key = pool_key(&cred);
            let count = stmts.len();
            let result = match tgt {
                Target::Postgres(opts) => {
                    let pool = self.pg.get_or_insert(&key, Default::default);
                    pg::run(
                        &pool,
                        &opts,
                        &stmts,
                        collect,
                        transaction,
                        limits,
                        &ctx.cancel,
                    )
                    .await
                }
                Target::MySql(opts) => {
                    let pool = self.mysql.get_or_insert(&key, Default::default);
                    mysql::run(
                        &pool,
                        &opts,
                        &stmts,
                        collect,
                        transaction,
                        limits,
                        &ctx.cancel,
                    )
                    .await
                }
                Target::Sqlite { path, read_only } => {
                    let pool = self.sqlite.get_or_insert(&key, Default::default);
                    sqlite::run(
                        &pool,
                        path,
                        read_only,
                        stmts,
                        collect,
                        transaction,
                        limits,
                        &ctx.cancel,
                    )
                    .await
                }
            };
            credential = Some(cred);
            let outputs = match result {
                Ok(o) => o,
                Err((_, Stop::Cancelled)) => return Err(cancelled()),
                Err((at, Stop::Failed(f))) => {
                    let mut e = f.into_node_error(backend, at);
                    if let Value::Object(d) = &mut e.details {
                        d.insert("itemIndex".into(), json!(i));
                    }
                    ctx.log(LogLevel::Warn, format!("item {i}: {}", e.message));
                    return Err(e);
                }
            };
            match p.operation {
                Operation::Query => {
                    let rows: Vec<Value> = outputs
                        .into_iter()
                        .flat_map(|o| o.rows.unwrap_or_default())
                        .collect();
                    ctx.log(
                        LogLevel::Debug,
                        format!("item {i}: {backend} query returned {} row(s)", rows.len()),
                    );
                    out.extend(rows);
                }
                Operation::Execute => {
                    out.extend(outputs.iter().map(|o| o.to_json()));
                }
                Operation::Statements => {
                    ctx.log(
                        LogLevel::Debug,
                        format!(
                            "item {i}: {backend} transaction of {count} statement(s) committed"
                        ),
                    );
                    let results: Vec<Value> = outputs.iter().map(|o| o.to_json()).collect();
                    out.push(json!({ "results": results }));
                }
            }
        }
        Ok(StepResult::Done(NodeOutput::main(out)))
    }
}
