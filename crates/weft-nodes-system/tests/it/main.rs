//! Integration tests of the system node types, one module per node.

use weft_nodes::testing as support;

mod catalog;
mod fs_escapes;
mod fs_ops;
mod log;
