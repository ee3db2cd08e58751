//! How database failures become step errors: transient (connection refused, timeouts,
//! deadlocks, serialization failures) or permanent (SQL errors, constraint violations, auth),
//! with the database's own message, its SQL state and the statement index.

use serde_json::{Map, Value, json};
use std::time::Duration;
use weft_node_api::NodeError;

/// A failure of one statement (or of connecting, when `statement` is `None`).
pub(crate) struct DbFailure {
    pub transient: bool,
    pub code: &'static str,
    pub message: String,
    pub sql_state: Option<String>,
    pub details: Map<String, Value>,
    /// The connection is still in a known state (the database reported the error, or nothing
    /// was sent): it may be rolled back and reused.
    pub reusable: bool,
}

impl DbFailure {
    pub fn permanent(code: &'static str, message: impl Into<String>) -> Self {
        DbFailure {
            transient: false,
            code,
            message: message.into(),
            sql_state: None,
            details: Map::new(),
            reusable: false,
        }
    }

    pub fn transient(code: &'static str, message: impl Into<String>) -> Self {
        DbFailure {
            transient: true,
            ..Self::permanent(code, message)
        }
    }

    /// Marks the connection as still usable.
    pub fn reusable(mut self) -> Self {
        self.reusable = true;
        self
    }

    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_string(), value.into());
        self
    }

    /// The step error, naming the backend and the statement.
    pub fn into_node_error(self, backend: &str, statement: Option<usize>) -> NodeError {
        let message = match statement {
            Some(i) => format!("{backend} statement {i}: {}", self.message),
            None => format!("{backend}: {}", self.message),
        };
        let mut details = self.details;
        details.insert("backend".into(), json!(backend));
        if let Some(i) = statement {
            details.insert("statementIndex".into(), json!(i));
        }
        if let Some(state) = self.sql_state {
            details.insert("sqlState".into(), json!(state));
        }
        let e = if self.transient {
            NodeError::transient(self.code, message)
        } else {
            NodeError::permanent(self.code, message)
        };
        e.with_details(Value::Object(details))
    }
}

/// The statement did not finish in time.
pub(crate) fn timed_out(timeout: Duration) -> DbFailure {
    DbFailure::transient(
        "db.timeout",
        format!(
            "did not finish within {}",
            weft_model::Millis::from_duration(timeout)
        ),
    )
}

/// Too many rows for `maxRows`.
pub(crate) fn too_many_rows(max: u64) -> DbFailure {
    DbFailure::permanent(
        "db.too_many_rows",
        format!("returned more than maxRows = {max} rows; add a LIMIT to the SQL or raise maxRows"),
    )
    .detail("maxRows", max)
}

/// Whether a SQL state (PostgreSQL's and MySQL's share the standard classes) is worth a retry.
fn transient_state(state: &str) -> bool {
    matches!(
        state,
        "40001" | "40P01" | "55P03" | "57P01" | "57P02" | "57P03" | "53300"
    ) || state.starts_with("08")
        || state.starts_with("53")
}

/// A sqlx error of a statement (or of connecting).
pub(crate) fn from_sqlx(e: sqlx_core::Error) -> DbFailure {
    use sqlx_core::Error as E;
    match e {
        E::Database(db) => {
            let state = db.code().map(|c| c.into_owned());
            let mut f = DbFailure::permanent("db.sql", db.message().to_string());
            if let Some(pg) = db.try_downcast_ref::<sqlx_postgres::PgDatabaseError>() {
                if let Some(d) = pg.detail() {
                    f = f.detail("detail", d);
                }
                if let Some(h) = pg.hint() {
                    f = f.detail("hint", h);
                }
                if let Some(c) = pg.constraint() {
                    f = f.detail("constraint", c);
                }
                if let Some(t) = pg.table() {
                    f = f.detail("table", t);
                }
                if let Some(c) = pg.column() {
                    f = f.detail("column", c);
                }
                if let Some(sqlx_postgres::PgErrorPosition::Original(p)) = pg.position() {
                    f = f.detail("position", p);
                }
            }
            let mut transient = state.as_deref().is_some_and(transient_state);
            if let Some(my) = db.try_downcast_ref::<sqlx_mysql::MySqlDatabaseError>() {
                f = f.detail("errorNumber", my.number());
                // Lock wait timeout, deadlock, too many connections, server shutting down.
                transient |= matches!(my.number(), 1205 | 1213 | 1040 | 1053);
            }
            if matches!(state.as_deref(), Some(s) if s.starts_with("28")) {
                f.code = "db.auth";
            }
            f.transient = transient;
            f.sql_state = state;
            f.reusable = true;
            f
        }
        E::Io(io) => DbFailure::transient(
            "db.connection",
            format!("could not reach the database: {io}"),
        ),
        E::Tls(tls) => DbFailure::permanent("db.tls", format!("TLS failed: {tls}")),
        E::Protocol(p) => DbFailure::transient("db.connection", format!("protocol error: {p}")),
        E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed => {
            DbFailure::transient("db.connection", e.to_string())
        }
        E::Configuration(_) => DbFailure::permanent(
            "db.configuration",
            "the connection settings were refused by the driver",
        ),
        other => DbFailure::permanent("db.driver", other.to_string()),
    }
}

/// A rusqlite error of a statement (or of opening the file).
pub(crate) fn from_rusqlite(e: rusqlite::Error) -> DbFailure {
    use rusqlite::ErrorCode as C;
    match e {
        rusqlite::Error::SqliteFailure(err, msg) => {
            let transient = matches!(err.code, C::DatabaseBusy | C::DatabaseLocked);
            let message = msg.unwrap_or_else(|| err.to_string());
            let mut f = if transient {
                DbFailure::transient("db.sql", message)
            } else {
                DbFailure::permanent("db.sql", message)
            };
            if matches!(
                err.code,
                C::CannotOpen | C::PermissionDenied | C::NotADatabase
            ) {
                f.code = "db.connection";
            }
            f.detail("sqliteCode", err.extended_code)
                .detail("sqliteError", format!("{:?}", err.code))
        }
        other => DbFailure::permanent("db.sql", other.to_string()),
    }
}
