//! Integration tests of the built-in node types, one module per node.

use weft_nodes::testing as support;

mod catalog;
mod code;
mod error;
mod http;
mod http_api;
mod if_node;
mod map;
mod merge;
mod noop;
mod respond;
mod set;
mod subworkflow;
mod switch;
mod validate;
mod wait;
