//! From a credential to connect options. Nothing here formats a URL, host or password into a
//! message: errors name the credential and the field only.

use serde_json::Value;
use sqlx_mysql::{MySqlConnectOptions, MySqlSslMode};
use sqlx_postgres::{PgConnectOptions, PgSslMode};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::str::FromStr;
use weft_node_api::{Credential, NodeError};

/// Where to connect.
#[derive(Clone)]
pub(crate) enum Target {
    Postgres(Box<PgConnectOptions>),
    MySql(Box<MySqlConnectOptions>),
    Sqlite { path: PathBuf, read_only: bool },
}

impl Target {
    /// The backend's name for messages and details.
    pub fn backend(&self) -> &'static str {
        match self {
            Target::Postgres(_) => "postgres",
            Target::MySql(_) => "mysql",
            Target::Sqlite { .. } => "sqlite",
        }
    }
}

/// The pool key of a credential: kind, id and a digest of its fields, so that an edited
/// credential gets new connections and two credentials never share one.
pub(crate) fn pool_key(credential: &Credential) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    credential.kind.hash(&mut h);
    Value::Object(credential.fields.clone())
        .to_string()
        .hash(&mut h);
    format!("{}/{}/{:016x}", credential.kind, credential.id, h.finish())
}

fn invalid(credential: &Credential, message: impl std::fmt::Display) -> NodeError {
    NodeError::permanent(
        "credential.invalid",
        format!(
            "credential {:?} ({}): {message}",
            credential.name, credential.kind
        ),
    )
}

fn text<'a>(credential: &'a Credential, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|n| credential.fields.get(*n).and_then(Value::as_str))
}

fn port(credential: &Credential) -> Result<Option<u16>, NodeError> {
    match credential.fields.get("port") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .map(Some)
            .ok_or_else(|| invalid(credential, "field \"port\" is not a port number")),
        Some(Value::String(s)) => s
            .parse::<u16>()
            .map(Some)
            .map_err(|_| invalid(credential, "field \"port\" is not a port number")),
        Some(_) => Err(invalid(credential, "field \"port\" is not a port number")),
    }
}

/// Reads a credential of kind `postgres`, `mysql` (also `mariadb`) or `sqlite`.
pub(crate) fn target(credential: &Credential) -> Result<Target, NodeError> {
    match credential.kind.as_str() {
        "postgres" | "postgresql" => postgres(credential).map(|o| Target::Postgres(Box::new(o))),
        "mysql" | "mariadb" => mysql(credential).map(|o| Target::MySql(Box::new(o))),
        "sqlite" => {
            let path = text(credential, &["path", "file"])
                .filter(|p| !p.is_empty())
                .ok_or_else(|| invalid(credential, "needs a text field \"path\""))?;
            let read_only = credential
                .fields
                .get("readOnly")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            Ok(Target::Sqlite {
                path: PathBuf::from(path),
                read_only,
            })
        }
        other => Err(NodeError::permanent(
            "credential.kind",
            format!(
                "credential {:?} is of kind {other:?}, which db.query cannot use; use postgres, mysql or sqlite",
                credential.name
            ),
        )),
    }
}

fn postgres(credential: &Credential) -> Result<PgConnectOptions, NodeError> {
    let mut opts = if let Some(url) = text(credential, &["url", "connectionString"]) {
        // The parser's own message could quote the URL, password included: never show it.
        PgConnectOptions::from_str(url).map_err(|_| {
            invalid(
                credential,
                "field \"url\" is not a postgres:// connection URL",
            )
        })?
    } else {
        let mut o = PgConnectOptions::new_without_pgpass()
            .host(text(credential, &["host"]).unwrap_or("localhost"))
            .port(port(credential)?.unwrap_or(5432));
        if let Some(user) = text(credential, &["user", "username"]) {
            o = o.username(user);
        }
        if let Some(password) = text(credential, &["password"]) {
            o = o.password(password);
        }
        if let Some(db) = text(credential, &["database", "dbname"]) {
            o = o.database(db);
        }
        o
    };
    if let Some(mode) = text(credential, &["sslMode", "sslmode"]) {
        let mode = PgSslMode::from_str(mode).map_err(|_| {
            invalid(
                credential,
                "field \"sslMode\" must be disable, allow, prefer, require, verify-ca or verify-full",
            )
        })?;
        opts = opts.ssl_mode(mode);
    }
    Ok(opts.application_name("weft"))
}

fn mysql(credential: &Credential) -> Result<MySqlConnectOptions, NodeError> {
    let mut opts = if let Some(url) = text(credential, &["url", "connectionString"]) {
        MySqlConnectOptions::from_str(url)
            .map_err(|_| invalid(credential, "field \"url\" is not a mysql:// connection URL"))?
    } else {
        let mut o = MySqlConnectOptions::new()
            .host(text(credential, &["host"]).unwrap_or("localhost"))
            .port(port(credential)?.unwrap_or(3306));
        if let Some(user) = text(credential, &["user", "username"]) {
            o = o.username(user);
        }
        if let Some(password) = text(credential, &["password"]) {
            o = o.password(password);
        }
        if let Some(db) = text(credential, &["database", "dbname"]) {
            o = o.database(db);
        }
        o
    };
    if let Some(mode) = text(credential, &["sslMode", "sslmode"]) {
        let mode = MySqlSslMode::from_str(mode).map_err(|_| {
            invalid(
                credential,
                "field \"sslMode\" must be disabled, preferred, required, verify_ca or verify_identity",
            )
        })?;
        opts = opts.ssl_mode(mode);
    }
    Ok(opts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cred(kind: &str, fields: Value) -> Credential {
        Credential {
            id: "c1".into(),
            name: "db".into(),
            kind: kind.into(),
            fields: fields.as_object().cloned().unwrap_or_default(),
        }
    }

    #[test]
    fn keys_differ_by_fields_and_id() {
        let a = cred("postgres", json!({ "url": "postgres://u:p@h/db" }));
        let b = cred("postgres", json!({ "url": "postgres://u:q@h/db" }));
        let mut c = a.clone();
        c.id = "c2".into();
        assert_ne!(pool_key(&a), pool_key(&b));
        assert_ne!(pool_key(&a), pool_key(&c));
        assert_eq!(pool_key(&a), pool_key(&a.clone()));
        assert!(!pool_key(&a).contains("u:p"));
    }

    #[test]
    fn bad_urls_do_not_echo_the_url() {
        let secret = "hunter2-very-secret";
        let e = match target(&cred(
            "postgres",
            json!({ "url": format!("postgres://u:{secret}@h:notaport/db") }),
        )) {
            Err(e) => e,
            Ok(_) => panic!("accepted"),
        };
        assert!(!e.message.contains(secret), "{}", e.message);
        assert!(target(&cred("oracle", json!({}))).is_err());
        assert!(target(&cred("sqlite", json!({}))).is_err());
        assert!(target(&cred("mysql", json!({ "host": "h", "port": 70000 }))).is_err());
    }
}
