//! Integration tests of `db.query@1` against the real databases of the machine: PostgreSQL at
//! 127.0.0.1:5432 (user `postgres`, trust auth) and MariaDB/MySQL at 127.0.0.1:3306 (`root`
//! with an empty password, which creates a password-protected user per run). Each run makes
//! its own database and drops it at the end. A server that cannot be reached fails the tests
//! loudly: they are never skipped.

mod catalog;
mod mysql;
mod pg;
mod sqlite;
mod support;
