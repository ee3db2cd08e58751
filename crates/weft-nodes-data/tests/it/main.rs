//! Integration tests of the data node types, one module per node.

use weft_nodes::testing as support;

mod catalog;
mod csv;
mod json;
mod validate;
