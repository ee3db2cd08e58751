//! The params of `db.query@1`: their JSON Schema (which drives the UI form) and their reading.

use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use weft_model::Millis;
use weft_node_api::{NodeError, NodeTypeInfo, Purity};
use weft_nodes::common::{node_info, object_schema, with_keyword};

/// Most rows one statement may return before the step fails with `db.too_many_rows`.
pub const DEFAULT_MAX_ROWS: u64 = 10_000;
/// Default time allowed for one statement (connecting included).
pub const DEFAULT_TIMEOUT: &str = "30s";

/// What the step does with each input item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Operation {
    /// One statement; its rows become output items.
    #[default]
    Query,
    /// One statement; emits `{rowsAffected, lastInsertId}`.
    Execute,
    /// Several statements in one transaction; emits `{results: [...]}`.
    Statements,
}

/// One statement of a `statements` batch.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatementParams {
    pub sql: String,
    #[serde(default)]
    pub params: Vec<Value>,
}

/// The params as rendered for one item.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DbParams {
    pub credential: String,
    #[serde(default)]
    pub operation: Operation,
    pub sql: Option<String>,
    #[serde(default)]
    pub params: Vec<Value>,
    pub statements: Option<Vec<StatementParams>>,
    #[serde(default = "default_max_rows")]
    pub max_rows: u64,
    #[serde(default = "default_timeout")]
    pub timeout: Millis,
}

fn default_max_rows() -> u64 {
    DEFAULT_MAX_ROWS
}

fn default_timeout() -> Millis {
    DEFAULT_TIMEOUT.parse().unwrap_or(Millis(30_000))
}

impl DbParams {
    /// The statements to run, checked against the operation.
    pub fn statements(&self) -> Result<Vec<StatementParams>, NodeError> {
        match (self.operation, &self.sql, &self.statements) {
            (Operation::Statements, None, Some(list)) if !list.is_empty() => {
                if !self.params.is_empty() {
                    return Err(NodeError::invalid_params(
                        "/params/params",
                        "with operation `statements`, give each statement its own `params`",
                    ));
                }
                Ok(list.clone())
            }
            (Operation::Statements, Some(_), _) => Err(NodeError::invalid_params(
                "/params/sql",
                "with operation `statements`, put the SQL in `statements[].sql`",
            )),
            (Operation::Statements, None, _) => Err(NodeError::invalid_params(
                "/params/statements",
                "operation `statements` needs a non-empty array of {sql, params}",
            )),
            (_, _, Some(_)) => Err(NodeError::invalid_params(
                "/params/statements",
                "`statements` is only for operation `statements`",
            )),
            (_, None, None) => Err(NodeError::invalid_params(
                "/params/sql",
                "operations `query` and `execute` need `sql`",
            )),
            (_, Some(sql), None) => Ok(vec![StatementParams {
                sql: sql.clone(),
                params: self.params.clone(),
            }]),
        }
    }
}

/// Refuses `{{ }}` in SQL text as written: values reach the database only as bound params.
pub(crate) fn check_fixed_sql(raw: &Map<String, Value>) -> Result<(), NodeError> {
    let refuse = |pointer: &str| {
        NodeError::invalid_params(
            pointer,
            "SQL must be a fixed string, not an expression: put values in `params` and refer \
             to them as $1, $2… (PostgreSQL) or ? (MySQL, SQLite), so they are bound, never \
             spliced into the SQL",
        )
    };
    if let Some(Value::String(s)) = raw.get("sql")
        && weft_expr::contains_expression(s)
    {
        return Err(refuse("/params/sql"));
    }
    match raw.get("statements") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for (i, st) in list.iter().enumerate() {
                if let Some(Value::String(s)) = st.get("sql")
                    && weft_expr::contains_expression(s)
                {
                    return Err(refuse(&format!("/params/statements/{i}/sql")));
                }
            }
        }
        Some(_) => {
            return Err(NodeError::invalid_params(
                "/params/statements",
                "must be written as an array of {sql, params}, not computed by an expression \
                 (the SQL must be fixed; the params inside may be expressions)",
            ));
        }
    }
    Ok(())
}

