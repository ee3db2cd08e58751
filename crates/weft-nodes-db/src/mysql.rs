//! MySQL and MariaDB: `?` placeholders bound from JSON scalars (the server converts strings to
//! dates and decimals itself), rows decoded by column type. The session time zone is UTC (the
//! driver sets it), so TIMESTAMP columns come out as UTC instants.

use crate::backend::{
    Cancel, Collect, Limits, Stmt, StmtOutput, Stop, guarded, insert_unique, structured_param,
};
use crate::error::{DbFailure, from_sqlx, too_many_rows};
use crate::pool::ConnPool;
use base64::Engine as _;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use futures_util::TryStreamExt;
use serde_json::{Map, Value};
use sqlx_core::arguments::Arguments;
use sqlx_core::column::Column;
use sqlx_core::connection::ConnectOptions;
use sqlx_core::executor::Executor;
use sqlx_core::row::Row;
use sqlx_core::statement::Statement;
use sqlx_core::type_info::TypeInfo;
use sqlx_core::value::ValueRef;
use sqlx_mysql::types::MySqlTime;
use sqlx_mysql::{MySqlArguments, MySqlConnectOptions, MySqlConnection, MySqlRow};
use std::sync::Arc;

/// Connections to one MySQL/MariaDB credential.
pub(crate) type MySqlPool = ConnPool<MySqlConnection>;

/// Runs the statements on one connection, in a transaction when asked. On failure, returns the
/// index of the failing statement (none for connecting, `BEGIN` and `COMMIT`).
pub(crate) async fn run(
    pool: &Arc<MySqlPool>,
    opts: &MySqlConnectOptions,
    stmts: &[Stmt],
    collect: Collect,
    transaction: bool,
    limits: Limits,
    cancel: &Cancel,
) -> Result<Vec<StmtOutput>, (Option<usize>, Stop)> {
    let (lease, idle) = guarded(cancel, limits.timeout, async { Ok(pool.acquire().await) })
        .await
        .map_err(|s| (None, s))?;
    let mut conn = match idle {
        Some(c) => c,
        None => guarded(cancel, limits.timeout, async {
            opts.connect().await.map_err(from_sqlx)
        })
        .await
        .map_err(|s| (None, s))?,
    };
    if transaction {
        guarded(cancel, limits.timeout, async {
            conn.execute("START TRANSACTION")
                .await
                .map(drop)
                .map_err(from_sqlx)
        })
        .await
        .map_err(|s| (None, s))?;
    }
    let mut outputs = Vec::with_capacity(stmts.len());
    for (i, st) in stmts.iter().enumerate() {
        match guarded(
            cancel,
            limits.timeout,
            one(&mut conn, st, collect, limits.max_rows),
        )
        .await
        {
            Ok(out) => outputs.push(out),
            Err(stop) => {
                if matches!(&stop, Stop::Failed(f) if f.reusable) {
                    let clean = !transaction
                        || guarded(cancel, limits.timeout, async {
                            conn.execute("ROLLBACK").await.map(drop).map_err(from_sqlx)
                        })
                        .await
                        .is_ok();
                    if clean {
                        lease.keep(conn);
                    }
                }
                return Err((Some(i), stop));
            }
        }
    }
    if transaction {
        guarded(cancel, limits.timeout, async {
            conn.execute("COMMIT").await.map(drop).map_err(from_sqlx)
        })
        .await
        .map_err(|s| (None, s))?;
    }
    lease.keep(conn);
    Ok(outputs)
}

async fn one(
    conn: &mut MySqlConnection,
    st: &Stmt,
    collect: Collect,
    max_rows: u64,
) -> Result<StmtOutput, DbFailure> {
    let stmt = conn
        .prepare_with(st.sql.as_str(), &[])
        .await
        .map_err(from_sqlx)?;
    let expected = match stmt.parameters() {
        Some(sqlx_core::Either::Right(n)) => n,
        Some(sqlx_core::Either::Left(t)) => t.len(),
        None => st.params.len(),
    };
    if expected != st.params.len() {
        return Err(DbFailure::permanent(
            "db.params",
            format!(
                "the SQL has {expected} placeholder(s) (?) but {} param(s) were given",
                st.params.len()
            ),
        )
        .reusable());
    }
    let mut args = MySqlArguments::default();
    for (i, v) in st.params.iter().enumerate() {
        let added = match v {
            Value::Null => args.add(Option::<String>::None),
            Value::Bool(b) => args.add(*b),
            Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(x), _, _) => args.add(x),
                (_, Some(x), _) => args.add(x),
                (_, _, Some(x)) => args.add(x),
                _ => args.add(n.to_string()),
            },
            Value::String(s) => args.add(s.clone()),
            Value::Object(_) | Value::Array(_) => {
                return Err(structured_param(
                    i,
                    v,
                    "MySQL/MariaDB take JSON as text: pass a JSON string (e.g. {{ JSON.stringify($json.tags) }}) to a JSON column",
                )
                .reusable());
            }
        };
        added.map_err(|e| {
            DbFailure::permanent("db.params", format!("parameter {}: {e}", i + 1)).reusable()
        })?;
    }
    let want_rows = match collect {
        Collect::Rows => true,
        Collect::Count => false,
        Collect::Auto => !stmt.columns().is_empty(),
    };
    let query = stmt.query_with(args);
    if want_rows {
        let mut rows = Vec::new();
        let mut stream = query.fetch(&mut *conn);
        while let Some(row) = stream.try_next().await.map_err(from_sqlx)? {
            if rows.len() as u64 >= max_rows {
                return Err(too_many_rows(max_rows));
            }
            rows.push(row_json(&row)?);
        }
        Ok(StmtOutput {
            rows: Some(rows),
            ..StmtOutput::default()
        })
    } else {
        let done = query.execute(&mut *conn).await.map_err(from_sqlx)?;
        Ok(StmtOutput {
            rows_affected: Some(done.rows_affected()),
            last_insert_id: Some(done.last_insert_id())
                .filter(|id| *id != 0)
                .and_then(|id| i64::try_from(id).ok()),
            rows: None,
        })
    }
}

