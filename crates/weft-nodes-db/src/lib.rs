//! Database node type: `db.query` ("Database Agent") runs SQL with bound parameters against
//! PostgreSQL, MySQL/MariaDB (through sqlx's drivers) and SQLite (through the workspace's
//! bundled rusqlite, on blocking threads).
//!
//! The connection comes from a stored credential named by the `credential` param; its kind
//! (`postgres`, `mysql`, `sqlite`) picks the backend. The node keeps a small connection pool
//! per credential (its id and a digest of its fields, so an edited credential gets a new pool)
//! that later steps reuse.
//!
//! Values only ever reach the database as bound parameters: `sql` must be a fixed string and
//! `params` (rendered per input item, so `{{ $json.id }}` works) is bound positionally (`$1`
//! on PostgreSQL, `?` on MySQL and SQLite). [`register`] adds the node to a [`NodeRegistry`].

#![warn(missing_docs)]
// `NodeError` (the node API's error) and `DbFailure` carry JSON details; errors are the cold
// path of a step that waits on the network, so their size does not matter.
#![allow(clippy::result_large_err)]

mod backend;
mod error;
mod mysql;
mod node;
mod params;
mod pg;
mod pool;
mod sqlite;
mod target;

pub use node::DbQueryNode;
pub use params::{DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT};
pub use pool::{MAX_CONNECTIONS_PER_POOL, MAX_POOLS};

use std::sync::Arc;
use weft_node_api::NodeRegistry;

/// Registers `db.query@1`.
pub fn register(registry: &mut NodeRegistry) {
    registry.register(Arc::new(DbQueryNode::new()));
}