pub(crate) fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let query = json!({
            "credential": "cred-orders-db",
            "operation": "query",
            "sql": "SELECT id, total, created_at FROM orders WHERE customer_id = $1 AND status = $2",
            "params": ["{{ $json.customerId }}", "paid"],
            "maxRows": 500,
            "timeout": "10s",
        });
        let execute = json!({
            "credential": "cred-shop-mysql",
            "operation": "execute",
            "sql": "UPDATE stock SET quantity = quantity - ? WHERE sku = ?",
            "params": ["{{ $json.quantity }}", "{{ $json.sku }}"],
        });
        let statements = json!({
            "credential": "cred-orders-db",
            "operation": "statements",
            "statements": [
                { "sql": "INSERT INTO orders (id, total) VALUES ($1, $2)", "params": ["{{ $json.id }}", "{{ $json.total }}"] },
                { "sql": "UPDATE customers SET order_count = order_count + 1 WHERE id = $1", "params": ["{{ $json.customerId }}"] },
            ],
        });
        let param_value = json!({
            "description": "A value bound to one placeholder: string, number, boolean or null. An object or array is accepted only for a PostgreSQL json/jsonb parameter.",
        });
        let schema = object_schema(
            "db.query params",
            json!({
                "credential": {
                    "type": "string",
                    "minLength": 1,
                    "description": "Id of a stored credential. Its kind picks the database: postgres or mysql {url} or {host, port, user, password, database, sslMode?}; sqlite {path, readOnly?}. Its values are removed from the step's output, logs and errors.",
                    "examples": ["cred-orders-db"],
                },
                "operation": {
                    "type": "string",
                    "enum": ["query", "execute", "statements"],
                    "description": "query: run `sql` and emit each row as an item; execute: run `sql` and emit {rowsAffected, lastInsertId}; statements: run `statements` in one transaction (all or nothing) and emit {results: [...]}, one result per statement. Each input item is one run (one transaction for `statements`).",
                    "default": "query",
                },
                "sql": {
                    "type": "string",
                    "minLength": 1,
                    "description": "One SQL statement, written as a fixed string (expressions are refused). Values go in `params`: $1, $2… on PostgreSQL, ? on MySQL/MariaDB and SQLite.",
                    "examples": ["SELECT * FROM users WHERE id = $1", "DELETE FROM sessions WHERE user_id = ?"],
                },
                "params": {
                    "type": "array",
                    "items": param_value,
                    "description": "Values bound to the placeholders of `sql`, in order, rendered per input item (e.g. \"{{ $json.id }}\"). They are never spliced into the SQL text.",
                    "default": [],
                    "examples": [["{{ $json.id }}", 42, true, null]],
                },
                "statements": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["sql"],
                        "properties": {
                            "sql": { "type": "string", "minLength": 1, "description": "A fixed SQL statement." },
                            "params": { "type": "array", "items": param_value, "description": "Its bound values.", "default": [] },
                        },
                    },
                    "description": "For operation `statements`: the statements run in order inside one transaction; if one fails, all are rolled back. On MySQL/MariaDB, DDL (CREATE, ALTER, DROP) commits implicitly and cannot be rolled back.",
                    "examples": [[{ "sql": "DELETE FROM cart WHERE user_id = $1", "params": ["{{ $json.userId }}"] }]],
                },
                "maxRows": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "Most rows one statement may return. More fails the step with db.too_many_rows (never a silent truncation): add a LIMIT to the SQL or raise this.",
                    "default": DEFAULT_MAX_ROWS,
                },
                "timeout": {
                    "type": ["string", "number"],
                    "minimum": 1,
                    "description": "Time allowed for each statement, connecting included: \"30s\", \"2m\" or milliseconds. A timeout is retryable.",
                    "default": DEFAULT_TIMEOUT,
                    "examples": ["5s", 1500],
                },
            }),
            &["credential"],
            vec![query.clone(), execute, statements],
        );
        let schema = with_keyword(
            schema,
            "allOf",
            json!([{
                "if": { "properties": { "operation": { "const": "statements" } }, "required": ["operation"] },
                "then": { "required": ["statements"], "not": { "anyOf": [{ "required": ["sql"] }, { "required": ["params"] }] } },
                "else": { "required": ["sql"], "not": { "required": ["statements"] } },
            }]),
        );
        node_info(
            "db.query",
            "Database Agent",
            "Integration",
            &format!(
                "Runs SQL against PostgreSQL, MySQL/MariaDB or SQLite with bound parameters, once \
                 per input item: rows as items, affected-row counts, or several statements in one \
                 transaction. Rows map to JSON: integers and floats as numbers, numeric/decimal as \
                 strings, binary as base64, timestamps as RFC 3339, json/jsonb as JSON, uuid as \
                 text (on MariaDB, a JSON or other binary-collation text column reads as binary: select \
                 it with CAST(col AS CHAR)). Connection failures and timeouts are retryable; SQL errors are not and \
                 carry the SQL state and statement index. Example params: {query}"
            ),
            Purity::Effectful,
            schema,
        )
    })
}
