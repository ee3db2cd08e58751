//! The API integration suite of `tests/it`, run against PostgreSQL: every test opens a fresh
//! database on 127.0.0.1:5432 (or `WEFT_TEST_PG_URL`). A server that cannot be reached fails
//! the tests, loudly; they never skip.

#[path = "../it/api.rs"]
mod api;
#[path = "../it/editor.rs"]
mod editor;
#[path = "../it/errors.rs"]
mod errors;
#[path = "../it/events.rs"]
mod events;
#[path = "../it/keys.rs"]
mod keys;
#[path = "../it/pinned.rs"]
mod pinned;
#[path = "../it/schedules.rs"]
mod schedules;
#[path = "../it/support.rs"]
mod support;
#[path = "../it/usage.rs"]
mod usage;
#[path = "../it/webhooks.rs"]
mod webhooks;

pub use support::*;

/// The backend [`Server::start`] opens.
pub const BACKEND: Backend = Backend::Postgres;
