//! A fresh PostgreSQL database per test, for this crate's tests and any other crate's that
//! runs against PostgreSQL.
//!
//! [`TestDatabase::create`] connects to the server named by `WEFT_TEST_PG_URL` (default
//! [`DEFAULT_URL`]), creates `weft_test_<random>` and drops it (with `FORCE`, best effort)
//! when the guard is dropped, so tests run in parallel without seeing each other. An
//! unreachable server is an error that says so: tests that need PostgreSQL fail, loudly,
//! rather than skip.

use sqlx_core::connection::{ConnectOptions, Connection};
use sqlx_core::executor::Executor;
use sqlx_postgres::PgConnectOptions;
use std::str::FromStr;
use uuid::Uuid;

/// The server tests use unless `WEFT_TEST_PG_URL` says otherwise.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The environment variable naming another server (a URL of any database on it that the
/// user may `CREATE DATABASE` from).
pub const URL_VAR: &str = "WEFT_TEST_PG_URL";

/// A database created for one test, dropped when this guard is.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    base_url: String,
}

impl TestDatabase {
    /// Creates a fresh, empty database.
    pub async fn create() -> Result<TestDatabase, String> {
        let base_url = std::env::var(URL_VAR).unwrap_or_else(|_| DEFAULT_URL.to_owned());
        let name = format!("weft_test_{}", Uuid::now_v7().simple());
        let mut admin = admin_options(&base_url)?
            .connect()
            .await
            .map_err(|e| unreachable(&base_url, &e))?;
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .map_err(|e| format!("creating the test database {name} on {base_url}: {e}"))?;
        let _ = admin.close().await;
        Ok(TestDatabase { name, base_url })
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A URL of the database (the base URL with its database replaced).
    pub fn url(&self) -> String {
        with_database(&self.base_url, &self.name)
    }

    /// Connect options for the database.
    pub fn options(&self) -> PgConnectOptions {
        // The base URL parsed in `create`, so this cannot fail; fall back to the default.
        PgConnectOptions::from_str(&self.base_url)
            .unwrap_or_else(|_| PgConnectOptions::new())
            .database(&self.name)
    }
}

fn admin_options(base_url: &str) -> Result<PgConnectOptions, String> {
    PgConnectOptions::from_str(base_url)
        .map_err(|e| format!("{URL_VAR}={base_url:?} is not a PostgreSQL URL: {e}"))
}

fn unreachable(base_url: &str, e: &sqlx_core::Error) -> String {
    format!(
        "\n\n*** PostgreSQL is not reachable at {base_url} ({e}).\n*** These tests need a running \
         PostgreSQL (by default 127.0.0.1:5432, user postgres); they never skip.\n*** Start one, \
         or set {URL_VAR} to a server where this user may CREATE DATABASE.\n"
    )
}

/// `url` with its path (the database) replaced by `database`, keeping any query string.
fn with_database(url: &str, database: &str) -> String {
    let (main, query) = match url.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (url, None),
    };
    let authority_start = main.find("://").map_or(0, |i| i + 3);
    let path_start = main[authority_start..]
        .find('/')
        .map_or(main.len(), |i| authority_start + i);
    let mut out = format!("{}/{database}", &main[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (name, base_url) = (self.name.clone(), self.base_url.clone());
        // Drop may run inside an async runtime that must not block on itself: use a thread
        // with its own.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                let mut admin = admin_options(&base_url)?
                    .connect()
                    .await
                    .map_err(|e| e.to_string())?;
                admin
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await
                    .map_err(|e| e.to_string())?;
                let _ = admin.close().await;
                Ok::<(), String>(())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::warn!(database = %self.name, error = %e, "dropping a test database failed")
            }
            Err(_) => tracing::warn!(database = %self.name, "dropping a test database panicked"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
    }
}
