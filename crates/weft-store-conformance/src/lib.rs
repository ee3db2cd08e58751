//! The behaviour every storage backend must show, written once and run against each backend
//! (`weft-store` for SQLite, `weft-store-pg` for PostgreSQL) from that backend's own tests.
//!
//! Each check is an `async fn` taking a freshly opened, empty store; a backend's test file
//! calls them through a small macro so each check is its own `#[tokio::test]`.

pub mod control;
pub mod store;
