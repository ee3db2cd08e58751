//! Integration tests of the engine: one binary, one module per concern.

mod approvals;
mod runs;
mod scheduler;
mod support;
