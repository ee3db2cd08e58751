//! The API integration suite: a real `weft serve` (router, engine, background loops) on
//! 127.0.0.1 over a real store, driven over HTTP with reqwest.
//!
//! This binary runs every test against the embedded SQLite store; `tests/pg` runs the same
//! modules against the PostgreSQL on 127.0.0.1:5432.

mod api;
mod editor;
mod errors;
mod events;
mod keys;
mod pinned;
mod schedules;
mod support;
mod ui_contract;
mod usage;
mod webhooks;

pub use support::*;

/// The backend [`Server::start`] opens.
pub const BACKEND: Backend = Backend::Sqlite;
