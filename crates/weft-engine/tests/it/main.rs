//! Integration tests of the engine: one binary, one module per concern.

mod approvals;
mod checkpoints;
mod runs;
mod scheduler;
mod support;
