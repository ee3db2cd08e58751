//! Node types that touch the host system: `fs.file` (the FileSystem agent, confined to one
//! directory) and `util.log` (the Logger).
//!
//! `fs.file` reaches only the files root named by [`SystemConfig::files_root`] (the CLI reads
//! it from `WEFT_FILES_ROOT`); without one it fails every step with `fs.no_root`. Paths are
//! walked from the root's descriptor with `openat(…, O_NOFOLLOW)` one component at a time, so
//! absolute paths, `..` and symbolic links can never lead outside it (see the `fs` module).
//! Unix only.

#![warn(missing_docs)]

mod fs;
mod log;

pub use crate::fs::{
    DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES, FILES_ROOT_ENV, FileNode, MAX_LIST_DEPTH,
    MAX_MAX_BYTES, MAX_MAX_ENTRIES,
};
pub use crate::log::{DEFAULT_MAX_ITEM_LENGTH, LogNode, MAX_MAX_ITEM_LENGTH};

use std::path::PathBuf;
use std::sync::Arc;
use weft_node_api::NodeRegistry;

/// What the system nodes may touch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemConfig {
    /// The only directory `fs.file` may read and write (with everything below it); `None`
    /// leaves the node registered but failing with `fs.no_root`.
    pub files_root: Option<PathBuf>,
}

/// Registers `fs.file@1` and `util.log@1`.
pub fn register(registry: &mut NodeRegistry, config: &SystemConfig) {
    registry.register(crate::fs::node(config.files_root.clone()));
    registry.register(Arc::new(LogNode));
}
