//! One module per node type.

pub mod aggregate;
pub mod approval;
pub mod code;
pub mod error;
pub mod http;
pub mod if_node;
pub mod map;
pub mod merge;
pub mod noop;
pub mod respond;
pub mod set;
pub mod subworkflow;
pub mod switch;
pub mod wait;