fn row_json(row: &MySqlRow) -> Result<Value, DbFailure> {
    let mut m = Map::new();
    for (i, col) in row.columns().iter().enumerate() {
        let raw = row.try_get_raw(i).map_err(from_sqlx)?;
        let v = if raw.is_null() {
            Value::Null
        } else {
            cell(row, i, col.name(), col.type_info().name())?
        };
        insert_unique(&mut m, col.name(), v);
    }
    Ok(Value::Object(m))
}

fn cell(row: &MySqlRow, i: usize, column: &str, ty: &str) -> Result<Value, DbFailure> {
    let fail = |e: sqlx_core::Error| {
        DbFailure::permanent(
            "db.type",
            format!("column {column:?} ({ty}) could not be decoded: {e}"),
        )
        .detail("column", column)
        .detail("type", ty)
    };
    let b64 = |b: Vec<u8>| Value::String(base64::engine::general_purpose::STANDARD.encode(b));
    Ok(match ty {
        "BOOLEAN" => Value::Bool(row.try_get_unchecked::<i8, _>(i).map_err(fail)? != 0),
        "TINYINT" | "SMALLINT" | "INT" | "MEDIUMINT" | "BIGINT" => {
            Value::from(row.try_get_unchecked::<i64, _>(i).map_err(fail)?)
        }
        "TINYINT UNSIGNED" | "SMALLINT UNSIGNED" | "INT UNSIGNED" | "MEDIUMINT UNSIGNED"
        | "BIGINT UNSIGNED" | "BIT" => {
            Value::from(row.try_get_unchecked::<u64, _>(i).map_err(fail)?)
        }
        "YEAR" => Value::from(row.try_get_unchecked::<u16, _>(i).map_err(fail)?),
        "FLOAT" => float_json(row.try_get::<f32, _>(i).map_err(fail)? as f64),
        "DOUBLE" => float_json(row.try_get::<f64, _>(i).map_err(fail)?),
        "DECIMAL" => Value::String(row.try_get_unchecked::<String, _>(i).map_err(fail)?),
        "CHAR" | "VARCHAR" | "TINYTEXT" | "TEXT" | "MEDIUMTEXT" | "LONGTEXT" | "ENUM" | "SET" => {
            Value::String(row.try_get_unchecked::<String, _>(i).map_err(fail)?)
        }
        "BINARY" | "VARBINARY" | "TINYBLOB" | "BLOB" | "MEDIUMBLOB" | "LONGBLOB" => {
            b64(row.try_get_unchecked::<Vec<u8>, _>(i).map_err(fail)?)
        }
        "JSON" => {
            let text = row.try_get_unchecked::<String, _>(i).map_err(fail)?;
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        }
        "DATE" => Value::String(
            row.try_get::<NaiveDate, _>(i)
                .map_err(fail)?
                .format("%Y-%m-%d")
                .to_string(),
        ),
        "DATETIME" => Value::String(
            row.try_get::<NaiveDateTime, _>(i)
                .map_err(fail)?
                .format("%Y-%m-%dT%H:%M:%S%.f")
                .to_string(),
        ),
        "TIMESTAMP" => Value::String(
            row.try_get::<DateTime<Utc>, _>(i)
                .map_err(fail)?
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        ),
        "TIME" => Value::String(row.try_get::<MySqlTime, _>(i).map_err(fail)?.to_string()),
        "NULL" => Value::Null,
        other => {
            return Err(DbFailure::permanent(
                "db.type",
                format!(
                    "column {column:?} has type {other}, which db.query cannot map to JSON; convert it in the SQL (e.g. CAST({column} AS CHAR))"
                ),
            )
            .detail("column", column)
            .detail("type", other));
        }
    })
}

fn float_json(f: f64) -> Value {
    serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
}
